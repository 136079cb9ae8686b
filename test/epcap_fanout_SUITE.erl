%% @doc Fan-out groups (epcap_fanout, c_src/fanout.c) on a veth in a
%% network namespace of this suite's own (names with "f19").
%%
%% The members capture on the namespace's end of the pair (the port runs
%% there through `{exec, "ip netns exec NS"}'); the traffic is UDP sent
%% from this VM on the root end, many flows (one source port each) to an
%% address that only a permanent neighbour entry knows: the namespace end
%% has no address, so its stack drops the datagrams without an answer
%% and nothing but this traffic crosses the pair (no ARP, no ICMP, no
%% IPv6). Each datagram carries its flow and sequence number.
%%
%% Checked: across a group every datagram is delivered once (none
%% repeated, none lost), each flow on one member in hash mode, an even
%% spread in lb mode, the members' counters adding up to what was sent,
%% a member killed mid-run leaving the others capturing (and stats
%% saying so), and a group started as `nobody' through a file-capability
%% install. Every wait is for a condition, bounded.
%%
%% Needs root (namespaces, setcap, setpriv): skipped otherwise, a failure
%% under CI=true.
-module(epcap_fanout_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([hash_group_of_2/1, hash_group_of_4/1, lb_group_of_4/1,
         other_modes_once/1, set_filter_on_every_member/1,
         member_killed_mid_run/1, group_without_root/1,
         adaptive_default_once/1, bad_fanout_options/1]).

-define(FLOWS, 64).
-define(PER_FLOW, 40).
-define(NOBODY, epcap_test_install:as_user("nobody", "nogroup", clear)).
-define(WAIT_MS, 20000).

suite() ->
    [{timetrap, {minutes, 3}}].

all() ->
    [bad_fanout_options, hash_group_of_2, hash_group_of_4, lb_group_of_4,
     other_modes_once, set_filter_on_every_member, adaptive_default_once, member_killed_mid_run, group_without_root].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config) ->
    case epcap_test_lib:require_root(Config) of
        {skip, _} = Skip -> Skip;
        Config1 -> [{net, net_setup()} | Config1]
    end.

end_per_suite(Config) ->
    net_teardown(?config(net, Config)),
    case ?config(caps_dir, Config) of
        "/tmp/epcap-f19-fanout." ++ _ = Dir -> epcap_test_lib:run("rm", ["-rf", Dir]);
        _ -> ok
    end,
    ok.

init_per_testcase(_Case, Config) ->
    Config.

end_per_testcase(_Case, _Config) ->
    ok.

%% A namespace f19-fan-HEX; a veth pair f19rHEX (here, 10.219.X.1/29) and
%% f19nHEX (there, no address); 10.219.X.5 resolves permanently to the
%% far end's MAC.
net_setup() ->
    Hex = lists:flatten(io_lib:format("~4.16.0b", [rand:uniform(16#10000) - 1])),
    Ns = "f19-fan-" ++ Hex,
    R = "f19r" ++ Hex,
    N = "f19n" ++ Hex,
    X = integer_to_list(rand:uniform(250)),
    Net = #{ns => Ns, root_if => R, ns_if => N,
            root_addr => "10.219." ++ X ++ ".1",
            target => "10.219." ++ X ++ ".5"},
    try
        ok_run("ip", ["netns", "add", Ns]),
        ok_run("ip", ["link", "add", R, "type", "veth", "peer", "name", N,
                      "netns", Ns]),
        _ = epcap_test_lib:run("sysctl", ["-qw", "net.ipv6.conf." ++ R ++ ".disable_ipv6=1"]),
        _ = epcap_test_lib:run("ip", ["netns", "exec", Ns, "sysctl", "-qw",
                                      "net.ipv6.conf." ++ N ++ ".disable_ipv6=1"]),
        ok_run("ip", ["addr", "add", maps:get(root_addr, Net) ++ "/29", "dev", R]),
        ok_run("ip", ["link", "set", R, "up"]),
        ok_run("ip", ["netns", "exec", Ns, "ip", "link", "set", N, "up"]),
        Mac = string:trim(ok_run("ip", ["netns", "exec", Ns, "cat",
                                        "/sys/class/net/" ++ N ++ "/address"])),
        ok_run("ip", ["neigh", "replace", maps:get(target, Net), "lladdr", Mac,
                      "dev", R, "nud", "permanent"]),
        Net
    catch
        C:E:St ->
            net_teardown(Net),
            erlang:raise(C, E, St)
    end.

net_teardown(#{ns := Ns, root_if := R}) ->
    _ = epcap_test_lib:run("ip", ["link", "del", R]),
    _ = epcap_test_lib:run("ip", ["netns", "del", Ns]),
    ok;
net_teardown(_) ->
    ok.

ok_run(Cmd, Args) ->
    epcap_test_lib:run_ok(Cmd, Args).

%%--------------------------------------------------------------------
%% Cases

%% Bad modes and groups are badarg from Erlang before anything starts,
%% and usage errors (exit 64, the option named) from the shell.
bad_fanout_options(_Config) ->
    Bad = [#{group => 7}, #{mode => hash}, #{group => -1, mode => hash},
           #{group => 65536, mode => hash}, #{group => 1, mode => roundrobin},
           #{group => 1, mode => hash, rollover => yes},
           #{group => 1, mode => hash, extra => true}, hash, {hash, 7}],
    [?assertEqual({error, {badarg, {fanout, F}}},
                  epcap:start([{interface, "lo"}, {fanout, F}]))
     || F <- Bad],
    [?assertEqual({error, {badarg, {fanout, F}}},
                  epcap_fanout:start([self()], [{interface, "lo"}, {fanout, F}]))
     || F <- Bad],
    ?assertEqual({error, {badarg, fanout}},
                 epcap_fanout:start([self()], [{interface, "lo"}])),
    ?assertMatch({error, {badarg, {fanout, _}}},
                 epcap:start([{file, "x.pcap"},
                              {fanout, #{group => 1, mode => hash}}])),
    Prog = epcap_opts:default_progname(),
    [begin
         {Status, Out} = epcap_test_lib:run(Prog, ["-i", "lo", "--fanout", Arg]),
         ct:log("--fanout ~s: ~p ~s", [Arg, Status, Out]),
         ?assertEqual(64, Status),
         ?assertNotEqual(nomatch, string:find(Out, "--fanout"))
     end || Arg <- ["hash", "hash:", "bogus:7", "hash:65536", "hash:-1",
                    "hash:7:foo", "lb:7:"]].

hash_group_of_2(Config) ->
    group_once(Config, 2, #{mode => hash}, []).

hash_group_of_4(Config) ->
    group_once(Config, 4, #{mode => hash}, []).

%% Load balance: the kernel hands packets to the members in turn (one
%% counter per group), so the shares are even; 10% is allowed.
lb_group_of_4(Config) ->
    group_once(Config, 4, #{mode => lb}, []).

%% Every other mode and flag the kernel has: each packet to one member.
other_modes_once(Config) ->
    [group_once(Config, 2, F, [])
     || F <- [#{mode => cpu}, #{mode => rollover}, #{mode => random},
              #{mode => qm}, #{mode => hash, defrag => true},
              #{mode => lb, rollover => true}]].

%% A new filter reaches every member: traffic to the old port is no
%% longer taken, traffic to the new one is, once.
set_filter_on_every_member(Config) ->
    Net = ?config(net, Config),
    {G, Owners, Port} = start_group(Net, 2, #{mode => lb}, []),
    try
        New = Port + 1,
        ok = epcap_fanout:set_filter(G, "udp and dst port " ++ integer_to_list(New)),
        _ = send(Net, Port, 1, 2),
        Sent = send(Net, New, 1, 5),
        wait_total(Owners, length(Sent)),
        ok = epcap_fanout:stop(G),
        ?assertEqual([], lists:append([got(O, Port) || O <- Owners])),
        ?assertEqual(lists:sort(Sent), lists:sort(lists:append([got(O, New) || O <- Owners])))
    after
        stop_all(G, Owners)
    end.

%% The adaptive default with fan-out has one ring per member (the second,
%% immediate-mode socket would sit outside the group and repeat every
%% packet): the default, stated explicitly, delivers each packet once.
adaptive_default_once(Config) ->
    group_once(Config, 2, #{mode => lb}, [{timeout, adaptive}]).

%% Half the traffic, then one member's port is killed; the other three
%% go on and take the whole second half, once; stats show one down.
member_killed_mid_run(Config) ->
    Net = ?config(net, Config),
    {G, Owners, Port} = start_group(Net, 4, #{mode => hash}, []),
    try
        First = send(Net, Port, 1, ?PER_FLOW div 2),
        wait_total(Owners, length(First)),
        [Victim | _] = epcap_fanout:members(G),
        {ok, #{os_pid := OsPid}} = epcap:info(Victim),
        Mon = monitor(process, Victim),
        epcap_test_lib:kill("KILL", OsPid),
        receive {'DOWN', Mon, process, Victim, Why} -> ct:log("member down: ~p", [Why])
        after ?WAIT_MS -> ct:fail(member_did_not_stop)
        end,
        ok = epcap_test_lib:wait_gone(OsPid, ?WAIT_MS),
        {ok, #{alive := 3, members := [{Victim, down} | _]}} = epcap_fanout:stats(G),
        [_ | Survivors] = Owners,
        Before = lists:sum([count(O) || O <- Survivors]),
        Second = send(Net, Port, ?PER_FLOW div 2 + 1, ?PER_FLOW),
        wait_total(Survivors, Before + length(Second)),
        {ok, #{total := Total}} = epcap_fanout:stats(G),
        ok = epcap_fanout:stop(G),
        Got = lists:append([got(O, Port) || O <- Survivors]),
        SecondGot = [K || {_, Seq} = K <- Got, Seq > ?PER_FLOW div 2],
        ?assertEqual(lists:sort(Second), lists:sort(SecondGot)),
        ?assertEqual(length(SecondGot), length(lists:usort(SecondGot))),
        %% The survivors' counters cover what they delivered.
        ?assertEqual(length(Got), maps:get(delivered, Total)),
        ct:log("after the kill: ~p", [Total])
    after
        stop_all(G, Owners)
    end.

%% The group as `nobody' through a copy of the port with file
%% capabilities (what make setcap gives a group's members).
group_without_root(Config) ->
    Dir = string:trim(ok_run("mktemp", ["-d", "/tmp/epcap-f19-fanout.XXXXXX"])),
    ok = file:change_mode(Dir, 8#755),
    Bin = filename:join(Dir, "epcap"),
    {ok, _} = file:copy(epcap_opts:default_progname(), Bin),
    ok = file:change_mode(Bin, 8#755),
    ok_run("setcap", ["cap_net_raw,cap_net_admin+ep", Bin]),
    Net = ?config(net, Config),
    Exec = epcap_netns:exec(Net) ++ " " ++ ?NOBODY,
    try
        Infos = group_once(Config, 2, #{mode => hash},
                           [{progname, Bin}, {exec, Exec}]),
        ct:log("members: ~p", [Infos]),
        ?assertMatch([#{uid := 65534}, #{uid := 65534}], Infos)
    after
        epcap_test_lib:run("rm", ["-rf", Dir])
    end.

%%--------------------------------------------------------------------
%% Helpers

%% Start a group of N, send every flow's datagrams, wait until the
%% members' owners hold as many as were sent, stop, then check: each
%% datagram once across the group, each member's counters equal to what
%% its owner got, and the mode's own promise.
group_once(Config, N, Fanout0, Extra) ->
    Net = ?config(net, Config),
    {G, Owners, Port} = start_group(Net, N, Fanout0, Extra),
    try
        Sent = send(Net, Port, 1, ?PER_FLOW),
        wait_total(Owners, length(Sent)),
        {ok, #{total := Total, alive := N, members := Each}} = epcap_fanout:stats(G),
        Infos = [I || P <- epcap_fanout:members(G), {ok, I} <- [epcap:info(P)]],
        ok = epcap_fanout:stop(G),
        PerMember = [got(O, Port) || O <- Owners],
        All = lists:append(PerMember),
        ?assertEqual(length(Sent), length(All)),
        ?assertEqual(lists:sort(Sent), lists:sort(All)),
        ?assertEqual(length(Sent), maps:get(received, Total)),
        ?assertEqual(length(Sent), maps:get(delivered, Total)),
        [?assertEqual(length(Got), maps:get(delivered, S))
         || {Got, {_, S}} <- lists:zip(PerMember, Each)],
        Counts = [length(P) || P <- PerMember],
        ct:log("~p members, ~p: packets per member ~p", [N, Fanout0, Counts]),
        check_mode(maps:get(mode, Fanout0), PerMember),
        Infos
    after
        stop_all(G, Owners)
    end.

check_mode(hash, PerMember) ->
    Flows = [lists:usort([F || {F, _} <- P]) || P <- PerMember],
    %% No flow on two members, and with 64 flows every member has some.
    ?assertEqual(length(lists:append(Flows)), length(lists:usort(lists:append(Flows)))),
    [?assertNotEqual([], F) || F <- Flows];
check_mode(Mode, _) when Mode =/= hash, Mode =/= lb ->
    ok;
check_mode(lb, PerMember) ->
    Counts = [length(P) || P <- PerMember],
    Mean = lists:sum(Counts) / length(Counts),
    [?assert(abs(C - Mean) =< Mean * 0.1) || C <- Counts].

start_group(Net, N, Fanout0, Extra) ->
    Port = epcap_test_packets:random_port(),
    %% 1024..65535: smaller numbers are root's (group_without_root).
    Fanout = Fanout0#{group => 1023 + rand:uniform(65535 - 1023)},
    Owners = [spawn_link(fun() -> owner([]) end) || _ <- lists:seq(1, N)],
    Opts = [{exec, epcap_netns:exec(Net)},
            {interface, maps:get(ns_if, Net)},
            {filter, "udp and dst port " ++ integer_to_list(Port)},
            {fanout, Fanout} | Extra],
    {ok, G} = epcap_fanout:start(Owners, Opts),
    ?assertEqual(N, length(epcap_fanout:members(G))),
    {G, Owners, Port}.

stop_all(G, Owners) ->
    ok = epcap_fanout:stop(G),
    [begin unlink(O), exit(O, kill) end || O <- Owners],
    ok.

%% Datagrams Seq0..Seq1 of every flow, flow by flow in turn; returns the
%% {Flow, Seq} sent. One socket per flow: its source port makes the flow.
send(Net, Port, Seq0, Seq1) ->
    Dst = epcap_test_packets:parse_ip(maps:get(target, Net)),
    Socks = [epcap_test_packets:udp_socket(maps:get(root_addr, Net))
             || _ <- lists:seq(1, ?FLOWS)],
    Sent = [begin
                ok = gen_udp:send(S, Dst, Port, <<F:16, Seq:32, 0:256>>),
                {F, Seq}
            end || Seq <- lists:seq(Seq0, Seq1),
                   {F, S} <- lists:zip(lists:seq(1, ?FLOWS), Socks)],
    [gen_udp:close(S) || S <- Socks],
    Sent.

%% An owner keeps what it gets.
owner(Acc) ->
    receive
        {packet, _, _, _, Frame} -> owner([Frame | Acc]);
        {get, From} -> From ! {got, self(), lists:reverse(Acc)}, owner(Acc);
        _ -> owner(Acc)
    end.

%% {Flow, Seq} of the datagrams an owner got for Port.
got(Owner, Port) ->
    Owner ! {get, self()},
    receive
        {got, Owner, Frames} ->
            [{F, Seq} || Fr <- Frames,
                         #{dport := P, payload := <<F:16, Seq:32, _/binary>>}
                             <- [epcap_test_packets:udp(Fr)],
                         P =:= Port]
    after ?WAIT_MS -> ct:fail(owner_silent)
    end.

count(Owner) ->
    Owner ! {get, self()},
    receive {got, Owner, Frames} -> length(Frames)
    after ?WAIT_MS -> ct:fail(owner_silent)
    end.

%% Until the owners hold Want packets in all (bounded by ?WAIT_MS).
wait_total(Owners, Want) ->
    epcap_test_lib:wait_until({delivered_of_sent, Want}, fun() ->
        Have = lists:sum([count(O) || O <- Owners]),
        Have >= Want orelse {false, {delivered, Have}}
    end, ?WAIT_MS).
