%% @doc A hostile local caller against every privileged install.
%%
%% doc/SECURITY.md's rule: a caller who is not root gets capture (and,
%% where the installer allowed it, injection) on network interfaces, reads
%% only files they can read, writes only files they can write, and
%% nothing else, whatever the options, environment, stdin and files.
%%
%% The suite installs three copies of priv/epcap in a temporary directory
%% (setuid root, file capabilities, and a plain copy behind a sudoers rule)
%% and runs them as a throwaway user `epcaphPID', through `setpriv' (and
%% `sudo -n' for the sudo copy), trying each class of attack the security
%% review found: libpcap sources that are not network interfaces (with a
%% canary file that must never appear), root-only options, symlinks planted
%% under -w and dump names (first and rotated), kernel memory, a start
%% blocked on a FIFO, the command stream's allocation bound, and injection
%% without the installer's consent. Each attack must be refused and leave
%% nothing behind; normal use by the same user must still work.
%%
%% Needs root (users, sudoers, capabilities): skipped otherwise, a failure
%% under CI=true.
-module(epcap_hostile_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-import(epcap_test_install, [assert_refused/3]).
-include_lib("kernel/include/file.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    special_sources_refused/1,
    listing_shows_only_interfaces/1,
    root_only_options_refused/1,
    no_path_oracle/1,
    symlinked_write_refused/1,
    symlinked_dumps_replaced/1,
    buffer_bounded/1,
    blocked_start_is_the_caller_and_killable/1,
    parent_death_ends_a_blocked_start/1,
    command_stream_bounded/1,
    forged_sigsys_ignored/1,
    fifo_read_stays_killable/1,
    stuck_reader_stays_killable/1,
    long_filter_compile_stays_killable/1,
    inject_needs_the_installer/1,
    normal_use_works/1,
    erlang_sees_the_start/1
]).

-define(KINDS, [setuid, caps, sudo]).
-define(POLICY, "/etc/epcap/inject").

all() ->
    [special_sources_refused, listing_shows_only_interfaces,
     root_only_options_refused, no_path_oracle, symlinked_write_refused,
     symlinked_dumps_replaced, buffer_bounded,
     blocked_start_is_the_caller_and_killable,
     parent_death_ends_a_blocked_start, command_stream_bounded,
     forged_sigsys_ignored, fifo_read_stays_killable,
     stuck_reader_stays_killable, long_filter_compile_stays_killable,
     inject_needs_the_installer, normal_use_works, erlang_sees_the_start].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config0) ->
    case epcap_test_lib:require_tools(epcap_test_lib:require_root(Config0),
            ["setpriv", "setcap", "sudo", "visudo", "useradd", "userdel",
             "mkfifo"]) of
        {skip, _} = Skip ->
            Skip;
        Config ->
            epcap_test_install:add_user(user()),
            Dir = epcap_test_install:temp_dir("hostile"),
            Home = filename:join(Dir, "home"),
            RootOnly = filename:join(Dir, "rootonly"),
            ok = file:make_dir(Home),
            ok = file:make_dir(RootOnly),
            ok = file:change_mode(RootOnly, 8#700),
            sh_ok("chown " ++ user() ++ ":" ++ user() ++ " " ++ Home ++
                  " && chmod 700 " ++ Home),
            Bins = epcap_test_install:copies(Dir, ?KINDS),
            Sudoers = epcap_test_install:sudoers("hostile-" ++ os:getpid(),
                                            {user(), maps:get(sudo, Bins)}),
            Sample = filename:join(Home, "sample.pcap"),
            ok = epcap_samplegen:write_synthetic(Sample, 50, 60, #{}),
            Secret = filename:join(RootOnly, "secret.pcap"),
            ok = epcap_samplegen:write_synthetic(Secret, 5, 60, #{}),
            ok = file:change_mode(Secret, 8#600),
            sh_ok("chown " ++ user() ++ " " ++ Sample),
            SavedPolicy = file:read_file_info(?POLICY),
            _ = file:delete(?POLICY),
            [{dir, Dir}, {home, Home}, {rootonly, RootOnly}, {bins, Bins},
             {sudoers, Sudoers}, {sample, Sample}, {secret, Secret},
             {saved_policy, SavedPolicy} | Config]
    end.

end_per_suite(Config) ->
    epcap_test_install:remove_sudoers(?config(sudoers, Config)),
    case ?config(saved_policy, Config) of
        {ok, _} -> sh_ok("install -o root -g root -m 0644 /dev/null " ++ ?POLICY);
        _ -> _ = file:delete(?POLICY)
    end,
    epcap_test_install:remove_temp_dir(?config(dir, Config)),
    epcap_test_install:remove_user(user()).

init_per_testcase(_Case, Config) ->
    Canary = "/tmp/epcap-hostile-canary-" ++
             integer_to_list(erlang:unique_integer([positive])),
    [{canary, Canary} | Config].

end_per_testcase(_Case, Config) ->
    _ = file:delete(?POLICY),
    ?assertEqual({error, enoent}, file:read_file_info(?config(canary, Config))),
    ok.

%% One user per test run (the node's OS pid), so two runs on one machine
%% never delete each other's user.
user() -> "epcaph" ++ os:getpid().

%%--------------------------------------------------------------------
%% Helpers

sh(Cmd) -> epcap_test_lib:sh(Cmd, #{timeout => 30000}).

sh_ok(Cmd) -> epcap_test_lib:sh_ok(Cmd, #{timeout => 30000}).

q(S) -> "'" ++ S ++ "'".

%% The command line that runs the copy of Kind as the hostile user.
as_user(Config, Kind) ->
    epcap_test_install:command(user(), Kind, maps:get(Kind, ?config(bins, Config))).

%% Run the port as the hostile user with these arguments; stdin empty.
port(Config, Kind, Args) ->
    epcap_test_install:run_as(user(), Kind, maps:get(Kind, ?config(bins, Config)),
                              Args).
uid() -> epcap_test_install:uid(user()).

file_in(Config, Name) -> filename:join(?config(home, Config), Name).

exists(Path) -> element(1, file:read_link_info(Path)) =:= ok.

%% The OS pid of the epcap program whose command line mentions Marker,
%% once it runs.
wait_port_pid(Marker) ->
    epcap_test_lib:wait_until({port_program, Marker}, fun() ->
        Out = sh_ok("pgrep -f -- " ++ q("epcap.*" ++ Marker) ++ " || true"),
        Pids = [list_to_integer(P) || P <- string:lexemes(Out, "\n")],
        case [P || P <- Pids, epcap_test_lib:runs_epcap(P)] of
            [P | _] -> P;
            [] -> false
        end
    end, 5000).

%% What /proc/PID/io says an OS process has read or written so far
%% (rchar, wchar: bytes). Root may read it whoever the process runs as.
io(OsPid, Field) ->
    {ok, B} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/io"),
    {match, [N]} = re:run(B, Field ++ ": ([0-9]+)",
                          [{capture, all_but_first, list}]),
    list_to_integer(N).

%% Whether an OS process sleeps in a read of a pipe or FIFO.
in_pipe_read(OsPid) ->
    case file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/wchan") of
        {ok, W} -> binary:match(W, <<"pipe">>) =/= nomatch;
        _ -> false
    end.

wait_in_pipe_read(OsPid) ->
    epcap_test_lib:wait_until({in_pipe_read, OsPid},
                              fun() -> in_pipe_read(OsPid) end, 5000).

wait_written(OsPid, Bytes) ->
    epcap_test_lib:wait_until({written, OsPid, Bytes}, fun() ->
        io(OsPid, "wchar") >= Bytes
    end, 5000).

%% CPU time an OS process has used so far, in clock ticks.
cpu_ticks(OsPid) ->
    {ok, B} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/stat"),
    {Pos, 1} = lists:last(binary:matches(B, <<")">>)),
    Fields = binary:split(binary:part(B, Pos + 2, byte_size(B) - Pos - 2),
                          <<" ">>, [global]),
    %% Fields 14 and 15 of stat (utime, stime); state is field 3.
    binary_to_integer(lists:nth(12, Fields)) +
        binary_to_integer(lists:nth(13, Fields)).

%%--------------------------------------------------------------------
%% Cases

%% libpcap opens more than network interfaces, by name; one of them
%% (D-Bus's unixexec: transport) runs a program. None may be opened by a
%% caller who is not root, and the canary program never runs.
special_sources_refused(Config) ->
    Canary = ?config(canary, Config),
    Exec = "dbus://unixexec:path=/bin/sh,argv0=sh,argv1=-c,argv2=touch%20" ++
           Canary,
    Sources = [Exec, "dbus-system", "dbus-session", "bluetooth-monitor",
               "bluetooth0", "nflog", "nfqueue", "usbmon0", "usbmon1",
               "rpcap://127.0.0.1/lo", "dpdk:0", "nosuchif9", "lo:0",
               "../lo"],
    [begin
         assert_refused(66, port(Config, K, "-i " ++ q(S) ++ " -c 1"),
                        ["network interface"]),
         assert_refused(66, port(Config, K, "-L -i " ++ q(S)),
                        ["network interface"])
     end || K <- ?KINDS, S <- Sources],
    %% Whatever an attempt started as the user has ended (pgrep finds
    %% none of theirs) before the canary's absence is worth a look.
    epcap_test_lib:wait_until(user_processes_ended, fun() ->
        element(1, sh("pgrep -u " ++ user())) =:= 1
    end, 5000),
    ?assertNot(exists(Canary)).

%% -D shows a caller who is not root only what it may open; root sees
%% libpcap's other sources too (when this libpcap has them).
listing_shows_only_interfaces(Config) ->
    Root = sh_ok(maps:get(sudo, ?config(bins, Config)) ++ " -D"),
    [begin
         {0, Out} = port(Config, K, "-D"),
         ?assertNotEqual(nomatch, string:find(Out, "lo\t")),
         ?assertNotEqual(nomatch, string:find(Out, "any\t")),
         [?assertEqual(nomatch, string:find(Out, Special))
          || Special <- ["dbus", "nflog", "nfqueue", "bluetooth", "usbmon"]]
     end || K <- ?KINDS],
    ct:log("root's listing:~n~s", [Root]),
    ?assertNotEqual(nomatch, string:find(Root, "lo\t")).

%% -u, -g, -d and -e beyond PCAP_* are root's: a usage error, and the
%% -w file of the same command line is never created.
root_only_options_refused(Config) ->
    Cases = [{"-u root", "only root"}, {"-u 0", "only root"},
             {"-u nobody", "only root"}, {"-g disk", "only root"},
             {"-g 0", "only root"}, {"-d /", "only root"},
             {"-e LD_PRELOAD=/tmp/x.so", "PCAP_"},
             %% Not even known to the shipped port (test variants only).
             {"--sandbox-selftest inject", "unknown option"},
             {"-e FOO=1", "PCAP_"}],
    [begin
         Out = file_in(Config, "never-" ++ atom_to_list(K) ++ ".pcap"),
         assert_refused(64, port(Config, K, Opt ++ " -i lo -c 1 -w " ++ Out),
                        [Word]),
         ?assertNot(exists(Out))
     end || K <- ?KINDS, {Opt, Word} <- Cases],
    %% PCAP_* is allowed (libpcap's documented prefix).
    [?assertMatch({0, _}, port(Config, K, "-e PCAP_X=1 -r " ++
                               ?config(sample, Config) ++ " -w /dev/null"))
     || K <- ?KINDS].

%% What -d answers does not depend on the path: nothing is learnt about
%% directories the caller cannot see.
no_path_oracle(Config) ->
    Paths = ["/root", "/root/x", "/root/.ssh", "/nonexistent",
             "/etc/passwd", ?config(rootonly, Config), "/"],
    [begin
         Outs = [element(2, port(Config, K, "-d " ++ P ++ " -i lo -c 1"))
                 || P <- Paths],
         ?assertEqual(1, length(lists:usort(Outs)), Outs)
     end || K <- ?KINDS].

%% -w never writes through a symlink in the last component.
symlinked_write_refused(Config) ->
    Target = file_in(Config, "keep"),
    ok = file:write_file(Target, <<"KEEP">>),
    sh_ok("chown " ++ user() ++ " " ++ Target),
    [begin
         Link = file_in(Config, "w-" ++ atom_to_list(K) ++ ".pcap"),
         ok = file:make_symlink(Target, Link),
         assert_refused(66, port(Config, K, "-r " ++ ?config(sample, Config) ++
                                 " -w " ++ Link), ["symbolic link"]),
         ?assertEqual({ok, <<"KEEP">>}, file:read_file(Target))
     end || K <- ?KINDS].

%% A dump file is always new: a symlink planted under its name, first or
%% rotated, is replaced by a regular file and its target left alone.
symlinked_dumps_replaced(Config) ->
    Target = file_in(Config, "keep-dump"),
    ok = file:write_file(Target, <<"KEEP">>),
    sh_ok("chown " ++ user() ++ " " ++ Target),
    [begin
         Stem = "d-" ++ atom_to_list(K),
         Names = [Stem ++ ".pcap" | [Stem ++ "_0000" ++ integer_to_list(N) ++
                                     ".pcap" || N <- [1, 2, 3]]],
         [ok = file:make_symlink(Target, file_in(Config, N)) || N <- Names],
         {0, _} = port(Config, K, "-r " ++ ?config(sample, Config) ++
                       " -w /dev/null --dump " ++ file_in(Config, Stem ++ ".pcap")),
         {0, _} = port(Config, K, "-r " ++ ?config(sample, Config) ++
                       " -w /dev/null --dump-size 1 --dump " ++
                       file_in(Config, Stem ++ ".pcap")),
         [begin
              {ok, Info} = file:read_link_info(file_in(Config, N)),
              ?assertEqual(regular, Info#file_info.type),
              ?assertEqual(uid(), Info#file_info.uid)
          end || N <- Names],
         ?assertEqual({ok, <<"KEEP">>}, file:read_file(Target))
     end || K <- ?KINDS].

%% -B beyond the limit is lowered, with a warning that says so.
buffer_bounded(Config) ->
    [begin
         {S, Out} = port(Config, K, "-i lo -B 2147483647 --duration 1 -w /dev/null"),
         ct:log("~p", [{S, Out}]),
         ?assertEqual(0, S),
         ?assertNotEqual(nomatch, string:find(Out, "lowered to 134217728"))
     end || K <- ?KINDS].

%% A start blocked opening a FIFO: already the caller (every uid, no
%% capability at all, as a file run needs none, no_new_privs), so the
%% capture file will be opened and its header parsed with the caller's
%% rights; and SIGTERM or SIGINT end it.
blocked_start_is_the_caller_and_killable(Config) ->
    Uid = integer_to_list(uid()),
    [begin
         Fifo = file_in(Config, "fifo-" ++ atom_to_list(K) ++ Sig),
         sh_ok("mkfifo " ++ Fifo ++ " && chown " ++ user() ++ " " ++ Fifo),
         {0, _} = sh(as_user(Config, K) ++ " -r " ++ Fifo ++
                     " -w /dev/null </dev/null >/dev/null 2>&1 &"),
         Pid = wait_port_pid(Fifo),
         St = epcap_test_lib:proc_status(Pid),
         ct:log("~s ~s: ~p", [K, Sig, St]),
         ?assertEqual([Uid, Uid, Uid, Uid],
                      string:lexemes(maps:get("Uid", St), "\t ")),
         %% A file run opens no interface: not even permitted any more.
         ?assertEqual("0000000000000000", maps:get("CapEff", St)),
         ?assertEqual("0000000000000000", maps:get("CapPrm", St)),
         ?assertEqual("1", maps:get("NoNewPrivs", St)),
         sh_ok("kill -" ++ Sig ++ " " ++ integer_to_list(Pid)),
         ?assertEqual(ok, epcap_test_lib:wait_gone(Pid, 3000))
     end || K <- ?KINDS, Sig <- ["TERM", "INT"]].

%% The parent's death ends a start blocked on a FIFO too.
parent_death_ends_a_blocked_start(Config) ->
    [begin
         Fifo = file_in(Config, "fifo-parent-" ++ atom_to_list(K)),
         sh_ok("mkfifo " ++ Fifo ++ " && chown " ++ user() ++ " " ++ Fifo),
         {0, Out} = sh("sh -c '" ++ as_user(Config, K) ++ " -r " ++ Fifo ++
                       " -w /dev/null </dev/null >/dev/null 2>&1 & "
                       "exec sleep 30' >/dev/null 2>&1 & echo $!"),
         Parent = string:trim(Out),
         Pid = wait_port_pid(Fifo),
         sh_ok("kill -KILL " ++ Parent),
         ?assertEqual(ok, epcap_test_lib:wait_gone(Pid, 3000))
     end || K <- [setuid, caps]].

%% STOP, then a length of 4 GiB: the port stops, allocating nothing for
%% it (under a 1 GiB address-space limit the old code died "out of
%% memory").
command_stream_bounded(Config) ->
    [begin
         {S, Out} = sh("(printf '\\000\\000\\000\\005\\001\\000\\000\\000\\000"
                       "\\377\\377\\377\\377'; sleep 1) | "
                       "(ulimit -v 1048576; exec " ++ as_user(Config, K) ++
                       " -r " ++ ?config(sample, Config) ++ ") 2>&1"),
         ?assertEqual(0, S, Out),
         ?assertEqual(nomatch, string:find(Out, "out of memory"))
     end || K <- ?KINDS].

%% A SIGSYS that does not come from the seccomp filter (here kill(1) by
%% root; any process of the port's user could do the same) is not a
%% sandbox violation: the capture goes on to its end.
forged_sigsys_ignored(Config) ->
    [begin
         {0, Out} = sh(as_user(Config, K) ++ " -i lo --duration 2 -w /dev/null"
                       " </dev/null >/dev/null 2>&1 & p=$!; sleep 1; "
                       "kill -SYS $p; wait $p; echo rc=$?"),
         ?assertEqual("rc=0", string:trim(Out))
     end || K <- [setuid, caps]].

%% A capture file that is a FIFO whose writer stops mid-stream: SIGTERM
%% still ends the port, and what it read is written out first.
fifo_read_stays_killable(Config) ->
    [begin
         Fifo = file_in(Config, "fifo-mid-" ++ atom_to_list(K)),
         Go = file_in(Config, "fifo-go-" ++ atom_to_list(K)),
         Out = file_in(Config, "fifo-mid-" ++ atom_to_list(K) ++ ".pcap"),
         sh_ok("mkfifo " ++ Fifo ++ " " ++ Go ++ " && chown " ++ user() ++
               " " ++ Fifo),
         %% The writer starts once told to (Go), so the port is seen
         %% waiting for the file before it and after it.
         {0, _} = sh("((read go < " ++ Go ++ "; cat " ++ ?config(sample, Config) ++
                     "; sleep 20) > " ++ Fifo ++ ") </dev/null >/dev/null 2>&1 &"),
         {0, _} = sh(as_user(Config, K) ++ " -r " ++ Fifo ++ " -w " ++ Out ++
                     " </dev/null >/dev/null 2>&1 &"),
         Pid = wait_port_pid(Fifo),
         wait_in_pipe_read(Pid),
         Before = io(Pid, "rchar"),
         sh_ok("echo go > " ++ Go),
         %% It has read everything the writer gave and waits for more.
         Size = filelib:file_size(?config(sample, Config)),
         epcap_test_lib:wait_until({read, Fifo}, fun() ->
             io(Pid, "rchar") - Before >= Size andalso in_pipe_read(Pid)
         end, 5000),
         sh_ok("kill -TERM " ++ integer_to_list(Pid)),
         ?assertEqual(ok, epcap_test_lib:wait_gone(Pid, 3000)),
         {ok, #{packets := Ps}} = epcap_samplegen:read(Out),
         ?assertEqual(50, length(Ps))
     end || K <- [setuid, caps]].

%% A reader that takes nothing: SIGTERM ends the port EPCAP_LINGER_SECONDS
%% (2 s) later, whatever is still held.
stuck_reader_stays_killable(Config) ->
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    {ok, UPort} = inet:port(S),
    [begin
         Marker = "udp dst port " ++ integer_to_list(UPort),
         {0, _} = sh("(" ++ as_user(Config, K) ++ " -i lo -w - " ++ Marker ++
                     " </dev/null 2>/dev/null | sleep 30) >/dev/null 2>&1 &"),
         Pid = wait_port_pid(Marker),
         %% Capturing once the file header is out; holding traffic once
         %% packets follow it.
         wait_written(Pid, 24),
         [ok = gen_udp:send(S, {127, 0, 0, 1}, UPort, binary:copy(<<0>>, 1400))
          || _ <- lists:seq(1, 400)],
         wait_written(Pid, 25),
         sh_ok("kill -TERM " ++ integer_to_list(Pid)),
         ?assertEqual(ok, epcap_test_lib:wait_gone(Pid, 5000))
     end || K <- [setuid, caps]],
    gen_udp:close(S).

%% A FILTER command that libpcap takes minutes to compile: SIGTERM ends
%% the port at once, with status 0.
long_filter_compile_stays_killable(Config) ->
    Expr = lists:join(" or ", ["port " ++ integer_to_list(N)
                               || N <- lists:seq(1, 1400)]),
    [begin
         Bin = maps:get(K, ?config(bins, Config)),
         Port = open_port({spawn_executable, os:find_executable("setpriv")},
                          [{args, ["--reuid=" ++ user(), "--regid=" ++ user(),
                                   "--init-groups", "--", Bin, "-i", "lo"]},
                           {packet, 4}, binary, exit_status]),
         receive {Port, {data, <<1, _/binary>>}} -> ok
         after 10000 -> ct:fail(no_ready)
         end,
         {os_pid, OsPid} = erlang:port_info(Port, os_pid),
         Ticks = cpu_ticks(OsPid),
         true = port_command(Port, [<<4, 7:32>>, Expr]),
         %% Compiling: half a second of CPU spent since the command.
         epcap_test_lib:wait_until(compiling, fun() ->
             cpu_ticks(OsPid) - Ticks >= 50
         end, 30000),
         sh_ok("kill -TERM " ++ integer_to_list(OsPid)),
         ?assertEqual(0, port_exit(Port, 3000))
     end || K <- [setuid, caps]].

port_exit(Port, Ms) ->
    receive
        {Port, {exit_status, S}} -> S;
        {Port, {data, _}} -> port_exit(Port, Ms)
    after Ms -> ct:fail(still_running)
    end.

%% Injection is root's unless the installer wrote the policy file; a file
%% someone else could have written does not count.
inject_needs_the_installer(Config) ->
    Cmd = "-i lo --inject --duration 1 -w /dev/null",
    [assert_refused(64, port(Config, K, Cmd), ["only root", "INJECT=yes"])
     || K <- ?KINDS],
    sh_ok("install -d -m 0755 /etc/epcap && "
          "install -o root -g root -m 0664 /dev/null " ++ ?POLICY),
    [assert_refused(64, port(Config, K, Cmd), ["only root"]) || K <- ?KINDS],
    sh_ok("chmod 0644 " ++ ?POLICY),
    [?assertMatch({0, _}, port(Config, K, Cmd)) || K <- ?KINDS].

%% What the caller may do still works: capture on lo into its own file
%% (owned by it), read its own capture file; a root-only file and a
%% root-only directory stay closed.
normal_use_works(Config) ->
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    {ok, UPort} = inet:port(S),
    [begin
         Out = file_in(Config, "cap-" ++ atom_to_list(K) ++ ".pcap"),
         {0, _} = sh(as_user(Config, K) ++ " -i lo -c 3 -w " ++ Out ++
                     " udp dst port " ++ integer_to_list(UPort) ++
                     " </dev/null >/dev/null 2>&1 &"),
         Pid = wait_port_pid(Out),
         send_until_gone(S, UPort, Pid, 100),
         {ok, Info} = file:read_file_info(Out),
         ?assertEqual(uid(), Info#file_info.uid),
         {ok, #{packets := Ps}} = epcap_samplegen:read(Out),
         ?assertEqual(3, length(Ps)),
         Copy = file_in(Config, "copy-" ++ atom_to_list(K) ++ ".pcap"),
         {0, _} = port(Config, K, "-r " ++ ?config(sample, Config) ++
                       " -w " ++ Copy),
         {ok, #{packets := Ps2}} = epcap_samplegen:read(Copy),
         ?assertEqual(50, length(Ps2)),
         assert_refused(66, port(Config, K, "-r " ++ ?config(secret, Config) ++
                                 " -w /dev/null"), ["Permission denied"]),
         Closed = filename:join(?config(rootonly, Config),
                                atom_to_list(K) ++ ".pcap"),
         assert_refused(66, port(Config, K, "-r " ++ ?config(sample, Config) ++
                                 " -w " ++ Closed), ["Permission denied"]),
         ?assertNot(exists(Closed))
     end || K <- ?KINDS],
    gen_udp:close(S).

send_until_gone(S, UPort, Pid, Tries) when Tries > 0 ->
    ok = gen_udp:send(S, {127, 0, 0, 1}, UPort, <<"hostile-suite">>),
    case epcap_test_lib:wait_gone(Pid, 100) of
        ok -> ok;
        _ -> send_until_gone(S, UPort, Pid, Tries - 1)
    end;
send_until_gone(_, _, Pid, _) ->
    ct:fail({still_running, Pid}).

%% The Erlang side is told how the port started and who it runs as.
erlang_sees_the_start(Config) ->
    Uid = uid(),
    Expect = #{setuid => setuid, caps => file_capabilities, sudo => sudo},
    [begin
         Bin = maps:get(K, ?config(bins, Config)),
         Exec = epcap_test_install:as_user(user(), user(), init) ++
                case K of sudo -> " sudo -n"; _ -> "" end,
         {ok, Pid} = epcap:start([{progname, Bin}, {exec, Exec},
                                  {interface, "lo"}, {filter, "udp port 9"}]),
         {ok, Info} = epcap:info(Pid),
         ct:log("~s: ~p", [K, Info]),
         ?assertMatch(#{uid := Uid, chroot := false, inject := false}, Info),
         ?assertEqual(maps:get(K, Expect), maps:get(start, Info)),
         ok = epcap:stop(Pid)
     end || K <- ?KINDS].
