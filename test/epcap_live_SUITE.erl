%% @doc Live captures in network namespaces (needs root).
%%
%% Each case gets its own namespace and veth pair (epcap_netns), torn
%% down in end_per_testcase whatever happened. Traffic goes only to
%% loopback and to the addresses of that namespace. Every case sends its
%% traffic right after start returns: start promises the handle is active
%% and the filter set by then, so nothing may be missed.
-module(epcap_live_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([suite/0, all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    payload_integrity_in_netns/1,
    direction_out/1,
    direction_in/1,
    direction_inout/1,
    snaplen_truncates/1,
    timeout_immediate/1,
    timeout_zero/1,
    timeout_ms/1,
    timeout_infinity/1,
    time_unit_microsecond/1,
    time_unit_nanosecond/1,
    loopback_max_udp/1,
    burst_10000/1,
    burst_while_port_paused/1,
    adaptive_light_burst_light/1,
    direct_owner_reads_port/1,
    interface_without_ipv4/1
]).

-import(epcap_test_packets, [collect/2, udp/1, ts_us/1]).

-define(DLT_EN10MB, 1).
-define(BURST, 10000).

suite() ->
    [{timetrap, {seconds, 60}}].

all() ->
    [payload_integrity_in_netns, direction_out, direction_in,
     direction_inout, snaplen_truncates, timeout_immediate, timeout_zero,
     timeout_ms, timeout_infinity, time_unit_microsecond,
     time_unit_nanosecond, loopback_max_udp, burst_10000,
     burst_while_port_paused, adaptive_light_burst_light,
     direct_owner_reads_port,
     interface_without_ipv4].

init_per_suite(Config) ->
    epcap_test_lib:require_root(Config).

end_per_suite(_Config) ->
    ok.

init_per_testcase(loopback_max_udp, Config) ->
    Config;
init_per_testcase(interface_without_ipv4, Config) ->
    %% A second pair whose namespace end has no address at all; the root
    %% side resolves 10.231.X.6 to it so frames can be sent there.
    Net = epcap_netns:setup(),
    X = maps:get(x, Net),
    try epcap_netns:add_veth(Net, #{index => 1,
            root_addr => epcap_netns:addr(X, 5), ns_addr => undefined,
            ns_target => epcap_netns:addr(X, 6)}) of
        Bare -> [{net, Bare} | Config]
    catch
        C:E:St ->
            epcap_netns:teardown(Net),
            erlang:raise(C, E, St)
    end;
init_per_testcase(_Case, Config) ->
    epcap_netns:init_case(Config).

end_per_testcase(_Case, Config) ->
    epcap_netns:end_case(Config),
    epcap_test_lib:no_ports_left(1000).

%%--------------------------------------------------------------------
%% Cases

%% Frames sent from the root side arrive byte for byte in the namespace.
payload_integrity_in_netns(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)}]),
    {ok, #{datalink := ?DLT_EN10MB, source := live, os_pid := OsPid} = Info} =
        epcap:info(Pid),
    ?assertEqual(list_to_binary(maps:get(ns_if, Net)), maps:get(name, Info)),
    ?assert(is_integer(OsPid)),
    Sizes = [1, 100, 1400, 1472],
    Payloads = [rand:bytes(N) || N <- Sizes],
    Before = os:system_time(microsecond),
    send_root(Net, Port, Payloads),
    Pkts = collect(length(Payloads), 2000),
    After = os:system_time(microsecond),
    ?assertEqual(length(Payloads), length(Pkts)),
    lists:foreach(
        fun({{packet, DLT, _Time, Len, Frame}, Payload}) ->
            ?assertEqual(?DLT_EN10MB, DLT),
            ?assertEqual(Len, byte_size(Frame)),
            ?assertEqual(byte_size(Payload) + 42, Len),
            N = byte_size(Payload),
            ?assertEqual(Payload, binary:part(Frame, byte_size(Frame) - N, N)),
            #{dport := Port, payload := Payload, dst := Dst} = udp(Frame),
            ?assertEqual(epcap_test_packets:parse_ip(maps:get(ns_addr, Net)), Dst)
        end, lists:zip(Pkts, Payloads)),
    check_times([T || {packet, _, T, _, _} <- Pkts], Before, After),
    ok = epcap:stop(Pid).

%% Direction out on the root end: what we send, not what arrives.
direction_out(Config) ->
    Net = ?config(net, Config),
    {Pid, S, OutPort, InPort} = start_direction(Net, out),
    %% Unwanted first: capture is in order, so had it been captured it
    %% would come before the wanted one.
    In = send_from_ns(Net, S, InPort),
    Out = send_root_one(Net, S, OutPort),
    [P] = collect(1, 2000),
    ?assertMatch(#{dport := OutPort, payload := Out}, packet_udp(P)),
    ?assertEqual([], collect(1, 100), {in_packet_seen, In}),
    ok = epcap:stop(Pid).

%% Direction in on the root end: what arrives, not what we send.
direction_in(Config) ->
    Net = ?config(net, Config),
    {Pid, S, OutPort, InPort} = start_direction(Net, in),
    Out = send_root_one(Net, S, OutPort),
    In = send_from_ns(Net, S, InPort),
    [P] = collect(1, 2000),
    ?assertMatch(#{dport := InPort, payload := In}, packet_udp(P)),
    ?assertEqual([], collect(1, 100), {out_packet_seen, Out}),
    ok = epcap:stop(Pid).

%% Direction inout on the root end: both, in order.
direction_inout(Config) ->
    Net = ?config(net, Config),
    {Pid, S, OutPort, InPort} = start_direction(Net, inout),
    Out = send_root_one(Net, S, OutPort),
    In = send_from_ns(Net, S, InPort),
    [P1, P2] = collect(2, 2000),
    ?assertMatch(#{dport := OutPort, payload := Out}, packet_udp(P1)),
    ?assertMatch(#{dport := InPort, payload := In}, packet_udp(P2)),
    ?assertEqual([], collect(1, 100)),
    ok = epcap:stop(Pid).

snaplen_truncates(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)}, {snaplen, 100}]),
    ?assertMatch({ok, #{snaplen := 100}}, epcap:info(Pid)),
    Payload = rand:bytes(1000),
    send_root(Net, Port, [Payload]),
    [{packet, ?DLT_EN10MB, _, Len, Frame}] = collect(1, 2000),
    ?assertEqual(100, byte_size(Frame)),
    ?assertEqual(1042, Len),
    #{dport := Port, udp_len := 1008, payload := Part} = udp(Frame),
    ?assertEqual(binary:part(Payload, 0, 58), Part),
    ok = epcap:stop(Pid).

timeout_immediate(Config) ->
    timeout_delivers(?config(net, Config), immediate).

timeout_zero(Config) ->
    timeout_delivers(?config(net, Config), 0).

timeout_ms(Config) ->
    timeout_delivers(?config(net, Config), 50).

%% An infinite timeout may hold packets until a buffer fills: only start
%% and stop are checked.
timeout_infinity(Config) ->
    Net = ?config(net, Config),
    {ok, Pid} = start_ns(Net, [{filter, "udp"}, {timeout, infinity},
                               {buffer, 65536}]),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    ok = epcap:stop(Pid),
    ?assertNot(is_process_alive(Pid)),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000)).

time_unit_microsecond(Config) ->
    Ts = time_unit_times(?config(net, Config), microsecond),
    Now = os:system_time(microsecond),
    [?assert(abs(Now - T) < 5000000, {far_from_now, T, Now}) || T <- Ts],
    ok.

time_unit_nanosecond(Config) ->
    Ts = time_unit_times(?config(net, Config), nanosecond),
    Now = os:system_time(nanosecond),
    [?assert(abs(Now - T) < 5000000000, {far_from_now, T, Now}) || T <- Ts],
    %% Real nanosecond stamps, not microseconds times 1000.
    ?assertNot(lists:all(fun(T) -> T rem 1000 =:= 0 end, Ts), Ts),
    ok.

%% The largest UDP datagram on loopback arrives whole.
loopback_max_udp(_Config) ->
    R = epcap_test_packets:udp_socket("127.0.0.1"),
    {ok, Port} = inet:port(R),
    {ok, Pid} = epcap:start_link([{interface, "lo"},
                                  {filter, dport_filter(Port)}]),
    ?assertMatch({ok, #{datalink := ?DLT_EN10MB}}, epcap:info(Pid)),
    Payload = rand:bytes(65507),
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    ok = gen_udp:send(S, {127, 0, 0, 1}, Port, Payload),
    {ok, {_, _, Payload}} = gen_udp:recv(R, 0, 2000),
    [{packet, ?DLT_EN10MB, _, Len, Frame}] = collect(1, 2000),
    ?assertEqual(65507 + 28 + 14, Len),
    ?assertEqual(Len, byte_size(Frame)),
    #{dport := Port, payload := Got} = udp(Frame),
    ?assert(Got =:= Payload, payload_differs),
    ?assertEqual([], collect(1, 100)),
    ok = epcap:stop(Pid),
    gen_udp:close(S),
    gen_udp:close(R).

%% Ten thousand datagrams, every one exactly once.
burst_10000(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)}]),
    Tag = send_burst(Net, Port),
    check_burst(Pid, Tag, 20000).

%% The same burst while the port is not scheduled (stopped with SIGSTOP,
%% as a loaded machine may deschedule it): what the ring cannot hold is
%% dropped by the kernel and counted, never lost silently.
burst_while_port_paused(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)}]),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    epcap_test_lib:kill("STOP", OsPid),
    Tag =
        try
            send_burst(Net, Port)
        after
            epcap_test_lib:kill("CONT", OsPid)
        end,
    check_burst(Pid, Tag, 20000).

%% The default (adaptive, c_src/fastlane.c) across its switches: paced
%% datagrams (the immediate ring delivers), a burst (the block ring takes
%% over), paced again (back to the immediate ring), twice. Every datagram
%% exactly once and in order, or counted as dropped.
adaptive_light_burst_light(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)}]),
    Tag = rand:uniform(16#ffffffff),
    S = epcap_test_packets:udp_socket(maps:get(root_addr, Net)),
    Dst = epcap_test_packets:parse_ip(maps:get(ns_addr, Net)),
    Pad = binary:copy(<<16#a5>>, 56),
    Send = fun(Seqs, Pace) ->
        [begin
             ok = gen_udp:send(S, Dst, Port, <<Tag:32, Seq:32, Pad/binary>>),
             %% The rate is what is tested: a fixed pause makes a phase
             %% light enough for the immediate ring.
             Pace > 0 andalso timer:sleep(Pace)
         end || Seq <- Seqs]
    end,
    Paced = 50,
    Phases = [{Paced, 2}, {?BURST div 2, 0}, {Paced, 2}, {?BURST div 2, 0}, {Paced, 2}],
    Total = lists:foldl(fun({N, Pace}, Next) ->
                                Send(lists:seq(Next, Next + N - 1), Pace),
                                Next + N
                        end, 0, Phases),
    gen_udp:close(S),
    Pkts = collect(Total, 20000),
    Seqs = [Seq || P <- Pkts,
                   #{payload := <<T:32, Seq:32, _/binary>>} <- [packet_udp(P)],
                   T =:= Tag],
    St = epcap_test_packets:settled_stats(Pid),
    #{received := R, dropped := D, delivered := Dl} = St,
    Report = #{sent => Total, got => length(Pkts), stats => St},
    ct:pal("adaptive: ~p", [Report]),
    Total =:= R orelse ct:fail({kernel_saw_other_count, Report}),
    R =:= Dl + D orelse ct:fail({unaccounted, Report}),
    Dl =:= length(Pkts) orelse ct:fail({delivery_mismatch, Report}),
    Seqs =:= lists:usort(Seqs) orelse ct:fail({duplicates_or_reordered, Report}),
    %% The last paced phase came through the immediate ring again.
    Last = lists:seq(Total - Paced, Total - 1),
    Last -- Seqs =:= [] orelse ct:fail({last_phase_lost, Report}),
    ok = epcap:stop(Pid).

%% epcap:open/1 and recv/2 live: the owner owns the port; a burst larger
%% than the first credit comes through in order, every datagram delivered
%% or counted as dropped, and close/1 ends the port.
direct_owner_reads_port(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, C} = epcap:open([{exec, epcap_netns:exec(Net)},
                          {interface, maps:get(ns_if, Net)},
                          {filter, dport_filter(Port)}, {timeout, immediate}]),
    %% Sent from another process while this one reads: recv/2 is what
    %% grants the port credit, as an owner that reads all along does.
    Self = self(),
    spawn_link(fun() -> Self ! {tag, send_burst(Net, Port)} end),
    Pkts = direct_recv(C, ?BURST, []),
    Tag = receive {tag, T0} -> T0 end,
    Seqs = [Seq || P <- Pkts,
                   #{payload := <<T:32, Seq:32, _/binary>>} <- [packet_udp(P)],
                   T =:= Tag],
    {ok, #{received := R, dropped := D, delivered := Dl}} = epcap:stats(C),
    ct:pal("direct: got ~b, received ~b, dropped ~b", [length(Pkts), R, D]),
    ?assertEqual(Dl, length(Pkts)),
    ?assertEqual(R, Dl + D),
    ?assertEqual(Seqs, lists:usort(Seqs)),
    ok = epcap:close(C),
    ?assertEqual({error, timeout}, epcap:recv(C, 0)).

direct_recv(_, 0, Acc) ->
    lists:reverse(Acc);
direct_recv(C, N, Acc) ->
    case epcap:recv(C, 2000) of
        {ok, Pkts} -> direct_recv(C, max(0, N - length(Pkts)), lists:reverse(Pkts, Acc));
        {error, timeout} -> lists:reverse(Acc)
    end.

send_burst(Net, Port) ->
    Tag = rand:uniform(16#ffffffff),
    S = epcap_test_packets:udp_socket(maps:get(root_addr, Net)),
    Dst = epcap_test_packets:parse_ip(maps:get(ns_addr, Net)),
    Pad = binary:copy(<<16#a5>>, 56),
    [ok = gen_udp:send(S, Dst, Port, <<Tag:32, Seq:32, Pad/binary>>)
     || Seq <- lists:seq(0, ?BURST - 1)],
    gen_udp:close(S),
    Tag.

%% Every datagram of the burst is either delivered, exactly once and in
%% order, or counted by the kernel as dropped: the immediate-mode ring
%% (one slot per packet, 64 KiB slots on an offloading veth) can overflow
%% when the port is descheduled, and then stats must say so.
check_burst(Pid, Tag, Timeout) ->
    Pkts = collect(?BURST, Timeout),
    Seqs = [Seq || P <- Pkts,
                   #{payload := <<T:32, Seq:32, _/binary>>} <- [packet_udp(P)],
                   T =:= Tag],
    Extra = collect(1, 200),
    S = epcap_test_packets:settled_stats(Pid),
    #{received := R, dropped := D, delivered := Dl, owner_delivered := Od} = S,
    Report = #{got => length(Pkts), stats => S, extra => length(Extra)},
    ?BURST =:= R orelse ct:fail({kernel_saw_other_count, Report}),
    R =:= Dl + D orelse ct:fail({unaccounted, Report}),
    Dl =:= length(Pkts) andalso Od =:= Dl orelse ct:fail({delivery_mismatch, Report}),
    Seqs =:= lists:usort(Seqs) orelse ct:fail({duplicates_or_reordered, Report}),
    Extra =:= [] orelse ct:fail({extra_packets, Report}),
    ct:pal("burst of ~b: delivered ~b, dropped by the kernel ~b", [?BURST, Dl, D]),
    ok = epcap:stop(Pid).

%% An interface without IPv4 has no netmask; a filter still compiles and
%% the capture works.
interface_without_ipv4(Config) ->
    Net = ?config(net, Config),
    NsIf = maps:get(ns_if, Net),
    ?assertNot(epcap_netns:has_ipv4(Net, NsIf)),
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = epcap:start_link([{exec, epcap_netns:exec(Net)},
                                  {interface, NsIf}, {filter, "udp"}]),
    S = epcap_test_packets:udp_socket(maps:get(root_addr, Net)),
    Dst = epcap_test_packets:parse_ip(maps:get(ns_target, Net)),
    Payloads = [rand:bytes(N) || N <- [10, 200, 1000]],
    [ok = gen_udp:send(S, Dst, Port, P) || P <- Payloads],
    Pkts = collect(3, 2000),
    ?assertEqual(Payloads, [maps:get(payload, packet_udp(P)) || P <- Pkts]),
    [?assertEqual(Port, maps:get(dport, packet_udp(P))) || P <- Pkts],
    ok = epcap:stop(Pid),
    gen_udp:close(S).

%%--------------------------------------------------------------------
%% Helpers

start_ns(Net, Opts) ->
    epcap:start_link([{exec, epcap_netns:exec(Net)},
                      {interface, maps:get(ns_if, Net)} | Opts]).

dport_filter(Port) ->
    "udp and dst port " ++ integer_to_list(Port).

send_root(Net, Port, Payloads) ->
    S = epcap_test_packets:udp_socket(maps:get(root_addr, Net)),
    Dst = epcap_test_packets:parse_ip(maps:get(ns_addr, Net)),
    [ok = gen_udp:send(S, Dst, Port, P) || P <- Payloads],
    gen_udp:close(S).

%% Capture on the root end of the veth with a direction. Returns the
%% epcap, a root-side socket that receives what the namespace sends, the
%% port root-side sends go to and the port of that socket.
start_direction(Net, Direction) ->
    S = epcap_test_packets:udp_socket(maps:get(root_addr, Net)),
    {ok, InPort} = inet:port(S),
    OutPort = epcap_test_packets:random_port(),
    Filter = "udp and (dst port " ++ integer_to_list(OutPort) ++
        " or dst port " ++ integer_to_list(InPort) ++ ")",
    {ok, Pid} = epcap:start_link([{interface, maps:get(root_if, Net)},
                                  {direction, Direction},
                                  {filter, Filter}]),
    {Pid, S, OutPort, InPort}.

%% A datagram from the namespace to the root side's socket; returns once
%% the socket has it, so it has passed the capture point.
send_from_ns(Net, S, InPort) ->
    Payload = "in-" ++ integer_to_list(rand:uniform(1 bsl 30)),
    epcap_netns:udp_send(Net, maps:get(root_addr, Net), InPort, Payload),
    Bin = list_to_binary(Payload),
    {ok, {_, _, Bin}} = gen_udp:recv(S, 0, 2000),
    Bin.

send_root_one(Net, S, OutPort) ->
    Payload = <<"out-", (rand:bytes(16))/binary>>,
    Dst = epcap_test_packets:parse_ip(maps:get(ns_addr, Net)),
    ok = gen_udp:send(S, Dst, OutPort, Payload),
    Payload.

packet_udp({packet, ?DLT_EN10MB, _, Len, Frame}) ->
    ?assertEqual(Len, byte_size(Frame)),
    case udp(Frame) of
        not_udp -> ct:fail({not_udp, Frame});
        M -> M
    end.

timeout_delivers(Net, Timeout) ->
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)},
                               {timeout, Timeout}]),
    Payloads = [rand:bytes(N) || N <- [20, 300, 1200]],
    send_root(Net, Port, Payloads),
    Pkts = collect(3, 1000),
    ?assertEqual(Payloads, [maps:get(payload, packet_udp(P)) || P <- Pkts]),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    ok = epcap:stop(Pid),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000)).

%% Five datagrams captured with a time unit: the integer stamps, checked
%% to be monotonic.
time_unit_times(Net, Unit) ->
    Port = epcap_test_packets:random_port(),
    {ok, Pid} = start_ns(Net, [{filter, dport_filter(Port)},
                               {time_unit, Unit}]),
    Payloads = [<<I>> || I <- lists:seq(1, 5)],
    send_root(Net, Port, Payloads),
    Pkts = collect(5, 2000),
    ?assertEqual(5, length(Pkts)),
    Ts = [T || {packet, _, T, _, _} <- Pkts],
    [?assert(is_integer(T), {not_integer, T}) || T <- Ts],
    ?assertEqual(Ts, lists:sort(Ts)),
    Unit =:= nanosecond andalso
        ?assertMatch({ok, #{precision := 9}}, epcap:info(Pid)),
    ok = epcap:stop(Pid),
    Ts.

%% Timestamps are {Mega, Sec, Micro}, monotonic, and within the send
%% window (one second of slack either way).
check_times(Times, Before, After) ->
    [?assertMatch({M, S, U} when is_integer(M) andalso is_integer(S)
                  andalso is_integer(U) andalso U < 1000000, T)
     || T <- Times],
    Us = [ts_us(T) || T <- Times],
    ?assertEqual(Us, lists:sort(Us)),
    [?assert(T >= Before - 1000000 andalso T =< After + 1000000,
             {time_out_of_window, T, Before, After}) || T <- Us],
    ok.
