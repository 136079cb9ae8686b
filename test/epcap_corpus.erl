%% The capture files of epcap_corpus_SUITE, written byte by byte so any
%% field may hold any value, damage included. Also seeds for the capture
%% file fuzzer (test/fuzz/epcap_quality_helper.erl). Pure: no I/O.
-module(epcap_corpus).

-export([files/0, multi_linktype/0, pcapng_files/0, ng/2]).

%% @doc `[{Name, Precision, Contents}]': each kind of file that has gone
%% wrong before (issue 12), with the file's own precision.
-spec files() -> [{string(), micro | nano, binary()}].
files() ->
    Eth = eth_packets(),
    Good = [{1700000000 + I, I * 1000, L, D} || {I, {L, D}} <- lists:enumerate(Eth)],
    Micro = pcap(little, micro, 262144, 1, Good),
    [{"micro-le.pcap", micro, Micro},
     {"micro-be.pcap", micro, pcap(big, micro, 262144, 1, Good)},
     {"nano-le.pcap", nano, pcap(little, nano, 262144, 1, nano(Good))},
     {"nano-be.pcap", nano, pcap(big, nano, 65535, 1, nano(Good))},
     %% Damage.
     {"trunc-file-header.pcap", micro, binary:part(Micro, 0, 10)},
     {"trunc-record-header.pcap", micro,
      <<Micro/binary, (binary:part(rec(little, 1, 2, 60, 60, <<0:480>>), 0, 7))/binary>>},
     {"trunc-record-data.pcap", micro, binary:part(Micro, 0, byte_size(Micro) - 5)},
     {"bad-caplen.pcap", micro,
      <<Micro/binary, (rec(little, 1800000000, 0, 300000, 300000, <<>>))/binary,
        (rec(little, 1800000001, 0, 60, 60, <<0:480>>))/binary>>},
     {"caplen-over-snaplen.pcap", micro,
      pcap(little, micro, 100, 1, [{1700000000, 1, 200, rand:bytes(200)},
                                   {1700000001, 2, 60, rand:bytes(60)}])},
     %% Stamps: 2038, 2106, the epoch, fractions at and over a second.
     {"stamps-micro.pcap", micro, pcap(little, micro, 262144, 1, stamps(micro))},
     {"stamps-nano-be.pcap", nano, pcap(big, nano, 262144, 1, stamps(nano))},
     %% Link types: raw IP (LINKTYPE 101, DLT 12 here), Ethernet with the
     %% FCS bits libpcap keeps, Linux cooked, IPv4.
     {"rawip.pcap", micro, pcap(little, micro, 65535, 101, ip_packets(Good))},
     {"fcs.pcap", micro, pcap(little, micro, 65535, 16#30000001, Good)},
     {"sll.pcap", micro, pcap(big, micro, 65535, 113, Good)},
     {"ipv4.pcap", nano, pcap(little, nano, 65535, 228, nano(ip_packets(Good)))},
     %% D-Bus allows 128 MiB: a 300000-byte message passes whole on the
     %% shell path, and is cut at 262144 on the Erlang path.
     {"dbus-big.pcap", micro,
      pcap(little, micro, 128 * 1024 * 1024, 231,
           [{1700000000, 1, 300000, rand:bytes(300000)},
            {1700000001, 2, 100, rand:bytes(100)}])},
     %% 6 MiB: more than the port's output buffer, so the record is
     %% written on its own.
     {"dbus-huge.pcap", nano,
      pcap(big, nano, 128 * 1024 * 1024, 231,
           [{1700000000, 5, 6 * 1024 * 1024, rand:bytes(6 * 1024 * 1024)},
            {1700000001, 6, 100, rand:bytes(100)}])},
     %% pcapng.
     {"ng-micro.pcapng", micro, ng(little, [{idb, 1, 6} | epbs(0, micro, Good)])},
     {"ng-nano-be.pcapng", nano, ng(big, [{idb, 1, 9} | epbs(0, nano, nano(Good))])},
     {"ng-two-ifaces.pcapng", nano,
      ng(little, [{idb, 1, 9}, {idb, 1, 6} |
                  interleave(epbs(0, nano, nano(Good)), epbs(1, micro, Good))])},
     {"ng-sections.pcapng", micro,
      <<(ng(little, [{idb, 1, 6} | epbs(0, micro, Good)]))/binary,
        (ng(big, [{idb, 1, 6} | epbs(0, micro, Good)]))/binary>>},
     %% A second section of another link type.
     {"ng-sections-linktypes.pcapng", micro,
      <<(ng(little, [{idb, 1, 6} | epbs(0, micro, Good)]))/binary,
        (ng(little, [{idb, 101, 6} | epbs(0, micro, ip_packets(Good))]))/binary>>},
     %% if_tsoffset: a pcapng stamp after 2038 (seconds still in 32 bits,
     %% so the pcap output tcpdump writes can hold them).
     {"ng-tsoffset.pcapng", micro,
      ng(little, [{idb, 1, 6, 16#80000000} | epbs(0, micro, Good)])},
     %% if_tsresol 2^-20: binary fractions, finer than a microsecond.
     {"ng-binres.pcapng", nano, ng(big, [{idb, 1, 16#80 bor 20} | epbs(0, 1 bsl 20, Good)])},
     {"ng-trunc.pcapng", micro,
      begin B = ng(little, [{idb, 1, 6} | epbs(0, micro, Good)]),
            binary:part(B, 0, byte_size(B) - 9) end}].

%% @doc pcapng files that libpcap 1.10 reads only in part or not at all,
%% for the comparison with tshark: Simple and obsolete Packet Blocks,
%% custom, unknown and other blocks to skip, if_tsresol and if_tsoffset
%% variants, several sections in both byte orders with several link
%% types, interfaces with names, descriptions and filters.
-spec pcapng_files() -> [{string(), binary()}].
pcapng_files() ->
    Eth = eth_packets(),
    Good = [{1700000000 + I, I * 1000, L, D} || {I, {L, D}} <- lists:enumerate(Eth)],
    Ip = ip_packets(Good),
    [{"ng-spb.pcapng",
      ng(little, [{idb, 1, 100, 6, 0, []} |
                  [{spb, L, binary:part(D, 0, min(L, 100))} || {_, _, L, D} <- Good]])},
     {"ng-obsolete-pb.pcapng",
      ng(big, [{idb, 1, 0, 6, 0, []} |
               [{pb, 0, S * 1000000 + F, L, D} || {S, F, L, D} <- Good]])},
     {"ng-skipped-blocks.pcapng",
      ng(little, [{raw, 16#0BAD, <<32473:32/little, "custom, copied">>},
                  {idb, 1, 0, 6, 0, []},
                  {raw, 16#40000BAD, <<32473:32/little, "custom, not copied">>},
                  {raw, 4, <<1:16/little, 8:16/little, 10, 0, 0, 1, "lo", 0, 0,
                             0:32>>},
                  {raw, 16#12345678, <<"an unknown block">>},
                  {raw, 16#0000000A, <<16#544c534b:32/little, 0:32>>} |
                  interleave(epbs(0, micro, Good),
                             [{isb, 0, I, 0} || I <- lists:seq(1, 8)])])},
     {"ng-tsresol.pcapng",
      ng(big, [{idb, 1, 0, 3, 0, []},           % milliseconds
               {idb, 1, 0, 16#80 bor 10, 0, []}, % 2^-10
               {idb, 1, 0, 9, -3600, []},        % ns, an hour earlier
               {idb, 1, 0, 0, 5, []} |           % seconds, 5 s later
               interleave(
                 interleave(epbs(0, 1000, [{S, F div 1000, L, D} || {S, F, L, D} <- Good]),
                            epbs(1, 1024, [{S, F rem 1024, L, D} || {S, F, L, D} <- Good])),
                 interleave(epbs(2, nano, nano(Good)),
                            epbs(3, 1, [{S, 0, L, D} || {S, _, L, D} <- Good])))])},
     {"ng-sections-mixed.pcapng",
      <<(ng(big, [{idb, 101, 0, 6, 0, []}, {idb, 1, 0, 9, 0, []} |
                  interleave(epbs(0, micro, Ip), epbs(1, nano, nano(Good)))]))/binary,
        (ng(little, [{idb, 113, 0, 6, 0, []} | epbs(0, micro, Good)]))/binary,
        (ng(big, [{idb, 1, 0, 6, 0, []}, {idb, 101, 0, 6, 0, []} |
                  epbs(1, micro, Ip) ++ epbs(0, micro, Good)]))/binary>>},
     {"ng-if-options.pcapng",
      ng(little, [{idb, 1, 65535, 6, 0, [{2, <<"eth0">>}, {3, <<"uplink">>},
                                         {11, <<0, "tcp or udp">>}]},
                  {idb, 101, 65535, 9, 0, [{2, <<"tun0">>}]} |
                  interleave(epbs(0, micro, Good), epbs(1, nano, nano(Ip)))])}].

%% @doc pcapng with a second link type after some packets, kept apart:
%% libpcap cannot read it whole.
-spec multi_linktype() -> binary().
multi_linktype() ->
    Good = [{1700000000 + I, I, L, D} || {I, {L, D}} <- lists:enumerate(eth_packets())],
    ng(little, [{idb, 1, 6} | epbs(0, micro, Good)] ++
               [{idb, 101, 6} | epbs(1, micro, ip_packets(Good))] ++
               epbs(0, micro, Good)).

eth_packets() ->
    [{L, rand:bytes(L)} || L <- [60, 64, 98, 342, 1514, 1514, 60, 77]].

ip_packets(Ps) ->
    [{S, F, L, <<16#45, 0:8, L:16, D2/binary>>}
     || {S, F, L, D} <- Ps, <<_:4/binary, D2/binary>> <- [D]].

nano(Ps) ->
    [{S, F * 1000 + 7, L, D} || {S, F, L, D} <- Ps].

stamps(Prec) ->
    Unit = case Prec of micro -> 1000000; nano -> 1000000000 end,
    Secs = [0, 1, 16#7FFFFFFF, 16#80000000, 16#80000001, 2208988800,
            16#FFFFFFFE, 16#FFFFFFFF],
    %% The fraction stays below 2^31 even scaled by 1000: libpcap 1.10
    %% handles it as a signed 32-bit value.
    Fracs = [0, Unit - 1, Unit, Unit + Unit div 2],
    [{S, F, 60, rand:bytes(60)} || S <- Secs, F <- Fracs,
                                                   F * 1000 < 16#80000000].

interleave([A | As], [B | Bs]) -> [A, B | interleave(As, Bs)];
interleave(As, []) -> As;
interleave([], Bs) -> Bs.

%%--------------------------------------------------------------------
%% Writing files byte by byte (any field value, damage included)

u32(little, V) -> <<V:32/little>>;
u32(big, V) -> <<V:32/big>>.

u16(little, V) -> <<V:16/little>>;
u16(big, V) -> <<V:16/big>>.

pcap(E, Prec, Snap, LinkType, Packets) ->
    Magic = case Prec of micro -> 16#a1b2c3d4; nano -> 16#a1b23c4d end,
    iolist_to_binary(
      [u32(E, Magic), u16(E, 2), u16(E, 4), u32(E, 0), u32(E, 0),
       u32(E, Snap), u32(E, LinkType) |
       [rec(E, S, F, byte_size(D), L, D) || {S, F, L, D} <- Packets]]).

rec(E, S, F, Cap, Len, Data) ->
    iolist_to_binary([u32(E, S), u32(E, F), u32(E, Cap), u32(E, Len), Data]).

%% @doc A pcapng section in byte order `E': its header, then `Blocks'
%% (ng_block/2's terms: `{idb, ...}', `{epb, If, Ts, Len, Data}',
%% `{spb, Len, Data}', `{pb, ...}', `{isb, ...}', `{raw, Type, Body}').
-spec ng(little | big, [tuple()]) -> binary().
ng(E, Blocks) ->
    iolist_to_binary([block(E, 16#0a0d0d0a,
                            [u32(E, 16#1a2b3c4d), u16(E, 1), u16(E, 0),
                             <<-1:64>>])
                      | [ng_block(E, B) || B <- Blocks]]).

ng_block(E, {idb, LinkType, Resol}) ->
    block(E, 1, [u16(E, LinkType), u16(E, 0), u32(E, 262144),
                 u16(E, 9), u16(E, 1), <<Resol, 0, 0, 0>>, u16(E, 0), u16(E, 0)]);
ng_block(E, {idb, LinkType, Resol, Offset}) ->
    Off = case E of little -> <<Offset:64/little>>; big -> <<Offset:64/big>> end,
    block(E, 1, [u16(E, LinkType), u16(E, 0), u32(E, 262144),
                 u16(E, 9), u16(E, 1), <<Resol, 0, 0, 0>>,
                 u16(E, 14), u16(E, 8), Off, u16(E, 0), u16(E, 0)]);
ng_block(E, {idb, LinkType, Snap, Resol, Offset, Opts}) ->
    Off = case E of little -> <<Offset:64/little-signed>>; big -> <<Offset:64/big-signed>> end,
    block(E, 1, [u16(E, LinkType), u16(E, 0), u32(E, Snap),
                 opt(E, 9, <<Resol>>), opt(E, 14, Off),
                 [opt(E, C, V) || {C, V} <- Opts], u16(E, 0), u16(E, 0)]);
ng_block(E, {spb, Len, Data}) ->
    block(E, 3, [u32(E, Len), pad(Data)]);
ng_block(E, {pb, If, Ts, Len, Data}) ->
    block(E, 2, [u16(E, If), u16(E, 0), u32(E, Ts bsr 32),
                 u32(E, Ts band 16#FFFFFFFF), u32(E, byte_size(Data)),
                 u32(E, Len), pad(Data)]);
ng_block(E, {isb, If, Recv, Drop}) ->
    block(E, 5, [u32(E, If), u32(E, 0), u32(E, 0),
                 opt(E, 4, u64(E, Recv)), opt(E, 5, u64(E, Drop)),
                 u16(E, 0), u16(E, 0)]);
ng_block(E, {raw, Type, Body}) ->
    block(E, Type, [pad(Body)]);
ng_block(E, {epb, If, Ts, Len, Data}) ->
    Pad = (4 - byte_size(Data) rem 4) rem 4,
    block(E, 6, [u32(E, If), u32(E, Ts bsr 32), u32(E, Ts band 16#FFFFFFFF),
                 u32(E, byte_size(Data)), u32(E, Len), Data, <<0:(Pad * 8)>>]).

opt(E, Code, V) ->
    [u16(E, Code), u16(E, byte_size(V)), pad(V)].

pad(B) ->
    <<B/binary, 0:(((4 - byte_size(B) rem 4) rem 4) * 8)>>.

u64(little, V) -> <<V:64/little>>;
u64(big, V) -> <<V:64/big>>.

block(E, Type, Body) ->
    B = iolist_to_binary(Body),
    Len = byte_size(B) + 12,
    [u32(E, Type), u32(E, Len), B, u32(E, Len)].

epbs(If, Prec, Packets) ->
    Unit = case Prec of micro -> 1000000; nano -> 1000000000; N -> N end,
    [{epb, If, S * Unit + F, L, D} || {S, F, L, D} <- Packets].
