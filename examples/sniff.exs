# sniff.exs: print packets captured through epcap, from Elixir.
#
# epcap is an Erlang library; from Elixir it is called as the module
# :epcap, with keyword lists for options and binaries for strings:
#
#     {:ok, pid} = :epcap.start_link(interface: "lo", filter: "icmp")
#
# after which this process receives one {:packet, dlt, time, len, packet}
# message per packet (and {:epcap, :eof} at the end of a capture file).
#
# Run it from the top of the project, after `make all`:
#
#     elixir -pa ebin examples/sniff.exs lo icmp
#     elixir -pa ebin examples/sniff.exs -- -c 10 eth0 tcp port 80
#     elixir -pa ebin examples/sniff.exs -r _build/sample.pcap udp
#
# (_build/sample.pcap is the capture `make run` generates.)
#
# The first word is the interface (unless -r FILE reads a capture file);
# the remaining words form the filter, as with tcpdump. -c N stops after
# N packets. A leading "--" is ignored. Live capture needs root, or
# `make setcap`. The exit status is 0, or 1 when the capture could not
# start.

defmodule Sniff do
  @usage "usage: elixir -pa ebin examples/sniff.exs [-c COUNT] (-r FILE | INTERFACE) [FILTER...]"

  def main(argv) do
    case parse(argv) do
      {:ok, opts, count} -> run(opts, count)
      {:error, message} -> fail("#{message}\n#{@usage}")
    end
  end

  # Keyword options for :epcap, with binaries, and the packet limit.
  defp parse(["--" | argv]), do: parse(argv)

  defp parse(argv) do
    case OptionParser.parse(argv,
           strict: [count: :integer, read: :string],
           aliases: [c: :count, r: :read]
         ) do
      {flags, words, []} -> options(flags, words)
      {_, _, [{flag, _} | _]} -> {:error, "bad option #{flag}"}
    end
  end

  defp options(flags, words) do
    count = Keyword.get(flags, :count, :infinity)

    {source, filter_words} =
      case {Keyword.fetch(flags, :read), words} do
        {{:ok, file}, words} -> {[file: file], words}
        {:error, [iface | words]} -> {[interface: iface], words}
        {:error, []} -> {nil, []}
      end

    cond do
      source == nil -> {:error, "no interface and no -r FILE"}
      count != :infinity and count < 1 -> {:error, "-c needs a positive count"}
      filter_words == [] -> {:ok, source, count}
      true -> {:ok, source ++ [filter: Enum.join(filter_words, " ")], count}
    end
  end

  defp run(opts, count) do
    case :epcap.start_link(opts) do
      {:ok, pid} ->
        {packets, bytes, why} = loop(pid, count, 0, 0)
        IO.puts("sniff.exs: #{packets} packets, #{bytes} bytes on the wire (stopped: #{why})")

      {:error, reason} ->
        fail("sniff.exs: cannot start capture: #{inspect(reason)}")
    end
  end

  defp loop(pid, count, n, bytes) when n == count do
    :ok = :epcap.stop(pid)
    {n, bytes, :count}
  end

  defp loop(pid, count, n, bytes) do
    receive do
      {:packet, dlt, time, len, packet} ->
        IO.puts("#{format_time(time)} len #{len} #{describe(dlt, packet)}")
        loop(pid, count, n + 1, bytes + len)

      {:epcap, :eof} ->
        {n, bytes, :eof}
    end
  end

  defp fail(message) do
    IO.puts(:stderr, message)
    System.halt(1)
  end

  defp format_time({mega, sec, micro}) do
    DateTime.from_unix!((mega * 1_000_000 + sec) * 1_000_000 + micro, :microsecond)
    |> Calendar.strftime("%Y-%m-%d %H:%M:%S.%f")
  end

  # A one-line summary of the headers: Ethernet, then IPv4 or ARP. Short
  # or unknown packets say what they are instead of crashing.
  defp describe(1, <<_dst::binary-6, _src::binary-6, type::16, rest::binary>>),
    do: "eth " <> ether(type, rest)

  defp describe(1, _), do: "eth [truncated]"
  defp describe(dlt, _), do: "dlt #{dlt}"

  defp ether(
         0x0800,
         <<4::4, ihl::4, _tos, _len::16, _::32, _ttl, proto, _sum::16, src::binary-4,
           dst::binary-4, rest::binary>>
       )
       when ihl >= 5 do
    opts = (ihl - 5) * 4

    case rest do
      <<_::binary-size(opts), l4::binary>> -> "ipv4 " <> ip(proto, ip_s(src), ip_s(dst), l4)
      _ -> "ipv4 [truncated]"
    end
  end

  defp ether(
         0x0806,
         <<_::binary-6, op::16, sha::binary-6, spa::binary-4, _tha::binary-6, tpa::binary-4,
           _::binary>>
       ) do
    case op do
      1 -> "arp who-has #{ip_s(tpa)} tell #{ip_s(spa)}"
      2 -> "arp reply #{ip_s(spa)} is-at #{mac_s(sha)}"
      _ -> "arp op #{op}"
    end
  end

  defp ether(0x86DD, _), do: "ipv6"

  defp ether(type, _),
    do: "ethertype 0x" <> String.pad_leading(Integer.to_string(type, 16), 4, "0")

  defp ip(6, src, dst, <<sp::16, dp::16, _::binary>>), do: "tcp #{src}:#{sp} -> #{dst}:#{dp}"

  defp ip(17, src, dst, <<sp::16, dp::16, ulen::16, _::binary>>),
    do: "udp #{src}:#{sp} -> #{dst}:#{dp} payload #{ulen - 8}"

  defp ip(1, src, dst, <<type, code, _::binary>>),
    do: "icmp #{src} -> #{dst} type #{type} code #{code}"

  defp ip(proto, src, dst, _), do: "#{src} -> #{dst} proto #{proto}"

  defp ip_s(<<a, b, c, d>>), do: "#{a}.#{b}.#{c}.#{d}"

  defp mac_s(mac),
    do:
      mac
      |> :binary.bin_to_list()
      |> Enum.map_join(":", &String.pad_leading(Integer.to_string(&1, 16), 2, "0"))
      |> String.downcase()
end

Sniff.main(System.argv())
