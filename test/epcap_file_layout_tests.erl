%% EUnit tests of epcap_file_layout, the pure state of a file being
%% written: the bytes each step returns, from literal inputs, and what a
%% refused write leaves behind (nothing, pcap header included).
-module(epcap_file_layout_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ETH, <<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16#88, 16#B5>>).
-define(PCAP_HEADER(DLT), <<16#A1B2C3D4:32/little, 2:16/little, 4:16/little, 0:64,
                            65535:32/little, DLT:32/little>>).

pcap(DLT) ->
    epcap_file_layout:new(#{format => pcap, endian => little, resolution => micro,
                            snaplen => 65535, dlt => DLT}).

pcapng() ->
    epcap_file_layout:new(#{format => pcapng, endian => little, resolution => micro,
                            snaplen => 0, dlt => undefined}).

packet(L, DLT) ->
    epcap_file_layout:packet(L, DLT, {1700000000, 1000}, {1700000000, 1000}, 60,
                             ?ETH, {#{}, #{}}).

pcap_header_waits_for_the_first_packet_test() ->
    L0 = pcap(undefined),
    {L0, []} = epcap_file_layout:start(L0, #{}),
    {L1, Bytes} = packet(L0, 1),
    ?assertEqual(<<?PCAP_HEADER(1)/binary,
                   1700000000:32/little, 1:32/little, 14:32/little, 60:32/little,
                   ?ETH/binary>>, iolist_to_binary(Bytes)),
    %% Out once: the next packet is its record alone; another link type
    %% is refused.
    {_, Next} = packet(L1, 1),
    ?assertEqual(16 + 14, iolist_size(Next)),
    ?assertThrow({error, {datalink, 12, 1}}, packet(L1, 12)),
    ?assertEqual(#{}, maps:get(interfaces, epcap_file_layout:info(L1))).

pcap_header_at_close_when_nothing_was_written_test() ->
    ?assertEqual(?PCAP_HEADER(1),
                 iolist_to_binary(epcap_file_layout:close(pcap(undefined), #{}, microsecond))),
    {L, _} = epcap_file_layout:start(pcap(101), #{}),
    ?assertEqual(<<>>, iolist_to_binary(epcap_file_layout:close(L, [], microsecond))),
    ?assertThrow({error, {pcapng_only, statistics}},
                 epcap_file_layout:close(L, #{0 => #{}}, microsecond)).

pcapng_interface_made_for_a_new_link_type_test() ->
    L0 = pcapng(),
    ?assertThrow({error, {pcapng_only, interfaces}},
                 epcap_file_layout:add_interface(pcap(1), [])),
    {L1, B1} = packet(L0, 1),
    {L2, B2} = packet(L1, 1),
    {L3, _} = packet(L2, 12),
    %% An IDB (20 bytes with no options) before the first EPB of a link type.
    ?assertEqual(iolist_size(B2) + 20, iolist_size(B1)),
    ?assertMatch(#{0 := #{dlt := 1}, 1 := #{dlt := 12}},
                 maps:get(interfaces, epcap_file_layout:info(L3))).

resume_test() ->
    Ifs = [#{dlt => 1, snaplen => 0, resolution => nano, tsoffset => 0},
           #{dlt => 12, snaplen => 0, resolution => micro, tsoffset => 0}],
    L = epcap_file_layout:resume(pcap(undefined), #{format => pcapng, endian => big,
                                                    interfaces => Ifs}),
    ?assertMatch(#{format := pcapng, endian := big, interfaces := #{1 := #{dlt := 12}}},
                 epcap_file_layout:info(L)),
    {_, B} = packet(L, 12),
    ?assertMatch(<<6:32/big, _:32, 1:32/big, _/binary>>, iolist_to_binary(B)).

%% A write refused at its second item leaves nothing in the file, not
%% even the pcap header the first item would have brought.
refused_write_writes_no_header_test() ->
    F = filename:join(os:getenv("TMPDIR", "/tmp"),
                      "epcap_file_layout_tests_" ++ os:getpid() ++ ".pcap"),
    P = {packet, 1, {1700, 0, 1}, 60, ?ETH},
    {ok, W} = epcap_file:open(F, [{endian, little}, {snaplen, 65535}]),
    ?assertEqual({error, {badarg, {item, bad}}}, epcap_file:write(W, [P, bad])),
    {ok, W1} = epcap_file:write(W, P),
    ok = epcap_file:close(W1),
    {ok, Bytes} = file:read_file(F),
    ok = file:delete(F),
    ?assertEqual(<<?PCAP_HEADER(1)/binary,
                   1700000000:32/little, 1:32/little, 14:32/little, 60:32/little,
                   ?ETH/binary>>, Bytes).
