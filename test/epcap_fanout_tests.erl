%% Pure tests of the fan-out option (epcap_opts) and of epcap_fanout's
%% checks that run before any capture starts. No root, no port.
-module(epcap_fanout_tests).

-include_lib("eunit/include/eunit.hrl").

argv(Opts) ->
    {ok, C} = epcap_opts:parse([{interface, "eth0"} | Opts],
                               #{defaults => [], root => true}),
    epcap_opts:argv(C).

fanout_arg(F) ->
    lists:dropwhile(fun(A) -> A =/= "--fanout" end, argv([{fanout, F}])).

argv_test_() ->
    [?_assertEqual(["--fanout", "hash:7"],
                   fanout_arg(#{group => 7, mode => hash})),
     ?_assertEqual(["--fanout", "lb:0"], fanout_arg(#{group => 0, mode => lb})),
     ?_assertEqual(["--fanout", "qm:65535:rollover,defrag"],
                   fanout_arg(#{group => 65535, mode => qm, rollover => true,
                                defrag => true})),
     ?_assertEqual(["--fanout", "cpu:1:defrag"],
                   fanout_arg(#{group => 1, mode => cpu, defrag => true,
                                rollover => false})),
     ?_assertEqual([], [A || A <- argv([]), A =:= "--fanout"])].

badarg_test_() ->
    Bad = [#{group => 7}, #{mode => hash}, #{group => -1, mode => hash},
           #{group => 65536, mode => hash}, #{group => 1, mode => roundrobin},
           #{group => "1", mode => hash}, #{group => 1, mode => hash, rollover => 1},
           #{group => 1, mode => hash, extra => true}, hash, {hash, 7}, [],
           "hash:7"],
    [?_assertEqual({error, {badarg, {fanout, F}}},
                   epcap_opts:parse([{interface, "eth0"}, {fanout, F}],
                                    #{defaults => [], root => true}))
     || F <- Bad] ++
    [?_assertMatch({error, {badarg, {fanout, _}}},
                   epcap_opts:parse([{file, "x.pcap"},
                                     {fanout, #{group => 1, mode => hash}}],
                                    #{defaults => [], root => true})),
     ?_assertEqual({error, {badarg, fanout}},
                   epcap_fanout:start([self()], [{interface, "eth0"}])),
     ?_assertEqual({error, {badarg, {owners, []}}},
                   epcap_fanout:start([], [{fanout, #{group => 1, mode => hash}}]))].

child_specs_test() ->
    F = #{group => 9, mode => hash},
    Specs = epcap_fanout:child_specs([self(), self()], [{interface, "eth0"}, {fanout, F}]),
    ?assertEqual([{epcap_fanout, 9, 1}, {epcap_fanout, 9, 2}],
                 [maps:get(id, S) || S <- Specs]),
    [?assertMatch(#{start := {epcap, start_link, [_, [{interface, "eth0"}, {fanout, F}]]}}, S)
     || S <- Specs].
