%% @doc What a new user meets first, checked against what the documents
%% say (issue 17): the port on a terminal, the README's `make run'
%% sample output, the statistics on lo as the README explains them.
%%
%% Needs `script' (util-linux) for a terminal; the lo case needs root
%% (skipped otherwise, a failure under CI=true).
-module(epcap_usage_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([terminal_is_refused/1, readme_make_run_output/1,
         lo_counts_both_directions/1, unknown_option_as_the_table_says/1,
         permission_hint_names_a_readme_section/1]).

all() ->
    [terminal_is_refused, readme_make_run_output, lo_counts_both_directions,
     unknown_option_as_the_table_says, permission_hint_names_a_readme_section].

init_per_suite(Config) ->
    Sample = filename:join(?config(priv_dir, Config), "sample.pcap"),
    ok = epcap_samplegen:write_synthetic(Sample, 3, 60, #{}),
    [{sample, Sample} | Config].

end_per_suite(_Config) ->
    ok.

root() -> epcap_test_lib:root_dir().

%% Run Cmd with stdout (and stdin, stderr) on a pseudo-terminal:
%% {Status, what the terminal showed}.
on_terminal(Cmd) ->
    Script = os:find_executable("script"),
    Script =/= false orelse ct:fail({not_installed, "script (util-linux)"}),
    epcap_test_lib:cmd(Script, ["-qec", Cmd, "/dev/null"],
                       #{output => binary, timeout => 20000}).

%% Issue 17 item 11: `epcap -r F' (frames) and `epcap -r F -w -' (a pcap
%% stream) on a terminal write nothing binary: a usage error (64) that
%% says what to do. -w FILE and the listings still work there.
terminal_is_refused(Config) ->
    Port = filename:join([root(), "priv", "epcap"]),
    Sample = ?config(sample, Config),
    [begin
         {Status, Out} = on_terminal(Port ++ " -r " ++ Sample ++ Extra),
         ct:log("~s: ~b~n~s", [Extra, Status, Out]),
         ?assertEqual(64, Status),
         ?assertNotEqual(nomatch, binary:match(Out, <<"standard output is a "
                                                      "terminal">>)),
         ?assertEqual(nomatch, binary:match(Out, <<0>>)),
         ?assertEqual(nomatch, binary:match(Out, <<16#d4, 16#c3, 16#b2, 16#a1>>))
     end || Extra <- ["", " -w -", " --pcapng -w -"]],
    File = filename:join(?config(priv_dir, Config), "out.pcap"),
    ?assertMatch({0, _}, on_terminal(Port ++ " -r " ++ Sample ++ " -w " ++ File)),
    ?assertMatch({ok, <<16#d4, 16#c3, 16#b2, 16#a1, _/binary>>}, file:read_file(File)),
    ?assertMatch({0, _}, on_terminal(Port ++ " --version")).

%% Issue 17 item 13: the README's `make run' sample is what it prints.
%% make run sniffs the sample epcap_samplegen writes (_build/sample.pcap)
%% with examples/sniff.erl; the same here, into priv_dir.
readme_make_run_output(Config) ->
    Sample = filename:join(?config(priv_dir, Config), "make-run.pcap"),
    ok = epcap_samplegen:cli([sample, Sample]),
    Erl = os:find_executable("erl"),
    {0, Out} = epcap_test_lib:cmd(
                 Erl, ["-noshell", "-pa", filename:join(root(), "ebin"),
                       "-pa", filename:join([root(), "_build", "examples"]),
                       "-eval", "sniff:run()"],
                 #{env => [{"EPCAP_FILE", Sample}, {"EPCAP_IFACE", ""},
                           {"EPCAP_FILTER", ""}, {"EPCAP_COUNT", ""}],
                   output => binary, timeout => 20000}),
    Printed = string:split(unicode:characters_to_list(Out), "\n", all),
    {ok, Readme} = file:read_file(filename:join(root(), "README.md")),
    [_, After] = string:split(unicode:characters_to_list(Readme),
                              "`epcap_usage_SUITE` checks these lines"),
    %% The rest of that sentence, then the packets' block and the summary's.
    [_Intro, Packets, Summary | _] = string:split(After, "\n\n", all),
    Documented = [string:slice(L, 4)
                  || L <- string:split(Packets ++ "\n" ++ Summary, "\n", all),
                     string:trim(L) =/= "..."],
    ct:log("documented:~n~p~nprinted:~n~s", [Documented, Out]),
    ?assert(length(Documented) >= 5),
    ?assertEqual([], [L || L <- Documented, not lists:member(L, Printed)]),
    %% In the same order.
    ?assertEqual(Documented, [L || L <- Printed, lists:member(L, Documented)]).

%% Issue 17 item 14: the README's Statistics section: on lo the kernel
%% counts a local packet twice (out and back in) and libpcap delivers it
%% once, so six datagrams are received 12, delivered 6, dropped 0.
lo_counts_both_directions(Config) ->
    case epcap_test_lib:require_root(Config) of
        {skip, _} = Skip ->
            Skip;
        _ ->
            {ok, S} = gen_udp:open(0, [{ip, {127, 0, 0, 1}}]),
            {ok, P} = inet:port(S),
            {ok, R} = epcap:start([{interface, "lo"},
                                   {filter, "udp dst port " ++ integer_to_list(P)}]),
            [ok = gen_udp:send(S, {127, 0, 0, 1}, P, <<"s17">>) || _ <- lists:seq(1, 6)],
            [receive {packet, _, _, _, _} -> ok after 5000 -> ct:fail(no_packet) end
             || _ <- lists:seq(1, 6)],
            Stats = epcap_test_packets:settled_stats(R),
            ct:log("~p", [Stats]),
            ?assertMatch(#{received := 12, delivered := 6, dropped := 0}, Stats),
            ok = epcap:stop(R),
            gen_udp:close(S)
    end.

%% Issue 17 item 13: the README's error table says an unknown option is
%% ignored (with a warning) and a bad value of a known one is
%% {badarg, Option}; so does the program.
unknown_option_as_the_table_says(Config) ->
    {ok, Readme} = file:read_file(filename:join(root(), "README.md")),
    {match, [Row]} = re:run(Readme, "^\\| `\\{badarg, Option\\}` \\|(.*)$",
                            [multiline, {capture, all_but_first, binary}]),
    ?assertNotEqual(nomatch, binary:match(Row, <<"a bad value of a known option">>)),
    ?assertNotEqual(nomatch, binary:match(Row, <<"An unknown option is ignored">>)),
    Sample = ?config(sample, Config),
    {ok, Pid} = epcap:start([{file, Sample}, {nosuch_option, 1}]),
    Ref = monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok after 10000 -> ct:fail(not_done) end,
    epcap_test_packets:drain_messages(),
    ?assertMatch({error, {badarg, {snaplen, _}}},
                 epcap:start([{file, Sample}, {snaplen, -1}])).

%% Issue 17 item 13: a live start without privileges ends with a hint;
%% outside a source tree (a release) it names a section of epcap's README,
%% which must be one. As nobody, with a copy of the port in priv_dir.
permission_hint_names_a_readme_section(Config) ->
    case epcap_test_lib:require_root(Config) of
        {skip, _} = Skip ->
            Skip;
        _ ->
            Dir = filename:join(?config(priv_dir, Config), "rel-s17"),
            ok = filelib:ensure_path(Dir),
            ok = file:change_mode(Dir, 8#755),
            Copy = filename:join(Dir, "epcap"),
            {ok, _} = file:copy(filename:join([root(), "priv", "epcap"]), Copy),
            ok = file:change_mode(Copy, 8#755),
            R = epcap:start([{progname, Copy}, {interface, "lo"},
                             {exec, epcap_test_install:as_user(
                                      "nobody", "nogroup", clear)}]),
            ct:log("~p", [R]),
            {error, {permission_denied, Msg}} = R,
            {match, [Section]} = re:run(Msg, "README, \"([^\"]+)\"",
                                        [{capture, all_but_first, list}]),
            {ok, Readme} = file:read_file(filename:join(root(), "README.md")),
            ?assertMatch({match, _}, re:run(Readme, "^#+ " ++ Section ++ "$",
                                            [multiline]))
    end.
