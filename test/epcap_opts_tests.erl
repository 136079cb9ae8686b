%% EUnit tests of option validation and the port's command line.
-module(epcap_opts_tests).

-include_lib("eunit/include/eunit.hrl").

%% As a VM running as root, with nothing in the application environment.
-define(ROOT, #{defaults => [], root => true}).
-define(USER, #{defaults => [], root => false}).

parse(Opts) ->
    epcap_opts:parse(Opts, ?ROOT).

%% Every command line starts with the flow-control credit.
argv(Opts) ->
    argv(Opts, ?ROOT).

argv(Opts, Context) ->
    {ok, C} = epcap_opts:parse(Opts, Context),
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

%% The classic took the last of a repeated option.
last_wins_env_repeats_test() ->
    ?assertEqual(["-e", "A=1", "-s", "20", "-e", "B=2"],
                 argv([{snaplen, 10}, {env, "A=1"}, {snaplen, 20}, {env, "B=2"}])),
    ?assertEqual([], argv([promiscuous, {promiscuous, false}])),
    ?assertEqual(["-i", "eth1"], argv([{interface, "eth0"}, {interface, "eth1"}])).

empty_filter_test() ->
    ?assertEqual([], argv([{filter, ""}])).

%% The CPU lists of test/cpu_list_vectors.txt, also read by
%% test/c/test_options.c: epcap_opts takes what the port takes.
cpu_list_vectors_test_() ->
    [case Verb of
         <<"accept">> -> ?_assertMatch({ok, _}, parse([{cpu_affinity, L}]));
         <<"refuse">> -> ?_assertEqual({error, {badarg, {cpu_affinity, L}}},
                                       parse([{cpu_affinity, L}]))
     end || {Verb, L} <- cpu_list_vectors()].

cpu_list_vectors() ->
    Root = case os:getenv("EPCAP_ROOT") of
        false -> ".";
        R -> R
    end,
    {ok, Text} = file:read_file(filename:join([Root, "test", "cpu_list_vectors.txt"])),
    Vs = [case binary:split(Line, <<" ">>) of
              [Verb] -> {Verb, ""};
              [Verb, List] -> {Verb, binary_to_list(List)}
          end || Line <- binary:split(Text, <<"\n">>, [global, trim_all]),
                 binary:first(Line) =/= $#],
    %% Both verbs, and nothing else.
    ?assertEqual([<<"accept">>, <<"refuse">>], lists:usort([V || {V, _} <- Vs])),
    Vs.

badarg_test_() ->
    Bad = [{snaplen, 0}, {snaplen, 262145}, {snaplen, -1}, {snaplen, "ten"},
           {snaplen, "0"}, {buffer, -1}, {buffer, 2147483648}, {timeout, -2},
           {timeout, soon}, {timeout, "-5"},
           {direction, up}, {time_unit, hours}, {cluster_id, 256},
           {cluster_id, -1}, {interface, ""}, {interface, 42},
           {filter, 123}, {file, ""}, {env, "NOEQUALS"}, {env, "=x"},
           {cpu_affinity, "a"}, {promiscuous, yes}, {verbose, 9},
           {start_timeout, 0}, {delivery, list}, {interface, "a\0b"}],
    [?_assertEqual({error, {badarg, B}}, parse([B])) || B <- Bad].

%% Classic callers pass their own options through: ignored, one warning
%% each; the known ones still count.
unknown_options_test() ->
    {ok, C} = parse([{format, [hex]}, foo, "eth0", {a, b, c},
                     {interface, "lo"}]),
    ?assertEqual(["-i", "lo"], tl(tl(epcap_opts:argv(C)))),
    #{warnings := W} = C,
    ?assertEqual(4, length(W)),
    ?assert(lists:all(fun(M) -> string:find(M, "unknown option") =/= nomatch end, W)).

numeric_strings_test() ->
    ?assertEqual(["-s", "64", "-B", "1048576", "-t", "250", "--cluster-id", "2"],
                 argv([{snaplen, "64"}, {buffer, <<"1048576">>}, {timeout, "250"},
                       {cluster_id, "2"}])),
    ?assertEqual(["-t", "adaptive"], argv([{timeout, "-1"}])).

%% Issue 17, item 5: the classic's -1 ("no timeout") would leave a quiet
%% interface's packets in the kernel and stop/1 would lose them: it is
%% the adaptive default, with a warning that says so; infinity itself
%% stays, with a warning too.
timeout_minus_one_is_the_default_test() ->
    ?assertEqual(["-t", "adaptive"], argv([{timeout, -1}])),
    {ok, #{warnings := [W]}} = parse([{timeout, -1}]),
    ?assertNotEqual(nomatch, string:find(W, "stop/1 would lose them")),
    {ok, #{warnings := [I]}} = parse([{timeout, infinity}]),
    ?assertNotEqual(nomatch, string:find(I, "never delivered")),
    {ok, #{warnings := []}} = parse([{timeout, 5}]).

small_buffer_raised_test() ->
    {ok, C} = parse([{buffer, 1024}]),
    ?assertEqual(["-B", "65536"], tl(tl(epcap_opts:argv(C)))),
    ?assertMatch(#{warnings := [_]}, C),
    {ok, C0} = parse([{buffer, 0}]),
    ?assertEqual(["-B", "65536"], tl(tl(epcap_opts:argv(C0)))),
    ?assertMatch({ok, #{warnings := []}}, parse([{buffer, 65536}])).

%% The port refuses -u, -g and -d from a caller that is not root: as
%% another user they are dropped with a warning each.
identity_options_need_root_test() ->
    Opts = [{user, "nobody"}, {group, "nogroup"}, {chroot, "/var/empty"},
            {interface, "lo"}],
    ?assertEqual(["-u", "nobody", "-g", "nogroup", "-d", "/var/empty", "-i", "lo"],
                 argv(Opts, ?ROOT)),
    ?assertMatch({ok, #{chroot := "/var/empty", warnings := []}},
                 epcap_opts:parse(Opts, ?ROOT)),
    ?assertEqual(["-i", "lo"], argv(Opts, ?USER)),
    ?assertMatch({ok, #{chroot := undefined, warnings := [_, _, _]}},
                 epcap_opts:parse(Opts, ?USER)).

%% Defaults from the application environment; the caller's win.
app_env_defaults_test() ->
    Ctx = #{defaults => [{progname, "/opt/epcap"}, {exec, "sudo -n"},
                         {snaplen, 100}], root => false},
    {ok, C} = epcap_opts:parse([{snaplen, 200}], Ctx),
    ?assertMatch(#{progname := "/opt/epcap", exec := ["sudo", "-n"],
                   snaplen := 200}, C).

conflicts_test() ->
    ?assertMatch({error, {badarg, {file, _}}},
                 parse([{file, "a"}, {interface, "lo"}])),
    ?assertMatch({error, {badarg, {direction, in}}},
                 parse([{file, "a"}, {direction, in}])),
    ?assertEqual({error, {badarg, notalist}}, parse(notalist)).

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
