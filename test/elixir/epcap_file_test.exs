# Writing capture files from Elixir with :epcap_file: the packets an
# Elixir process receives from :epcap, written as pcapng with keyword
# options and per-packet comments, read back by :epcap and by tshark.
# Run by `make exunit`; no root needed.

defmodule EpcapFileTest do
  use ExUnit.Case, async: false

  setup do
    {:ok, dir: EpcapTest.Env.tmp_dir!("epcap_file_exunit")}
  end

  defp read_all(path, opts \\ []) do
    {:ok, _} = :epcap.start_link([file: String.to_charlist(path), time_unit: :nanosecond] ++ opts)
    collect([])
  end

  defp collect(acc) do
    receive do
      {:packet, _, _, _, _} = p -> collect([p | acc])
      {:epcap, :eof} -> Enum.reverse(acc)
    after
      5_000 -> flunk("no {:epcap, :eof} after #{length(acc)} packets")
    end
  end

  test "packets received from epcap, written as pcapng and read back", %{dir: dir} do
    orig = Path.join(dir, "orig.pcap")
    :ok = :epcap_samplegen.write(orig, :epcap_samplegen.sample_packets(), %{})
    packets = read_all(orig)
    assert length(packets) > 10

    copy = Path.join(dir, "copy.pcapng")

    {:ok, w} =
      :epcap_file.open(copy,
        time_unit: :nanosecond,
        comment: "written from Elixir",
        interfaces: [[dlt: 1, name: "sample", description: "the sample capture"]]
      )

    w =
      packets
      |> Enum.with_index()
      |> Enum.reduce(w, fn {p, i}, w ->
        {:ok, w} = :epcap_file.write(w, {p, %{comment: "packet #{i}"}})
        w
      end)

    :ok = :epcap_file.close(w, %{0 => %{received: length(packets), dropped: 0}})

    assert read_all(copy) == packets

    if System.find_executable("tshark") do
      {out, 0} =
        System.cmd("tshark", ["-r", copy, "-T", "fields", "-e", "frame.comment"],
          stderr_to_stdout: false
        )

      comments = String.split(out, "\n", trim: true)
      assert comments == for(i <- 0..(length(packets) - 1), do: "packet #{i}")
    end
  end

  test "binaries with options, appended to a pcap file", %{dir: dir} do
    path = Path.join(dir, "bins.pcap")
    frame = <<0::48, 1::48, 0x88B5::16, "hello">>
    :ok = :epcap_file.write_file(path, [{frame, time: 1_700_000_000_000_000}], [])
    {:ok, w} = :epcap_file.open(path, mode: :append)
    {:ok, w} = :epcap_file.write(w, {frame, %{time: 1_700_000_001_000_000, len: 100}})
    :ok = :epcap_file.close(w)

    assert [
             {:packet, 1, 1_700_000_000_000_000_000, 19, ^frame},
             {:packet, 1, 1_700_000_001_000_000_000, 100, ^frame}
           ] = read_all(path)
  end

  test "errors come back as tuples", %{dir: dir} do
    missing = Path.join([dir, "no", "such", "dir.pcap"])
    assert {:error, {:file, ^missing, :enoent}} = :epcap_file.open(missing, [])
    assert {:error, {:badarg, {:format, :pcapx}}} = :epcap_file.open(missing, format: :pcapx)

    {:ok, w} = :epcap_file.open(Path.join(dir, "e.pcap"), dlt: 1)
    assert {:error, {:pcapng_only, :comment}} = :epcap_file.write(w, {"x", comment: "c"})
    assert {:error, {:datalink, 12, 1}} = :epcap_file.write(w, {:packet, 12, 0, 1, "x"})
    :ok = :epcap_file.close(w)
  end
end
