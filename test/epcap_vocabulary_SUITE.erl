%% One error vocabulary (issue 16) and the Erlang behaviour items of
%% issue 17: every reason in the README's "Errors" table, driven from
%% every call that can meet it, and the same cause giving the same
%% reason; bad arguments failing at the call; one log event per fact.
%%
%% Runs as root (as the other suites do); nothing here changes the
%% machine: scripts and files live in priv_dir.
-module(epcap_vocabulary_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([badarg_everywhere/1, no_such_device_everywhere/1,
         bad_filter_everywhere/1, exec_everywhere/1,
         port_exit_everywhere/1, file_as_given/1, start_timeout/1,
         open_refuses_process_options/1, child_spec_needs_owner/1,
         killed_port_is_one_event/1, damaged_file_is_one_event/1,
         getopts_is_silent/1, verbose_shows_at_default_level/1,
         timeout_minus_one_is_converted/1, real_cause_wins_unprivileged/1]).
%% logger handler callback: events go to the test process.
-export([log/2]).

all() ->
    [badarg_everywhere, no_such_device_everywhere, bad_filter_everywhere,
     exec_everywhere, port_exit_everywhere, file_as_given, start_timeout,
     open_refuses_process_options, child_spec_needs_owner,
     killed_port_is_one_event, damaged_file_is_one_event,
     getopts_is_silent, verbose_shows_at_default_level,
     timeout_minus_one_is_converted, real_cause_wins_unprivileged].

init_per_suite(Config) ->
    Dir = ?config(priv_dir, Config),
    File = filename:join(Dir, "ten.pcap"),
    ok = epcap_samplegen:write_synthetic(File, 10, 60, #{}),
    [{file, File} | Config].

end_per_suite(_Config) ->
    ok.

init_per_testcase(_Case, Config) ->
    ok = logger:add_handler(?MODULE, ?MODULE,
                            #{level => all, config => #{pid => self()}}),
    Config.

end_per_testcase(_Case, _Config) ->
    _ = logger:remove_handler(?MODULE),
    _ = application:unset_env(epcap, progname),
    ok.

log(Event, #{config := #{pid := Pid}}) ->
    Pid ! {log, Event}.

%% The events logged so far (by any process), oldest first.
events() ->
    receive {log, E} -> [E | events()]
    after 0 -> []
    end.

from(Pid, Events) ->
    [E || #{meta := #{pid := P}} = E <- Events, P =:= Pid].

%% A script standing for the port program.
script(Config, Name, Body) ->
    Path = filename:join(?config(priv_dir, Config), Name),
    ok = file:write_file(Path, ["#!/bin/sh\n", Body, "\n"]),
    ok = file:change_mode(Path, 8#755),
    Path.

%%--------------------------------------------------------------------

%% A bad argument is {badarg, Option}, Option as given, from each call.
badarg_everywhere(Config) ->
    Bad = {snaplen, 0},
    File = ?config(file, Config),
    ?assertEqual({error, {badarg, Bad}}, epcap:start([{file, File}, Bad])),
    ?assertEqual({error, {badarg, Bad}}, epcap:start_link([{file, File}, Bad])),
    ?assertEqual({error, {badarg, Bad}}, epcap:open([{file, File}, Bad])),
    ?assertEqual({error, {badarg, Bad}}, epcap:datalinks("lo", [Bad])),
    ?assertEqual({error, {badarg, Bad}}, epcap:compile("ip", [Bad])),
    ?assertEqual({error, {badarg, Bad}}, epcap:getopts([Bad])),
    %% A binary stays a binary.
    B = {snaplen, <<"x">>},
    ?assertEqual({error, {badarg, B}}, epcap:start([{file, File}, B])).

no_such_device_everywhere(_Config) ->
    [begin
         Want = {error, {no_such_device, Name}},
         ?assertEqual(Want, epcap:start([{interface, Name}])),
         ?assertEqual(Want, epcap:open([{interface, Name}])),
         ?assertEqual(Want, epcap:datalinks(Name))
     end || Name <- ["nope0e16", <<"nope0e16">>]].

bad_filter_everywhere(Config) ->
    File = ?config(file, Config),
    Filter = "tcp port ((",
    {error, {bad_filter, Msg}} = epcap:compile(Filter),
    ?assert(io_lib:printable_unicode_list(Msg)),
    ?assertMatch({error, {bad_filter, _}},
                 epcap:start([{file, File}, {filter, Filter}])),
    ?assertMatch({error, {bad_filter, _}},
                 epcap:open([{file, File}, {filter, Filter}])),
    ?assertMatch({error, {bad_filter, _}},
                 epcap:start([{interface, "lo"}, {filter, Filter}])).

%% A port program that cannot be run: {exec, Path, Posix} from each call,
%% interfaces/0 included (through the application environment).
exec_everywhere(Config) ->
    Prog = filename:join(?config(priv_dir, Config), "missing-epcap"),
    Want = {error, {exec, Prog, enoent}},
    File = ?config(file, Config),
    ?assertEqual(Want, epcap:start([{progname, Prog}, {file, File}])),
    ?assertEqual(Want, epcap:open([{progname, Prog}, {file, File}])),
    ?assertEqual(Want, epcap:start([{progname, Prog}, {interface, "lo"}])),
    ?assertEqual(Want, epcap:datalinks("lo", [{progname, Prog}])),
    ?assertEqual(Want, epcap:compile("ip", [{progname, Prog}])),
    ok = application:set_env(epcap, progname, Prog),
    ?assertEqual(Want, epcap:interfaces()).

%% A port that ends without a word: {port_exit, Why} from each call.
port_exit_everywhere(Config) ->
    Prog = script(Config, "silent-epcap", "exit 3"),
    Want = {error, {port_exit, {status, 3}}},
    File = ?config(file, Config),
    ?assertEqual(Want, epcap:start([{progname, Prog}, {file, File}])),
    ?assertEqual(Want, epcap:open([{progname, Prog}, {file, File}])),
    ?assertEqual(Want, epcap:datalinks("lo", [{progname, Prog}, {exec, ""}])),
    ?assertEqual(Want, epcap:compile("ip", [{progname, Prog}])),
    ok = application:set_env(epcap, progname, Prog),
    ?assertEqual(Want, epcap:interfaces()).

file_as_given(Config) ->
    Missing = filename:join(?config(priv_dir, Config), "missing.pcap"),
    [begin
         {error, {file, Path, Msg}} = epcap:start([{file, Path}]),
         ?assert(io_lib:printable_unicode_list(Msg)),
         ?assertMatch({error, {file, Path, _}}, epcap:open([{file, Path}]))
     end || Path <- [Missing, list_to_binary(Missing)]].

start_timeout(Config) ->
    Prog = script(Config, "mute-epcap", "exec sleep 30"),
    ?assertEqual({error, timeout},
                 epcap:start([{progname, Prog}, {file, ?config(file, Config)},
                              {start_timeout, 300}])).

%% Issue 17, item 7: what does not apply fails at the call.
open_refuses_process_options(Config) ->
    File = ?config(file, Config),
    [?assertEqual({error, {badarg, Opt}}, epcap:open([{file, File}, Opt]))
     || Opt <- [{active, once}, {active, true}, {delivery, batch},
                {stats_interval, 100}, {node, node()}]],
    ?assertEqual({error, {badarg, {active, once}}},
                 epcap:open(#{file => File, active => once})).

child_spec_needs_owner(_Config) ->
    ?assertError({badarg, {owner, undefined}},
                 epcap:child_spec([{interface, "lo"}])),
    ?assertError({badarg, {owner, "me"}},
                 epcap:child_spec([{owner, "me"}, {interface, "lo"}])),
    #{start := {epcap, start_link, [Me, [{interface, "lo"}]]}} =
        epcap:child_spec([{owner, self()}, {interface, "lo"}]),
    ?assertEqual(self(), Me).

%% Issue 17, item 9: a killed port is one error event, with no
%% gen_server or crash report of the process's state.
killed_port_is_one_event(_Config) ->
    {ok, Pid} = epcap:start([{interface, "lo"}]),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    Ref = monitor(process, Pid),
    _ = events(),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    receive
        {'DOWN', Ref, process, Pid, Why} ->
            ?assertEqual({port_exit, {signal, sigkill}}, Why)
    after 10000 ->
        ct:fail(still_running)
    end,
    Mine = from(Pid, events()),
    ct:log("~p", [Mine]),
    ?assertMatch([#{level := error}], Mine).

%% A damaged file: the owner's last message says it, nothing is logged.
damaged_file_is_one_event(Config) ->
    Good = ?config(file, Config),
    Bad = filename:join(?config(priv_dir, Config), "damaged.pcap"),
    {ok, Bin} = file:read_file(Good),
    ok = file:write_file(Bad, binary:part(Bin, 0, byte_size(Bin) - 7)),
    {ok, Pid} = epcap:start([{file, Bad}]),
    Ref = monitor(process, Pid),
    receive
        {epcap, {error, {capture, _}}} -> ok
    after 10000 ->
        ct:fail(no_damage_message)
    end,
    receive {'DOWN', Ref, process, Pid, normal} -> ok
    after 10000 -> ct:fail(not_ended)
    end,
    ?assertEqual([], from(Pid, events())).

getopts_is_silent(_Config) ->
    _ = events(),
    [_ | _] = epcap:getopts([{buffer, 1024}, {colour, blue}, {timeout, -1}]),
    ?assertEqual([], from(self(), events())).

%% {verbose, true}: the port's logging at notice, which the default
%% logger level (notice) shows.
verbose_shows_at_default_level(Config) ->
    {ok, Pid} = epcap:start([{file, ?config(file, Config)}, {verbose, true}]),
    receive {epcap, eof} -> ok after 10000 -> ct:fail(no_eof) end,
    Notices = [E || #{level := notice} = E <- from(Pid, events())],
    ct:log("~p", [Notices]),
    ?assertNotEqual([], Notices).

%% Issue 17, item 5: the classic's {timeout, -1} does not leave a quiet
%% interface's packets in the kernel: the adaptive default, said once.
timeout_minus_one_is_converted(_Config) ->
    {ok, S} = gen_udp:open(0, [{ip, {127, 0, 0, 1}}]),
    {ok, Port} = inet:port(S),
    Filter = "udp dst port " ++ integer_to_list(Port),
    {ok, Pid} = epcap:start([{interface, "lo"}, {timeout, -1},
                             {filter, Filter}]),
    Warnings = [E || #{level := warning} = E <- events()],
    ?assertMatch([_], Warnings),
    [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32>>)
     || I <- lists:seq(1, 6)],
    %% With no timeout they would wait in the kernel's open block until
    %% it filled (never, on a quiet interface): they arrive.
    Got = fun G(0) -> 0;
              G(N) -> receive {packet, _, _, _, _} -> G(N - 1)
                      after 5000 -> N end end,
    ?assertEqual(0, Got(6)),
    ok = epcap:stop(Pid),
    gen_udp:close(S).

%% Issue 17, item 6: as a user who cannot capture, the causes that need
%% no privilege are found first: a missing interface, a bad filter on an
%% Ethernet or loopback interface. A copy of the port without any
%% privilege, run as nobody.
real_cause_wins_unprivileged(Config) ->
    case os:find_executable("setpriv") of
        false -> {skip, "setpriv missing"};
        _ -> real_cause_wins_as(Config)
    end.

real_cause_wins_as(Config) ->
    Dir = ?config(priv_dir, Config),
    ok = file:change_mode(Dir, 8#755),
    Erl = os:find_executable("erl"),
    Ebin = filename:dirname(code:which(epcap)),
    Prog = epcap_opts:default_progname(),
    Code = "io:format(\"~p~n\", [[epcap:start([{progname, \"" ++ Prog ++
        "\"}, {interface, \"nope0e16\"}]), epcap:start([{progname, \"" ++
        Prog ++ "\"}, {interface, \"lo\"}, {filter, \"tcp port ((\"}])]]), "
        "halt().",
    Cmd = "cd / && " ++ epcap_test_install:as_user("nobody", "nogroup", clear) ++
        " env HOME=/tmp " ++ Erl ++ " -noshell -pa " ++ Ebin ++
        " -eval '" ++ Code ++ "'",
    Out = os:cmd(Cmd),
    ct:log("~s~n~s", [Cmd, Out]),
    {ok, Tokens, _} = erl_scan:string(Out ++ "."),
    {ok, [NoDev, BadFilter]} = erl_parse:parse_term(Tokens),
    ?assertEqual({error, {no_such_device, "nope0e16"}}, NoDev),
    ?assertMatch({error, {bad_filter, _}}, BadFilter).
