%% Offline captures: generated files in every format epcap reads, checked
%% packet by packet against what tcpdump reads from the same file with the
%% same filter. No privileges needed.
-module(epcap_offline_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include("epcap_proto.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([
    formats_match_tcpdump/1,
    filters_match_tcpdump/1,
    default_time_is_timestamp/1,
    microsecond_time_unit/1,
    eof_is_last_and_process_exits/1,
    max_snaplen_packet_intact/1,
    many_packets/1,
    empty_file/1,
    info_reports_file/1,
    batch_delivery_matches_packets/1,
    batch_delivery_active_once/1,
    passive_owner_outlives_eof/1,
    direct_matches_packets/1
]).

-define(FILTERS, [
    "", "tcp", "udp port 53", "icmp or icmp6", "arp", "vlan", "ip6",
    "tcp[tcpflags] & tcp-syn != 0", "host 192.0.2.1", "greater 100"
]).

all() ->
    [formats_match_tcpdump, filters_match_tcpdump, default_time_is_timestamp,
     microsecond_time_unit, eof_is_last_and_process_exits,
     max_snaplen_packet_intact, many_packets, empty_file, info_reports_file,
     batch_delivery_matches_packets, batch_delivery_active_once,
     passive_owner_outlives_eof, direct_matches_packets].

init_per_suite(Config) ->
    case os:find_executable("tcpdump") of
        false ->
            {skip, "tcpdump is not installed (make test-deps installs it)"};
        _ ->
            Dir = ?config(priv_dir, Config),
            Files = [write_variant(Dir, V) || V <- variants()],
            %% Big enough that the port is still running when info/1 asks.
            Long = filename:join(Dir, "long.pcap"),
            ok = epcap_samplegen:write_synthetic(Long, 100000, 60, #{}),
            [{files, Files}, {long, Long} | Config]
    end.

end_per_suite(_Config) ->
    ok.

variants() ->
    [#{format => F, precision => P, endian => E}
     || F <- [pcap, pcapng], P <- [micro, nano], E <- [little, big]].

write_variant(Dir, #{format := F, precision := P, endian := E} = V) ->
    Name = filename:join(Dir, lists:concat(["sample-", F, "-", P, "-", E, ".", F])),
    Packets = scale(epcap_samplegen:sample_packets(), P),
    ok = epcap_samplegen:write(Name, Packets, V),
    Name.

%% sample_packets/0 gives microseconds; nano files get extra digits so a
%% microsecond-only path would be caught.
scale(Packets, micro) -> Packets;
scale(Packets, nano) ->
    [{S, U * 1000 + (I rem 997), L, D}
     || {I, {S, U, L, D}} <- lists:zip(lists:seq(1, length(Packets)), Packets)].

%% Run epcap over a file to its end: {Packets, what came after eof}.
capture(File, Extra) ->
    epcap_test_packets:file_capture([{file, File} | Extra]).

collect([]) -> epcap_test_packets:file_packets().

drain() -> epcap_test_packets:drain_messages().

tcpdump(File, Filter, Dir) ->
    epcap_test_packets:tcpdump_read(Dir, File, [Filter || Filter =/= ""]).

compare(File, Filter, Config) ->
    Want = tcpdump(File, Filter, ?config(priv_dir, Config)),
    {Got, After} = capture(File, [{filter, Filter}, {time_unit, nanosecond}]),
    ?assertEqual([], After),
    ?assertEqual(length(Want), length(Got), {File, Filter}),
    [?assertEqual(W, {T, L, D}, {File, Filter}) || {W, {1, T, L, D}} <- lists:zip(Want, Got)],
    length(Got).

formats_match_tcpdump(Config) ->
    Counts = [compare(F, "", Config) || F <- ?config(files, Config)],
    %% Every variant holds the whole sample.
    N = length(epcap_samplegen:sample_packets()),
    ?assertEqual(lists:duplicate(length(Counts), N), Counts).

filters_match_tcpdump(Config) ->
    Counts = [{F, Flt, compare(File, Flt, Config)}
              || File <- ?config(files, Config), Flt <- ?FILTERS,
                 F <- [filename:basename(File)]],
    %% The filters must actually select something and not everything.
    Total = length(epcap_samplegen:sample_packets()),
    [?assert(C > 0 andalso (C < Total orelse Flt =:= ""), {F, Flt, C})
     || {F, Flt, C} <- Counts].

default_time_is_timestamp(Config) ->
    [File | _] = ?config(files, Config),
    {Got, []} = capture(File, []),
    Want = epcap_samplegen:sample_packets(),
    ?assertEqual([{S div 1000000, S rem 1000000, U} || {S, U, _, _} <- Want],
                 [T || {_, T, _, _} <- Got]).

microsecond_time_unit(Config) ->
    Nano = [F || F <- ?config(files, Config), string:find(F, "-nano-") =/= nomatch],
    [begin
        {Got, []} = capture(File, [{time_unit, microsecond}]),
        Want = [S * 1000000 + (F div 1000)
                || {S, F, _, _} <- scale(epcap_samplegen:sample_packets(), nano)],
        ?assertEqual(Want, [T || {_, T, _, _} <- Got])
     end || File <- Nano].

eof_is_last_and_process_exits(Config) ->
    File = ?config(long, Config),
    {ok, Pid} = epcap:start_link([{file, File}]),
    Ref = monitor(process, Pid),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    _ = collect([]),
    receive {'DOWN', Ref, process, Pid, normal} -> ok
    after 5000 -> ct:fail(not_stopped)
    end,
    ?assertEqual([], drain()),
    ?assertNot(filelib:is_dir("/proc/" ++ integer_to_list(OsPid))).

%% The classic port's 2-byte length broke near 64 KiB; ours carries the
%% largest snaplen intact.
max_snaplen_packet_intact(Config) ->
    File = filename:join(?config(priv_dir, Config), "big.pcap"),
    Sizes = [65535, 65536, 70000, 262144],
    Packets = [{1700000000, I, N, rand:bytes(N)} || {I, N} <- lists:enumerate(Sizes)],
    ok = epcap_samplegen:write(File, Packets, #{}),
    {Got, []} = capture(File, [{time_unit, microsecond}]),
    ?assertEqual([{L, D} || {_, _, L, D} <- Packets], [{L, D} || {_, _, L, D} <- Got]).

%% epcap:open/1 and recv/2 (the owner owns the port) give the same
%% packets as the epcap process, more than the first credit of them, then
%% {error, eof}; stats/1 between two recvs keeps what came meanwhile.
direct_matches_packets(Config) ->
    Many = filename:join(?config(priv_dir, Config), "direct-many.pcap"),
    ok = epcap_samplegen:write_synthetic(Many, 20000, 60, #{}),
    [begin
        Opts = [{time_unit, Unit}],
        {Want, []} = capture(File, Opts),
        {ok, C} = epcap:open([{file, File} | Opts]),
        {ok, #{delivered := _}} = epcap:stats(C),
        Got = direct_all(C, []),
        ok = epcap:close(C),
        ?assertEqual(Want, [{D, T, L, P} || {packet, D, T, L, P} <- Got], {File, Unit})
     end || File <- [Many | ?config(files, Config)], Unit <- [timestamp, nanosecond]],
    %% Nothing is left behind in the owner's mailbox.
    ?assertEqual({messages, []}, process_info(self(), messages)).

direct_all(C, Acc) ->
    case epcap:recv(C, 5000) of
        {ok, Pkts} -> direct_all(C, lists:reverse(Pkts, Acc));
        {error, eof} -> lists:reverse(Acc)
    end.

many_packets(Config) ->
    File = filename:join(?config(priv_dir, Config), "many.pcap"),
    N = 200000,
    ok = epcap_samplegen:write_synthetic(File, N, 60, #{}),
    {Got, []} = capture(File, []),
    ?assertEqual(N, length(Got)),
    ?assert(lists:all(fun({1, _, 60, D}) -> byte_size(D) =:= 60 end, Got)).

empty_file(Config) ->
    File = filename:join(?config(priv_dir, Config), "empty.pcap"),
    ok = epcap_samplegen:write(File, [], #{}),
    ?assertEqual({[], []}, capture(File, [])).

info_reports_file(Config) ->
    File = ?config(long, Config),
    {ok, Pid} = epcap:start_link([{file, File}]),
    {ok, Info} = epcap:info(Pid),
    ?assertMatch(#{source := file, datalink := 1, precision := 9,
                   version := ?EPCAP_PROTOCOL_VERSION,
                   start := root, chroot := true, inject := false}, Info),
    ?assertEqual(list_to_binary(File), maps:get(name, Info)),
    _ = collect([]).

%% {delivery, batch}: the same packets, in the same order, with the same
%% time stamps in every unit, whether walked with batch_fold/3 or listed
%% with batch_to_list/1; every batch names its epcap process.
batch_delivery_matches_packets(Config) ->
    Many = filename:join(?config(priv_dir, Config), "batch-many.pcap"),
    ok = epcap_samplegen:write_synthetic(Many, 50000, 60, #{}),
    [begin
        Opts = [{time_unit, Unit}, {filter, Filter}],
        {Want, []} = capture(File, Opts),
        {Pid, Batches} = capture_batches(File, Opts),
        ?assert(Batches =/= [] orelse Want =:= []),
        [?assertEqual(Pid, P) || {P, _} <- Batches],
        Listed = lists:append([epcap:batch_to_list(B) || {_, B} <- Batches]),
        Folded = lists:reverse(lists:foldl(
            fun({_, B}, Acc) -> epcap:batch_fold(fun(M, A) -> [M | A] end, Acc, B) end,
            [], Batches)),
        ?assertEqual(length(Want), lists:sum([epcap:batch_count(B) || {_, B} <- Batches])),
        ?assertEqual(Want, [{D, T, L, P} || {packet, D, T, L, P} <- Listed], {File, Unit}),
        ?assertEqual(Listed, Folded)
     end || File <- [Many | ?config(files, Config)],
            Unit <- [timestamp, microsecond, nanosecond],
            Filter <- ["", "udp"]].

%% Active modes count messages, so {active, once} hands over one batch;
%% stats count the packets in it. A bounded queue keeps the port paused
%% (and able to answer stats) while the owner is passive.
batch_delivery_active_once(Config) ->
    File = ?config(long, Config),
    {ok, Pid} = epcap:start_link([{file, File}, {delivery, batch}, {active, once},
                                  {max_queue, 20000}]),
    First = receive {epcap_batch, Pid, B} -> B after 5000 -> ct:fail(no_batch) end,
    receive {epcap_passive, Pid} -> ok after 5000 -> ct:fail(not_passive) end,
    receive {epcap_batch, Pid, _} -> ct:fail(batch_while_passive) after 200 -> ok end,
    N1 = epcap:batch_count(First),
    ?assert(N1 > 0),
    {ok, #{owner_delivered := N1, held := Held}} = epcap:stats(Pid),
    ?assert(Held > 0 andalso Held =< 20000, Held),
    Ref = monitor(process, Pid),
    ok = epcap:setopts(Pid, [{active, true}]),
    {Pid, Rest} = collect_batches(Pid, []),
    ?assertEqual(100000, N1 + lists:sum([epcap:batch_count(B) || {_, B} <- Rest])),
    receive {'DOWN', Ref, process, Pid, normal} -> ok
    after 5000 -> ct:fail(not_stopped)
    end.

%% A file read to its end while the owner is passive: what is held waits
%% for the owner, and {epcap, eof} comes after it, never before.
passive_owner_outlives_eof(Config) ->
    File = filename:join(?config(priv_dir, Config), "passive.pcap"),
    ok = epcap_samplegen:write_synthetic(File, 20000, 60, #{}),
    {ok, Pid} = epcap:start_link([{file, File}, {active, 100}]),
    Ref = monitor(process, Pid),
    receive {epcap_passive, Pid} -> ok after 5000 -> ct:fail(not_passive) end,
    %% The port has read everything and exited (the capture is closed).
    epcap_test_lib:wait_closed(Pid),
    Early = drain(),
    ?assertEqual(100, length(Early)),
    ?assertNot(lists:member({epcap, eof}, Early)),
    ?assert(is_process_alive(Pid)),
    ok = epcap:setopts(Pid, [{active, true}]),
    ?assertEqual(19900, length(collect([]))),
    receive {'DOWN', Ref, process, Pid, normal} -> ok
    after 5000 -> ct:fail(not_stopped)
    end,
    ?assertEqual([], drain()).

capture_batches(File, Extra) ->
    {ok, Pid} = epcap:start_link([{file, File}, {delivery, batch} | Extra]),
    Ref = monitor(process, Pid),
    Result = collect_batches(Pid, []),
    receive
        {'DOWN', Ref, process, Pid, Reason} -> ?assertEqual(normal, Reason)
    after 5000 -> ct:fail({epcap_still_running, Pid})
    end,
    ?assertEqual([], drain()),
    Result.

collect_batches(Pid, Acc) ->
    receive
        {epcap_batch, P, B} -> collect_batches(Pid, [{P, B} | Acc]);
        {packet, _, _, _, _} = M -> ct:fail({packet_in_batch_mode, M});
        {epcap, eof} -> {Pid, lists:reverse(Acc)}
    after 10000 -> ct:fail({no_eof, length(Acc)})
    end.

