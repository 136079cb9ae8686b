%% Captures on another node: `{node, Node}' starts the port on Node while
%% the owner, and the packets, stay on this node.
%%
%% Each case starts a fresh peer node (OTP `peer') with the project's
%% ebin, examples and test directories on its code path, so it can run
%% priv/epcap and this suite's helpers. The test node must be
%% distributed: ct_run usually is not, so init_per_suite starts epmd and
%% distribution (short names) when needed, and stops what it started.
%%
%% Cases: a counted burst sent on the peer arrives whole, in order, at
%% the owner here, with the port's statistics agreeing; the port runs on
%% the peer (a descendant of the peer's OS process); when the peer goes
%% down (stopped, or killed) the linked caller gets `noconnection', a
%% monitor gets DOWN, and the port dies with its node; when the owner
%% here dies, the port on the peer stops; bad options, bad filters,
%% unknown interfaces, an unknown node and a node without epcap's code
%% all return `{error, _}' without an exit signal or a crash.
-module(epcap_dist_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, groups/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_group/2, end_per_group/2,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    burst_arrives_at_remote_owner/1,
    port_runs_on_the_peer/1,
    node_down_linked_caller/1,
    node_killed_monitor/1,
    owner_death_stops_remote_port/1,
    bad_option_across_nodes/1,
    capture_errors_across_nodes/1,
    unknown_node/1,
    node_without_epcap/1
]).
%% Run on the peer through rpc.
-export([send_burst/4]).

-define(BURST, 5000).
%% How long a node's death may take to reach the owner.
-define(DOWN_MS, 5000).

suite() ->
    [{timetrap, {seconds, 120}}].

all() ->
    [{group, remote}, {group, live}].

groups() ->
    [{remote, [], [bad_option_across_nodes, unknown_node, node_without_epcap]},
     {live, [], [burst_arrives_at_remote_owner, port_runs_on_the_peer,
                 node_down_linked_caller, node_killed_monitor,
                 owner_death_stops_remote_port, capture_errors_across_nodes]}].

init_per_suite(Config) ->
    case node() of
        nonode@nohost ->
            {0, _} = epcap_test_lib:run("epmd", ["-daemon"]),
            Name = list_to_atom("epcap_dist_" ++ integer_to_list(erlang:unique_integer([positive]))
                                ++ "_" ++ os:getpid()),
            {ok, _} = net_kernel:start([Name, shortnames]),
            [{started_distribution, true} | Config];
        _ ->
            Config
    end.

end_per_suite(Config) ->
    proplists:get_value(started_distribution, Config, false) andalso
        net_kernel:stop(),
    ok.

init_per_group(live, Config) ->
    epcap_test_lib:require_root(Config);
init_per_group(_, Config) ->
    Config.

end_per_group(_, _Config) ->
    ok.

init_per_testcase(node_without_epcap, Config) ->
    start_peer([], Config);
init_per_testcase(unknown_node, Config) ->
    Config;
init_per_testcase(_Case, Config) ->
    start_peer(code_args(), Config).

end_per_testcase(_Case, Config) ->
    stop_linked_remote_epcaps(),
    case proplists:get_value(peer, Config) of
        undefined -> ok;
        Peer -> catch peer:stop(Peer)
    end,
    ok.

%%--------------------------------------------------------------------
%% Peers

%% The project's code on the peer: ebin (epcap, and through it
%% priv/epcap), the examples and this directory.
code_args() ->
    lists:append([["-pa", filename:dirname(code:which(M))]
                  || M <- [epcap, epcap_samplegen, ?MODULE]]).

%% Not linked: a case that stops its peer must not get an exit signal
%% from the peer's control process, and a peer left behind by a crashed
%% case halts when this node goes (its connection is distribution).
start_peer(CodeArgs, Config) ->
    Cookie = atom_to_list(erlang:get_cookie()),
    {ok, Peer, Node} = peer:start(#{name => peer:random_name(?MODULE),
                                    exec => os:find_executable("erl"),
                                    args => ["-setcookie", Cookie | CodeArgs],
                                    wait_boot => 30000}),
    [{peer, Peer}, {node, Node} | Config].

%% What a failed case left linked here: the remote epcap processes (no
%% other remote process is ever linked to a case). Unlinked first, so
%% the peer's stop cannot send this process an exit signal.
stop_linked_remote_epcaps() ->
    {links, Links} = process_info(self(), links),
    [begin unlink(P), catch epcap:stop(P) end
     || P <- Links, is_pid(P), node(P) =/= node()],
    ok.

%% The peer's OS pid.
peer_os_pid(Node) ->
    list_to_integer(erpc:call(Node, os, getpid, [])).

%%--------------------------------------------------------------------
%% Helpers

%% A UDP socket on the peer to receive the burst, so the datagrams are
%% delivered rather than answered by ICMP; its port, and its owner (a
%% process on the peer that keeps it open until told to stop, and says
%% when asked how many have arrived).
peer_sink(Node) ->
    Self = self(),
    Pid = erlang:spawn(Node, fun() ->
        {ok, S} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {active, false},
                                   {recbuf, 1 bsl 20}]),
        {ok, Port} = inet:port(S),
        Self ! {sink, self(), Port},
        sink_loop(S)
    end),
    receive {sink, Pid, Port} -> {Pid, Port}
    after 10000 -> ct:fail(no_sink_on_peer)
    end.

%% On the peer: `{drain, From, K}' is answered once K more datagrams
%% have arrived (`ok'), or with why they did not.
sink_loop(S) ->
    receive
        {drain, From, K} ->
            From ! {drained, self(), recv_n(S, K)},
            sink_loop(S);
        stop ->
            gen_udp:close(S)
    end.

recv_n(_, 0) ->
    ok;
recv_n(S, K) ->
    case gen_udp:recv(S, 0, 5000) of
        {ok, _} -> recv_n(S, K - 1);
        {error, Why} -> {error, Why, K}
    end.

filter(Port) ->
    "udp and dst port " ++ integer_to_list(Port).

%% Runs on the peer: N datagrams to the sink's Port, each carrying the
%% tag and its sequence number, in slices of 100, each once the sink has
%% the one before, so the CPU's input backlog on lo (netdev_max_backlog,
%% 1000) never overflows before the capture point. Returns how many went.
send_burst(Sink, Port, N, Tag) ->
    {ok, S} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {sndbuf, 1 bsl 20}]),
    send_slices(S, Sink, Port, Tag, 1, N),
    gen_udp:close(S),
    N.

send_slices(_, _, _, _, From, N) when From > N ->
    ok;
send_slices(S, Sink, Port, Tag, From, N) ->
    To = min(N, From + 99),
    [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<Tag/binary, Seq:32>>)
     || Seq <- lists:seq(From, To)],
    Sink ! {drain, self(), To - From + 1},
    receive {drained, Sink, ok} -> ok
    after 10000 -> exit(sink_got_nothing)
    end,
    send_slices(S, Sink, Port, Tag, To + 1, N).

%% Up to N packets, `{Dlt, Time, Len, Frame}', within Ms in all.
collect(N, Ms) ->
    [{Dlt, Time, Len, Frame}
     || {packet, Dlt, Time, Len, Frame} <- epcap_test_packets:collect(N, Ms)].

no_exit_signal() ->
    receive
        {'EXIT', _, _} = E -> ct:fail({unexpected_exit_signal, E})
    after 200 -> ok
    end.

linked_to(Pid) ->
    {links, Links} = process_info(self(), links),
    lists:member(Pid, Links).

%%--------------------------------------------------------------------
%% Delivery

%% Every datagram of the burst, sent on the peer and captured there,
%% reaches the owner here, once and in order; the port's counters say
%% the same.
burst_arrives_at_remote_owner(Config) ->
    Node = ?config(node, Config),
    {Sink, Port} = peer_sink(Node),
    %% A small snaplen: in immediate mode libpcap sizes each ring frame
    %% for lo's 64 KiB MTU, so the default ring holds only 512 frames,
    %% 256 datagrams on lo (each is seen going out and coming in), and a
    %% port descheduled for a moment on a busy machine would lose part
    %% of the burst in the kernel. This case is about distribution.
    {ok, Pid} = epcap:start_link([{node, Node}, {interface, <<"lo">>},
                                  {filter, filter(Port)}, {snaplen, 256}]),
    ?assertEqual(Node, node(Pid)),
    Tag = rand:bytes(8),
    ?BURST = erpc:call(Node, ?MODULE, send_burst, [Sink, Port, ?BURST, Tag],
                       60000),
    Got = collect(?BURST, 30000),
    Seqs = [begin
                #{dport := Port, payload := <<Tag:8/binary, Seq:32>>} =
                    epcap_test_packets:udp(Frame),
                ?assertEqual(byte_size(Frame), Len),
                Seq
            end || {1, _Time, Len, Frame} <- Got],
    S = epcap_test_packets:settled_stats(Pid),
    ct:pal("burst of ~b through ~p: got ~b, stats ~p", [?BURST, Node, length(Got), S]),
    ?assertEqual(length(Got), length(Seqs), not_all_udp_on_ethernet),
    ?assertEqual(lists:seq(1, ?BURST), Seqs),
    ?assertEqual([], collect(1, 200)),
    ?assertMatch(#{dropped := 0, ifdropped := 0, delivered := ?BURST,
                   owner_delivered := ?BURST, held := 0}, S),
    %% On lo the kernel counts each packet twice, going out and coming
    %% in; libpcap drops the outgoing copy in user space, after the
    %% kernel counted it.
    #{received := R} = S,
    ?assert(R =:= ?BURST orelse R =:= 2 * ?BURST, {received, R}),
    ok = epcap:stop(Pid),
    Sink ! stop.

%% The port is a descendant of the peer's VM, not of this one, and it
%% is gone when stop/1 returns.
port_runs_on_the_peer(Config) ->
    Node = ?config(node, Config),
    {ok, Pid} = epcap:start_link([{node, Node}, {interface, "lo"}, {filter, "udp port 9"}]),
    {ok, #{os_pid := OsPid, source := live}} = epcap:info(Pid),
    PeerOs = peer_os_pid(Node),
    Ancestors = epcap_test_lib:ancestors(OsPid),
    ?assert(lists:member(PeerOs, Ancestors), {ancestors, Ancestors, peer, PeerOs}),
    ok = epcap:stop(Pid),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 2000)).

%%--------------------------------------------------------------------
%% Failures of a node

%% A clean stop of the peer: the linked caller (trapping exits) gets
%% noconnection in bounded time, and the port does not outlive its node.
node_down_linked_caller(Config) ->
    Node = ?config(node, Config),
    process_flag(trap_exit, true),
    {ok, Pid} = epcap:start_link([{node, Node}, {interface, "lo"}, {filter, "udp port 9"}]),
    ?assert(linked_to(Pid)),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    T0 = erlang:monotonic_time(millisecond),
    ok = peer:stop(?config(peer, Config)),
    receive
        {'EXIT', Pid, Why} -> ?assertEqual(noconnection, Why)
    after ?DOWN_MS -> ct:fail(no_exit_signal_from_remote_epcap)
    end,
    ct:pal("noconnection after ~b ms", [erlang:monotonic_time(millisecond) - T0]),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, ?DOWN_MS)).

%% The peer's VM killed outright: a monitor (from a start without link)
%% says noconnection, and the port, whose parent died, exits too.
node_killed_monitor(Config) ->
    Node = ?config(node, Config),
    {ok, Pid} = epcap:start([{node, Node}, {interface, "lo"}, {filter, "udp port 9"}]),
    ?assertNot(linked_to(Pid)),
    Ref = monitor(process, Pid),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    PeerOs = peer_os_pid(Node),
    T0 = erlang:monotonic_time(millisecond),
    epcap_test_lib:kill("KILL", PeerOs),
    receive
        {'DOWN', Ref, process, Pid, Why} -> ?assertEqual(noconnection, Why)
    after ?DOWN_MS -> ct:fail(no_down_from_remote_epcap)
    end,
    ct:pal("DOWN after ~b ms", [erlang:monotonic_time(millisecond) - T0]),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, ?DOWN_MS)).

%% The owner here dies: the epcap process on the peer stops (normally)
%% and its port with it.
owner_death_stops_remote_port(Config) ->
    Node = ?config(node, Config),
    {Sink, Port} = peer_sink(Node),
    Self = self(),
    Owner = spawn(fun() -> receive {packet, _, _, _, _} = P -> Self ! {owner_got, P} end,
                           receive never -> ok end end),
    {ok, Pid} = epcap:start(Owner, [{node, Node}, {interface, "lo"}, {filter, filter(Port)}]),
    Ref = monitor(process, Pid),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    1 = erpc:call(Node, ?MODULE, send_burst, [Sink, Port, 1, <<"one">>]),
    receive {owner_got, {packet, 1, _, _, F}} ->
            ?assertMatch(#{payload := <<"one", 1:32>>}, epcap_test_packets:udp(F))
    after 5000 -> ct:fail(owner_got_nothing)
    end,
    exit(Owner, kill),
    receive {'DOWN', Ref, process, Pid, Why} -> ?assertEqual(normal, Why)
    after ?DOWN_MS -> ct:fail(remote_epcap_outlived_owner)
    end,
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, ?DOWN_MS)),
    Sink ! stop.

%%--------------------------------------------------------------------
%% Errors across nodes

%% Validated on the peer, returned here, with no exit signal and no link
%% left behind.
bad_option_across_nodes(Config) ->
    Node = ?config(node, Config),
    process_flag(trap_exit, true),
    ?assertEqual({error, {badarg, {snaplen, 0}}},
                 epcap:start_link([{node, Node}, {interface, "lo"}, {snaplen, 0}])),
    ?assertEqual({error, {badarg, {snaplen, "x"}}},
                 epcap:start_link([{node, Node}, {snaplen, "x"}])),
    ?assertEqual({error, {badarg, {interface, 42}}},
                 epcap:start([{node, Node}, {interface, 42}])),
    ?assertEqual({error, {badarg, {node, "not an atom"}}},
                 epcap:start_link([{node, "not an atom"}, {interface, "lo"}])),
    {links, Links} = process_info(self(), links),
    ?assertEqual([], [L || L <- Links, is_pid(L), node(L) =:= Node]),
    no_exit_signal().

%% The port's own errors, from the peer's libpcap.
capture_errors_across_nodes(Config) ->
    Node = ?config(node, Config),
    process_flag(trap_exit, true),
    ?assertMatch({error, {bad_filter, _}},
                 epcap:start_link([{node, Node}, {interface, "lo"}, {filter, "udp port"}])),
    ?assertEqual({error, {no_such_device, "epcapnosuch0"}},
                 epcap:start_link([{node, Node}, {interface, "epcapnosuch0"}])),
    no_exit_signal(),
    %% And a working start right after: the failures left nothing behind.
    {ok, Pid} = epcap:start_link([{node, Node}, {interface, "lo"}, {filter, "udp port 9"}]),
    ok = epcap:stop(Pid).

%% A node that does not exist: an error in bounded time, no crash.
unknown_node(_Config) ->
    process_flag(trap_exit, true),
    T0 = erlang:monotonic_time(millisecond),
    Result = epcap:start_link([{node, 'nosuch@nohost'}, {interface, "lo"}]),
    Took = erlang:monotonic_time(millisecond) - T0,
    ct:pal("~p in ~b ms", [Result, Took]),
    ?assertMatch({error, {node, 'nosuch@nohost', _}}, Result),
    ?assert(Took < 10000, Took),
    ?assertMatch({error, {node, 'nosuch@nohost', _}},
                 epcap:start([{node, 'nosuch@nohost'}, {interface, "lo"}])),
    no_exit_signal().

%% A node that is up but has no epcap code: an error, not a crash.
node_without_epcap(Config) ->
    Node = ?config(node, Config),
    process_flag(trap_exit, true),
    ?assertEqual(non_existing, erpc:call(Node, code, which, [epcap_port])),
    ?assertMatch({error, {node, Node, _}},
                 epcap:start_link([{node, Node}, {interface, "lo"}])),
    no_exit_signal().
