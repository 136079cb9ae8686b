# One error vocabulary from Elixir (README, "Errors"): a cause gives the
# same reason from every call, what the caller gave comes back as given
# (a binary stays a binary), the words of an error are charlists, and
# bad arguments fail at the call. Run by `make exunit`; needs no root
# (the missing interface is found before any privilege is asked for).

defmodule EpcapErrorsTest do
  use ExUnit.Case, async: false

  setup do
    dir = EpcapTest.Env.tmp_dir!("epcap_errors")
    file = Path.join(dir, "ten.pcap")
    :ok = :epcap_samplegen.write_synthetic(String.to_charlist(file), 10, 60, %{})
    {:ok, dir: dir, pcap: file}
  end

  test "a missing interface: {:no_such_device, name} from start, open and datalinks" do
    for name <- ["nope0e16", ~c"nope0e16"] do
      want = {:error, {:no_such_device, name}}
      assert :epcap.start(interface: name) == want
      assert :epcap.open(interface: name) == want
      assert :epcap.datalinks(name) == want
    end
  end

  test "a missing file: the path as given, the message a charlist", %{dir: dir} do
    path = Path.join(dir, "missing.pcap")
    assert {:error, {:file, ^path, msg}} = :epcap.start(file: path)
    assert is_list(msg) and msg != []
    assert {:error, {:file, ^path, _}} = :epcap.open(file: path)
  end

  test "a port program that cannot run: {:exec, path, :enoent} from every call", %{
    dir: dir,
    file: file
  } do
    prog = Path.join(dir, "missing-epcap")
    want = {:error, {:exec, prog, :enoent}}
    assert :epcap.start(progname: prog, file: file) == want
    assert :epcap.open(progname: prog, file: file) == want
    assert :epcap.datalinks("lo", progname: prog) == want
    assert :epcap.compile("ip", progname: prog) == want
  end

  test "a bad filter: {:bad_filter, message} from compile, start and open", %{pcap: file} do
    assert {:error, {:bad_filter, msg}} = :epcap.compile("tcp port ((")
    assert is_list(msg)
    assert {:error, {:bad_filter, _}} = :epcap.start(file: file, filter: "tcp port ((")
    assert {:error, {:bad_filter, _}} = :epcap.open(file: file, filter: "tcp port ((")
  end

  test "bad arguments fail at the call, the option as given", %{pcap: file} do
    assert :epcap.open(file: file, active: :once) == {:error, {:badarg, {:active, :once}}}
    assert :epcap.datalinks("lo", snaplen: 0) == {:error, {:badarg, {:snaplen, 0}}}
    assert :epcap.compile("ip", snaplen: 0) == {:error, {:badarg, {:snaplen, 0}}}

    reason =
      try do
        :epcap.child_spec(interface: "lo")
      catch
        :error, reason -> reason
      end

    assert reason == {:badarg, {:owner, :undefined}}
  end

  test "what the port reports as data is a binary", %{pcap: file} do
    assert {:ok, pid} = :epcap.start_link(file: file, active: false)
    assert {:ok, %{name: name}} = :epcap.info(pid)
    assert name == file
    :ok = :epcap.stop(pid)
  end
end
