%% @doc The process restriction (RESTRICT_PROCESS), proved by breaking it
%% and by living with it.
%%
%% Breaking it: the `--sandbox-selftest NAME' option of the test variants
%% (make variants; not in priv/epcap) makes the port
%% try one forbidden operation once it is restricted. Under seccomp the
%% port must die with status 159 (128 + SIGSYS) and name the system call on
%% stderr and to the Erlang side, as `{sandbox_violation, Syscall}'. The
%% Erlang cases run the option through a wrapper script given as
%% `progname', since it is not an Erlang option.
%%
%% Living with it: every backend built here (_build/variants/epcap-seccomp,
%% epcap-rlimit and epcap-null, made by `make variants' and never shipped;
%% `{progname, Path}' picks one), and epcap-portable (the path a BSD build
%% takes: c_src/platform.h), runs
%% the same live capture of many packets on a veth, with stats, a filter
%% change and an injection while it runs, and writes to a regular file as
%% stdout without being killed (the classic port died of SIGXFSZ there).
%%
%% Needs root (live capture, network namespaces): skipped otherwise, a
%% failure under CI=true.
-module(epcap_sandbox_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, groups/0, init_per_suite/1, end_per_suite/1,
         init_per_group/2, end_per_group/2,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    selftests_are_trapped_and_named/1,
    probes_are_refused_not_trapped/1,
    foreign_abis_are_trapped/1,
    rx_ring_is_trapped/1,
    violation_at_start_is_a_start_error/1,
    violation_while_running_stops_the_owner/1,
    non_seccomp_backends_report_what_came_back/1,
    dump_files_stay_in_their_directory/1,
    many_packets/1,
    limits_in_place/1,
    stdout_regular_file_live/1,
    stdout_regular_file_offline/1
]).

-define(VIOLATION_EXIT, 159).
-define(SURVIVED_EXIT, 70).
-define(PACKETS, 20000).

all() ->
    [selftests_are_trapped_and_named, probes_are_refused_not_trapped,
     foreign_abis_are_trapped, rx_ring_is_trapped,
     violation_at_start_is_a_start_error,
     violation_while_running_stops_the_owner,
     non_seccomp_backends_report_what_came_back,
     dump_files_stay_in_their_directory,
     {group, seccomp}, {group, rlimit}, {group, null}, {group, portable}].

groups() ->
    Each = [many_packets, limits_in_place, stdout_regular_file_live,
            stdout_regular_file_offline],
    %% portable: the path a BSD build takes (c_src/platform.h), built on
    %% Linux without libcap-ng, seccomp or the fast lane, with the rlimit
    %% backend; the same captures must work through it.
    [{seccomp, [], Each}, {rlimit, [], Each}, {null, [], Each},
     {portable, [], Each}].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config) ->
    case epcap_test_lib:require_root(Config) of
        {skip, _} = Skip ->
            Skip;
        Config1 ->
            [case filelib:is_regular(variant(M)) of
                 true -> ok;
                 false -> ct:fail({not_built, variant(M)})
             end || M <- [seccomp, rlimit, null, portable]],
            Sample = filename:join(?config(priv_dir, Config1),
                                   "sample.pcap"),
            ok = epcap_samplegen:write_synthetic(Sample, 1000, 100, #{}),
            [{sample, Sample} | Config1]
    end.

end_per_suite(_Config) ->
    ok.

init_per_group(Mode, Config) ->
    [{mode, Mode} | Config].

end_per_group(_Mode, _Config) ->
    ok.

init_per_testcase(Case, Config) when Case =:= many_packets;
                                     Case =:= limits_in_place ->
    epcap_netns:init_case(Config);
init_per_testcase(_Case, Config) ->
    Config.

end_per_testcase(_Case, Config) ->
    epcap_netns:end_case(Config).

variant(Mode) ->
    filename:join([epcap_test_lib:root_dir(), "_build", "variants",
                   "epcap-" ++ atom_to_list(Mode)]).

x86_64() ->
    lists:prefix("x86_64", erlang:system_info(system_architecture)).

%%--------------------------------------------------------------------
%% Running the port directly: status and everything it printed.

run_port(Bin, Args) ->
    epcap_test_lib:cmd(Bin, Args, #{}).

selftest(Bin, Test, Source) ->
    run_port(Bin, ["--sandbox-selftest", Test | Source]).

%% The name the kernel reports for each self-test's call.
expected_name("open") ->
    case x86_64() of true -> "open"; false -> "openat" end;
expected_name("fork") -> "clone";
expected_name("socket-tcp") -> "socket";
expected_name("mmap-exec") -> "mmap";
expected_name("mprotect-exec") -> "mprotect";
expected_name("inject") -> "sendto";
expected_name("rx-ring") -> "setsockopt";
expected_name("write-socket") -> "write";
expected_name("dump-hijack") ->
    case x86_64() of true -> "dup2"; false -> "dup3" end;
expected_name(Name) -> Name.

assert_violation(Test, {Status, Out}) ->
    ct:log("~s: ~b~n~s", [Test, Status, Out]),
    ?assertEqual({Test, ?VIOLATION_EXIT}, {Test, Status}),
    Want = "sandbox violation: " ++ expected_name(Test) ++ " (syscall ",
    ?assertNotEqual({Test, nomatch}, {Test, string:find(Out, Want)}).

%% A progname that adds the hidden option: a shell wrapper in priv_dir.
wrapper(Config, Bin, Test) ->
    Path = filename:join(?config(priv_dir, Config), "selftest-" ++ Test),
    ok = file:write_file(Path, ["#!/bin/sh\nexec '", Bin,
                                "' --sandbox-selftest ", Test, " \"$@\"\n"]),
    ok = file:change_mode(Path, 8#755),
    Path.

%%--------------------------------------------------------------------
%% Seccomp, broken on purpose

%% Each forbidden operation kills the port and the report names the call:
%% files, programs, sockets, processes, identity, executable memory, and
%% the packet socket used for anything but reading (no --inject).
selftests_are_trapped_and_named(Config) ->
    Bin = variant(seccomp),
    Live = ["-i", "lo"],
    [assert_violation(T, selftest(Bin, T, Live))
     || T <- ["open", "openat", "execve", "socket", "socket-tcp", "fork",
              "setuid", "mmap-exec", "mprotect-exec", "inject",
              "write-socket", "kill", "ptrace"]],
    %% The default build is the seccomp one, and it has no self-test:
    %% the option is the test variants' only (make variants).
    Shipped = epcap_opts:default_progname(),
    {0, Version} = run_port(Shipped, ["--version"]),
    ?assertNotEqual(nomatch,
                    string:find(Version, "process restriction: seccomp")),
    {64, Unknown} = selftest(Shipped, "execve", Live),
    ?assertNotEqual(nomatch, string:find(Unknown, "unknown option")),
    %% A capture file has no socket to write to: the same for files.
    assert_violation("open", selftest(Bin, "open",
                                      ["-r", ?config(sample, Config)])).

%% Two probes libpcap makes after startup are refused with EACCES, not
%% trapped: a read-only open (pcap_stats in promiscuous mode) and the
%% AF_INET datagram socket of pcap_lookupnet (filter change). Nothing is
%% opened; the self-test reports the error and exits 70.
probes_are_refused_not_trapped(_Config) ->
    [begin
         {Status, Out} = selftest(variant(seccomp), T, ["-i", "lo"]),
         ct:log("~s: ~b~n~s", [T, Status, Out]),
         ?assertEqual(?SURVIVED_EXIT, Status),
         ?assertNotEqual(nomatch, string:find(Out, "Permission denied"))
     end || T <- ["open-read", "socket-probe"]].

%% Issue 17: once restricted, the port may not ask for a packet ring
%% (PACKET_RX_RING), which after munmap would make one past the buffer
%% limit; exit frees its ring instead of pcap_close. Without seccomp
%% (rlimit) the call comes back, so it is the filter that stops it; a
%% live capture still ends with status 0 and its statistics, no
%% violation at exit.
rx_ring_is_trapped(_Config) ->
    assert_violation("rx-ring", selftest(variant(seccomp), "rx-ring",
                                         ["-i", "lo"])),
    {Status, Out} = selftest(variant(rlimit), "rx-ring", ["-i", "lo"]),
    ct:log("rlimit: ~b~n~s", [Status, Out]),
    ?assertEqual(?SURVIVED_EXIT, Status),
    %% Both rings of the adaptive default, then the block ring alone.
    [begin
         {S, O} = run_port(variant(seccomp), ["-i", "lo", "--duration", "1",
                                              "-w", "/dev/null" | T]),
         ct:log("~p: ~b~n~s", [T, S, O]),
         ?assertEqual({T, 0}, {T, S}),
         ?assertEqual(nomatch, string:find(O, "violation"))
     end || T <- [[], ["-t", "1"]]].

%% Only the native ABI: x32 calls (x86_64 numbers with bit 30) and i386
%% int 0x80 calls trap. The report gives the number, having no name.
foreign_abis_are_trapped(_Config) ->
    case x86_64() of
        false ->
            {skip, "x32 and i386 exist on x86_64 only"};
        true ->
            {S32, Out32} = selftest(variant(seccomp), "x32", ["-i", "lo"]),
            ct:log("x32: ~b~n~s", [S32, Out32]),
            ?assertEqual(?VIOLATION_EXIT, S32),
            ?assertNotEqual(nomatch, string:find(Out32,
                "sandbox violation: 1073741863 (syscall 1073741863")),
            %% Whether the kernel runs i386 code at all: without the
            %% sandbox the call comes back (70) or faults (no ia32).
            case selftest(variant(null), "i386", ["-i", "lo"]) of
                {?SURVIVED_EXIT, _} ->
                    {S, Out} = selftest(variant(seccomp), "i386",
                                        ["-i", "lo"]),
                    ct:log("i386: ~b~n~s", [S, Out]),
                    ?assertEqual(?VIOLATION_EXIT, S),
                    ?assertNotEqual(nomatch,
                                    string:find(Out, "not the native ABI"));
                {Other, _} ->
                    {comment, io_lib:format("x32 trapped; no i386 ABI in "
                                            "this kernel (status ~b)",
                                            [Other])}
            end
    end.

%% Through the real Erlang side: a violation before READY is the start
%% error {sandbox_violation, Syscall}.
violation_at_start_is_a_start_error(Config) ->
    [begin
         Prog = wrapper(Config, variant(seccomp), T),
         R = epcap:start([{progname, Prog}, {interface, "lo"}]),
         ct:log("~s: ~p", [T, R]),
         ?assertEqual({error, {sandbox_violation, expected_name(T)}}, R)
     end || T <- ["execve", "socket", "open"]],
    Prog = wrapper(Config, variant(seccomp), "x32"),
    x86_64() andalso
        ?assertEqual({error, {sandbox_violation, 1073741863}},
                     epcap:start([{progname, Prog}, {interface, "lo"}])).

%% After READY the owner has a running capture; the violation ends it and
%% the process exits with {sandbox_violation, Syscall}.
violation_while_running_stops_the_owner(Config) ->
    Prog = wrapper(Config, variant(seccomp), "socket@ready"),
    {ok, Pid} = epcap:start([{progname, Prog}, {interface, "lo"}]),
    Ref = monitor(process, Pid),
    receive
        {'DOWN', Ref, process, Pid, Why} ->
            ?assertEqual({sandbox_violation, "socket"}, Why)
    after 5000 ->
        ct:fail(port_survived_the_violation)
    end.

%% rlimit and null do not trap: the self-test says what came back. rlimit
%% refuses new descriptors and processes; null refuses nothing.
non_seccomp_backends_report_what_came_back(_Config) ->
    Check = fun(Mode, Test, Want) ->
        {Status, Out} = selftest(variant(Mode), Test, ["-i", "lo"]),
        ct:log("~s ~s: ~b~n~s", [Mode, Test, Status, Out]),
        ?assertEqual({Mode, Test, ?SURVIVED_EXIT}, {Mode, Test, Status}),
        ?assertNotEqual({Mode, Test, nomatch},
                        {Mode, Test, string:find(Out, Want)})
    end,
    Check(rlimit, "openat", "Too many open files"),
    Check(rlimit, "socket-tcp", "Too many open files"),
    Check(rlimit, "fork", "Resource temporarily unavailable"),
    Check(null, "socket-tcp", "succeeded"),
    Check(null, "fork", "succeeded").

%% A rotating dump may make files in its directory, and seccomp pins those
%% calls to the directory's descriptor; only Landlock can see that "../x"
%% or "/tmp/x" leads elsewhere. The control (rlimit, no Landlock) shows the
%% setup would let the file out: the parent and /tmp are writable by the
%% port's user, and "-d /" keeps the real root. Moving the packet socket
%% onto the dump descriptor (to write packets through it) traps.
dump_files_stay_in_their_directory(_Config) ->
    Top = epcap_test_install:temp_dir("dump-escape"),
    Dir = filename:join(Top, "dump"),
    try
        ok = file:make_dir(Dir),
        [ok = file:change_mode(D, 8#1777) || D <- [Top, Dir]],
        Args = fun(T) ->
            ["-i", "lo", "-d", "/", "--dump", filename:join(Dir, "x.pcap"),
             "--dump-seconds", "60", "--sandbox-selftest", T]
        end,
        [begin
             {S, Out} = run_port(variant(seccomp), Args(T)),
             ct:log("seccomp ~s: ~b~n~s", [T, S, Out]),
             ?assertEqual({T, ?SURVIVED_EXIT}, {T, S}),
             ?assertNotEqual({T, nomatch},
                             {T, string:find(Out, "failed: Permission denied")})
         end || T <- ["dump-escape", "dump-absolute"]],
        assert_violation("dump-hijack",
                         run_port(variant(seccomp), Args("dump-hijack"))),
        [begin
             {S, Out} = run_port(variant(rlimit), Args(T)),
             ct:log("rlimit ~s: ~b~n~s", [T, S, Out]),
             ?assertNotEqual({T, nomatch}, {T, string:find(Out, "succeeded")})
         end || T <- ["dump-escape", "dump-absolute"]]
    after
        epcap_test_install:remove_temp_dir(Top)
    end.

%%--------------------------------------------------------------------
%% Every backend, living with it

%% Many packets through a veth, with stats, a filter change and an
%% injection in the middle: no false kill, nothing lost.
many_packets(Config) ->
    Mode = ?config(mode, Config),
    Net = ?config(net, Config),
    #{root_if := If, root_addr := RA, ns_addr := NA, root_mac := RM,
      ns_mac := NM} = Net,
    P1 = epcap_test_packets:random_port(),
    P2 = P1 + 1,
    {ok, Pid} = epcap:start([{progname, variant(Mode)}, {interface, If},
                             {inject, true},
                             {filter, "udp and dst port " ++ integer_to_list(P1)}]),
    S = epcap_test_packets:udp_socket(RA),
    Ip = epcap_test_packets:parse_ip(NA),
    Got = send_received(S, Ip, P1, ?PACKETS),
    {ok, Stats} = epcap:stats(Pid),
    ct:log("~s: ~b of ~b; ~p", [Mode, length(Got), ?PACKETS, Stats]),
    ?assertEqual(?PACKETS, length(Got)),
    ok = epcap:set_filter(Pid, "udp and dst port " ++ integer_to_list(P2)),
    send(S, Ip, P1, 10),
    send(S, Ip, P2, 10),
    After = epcap_test_packets:collect(10, 5000),
    ?assertEqual([P2], lists:usort([maps:get(dport, epcap_test_packets:udp(F))
                                    || {packet, _, _, _, F} <- After])),
    Frame = <<(epcap_test_packets:mac(NM))/binary, (epcap_test_packets:mac(RM))/binary,
              16#88b5:16, 0:368>>,
    ?assertEqual(ok, epcap:send(Pid, Frame)),
    {ok, Stats2} = epcap:stats(Pid),
    ct:log("after: ~p", [Stats2]),
    ?assert(is_process_alive(Pid)),
    ok = epcap:stop(Pid),
    gen_udp:close(S).

%% Datagrams in slices a veth takes without loss (netdev_max_backlog,
%% 1000 frames per CPU), each once the capture has delivered the one
%% before; the packets that arrived.
send_received(_, _, _, 0) ->
    [];
send_received(S, Ip, Port, N) ->
    Slice = min(N, 200),
    send(S, Ip, Port, Slice),
    Got = epcap_test_packets:collect(Slice, 5000),
    Got ++ send_received(S, Ip, Port, N - Slice).

send(S, Ip, Port, N) ->
    [ok = gen_udp:send(S, Ip, Port, <<I:32, 0:480>>) || I <- lists:seq(1, N)].

%% What each backend leaves in /proc while it captures.
limits_in_place(Config) ->
    Mode = ?config(mode, Config),
    #{root_if := If} = ?config(net, Config),
    {ok, Pid} = epcap:start([{progname, variant(Mode)}, {interface, If}]),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    Proc = "/proc/" ++ integer_to_list(OsPid),
    {ok, Status} = file:read_file(Proc ++ "/status"),
    {ok, Limits} = file:read_file(Proc ++ "/limits"),
    ct:log("~s~n~s", [Status, Limits]),
    Seccomp = case Mode of seccomp -> "2"; _ -> "0" end,
    ?assertMatch({match, _}, re:run(Status, "\nSeccomp:\\s+" ++ Seccomp ++ "\n")),
    %% no_new_privs is Linux's (prctl): the portable path has none.
    NoNewPrivs = case Mode of portable -> "0"; _ -> "1" end,
    ?assertMatch({match, _},
                 re:run(Status, "\nNoNewPrivs:\\s+" ++ NoNewPrivs ++ "\n")),
    Limited = Mode =/= null,
    %% No new processes, no new descriptors (a few: the ones open now).
    ?assertEqual(Limited, match =:= re:run(Limits,
        "Max processes +0 +0 ", [{capture, none}])),
    {match, [Soft, Hard]} = re:run(Limits,
        "Max open files +([0-9]+) +([0-9]+)", [{capture, all_but_first, list}]),
    ?assertEqual(Soft, Hard),
    ?assertEqual(Limited, list_to_integer(Soft) < 16),
    %% Never a file size limit: stdout may be a file.
    ?assertMatch({match, _}, re:run(Limits,
        "Max file size +unlimited +unlimited")),
    ok = epcap:stop(Pid).

%% stdout a regular file: frames are written, no SIGXFSZ, exit 0.
stdout_regular_file_live(Config) ->
    Mode = ?config(mode, Config),
    Out = filename:join(?config(priv_dir, Config),
                        atom_to_list(Mode) ++ "-live.frames"),
    %% Traffic on lo while the port runs; stdin is a pipe that closes
    %% after two seconds, which ends the port normally.
    Port = epcap_test_packets:random_port(),
    Self = self(),
    spawn_link(fun() ->
        %% Capturing once its READY frame is in the file.
        epcap_test_lib:wait_until({ready, Out}, fun() ->
            filelib:file_size(Out) > 0
        end, 10000),
        {ok, S} = gen_udp:open(0),
        [gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32>>) || I <- lists:seq(1, 50)],
        gen_udp:close(S),
        Self ! sent
    end),
    {Status, Log} = epcap_test_lib:run("sh",
        ["-c", "sleep 2 | \"$0\" -i lo \"udp and dst port $2\" > \"$1\"",
         variant(Mode), Out, integer_to_list(Port)], 15000),
    receive sent -> ok after 5000 -> ct:fail(no_traffic) end,
    ct:log("~s: ~b ~s", [Mode, Status, Log]),
    ?assertEqual(0, Status),
    {ok, Frames} = file:read_file(Out),
    [{1, _} | Rest] = frames(Frames),
    ?assertEqual(50, lists:sum([packets(Body) || {2, Body} <- Rest])).

stdout_regular_file_offline(Config) ->
    Mode = ?config(mode, Config),
    Out = filename:join(?config(priv_dir, Config),
                        atom_to_list(Mode) ++ "-file.frames"),
    {Status, Log} = epcap_test_lib:run("sh",
        ["-c", "sleep 2 | \"$0\" -r \"$1\" > \"$2\"",
         variant(Mode), ?config(sample, Config), Out], 15000),
    ct:log("~s: ~b ~s", [Mode, Status, Log]),
    ?assertEqual(0, Status),
    {ok, Frames} = file:read_file(Out),
    Fs = frames(Frames),
    ?assertMatch([{1, _} | _], Fs),
    ?assertEqual({3, <<>>}, lists:last(Fs)),
    ?assertEqual(1000, lists:sum([packets(Body) || {2, Body} <- Fs])).

%% {Tag, Body} for each frame of a stream; the stream must end on a frame
%% boundary.
frames(<<>>) ->
    [];
frames(<<Len:32, Tag, Body:(Len - 1)/binary, Rest/binary>>) ->
    [{Tag, Body} | frames(Rest)].

%% Records in a PACKETS body: u64 sec, u32 frac, u32 caplen, u32 len, data.
packets(<<>>) ->
    0;
packets(<<_:64, _:32, Cap:32, _:32, _:Cap/binary, Rest/binary>>) ->
    1 + packets(Rest).
