%% The port program as a command-line citizen: pcap and pcapng streams
%% into tcpdump and tshark, -c, --duration, SIGINT, stdout as a regular
%% file, stdin closed, -D / -L and their Erlang wrappers, --version.
%% Shell pipelines are what users run, so these tests run them too.
-module(epcap_shell_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include_lib("kernel/include/file.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1, init_per_testcase/2,
         end_per_testcase/2]).
-export([
    pcap_into_tcpdump/1,
    pcapng_into_tshark/1,
    filter_in_pipeline/1,
    stdout_regular_file/1,
    write_file_option/1,
    count_stops_exactly/1,
    sigint_loses_nothing/1,
    duration_stops/1,
    stdin_closed_keeps_capturing/1,
    list_interfaces/1,
    list_datalinks/1,
    version_and_help/1,
    usage_errors/1,
    man_page_documents_every_option/1
]).

all() ->
    [pcap_into_tcpdump, pcapng_into_tshark, filter_in_pipeline,
     stdout_regular_file, write_file_option, count_stops_exactly,
     sigint_loses_nothing, duration_stops, stdin_closed_keeps_capturing,
     list_interfaces, list_datalinks, version_and_help, usage_errors,
     man_page_documents_every_option].

-define(LIVE, [count_stops_exactly, sigint_loses_nothing, duration_stops,
               stdin_closed_keeps_capturing, list_datalinks]).

init_per_suite(Config) ->
    Dir = ?config(priv_dir, Config),
    Sample = filename:join(Dir, "sample.pcap"),
    ok = epcap_samplegen:write(Sample, epcap_samplegen:sample_packets(), #{}),
    Many = filename:join(Dir, "many.pcap"),
    ok = epcap_samplegen:write_synthetic(Many, 100000, 200, #{}),
    [{sample, Sample}, {many, Many}, {epcap, epcap_opts:default_progname()}
     | Config].

end_per_suite(_Config) ->
    ok.

init_per_testcase(Case, Config) ->
    case lists:member(Case, ?LIVE) of
        true -> epcap_test_lib:require_root(Config);
        false -> Config
    end.

end_per_testcase(_Case, _Config) ->
    ok.

%%--------------------------------------------------------------------
%% Helpers

sh(Cmd) -> epcap_test_lib:sh(Cmd).

q(S) -> "'" ++ S ++ "'".

packets(File) ->
    {ok, #{packets := Ps}} = epcap_samplegen:read(File),
    Ps.

%% Packets ignoring time stamp precision: lengths and bytes.
shapes(Ps) ->
    [{L, D} || {_, _, L, D} <- Ps].

out(Config, Name) ->
    filename:join(?config(priv_dir, Config), Name).

udp_sender() ->
    {ok, S} = gen_udp:open(0, [binary]),
    S.

send_udp(S, Port, N) ->
    [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32, 0:(60 * 8)>>)
     || I <- lists:seq(1, N)],
    ok.

send_udp(S, Port, From, N) ->
    [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32, 0:(60 * 8)>>)
     || I <- lists:seq(From, From + N - 1)],
    ok.

%% The port writes the file's header once it is capturing (handle open,
%% filter set, sandbox on): on a loaded machine the start is waited for,
%% not guessed at.
wait_ready(Out) ->
    wait_size(Out, 24).

%% Until the file holds at least Bytes; a failure shows what the port
%% wrote on stderr (next to the file).
wait_size(Out, Bytes) ->
    case epcap_test_lib:poll(fun() -> filelib:file_size(Out) >= Bytes end,
                             10000) of
        {ok, true} -> ok;
        timeout -> ct:fail({size, Out, Bytes, filelib:file_size(Out),
                            file:read_file(Out ++ ".err")})
    end.

%% Start the port from a shell that becomes it (exec), under an Erlang
%% port of this case: its parent is this VM, alive until the case ends.
%% Returns its OS pid. The port ends when its parent dies (README), so
%% it cannot be left behind by a shell with `&': that shell exits at
%% once, and when it did so after the port's start had looked at its
%% parent (under load), the port was ended before it wrote a byte.
background(Cmd) ->
    P = open_port({spawn_executable, "/bin/sh"},
                  [{args, ["-c", "exec " ++ Cmd]}, exit_status]),
    {os_pid, OsPid} = erlang:port_info(P, os_pid),
    OsPid.

wait_exit(OsPid, Ms) ->
    ok = epcap_test_lib:wait_gone(OsPid, Ms).

%%--------------------------------------------------------------------
%% Cases

pcap_into_tcpdump(Config) ->
    Sample = ?config(sample, Config),
    Out = out(Config, "through-tcpdump.pcap"),
    {0, _} = sh(?config(epcap, Config) ++ " -r " ++ q(Sample) ++
                " -w - </dev/null | tcpdump -r - -w " ++ q(Out)),
    ?assertEqual(shapes(packets(Sample)), shapes(packets(Out))),
    %% Times survive (tcpdump rewrites them as microseconds).
    ?assertEqual([{S, U} || {S, U, _, _} <- packets(Sample)],
                 [{S, U} || {S, U, _, _} <- packets(Out)]).

pcapng_into_tshark(Config) ->
    Sample = ?config(sample, Config),
    {0, Lines} = sh(?config(epcap, Config) ++ " -r " ++ q(Sample) ++
                    " -w - --pcapng 2>/dev/null | tshark -r - -T fields -e frame.len 2>/dev/null"),
    Want = [integer_to_list(L) || {_, _, L, _} <- packets(Sample)],
    ?assertEqual(Want, string:lexemes(Lines, "\n")),
    %% tcpdump reads the same pcapng stream.
    Out = out(Config, "ng.pcap"),
    {0, _} = sh(?config(epcap, Config) ++ " -r " ++ q(Sample) ++
                " -w - --pcapng 2>/dev/null | tcpdump -r - -w " ++ q(Out)),
    ?assertEqual(shapes(packets(Sample)), shapes(packets(Out))).

filter_in_pipeline(Config) ->
    Many = ?config(many, Config),
    Out = out(Config, "filtered.pcap"),
    Filter = "udp src port 50007",
    {0, Err} = sh(?config(epcap, Config) ++ " -r " ++ q(Many) ++ " -w " ++
                  q(Out) ++ " " ++ Filter),
    {0, Count} = sh("tcpdump -r " ++ q(Many) ++ " " ++ Filter ++
                    " 2>/dev/null | wc -l"),
    N = list_to_integer(string:trim(Count)),
    ?assert(N > 0),
    ?assertEqual(N, length(packets(Out))),
    ?assertNotEqual(nomatch, string:find(Err, integer_to_list(N) ++ " packets captured")).

%% The classic port died with SIGXFSZ here.
stdout_regular_file(Config) ->
    Many = ?config(many, Config),
    Out = out(Config, "stdout.pcap"),
    {0, _} = sh(?config(epcap, Config) ++ " -r " ++ q(Many) ++ " -w - > " ++ q(Out)),
    ?assertEqual(100000, length(packets(Out))),
    {0, Bytes} = sh("tcpdump -r " ++ q(Out) ++ " -w - 2>/dev/null | wc -c"),
    {ok, #file_info{size = Size}} = file:read_file_info(Many),
    %% tcpdump rewrites it as microsecond pcap: same size as the input.
    ?assertEqual(Size, list_to_integer(string:trim(Bytes))).

write_file_option(Config) ->
    Sample = ?config(sample, Config),
    Out = out(Config, "w.pcapng"),
    {0, _} = sh(?config(epcap, Config) ++ " -r " ++ q(Sample) ++ " --pcapng -w " ++ q(Out)),
    {ok, #{packets := Ps}} = epcap_samplegen:read(Out),
    ?assertEqual(shapes(packets(Sample)), shapes(Ps)),
    {Status, Msg} = sh(?config(epcap, Config) ++ " -r " ++ q(Sample) ++
                       " -w /nonexistent/dir/x.pcap"),
    ?assertEqual(66, Status),
    ?assertNotEqual(nomatch, string:find(Msg, "/nonexistent/dir/x.pcap")).

count_stops_exactly(Config) ->
    Port = 40000 + rand:uniform(20000),
    Out = out(Config, "count.pcap"),
    Pid = background(?config(epcap, Config) ++ " -i lo -c 5 -w " ++ q(Out) ++
                     " udp dst port " ++ integer_to_list(Port) ++
                     " </dev/null 2>" ++ q(Out ++ ".err")),
    wait_ready(Out),
    S = udp_sender(),
    send_udp(S, Port, 20),
    wait_exit(Pid, 5000),
    ?assertEqual(5, length(packets(Out))).

sigint_loses_nothing(Config) ->
    Port = 40000 + rand:uniform(20000),
    Out = out(Config, "sigint.pcap"),
    Pid = background(?config(epcap, Config) ++ " -i lo -w " ++ q(Out) ++
                     " udp dst port " ++ integer_to_list(Port) ++
                     " </dev/null 2>" ++ q(Out ++ ".err")),
    wait_ready(Out),
    S = udp_sender(),
    %% In slices the immediate-mode ring (64 KiB slots on lo) can hold:
    %% each once the one before it is in the file (a record is 16 bytes
    %% of header and a 106-byte frame), the last left in flight.
    [begin
         wait_size(Out, 24 + K * 100 * 122),
         send_udp(S, Port, K * 100 + 1, 100)
     end || K <- lists:seq(0, 9)],
    %% Captured, possibly still in the kernel ring or the port's buffer.
    epcap_test_lib:kill("INT", Pid),
    wait_exit(Pid, 5000),
    Got = packets(Out),
    ?assertEqual(1000, length(Got)),
    ?assertEqual(lists:seq(1, 1000),
                 [I || {_, _, _, <<_:42/binary, I:32, _/binary>>} <- Got]).

duration_stops(Config) ->
    Out = out(Config, "duration.pcap"),
    T0 = erlang:monotonic_time(millisecond),
    {0, Err} = sh(?config(epcap, Config) ++ " -i lo --duration 1 -w " ++ q(Out) ++
                  " udp port 9 </dev/null"),
    T = erlang:monotonic_time(millisecond) - T0,
    ?assert(T >= 1000 andalso T < 3000, {took, T}),
    ?assertNotEqual(nomatch, string:find(Err, "packets captured")),
    ?assertEqual([], packets(Out)).

%% With -w there is no command channel: stdin at end of file (here
%% closed at once) does not stop the capture.
stdin_closed_keeps_capturing(Config) ->
    Port = 40000 + rand:uniform(20000),
    Out = out(Config, "stdin.pcap"),
    Pid = background(?config(epcap, Config) ++ " -i lo -c 3 -w " ++ q(Out) ++
                     " udp dst port " ++ integer_to_list(Port) ++
                     " <&- 2>" ++ q(Out ++ ".err")),
    wait_ready(Out),
    %% A duration is what is tested: capturing with stdin closed, the
    %% port is still there a while later.
    timer:sleep(200),
    ?assertEqual(true, epcap_test_lib:os_alive(Pid)),
    S = udp_sender(),
    send_udp(S, Port, 3),
    wait_exit(Pid, 5000),
    ?assertEqual(3, length(packets(Out))).

list_interfaces(Config) ->
    {0, Text} = sh(?config(epcap, Config) ++ " -D"),
    ?assertMatch({match, _}, re:run(Text, "^lo\t[^\n]*loopback", [multiline])),
    {ok, Ifs} = epcap:interfaces(),
    [Lo] = [I || #{name := "lo"} = I <- Ifs],
    ?assert(lists:member(loopback, maps:get(flags, Lo))),
    ?assert(lists:member(up, maps:get(flags, Lo))),
    ?assert(lists:any(fun(#{family := inet, addr := {127, 0, 0, 1},
                            netmask := {255, 0, 0, 0}}) -> true;
                         (_) -> false
                      end, maps:get(addresses, Lo))).

list_datalinks(_Config) ->
    {ok, [{1, "EN10MB", _} | _]} = epcap:datalinks("lo"),
    %% The same reason as a start's (one error vocabulary).
    ?assertEqual({error, {no_such_device, "nosuch0"}},
                 epcap:datalinks("nosuch0")),
    ?assertEqual(epcap:start([{interface, "nosuch0"}]),
                 epcap:datalinks("nosuch0")),
    %% Choosing the link type by name or number.
    {ok, P} = epcap:start_link([{interface, "lo"}, {datalink, "EN10MB"}]),
    ?assertMatch({ok, #{datalink := 1}}, epcap:info(P)),
    ok = epcap:stop(P).

version_and_help(Config) ->
    {0, V} = sh(?config(epcap, Config) ++ " --version"),
    ?assertNotEqual(nomatch, string:find(V, "libpcap version")),
    ?assertMatch({match, _}, re:run(V, "process restriction: (seccomp|rlimit|null)")),
    {0, H} = sh(?config(epcap, Config) ++ " --help"),
    [?assertNotEqual(nomatch, string:find(H, Opt), Opt)
     || Opt <- ["--interface", "--write", "--pcapng", "--count", "--duration",
                "--list-interfaces", "--compile", "Exit codes"]].

usage_errors(Config) ->
    [begin
         {S, Msg} = sh(?config(epcap, Config) ++ " " ++ Args),
         ?assertEqual(64, S, Args),
         ?assertNotEqual(nomatch, string:find(Msg, Want), {Args, Msg})
     end || {Args, Want} <- [{"-c 0", "count"}, {"-c x", "count"},
                             {"--duration -1", "duration"},
                             {"--pcapng", "pcapng"}, {"-s 0", "snaplen"},
                             {"--nosuch", "--nosuch"}]],
    %% A pcap stream never begins with an ERROR frame, even when the bad
    %% option comes before -w (the parse stops there).
    [?assertEqual({0, "0\n"},
                  sh(?config(epcap, Config) ++ " " ++ Args ++
                     " 2>/dev/null | wc -c"), Args)
     || Args <- ["-i lo -s 0 -w -", "-i lo --fanout bogus:7 --write=-",
                 "--nosuch -w -"]].

%% Every long option in --help is in the man page, and so is every exit
%% code in the protocol header.
man_page_documents_every_option(Config) ->
    {0, Help} = sh(?config(epcap, Config) ++ " --help"),
    {match, Opts} = re:run(Help, "--[a-z][a-z-]+", [global, {capture, all, list}]),
    {ok, Man0} = file:read_file(filename:join([epcap_test_lib:root_dir(), "doc",
                                               "epcap.1"])),
    Man = binary:replace(Man0, <<"\\-">>, <<"-">>, [global]),
    Missing = [O || [O] <- lists:usort(Opts), binary:match(Man, list_to_binary(O)) =:= nomatch],
    ?assertEqual([], Missing),
    [?assertNotEqual(nomatch, binary:match(Man, <<".B ", (integer_to_binary(Code))/binary>>), Code)
     || {Code, _} <- [{0, x}, {64, x}, {65, x}, {66, x}, {70, x}, {71, x}, {74, x}, {75, x}, {77, x}]].
