%% The control channel on real interfaces: injection (single, batch,
%% failures), statistics and their invariant, live filter changes, flow
%% control and bounded memory, active modes, periodic stats, and the
%% port's handling of bad input on stdin.
%%
%% Every case has its own namespace and veth pair (epcap_netns), and
%% frames are made here with an experimental EtherType (0x88B5), so no
%% other traffic ever matches the filters.
-module(epcap_control_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, groups/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    inject_arrives_byte_for_byte/1,
    inject_disabled/1,
    batch_inject_arrives/1,
    inject_failure_is_not_fatal/1,
    own_injections_not_captured/1,
    stats_invariant_after_burst/1,
    stats_invariant_batch_delivery/1,
    file_stats/1,
    set_filter/1,
    set_filter_no_stale_packets/1,
    compile_without_capture/1,
    slow_owner_bounded_memory/1,
    active_modes/1,
    periodic_stats/1,
    unknown_command_gets_reply/1,
    oversized_command_is_protocol_error/1,
    truncated_command_is_protocol_error/1
]).

-define(ETYPE, 16#88b5).

all() ->
    [{group, offline}, {group, live}].

groups() ->
    [{offline, [], [compile_without_capture, file_stats,
                    oversized_command_is_protocol_error,
                    truncated_command_is_protocol_error,
                    unknown_command_gets_reply]},
     {live, [], [inject_arrives_byte_for_byte, inject_disabled,
                 batch_inject_arrives, inject_failure_is_not_fatal,
                 own_injections_not_captured, stats_invariant_after_burst,
                 stats_invariant_batch_delivery,
                 set_filter, set_filter_no_stale_packets,
                 slow_owner_bounded_memory, active_modes, periodic_stats]}].

init_per_suite(Config) ->
    Config.

end_per_suite(_Config) ->
    ok.

init_per_testcase(Case, Config) ->
    case lists:member(Case, element(3, lists:keyfind(live, 1, groups()))) of
        false ->
            Config;
        true ->
            case epcap_test_lib:require_root(Config) of
                {skip, _} = Skip -> Skip;
                Config1 -> epcap_netns:init_case(Config1)
            end
    end.

end_per_testcase(_Case, Config) ->
    epcap_netns:end_case(Config).

%%--------------------------------------------------------------------
%% Helpers

%% An Ethernet frame from the root end to the namespace end (or back),
%% padded to the 60-byte minimum, carrying Seq and a marker byte.
frame(Dst, Src, Seq, Size) ->
    Head = <<(epcap_test_packets:mac(Dst))/binary, (epcap_test_packets:mac(Src))/binary,
             ?ETYPE:16, Seq:32>>,
    Pad = max(0, Size - byte_size(Head)),
    <<Head/binary, (binary:copy(<<16#a5>>, Pad))/binary>>.

to_ns(#{ns_mac := D, root_mac := S}, Seq, Size) -> frame(D, S, Seq, Size).
to_root(#{ns_mac := S, root_mac := D}, Seq, Size) -> frame(D, S, Seq, Size).

%% A capture inside the namespace, on its veth end.
ns_capture(Net, Extra) ->
    {ok, P} = epcap:start_link([{exec, epcap_netns:exec(Net)},
                                {interface, maps:get(ns_if, Net)} | Extra]),
    P.

root_capture(Net, Extra) ->
    {ok, P} = epcap:start_link([{interface, maps:get(root_if, Net)} | Extra]),
    P.

filter() -> "ether proto 0x88b5".

seq(<<_:12/binary, ?ETYPE:16, Seq:32, _/binary>>) -> Seq;
seq(_) -> undefined.

%% Receive until `N' packets or `Ms' of silence.
receive_packets(N, Ms) ->
    receive_packets(N, Ms, []).

receive_packets(0, _, Acc) ->
    lists:reverse(Acc);
receive_packets(N, Ms, Acc) ->
    receive
        {packet, _, _, _, P} -> receive_packets(N - 1, Ms, [P | Acc])
    after Ms -> lists:reverse(Acc)
    end.

%%--------------------------------------------------------------------
%% Injection

inject_arrives_byte_for_byte(Config) ->
    Net = ?config(net, Config),
    Rx = ns_capture(Net, [{filter, filter()}]),
    Tx = root_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    Frames = [to_ns(Net, I, Size) || {I, Size} <- lists:enumerate([60, 61, 100, 1000, 1514])],
    [ok = epcap:send(Tx, F) || F <- Frames],
    ?assertEqual(Frames, receive_packets(length(Frames), 2000)),
    {ok, #{injected := 5, inject_failed := 0}} = epcap:stats(Tx),
    %% iodata is accepted, as in the classic API.
    F9 = to_ns(Net, 9, 60),
    ok = epcap:send(Tx, [binary:part(F9, 0, 20), [binary:part(F9, 20, 40)]]),
    ?assertEqual([F9], receive_packets(1, 2000)),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

inject_disabled(Config) ->
    Net = ?config(net, Config),
    P = root_capture(Net, [{filter, filter()}]),
    ?assertEqual({error, inject_disabled}, epcap:send(P, to_ns(Net, 1, 60))),
    ?assertEqual({error, inject_disabled}, epcap:send_batch(P, [to_ns(Net, 1, 60)])),
    {ok, #{injected := 0}} = epcap:stats(P),
    ok = epcap:stop(P).

batch_inject_arrives(Config) ->
    Net = ?config(net, Config),
    N = 5000,
    Rx = ns_capture(Net, [{filter, filter()}]),
    Tx = root_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    Got = [seq(F) || F <- send_received(Tx, [to_ns(Net, I, 60)
                                              || I <- lists:seq(1, N)])],
    ?assertEqual(lists:seq(1, N), Got),
    {ok, #{injected := N}} = epcap:stats(Tx),
    %% A batch bigger than one command frame is split transparently.
    Big = [to_ns(Net, I, 1514) || I <- lists:seq(1, 3000)],
    ok = epcap:send_batch(Tx, Big),
    %% (A veth drops beyond the kernel's netdev_max_backlog of 1000 per
    %% burst, outside any capture: count what the sender's own capture
    %% could not have lost instead.)
    {ok, #{injected := Injected}} = epcap:stats(Tx),
    ?assertEqual(N + 3000, Injected),
    _ = receive_packets(3000, 1000),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

inject_failure_is_not_fatal(Config) ->
    Net = ?config(net, Config),
    Tx = root_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    TooBig = to_ns(Net, 1, 9000),
    ok = epcap:send(Tx, TooBig),
    receive
        {epcap_error, Tx, {inject_failed, Msg}} -> ?assert(length(Msg) > 0)
    after 2000 -> ct:fail(no_inject_error)
    end,
    Batch = [to_ns(Net, 1, 60), TooBig, to_ns(Net, 2, 60)],
    {error, {inject_failed, #{sent := 2, failed := 1, reason := Why}}} =
        epcap:send_batch(Tx, Batch),
    ?assert(length(Why) > 0),
    {ok, #{injected := 2, inject_failed := 2}} = epcap:stats(Tx),
    ?assert(is_process_alive(Tx)),
    ok = epcap:send(Tx, to_ns(Net, 3, 60)),
    ok = epcap:stop(Tx).

%% On Linux a packet socket never sees what it sent itself, so a port
%% that injects does not capture its own packets, while others do.
own_injections_not_captured(Config) ->
    Net = ?config(net, Config),
    Tx = root_capture(Net, [{inject, true}, {filter, filter()}]),
    Other = root_capture(Net, [{filter, filter()}]),
    ok = epcap:send_batch(Tx, [to_ns(Net, I, 60) || I <- lists:seq(1, 100)]),
    Seen = receive_packets(200, 1000),
    %% Both captures deliver to this process: only Other's copies arrive.
    ?assertEqual(100, length(Seen)),
    {ok, #{delivered := 0}} = epcap:stats(Tx),
    {ok, #{delivered := 100}} = epcap:stats(Other),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Other).

%%--------------------------------------------------------------------
%% Statistics

%% received = delivered + dropped (as the kernel counts), and delivered
%% equals what the owner actually got.
stats_invariant_after_burst(Config) ->
    burst_invariant(Config, [], fun() -> length(receive_packets(200000, 1000)) end).

%% The same with {delivery, batch}: the packets come in order, and the
%% counts are packets, not messages.
stats_invariant_batch_delivery(Config) ->
    burst_invariant(Config, [{delivery, batch}], fun() ->
        Seqs = receive_batches(1000, []),
        ?assertEqual(Seqs, lists:sort(Seqs)),
        length(Seqs)
    end).

receive_batches(Ms, Acc) ->
    receive
        {epcap_batch, _, B} ->
            receive_batches(Ms, epcap:batch_fold(
                fun({packet, 1, _, 60, P}, A) -> [seq(P) | A] end, Acc, B))
    after Ms -> lists:reverse(Acc)
    end.

burst_invariant(Config, Extra, Receive) ->
    Net = ?config(net, Config),
    N = 200000,
    Rx = root_capture(Net, [{filter, filter()} | Extra]),
    Tx = ns_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    %% Each batch restarts the sequence: number them across batches.
    [ok = epcap:send_batch(Tx, [to_root(Net, K * 1000 + I, 60) || I <- lists:seq(1, 1000)])
     || K <- lists:seq(0, N div 1000 - 1)],
    Got = Receive(),
    S = epcap_test_packets:settled_stats(Rx),
    ct:pal("burst of ~b: owner got ~b, stats ~p", [N, Got, S]),
    #{received := R, dropped := D, delivered := Dl, owner_delivered := Od} = S,
    ?assertEqual(R, Dl + D),
    ?assertEqual(Got, Dl),
    ?assertEqual(Got, Od),
    ?assertEqual(N, R),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

file_stats(Config) ->
    File = filename:join(?config(priv_dir, Config), "stats.pcap"),
    ok = epcap_samplegen:write_synthetic(File, 300000, 60, #{}),
    {ok, P} = epcap:start_link([{file, File}, {active, false}]),
    {ok, S} = epcap:stats(P),
    %% A file has no kernel counters; the port's own apply.
    ?assertNot(maps:is_key(received, S)),
    ?assertMatch(#{delivered := _, injected := 0, filter_changes := 0}, S),
    ok = epcap:stop(P).

%%--------------------------------------------------------------------
%% Filters

set_filter(Config) ->
    Net = ?config(net, Config),
    Rx = root_capture(Net, [{filter, filter()}]),
    Tx = ns_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    {error, {bad_filter, Msg}} = epcap:set_filter(Rx, "ether proto"),
    ?assert(length(Msg) > 0),
    %% The old filter stays in force.
    ok = epcap:send_batch(Tx, [to_root(Net, I, 60) || I <- [1, 2, 3]]),
    ?assertEqual([1, 2, 3], [seq(F) || F <- receive_packets(3, 1000)]),
    %% A filter on the sequence number: only even ones pass.
    ok = epcap:set_filter(Rx, <<"ether proto 0x88b5 and ether[17] & 1 = 0">>),
    ok = epcap:send_batch(Tx, [to_root(Net, I, 60) || I <- lists:seq(1, 10)]),
    ?assertEqual([2, 4, 6, 8, 10], [seq(F) || F <- receive_packets(10, 1000)]),
    {ok, #{filter_changes := 1}} = epcap:stats(Rx),
    %% Names cannot be looked up once the sandbox is closed: a clear
    %% error, and the capture goes on.
    {error, {bad_filter, "unknown port 'http'"}} = epcap:set_filter(Rx, "port http"),
    {error, {bad_filter, "unknown host" ++ _}} = epcap:set_filter(Rx, "host gw.example"),
    ?assert(is_process_alive(Rx)),
    %% An empty filter captures everything again.
    ok = epcap:set_filter(Rx, ""),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

%% Traffic of two kinds flows while the filter narrows to one: after
%% set_filter returns ok, not one packet of the other kind arrives.
set_filter_no_stale_packets(Config) ->
    Net = ?config(net, Config),
    Rx = root_capture(Net, [{filter, filter()}]),
    Tx = ns_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    Self = self(),
    Sender = spawn_link(fun() -> blast(Tx, Net, 0, Self) end),
    %% Traffic flows once the first packet comes.
    receive {packet, _, _, _, _} -> ok after 5000 -> ct:fail(no_traffic) end,
    epcap_test_packets:flush_packets(),
    ok = epcap:set_filter(Rx, "ether proto 0x88b5 and ether[17] & 1 = 0"),
    %% Packets taken before the change were sent to us before the reply,
    %% so they are all in the mailbox now: drop them.
    epcap_test_packets:flush_packets(),
    %% Traffic goes on under the new filter until a hundred have come.
    Under = receive_packets(100, 5000),
    Sender ! stop,
    receive {blasted, _} -> ok after 5000 -> ct:fail(sender_stuck) end,
    After = [seq(F) || F <- Under ++ receive_packets(1000000, 500)],
    ?assert(length(After) > 0),
    ?assertEqual([], [S || S <- After, S rem 2 =:= 1]),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

%% A veth queues at most netdev_max_backlog (1000) frames per CPU before
%% the receiving side runs: send in slices a veth can take without loss,
%% each once the capture has delivered the one before. What arrived.
send_received(_, []) ->
    [];
send_received(Tx, Frames) ->
    {Now, Later} = lists:split(min(250, length(Frames)), Frames),
    ok = epcap:send_batch(Tx, Now),
    Got = receive_packets(length(Now), 2000),
    Got ++ send_received(Tx, Later).

%% Background traffic until told to stop.
blast(Tx, Net, Seq, Parent) ->
    receive
        stop -> Parent ! {blasted, Seq}
    after 0 ->
        ok = epcap:send_batch(Tx, [to_root(Net, Seq + I, 60) || I <- lists:seq(0, 99)]),
        %% The load's pace, not a wait for anything: at most a batch a
        %% millisecond keeps the load bounded on a small machine.
        timer:sleep(1),
        blast(Tx, Net, Seq + 100, Parent)
    end.

compile_without_capture(_Config) ->
    {ok, Prog} = epcap:compile("tcp port 80"),
    ?assertMatch("(000) " ++ _, hd(Prog)),
    ?assert(lists:any(fun(L) -> string:find(L, "#0x50") =/= nomatch end, Prog)),
    {ok, [_ | _]} = epcap:compile(<<"icmp">>, [{datalink, "LINUX_SLL"}]),
    {ok, [_ | _]} = epcap:compile("ip", [{datalink, 12}, {snaplen, 96}]),
    {ok, _} = epcap:compile(""),
    {error, {bad_filter, Msg}} = epcap:compile("tcp port"),
    ?assert(length(Msg) > 0),
    %% Ethernet-only primitives on a raw IP link are refused.
    {error, {bad_filter, _}} = epcap:compile("ether host 1:2:3:4:5:6", [{datalink, "RAW"}]),
    {error, {badarg, _}} = epcap:compile("ip", [{datalink, "NOSUCHTYPE"}]),
    {error, {badarg, {snaplen, 0}}} = epcap:compile("ip", [{snaplen, 0}]).

%%--------------------------------------------------------------------
%% Flow control

%% An owner that sleeps while a burst arrives: the VM stays bounded,
%% the kernel counts the drops, and delivery resumes afterwards.
slow_owner_bounded_memory(Config) ->
    Net = ?config(net, Config),
    Self = self(),
    Mem0 = erlang:memory(total),
    Owner = spawn_link(fun() -> sleepy_owner(Self) end),
    {ok, Rx} = epcap:start_link(Owner, [{interface, maps:get(root_if, Net)},
                                        {filter, filter()}]),
    Tx = ns_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    Frames = [to_root(Net, I, 1000) || I <- lists:seq(1, 1000)],
    %% 500 MB of frames while the owner sleeps.
    Peak = burst(Tx, Frames, 500, Mem0),
    ct:pal("memory before ~b, peak growth ~b bytes", [Mem0, Peak]),
    ?assert(Peak < 100 * 1024 * 1024),
    Owner ! wake,
    receive {woke, Count} -> ct:pal("owner got ~b after waking", [Count])
    after 30000 -> ct:fail(owner_never_caught_up)
    end,
    S = epcap_test_packets:settled_stats(Rx),
    ct:pal("stats ~p", [S]),
    ?assert(maps:get(dropped, S) > 0),
    ?assert(maps:get(credit_stalls, S) > 0),
    %% Capture resumes: new packets arrive.
    Owner ! {count_new, self()},
    ok = epcap:send_batch(Tx, [to_root(Net, I, 60) || I <- lists:seq(1, 100)]),
    receive {new, 100} -> ok
    after 5000 -> ct:fail(capture_did_not_resume)
    end,
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

burst(_, _, 0, _) ->
    0;
burst(Tx, Frames, K, Mem0) ->
    ok = epcap:send_batch(Tx, Frames),
    max(erlang:memory(total) - Mem0, burst(Tx, Frames, K - 1, Mem0)).

sleepy_owner(Parent) ->
    receive wake -> ok end,
    Parent ! {woke, drain_count(0)},
    receive {count_new, From} -> From ! {new, count_new(0)} end.

drain_count(N) ->
    receive {packet, _, _, _, _} -> drain_count(N + 1) after 500 -> N end.

count_new(100) -> 100;
count_new(N) ->
    receive {packet, _, _, _, _} -> count_new(N + 1) after 3000 -> N end.

active_modes(Config) ->
    Net = ?config(net, Config),
    Rx = root_capture(Net, [{filter, filter()}, {active, 3}]),
    Tx = ns_capture(Net, [{inject, true}, {filter, "ether proto 0x1"}]),
    ok = epcap:send_batch(Tx, [to_root(Net, I, 60) || I <- lists:seq(1, 10)]),
    ?assertEqual([1, 2, 3], [seq(F) || F <- receive_packets(10, 500)]),
    receive {epcap_passive, Rx} -> ok after 1000 -> ct:fail(no_passive) end,
    {ok, #{held := 7}} = epcap:stats(Rx),
    ok = epcap:setopts(Rx, [{active, once}]),
    ?assertEqual([4], [seq(F) || F <- receive_packets(10, 300)]),
    receive {epcap_passive, Rx} -> ok after 1000 -> ct:fail(no_passive) end,
    ok = epcap:setopts(Rx, [{active, true}]),
    ?assertEqual(lists:seq(5, 10), [seq(F) || F <- receive_packets(10, 500)]),
    ok = epcap:setopts(Rx, [{active, false}]),
    ok = epcap:send_batch(Tx, [to_root(Net, I, 60) || I <- lists:seq(11, 12)]),
    ?assertEqual([], receive_packets(10, 300)),
    {error, {badarg, {active, 0}}} = epcap:setopts(Rx, [{active, 0}]),
    ok = epcap:setopts(Rx, [{active, true}]),
    ?assertEqual([11, 12], [seq(F) || F <- receive_packets(10, 500)]),
    ok = epcap:stop(Tx),
    ok = epcap:stop(Rx).

periodic_stats(Config) ->
    Net = ?config(net, Config),
    Rx = root_capture(Net, [{filter, filter()}, {stats_interval, 100}]),
    Stats = [receive {epcap_stats, Rx, S} -> S after 1000 -> ct:fail(no_stats) end
             || _ <- lists:seq(1, 3)],
    [?assertMatch(#{received := _, dropped := _, delivered := _}, S) || S <- Stats],
    ok = epcap:stop(Rx).

%%--------------------------------------------------------------------
%% Bad input on stdin, straight to the port program

raw_port(Config, Opts) ->
    File = filename:join(?config(priv_dir, Config), "raw.pcap"),
    ok = epcap_samplegen:write_synthetic(File, 10, 60, #{}),
    %% --credit 0: the port reads nothing, so it waits for commands.
    open_port({spawn_executable, epcap_opts:default_progname()},
              [{args, ["--credit", "0", "-r", File]}, exit_status, binary,
               stderr_to_stdout | Opts]).

unknown_command_gets_reply(Config) ->
    Port = raw_port(Config, [{packet, 4}]),
    <<1, _/binary>> = recv_frame(Port),
    true = port_command(Port, <<99, 42:32, "junk">>),
    %% REPLY, id 42, code unknown_command; the port carries on.
    <<6, 42:32, 14:16, _/binary>> = recv_frame(Port),
    true = port_command(Port, <<5, 7:32>>),
    <<6, 7:32, 0:16, _/binary>> = recv_frame(Port),
    port_close(Port).

oversized_command_is_protocol_error(Config) ->
    Port = raw_port(Config, []),
    true = port_command(Port, <<16#7fffffff:32, 1, 0:32>>),
    {Status, Out} = exit_and_output(Port),
    ?assertEqual(65, Status),
    ?assertNotEqual(nomatch, string:find(Out, "protocol error")).

truncated_command_is_protocol_error(Config) ->
    Port = raw_port(Config, []),
    true = port_command(Port, <<0, 0, 0, 20, 5, 0, 0>>),
    %% Closing stdin mid-frame.
    {os_pid, OsPid} = erlang:port_info(Port, os_pid),
    port_close(Port),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 2000)).

recv_frame(Port) ->
    receive
        {Port, {data, F}} -> F;
        {Port, {exit_status, S}} -> ct:fail({exited, S})
    after 5000 -> ct:fail(no_frame)
    end.

exit_and_output(Port) ->
    exit_and_output(Port, []).

exit_and_output(Port, Acc) ->
    receive
        {Port, {data, D}} -> exit_and_output(Port, [D | Acc]);
        {Port, {exit_status, S}} ->
            {S, binary_to_list(iolist_to_binary(lists:reverse(Acc)))}
    after 5000 -> ct:fail(port_did_not_exit)
    end.
