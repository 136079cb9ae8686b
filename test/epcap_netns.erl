%% @doc Network namespace fixtures for the live suites (needs root).
%%
%% `setup/0' creates a network namespace with a random name and a veth
%% pair between it and the root namespace, with static neighbour entries
%% on both sides, so no ARP traffic ever races a test. `teardown/1'
%% removes everything it made and is meant for end_per_testcase or
%% end_per_suite, so nothing is left even when a case fails or times out.
%% Traffic only ever goes to loopback or to the addresses of these
%% namespaces.
%%
%% A suite whose cases each want a namespace calls `init_case/1' in
%% init_per_testcase (the fixture is `?config(net, Config)') and
%% `end_case/1' in end_per_testcase.
-module(epcap_netns).

-include_lib("common_test/include/ct.hrl").

-export([
    setup/0,
    setup/1,
    add_veth/2,
    addr/2,
    teardown/1,
    init_case/1,
    end_case/1,
    run/2,
    run_ok/2,
    exec/1,
    udp_send/4,
    has_ipv4/2
]).

%% @doc A fresh namespace `epcap-<6 hex>' with lo up and one veth pair:
%% root side 10.231.X.1/30, namespace side 10.231.X.2/30, both up, with
%% permanent neighbour entries on both sides. Returns a map with `ns',
%% `root_if', `ns_if', `root_addr', `ns_addr', `root_mac', `ns_mac', `x',
%% `suffix' and `links' (root-side veth ends to delete).
setup() ->
    setup("").

%% @doc The same, with `Tag' (a few letters, such as a helper's name) in
%% every name it makes: namespace `epcap-<Tag><6 hex>', veth ends
%% `ep<Tag><6 hex>r<I>' and `...n<I>' (at most 15 characters: a tag of
%% up to 3 letters), so that suites run side by side cannot collide.
setup(Tag) ->
    Suffix = Tag ++ lists:flatten(io_lib:format("~6.16.0b",
        [rand:uniform(16#1000000) - 1])),
    Ns = "epcap-" ++ Suffix,
    X = free_subnet(20),
    epcap_test_lib:run_ok("ip", ["netns", "add", Ns]),
    Net0 = #{ns => Ns, suffix => Suffix, x => X, links => []},
    try
        epcap_test_lib:run_ok("ip", ["netns", "exec", Ns, "ip", "link", "set", "lo", "up"]),
        add_veth(Net0, #{index => 0,
            root_addr => addr(X, 1), ns_addr => addr(X, 2)})
    catch
        C:E:St ->
            teardown(Net0),
            erlang:raise(C, E, St)
    end.

%% @doc Add a veth pair to the fixture's namespace. Options: `index'
%% (0..9, part of the names), `root_addr' and `ns_addr' (a dotted quad, or
%% `undefined' for no IPv4 address at all) and `ns_target' (the address
%% the root side resolves to the namespace end's MAC; default `ns_addr',
%% so frames can be sent to an end that has no address). Neighbour
%% entries are permanent: no ARP is ever needed. Returns the fixture with
%% `root_if', `ns_if', `root_mac', `ns_mac', `root_addr', `ns_addr',
%% `ns_target' of this pair and its root end added to `links'.
add_veth(#{ns := Ns, suffix := Suffix, links := Links} = Net, Opts) ->
    I = integer_to_list(maps:get(index, Opts, 0)),
    R = "ep" ++ Suffix ++ "r" ++ I,
    N = "ep" ++ Suffix ++ "n" ++ I,
    RA = maps:get(root_addr, Opts, undefined),
    NA = maps:get(ns_addr, Opts, undefined),
    Target = maps:get(ns_target, Opts, NA),
    epcap_test_lib:run_ok("ip", ["link", "add", R, "type", "veth", "peer", "name", N,
                  "netns", Ns]),
    Net1 = Net#{links => [R | Links]},
    %% No IPv6 on the test links: no router solicitations or MLD reports
    %% wander into a capture. (Absent when IPv6 is off: then nothing to do.)
    _ = epcap_test_lib:run("sysctl",
                           ["-qw", "net.ipv6.conf." ++ R ++ ".disable_ipv6=1"]),
    _ = run(Net1, ["sysctl", "-qw", "net.ipv6.conf." ++ N ++ ".disable_ipv6=1"]),
    RA =/= undefined andalso
        epcap_test_lib:run_ok("ip", ["addr", "add", RA ++ "/30", "dev", R]),
    NA =/= undefined andalso
        run_ok(Net1, ["ip", "addr", "add", NA ++ "/30", "dev", N]),
    epcap_test_lib:run_ok("ip", ["link", "set", R, "up"]),
    run_ok(Net1, ["ip", "link", "set", N, "up"]),
    RM = string:trim(epcap_test_lib:run_ok("cat", ["/sys/class/net/" ++ R ++ "/address"])),
    NM = string:trim(run_ok(Net1, ["cat", "/sys/class/net/" ++ N ++ "/address"])),
    RA =/= undefined andalso NA =/= undefined andalso
        run_ok(Net1, ["ip", "neigh", "replace", RA, "lladdr", RM,
                      "dev", N, "nud", "permanent"]),
    RA =/= undefined andalso Target =/= undefined andalso
        epcap_test_lib:run_ok("ip", ["neigh", "replace", Target, "lladdr", NM, "dev", R,
                      "nud", "permanent"]),
    Net1#{root_if => R, ns_if => N, root_mac => RM, ns_mac => NM,
          root_addr => RA, ns_addr => NA, ns_target => Target}.

%% @doc Remove the veth pairs (deleting one end deletes both, at once,
%% whereas a namespace's links go away asynchronously), end any process
%% still running in the namespace (only ours can be there), then delete
%% the namespace. Never fails: it runs after failures. It works in a
%% process of its own, so that a capture crashing when its interface
%% vanishes cannot kill the caller (a linked test case) half-way through.
%% `undefined' (no fixture) is fine.
teardown(#{ns := _} = Net) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit(remove(Net)) end),
    receive
        {'DOWN', Ref, process, Pid, ok} ->
            ok;
        {'DOWN', Ref, process, Pid, Why} ->
            ct:pal("netns teardown of ~s: ~p", [maps:get(ns, Net), Why]),
            {error, Why}
    after 30000 ->
        exit(Pid, kill),
        ct:pal("netns teardown of ~s timed out", [maps:get(ns, Net)]),
        {error, timeout}
    end;
teardown(_) ->
    ok.

remove(#{ns := Ns} = Net) ->
    [catch epcap_test_lib:run("ip", ["link", "del", L])
     || L <- maps:get(links, Net, [])],
    Pids =
        case catch epcap_test_lib:run("ip", ["netns", "pids", Ns]) of
            {0, Out} -> string:lexemes(Out, "\n ");
            _ -> []
        end,
    [catch epcap_test_lib:kill("KILL", list_to_integer(P)) || P <- Pids],
    case catch epcap_test_lib:run("ip", ["netns", "del", Ns]) of
        {0, _} -> ok;
        Other -> {netns_del_failed, Ns, Other}
    end.

%% @doc For init_per_testcase: a fresh fixture as `net' in the config.
init_case(Config) ->
    [{net, setup()} | Config].

%% @doc For end_per_testcase: stop the epcap servers a failed case left
%% linked (a capture whose interface vanishes would crash into the case),
%% remove the case's fixture if it has one, and drop stray packets.
end_case(Config) ->
    epcap_test_lib:stop_linked_epcaps(),
    teardown(proplists:get_value(net, Config)),
    epcap_test_packets:flush_packets(),
    ok.

free_subnet(0) ->
    ct:fail(no_free_test_subnet);
free_subnet(Tries) ->
    X = rand:uniform(256) - 1,
    Prefix = "10.231." ++ integer_to_list(X) ++ ".0/24",
    case epcap_test_lib:run("ip", ["-o", "-4", "addr", "show", "to", Prefix]) of
        {0, ""} -> X;
        _ -> free_subnet(Tries - 1)
    end.

%% @doc 10.231.X.H
addr(X, H) ->
    "10.231." ++ integer_to_list(X) ++ "." ++ integer_to_list(H).

%% @doc Run a command inside the fixture's namespace: `{Status, Output}'.
run(#{ns := Ns}, Args) ->
    epcap_test_lib:run("ip", ["netns", "exec", Ns | Args]).

%% @doc The same, failing the case unless it exits 0; its output.
run_ok(#{ns := Ns}, Args) ->
    epcap_test_lib:run_ok("ip", ["netns", "exec", Ns | Args]).

%% @doc The `exec' option value that starts the port in the namespace.
exec(#{ns := Ns}) ->
    "ip netns exec " ++ Ns.

%% @doc Send one UDP datagram from inside the namespace (bash /dev/udp).
%% `Payload' is printable text; it is passed as an argument, not spliced
%% into the script.
udp_send(Net, Addr, Port, Payload) ->
    run_ok(Net, ["bash", "-c", "printf %s \"$1\" > /dev/udp/$2/$3",
                 "bash", Payload, Addr, integer_to_list(Port)]).

%% @doc Whether an interface in the namespace has any IPv4 address.
has_ipv4(Net, If) ->
    string:trim(run_ok(Net, ["ip", "-o", "-4", "addr", "show", "dev", If]))
        =/= "".
