%% EUnit tests of epcap_file: whole files compared with literal bytes,
%% appending, batches and every error the API documents. Reading the
%% files back with tshark, tcpdump and epcap is epcap_writer_SUITE's job.
-module(epcap_file_tests).

-include_lib("eunit/include/eunit.hrl").

%% 2023-11-14 22:13:20.000001 UTC.
-define(T, {1700, 0, 1}).
-define(US, 1700000000000001).
-define(ETH, <<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16#88, 16#B5>>).

tmp(Name) ->
    Dir = filename:join(os:getenv("TMPDIR", "/tmp"),
                        "epcap_file_tests_" ++ os:getpid()),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    F = filename:join(Dir, Name),
    _ = file:delete(F),
    F.

read(F) ->
    {ok, B} = file:read_file(F),
    B.

%% ---- whole files ----

pcap_file_test() ->
    F = tmp("a.pcap"),
    ok = epcap_file:write_file(F, [{packet, 1, ?T, 60, ?ETH}],
                               [{endian, little}, {snaplen, 65535}]),
    ?assertEqual(<<16#A1B2C3D4:32/little, 2:16/little, 4:16/little, 0:64,
                   65535:32/little, 1:32/little,
                   1700000000:32/little, 1:32/little, 14:32/little, 60:32/little,
                   ?ETH/binary>>, read(F)).

pcap_nano_big_raw_ip_test() ->
    %% Raw IP is DLT 12 for epcap and LINKTYPE 101 in the file; an integer
    %% time is in the time_unit given.
    F = tmp("b.pcap"),
    ok = epcap_file:write_file(F, [{packet, 12, 1700000000123456789, 20, <<"ip">>}],
                               [{endian, big}, {time_unit, nanosecond}]),
    ?assertEqual(<<16#A1B23C4D:32, 2:16, 4:16, 0:64, 262144:32, 101:32,
                   1700000000:32, 123456789:32, 2:32, 20:32, "ip">>, read(F)).

pcap_empty_file_has_header_test() ->
    F = tmp("empty.pcap"),
    {ok, W} = epcap_file:open(F, []),
    ok = epcap_file:close(W),
    ?assertMatch(<<_:20/binary, 1:32/native>>, read(F)).

pcap_snaplen_cuts_test() ->
    F = tmp("snap.pcap"),
    ok = epcap_file:write_file(F, [{packet, 1, ?T, 100, ?ETH}], [{snaplen, 4}]),
    {ok, #{packets := [{1700000000, 1, 100, <<1, 2, 3, 4>>}]}} =
        epcap_samplegen:read(F).

pcapng_file_test() ->
    F = tmp("a.pcapng"),
    ok = epcap_file:write_file(
           F, [{{packet, 1, ?T, 60, ?ETH}, #{comment => "hi"}}],
           [{endian, little}, {os, "OS"}, {application, "app"}]),
    Want = <<16#0A0D0D0A:32/little, 48:32/little, 16#1A2B3C4D:32/little,
             1:16/little, 0:16, -1:64,
             3:16/little, 2:16/little, "OS", 0, 0,
             4:16/little, 3:16/little, "app", 0,
             0:32, 48:32/little,
             %% The interface, added for the packet's link type.
             1:32/little, 20:32/little, 1:16/little, 0:16, 262144:32/little,
             20:32/little,
             6:32/little, 60:32/little, 0:32,
             (?US bsr 32):32/little, (?US band 16#FFFFFFFF):32/little,
             14:32/little, 60:32/little,
             ?ETH/binary, 0, 0,
             1:16/little, 2:16/little, "hi", 0, 0, 0:32,
             60:32/little>>,
    ?assertEqual(Want, read(F)).

pcapng_high_time_word_test() ->
    F = tmp("hi.pcapng"),
    ok = epcap_file:write_file(F, [{packet, 1, ?T, 14, ?ETH}], [{endian, big}]),
    %% 1700000000000001 is 16#00060A24_181E4001.
    ?assertMatch({_, _}, binary:match(read(F), <<16#00060A24:32, 16#181E4001:32>>)).

pcapng_interfaces_test() ->
    F = tmp("ifs.pcapng"),
    {ok, W0} = epcap_file:open(F, [{interfaces, [#{dlt => 1, name => "eth0"},
                                                 [{dlt, 1}, {resolution, nano}]]}]),
    ?assertMatch(#{interfaces := #{0 := #{dlt := 1, resolution := micro},
                                   1 := #{dlt := 1, resolution := nano}}},
                 epcap_file:info(W0)),
    %% From epcap:info/1 as it is.
    Info = #{datalink => 12, snaplen => 96, precision => 9, name => <<"tun0">>,
             version => 3, source => live, start => root, uid => 0, gid => 0,
             chroot => true, inject => false, os_pid => 1},
    {ok, 2, W1} = epcap_file:add_interface(W0, Info),
    ?assertMatch(#{interfaces := #{2 := #{dlt := 12, snaplen := 96,
                                          resolution := nano}}},
                 epcap_file:info(W1)),
    {ok, W2} = epcap_file:write(W1, [{packet, 1, ?T, 14, ?ETH},
                                     {{packet, 1, ?T, 14, ?ETH}, [{interface, 1}]},
                                     {packet, 12, ?T, 2, <<"ip">>},
                                     {packet, 113, ?T, 2, <<"ll">>}]),
    %% A new link type makes a new interface.
    ?assertMatch(#{interfaces := #{3 := #{dlt := 113}}}, epcap_file:info(W2)),
    ?assertEqual({error, {datalink, 12, 1}},
                 epcap_file:write(W2, {{packet, 12, ?T, 2, <<"ip">>}, #{interface => 0}})),
    ?assertEqual({error, {badarg, {interface, 9}}},
                 epcap_file:write(W2, <<>>, #{interface => 9})),
    ok = epcap_file:close(W2, [{0, #{received => 5}}, {3, #{ifrecv => 1}}]).

%% ---- batches and binaries ----

batch(Records, DLT, Unit, Prec) ->
    epcap_codec:batch(iolist_to_binary(
                        [<<S:64, Fr:32, (byte_size(P)):32, L:32, P/binary>>
                         || {S, Fr, L, P} <- Records]), DLT, Unit, Prec).

batch_test() ->
    F = tmp("batch.pcap"),
    %% A nanosecond batch into a microsecond file; and the message form.
    B = batch([{1700000000, 999999999, 60, ?ETH}, {1700000001, 5000, 14, ?ETH}],
              1, timestamp, 9),
    ok = epcap_file:write_file(F, [B, {epcap_batch, make_ref(), B}], []),
    {ok, #{precision := micro, packets := Ps}} = epcap_samplegen:read(F),
    ?assertEqual([{1700000000, 999999, 60, ?ETH}, {1700000001, 5, 14, ?ETH}],
                 lists:usort(Ps)),
    ?assertEqual(4, length(Ps)).

batch_micro_precision_test() ->
    F = tmp("batch6.pcap"),
    B = batch([{1700000000, 123456, 14, ?ETH}], 1, nanosecond, 6),
    ok = epcap_file:write_file(F, B, [{resolution, nano}]),
    {ok, #{packets := [{1700000000, 123456000, 14, ?ETH}]}} = epcap_samplegen:read(F).

binary_test() ->
    F = tmp("bin.pcap"),
    Before = os:system_time(microsecond),
    ok = epcap_file:write_file(F, [<<"now">>, {<<"then">>, #{time => 7, len => 9}}], []),
    After = os:system_time(microsecond),
    {ok, #{linktype := 1, packets := [{S, U, 3, <<"now">>}, {0, 7, 9, <<"then">>}]}} =
        epcap_samplegen:read(F),
    ?assert(S * 1000000 + U >= Before - 1 andalso S * 1000000 + U =< After).

%% ---- appending ----

append_pcap_test() ->
    F = tmp("app.pcap"),
    ok = epcap_file:write_file(F, [{packet, 12, ?T, 2, <<"ip">>}],
                               [{endian, big}, {resolution, nano}]),
    {ok, W} = epcap_file:open(F, [{mode, append}]),
    ?assertMatch(#{format := pcap, endian := big, dlt := 12}, epcap_file:info(W)),
    {ok, W1} = epcap_file:write(W, {packet, 12, {1700, 0, 2}, 3, <<"ip2">>}),
    ok = epcap_file:close(W1),
    {ok, #{linktype := 101, precision := nano, packets := Ps}} = epcap_samplegen:read(F),
    ?assertEqual([{1700000000, 1000, 2, <<"ip">>}, {1700000000, 2000, 3, <<"ip2">>}], Ps),
    ?assertEqual({error, {datalink, 1, 12}},
                 epcap_file:open(F, [{mode, append}, {dlt, 1}])),
    ?assertEqual({error, {file, F, {format, pcap}}},
                 epcap_file:open(F, [{mode, append}, {format, pcapng}])).

append_missing_file_makes_it_test() ->
    F = tmp("new.pcapng"),
    {ok, W} = epcap_file:open(F, [{mode, append}]),
    ok = epcap_file:close(W),
    ?assertMatch(<<16#0A0D0D0A:32, _/binary>>, read(F)).

append_pcapng_test() ->
    F = tmp("app.pcapng"),
    ok = epcap_file:write_file(F, [{packet, 113, ?T, 2, <<"ll">>}],
                               [{endian, big},
                                {interfaces, [#{dlt => 1}, #{dlt => 113, resolution => nano}]}]),
    Before = read(F),
    {ok, W} = epcap_file:open(F, [{mode, append}]),
    ?assertMatch(#{format := pcapng, endian := big,
                   interfaces := #{0 := #{dlt := 1}, 1 := #{dlt := 113, resolution := nano}}},
                 epcap_file:info(W)),
    {ok, W1} = epcap_file:write(W, {packet, 113, {1700, 0, 2}, 3, <<"ll2">>}),
    ok = epcap_file:close(W1),
    After = read(F),
    %% Nothing before is touched; one EPB on interface 1, in nanoseconds.
    T = 1700000000000002000,
    ?assertEqual(<<Before/binary, 6:32, 36:32, 1:32, (T bsr 32):32,
                   (T band 16#FFFFFFFF):32, 3:32, 3:32, "ll2", 0, 36:32>>, After).

append_refuses_damaged_files_test() ->
    F = tmp("bad.pcap"),
    ok = epcap_file:write_file(F, [{packet, 1, ?T, 14, ?ETH}], []),
    Good = read(F),
    ok = file:write_file(F, binary_part(Good, 0, byte_size(Good) - 1)),
    ?assertEqual({error, {file, F, {truncated, 24}}}, epcap_file:open(F, [{mode, append}])),
    ok = file:write_file(F, <<"not a capture file at all">>),
    ?assertEqual({error, {file, F, not_a_capture_file}}, epcap_file:open(F, [{mode, append}])),
    G = tmp("bad.pcapng"),
    ok = epcap_file:write_file(G, [{packet, 1, ?T, 14, ?ETH}], []),
    NG = read(G),
    ok = file:write_file(G, <<NG/binary, 6:32/native, 64:32/native>>),
    ?assertMatch({error, {file, G, {truncated, _}}}, epcap_file:open(G, [{mode, append}])),
    %% The file is left as it was.
    ?assertEqual(<<NG/binary, 6:32/native, 64:32/native>>, read(G)).

%% ---- errors ----

errors_test() ->
    Missing = filename:join(tmp("nodir"), "x.pcap"),
    ?assertEqual({error, {file, Missing, enoent}}, epcap_file:open(Missing, [])),
    F = tmp("err.pcap"),
    ?assertEqual({error, {badarg, {format, pcapx}}}, epcap_file:open(F, [{format, pcapx}])),
    ?assertEqual({error, {badarg, {colour, red}}}, epcap_file:open(F, [{colour, red}])),
    ?assertEqual({error, {pcapng_only, comment}}, epcap_file:open(F, [{comment, "c"}])),
    %% Refused before the file is made.
    ?assertNot(filelib:is_file(F)),
    {ok, W} = epcap_file:open(F, [{dlt, 1}]),
    ?assertEqual({error, {pcapng_only, interfaces}}, epcap_file:add_interface(W, [])),
    ?assertEqual({error, {pcapng_only, comment}},
                 epcap_file:write(W, {<<"x">>, [{comment, "c"}]})),
    ?assertEqual({error, {datalink, 12, 1}}, epcap_file:write(W, {packet, 12, ?T, 1, <<"x">>})),
    ?assertEqual({error, {badarg, {len, 1}}}, epcap_file:write(W, {packet, 1, ?T, 1, <<"xy">>})),
    ?assertEqual({error, {badarg, {time, -1}}}, epcap_file:write(W, {<<"x">>, #{time => -1}})),
    ?assertEqual({error, {badarg, {time, (1 bsl 32) * 1000000}}},
                 epcap_file:write(W, {<<"x">>, #{time => (1 bsl 32) * 1000000}})),
    ?assertEqual({error, {badarg, {item, foo}}}, epcap_file:write(W, [<<"ok">>, foo])),
    ?assertEqual({error, {pcapng_only, statistics}}, epcap_file:close(W, #{0 => #{}})),
    Self = self(),
    spawn(fun() -> Self ! {other, epcap_file:write(W, <<"x">>), epcap_file:close(W)} end),
    receive {other, Write, Close} ->
        ?assertEqual({error, not_owner}, Write),
        ?assertEqual({error, not_owner}, Close)
    end,
    ok = epcap_file:close(W),
    %% The refused writes wrote nothing: the header and no record.
    ?assertEqual(24, byte_size(read(F))).

pcapng_errors_test() ->
    F = tmp("err.pcapng"),
    {ok, W} = epcap_file:open(F, []),
    ?assertEqual({error, {badarg, {flags, -1}}}, epcap_file:write(W, <<>>, [{flags, -1}])),
    ?assertEqual({error, {badarg, {statistics, 4, #{}}}}, epcap_file:close(W, #{4 => #{}})),
    ?assertEqual({error, {badarg, {dlt, 70000}}}, epcap_file:add_interface(W, [{dlt, 70000}])),
    ok = epcap_file:close(W).
