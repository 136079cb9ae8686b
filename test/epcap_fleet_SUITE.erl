%% @doc A fleet's capture in one file (epcap_fleet): captures on two peer
%% nodes (OTP `peer', this machine) feed one process here, which writes
%% one pcapng file; tshark reads it with both interfaces, named by node,
%% every packet once and in time order.
%%
%% Each peer captures lo with a filter on a UDP port of its own; this
%% node sends datagrams to the two ports in turn, each carrying its
%% sequence number. The test node must be distributed: init_per_suite
%% starts epmd and distribution (short names) when needed, and stops what
%% it started. Needs root (live captures): skipped otherwise, a failure
%% under CI=true.
-module(epcap_fleet_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([two_nodes_one_file/1, a_node_down_leaves_the_other/1]).

-define(PER_NODE, 500).
-define(WAIT_MS, 20000).

suite() ->
    [{timetrap, {minutes, 2}}].

all() ->
    [two_nodes_one_file, a_node_down_leaves_the_other].

init_per_suite(Config) ->
    case epcap_test_lib:require_root(Config) of
        {skip, _} = Skip ->
            Skip;
        Config1 ->
            os:find_executable("tshark") =/= false orelse ct:fail({not_installed, tshark}),
            case node() of
                nonode@nohost ->
                    {0, _} = epcap_test_lib:run("epmd", ["-daemon"]),
                    Name = list_to_atom("epcap_fleet_f19_" ++ os:getpid()),
                    {ok, _} = net_kernel:start([Name, shortnames]),
                    [{started_distribution, true} | Config1];
                _ ->
                    Config1
            end
    end.

end_per_suite(Config) ->
    proplists:get_value(started_distribution, Config, false) andalso
        net_kernel:stop(),
    ok.

init_per_testcase(_Case, Config) ->
    Peers = [start_peer() || _ <- [a, b]],
    File = filename:join(?config(priv_dir, Config), "fleet.pcapng"),
    [{peers, Peers}, {file, File} | Config].

end_per_testcase(_Case, Config) ->
    [catch peer:stop(P) || {P, _} <- ?config(peers, Config)],
    ok.

start_peer() ->
    Cookie = atom_to_list(erlang:get_cookie()),
    Code = lists:append([["-pa", filename:dirname(code:which(M))]
                         || M <- [epcap, ?MODULE]]),
    {ok, Peer, Node} = peer:start(#{name => peer:random_name("epcap_f19_fleet"),
                                    exec => os:find_executable("erl"),
                                    args => ["-setcookie", Cookie | Code],
                                    wait_boot => 30000}),
    {Peer, Node}.

%% Both nodes' packets in one file, each on its node's interface, all of
%% them, once, in time order; statistics blocks for both.
two_nodes_one_file(Config) ->
    [{_, A}, {_, B}] = ?config(peers, Config),
    File = ?config(file, Config),
    {PA, PB} = {epcap_test_packets:random_port(), epcap_test_packets:random_port() + 1},
    {ok, F} = start_fleet(File, [{A, PA}, {B, PB}]),
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    [begin
         ok = gen_udp:send(S, {127, 0, 0, 1}, PA, <<"a", I:32>>),
         ok = gen_udp:send(S, {127, 0, 0, 1}, PB, <<"b", I:32>>),
         %% In slices of 50 pairs, each once the fleet has the one
         %% before: lo's input backlog (netdev_max_backlog) never fills.
         I rem 50 =:= 0 andalso wait_written(F, 2 * I)
     end || I <- lists:seq(1, ?PER_NODE)],
    gen_udp:close(S),
    wait_written(F, 2 * ?PER_NODE),
    {ok, St} = epcap_fleet:stats(F),
    ct:log("fleet: ~p", [St]),
    ok = epcap_fleet:stop(F),
    Rows = tshark(File),
    NameA = atom_to_list(A) ++ "/lo",
    NameB = atom_to_list(B) ++ "/lo",
    ?assertEqual(lists:sort([NameA, NameB]), lists:usort([N || {N, _, _, _} <- Rows])),
    Seqs = fun(Name, Port) -> [Seq || {N, _, P, Seq} <- Rows, N =:= Name, P =:= Port] end,
    ?assertEqual(lists:seq(1, ?PER_NODE), Seqs(NameA, PA)),
    ?assertEqual(lists:seq(1, ?PER_NODE), Seqs(NameB, PB)),
    ?assertEqual(2 * ?PER_NODE, length(Rows)),
    Times = [T || {_, T, _, _} <- Rows],
    ?assertEqual(Times, lists:sort(Times)),
    ?assertEqual(0, maps:get(late, St)),
    %% An Interface Statistics Block per node: capinfos reads them.
    Info = os:cmd("capinfos " ++ File ++ " 2>/dev/null"),
    ct:log("capinfos: ~s", [Info]),
    ?assertNotEqual(nomatch, string:find(Info, "Number of interfaces in file: 2")).

%% One node goes down mid-run: the other's packets go on into the file,
%% and stats say which source is down.
a_node_down_leaves_the_other(Config) ->
    [{PeerA, A}, {_, B}] = ?config(peers, Config),
    File = ?config(file, Config),
    {PA, PB} = {epcap_test_packets:random_port(), epcap_test_packets:random_port() + 1},
    {ok, F} = start_fleet(File, [{A, PA}, {B, PB}]),
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    Send = fun(Port, Seqs) -> [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<"x", I:32>>)
                               || I <- Seqs] end,
    _ = Send(PA, lists:seq(1, 10)),
    _ = Send(PB, lists:seq(1, 10)),
    wait_written(F, 20),
    peer:stop(PeerA),
    NameA = atom_to_list(A) ++ "/lo",
    wait_down(F, NameA),
    _ = Send(PB, lists:seq(11, 20)),
    wait_written(F, 30),
    ok = epcap_fleet:stop(F),
    gen_udp:close(S),
    Rows = tshark(File),
    NameB = atom_to_list(B) ++ "/lo",
    ?assertEqual(lists:seq(1, 20), [Seq || {N, _, _, Seq} <- Rows, N =:= NameB]),
    ?assertEqual(lists:seq(1, 10), [Seq || {N, _, _, Seq} <- Rows, N =:= NameA]).

%%--------------------------------------------------------------------

%% Each node captures lo for its own port only (a source's own options).
start_fleet(File, NodePorts) ->
    Sources = [{N, "lo", [{filter, "udp and dst port " ++ integer_to_list(P)}]}
               || {N, P} <- NodePorts],
    epcap_fleet:start_link(File, Sources, [{hold, 100}]).

%% Until the fleet has written or buffered Want packets.
wait_written(F, Want) ->
    epcap_test_lib:wait_until({written, Want}, fun() ->
        {ok, #{written := W, buffered := B}} = epcap_fleet:stats(F),
        W + B >= Want orelse {false, {written, W, buffered, B}}
    end, ?WAIT_MS).

%% Until the fleet says the source Name is down.
wait_down(F, Name) ->
    epcap_test_lib:wait_until({down, Name}, fun() ->
        {ok, #{sources := S}} = epcap_fleet:stats(F),
        maps:get(Name, S) =:= down
    end, ?WAIT_MS).

%% {InterfaceName, EpochNs, DstPort, Seq} per packet, in file order.
tshark(File) ->
    Out = os:cmd("tshark -r " ++ File ++ " -T fields -e frame.interface_name "
                 "-e frame.time_epoch -e udp.dstport -e data.data 2>/dev/null"),
    ct:log("tshark: ~s", [string:slice(Out, 0, 2000)]),
    [begin
         [Name, T, P, Hex] = string:lexemes(L, "\t"),
         <<_:8, Seq:32>> = binary:decode_hex(list_to_binary(Hex)),
         {Name, T, list_to_integer(P), Seq}
     end || L <- string:lexemes(Out, "\n")].
