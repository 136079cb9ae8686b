%% EUnit tests of the pure codec, driven by the shared protocol vectors
%% (test/protocol_vectors.txt, also read by test/c/test_vectors.c).
-module(epcap_codec_tests).

-include_lib("eunit/include/eunit.hrl").
-include("epcap_proto.hrl").

vectors() ->
    Root = case os:getenv("EPCAP_ROOT") of
        false -> ".";
        R -> R
    end,
    {ok, Text} = file:read_file(filename:join([Root, "test", "protocol_vectors.txt"])),
    maps:from_list([
        {list_to_atom(binary_to_list(Name)), {Dir, binary:decode_hex(Hex)}}
     || Line <- binary:split(Text, <<"\n">>, [global, trim_all]),
        binary:first(Line) =/= $#,
        [Name, Dir, Hex] <- [binary:split(Line, <<" ">>, [global, trim_all])]
    ]).

%% {packet, 4} strips the length; check it is right, then decode.
out(Name) ->
    {<<"out">>, <<Len:32, Frame/binary>>} = maps:get(Name, vectors()),
    ?assertEqual(Len, byte_size(Frame)),
    epcap_codec:decode(Frame).

ready_test() ->
    ?assertEqual(
        {ready, #{version => ?EPCAP_PROTOCOL_VERSION, datalink => 1, snaplen => 262144,
                  precision => 9, source => live, start => setuid,
                  uid => 1000, gid => 1000, chroot => false, inject => true,
                  name => <<"lo">>}},
        out(ready)),
    ?assertMatch(
        {ready, #{datalink := 113, snaplen := 65535, precision := 6,
                  source := file, start := root, uid := 65534, gid := 65534,
                  chroot := true, inject := false,
                  name := <<"/tmp/x.pcap">>}},
        out(ready_file_micro)),
    %% Another version's READY: only its version is read.
    ?assertEqual({ready_version, 3},
                 epcap_codec:decode(<<1, 3:16, 1:32, 65535:32, 9, 0, "lo">>)).

packets_test() ->
    {packets, One} = out(packets_one),
    ?assertEqual(
        [{packet, 1, {1700, 0, 123456}, 60, <<16#de, 16#ad, 16#be, 16#ef>>}],
        epcap_codec:packets(One, 1, timestamp, 9)),
    {packets, Two} = out(packets_two),
    ?assertEqual(
        [{packet, 1, 1700000000123456789, 60, <<16#de, 16#ad, 16#be, 16#ef>>},
         {packet, 1, 1700000001999999999, 0, <<>>}],
        epcap_codec:packets(Two, 1, nanosecond, 9)),
    ?assertEqual(
        [1700000000123456, 1700000001999999],
        [T || {packet, _, T, _, _} <- epcap_codec:packets(Two, 1, microsecond, 9)]).

%% send_packets/5 sends what packets/4 returns, in order, and counts it.
send_packets_test() ->
    {packets, Two} = out(packets_two),
    ?assertEqual(2, epcap_codec:send_packets(self(), Two, 1, nanosecond, 9)),
    Got = [receive {packet, _, _, _, _} = M -> M after 1000 -> none end
           || _ <- [1, 2]],
    ?assertEqual(epcap_codec:packets(Two, 1, nanosecond, 9), Got),
    ?assertError({bad_frame, {packets, <<1, 2>>}},
                 epcap_codec:send_packets(self(), <<1, 2>>, 1, nanosecond, 9)),
    ?assertEqual(Got, epcap_codec:records(packets, packet, Two, 1,
                                          nanosecond, 9)).

%% Microsecond precision: the fraction is already microseconds.
packets_micro_test() ->
    Rec = <<1700000000:64, 42:32, 1:32, 1:32, 7>>,
    ?assertEqual([{packet, 0, {1700, 0, 42}, 1, <<7>>}],
                 epcap_codec:packets(Rec, 0, timestamp, 6)),
    ?assertEqual([{packet, 0, 1700000000000042, 1, <<7>>}],
                 epcap_codec:packets(Rec, 0, microsecond, 6)),
    ?assertEqual([{packet, 0, 1700000000000042000, 1, <<7>>}],
                 epcap_codec:packets(Rec, 0, nanosecond, 6)).

%% Protocol 5: INTERFACE, DATALINK and IFPACKETS ({interface_info, true}).
v5_frames_test() ->
    ?assertEqual({interface, #{index => 0, datalink => 1, snaplen => 65535,
                               tsresol => 9, name => <<"eth0">>,
                               description => <<>>, filter => <<"tcp">>}},
                 out(interface)),
    ?assertEqual({datalink, 12}, out(datalink)),
    {ifpackets, Recs} = out(ifpackets_one),
    ?assertEqual(
        [{packet, 101, 1700000000123456789, 60, <<16#de, 16#ad, 16#be, 16#ef>>, 3}],
        epcap_codec:ifpackets(Recs, #{3 => 101}, nanosecond, 9)),
    Batch = epcap_codec:ifbatch(Recs, #{3 => 101}, nanosecond, 9),
    ?assertEqual(1, epcap_codec:batch_count(Batch)),
    ?assertEqual(epcap_codec:ifpackets(Recs, #{3 => 101}, nanosecond, 9),
                 epcap_codec:batch_to_list(Batch)),
    %% A packet of an interface never described is a protocol violation.
    ?assertError({bad_frame, {no_interface, 3}},
                 epcap_codec:ifpackets(Recs, #{}, nanosecond, 9)).

control_test() ->
    ?assertEqual(eof, out(eof)),
    ?assertEqual({error, bad_filter, true, "syntax error"}, out(error_bad_filter)),
    ?assertEqual({warning, promisc_not_supported, "promiscuous mode not supported"},
                 out(warning_promisc)),
    ?assertEqual({reply, 7, unknown_command, <<>>}, out(reply_unknown_command)).

commands_test() ->
    #{cmd_stop := {<<"in">>, Stop}} = vectors(),
    ?assertEqual(Stop, frame(epcap_codec:encode_command(stop, 0, []))).

v2_commands_test() ->
    V = vectors(),
    Enc = fun(Name, Kind, Id, Body) ->
        {<<"in">>, Want} = maps:get(Name, V),
        ?assertEqual(Want, frame(epcap_codec:encode_command(Kind, Id, Body)))
    end,
    Enc(cmd_inject, inject, 0, <<16#de, 16#ad, 16#be, 16#ef>>),
    Enc(cmd_inject_batch, inject_batch, 5, [<<16#aa, 16#bb>>, [<<16#cc>>]]),
    Enc(cmd_filter, filter, 6, <<"tcp">>),
    Enc(cmd_stats, stats, 7, []),
    Enc(cmd_credit, credit, 0, 4096),
    Enc(cmd_ifstats, ifstats, 8, []).

%% Protocol 7: IFSTATS, a file's one interface (no libpcap counters).
ifstats_reply_test() ->
    {reply, 8, ok, Body} = out(reply_ifstats_file),
    ?assertEqual([#{index => 0, counters => false, received => 0,
                    dropped => 0, ifdropped => 0, delivered => 4}],
                 epcap_codec:ifstats(Body)).

v2_replies_test() ->
    {reply, 7, ok, Body} = out(reply_stats_file),
    ?assertEqual(#{delivered => 4, delivered_bytes => 5, injected => 6,
                   inject_failed => 7, credit_stalls => 8, output_stalls => 9,
                   filter_changes => 10},
                 epcap_codec:stats(Body)),
    ?assertEqual({reply, 5, inject_disabled,
                  <<"the port was started without inject">>},
                 out(reply_inject_disabled)).

frame(IoData) ->
    Bin = iolist_to_binary(IoData),
    <<(byte_size(Bin)):32, Bin/binary>>.

%% Garbage from the port is a crash, never a shrug.
bad_frames_test_() ->
    [?_assertError({bad_frame, _}, epcap_codec:decode(F))
     || F <- [<<>>, <<0>>, <<99, 1, 2>>, <<?EPCAP_FRAME_READY, 1>>,
              <<?EPCAP_FRAME_READY, ?EPCAP_PROTOCOL_VERSION:16, 1:32, 1:32, 7, 0>>,
              %% a start mode, flags or a header that do not exist
              <<?EPCAP_FRAME_READY, ?EPCAP_PROTOCOL_VERSION:16, 1:32, 1:32, 9, 0,
                9, 0:32, 0:32, 0>>,
              <<?EPCAP_FRAME_READY, ?EPCAP_PROTOCOL_VERSION:16, 1:32, 1:32, 9, 0,
                1, 0:32, 0:32, 8>>,
              <<?EPCAP_FRAME_READY, ?EPCAP_PROTOCOL_VERSION:16, 1:32, 1:32, 9, 0>>,
              <<?EPCAP_FRAME_EOF, 0>>, <<?EPCAP_FRAME_ERROR, 1>>]] ++
    [?_assertError({bad_frame, _}, epcap_codec:packets(R, 1, timestamp, 9))
     || R <- [<<1>>, <<0:64, 0:32, 5:32, 5:32, 1, 2>>]].

%% Every split of a PACKETS body at a record boundary decodes to the
%% same packets as the whole.
many_records_test() ->
    Recs = [<<S:64, F:32, (byte_size(P)):32, (byte_size(P) + 3):32, P/binary>>
            || {S, F, P} <- [{1700000000 + I, I * 1000, binary:copy(<<I>>, I)}
                             || I <- lists:seq(0, 200)]],
    All = epcap_codec:packets(iolist_to_binary(Recs), 1, nanosecond, 9),
    ?assertEqual(201, length(All)),
    [?assertEqual(All,
        epcap_codec:packets(iolist_to_binary(lists:sublist(Recs, N)), 1, nanosecond, 9) ++
        epcap_codec:packets(iolist_to_binary(lists:nthtail(N, Recs)), 1, nanosecond, 9))
     || N <- [0, 1, 50, 200, 201]].

%% A batch holds the same packets in every unit and precision, counted
%% without decoding; a bad body is refused before the owner sees it.
batch_test() ->
    Recs = iolist_to_binary(
        [<<S:64, F:32, (byte_size(P)):32, (byte_size(P) + 3):32, P/binary>>
         || {S, F, P} <- [{1700000000 + I, I * 1000 + 7, binary:copy(<<I>>, I)}
                          || I <- lists:seq(0, 99)]]),
    [begin
        B = epcap_codec:batch(Recs, 1, U, Prec),
        Want = epcap_codec:packets(Recs, 1, U, Prec),
        ?assertEqual(100, epcap_codec:batch_count(B)),
        ?assertEqual(Want, epcap_codec:batch_to_list(B)),
        ?assertEqual(Want, lists:reverse(
            epcap_codec:batch_fold(fun(M, A) -> [M | A] end, [], B)))
     end || U <- [timestamp, microsecond, nanosecond], Prec <- [6, 9]],
    ?assertEqual(0, epcap_codec:batch_count(epcap_codec:batch(<<>>, 1, timestamp, 9))),
    [?assertError({bad_frame, _}, epcap_codec:batch(R, 1, timestamp, 9))
     || R <- [<<1>>, <<0:64, 0:32, 5:32, 5:32, 1, 2>>]].

error_code_test() ->
    [?assertEqual(Atom, epcap_codec:error_code(N)) || {N, Atom} <- ?EPCAP_ERRORS],
    ?assertEqual({unknown, 9999}, epcap_codec:error_code(9999)).

exit_reason_test() ->
    ?assertEqual(normal, epcap_codec:exit_reason(0)),
    ?assertEqual(usage, epcap_codec:exit_reason(64)),
    ?assertEqual({signal, sigkill}, epcap_codec:exit_reason(137)),
    ?assertEqual({signal, sigsys}, epcap_codec:exit_reason(128 + 31)),
    ?assertEqual({status, 3}, epcap_codec:exit_reason(3)).

%% -L's answer, and a sandbox violation naming the call alone.
datalinks_test() ->
    ?assertEqual({datalinks, [{1, "EN10MB", "Ethernet"}]}, out(datalinks_en10mb)),
    ?assertEqual({error, sandbox_violation, true, "openat"},
                 out(error_sandbox_violation)).
