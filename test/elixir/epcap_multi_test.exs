# Several interfaces in one capture, from Elixir (README, "Several
# interfaces in one capture"): names come back as given (a binary stays
# a binary), a missing one is {:no_such_device, name} wherever it is in
# the list, and interface_stats/1 works on an open/1 capture. Run by
# `make exunit`; needs no root (the interfaces are checked before any
# privilege is asked for, and the counters come from a capture file).

defmodule EpcapMultiTest do
  use ExUnit.Case, async: false

  test "a missing interface in a list: {:no_such_device, name} as given" do
    for name <- ["nope1me", ~c"nope1me"] do
      want = {:error, {:no_such_device, name}}
      assert :epcap.start(interface: ["lo", name]) == want
      assert :epcap.open(interface: [name, "lo"]) == want
    end
  end

  test "bad interface lists fail at the call, the list as given" do
    for bad <- [[], ["lo", "lo"], ["lo", "any"], ["lo", ""]] do
      assert :epcap.start(interface: bad) == {:error, {:badarg, {:interface, bad}}}
    end

    assert :epcap.datalinks(["lo", "eth0"]) ==
             {:error, {:badarg, {:interface, ["lo", "eth0"]}}}
  end

  test "interface_stats/1 of an open/1 capture: a file's interface, its packets" do
    dir = EpcapTest.Env.tmp_dir!("epcap_multi")
    file = Path.join(dir, "ten.pcap")
    :ok = :epcap_samplegen.write_synthetic(String.to_charlist(file), 10, 60, %{})
    {:ok, c} = :epcap.open(file: file)
    packets = recv(c, 10, [])
    assert length(packets) == 10

    assert {:ok, [%{index: 0, name: "", counters: false, received: 0, delivered: 10}]} =
             :epcap.interface_stats(c)

    assert {:ok, %{delivered: 10}} = :epcap.stats(c)
    :ok = :epcap.close(c)
    assert :epcap.interface_stats(c) == {:error, :closed}
  end

  defp recv(_c, 0, acc), do: acc

  defp recv(c, left, acc) do
    {:ok, ps} = :epcap.recv(c, 5000)
    recv(c, left - length(ps), acc ++ ps)
  end
end
