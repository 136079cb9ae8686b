%% @doc The fixtures every suite shares.
%%
%% Root and tools: `require_root/1' skips a suite that needs root, and
%% `require_tools/2' one that needs programs (`make test-deps' installs
%% them), except under CI (`CI=true'), where either is a failure: a CI run
%% that silently skips every live test proves nothing.
%%
%% Commands: `run/2,3' runs a program without a shell, `sh/1,2' a shell
%% command line, both through `cmd/3' (bounded, `{Status, Output}').
%%
%% Waits: `wait_until/3' polls a condition (a file, a process, a counter)
%% up to a deadline and fails the case with what it waited for; `poll/2'
%% is the same without failing. Nothing here sleeps for a fixed time.
%%
%% Processes: `port_os_pids/0' lists the priv/epcap processes started by
%% this VM (descendants of its OS pid, so a concurrent test run of another
%% engineer is never counted), `wait_gone/2' waits for one of them to go,
%% `no_ports_left/1' is the end_per_testcase check that none is left, and
%% `port_program/1' finds the port program under a sudo or setpriv.
%%
%% Packets, statistics and capture files are in epcap_test_packets,
%% network namespaces in epcap_netns, installed copies of the port and
%% throwaway users in epcap_test_install (src has an epcap_install).
-module(epcap_test_lib).

-include_lib("common_test/include/ct.hrl").

-export([
    is_root/0,
    require_root/1,
    require_tools/2,
    skip_or_fail/1,
    root_dir/0,
    cmd/3,
    run/2, run/3,
    run_ok/2,
    sh/1, sh/2,
    sh_ok/1, sh_ok/2,
    wait_until/3,
    poll/2, poll/3,
    port_os_pids/0,
    os_alive/1,
    wait_gone/2,
    wait_no_ports/1,
    no_ports_left/1,
    wait_closed/1,
    stop_linked_epcaps/0,
    proc_status/1,
    ppid/1,
    ancestors/1,
    runs_epcap/1,
    port_program/1,
    kill/2
]).

%% How often a condition is looked at while waiting for it.
-define(POLL_MS, 5).

%%--------------------------------------------------------------------
%% Root and tools

%% @doc Whether this VM runs as root (`id -u').
is_root() ->
    string:trim(os:cmd("id -u")) =:= "0".

%% @doc Config when root; a skip otherwise, or a failure under CI.
require_root(Config) ->
    case is_root() of
        true ->
            Config;
        false ->
            case os:getenv("CI") of
                "true" ->
                    ct:fail("CI=true but not running as root: the live "
                            "epcap tests cannot be skipped under CI");
                _ ->
                    {skip, "needs root (live capture and network "
                           "namespaces)"}
            end
    end.

%% @doc Config when every program is on PATH; a skip naming the missing
%% ones otherwise, or a failure under CI. A skip passes through.
require_tools({skip, _} = Skip, _) ->
    Skip;
require_tools(Config, Exes) ->
    case [E || E <- Exes, os:find_executable(E) =:= false] of
        [] -> Config;
        Missing -> skip_or_fail({not_installed, Missing})
    end.

%% @doc A skip, or under CI (where nothing may be skipped) a failure.
skip_or_fail(Why) ->
    case os:getenv("CI") of
        "true" -> ct:fail(Why);
        _ -> {skip, lists:flatten(io_lib:format("~p (make test-deps)", [Why]))}
    end.

%% @doc The project's top directory (`make ct' passes it as EPCAP_ROOT).
root_dir() ->
    case os:getenv("EPCAP_ROOT") of
        false -> filename:dirname(filename:dirname(epcap_opts:default_progname()));
        Root -> Root
    end.

%%--------------------------------------------------------------------
%% Commands

%% @doc Run `Exe' (a path) with `Args', no shell: `{ExitStatus, Output}'.
%% Options: `timeout' (ms, default 10000; the case fails after it),
%% `stderr' (`merge', the default, or `keep': left to the VM's own),
%% `cd', `env' (as for open_port) and `output' (`list', the default,
%% `unicode' or `binary').
cmd(Exe, Args, Opts) ->
    Stderr = case maps:get(stderr, Opts, merge) of
        merge -> [stderr_to_stdout];
        keep -> []
    end,
    Port = open_port({spawn_executable, Exe},
        [{args, Args}, exit_status, binary, hide, use_stdio | Stderr]
        ++ [{cd, D} || {ok, D} <- [maps:find(cd, Opts)]]
        ++ [{env, E} || {ok, E} <- [maps:find(env, Opts)]]),
    Deadline = erlang:monotonic_time(millisecond) +
        maps:get(timeout, Opts, 10000),
    Out = cmd_loop(Port, Deadline, [], {Exe, Args}),
    case maps:get(output, Opts, list) of
        list -> setelement(2, Out, binary_to_list(element(2, Out)));
        unicode -> setelement(2, Out, unicode:characters_to_list(element(2, Out)));
        binary -> Out
    end.

cmd_loop(Port, Deadline, Acc, What) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, D}} ->
            cmd_loop(Port, Deadline, [D | Acc], What);
        {Port, {exit_status, S}} ->
            {S, iolist_to_binary(lists:reverse(Acc))}
    after Left ->
        catch port_close(Port),
        ct:fail({command_timeout, What, iolist_to_binary(lists:reverse(Acc))})
    end.

%% @doc Run an executable (found on PATH) with arguments; returns
%% `{ExitStatus, Output}' (stdout and stderr). Bounded: 10 s, or `Timeout'.
run(Cmd, Args) ->
    run(Cmd, Args, 10000).

run(Cmd, Args, Timeout) ->
    Exe =
        case os:find_executable(Cmd) of
            false -> ct:fail({not_found, Cmd});
            Path -> Path
        end,
    cmd(Exe, Args, #{timeout => Timeout}).

%% @doc Run and fail the case unless the command exits 0; returns output.
run_ok(Cmd, Args) ->
    case run(Cmd, Args) of
        {0, Out} -> Out;
        {S, Out} -> ct:fail({command_failed, [Cmd | Args], S, Out})
    end.

%% @doc A command line through /bin/sh: `{ExitStatus, Output}' (stdout and
%% stderr). Bounded: 60 s unless `Opts' (as for `cmd/3') say otherwise.
%% Only ever given the suites' own words and paths, never a user's input.
sh(Line) ->
    sh(Line, #{}).

sh(Line, Opts) ->
    cmd("/bin/sh", ["-c", Line], maps:merge(#{timeout => 60000}, Opts)).

%% @doc The same, failing the case unless it exits 0; its output.
sh_ok(Line) ->
    sh_ok(Line, #{}).

sh_ok(Line, Opts) ->
    case sh(Line, Opts) of
        {0, Out} -> Out;
        {S, Out} -> ct:fail({command_failed, Line, S, Out})
    end.

%%--------------------------------------------------------------------
%% Waiting for a condition

%% @doc Wait until `Fun()' returns something other than `false' or
%% `{false, Seen}', and return that; the case fails with
%% `{timeout, What, Ms}' after `Ms' (and what was last `Seen', if given).
wait_until(What, Fun, Ms) ->
    case poll_loop(Fun, erlang:monotonic_time(millisecond) + Ms, ?POLL_MS,
                   none) of
        {ok, Value} -> Value;
        {timeout, none} -> ct:fail({timeout, What, Ms});
        {timeout, Seen} -> ct:fail({timeout, What, Ms, Seen})
    end.

%% @doc `{ok, Value}' as soon as `Fun()' returns a `Value' other than
%% `false' (or `{false, _}'), or `timeout' once `Ms' have passed; looked
%% at every `Every' ms (default 5).
poll(Fun, Ms) ->
    poll(Fun, Ms, ?POLL_MS).

poll(Fun, Ms, Every) ->
    case poll_loop(Fun, erlang:monotonic_time(millisecond) + Ms, Every, none) of
        {ok, _} = Ok -> Ok;
        {timeout, _} -> timeout
    end.

poll_loop(Fun, Deadline, Every, Seen) ->
    case Fun() of
        false -> not_yet(Fun, Deadline, Every, Seen);
        {false, Now} -> not_yet(Fun, Deadline, Every, Now);
        Value -> {ok, Value}
    end.

not_yet(Fun, Deadline, Every, Seen) ->
    case erlang:monotonic_time(millisecond) >= Deadline of
        true ->
            {timeout, Seen};
        false ->
            receive after Every -> ok end,
            poll_loop(Fun, Deadline, Every, Seen)
    end.

%%--------------------------------------------------------------------
%% Port processes

%% @doc OS pids of running priv/epcap processes started by this VM: their
%% command line names the port program and they descend from this VM.
port_os_pids() ->
    Prog = list_to_binary(epcap_opts:default_progname()),
    Me = list_to_integer(os:getpid()),
    {ok, Entries} = file:list_dir("/proc"),
    Pids = [list_to_integer(E) || E <- Entries, is_digits(E)],
    lists:sort([P || P <- Pids, P =/= Me, cmdline_has(P, Prog),
                     descends_from(P, Me, 32)]).

is_digits(S) ->
    S =/= [] andalso lists:all(fun(C) -> C >= $0 andalso C =< $9 end, S).

cmdline_has(Pid, Prog) ->
    case file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/cmdline") of
        {ok, Bin} -> binary:match(Bin, Prog) =/= nomatch;
        _ -> false
    end.

descends_from(_, _, 0) ->
    false;
descends_from(Pid, Ancestor, Depth) ->
    case ppid(Pid) of
        Ancestor -> true;
        P when is_integer(P), P > 1 -> descends_from(P, Ancestor, Depth - 1);
        _ -> false
    end.

%% @doc The parent of an OS process, or `undefined' once it is gone.
ppid(Pid) ->
    case file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/stat") of
        {ok, Bin} ->
            %% "pid (comm) state ppid ...": comm may hold spaces or ')'.
            {Pos, 1} = lists:last(binary:matches(Bin, <<")">>)),
            Rest = binary:part(Bin, Pos + 2, byte_size(Bin) - Pos - 2),
            [_State, PPid | _] = binary:split(Rest, <<" ">>, [global]),
            binary_to_integer(PPid);
        _ ->
            undefined
    end.

%% @doc The ancestors of an OS process, its parent first, up to init.
ancestors(OsPid) ->
    case ppid(OsPid) of
        P when is_integer(P), P > 1 -> [P | ancestors(P)];
        _ -> []
    end.

%% @doc /proc/PID/status as a map of trimmed strings (`#{}' once the
%% process is gone).
proc_status(OsPid) ->
    case file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status") of
        {ok, Bin} ->
            maps:from_list(
                [{K, string:trim(V)}
                 || L <- string:lexemes(binary_to_list(Bin), "\n"),
                    [K, V] <- [string:split(L, ":")]]);
        {error, _} ->
            #{}
    end.

%% @doc Whether an OS process is a port program (its executable is named
%% epcap), rather than a sudo or a shell in front of one.
runs_epcap(OsPid) ->
    case file:read_link("/proc/" ++ integer_to_list(OsPid) ++ "/exe") of
        {ok, Exe} -> filename:basename(Exe) =:= "epcap";
        _ -> false
    end.

%% @doc The port program behind an OS pid: the process itself, or its
%% child once the sudo or setpriv in front of it has started it. The case
%% fails if there is none within 5 s.
port_program(OsPid) ->
    wait_until({port_program_under, OsPid}, fun() ->
        case runs_epcap(OsPid) of
            true ->
                OsPid;
            false ->
                case [C || C <- children(OsPid), runs_epcap(C)] of
                    [Child | _] -> Child;
                    [] -> false
                end
        end
    end, 5000).

children(OsPid) ->
    {ok, Entries} = file:list_dir("/proc"),
    [P || E <- Entries, is_digits(E), P <- [list_to_integer(E)],
          ppid(P) =:= OsPid].

%% @doc Whether an OS process exists (a zombie still counts: it is not
%% gone until it has been reaped).
os_alive(OsPid) ->
    filelib:is_dir("/proc/" ++ integer_to_list(OsPid)).

%% @doc Wait until `OsPid' is gone from /proc: `ok', or `timeout' after
%% `Ms'. Looked at every millisecond: some cases time the end.
wait_gone(OsPid, Ms) ->
    case poll(fun() -> not os_alive(OsPid) end, Ms, 1) of
        {ok, true} -> ok;
        timeout -> timeout
    end.

%% @doc Wait until this VM has no port process left: `ok' or
%% `{timeout, Pids}'.
wait_no_ports(Ms) ->
    case poll(fun() -> port_os_pids() =:= [] end, Ms) of
        {ok, true} -> ok;
        timeout -> {timeout, port_os_pids()}
    end.

%% @doc For end_per_testcase: `ok' once no port process of this VM is
%% left (within `Ms'), else `{fail, _}', so a port left behind fails the
%% case (a crash there would only warn).
no_ports_left(Ms) ->
    case wait_no_ports(Ms) of
        ok -> ok;
        {timeout, Pids} -> {fail, {epcap_ports_left, Pids}}
    end.

%% @doc Wait until an epcap server's port has exited (info/1 says
%% `closed') while the server itself lives on, holding what it read.
wait_closed(Pid) ->
    wait_until({capture_closed, Pid}, fun() ->
        epcap:info(Pid) =:= {error, closed}
    end, 5000).

%% @doc Stop the epcap servers linked to the calling process (those a
%% failed case left running), before its fixtures are torn down: a
%% capture whose interface vanishes would otherwise crash into the
%% caller. Returns how many were stopped.
stop_linked_epcaps() ->
    {links, Links} = process_info(self(), links),
    Epcaps = [P || P <- Links, is_pid(P), node(P) =:= node(), is_epcap(P)],
    [begin unlink(P), catch epcap:stop(P) end || P <- Epcaps],
    length(Epcaps).

is_epcap(Pid) ->
    case process_info(Pid, dictionary) of
        {dictionary, D} ->
            proplists:get_value('$initial_call', D) =:=
                {epcap_port, init_it, 4};
        undefined ->
            false
    end.

%% @doc Send a signal to an OS process we started.
kill(Sig, OsPid) when is_integer(OsPid) ->
    run_ok("kill", ["-s", Sig, integer_to_list(OsPid)]).
