%% EUnit tests of epcap_pcap_enc from literal binaries: each expected
%% value is written out byte by byte from pcap-savefile(5) and the pcapng
%% draft, not computed with the encoder's own helpers.
-module(epcap_pcap_enc_tests).

-include_lib("eunit/include/eunit.hrl").

-define(b(IoData), iolist_to_binary(IoData)).

%% ---- pcap ----

pcap_header_micro_little_test() ->
    ?assertEqual(<<16#D4, 16#C3, 16#B2, 16#A1, 2, 0, 4, 0, 0:32, 0:32,
                   16#00, 16#00, 16#04, 16#00, 1, 0, 0, 0>>,
                 epcap_pcap_enc:pcap_header(#{endian => little, resolution => micro,
                                              snaplen => 262144, linktype => 1})).

pcap_header_nano_big_test() ->
    ?assertEqual(<<16#A1, 16#B2, 16#3C, 16#4D, 0, 2, 0, 4, 0:32, 0:32,
                   0, 0, 16#FF, 16#FF, 0, 0, 0, 101>>,
                 epcap_pcap_enc:pcap_header(#{endian => big, resolution => nano,
                                              snaplen => 65535, linktype => 101})).

pcap_header_keeps_fcs_bits_test() ->
    %% LINKTYPE_ETHERNET with the FCS-length bits (4 bytes of FCS).
    <<_:20/binary, LT:32/little>> =
        epcap_pcap_enc:pcap_header(#{endian => little, resolution => micro,
                                     snaplen => 65535, linktype => 16#90000001}),
    ?assertEqual(16#90000001, LT).

pcap_record_micro_test() ->
    %% 1700000000.123456 s, 3 of 60 bytes captured.
    ?assertEqual(<<0, 16#F1, 16#53, 16#65, 16#40, 16#E2, 16#01, 0,
                   3, 0, 0, 0, 60, 0, 0, 0, "abc">>,
                 ?b(epcap_pcap_enc:pcap_record(little, micro, 1700000000123456, 60,
                                               <<"abc">>))).

pcap_record_nano_big_test() ->
    ?assertEqual(<<16#65, 16#53, 16#F1, 0, 16#07, 16#5B, 16#CD, 16#15,
                   0, 0, 0, 0, 0, 0, 0, 0>>,
                 ?b(epcap_pcap_enc:pcap_record(big, nano, 1700000000123456789, 0,
                                               <<>>))).

pcap_record_iodata_test() ->
    ?assertEqual(<<0:32, 1, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, "abcd">>,
                 ?b(epcap_pcap_enc:pcap_record(little, micro, 1, 4, ["ab", <<"cd">>]))).

pcap_record_after_2106_test() ->
    ?assertError(badarg, epcap_pcap_enc:pcap_record(little, micro, (1 bsl 32) * 1000000,
                                                    0, <<>>)).

%% ---- pcapng ----

shb_bare_test() ->
    ?assertEqual(<<16#0A, 16#0D, 16#0D, 16#0A, 28, 0, 0, 0,
                   16#4D, 16#3C, 16#2B, 16#1A, 1, 0, 0, 0,
                   16#FF, 16#FF, 16#FF, 16#FF, 16#FF, 16#FF, 16#FF, 16#FF,
                   28, 0, 0, 0>>,
                 ?b(epcap_pcap_enc:shb(little, #{}))).

shb_options_big_test() ->
    Want = <<16#0A0D0D0A:32, 64:32,
             16#1A2B3C4D:32, 1:16, 0:16, -1:64,
             1:16, 2:16, "hi", 0, 0,             % opt_comment, padded
             3:16, 5:16, "Linux", 0, 0, 0,       % shb_os
             4:16, 8:16, "epcap 2.", % shb_userappl, no padding
             0:32,                                % opt_endofopt
             64:32>>,
    ?assertEqual(Want, ?b(epcap_pcap_enc:shb(big, #{comment => "hi", os => <<"Linux">>,
                                                    application => "epcap 2."}))).

idb_micro_bare_test() ->
    %% No options at all: not even opt_endofopt.
    ?assertEqual(<<1:32/little, 20:32/little, 1:16/little, 0:16,
                   262144:32/little, 20:32/little>>,
                 ?b(epcap_pcap_enc:idb(little, #{linktype => 1, snaplen => 262144,
                                                  resolution => micro}))).

idb_options_test() ->
    Want = <<1:32/little, 72:32/little,
             101:16/little, 0:16, 0:32/little,
             2:16/little, 2:16/little, "lo", 0, 0,           % if_name
             3:16/little, 4:16/little, "loop",               % if_description
             9:16/little, 1:16/little, 9, 0, 0, 0,           % if_tsresol 10^-9
             11:16/little, 5:16/little, 0, "icmp", 0, 0, 0,  % if_filter, string
             14:16/little, 8:16/little, -2:64/little,        % if_tsoffset
             0:32,
             72:32/little>>,
    ?assertEqual(Want, ?b(epcap_pcap_enc:idb(little,
                                             #{linktype => 101, snaplen => 0,
                                               resolution => nano, name => "lo",
                                               description => <<"loop">>,
                                               filter => "icmp", tsoffset => -2}))).

idb_binary_resolution_test() ->
    <<_:16/binary, 9:16/little, 1:16/little, R, _/binary>> =
        ?b(epcap_pcap_enc:idb(little, #{linktype => 1, snaplen => 0,
                                        resolution => {binary, 20}})),
    ?assertEqual(16#80 bor 20, R).

epb_test() ->
    %% Interface 2, 1700000000.123456789 in nanoseconds, 5 of 1514 bytes.
    T = 1700000000123456789,
    Want = <<6:32/little, 40:32/little, 2:32/little,
             (T bsr 32):32/little, (T band 16#FFFFFFFF):32/little,
             5:32/little, 1514:32/little, "hello", 0, 0, 0,
             40:32/little>>,
    ?assertEqual(Want, ?b(epcap_pcap_enc:epb(little, 2, T, 1514, <<"hello">>, #{}))),
    %% The high word of that time stamp, computed by hand.
    ?assertEqual(16#17979CFE, T bsr 32).

epb_options_test() ->
    Want = <<6:32, 72:32, 0:32, 0:32, 7:32, 0:32, 0:32,
             1:16, 3:16, "one", 0,                  % opt_comment
             1:16, 3:16, "two", 0,                  % a second one
             2:16, 4:16, 1:32,                      % epb_flags: inbound
             4:16, 8:16, 9:64,                      % epb_dropcount
             0:32,
             72:32>>,
    ?assertEqual(Want, ?b(epcap_pcap_enc:epb(big, 0, 7, 0, <<>>,
                                             #{comment => [<<"one">>, "two"],
                                               flags => 1, dropcount => 9,
                                               interface => 3}))).

epb_unicode_comment_test() ->
    <<_:28/binary, 1:16/little, 2:16/little, 16#C3, 16#A9, 0, 0, _/binary>> =
        ?b(epcap_pcap_enc:epb(little, 0, 0, 0, <<>>, #{comment => [233]})).

isb_test() ->
    Want = <<5:32/little, 64:32/little, 1:32/little, 0:32, 10:32/little,
             4:16/little, 8:16/little, 100:64/little,   % isb_ifrecv
             5:16/little, 8:16/little, 2:64/little,     % isb_ifdrop
             7:16/little, 8:16/little, 3:64/little,     % isb_osdrop
             0:32,
             64:32/little>>,
    %% epcap's names; keys it does not know (held) are ignored.
    ?assertEqual(Want, ?b(epcap_pcap_enc:isb(little, 1, 10,
                                             #{received => 100, ifdropped => 2,
                                               dropped => 3, held => 7}))).

isb_pcapng_names_win_test() ->
    <<_:20/binary, 4:16/little, 8:16/little, V:64/little, _/binary>> =
        ?b(epcap_pcap_enc:isb(little, 0, 0, #{ifrecv => 5, received => 6})),
    ?assertEqual(5, V).

%% ---- time and link types ----

units_test() ->
    ?assertEqual(1700000000123456, epcap_pcap_enc:units(1700000000123456789, micro)),
    ?assertEqual(1700000000123456789, epcap_pcap_enc:units(1700000000123456789, nano)),
    ?assertEqual(1700000000123, epcap_pcap_enc:units(1700000000123456789, {decimal, 3})),
    ?assertEqual(3 * 1024 + 512, epcap_pcap_enc:units(3500000000, {binary, 10})),
    ?assertEqual({1700000000, 123456}, epcap_pcap_enc:split_units(1700000000123456, micro)).

linktype_test() ->
    ?assertEqual(101, epcap_pcap_enc:dlt_to_linktype(12)),
    ?assertEqual(12, epcap_pcap_enc:linktype_to_dlt(101)),
    ?assertEqual(1, epcap_pcap_enc:dlt_to_linktype(1)),
    ?assertEqual(113, epcap_pcap_enc:linktype_to_dlt(113)),
    [?assertEqual(D, epcap_pcap_enc:linktype_to_dlt(epcap_pcap_enc:dlt_to_linktype(D)))
     || D <- lists:seq(0, 300) -- [100, 101, 102, 103, 106]].
