%% The `any' device told apart by interface (issue 18, c_src/anyif.c):
%% with `{interface_info, true}' (--interfaces) a capture on `any' is
%% Linux cooked v2 (SLL2), interface 0 is `any' itself and each real
%% interface a packet comes from is described (INTERFACE frame, pcapng
%% Interface Description Block) before its first packet, with its name;
%% one created after the start is named "ifindex-N".
%%
%% Root: the port runs inside a namespace of its own (epcap_netns, tag
%% "any": every name has "any" in it), where `any' sees lo and the
%% namespace ends of two veth pairs. Traffic: UDP datagrams from the root
%% namespace to each pair's namespace address (permanent neighbour
%% entries, no ARP) and, inside the namespace, to 127.0.0.1, sent until
%% the capture shows them (a condition, never a sleep).
-module(epcap_anyif_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([suite/0, all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([erlang_interfaces/1, later_interface_placeholder/1,
         pcapng_one_block_per_interface/1, link_type_asked_keeps_any/1]).

-define(DLT_LINUX_SLL, 113).
-define(DLT_LINUX_SLL2, 276).
%% The SLL2 header before the IP packet.
-define(SLL2_LEN, 20).

suite() ->
    [{timetrap, {minutes, 2}}].

all() ->
    [erlang_interfaces, later_interface_placeholder,
     pcapng_one_block_per_interface, link_type_asked_keeps_any].

init_per_suite(Config) ->
    epcap_test_lib:require_root(Config).

end_per_suite(_Config) ->
    ok.

%% A namespace with two veth pairs: 10.231.X.1/.2 and 10.231.X.5/.6.
init_per_testcase(_Case, Config) ->
    Net0 = epcap_netns:setup("any"),
    X = maps:get(x, Net0),
    Net1 = try epcap_netns:add_veth(Net0, #{index => 1,
                   root_addr => epcap_netns:addr(X, 5),
                   ns_addr => epcap_netns:addr(X, 6)})
           catch C:E:St -> epcap_netns:teardown(Net0), erlang:raise(C, E, St)
           end,
    [{net, Net1}, {pair0, Net0} | Config].

end_per_testcase(_Case, Config) ->
    epcap_netns:end_case(Config).

%%--------------------------------------------------------------------

%% Each packet's interface is the one it crossed: the namespace end of
%% pair 0, of pair 1, or lo; epcap:interfaces/1 names each, and an
%% interface is known by the time its first packet arrives.
erlang_interfaces(Config) ->
    Net = ?config(net, Config),
    Pair0 = ?config(pair0, Config),
    Port = epcap_test_packets:random_port(),
    {ok, E} = start(Net, Port, []),
    Targets = [{maps:get(ns_addr, Pair0), maps:get(ns_if, Pair0)},
               {maps:get(ns_addr, Net), maps:get(ns_if, Net)},
               {"127.0.0.1", "lo"}],
    Seen = [{Addr, send_until_seen(E, Net, Port, Addr)} || {Addr, _} <- Targets],
    {ok, Ifs} = epcap:interfaces(E),
    ct:log("interfaces: ~p", [Ifs]),
    Names = maps:from_list([{I, N} || #{index := I, name := N} <- Ifs]),
    ?assertMatch([#{index := 0, name := <<"any">>, datalink := ?DLT_LINUX_SLL2} | _], Ifs),
    [?assertEqual(list_to_binary(If), maps:get(Index, Names), Addr)
     || {{Addr, If}, {Addr, Index}} <- lists:zip(Targets, Seen)],
    %% Every real interface has the link type, snap length and filter
    %% of the capture (interface 0's).
    #{snaplen := Snap, filter := Filter} = hd(Ifs),
    [?assertMatch(#{datalink := ?DLT_LINUX_SLL2, snaplen := Snap, filter := Filter}, I)
     || I <- Ifs],
    %% What each delivered, per interface.
    {ok, Stats} = epcap:interface_stats(E),
    ct:log("interface_stats: ~p", [Stats]),
    [?assertMatch([#{delivered := D}] when D >= 1,
                  [S || #{index := I} = S <- Stats, I =:= Index])
     || {_, Index} <- Seen],
    ok = epcap:stop(E).

%% An interface created after the capture started: the table of names
%% was taken before the privileges went, so it is "ifindex-N" (N its
%% kernel index), and its description says why.
later_interface_placeholder(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, E} = start(Net, Port, []),
    %% The capture is open once it delivers a packet.
    _ = send_until_seen(E, Net, Port, "127.0.0.1"),
    X = maps:get(x, Net),
    Net2 = epcap_netns:add_veth(Net, #{index => 2,
               root_addr => epcap_netns:addr(X, 9),
               ns_addr => epcap_netns:addr(X, 10)}),
    %% The new pair goes with the namespace (end_per_testcase).
    NsIf = maps:get(ns_if, Net2),
    KIndex = string:trim(epcap_netns:run_ok(Net, ["cat", "/sys/class/net/" ++ NsIf ++ "/ifindex"])),
    Index = send_until_seen(E, Net2, Port, maps:get(ns_addr, Net2)),
    {ok, Ifs} = epcap:interfaces(E),
    Name = list_to_binary("ifindex-" ++ KIndex),
    ?assertMatch(#{name := Name,
                   description := <<"interface index ", _/binary>>},
                 lists:nth(Index + 1, Ifs)),
    ok = epcap:stop(E).

%% -w F --pcapng --interfaces on `any': interface 0 is `any', one block
%% per real interface with its name, each packet on its own; tshark and
%% capinfos read it. (dumpcap writes one `any' interface and leaves the
%% index in the SLL2 header; README says why epcap does more.)
pcapng_one_block_per_interface(Config) ->
    case {os:find_executable("tshark"), os:find_executable("capinfos")} of
        {false, _} -> {skip, "tshark is not installed"};
        {_, false} -> {skip, "capinfos is not installed"};
        {Tshark, Capinfos} -> pcapng_blocks(Config, Tshark, Capinfos)
    end.

pcapng_blocks(Config, Tshark, Capinfos) ->
    Net = ?config(net, Config),
    Pair0 = ?config(pair0, Config),
    Port = epcap_test_packets:random_port(),
    Dir = ?config(priv_dir, Config),
    ok = file:change_mode(Dir, 8#777),
    Out = filename:join(Dir, "any.pcapng"),
    Args = ["netns", "exec", maps:get(ns, Net), epcap_opts:default_progname(),
            "-i", "any", "--interfaces", "-w", Out, "--pcapng", "-c", "3",
            filter(Port)],
    P = open_port({spawn_executable, os:find_executable("ip")},
                  [{args, Args}, exit_status, binary, hide, stderr_to_stdout]),
    epcap_test_lib:wait_until(pcapng_header, fun() -> filelib:file_size(Out) > 0 end, 10000),
    Addrs = [maps:get(ns_addr, Pair0), maps:get(ns_addr, Net), "127.0.0.1"],
    ok = send_until_exit(P, Net, Port, Addrs, 100),
    {0, Fields} = epcap_test_lib:run(Tshark, ["-r", Out, "-T", "fields",
                                              "-e", "frame.interface_name",
                                              "-e", "ip.dst"]),
    Got = [list_to_tuple(string:split(L, "\t"))
           || L <- string:lexemes(Fields, "\n"), not lists:prefix("Running", L)],
    Want = lists:usort([{maps:get(ns_if, Pair0), maps:get(ns_addr, Pair0)},
                        {maps:get(ns_if, Net), maps:get(ns_addr, Net)},
                        {"lo", "127.0.0.1"}]),
    ct:log("tshark: ~p", [Got]),
    ?assertEqual(Want, lists:usort(Got)),
    {0, Info} = epcap_test_lib:run(Capinfos, [Out]),
    ct:log("~s", [Info]),
    [?assertMatch({match, _}, re:run(Info, Re), Re)
     || Re <- ["Number of interfaces in file: 4", "Name = any",
               "Name = " ++ maps:get(ns_if, Pair0),
               "Name = " ++ maps:get(ns_if, Net), "Name = lo",
               "linux-sll2"]].

%% A link type asked for (-y) is kept: SLL v1 has no interface index, so
%% every packet stays on interface 0, `any'.
link_type_asked_keeps_any(Config) ->
    Net = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    {ok, E} = start(Net, Port, [{datalink, "LINUX_SLL"}]),
    Index = send_until_seen(E, Net, Port, maps:get(ns_addr, Net), ?DLT_LINUX_SLL, 16),
    ?assertEqual(0, Index),
    ?assertMatch({ok, [#{index := 0, name := <<"any">>, datalink := ?DLT_LINUX_SLL}]},
                 epcap:interfaces(E)),
    ok = epcap:stop(E),
    %% Without --interfaces, `any' is libpcap's default as before.
    {ok, E2} = epcap:start_link([{exec, epcap_netns:exec(Net)}, {interface, "any"},
                                 {filter, filter(Port)}]),
    {packet, DLT, _, _, _} = send_until_classic(E2, Net, Port, maps:get(ns_addr, Net), 100),
    ?assertEqual(?DLT_LINUX_SLL, DLT),
    ok = epcap:stop(E2).

%%--------------------------------------------------------------------

filter(Port) ->
    "udp and dst port " ++ integer_to_list(Port).

start(Net, Port, Extra) ->
    epcap:start_link([{exec, epcap_netns:exec(Net)}, {interface, "any"},
                      {interface_info, true}, {filter, filter(Port)},
                      {time_unit, nanosecond} | Extra]).

send_until_seen(E, Net, Port, Addr) ->
    send_until_seen(E, Net, Port, Addr, ?DLT_LINUX_SLL2, ?SLL2_LEN).

%% Datagrams to Addr:Port, 100 ms apart, until one to Addr arrives: its
%% interface index, which epcap:interfaces/1 already describes.
send_until_seen(E, Net, Port, Addr, Dlt, HdrLen) ->
    send_until_seen(E, Net, Port, Addr, Dlt, HdrLen, 100).

send_until_seen(_, _, _, Addr, _, _, 0) ->
    ct:fail({no_packet_to, Addr});
send_until_seen(E, Net, Port, Addr, Dlt, HdrLen, N) ->
    send(Net, Addr, Port),
    case wait_packet_to(Addr, Dlt, HdrLen, 100) of
        {ok, Index} ->
            {ok, Ifs} = epcap:interfaces(E),
            ?assert(lists:any(fun(#{index := I}) -> I =:= Index end, Ifs), Index),
            Index;
        timeout ->
            send_until_seen(E, Net, Port, Addr, Dlt, HdrLen, N - 1)
    end.

%% The next packet to Addr within Ms (others are skipped): its index.
wait_packet_to(Addr, Dlt, HdrLen, Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    wait_packet_to_loop(epcap_test_packets:parse_ip(Addr), Dlt, HdrLen, Deadline).

wait_packet_to_loop(Dst, Dlt, HdrLen, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {packet, Dlt, _, _, Frame, Index} ->
            case Frame of
                <<_:HdrLen/binary, 4:4, _:124, D1, D2, D3, D4, _/binary>>
                  when {D1, D2, D3, D4} =:= Dst ->
                    {ok, Index};
                _ ->
                    wait_packet_to_loop(Dst, Dlt, HdrLen, Deadline)
            end
    after Left -> timeout
    end.

send_until_classic(_, _, _, _, 0) ->
    ct:fail(no_packet);
send_until_classic(E, Net, Port, Addr, N) ->
    send(Net, Addr, Port),
    receive
        {packet, _, _, _, _} = P -> P
    after 100 -> send_until_classic(E, Net, Port, Addr, N - 1)
    end.

%% 127.0.0.1 from inside the namespace; any other address from the root
%% namespace, over the veth whose namespace end has it.
send(Net, "127.0.0.1", Port) ->
    epcap_netns:udp_send(Net, "127.0.0.1", Port, "epcap_anyif_SUITE");
send(_Net, Addr, Port) ->
    S = epcap_test_packets:udp_socket("0.0.0.0"),
    ok = gen_udp:send(S, epcap_test_packets:parse_ip(Addr), Port, <<"epcap_anyif_SUITE">>),
    ok = gen_udp:close(S).

%% One datagram to each address in turn until the port exits (its -c).
send_until_exit(_, _, _, _, 0) ->
    ct:fail(capture_did_not_end);
send_until_exit(P, Net, Port, Addrs, N) ->
    [send(Net, A, Port) || A <- Addrs],
    receive
        {P, {exit_status, 0}} -> ok;
        {P, {exit_status, S}} -> ct:fail({exit_status, S});
        {P, {data, D}} -> ct:log("epcap: ~s", [D]), send_until_exit(P, Net, Port, Addrs, N)
    after 100 -> send_until_exit(P, Net, Port, Addrs, N - 1)
    end.
