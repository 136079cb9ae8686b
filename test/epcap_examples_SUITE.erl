%% The example programs, run the way their header comments say:
%%
%%   * sniff: `sniff:start/1' on the project's sample capture, and the
%%     exact command line of `make run' in a separate VM;
%%   * pcap_dump: dumps of capture files (pcap and pcapng, micro- and
%%     nanosecond) read back by `tcpdump -r' and by
%%     `epcap_samplegen:read/1', which must both see the original packets;
%%     a live dump on lo stopped by count, another by duration;
%%   * icmp_ping: its frames checked by `tcpdump -vv' (which verifies both
%%     checksums), then real pings from the root namespace to a network
%%     namespace, where the kernel only answers correct requests, and a
%%     target that ignores pings.
%%
%% The offline group needs no privileges; the live group needs root
%% (skipped otherwise, a failure under CI=true).
-module(epcap_examples_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, groups/0, suite/0, init_per_group/2, end_per_group/2,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    sniff_sample_summary/1,
    sniff_count_and_filter/1,
    sniff_make_run_command/1,
    pcap_dump_pcap_roundtrip/1,
    pcap_dump_pcapng_nano_roundtrip/1,
    pcap_dump_micro_to_nano/1,
    pcap_dump_count_limit/1,
    pcap_dump_command_line/1,
    pcap_dump_errors/1,
    icmp_frames_checked_by_tcpdump/1,
    pcap_dump_live_count/1,
    pcap_dump_live_duration/1,
    icmp_ping_namespace/1,
    icmp_ping_command_line/1,
    icmp_ping_no_reply/1
]).

suite() ->
    [{timetrap, {seconds, 60}}].

all() ->
    [{group, offline}, {group, live}].

groups() ->
    [{offline, [], [sniff_sample_summary, sniff_count_and_filter,
                    sniff_make_run_command, pcap_dump_pcap_roundtrip,
                    pcap_dump_pcapng_nano_roundtrip, pcap_dump_micro_to_nano,
                    pcap_dump_count_limit, pcap_dump_command_line,
                    pcap_dump_errors, icmp_frames_checked_by_tcpdump]},
     {live, [], [pcap_dump_live_count, pcap_dump_live_duration,
                 icmp_ping_namespace, icmp_ping_command_line,
                 icmp_ping_no_reply]}].

init_per_group(live, Config) ->
    epcap_test_lib:require_root(Config);
init_per_group(_, Config) ->
    Config.

end_per_group(_, _Config) ->
    ok.

init_per_testcase(Case, Config) when Case =:= icmp_ping_namespace;
                                     Case =:= icmp_ping_command_line;
                                     Case =:= icmp_ping_no_reply ->
    epcap_netns:init_case(Config);
init_per_testcase(_Case, Config) ->
    Config.

end_per_testcase(_Case, Config) ->
    epcap_netns:end_case(Config).

%%--------------------------------------------------------------------
%% Helpers

priv(Config, Name) ->
    filename:join(?config(priv_dir, Config), Name).

samples() ->
    epcap_samplegen:sample_packets().

sample_file(Config, Name, Opts) ->
    F = priv(Config, Name),
    ok = epcap_samplegen:write(F, samples(), Opts),
    F.

packets(File) ->
    {ok, #{packets := Ps}} = epcap_samplegen:read(File),
    Ps.

%% What tcpdump reads from a file: one line per packet (-tt puts the
%% epoch time first; further lines of a packet start with a tab).
tcpdump_count(File, Filter) ->
    Out = epcap_test_lib:run_ok("tcpdump", ["-nn", "-tt", "-r", File | Filter]),
    length([L || L <- string:split(Out, "\n", all),
                 re:run(L, "^[0-9]+\\.[0-9]{6,9} ") =/= nomatch]).

%% The magic number at the start of a pcap file.
magic(File) ->
    {ok, <<M:32/little, _/binary>>} = file:read_file(File),
    M.

%% Run `erl' with the project's code paths, an -eval expression and an
%% environment; `{ExitStatus, Output}'. Bounded.
run_erl(Eval, Env, Timeout) ->
    Args = ["-noshell", "-pa", code_dir(epcap), "-pa", code_dir(sniff),
            "-eval", Eval],
    epcap_test_lib:cmd(os:find_executable("erl"), Args,
                       #{env => Env, timeout => Timeout}).

code_dir(Mod) ->
    filename:dirname(code:which(Mod)).

lines_matching(Out, Re) ->
    [L || L <- string:split(Out, "\n", all), re:run(L, Re) =/= nomatch].

%%--------------------------------------------------------------------
%% sniff

sniff_sample_summary(Config) ->
    F = sample_file(Config, "sample.pcap", #{}),
    {ok, Summary} = sniff:start([{file, F}]),
    ?assertMatch(#{packets := 40, stopped := eof, truncated := 1}, Summary),
    #{bytes := B, captured_bytes := C, protocols := Ps} = Summary,
    ?assertEqual(lists:sum([O || {_, _, O, _} <- samples()]), B),
    ?assertEqual(lists:sum([byte_size(D) || {_, _, _, D} <- samples()]), C),
    ?assertEqual(40, maps:get(eth, Ps)),
    %% sniff's protocol counts agree with its own decoder on the samples.
    Arp = length([1 || {_, _, _, D} <- samples(),
                       lists:member(arp, maps:get(layers, sniff:decode(1, D)))]),
    ?assertEqual(Arp, maps:get(arp, Ps)).

sniff_count_and_filter(Config) ->
    F = sample_file(Config, "sample.pcap", #{}),
    ?assertMatch({ok, #{packets := 5, stopped := count}},
                 sniff:start([{file, F}, {count, 5}])),
    %% The filter is applied by the port exactly as tcpdump applies it.
    [begin
         {ok, #{packets := N, stopped := eof}} = sniff:start([{file, F}, {filter, Expr}]),
         ?assertEqual(tcpdump_count(F, [Expr]), N, Expr)
     end || Expr <- ["udp", "tcp", "arp", "icmp or icmp6", "vlan"]],
    ?assertMatch({error, {bad_filter, _}}, sniff:start([{file, F}, {filter, "udp port"}])).

%% What `make run' runs, in a separate VM: EPCAP_FILE set, the others
%% empty as make sets them.
sniff_make_run_command(Config) ->
    F = sample_file(Config, "sample.pcap", #{}),
    Env = [{"EPCAP_FILE", F}, {"EPCAP_IFACE", ""}, {"EPCAP_FILTER", ""},
           {"EPCAP_COUNT", ""}],
    {Status, Out} = run_erl("sniff:run()", Env, 30000),
    ct:log("~ts", [Out]),
    ?assertEqual(0, Status),
    B = lists:sum([O || {_, _, O, _} <- samples()]),
    C = lists:sum([byte_size(D) || {_, _, _, D} <- samples()]),
    Summary = lists:flatten(io_lib:format(
        "sniff: 40 packets, ~b bytes on the wire, ~b captured, 1 truncated "
        "(stopped: eof)", [B, C])),
    ?assertMatch([_], lines_matching(Out, "^" ++ re_quote(Summary) ++ "$")),
    ?assertEqual(40, length(lines_matching(Out, "^2023-11-14 22:13:2[0-9]\\.[0-9]{6} len "))),
    %% And a count from the environment, as `make run COUNT=3' passes it.
    Env3 = lists:keystore("EPCAP_COUNT", 1, Env, {"EPCAP_COUNT", "3"}),
    {0, Out3} = run_erl("sniff:run()", Env3, 30000),
    ?assertMatch([_], lines_matching(Out3, "^sniff: 3 packets, .*\\(stopped: count\\)$")).

re_quote(S) ->
    re:replace(S, "[.()\\[\\]*+?^$|\\\\]", "\\\\&", [global, {return, list}]).

%%--------------------------------------------------------------------
%% pcap_dump, offline

pcap_dump_pcap_roundtrip(Config) ->
    F = sample_file(Config, "in.pcap", #{}),
    Out = priv(Config, "out.pcap"),
    {ok, S} = pcap_dump:dump(Out, [{file, F}]),
    ?assertMatch(#{packets := 40, stopped := eof, linktype := 1, precision := micro}, S),
    ?assertEqual(16#a1b2c3d4, magic(Out)),
    ?assertEqual(40, tcpdump_count(Out, [])),
    ?assertEqual(packets(F), packets(Out)),
    %% tcpdump prints the same packets for both files.
    Read = fun(File) -> lines_matching(epcap_test_lib:run_ok(
                            "tcpdump", ["-nn", "-tt", "-v", "-r", File]), "^[0-9]")
           end,
    ?assertEqual(Read(F), Read(Out)).

%% pcapng in, big-endian, nanosecond: the dump is pcap with the nano magic
%% and the same nanosecond times.
pcap_dump_pcapng_nano_roundtrip(Config) ->
    F = sample_file(Config, "in.pcapng", #{format => pcapng, precision => nano,
                                           endian => big}),
    Out = priv(Config, "out.pcap"),
    {ok, S} = pcap_dump:dump(Out, [{file, F}, {time_unit, nanosecond}]),
    ?assertMatch(#{packets := 40, precision := nano}, S),
    ?assertEqual(16#a1b23c4d, magic(Out)),
    ?assertEqual(40, tcpdump_count(Out, [])),
    {ok, #{precision := nano, linktype := 1, packets := Got}} = epcap_samplegen:read(Out),
    ?assertEqual(samples(), Got),
    %% Nanoseconds that are not whole microseconds survive.
    ?assert(lists:any(fun({_, Ns, _, _}) -> Ns rem 1000 =/= 0 end, Got)).

pcap_dump_micro_to_nano(Config) ->
    F = sample_file(Config, "in.pcap", #{}),
    Out = priv(Config, "out.pcap"),
    {ok, #{precision := nano}} = pcap_dump:dump(Out, [{file, F}, {time_unit, nanosecond}]),
    {ok, #{precision := nano, packets := Got}} = epcap_samplegen:read(Out),
    ?assertEqual([{S, Us * 1000, O, D} || {S, Us, O, D} <- samples()], Got).

pcap_dump_count_limit(Config) ->
    F = sample_file(Config, "in.pcap", #{}),
    Out = priv(Config, "out.pcap"),
    {ok, S} = pcap_dump:dump(Out, [{file, F}, {count, 7}]),
    ?assertMatch(#{packets := 7, stopped := count}, S),
    ?assertEqual(7, tcpdump_count(Out, [])),
    ?assertEqual(lists:sublist(samples(), 7), packets(Out)).

%% The documented command, with a filter: the dump holds what tcpdump
%% selects with the same filter, cut at the count.
pcap_dump_command_line(Config) ->
    F = sample_file(Config, "in.pcap", #{}),
    Out = priv(Config, "out.pcap"),
    Want = priv(Config, "want.pcap"),
    epcap_test_lib:run_ok("tcpdump", ["-r", F, "-w", Want, "udp"]),
    Eval = lists:flatten(io_lib:format(
        "pcap_dump:main([\"-r\", ~p, \"-w\", ~p, \"-c\", \"4\", \"udp\"])", [F, Out])),
    {Status, Text} = run_erl(Eval, [], 30000),
    ct:log("~ts", [Text]),
    ?assertEqual(0, Status),
    ?assertMatch([_], lines_matching(Text, "^pcap_dump: 4 packets .* \\(stopped: count\\)$")),
    ?assert(length(packets(Want)) > 4),
    ?assertEqual(lists:sublist(packets(Want), 4), packets(Out)),
    %% A bad command line says why and exits 1.
    {1, Usage} = run_erl("pcap_dump:main([\"-r\", \"x\"])", [], 30000),
    ?assertMatch([_ | _], lines_matching(Usage, "no output")).

pcap_dump_errors(Config) ->
    F = sample_file(Config, "in.pcap", #{}),
    Missing = priv(Config, "missing.pcap"),
    ?assertMatch({error, {file, _, _}}, pcap_dump:dump(priv(Config, "o.pcap"),
                                                         [{file, Missing}])),
    NoDir = filename:join([?config(priv_dir, Config), "no", "such", "dir", "o.pcap"]),
    ?assertEqual({error, {file, NoDir, enoent}}, pcap_dump:dump(NoDir, [{file, F}])),
    ?assertMatch({error, {badarg, _}}, pcap_dump:dump(priv(Config, "o.pcap"),
                                                      [{file, F}, {snaplen, 0}])),
    ?assertEqual({error, {bad_option, {duration, -1}}},
                 pcap_dump:dump(priv(Config, "o.pcap"), [{file, F}, {duration, -1}])),
    %% Nothing is left running, and the caller got no stray message.
    ?assertEqual(ok, epcap_test_lib:wait_no_ports(2000)),
    receive Any -> ct:fail({unexpected_message, Any}) after 0 -> ok end.

%%--------------------------------------------------------------------
%% icmp_ping, offline

%% tcpdump -vv verifies the IPv4 and ICMP checksums; a corrupted frame
%% shows that it does.
icmp_frames_checked_by_tcpdump(Config) ->
    Base = #{src_mac => <<2, 0, 0, 0, 0, 1>>, dst_mac => <<2, 0, 0, 0, 0, 2>>,
             src_ip => {192, 0, 2, 1}, dst_ip => {192, 0, 2, 2}, id => 16#1234,
             ttl => 64},
    Sizes = [0, 8, 9, 56, 57, 1472],
    Frames = [icmp_ping:echo_request(Base#{seq => I, data => rand:bytes(Size)})
              || {I, Size} <- lists:enumerate(Sizes)],
    <<H:40/binary, X, T/binary>> = hd(Frames),
    Bad = <<H/binary, (X bxor 16#80), T/binary>>,
    File = priv(Config, "icmp.pcap"),
    ok = epcap_samplegen:write(File, [{1700000000, I, byte_size(P), P}
                                      || {I, P} <- lists:enumerate(Frames ++ [Bad])], #{}),
    Out = epcap_test_lib:run_ok("tcpdump", ["-vv", "-nn", "-r", File]),
    ct:log("~ts", [Out]),
    Requests = lines_matching(Out, "192\\.0\\.2\\.1 > 192\\.0\\.2\\.2: ICMP echo request, "
                                   "id 4660, seq [0-9]+, length [0-9]+"),
    ?assertEqual(length(Sizes) + 1, length(Requests)),
    ?assertEqual([], lines_matching(Out, "bad cksum")),
    ?assertMatch([_], lines_matching(Out, "wrong icmp cksum")),
    [?assertMatch([_], lines_matching(Out, "seq " ++ integer_to_list(I) ++ ", length "
                                           ++ integer_to_list(8 + Size) ++ "$"))
     || {I, Size} <- lists:enumerate(Sizes)].

%%--------------------------------------------------------------------
%% Live: pcap_dump on lo

%% Datagrams go to a socket of ours on lo until the dump has its count;
%% the dump holds consecutive datagrams of ours, byte for byte.
pcap_dump_live_count(Config) ->
    R = epcap_test_packets:udp_socket("127.0.0.1"),
    {ok, Port} = inet:port(R),
    Out = priv(Config, "lo.pcap"),
    N = 20,
    Opts = [{interface, "lo"}, {time_unit, nanosecond}, {count, N},
            {filter, "udp and dst port " ++ integer_to_list(Port)}],
    Self = self(),
    Dumper = spawn_link(fun() -> Self ! {dumped, pcap_dump:dump(Out, Opts)} end),
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    Result = feed(S, Port, 1, Dumper),
    ct:pal("live dump: ~p", [Result]),
    ?assertMatch({ok, #{packets := N, stopped := count, precision := nano}}, Result),
    ?assertEqual(N, tcpdump_count(Out, [])),
    {ok, #{precision := nano, linktype := 1, packets := Ps}} = epcap_samplegen:read(Out),
    Seqs = [begin
                #{dport := Port, payload := <<"epcap", Seq:32>>} = epcap_test_packets:udp(D),
                ?assertEqual(byte_size(D), Len),
                Seq
            end || {_, _, Len, D} <- Ps],
    [First | _] = Seqs,
    ?assertEqual(lists:seq(First, First + N - 1), Seqs),
    Now = os:system_time(second),
    [?assert(abs(Now - Sec) < 60) || {Sec, _, _, _} <- Ps],
    gen_udp:close(S),
    gen_udp:close(R).

%% One datagram every 10 ms until the dumper answers (at most 20 s).
feed(S, Port, Seq, Dumper) when Seq =< 2000 ->
    ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<"epcap", Seq:32>>),
    receive
        {dumped, Result} -> Result
    after 10 ->
        feed(S, Port, Seq + 1, Dumper)
    end;
feed(_, _, _, Dumper) ->
    unlink(Dumper),
    exit(Dumper, kill),
    ct:fail(dump_never_finished).

pcap_dump_live_duration(Config) ->
    Out = priv(Config, "quiet.pcap"),
    {ok, Unused} = gen_udp:open(0, [{ip, {127, 0, 0, 1}}]),
    {ok, Port} = inet:port(Unused),
    T0 = erlang:monotonic_time(millisecond),
    {ok, S} = pcap_dump:dump(Out, [{interface, "lo"}, {duration, 300},
                                   {filter, "udp and dst port " ++ integer_to_list(Port)}]),
    Took = erlang:monotonic_time(millisecond) - T0,
    ct:pal("duration dump: ~p in ~b ms", [S, Took]),
    ?assertMatch(#{packets := 0, stopped := duration, linktype := 1}, S),
    ?assert(Took >= 300 andalso Took < 5000, Took),
    ?assertEqual(0, tcpdump_count(Out, [])),
    ?assertMatch({ok, #{packets := []}}, epcap_samplegen:read(Out)),
    gen_udp:close(Unused).

%%--------------------------------------------------------------------
%% Live: icmp_ping between namespaces

%% Route, source and neighbour looked up with ip(8); then everything
%% given, with no lookup at all.
icmp_ping_namespace(Config) ->
    #{ns_addr := Target, root_addr := Src, root_if := If, ns_mac := Mac} =
        ?config(net, Config),
    {ok, R} = icmp_ping:ping(Target, #{count => 5, interval => 50, wait => 2000}),
    ct:pal("ping: ~p", [R]),
    check_all_replied(R, 5, If),
    {ok, R2} = icmp_ping:ping(Target, #{count => 3, interval => 20, wait => 2000,
                                        interface => If, src_ip => Src,
                                        dst_mac => Mac, size => 1472, id => 7,
                                        print => false}),
    check_all_replied(R2, 3, If).

check_all_replied(R, N, If) ->
    ?assertMatch(#{transmitted := N, received := N, lost := [], duplicates := 0,
                   inject_errors := 0, interface := If}, R),
    Rtts = maps:get(rtts, R),
    ?assertEqual(lists:seq(1, N), lists:sort([S || {S, _} <- Rtts])),
    [?assert(Us >= 0 andalso Us < 1000000, {rtt, S, Us}) || {S, Us} <- Rtts].

icmp_ping_command_line(Config) ->
    #{ns_addr := Target} = ?config(net, Config),
    Eval = "icmp_ping:main([\"-c\", \"3\", \"-i\", \"50\", \"" ++ Target ++ "\"])",
    {Status, Out} = run_erl(Eval, [], 30000),
    ct:log("~ts", [Out]),
    ?assertEqual(0, Status),
    ?assertEqual(3, length(lines_matching(Out, "^64 bytes from " ++ re_quote(Target)
                                          ++ ": icmp_seq=[123] ttl=64 time=[0-9.]+ ms$"))),
    ?assertMatch([_], lines_matching(Out, "^3 packets transmitted, 3 received, 0% packet loss$")).

%% A target that ignores pings: every request is reported lost, within
%% the wait, and the command line says so with status 1.
icmp_ping_no_reply(Config) ->
    Net = #{ns_addr := Target} = ?config(net, Config),
    epcap_netns:run_ok(Net, ["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]),
    T0 = erlang:monotonic_time(millisecond),
    {ok, R} = icmp_ping:ping(Target, #{count => 3, interval => 50, wait => 500}),
    Took = erlang:monotonic_time(millisecond) - T0,
    ?assertMatch(#{transmitted := 3, received := 0, lost := [1, 2, 3], rtts := []}, R),
    ?assert(Took >= 600 andalso Took < 5000, Took),
    Eval = "icmp_ping:main([\"-c\", \"2\", \"-i\", \"50\", \"-W\", \"300\", \""
           ++ Target ++ "\"])",
    {Status, Out} = run_erl(Eval, [], 30000),
    ?assertEqual(1, Status, Out),
    %% And a target without a neighbour entry is an error, status 2.
    {2, Out2} = run_erl("icmp_ping:main([\"-c\", \"1\", \"-I\", \""
                        ++ maps:get(root_if, Net) ++ "\", \"10.231.255.254\"])", [], 30000),
    ?assertMatch([_ | _], lines_matching(Out2, "^icmp_ping: ")).
