%% Offline captures through the port built with AddressSanitizer and
%% UndefinedBehaviorSanitizer (_build/variants/epcap-asan, `make check'). Every case
%% reads generated capture files through epcap:start_link/1 with
%% `{progname, Asan}', checks what arrives against tcpdump reading the same
%% file, and then checks that the sanitizers wrote no report.
%%
%% The suite runs only when EPCAP_ASAN names the binary (the top-level
%% `make check' sets it); a plain `make ct' skips it.
%%
%% How the sanitizers are set up, and why:
%%
%% * The reports go to files (log_path) in a directory anyone may write
%%   to, because a port started by root drops to nobody before it could
%%   report anything; end_per_testcase fails the case if any file is there.
%%   A report also makes the port exit 86, which epcap turns into a
%%   non-normal exit that the case sees.
%% * epcap-asan is the null-sandbox variant: LeakSanitizer's exit
%%   check clones a tracer thread and reads /proc, which seccomp traps and
%%   the rlimit backend's limits refuse.
%% * As root the port chroots into an empty directory, where there is no
%%   /proc for LeakSanitizer; the cases give it {chroot, "/"} so the leak
%%   check runs. One case keeps the empty chroot, without the leak check,
%%   so the real drop runs under ASan too.
-module(epcap_asan_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    formats_match_tcpdump/1,
    filters_match_tcpdump/1,
    time_units/1,
    truncated_records_match_tcpdump/1,
    max_snaplen_packet/1,
    many_packets/1,
    empty_file/1,
    corrupt_files/1,
    commands_while_capturing/1,
    default_privilege_drop/1
]).

-define(FILTERS, ["tcp", "udp port 53", "icmp or icmp6", "arp", "vlan",
                  "tcp[tcpflags] & tcp-syn != 0", "greater 100"]).
%% Chosen so that a report cannot be mistaken for an exit of the port's
%% own (EPCAP_EXITS).
-define(SAN_EXIT, 86).

all() ->
    [formats_match_tcpdump, filters_match_tcpdump, time_units,
     truncated_records_match_tcpdump, max_snaplen_packet, many_packets,
     empty_file, corrupt_files, commands_while_capturing,
     default_privilege_drop].

init_per_suite(Config) ->
    case {os:getenv("EPCAP_ASAN"), os:find_executable("tcpdump")} of
        {false, _} ->
            {skip, "EPCAP_ASAN is not set: make check runs this suite"};
        {_, false} ->
            {skip, "tcpdump is not installed (make test-deps installs it)"};
        {Asan, _} ->
            true = filelib:is_regular(Asan) orelse ct:fail({no_binary, Asan}),
            Dir = ?config(priv_dir, Config),
            Logs = filename:join(Dir, "sanitizer-logs"),
            ok = filelib:ensure_path(Logs),
            %% Sticky and world-writable, like /tmp: the port writes here
            %% after it has become nobody.
            ok = file:change_mode(Logs, 8#1777),
            Saved = [{V, os:getenv(V)} || V <- ["ASAN_OPTIONS", "UBSAN_OPTIONS"]],
            set_sanitizer_env(Logs, true),
            Files = [write_variant(Dir, V) || V <- variants()],
            [{asan, Asan}, {logs, Logs}, {saved_env, Saved}, {files, Files}
             | Config]
    end.

end_per_suite(Config) ->
    [case V of
         false -> os:unsetenv(K);
         _ -> os:putenv(K, V)
     end || {K, V} <- proplists:get_value(saved_env, Config, [])],
    ok.

init_per_testcase(_Case, Config) ->
    set_sanitizer_env(?config(logs, Config), true),
    Config.

%% Any report fails the case that caused it, with the report as reason.
end_per_testcase(_Case, Config) ->
    Logs = ?config(logs, Config),
    case filelib:wildcard(filename:join(Logs, "*")) of
        [] ->
            ok;
        Reports ->
            Text = [begin {ok, B} = file:read_file(F), B end || F <- Reports],
            [ok = file:delete(F) || F <- Reports],
            ct:pal("sanitizer reports:~n~s", [Text]),
            {fail, {sanitizer_reports, Reports}}
    end.

%% log_path gets ".PID" appended by the sanitizer runtime.
set_sanitizer_env(Logs, Leaks) ->
    Log = filename:join(Logs, "report"),
    Common = lists:concat(["log_path=", Log, ":exitcode=", ?SAN_EXIT]),
    os:putenv("ASAN_OPTIONS", lists:concat([
        Common, ":detect_leaks=", if Leaks -> 1; true -> 0 end,
        ":strict_string_checks=1:detect_stack_use_after_return=1",
        ":check_initialization_order=1"])),
    os:putenv("UBSAN_OPTIONS", Common ++ ":halt_on_error=1:print_stacktrace=1").

variants() ->
    [#{format => F, precision => P, endian => E}
     || F <- [pcap, pcapng], P <- [micro, nano], E <- [little, big]].

write_variant(Dir, #{format := F, precision := P, endian := E} = V) ->
    Name = filename:join(Dir, lists:concat(["asan-", F, "-", P, "-", E, ".", F])),
    ok = epcap_samplegen:write(Name, epcap_samplegen:sample_packets(P), V),
    Name.

%% The options every case uses: the sanitizer build, and as root a chroot
%% that keeps /proc for LeakSanitizer.
base_opts(Config) ->
    Chroot = case epcap_test_lib:is_root() of
        true -> [{chroot, "/"}];
        false -> []
    end,
    [{progname, ?config(asan, Config)} | Chroot].

%% Run a capture to its end: {Packets, What arrived after eof}.
capture(Config, File, Extra) ->
    epcap_test_packets:file_capture(Extra ++ [{file, File} | base_opts(Config)]).

collect([]) -> epcap_test_packets:file_packets().

tcpdump(Config, File, Args) ->
    epcap_test_packets:tcpdump_read(?config(priv_dir, Config), File, Args).

compare(Config, File, Filter) ->
    Want = tcpdump(Config, File, [Filter || Filter =/= ""]),
    {Got, After} = capture(Config, File, [{filter, Filter}, {time_unit, nanosecond}]),
    ?assertEqual([], After),
    ?assertEqual(Want, [{T, L, D} || {1, T, L, D} <- Got], {File, Filter}),
    ?assertEqual(length(Want), length(Got)),
    length(Got).

%% ---- cases ----

formats_match_tcpdump(Config) ->
    N = length(epcap_samplegen:sample_packets()),
    [?assertEqual(N, compare(Config, F, "")) || F <- ?config(files, Config)].

filters_match_tcpdump(Config) ->
    %% One file of each format and byte order is enough: the filters run
    %% in libpcap, what is under test is the port's path around them.
    Files = [F || F <- ?config(files, Config),
                  string:find(F, "-nano-") =/= nomatch],
    Total = length(epcap_samplegen:sample_packets()),
    [begin
         C = compare(Config, File, Flt),
         ?assert(C > 0 andalso C < Total, {File, Flt, C})
     end || File <- Files, Flt <- ?FILTERS].

%% Every time unit from a nanosecond and a microsecond file.
time_units(Config) ->
    [Micro, Nano] = [hd([F || F <- ?config(files, Config),
                              string:find(F, "pcap-" ++ P ++ "-little") =/= nomatch])
                     || P <- ["micro", "nano"]],
    Ns = [S * 1000000000 + F || {S, F, _, _} <- epcap_samplegen:sample_packets(nano)],
    Us = [S * 1000000 + F || {S, F, _, _} <- epcap_samplegen:sample_packets(micro)],
    Times = fun(File, Unit) ->
        {Got, []} = capture(Config, File, [{time_unit, Unit}]),
        [T || {_, T, _, _} <- Got]
    end,
    ?assertEqual(Ns, Times(Nano, nanosecond)),
    ?assertEqual([N div 1000 || N <- Ns], Times(Nano, microsecond)),
    ?assertEqual([{U div 1000000000000, U div 1000000 rem 1000000, U rem 1000000}
                  || N <- Ns, U <- [N div 1000]],
                 Times(Nano, timestamp)),
    ?assertEqual(Us, Times(Micro, microsecond)),
    ?assertEqual([U * 1000 || U <- Us], Times(Micro, nanosecond)).

%% A file written with a snaplen of 64: records shorter than the packet.
truncated_records_match_tcpdump(Config) ->
    Cut = [{S, F, L, binary:part(D, 0, min(64, byte_size(D)))}
           || {S, F, L, D} <- epcap_samplegen:sample_packets(nano)],
    [begin
         File = filename:join(?config(priv_dir, Config),
                              lists:concat(["snap64.", Fmt])),
         ok = epcap_samplegen:write(File, Cut, #{format => Fmt, snaplen => 64,
                                                 precision => nano}),
         Want = tcpdump(Config, File, []),
         {Got, []} = capture(Config, File, [{time_unit, nanosecond}]),
         ?assertEqual(Want, [{T, L, D} || {_, T, L, D} <- Got]),
         ?assert(lists:any(fun({_, L, D}) -> L > byte_size(D) end, Want))
     end || Fmt <- [pcap, pcapng]].

max_snaplen_packet(Config) ->
    File = filename:join(?config(priv_dir, Config), "big.pcapng"),
    Sizes = [0, 1, 65535, 65536, 262143, 262144],
    Packets = [{1700000000, I, N, rand:bytes(N)} || {I, N} <- lists:enumerate(Sizes)],
    ok = epcap_samplegen:write(File, Packets, #{format => pcapng, endian => big}),
    {Got, []} = capture(Config, File, [{time_unit, microsecond}]),
    ?assertEqual([{L, D} || {_, _, L, D} <- Packets], [{L, D} || {_, _, L, D} <- Got]).

%% Enough packets for many PACKETS frames, credit grants and a full
%% output buffer.
many_packets(Config) ->
    File = filename:join(?config(priv_dir, Config), "many.pcap"),
    N = 50000,
    ok = epcap_samplegen:write_synthetic(File, N, 60, #{precision => nano}),
    {Got, []} = capture(Config, File, [{time_unit, nanosecond}]),
    ?assertEqual(N, length(Got)),
    ?assertEqual(tcpdump(Config, File, []), [{T, L, D} || {_, T, L, D} <- Got]).

empty_file(Config) ->
    File = filename:join(?config(priv_dir, Config), "empty.pcapng"),
    ok = epcap_samplegen:write(File, [], #{format => pcapng}),
    ?assertEqual({[], []}, capture(Config, File, [])).

%% Files cut short or with a bad header: the port reports them and exits
%% on its own terms (an error, or end of file after what it could read),
%% and the sanitizers have nothing to say.
corrupt_files(Config) ->
    process_flag(trap_exit, true),
    Dir = ?config(priv_dir, Config),
    [Pcap, Ng] = [hd([F || F <- ?config(files, Config),
                           string:find(F, Fmt) =/= nomatch])
                  || Fmt <- ["pcap-micro-little", "pcapng-nano-big"]],
    Cuts = [{Src, Len} || Src <- [Pcap, Ng], Len <- [3, 20, 30, 100, 1001]],
    [begin
         {ok, Bin} = file:read_file(Src),
         Cut = filename:join(Dir, "cut-" ++ integer_to_list(Len) ++ "-"
                             ++ filename:basename(Src)),
         ok = file:write_file(Cut, binary:part(Bin, 0, Len)),
         Result = epcap:start_link([{file, Cut} | base_opts(Config)]),
         ct:log("~s: ~p", [Cut, Result]),
         case Result of
             {error, {file, _}} -> ok;
             {error, {file, _, _}} -> ok;
             {ok, Pid} ->
                 Ref = monitor(process, Pid),
                 receive
                     {'DOWN', Ref, process, Pid, Why} ->
                         ct:log("~s ended: ~p", [Cut, Why]),
                         ?assertNotMatch({port_exit, {status, ?SAN_EXIT}}, Why),
                         ?assertNotMatch({port_exit, {signal, _}}, Why)
                 after 30000 -> ct:fail({still_running, Cut})
                 end
         end,
         flush_all()
     end || {Src, Len} <- Cuts].

flush_all() ->
    receive
        {'EXIT', _, _} -> flush_all();
        {packet, _, _, _, _} -> flush_all();
        {epcap, _} -> flush_all()
    after 0 -> ok
    end.

%% The command path (control.c) in the real port: stats, filter changes
%% good and bad, injection refused and failed (a file cannot send), flow
%% control with a small queue, then stop.
commands_while_capturing(Config) ->
    process_flag(trap_exit, true),
    File = filename:join(?config(priv_dir, Config), "long.pcap"),
    ok = epcap_samplegen:write_synthetic(File, 20000, 60, #{}),
    Base = base_opts(Config) ++ [{max_queue, 1000}],
    {ok, Ref} = epcap:start_link([{file, File}, {active, false} | Base]),
    {ok, Stats} = epcap:stats(Ref),
    ?assertMatch(#{delivered := _, filter_changes := 0}, Stats),
    ?assertMatch({error, {bad_filter, _}}, epcap:set_filter(Ref, "tcp and")),
    ?assertMatch({error, {bad_filter, _}},
                 epcap:set_filter(Ref, lists:duplicate(70000, $x))),
    ok = epcap:set_filter(Ref, "udp"),
    ?assertEqual({error, inject_disabled}, epcap:send(Ref, <<0:480>>)),
    ok = epcap:setopts(Ref, [{active, 10}]),
    receive {epcap_passive, Ref} -> ok after 30000 -> ct:fail(no_passive) end,
    {ok, #{filter_changes := 1}} = epcap:stats(Ref),
    ok = epcap:stop(Ref),
    flush_all(),

    {ok, Inj} = epcap:start_link([{file, File}, {active, false}, {inject, true} | Base]),
    %% pcap_inject fails on a file: the REPLY carries libpcap's message.
    ?assertMatch({error, {inject_failed, #{sent := 0, failed := 3}}},
                 epcap:send_batch(Inj, [<<1>>, <<>>, <<0:8000>>])),
    ok = epcap:stop(Inj),
    flush_all().

%% As root, the port's own chroot into an empty directory, under ASan
%% without the leak check (no /proc there for it).
default_privilege_drop(Config) ->
    case epcap_test_lib:is_root() of
        false ->
            {skip, "not root: the port does not change user or root"};
        true ->
            set_sanitizer_env(?config(logs, Config), false),
            [File | _] = ?config(files, Config),
            {ok, Pid} = epcap:start_link([{file, File}, {progname, ?config(asan, Config)},
                                          {time_unit, nanosecond}]),
            Ref = monitor(process, Pid),
            Got = collect([]),
            receive {'DOWN', Ref, process, Pid, Why} -> ?assertEqual(normal, Why)
            after 30000 -> ct:fail(not_stopped)
            end,
            ?assertEqual(tcpdump(Config, File, []), [{T, L, D} || {_, T, L, D} <- Got])
    end.
