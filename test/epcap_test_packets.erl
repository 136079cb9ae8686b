%% @doc The fixtures for what a capture delivers, shared by the suites:
%% packets, statistics and capture files. (Root, commands, waits and the
%% port's processes are epcap_test_lib's.)
%%
%% Packets: `collect/2' receives packet messages and `flush_packets/0'
%% drops them, `udp/1' parses a frame and `udp_frame/1' builds one,
%% `udp_socket/1' opens a socket to send them from.
%%
%% Statistics: `settled_stats/1' reads `epcap:stats/1' once the counters
%% have stopped moving; its quiet period is the one fixed wait here, and
%% it is the condition itself.
%%
%% Capture files: `pcap_file/2' writes one of frames, `file_capture/1'
%% runs epcap over a file to its end and `tcpdump_read/3' reads the same
%% file through tcpdump, for the suites that compare the two.
-module(epcap_test_packets).

-include_lib("common_test/include/ct.hrl").

-export([
    collect/2,
    flush_packets/0,
    udp/1,
    udp_frame/1,
    mac/1,
    ts_us/1,
    random_port/0,
    udp_socket/1,
    parse_ip/1,
    settled_stats/1,
    pcap_global_header/0,
    pcap_file/2,
    file_capture/1,
    file_packets/0,
    drain_messages/0,
    tcpdump_read/3
]).

%% How long statistics must stay unchanged to count as settled.
-define(SETTLE_MS, 100).

%%--------------------------------------------------------------------
%% Packets

%% @doc Receive up to `N' packet messages within `Timeout' ms in all;
%% returns them in arrival order (fewer than `N' on timeout).
collect(N, Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    collect(N, Deadline, []).

collect(0, _, Acc) ->
    lists:reverse(Acc);
collect(N, Deadline, Acc) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {packet, _, _, _, _} = P -> collect(N - 1, Deadline, [P | Acc])
    after Left ->
        lists:reverse(Acc)
    end.

%% @doc Drop every packet message already in the mailbox; their number.
flush_packets() ->
    flush_packets(0).

flush_packets(N) ->
    receive
        {packet, _, _, _, _} -> flush_packets(N + 1)
    after 0 ->
        N
    end.

%% @doc Parse an Ethernet + IPv4 + UDP frame (possibly truncated):
%% `#{src, dst, sport, dport, ip_len, udp_len, payload}' where payload is
%% whatever part of the datagram was captured, or `not_udp'.
udp(<<_Dst:6/binary, _Src:6/binary, 16#0800:16, 4:4, IHL:4, _Tos:8,
      IpLen:16, _Id:16, _Frag:16, _Ttl:8, 17:8, _Sum:16,
      S1, S2, S3, S4, D1, D2, D3, D4, Rest0/binary>>) when IHL >= 5 ->
    OptLen = (IHL - 5) * 4,
    case Rest0 of
        <<_:OptLen/binary, SPort:16, DPort:16, UdpLen:16, _:16,
          Payload/binary>> ->
            Want = max(0, UdpLen - 8),
            #{src => {S1, S2, S3, S4}, dst => {D1, D2, D3, D4},
              sport => SPort, dport => DPort, ip_len => IpLen,
              udp_len => UdpLen,
              payload => binary:part(Payload, 0, min(Want,
                                                     byte_size(Payload)))};
        _ ->
            not_udp
    end;
udp(_) ->
    not_udp.

%% @doc A packet time as integer microseconds.
ts_us({M, S, U}) -> (M * 1000000 + S) * 1000000 + U;
ts_us(I) when is_integer(I) -> I.

%% @doc A random unprivileged port for traffic inside our namespaces.
random_port() ->
    20000 + rand:uniform(40000).

%% @doc A passive binary UDP socket bound to `Addr' ("a.b.c.d"), any port.
udp_socket(Addr) ->
    {ok, S} = gen_udp:open(0, [binary, {active, false}, {ip, parse_ip(Addr)},
                               {recbuf, 1 bsl 20}, {sndbuf, 1 bsl 20}]),
    S.

parse_ip(Addr) ->
    {ok, Ip} = inet:parse_ipv4strict_address(Addr),
    Ip.

%% @doc A valid pcap global header (microsecond, Ethernet, snaplen 65535).
pcap_global_header() ->
    <<16#a1b2c3d4:32/little, 2:16/little, 4:16/little, 0:32/little,
      0:32/little, 65535:32/little, 1:32/little>>.

%% @doc A capture file at `Path' holding these Ethernet frames, one a
%% microsecond apart from 1700000000 s; `Path'.
pcap_file(Path, Frames) ->
    Records = [<<1700000000:32/little, I:32/little, (byte_size(F)):32/little,
                 (byte_size(F)):32/little, F/binary>>
               || {I, F} <- lists:enumerate(Frames)],
    ok = file:write_file(Path, [pcap_global_header() | Records]),
    Path.

%% @doc An Ethernet + IPv4 + UDP frame, 127.0.0.1:1234 to 127.0.0.1:5678,
%% carrying `Payload' (checksums left 0).
udp_frame(Payload) ->
    UdpLen = 8 + byte_size(Payload),
    <<0:48, 0:48, 16#0800:16, 4:4, 5:4, 0, (20 + UdpLen):16, 0:32, 64, 17,
      0:16, 127, 0, 0, 1, 127, 0, 0, 1, 1234:16, 5678:16, UdpLen:16, 0:16,
      Payload/binary>>.

%% @doc "aa:bb:cc:dd:ee:ff" as six bytes.
mac(S) ->
    list_to_binary([list_to_integer(H, 16) || H <- string:lexemes(S, ":")]).

%%--------------------------------------------------------------------
%% Statistics

%% @doc `epcap:stats/1' once the counters stop moving (the kernel has
%% settled): two readings `?SETTLE_MS' apart that agree; after fifty
%% readings, the last. The quiet period is the condition itself, so it is
%% the one fixed wait of this module.
settled_stats(Pid) ->
    {ok, S} = epcap:stats(Pid),
    settled_stats(Pid, S, 50).

settled_stats(_, Last, 0) ->
    Last;
settled_stats(Pid, Last, Tries) ->
    receive after ?SETTLE_MS -> ok end,
    case epcap:stats(Pid) of
        {ok, Last} -> Last;
        {ok, New} -> settled_stats(Pid, New, Tries - 1)
    end.

%%--------------------------------------------------------------------
%% Capture files

%% @doc Run epcap with `Opts' (which name a file) to its end:
%% `{Packets, After}', Packets as `{DLT, Time, Len, Data}' and After
%% whatever reached this process after `{epcap, eof}' until the epcap
%% process exited (normally, or the case fails).
file_capture(Opts) ->
    {ok, Pid} = epcap:start_link(Opts),
    Ref = monitor(process, Pid),
    Packets = file_packets(),
    receive
        {'DOWN', Ref, process, Pid, normal} -> ok;
        {'DOWN', Ref, process, Pid, Reason} -> ct:fail({epcap_exit, Reason})
    after 30000 -> ct:fail({epcap_still_running, Pid})
    end,
    {Packets, drain_messages()}.

%% @doc The packets that arrive until `{epcap, eof}', in order.
file_packets() ->
    file_packets([]).

file_packets(Acc) ->
    receive
        {packet, DLT, Time, Len, Data} -> file_packets([{DLT, Time, Len, Data} | Acc]);
        {epcap, eof} -> lists:reverse(Acc)
    after 30000 -> ct:fail({no_eof, length(Acc)})
    end.

%% @doc Every epcap message already in the mailbox.
drain_messages() ->
    receive
        {packet, _, _, _, _} = M -> [M | drain_messages()];
        {epcap_batch, _, _} = M -> [M | drain_messages()];
        {epcap, _} = M -> [M | drain_messages()]
    after 0 -> []
    end.

%% @doc What tcpdump reads from `File' with extra `Args' (a filter):
%% `[{NanoTime, Len, Data}]'. Its output goes to a file in `Dir'.
tcpdump_read(Dir, File, Args) ->
    Out = filename:join(Dir, "tcpdump-" ++
                        integer_to_list(erlang:unique_integer([positive]))),
    {0, _} = epcap_test_lib:run("tcpdump",
                 ["--time-stamp-precision=nano", "-r", File, "-w", Out | Args],
                 30000),
    {ok, #{precision := nano, packets := Ps}} = epcap_samplegen:read(Out),
    ok = file:delete(Out),
    [{S * 1000000000 + F, L, D} || {S, F, L, D} <- Ps].
