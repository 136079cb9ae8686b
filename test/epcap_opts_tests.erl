%% EUnit tests of option validation and the port's command line.
-module(epcap_opts_tests).

-include_lib("eunit/include/eunit.hrl").

%% Every command line starts with the flow-control credit.
argv(Opts) ->
    {ok, C} = epcap_opts:parse(Opts),
    ["--credit", N | Rest] = epcap_opts:argv(C),
    ?assertEqual(epcap_opts:initial_credit(C), list_to_integer(N)),
    Rest.

credit() ->
    {ok, C} = epcap_opts:parse([]),
    credit(C).

credit(C) ->
    integer_to_list(epcap_opts:initial_credit(C)).

initial_credit_test() ->
    {ok, C} = epcap_opts:parse([]),
    %% Default snaplen: sized for 64 KiB packets within 48 MiB.
    ?assertEqual(768, epcap_opts:initial_credit(C)),
    {ok, Small} = epcap_opts:parse([{snaplen, 64}, {max_queue, 5000}]),
    ?assertEqual(5000, epcap_opts:initial_credit(Small)).

every_option_test() ->
    ?assertEqual(
        ["-i", "eth0", "-s", "128", "-P", "-M", "-t", "250", "-B", "1048576",
         "-Q", "in", "--time-stamp-precision", "nano", "-u", "nobody",
         "-g", "nogroup", "-d", "/var/empty", "-e", "PCAP_FRAMES=0", "-v",
         "--inject", "--cluster-id", "2", "-a", "1,3,5-7",
         "--", "tcp port 80"],
        argv([{interface, "eth0"}, {filter, "tcp port 80"}, {snaplen, 128},
              {promiscuous, true}, {monitor, true}, {timeout, 250},
              {buffer, 1048576}, {direction, in}, {time_unit, nanosecond},
              {user, "nobody"}, {group, "nogroup"}, {chroot, "/var/empty"},
              {env, "PCAP_FRAMES=0"}, {verbose, true}, {inject, true},
              {cluster_id, 2}, {cpu_affinity, "1,3,5-7"},
              {progname, "/x/epcap"}, {exec, "sudo -n"},
              {start_timeout, 1000}])).

defaults_test() ->
    {ok, C} = epcap_opts:parse([]),
    ?assertEqual(["--credit", credit(C)], epcap_opts:argv(C)),
    ?assertMatch(#{time_unit := timestamp, exec := default,
                   source := {interface, default}, inject := false}, C).

booleans_and_atoms_test() ->
    ?assertEqual(["-P", "--inject"], argv([promiscuous, inject])),
    ?assertEqual([], argv([{promiscuous, false}, {monitor, false}])),
    ?assertEqual(["-t", "immediate"], argv([{timeout, immediate}])),
    ?assertEqual(["-t", "adaptive"], argv([{timeout, adaptive}])),
    ?assertEqual(["-t", "infinity"], argv([{timeout, infinity}])),
    ?assertEqual(["-v", "-v"], argv([{verbose, 2}])),
    ?assertEqual([], argv([{time_unit, microsecond}])).

%% Elixir passes binaries and keyword lists; maps work too.
binaries_test() ->
    ?assertEqual(["-i", "lo", "--", "icmp"],
                 argv([{interface, <<"lo">>}, {filter, <<"icmp">>}])),
    ?assertEqual(["-r", "/tmp/f.pcap"], argv(#{file => <<"/tmp/f.pcap">>})).

first_wins_env_repeats_test() ->
    ?assertEqual(["-s", "10", "-e", "A=1", "-e", "B=2"],
                 argv([{snaplen, 10}, {env, "A=1"}, {snaplen, 20}, {env, "B=2"}])).

empty_filter_test() ->
    ?assertEqual([], argv([{filter, ""}])).

badarg_test_() ->
    Bad = [{snaplen, 0}, {snaplen, 262145}, {snaplen, -1}, {snaplen, "10"},
           {buffer, 1}, {buffer, 2147483648}, {timeout, -1}, {timeout, soon},
           {direction, up}, {time_unit, hours}, {cluster_id, 256},
           {cluster_id, -1}, {interface, ""}, {interface, 42},
           {filter, 123}, {file, ""}, {env, "NOEQUALS"}, {env, "=x"},
           {cpu_affinity, "a"}, {promiscuous, yes}, {verbose, 9},
           {start_timeout, 0}, {delivery, list}, {foo, bar}, foo, "eth0", {interface, "a\0b"}],
    [?_assertEqual({error, {badarg, B}}, epcap_opts:parse([B])) || B <- Bad].

conflicts_test() ->
    ?assertMatch({error, {badarg, {file, _}}},
                 epcap_opts:parse([{file, "a"}, {interface, "lo"}])),
    ?assertMatch({error, {badarg, {direction, in}}},
                 epcap_opts:parse([{file, "a"}, {direction, in}])),
    ?assertEqual({error, {badarg, notalist}}, epcap_opts:parse(notalist)).

command_test() ->
    {ok, C} = epcap_opts:parse([{progname, "/p/epcap"}, {interface, "lo"}]),
    ?assertEqual(["/p/epcap", "--credit", credit(), "-i", "lo"],
                 epcap_opts:command(C, [])),
    {ok, S} = epcap_opts:parse([{progname, "/p/epcap"}, {exec, "/usr/bin/sudo -n"}]),
    ?assertEqual(["/usr/bin/sudo", "-n", "/p/epcap", "--credit", credit()],
                 epcap_opts:command(S, [])),
    {ok, N} = epcap_opts:parse([{progname, "/p/epcap"}, {exec, ""}]),
    ?assertEqual(["/p/epcap", "--credit", credit()],
                 epcap_opts:command(N, ["sudo", "-n"])).

getopts_test() ->
    [Cmd | Argv] = epcap:getopts([{interface, "lo"}, {filter, "icmp"}]),
    ?assertEqual("epcap", filename:basename(Cmd)),
    ?assertEqual(["--credit", credit(), "-i", "lo", "--", "icmp"], Argv),
    ?assertEqual({error, {badarg, {snaplen, 0}}}, epcap:getopts([{snaplen, 0}])).
