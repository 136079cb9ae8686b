# epcap from Elixir: keyword options, binaries for strings, and the
# messages an Elixir process receives. Run by `make exunit` (see
# test_helper.exs for the command line).
#
# Without root: filter compilation (checked against `tcpdump -d` on the
# same link type and snaplen), option errors, a capture file read back
# packet by packet (a message each, and in batches), and
# examples/sniff.exs on that file. As root: UDP on loopback captured with keyword options, with both time units, and
# examples/sniff.exs capturing live.

defmodule EpcapTest do
  use ExUnit.Case, async: false

  @lo {127, 0, 0, 1}
  @eth_ip_udp 14 + 20 + 8

  setup context do
    if context[:root] && !EpcapTest.Env.root?() do
      flunk("CI=true but not running as root: the live epcap tests cannot be skipped under CI")
    end

    {:ok, dir: EpcapTest.Env.tmp_dir!("epcap_exunit")}
  end

  # -- helpers ---------------------------------------------------------

  defp samples, do: :epcap_samplegen.sample_packets()

  defp sample_file(dir) do
    path = Path.join(dir, "sample.pcap")
    :ok = :epcap_samplegen.write(path, samples(), %{})
    path
  end

  # Every message up to {:epcap, :eof}, bounded.
  defp until_eof(acc \\ []) do
    receive do
      {:packet, _, _, _, _} = p -> until_eof([p | acc])
      {:epcap, :eof} -> Enum.reverse(acc)
    after
      5_000 -> flunk("no {:epcap, :eof} after #{length(acc)} packets")
    end
  end

  # The UDP header and payload of an Ethernet + IPv4 frame.
  defp udp(
         <<_macs::binary-12, 0x0800::16, 4::4, ihl::4, _::binary-8, 17, _sum::16, _src::binary-4,
           _dst::binary-4, rest::binary>>
       ) do
    opts = (ihl - 5) * 4
    <<_::binary-size(opts), sport::16, dport::16, ulen::16, _::16, payload::binary>> = rest

    %{
      sport: sport,
      dport: dport,
      payload: binary_part(payload, 0, min(ulen - 8, byte_size(payload)))
    }
  end

  defp elixir_sniff(args) do
    script = Path.join(EpcapTest.Env.repo(), "examples/sniff.exs")
    ebin = Path.join(EpcapTest.Env.repo(), "ebin")
    System.cmd("elixir", ["-pa", ebin, script | args], stderr_to_stdout: true)
  end

  defp packet_lines(out), do: Enum.filter(String.split(out, "\n"), &(&1 =~ ~r/^\d{4}-\d\d-\d\d /))

  defp receiver do
    {:ok, rx} = :gen_udp.open(0, [:binary, active: false, ip: @lo])
    {:ok, port} = :inet.port(rx)
    {rx, port}
  end

  # -- no privileges needed --------------------------------------------

  test "compile/1 takes a binary and gives the program tcpdump -d gives", %{dir: dir} do
    file = sample_file(dir)

    for expr <- ["udp port 53", "tcp[tcpflags] & tcp-syn != 0", "vlan and ip", "arp or icmp6"] do
      assert {:ok, program} = :epcap.compile(expr)
      assert {:ok, ^program} = :epcap.compile(String.to_charlist(expr))
      # The sample file is Ethernet with snaplen 262144, the defaults.
      {tcpdump, 0} = System.cmd("tcpdump", ["-d", "-r", file, expr], stderr_to_stdout: true)
      assert Enum.map(program, &to_string/1) == packet_program(tcpdump), expr
    end

    assert {:ok, sll} = :epcap.compile("udp port 53", datalink: "LINUX_SLL")
    refute sll == elem(:epcap.compile("udp port 53"), 1)
  end

  defp packet_program(out), do: Enum.filter(String.split(out, "\n"), &(&1 =~ ~r/^\(\d{3}\) /))

  test "a filter that does not compile is {:error, {:bad_filter, message}}" do
    assert {:error, {:bad_filter, message}} = :epcap.compile("udp port")
    assert is_list(message) and message != []
  end

  test "bad options give {:error, {:badarg, option}} and no exit signal" do
    Process.flag(:trap_exit, true)
    assert {:error, {:badarg, {:snaplen, 0}}} = :epcap.start_link(interface: "lo", snaplen: 0)
    assert {:error, {:badarg, {:snaplen, "x"}}} = :epcap.start_link(interface: "lo", snaplen: "x")
    assert {:error, {:badarg, {:interface, ""}}} = :epcap.start_link(interface: "")

    assert {:error, {:badarg, {:time_unit, :second}}} =
             :epcap.start(interface: "lo", time_unit: :second)

    assert {:error, {:badarg, {:filter, <<0xFF>>}}} =
             :epcap.start_link(interface: "lo", filter: <<0xFF>>)

    assert {:error, {:badarg, {:snaplen, 0}}} = :epcap.start_link(%{interface: "lo", snaplen: 0})
    assert {:error, {:badarg, {:datalink, :bogus}}} = :epcap.compile("tcp", datalink: :bogus)
    refute_receive {:EXIT, _, _}, 200
  end

  test "a capture file read with keyword options and binaries", %{dir: dir} do
    file = sample_file(dir)
    assert {:ok, pid} = :epcap.start_link(file: file)
    got = until_eof()

    want =
      for {sec, usec, len, data} <- samples() do
        {:packet, 1, {div(sec, 1_000_000), rem(sec, 1_000_000), usec}, len, data}
      end

    assert got == want
    ref = Process.monitor(pid)
    assert_receive {:DOWN, ^ref, :process, ^pid, _}, 5_000

    # The same file through a filter: what tcpdump selects.
    {out, 0} = System.cmd("tcpdump", ["-nn", "-tt", "-r", file, "udp"], stderr_to_stdout: true)
    assert {:ok, _} = :epcap.start_link(file: file, filter: "udp", time_unit: :microsecond)
    udp = until_eof()
    assert length(udp) == length(Enum.filter(String.split(out, "\n"), &(&1 =~ ~r/^\d+\.\d{6} /)))
    assert Enum.all?(udp, fn {:packet, 1, t, _, _} -> is_integer(t) end)
  end

  test "delivery: :batch gives the same packets, walked with batch_fold/3", %{dir: dir} do
    file = sample_file(dir)
    assert {:ok, _} = :epcap.start_link(file: file)
    want = until_eof()

    assert {:ok, pid} = :epcap.start_link(file: file, delivery: :batch)
    got = batches_until_eof(pid, [])
    assert got == want
  end

  defp batches_until_eof(pid, acc) do
    receive do
      {:epcap_batch, ^pid, batch} ->
        batches_until_eof(pid, :epcap.batch_fold(fn p, a -> [p | a] end, acc, batch))

      {:epcap, :eof} ->
        Enum.reverse(acc)
    after
      5_000 -> flunk("no {:epcap, :eof} after #{length(acc)} packets")
    end
  end

  test "examples/sniff.exs prints every packet of a capture file", %{dir: dir} do
    file = sample_file(dir)
    {out, status} = elixir_sniff(["-r", file])
    assert status == 0, out
    bytes = samples() |> Enum.map(fn {_, _, len, _} -> len end) |> Enum.sum()
    assert length(packet_lines(out)) == length(samples())
    assert out =~ "sniff.exs: 40 packets, #{bytes} bytes on the wire (stopped: eof)\n"
    assert out =~ "2023-11-14 22:13:20.000000 len 60 eth arp who-has 192.0.2.254 tell 192.0.2.1\n"

    {out, 0} = elixir_sniff(["--", "-c", "3", "-r", file, "tcp"])
    assert [_, _, _] = packet_lines(out)
    assert Enum.all?(packet_lines(out), &(&1 =~ " eth ipv4 tcp " or &1 =~ " eth ipv6"))
    assert out =~ "(stopped: count)"

    assert {_, 1} = elixir_sniff([])
  end

  # -- live on lo (root) ---------------------------------------------------

  @tag :root
  test "UDP on loopback arrives as {:packet, dlt, time, len, packet}" do
    {rx, port} = receiver()
    assert {:ok, pid} = :epcap.start_link(interface: "lo", filter: "udp and dst port #{port}")
    {:ok, tx} = :gen_udp.open(0, [:binary, ip: @lo])
    payloads = for i <- 1..5, do: :rand.bytes(10 * i)
    for p <- payloads, do: :ok = :gen_udp.send(tx, @lo, port, p)
    now = System.os_time(:microsecond)

    for p <- payloads do
      assert_receive {:packet, 1, {mega, sec, usec}, len, frame}, 2_000
      assert len == byte_size(frame)
      assert len == @eth_ip_udp + byte_size(p)
      assert %{dport: ^port, payload: ^p} = udp(frame)
      assert abs((mega * 1_000_000 + sec) * 1_000_000 + usec - now) < 10_000_000
    end

    refute_receive {:packet, _, _, _, _}, 200
    assert {:ok, %{delivered: 5, owner_delivered: 5, dropped: 0}} = :epcap.stats(pid)
    assert :ok = :epcap.stop(pid)
    refute Process.alive?(pid)
    :gen_udp.close(tx)
    :gen_udp.close(rx)
  end

  @tag :root
  test "nanosecond time stamps, snaplen and info/1 from keyword options" do
    {rx, port} = receiver()

    assert {:ok, pid} =
             :epcap.start_link(
               interface: "lo",
               filter: "udp and dst port #{port}",
               time_unit: :nanosecond,
               snaplen: 64
             )

    assert {:ok, %{snaplen: 64, precision: 9, source: :live}} = :epcap.info(pid)
    {:ok, tx} = :gen_udp.open(0, [:binary, ip: @lo])
    :ok = :gen_udp.send(tx, @lo, port, :binary.copy(<<"e">>, 1000))
    assert_receive {:packet, 1, t, len, frame}, 2_000
    assert is_integer(t)
    assert abs(t - System.os_time(:nanosecond)) < 10_000_000_000
    assert len == @eth_ip_udp + 1000
    assert byte_size(frame) == 64
    assert :ok = :epcap.stop(pid)
    :gen_udp.close(tx)
    :gen_udp.close(rx)
  end

  # The documented live command, stopped by its count; datagrams go out
  # every 50 ms until it has them (it starts in its own VM, so when it is
  # ready is not known here).
  @tag :root
  test "examples/sniff.exs captures live on lo" do
    {rx, port} = receiver()
    {:ok, tx} = :gen_udp.open(0, [:binary, ip: @lo])

    task =
      Task.async(fn -> elixir_sniff(["-c", "2", "lo", "udp", "and", "dst", "port", "#{port}"]) end)

    {out, status} = feed(task, tx, port, 400)
    assert status == 0, out
    lines = packet_lines(out)
    assert [_, _] = lines

    assert Enum.all?(
             lines,
             &(&1 =~ ~r/eth ipv4 udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:#{port} payload 4$/)
           )

    assert out =~
             "sniff.exs: 2 packets, #{2 * (@eth_ip_udp + 4)} bytes on the wire (stopped: count)"

    :gen_udp.close(tx)
    :gen_udp.close(rx)
  end

  defp feed(task, _tx, _port, 0) do
    Task.shutdown(task, :brutal_kill)
    flunk("examples/sniff.exs never got its packets")
  end

  defp feed(task, tx, port, tries) do
    :ok = :gen_udp.send(tx, @lo, port, "ping")

    case Task.yield(task, 50) do
      {:ok, result} -> result
      nil -> feed(task, tx, port, tries - 1)
    end
  end
end
