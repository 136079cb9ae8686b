%% @doc Failed starts: structured reasons, no port left behind, and a
%% caller that is never killed by a failure.
%%
%% Most cases need no root (option errors and capture files); those that
%% open an interface check for root themselves, and the missing-device
%% case accepts permission_denied when not root. After every failure the
%% case checks that no epcap port process of this VM is running and that
%% no exit signal reached the caller.
-module(epcap_errors_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([suite/0, all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    bad_filter_file/1,
    bad_filter_live/1,
    no_such_device/1,
    missing_file/1,
    corrupt_file_random/1,
    corrupt_file_truncated_header/1,
    empty_file/1,
    badarg_values/1,
    badarg_every_start_function/1,
    badarg_owner/1,
    binary_strings_file/1,
    binary_strings_live/1,
    failed_start_link_keeps_caller/1,
    failed_start_link_sends_no_exit/1,
    exec_failure_is_port_exit/1,
    missing_exec_reason/1,
    port_not_runnable_before_sudo/1,
    datalinks_permission_denied/1,
    port_messages_are_logger_events/1,
    start_timeout/1
]).

suite() ->
    [{timetrap, {seconds, 60}}].

all() ->
    [bad_filter_file, bad_filter_live, no_such_device, missing_file,
     corrupt_file_random, corrupt_file_truncated_header, empty_file,
     badarg_values, badarg_every_start_function, badarg_owner,
     binary_strings_file, binary_strings_live,
     failed_start_link_keeps_caller, failed_start_link_sends_no_exit,
     exec_failure_is_port_exit, missing_exec_reason,
     port_not_runnable_before_sudo, datalinks_permission_denied,
     port_messages_are_logger_events, start_timeout].

init_per_suite(Config) ->
    Config.

end_per_suite(_Config) ->
    ok.

init_per_testcase(Case, Config) when
    Case =:= bad_filter_live; Case =:= binary_strings_live;
    Case =:= datalinks_permission_denied
->
    epcap_test_lib:require_root(Config);
init_per_testcase(_Case, Config) ->
    Config.

end_per_testcase(_Case, _Config) ->
    epcap_test_lib:stop_linked_epcaps(),
    epcap_test_lib:no_ports_left(3000).

%%--------------------------------------------------------------------
%% Cases

bad_filter_file(Config) ->
    File = pcap_file(Config, "empty.pcap", []),
    {error, {bad_filter, Msg}} =
        failed_start([{file, File}, {filter, "ip and ("}]),
    nonempty_text(Msg).

bad_filter_live(_Config) ->
    {error, {bad_filter, Msg}} =
        failed_start([{interface, "lo"}, {filter, "no such protocol"}]),
    nonempty_text(Msg).

no_such_device(_Config) ->
    Result = failed_start([{interface, "nosuch0"}]),
    case epcap_test_lib:is_root() of
        true ->
            ?assertEqual({error, {no_such_device, "nosuch0"}}, Result);
        false ->
            %% Without root the port may not get far enough to look.
            ?assertMatch({error, {E, _}} when E =:= no_such_device orelse
                                              E =:= permission_denied,
                         Result)
    end.

missing_file(Config) ->
    Path = filename:join(?config(priv_dir, Config), "no/such/file.pcap"),
    {error, {file, Path, Msg}} = failed_start([{file, Path}]),
    nonempty_text(Msg).

corrupt_file_random(Config) ->
    %% Random bytes behind a magic number no pcap or pcapng file has.
    Path = write(Config, "random.pcap", <<"XXXX", (rand:bytes(1020))/binary>>),
    {error, {file, Path, Msg}} = failed_start([{file, Path}]),
    nonempty_text(Msg).

corrupt_file_truncated_header(Config) ->
    <<Head:10/binary, _/binary>> = epcap_test_packets:pcap_global_header(),
    Path = write(Config, "truncated.pcap", Head),
    {error, {file, Path, Msg}} = failed_start([{file, Path}]),
    nonempty_text(Msg).

empty_file(Config) ->
    Path = write(Config, "empty0.pcap", <<>>),
    {error, {file, Path, Msg}} = failed_start([{file, Path}]),
    nonempty_text(Msg).

%% Every numeric and enumerated option, out of range or of the wrong
%% type, and the combinations that make no sense. (What the classic
%% accepted is accepted: numbers as strings, {timeout, -1}, small buffers
%% and unknown options; epcap_classic_SUITE.)
badarg_values(Config) ->
    File = pcap_file(Config, "ok.pcap", []),
    Bad = [
        {snaplen, 0}, {snaplen, 262145}, {snaplen, -1}, {snaplen, "ten"},
        {snaplen, 1.5}, {snaplen, "0"},
        {buffer, -1}, {buffer, 2147483648}, {buffer, "1M"},
        {timeout, -2}, {timeout, forever}, {timeout, 2147483648},
        {timeout, "soon"},
        {direction, up}, {direction, "in"},
        {time_unit, hours}, {time_unit, millisecond},
        {cluster_id, 256}, {cluster_id, -1},
        {start_timeout, 0}, {start_timeout, -5},
        {verbose, 6}, {verbose, -1},
        {promiscuous, yes}, {monitor, 1}, {inject, "true"},
        {cpu_affinity, "a"}, {cpu_affinity, ""},
        {env, "NOEQUALS"}, {env, "=value"},
        {interface, ""}, {interface, 'lo'}, {interface, 42},
        {filter, 123}, {filter, [a]},
        {file, ""}, {user, ""}, {group, ""}, {chroot, ""},
        {progname, ""}, {exec, 123}
    ],
    [check_badarg([Opt, {file, File}], Opt) || Opt <- Bad],
    %% The same bad option given through a map.
    check_badarg(#{snaplen => 0, file => File}, {snaplen, 0}),
    %% Combinations.
    {error, {badarg, _}} =
        failed_start([{file, File}, {interface, "lo"}]),
    {error, {badarg, _}} =
        failed_start([{file, File}, {direction, in}]),
    {error, {badarg, _}} = failed_start(not_a_list),
    {error, {badarg, _}} = failed_start([{file, File}, {snaplen, []}]),
    ok.

%% start/1, start/2, start_link/1, start_link/2 all validate.
badarg_every_start_function(_Config) ->
    Opts = [{snaplen, 0}, {interface, "lo"}],
    Me = self(),
    Results = [
        epcap:start(Opts),
        epcap:start(Me, Opts),
        epcap:start_link(Opts),
        epcap:start_link(Me, Opts)
    ],
    [?assertEqual({error, {badarg, {snaplen, 0}}}, R) || R <- Results],
    no_port_left(),
    ok.

badarg_owner(_Config) ->
    ?assertMatch({error, {badarg, _}}, epcap:start(not_a_pid, [])),
    ?assertMatch({error, {badarg, _}}, epcap:start_link("pid", [])),
    no_port_left().

%% Strings may be binaries (Elixir).
binary_strings_file(Config) ->
    File = pcap_file(Config, "bin.pcap",
                     [epcap_test_packets:udp_frame(<<"hello">>)]),
    {ok, Pid} = epcap:start_link([{file, list_to_binary(File)},
                                  {filter, <<"udp">>}]),
    Ref = monitor(process, Pid),
    [{packet, 1, _, _, _}] = epcap_test_packets:collect(1, 5000),
    receive {epcap, eof} -> ok after 5000 -> ct:fail(no_eof) end,
    receive
        {'DOWN', Ref, process, Pid, normal} -> ok
    after 5000 -> ct:fail(no_exit_after_eof)
    end.

binary_strings_live(_Config) ->
    {ok, Pid} = epcap:start_link([{interface, <<"lo">>},
                                  {filter, <<"icmp">>}]),
    ?assertMatch({ok, #{name := <<"lo">>, source := live}}, epcap:info(Pid)),
    ok = epcap:stop(Pid).

%% A caller of start_link that does not trap exits survives every kind
%% of failed start (option, port error, file error) and gets no signal.
failed_start_link_keeps_caller(Config) ->
    false = process_flag(trap_exit, false),
    File = pcap_file(Config, "keep.pcap", []),
    Corrupt = write(Config, "keep_bad.pcap", <<"garbage!">>),
    Starts = failing_starts(File, Corrupt),
    lists:foreach(
        fun(Opts) ->
            %% A fresh caller for each start, so a kill of one is seen.
            Parent = self(),
            {Caller, Ref} = spawn_monitor(fun() ->
                R = epcap:start_link(Opts),
                Parent ! {self(), started, R},
                %% A duration is what is tested: no exit signal lands
                %% within 100 ms (an absence has no event to wait for).
                receive after 100 -> ok end,
                Parent ! {self(), alive}
            end),
            receive
                {Caller, started, R} ->
                    ?assertMatch({error, _}, R, Opts)
            after 20000 -> ct:fail({no_result, Opts})
            end,
            receive
                {Caller, alive} -> ok;
                {'DOWN', Ref, process, Caller, Why} ->
                    ct:fail({caller_killed, Opts, Why})
            after 5000 -> ct:fail({caller_stuck, Opts})
            end,
            receive
                {'DOWN', Ref, process, Caller, normal} -> ok
            after 5000 -> ct:fail({caller_not_done, Opts})
            end,
            no_port_left()
        end, Starts),
    %% And the case's own process, calling directly.
    [?assertMatch({error, _}, epcap:start_link(O)) || O <- Starts],
    %% As above: 100 ms without an exit signal.
    receive after 100 -> ok end,
    ?assert(is_process_alive(self())),
    no_port_left().

%% With exits trapped, the failure must not even leave a link behind:
%% no 'EXIT' message at all.
failed_start_link_sends_no_exit(Config) ->
    Old = process_flag(trap_exit, true),
    try
        File = pcap_file(Config, "noexit.pcap", []),
        Corrupt = write(Config, "noexit_bad.pcap", <<"garbage!">>),
        {links, Before} = process_info(self(), links),
        lists:foreach(
            fun(Opts) ->
                ?assertMatch({error, _}, epcap:start_link(Opts), Opts),
                receive
                    {'EXIT', From, Why} ->
                        ct:fail({exit_signal, Opts, From, Why})
                after 100 -> ok
                end,
                {links, After} = process_info(self(), links),
                ?assertEqual(lists:sort(Before), lists:sort(After), Opts),
                no_port_left()
            end, failing_starts(File, Corrupt))
    after
        process_flag(trap_exit, Old)
    end.

%% An exec prefix (not sudo) that fails before the port runs:
%% {port_exit, Why}.
exec_failure_is_port_exit(Config) ->
    File = pcap_file(Config, "exec.pcap", []),
    ?assertEqual({error, {port_exit, {status, 1}}},
                 failed_start([{exec, "false"}, {file, File}])).

%% An executable that does not exist: a failed start with one of the
%% documented reasons, not a crash.
missing_exec_reason(Config) ->
    File = pcap_file(Config, "noexec.pcap", []),
    Result = failed_start([{exec, "/nonexistent/epcap-wrapper"},
                           {file, File}]),
    ?assertMatch({error, _}, Result),
    {error, Reason} = Result,
    ?assert(documented_reason(Reason), {undocumented_reason, Reason}).

%% A port program that is missing or not executable is said so, for a
%% live capture too, before any sudo fallback could blur it.
port_not_runnable_before_sudo(Config) ->
    Missing = filename:join(?config(priv_dir, Config), "no-such-epcap"),
    ?assertEqual({error, {exec, Missing, enoent}},
                 failed_start([{progname, Missing}, {interface, "lo"}])),
    ?assertEqual({error, {exec, Missing, enoent}},
                 failed_start([{progname, Missing}, {interface, "lo"},
                               {exec, "sudo -n"}])),
    NotExec = filename:join(?config(priv_dir, Config), "not-executable"),
    {ok, _} = file:copy(epcap_opts:default_progname(), NotExec),
    ok = file:change_mode(NotExec, 8#644),
    ?assertEqual({error, {exec, NotExec, eacces}},
                 failed_start([{progname, NotExec}, {interface, "lo"}])),
    ?assertEqual({error, {exec, NotExec, eacces}},
                 epcap:datalinks("lo", [{progname, NotExec}])).

%% Opening an interface without the right: permission_denied, with the
%% fixes, not a generic capture error. The port runs as nobody.
datalinks_permission_denied(_Config) ->
    R = epcap:datalinks("lo", [{exec, epcap_test_install:as_user("nobody", "nogroup",
                                                            clear)}]),
    ct:log("~p", [R]),
    ?assertMatch({error, {permission_denied, _}}, R),
    {error, {permission_denied, Msg}} = R,
    ?assertNotEqual(nomatch, string:find(Msg, "make setcap")),
    ?assertMatch({ok, [{_, _, _} | _]}, epcap:datalinks("lo")).

%% Under Erlang the port's own messages (a fatal error, -v logging) are
%% logger events or the returned error; no line of the port reaches the
%% VM's console. A VM of its own, whose console is read here.
port_messages_are_logger_events(Config) ->
    File = pcap_file(Config, "verbose.pcap", []),
    Expr = lists:flatten(io_lib:format(
        "ok = logger:update_formatter_config(default, "
        "#{template => [\"LOGGER \", msg, \"\\n\"]}),"
        "{ok, _} = epcap:start_link([{file, ~p}, {verbose, 2}]),"
        "receive {epcap, eof} -> ok end,"
        "{error, {bad_filter, _}} = epcap:start_link([{file, ~p}, {filter, \"tcp port\"}]),"
        "io:format(\"DONE~~n\"), halt().", [File, File])),
    Ebin = filename:dirname(code:which(epcap)),
    {_, Out} = epcap_test_lib:cmd(os:find_executable("erl"),
        ["-noshell", "-pa", Ebin, "-kernel", "logger_level", "info",
         "-eval", Expr], #{timeout => 20000, output => unicode}),
    ct:log("~s", [Out]),
    ?assertNotEqual(nomatch, string:find(Out, "DONE")),
    %% logger's lines start with LOGGER here; the port's own would start
    %% with "epcap: ".
    ?assertEqual([], [L || L <- string:split(Out, "\n", all),
                           string:prefix(L, "epcap:") =/= nomatch]),
    %% The -v logging arrived, as info events.
    ?assertNotEqual(nomatch, string:find(Out, "LOGGER epcap: sandbox:")).

%% A port that is not ready in time: {error, timeout}, and the port,
%% once it does run, finds its input closed and goes away.
start_timeout(Config) ->
    Dir = ?config(priv_dir, Config),
    Slow = filename:join(Dir, "slow-start.sh"),
    ok = file:write_file(Slow, "#!/bin/sh\nsleep 0.5\nexec \"$@\"\n"),
    ok = file:change_mode(Slow, 8#755),
    File = pcap_file(Config, "slow.pcap", []),
    T0 = erlang:monotonic_time(millisecond),
    ?assertEqual({error, timeout},
                 epcap:start_link([{exec, Slow}, {file, File},
                                   {start_timeout, 100}])),
    Elapsed = erlang:monotonic_time(millisecond) - T0,
    ?assert(Elapsed < 450, {took, Elapsed}),
    %% The wrapper still sleeps; once it runs the port, the port sees its
    %% input closed and exits.
    ?assertEqual(ok, epcap_test_lib:wait_no_ports(3000)).

%%--------------------------------------------------------------------
%% Helpers

%% start_link without trapping exits; afterwards the caller is alive, got
%% no signal, and no port process is left.
failed_start(Opts) ->
    Old = process_flag(trap_exit, false),
    Result = epcap:start_link(Opts),
    process_flag(trap_exit, Old),
    ?assertMatch({error, _}, Result),
    ?assert(is_process_alive(self())),
    no_port_left(),
    Result.

check_badarg(Opts, Opt) ->
    case failed_start(Opts) of
        {error, {badarg, Opt}} -> ok;
        {error, {badarg, Other}} -> ct:fail({badarg_names, Other, not_, Opt});
        Other -> ct:fail({not_badarg, Opt, Other})
    end.

%% A failed start may leave no port process; an error reported by the
%% port means it has exited, but allow the OS a moment to reap it.
no_port_left() ->
    ?assertEqual(ok, epcap_test_lib:wait_no_ports(500)).

failing_starts(File, Corrupt) ->
    [[{snaplen, 0}, {file, File}],
     [{file, File}, {filter, "ip and ("}],
     [{file, Corrupt}],
     [{file, File ++ ".missing"}],
     [{interface, "nosuch0"}],
     [{exec, "false"}, {file, File}]].

documented_reason({badarg, _}) -> true;
documented_reason({bad_filter, M}) -> io_lib:char_list(M);
documented_reason({no_such_device, _}) -> true;
documented_reason({permission_denied, _}) -> true;
documented_reason({file, _, _}) -> true;
documented_reason({port_exit, _}) -> true;
documented_reason({exec, Path, _}) -> io_lib:char_list(Path);
documented_reason(timeout) -> true;
documented_reason({Code, Msg}) when is_atom(Code) -> io_lib:char_list(Msg);
documented_reason(_) -> false.

nonempty_text(Msg) ->
    ?assert(io_lib:char_list(Msg) andalso string:trim(Msg) =/= "", Msg).

write(Config, Name, Bin) ->
    Path = filename:join(?config(priv_dir, Config), Name),
    ok = file:write_file(Path, Bin),
    Path.

%% A pcap file with the given Ethernet frames.
pcap_file(Config, Name, Frames) ->
    epcap_test_packets:pcap_file(filename:join(?config(priv_dir, Config), Name),
                             Frames).
