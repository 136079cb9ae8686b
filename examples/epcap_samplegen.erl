%%% @doc Writer and reader of capture files, in pure Erlang.
%%%
%%% This module exists so that `make run', the test suites and the
%%% benchmark can produce capture files without root, without a network
%%% and without any tool other than Erlang/OTP. It writes:
%%%
%%% <ul>
%%% <li>classic pcap: a 24-byte global header (magic `16#a1b2c3d4' for
%%%     microsecond or `16#a1b23c4d' for nanosecond timestamps, version 2.4)
%%%     followed by a 16-byte record header and the data for each packet;</li>
%%% <li>pcapng: one Section Header Block, one Interface Description Block
%%%     and one Enhanced Packet Block per packet. A nanosecond file carries
%%%     an `if_tsresol' option of 9; a microsecond file carries none, so the
%%%     pcapng default of 10^-6 applies.</li>
%%% </ul>
%%%
%%% Every field, including the magic numbers, is written in the byte order
%%% asked for, which is how a capture taken on a machine of that byte order
%%% looks. A packet is `{Sec, Frac, OrigLen, Data}': `Frac' is in the unit
%%% of the file's precision (microseconds or nanoseconds), the captured
%%% length is `byte_size(Data)' and `OrigLen' is the length on the wire.
%%%
%%% {@link read/1} reads both formats back in either byte order, which is
%%% enough to check what {@link write/3} wrote and to parse the output of
%%% `tcpdump -w'.
%%%
%%% {@link sample_packets/0} is a fixed set of realistic frames (correct
%%% IPv4, TCP, UDP, ICMP and ICMPv6 checksums, documentation addresses,
%%% locally administered MACs) and {@link write_synthetic/4} streams any
%%% number of identical-shaped frames to disk for the benchmark.
%%%
%%% From a shell:
%%% ```
%%% erl -noshell -pa examples -s epcap_samplegen cli sample /tmp/s.pcap -s init stop
%%% erl -noshell -pa examples -s epcap_samplegen cli sample /tmp/s.pcapng pcapng nano big -s init stop
%%% erl -noshell -pa examples -s epcap_samplegen cli synthetic /tmp/b.pcap 1000000 60 -s init stop
%%% '''
-module(epcap_samplegen).

-export([write/3, read/1, parse/1]).
-export([sample_packets/0, sample_packets/1]).
-export([synthetic/2, write_synthetic/4]).
-export([cli/1, main/1]).

-export_type([packet/0, write_opts/0, capture/0, frame_size/0]).

-type packet() :: {Sec :: non_neg_integer(), Frac :: non_neg_integer(),
                   OrigLen :: non_neg_integer(), Data :: binary()}.
%% `Frac' is in microseconds or nanoseconds, following the file's precision.

-type write_opts() :: #{format => pcap | pcapng,
                        precision => micro | nano,
                        endian => little | big,
                        linktype => 0..16#FFFF,
                        snaplen => 1..16#FFFFFFFF}.

-type frame_size() :: 42..65549.
%% Ethernet, IPv4 and UDP headers at least; an IPv4 datagram at most.

-type capture() :: #{linktype := non_neg_integer(),
                     precision := micro | nano,
                     packets := [packet()]}.

-define(PCAP_MAGIC_MICRO, 16#A1B2C3D4).
-define(PCAP_MAGIC_NANO, 16#A1B23C4D).
-define(PCAP_HDR_LEN, 24).
-define(PCAP_REC_LEN, 16).

-define(NG_SHB, 16#0A0D0D0A).
-define(NG_IDB, 1).
-define(NG_EPB, 6).
-define(NG_BOM, 16#1A2B3C4D).
-define(NG_OPT_END, 0).
-define(NG_IF_TSRESOL, 9).
%% EPB without data: type, length, interface, ts high, ts low, caplen,
%% origlen, trailing length.
-define(NG_EPB_OVERHEAD, 32).

-define(ETH_IPV4, 16#0800).
-define(ETH_ARP, 16#0806).
-define(ETH_IPV6, 16#86DD).
-define(ETH_8021Q, 16#8100).
-define(ETH_8021AD, 16#88A8).
-define(ETH_EXPERIMENTAL, 16#88B5).

-define(IP_ICMP, 1).
-define(IP_IGMP, 2).
-define(IP_TCP, 6).
-define(IP_UDP, 17).
-define(IP_HOPOPTS, 0).
-define(IP_DSTOPTS, 60).
-define(IP_ICMPV6, 58).

%% Ethernet frames shorter than this (without FCS) are padded by the sender.
-define(ETH_MIN, 60).
%% The sample capture starts at 2023-11-14 22:13:20 UTC.
-define(SAMPLE_EPOCH, 1700000000).

%% Synthetic frames: Ethernet + IPv4 + UDP headers.
-define(SYNTH_HDRS, 42).
-define(SYNTH_MAX, (14 + 16#FFFF)).
%% Packets per write(2): big enough to amortise the call, small enough
%% (about 1 MB for 60-byte frames) to keep memory flat.
-define(SYNTH_CHUNK, 10000).
%% Synthetic packets are 10 microseconds apart.
-define(SYNTH_STEP_US, 10).

%%====================================================================
%% Writing
%%====================================================================

%% @doc Write `Packets' to `Path' as a pcap or pcapng file.
%%
%% Options (all optional): `format' (`pcap', default, or `pcapng'),
%% `precision' (`micro', default, or `nano'), `endian' (`little', default,
%% or `big'), `linktype' (default 1, Ethernet) and `snaplen' (default
%% 262144). Unknown options and packets that cannot be represented
%% (captured length above `OrigLen' or `snaplen', fraction out of range)
%% are refused before anything is written.
-spec write(file:name_all(), [packet()], write_opts()) -> ok | {error, term()}.
write(Path, Packets, Opts) when is_list(Packets) ->
    case normalize_opts(Opts) of
        {ok, O} ->
            case encode_packets(Packets, O, 1, []) of
                {ok, Records} -> file:write_file(Path, [file_header(O) | Records]);
                {error, _} = Error -> Error
            end;
        {error, _} = Error ->
            Error
    end;
write(_Path, Packets, _Opts) ->
    {error, {bad_packets, Packets}}.

normalize_opts(Opts) when is_map(Opts) ->
    Defaults = #{format => pcap, precision => micro, endian => little,
                 linktype => 1, snaplen => 262144},
    Merged = maps:merge(Defaults, Opts),
    check_opts(maps:to_list(Merged), Defaults, Merged);
normalize_opts(Opts) ->
    {error, {bad_options, Opts}}.

check_opts([], _Defaults, Opts) ->
    {ok, Opts};
check_opts([{K, V} | Rest], Defaults, Opts) ->
    case maps:is_key(K, Defaults) andalso valid_opt(K, V) of
        true -> check_opts(Rest, Defaults, Opts);
        false -> {error, {bad_option, {K, V}}}
    end.

valid_opt(format, V) -> V =:= pcap orelse V =:= pcapng;
valid_opt(precision, V) -> V =:= micro orelse V =:= nano;
valid_opt(endian, V) -> V =:= little orelse V =:= big;
valid_opt(linktype, V) -> is_integer(V) andalso V >= 0 andalso V =< 16#FFFF;
valid_opt(snaplen, V) -> is_integer(V) andalso V > 0 andalso V =< 16#FFFFFFFF.

encode_packets([], _O, _N, Acc) ->
    {ok, lists:reverse(Acc)};
encode_packets([P | Rest], O, N, Acc) ->
    case check_packet(P, O) of
        ok -> encode_packets(Rest, O, N + 1, [record(P, O) | Acc]);
        {error, Reason} -> {error, {bad_packet, N, Reason}}
    end;
encode_packets(Improper, _O, N, _Acc) ->
    {error, {bad_packet, N, {not_a_list, Improper}}}.

check_packet({Sec, Frac, Orig, Data}, #{precision := P, snaplen := Snap})
  when is_integer(Sec), is_integer(Frac), is_integer(Orig), is_binary(Data) ->
    Units = units(P),
    Cap = byte_size(Data),
    if
        Sec < 0; Sec > 16#FFFFFFFF -> {error, {bad_seconds, Sec}};
        Frac < 0; Frac >= Units -> {error, {bad_fraction, Frac}};
        Orig < Cap -> {error, {caplen_exceeds_origlen, Cap, Orig}};
        Orig > 16#FFFFFFFF -> {error, {bad_origlen, Orig}};
        Cap > Snap -> {error, {caplen_exceeds_snaplen, Cap, Snap}};
        true -> ok
    end;
check_packet(Other, _O) ->
    {error, {not_a_packet, Other}}.

units(micro) -> 1000000;
units(nano) -> 1000000000.

%% The layouts are epcap_pcap_enc's (one encoder for the project): a
%% pcapng file is a Section Header Block without options (section length
%% -1: readers must walk the blocks) and one Interface Description Block.
file_header(#{format := pcap, precision := P, endian := E,
              linktype := LT, snaplen := Snap}) ->
    epcap_pcap_enc:pcap_header(#{endian => E, resolution => P, snaplen => Snap,
                                 linktype => LT});
file_header(#{format := pcapng, precision := P, endian := E,
              linktype := LT, snaplen := Snap}) ->
    [epcap_pcap_enc:shb(E, #{}),
     epcap_pcap_enc:idb(E, #{linktype => LT, snaplen => Snap, resolution => P})].

record({Sec, Frac, Orig, Data}, #{format := pcap, endian := E, precision := P}) ->
    epcap_pcap_enc:pcap_record(E, P, Sec * units(P) + Frac, Orig, Data);
record({Sec, Frac, Orig, Data}, #{format := pcapng, endian := E, precision := P}) ->
    epcap_pcap_enc:epb(E, 0, Sec * units(P) + Frac, Orig, Data, #{}).

%%====================================================================
%% Reading
%%====================================================================

%% @doc Read a classic pcap (either byte order, micro or nanosecond
%% magic) or pcapng file. For pcapng, `linktype' is that of the first
%% interface, only Enhanced Packet Blocks are returned, and every
%% interface must use a resolution of 10^-6 or 10^-9 seconds (the same one).
-spec read(file:name_all()) -> {ok, capture()} | {error, term()}.
read(Path) ->
    case file:read_file(Path) of
        {ok, Bin} -> parse(Bin);
        {error, _} = Error -> Error
    end.

%% @doc Parse the contents of a capture file held in memory (for example
%% the standard output of `tcpdump -w -'). See {@link read/1}.
-spec parse(binary()) -> {ok, capture()} | {error, term()}.
parse(<<?PCAP_MAGIC_MICRO:32/big, _/binary>> = Bin) -> parse_pcap(Bin, big, micro);
parse(<<?PCAP_MAGIC_MICRO:32/little, _/binary>> = Bin) -> parse_pcap(Bin, little, micro);
parse(<<?PCAP_MAGIC_NANO:32/big, _/binary>> = Bin) -> parse_pcap(Bin, big, nano);
parse(<<?PCAP_MAGIC_NANO:32/little, _/binary>> = Bin) -> parse_pcap(Bin, little, nano);
parse(<<?NG_SHB:32, _/binary>> = Bin) -> ng_blocks(Bin, #{endian => undefined, ifaces => [],
                                                           first => undefined, acc => []});
parse(Bin) when byte_size(Bin) < 4 -> {error, truncated_header};
parse(_) -> {error, unknown_format}.

parse_pcap(Bin, E, P) when byte_size(Bin) >= ?PCAP_HDR_LEN ->
    <<Hdr:?PCAP_HDR_LEN/binary, Records/binary>> = Bin,
    <<_Magic:4/binary, _Ver:4/binary, _Zone:4/binary, _Sig:4/binary,
      _Snap:4/binary, LT:4/binary>> = Hdr,
    %% The upper bits of the link type field carry FCS information.
    LinkType = get_u32(E, LT) band 16#FFFF,
    case pcap_records(Records, E, 0, []) of
        {ok, Packets} -> {ok, #{linktype => LinkType, precision => P, packets => Packets}};
        {error, _} = Error -> Error
    end;
parse_pcap(_Bin, _E, _P) ->
    {error, truncated_header}.

pcap_records(<<>>, _E, _N, Acc) ->
    {ok, lists:reverse(Acc)};
pcap_records(<<S:4/binary, F:4/binary, C:4/binary, O:4/binary, Rest/binary>>, E, N, Acc) ->
    Cap = get_u32(E, C),
    case Rest of
        <<Data:Cap/binary, Next/binary>> ->
            P = {get_u32(E, S), get_u32(E, F), get_u32(E, O), Data},
            pcap_records(Next, E, N + 1, [P | Acc]);
        _ ->
            {error, {truncated_record, N + 1}}
    end;
pcap_records(_Partial, _E, N, _Acc) ->
    {error, {truncated_record, N + 1}}.

get_u32(little, <<X:32/little>>) -> X;
get_u32(big, <<X:32/big>>) -> X.

get_u16(little, <<X:16/little>>) -> X;
get_u16(big, <<X:16/big>>) -> X.

%% pcapng: the byte order is only known after reading the section
%% header's byte-order magic, and a new section may change it.
ng_blocks(<<>>, #{first := undefined}) ->
    {error, no_interface};
ng_blocks(<<>>, #{first := {LT, Units}, acc := Acc}) ->
    {ok, #{linktype => LT, precision => precision(Units), packets => lists:reverse(Acc)}};
ng_blocks(<<?NG_SHB:32, _Len:4/binary, Bom:4/binary, _/binary>> = Bin, St) ->
    case Bom of
        <<?NG_BOM:32/big>> -> ng_block(Bin, St#{endian := big, ifaces := []});
        <<?NG_BOM:32/little>> -> ng_block(Bin, St#{endian := little, ifaces := []});
        _ -> {error, bad_byte_order_magic}
    end;
ng_blocks(_Bin, #{endian := undefined}) ->
    {error, missing_section_header};
ng_blocks(Bin, St) ->
    ng_block(Bin, St).

ng_block(Bin, #{endian := E} = St) ->
    case ng_split(E, Bin) of
        {ok, Type, Body, Rest} ->
            case ng_handle(Type, Body, St) of
                {ok, St1} -> ng_blocks(Rest, St1);
                {error, _} = Error -> Error
            end;
        {error, _} = Error ->
            Error
    end.

ng_split(E, <<T:4/binary, L:4/binary, _/binary>> = Bin) ->
    Len = get_u32(E, L),
    if
        Len < 12; Len rem 4 =/= 0; Len > byte_size(Bin) ->
            {error, {bad_block_length, Len}};
        true ->
            BodyLen = Len - 12,
            <<_:8/binary, Body:BodyLen/binary, Trailer:4/binary, Rest/binary>> = Bin,
            case get_u32(E, Trailer) of
                Len -> {ok, get_u32(E, T), Body, Rest};
                Other -> {error, {block_length_mismatch, Len, Other}}
            end
    end;
ng_split(_E, _Bin) ->
    {error, truncated_block}.

ng_handle(?NG_IDB, <<LT:2/binary, _Res:2/binary, _Snap:4/binary, Opts/binary>>,
          #{endian := E, ifaces := Ifs, first := First} = St) ->
    case tsresol(E, Opts) of
        {ok, Units} ->
            Iface = {get_u16(E, LT), Units},
            First1 = case First of
                         undefined -> Iface;
                         _ -> First
                     end,
            case precision(Units) of
                undefined -> {error, {unsupported_tsresol, Units}};
                _ -> {ok, St#{ifaces := Ifs ++ [Iface], first := First1}}
            end;
        {error, _} = Error ->
            Error
    end;
ng_handle(?NG_IDB, _Body, _St) ->
    {error, short_interface_block};
ng_handle(?NG_EPB, <<If:4/binary, Hi:4/binary, Lo:4/binary, C:4/binary, O:4/binary,
                     Rest/binary>>,
          #{endian := E, ifaces := Ifs, first := {_, FirstUnits}, acc := Acc} = St) ->
    IfId = get_u32(E, If),
    Cap = get_u32(E, C),
    case {IfId < length(Ifs), Rest} of
        {false, _} ->
            {error, {unknown_interface, IfId}};
        {true, <<Data:Cap/binary, _/binary>>} ->
            case lists:nth(IfId + 1, Ifs) of
                {_, FirstUnits} ->
                    Ts = (get_u32(E, Hi) bsl 32) bor get_u32(E, Lo),
                    P = {Ts div FirstUnits, Ts rem FirstUnits, get_u32(E, O), Data},
                    {ok, St#{acc := [P | Acc]}};
                {_, Units} ->
                    {error, {mixed_tsresol, FirstUnits, Units}}
            end;
        {true, _} ->
            {error, {short_packet_block, Cap}}
    end;
ng_handle(?NG_EPB, _Body, #{first := undefined}) ->
    {error, packet_before_interface};
ng_handle(?NG_EPB, _Body, _St) ->
    {error, short_packet_block};
ng_handle(_Type, _Body, St) ->
    %% Other blocks (statistics, name resolution, ...) are skipped, as the
    %% pcapng specification requires of readers that do not know them.
    {ok, St}.

%% The timestamp resolution of an interface: 10^-6 unless if_tsresol says
%% otherwise; its top bit selects a power of two instead of ten.
tsresol(_E, <<>>) ->
    {ok, 1000000};
tsresol(E, <<Code:2/binary, Len:2/binary, Rest/binary>>) ->
    L = get_u16(E, Len),
    Padded = L + (4 - L rem 4) rem 4,
    case {get_u16(E, Code), Rest} of
        {?NG_OPT_END, _} ->
            {ok, 1000000};
        {?NG_IF_TSRESOL, <<0:1, V:7, _/binary>>} when L =:= 1 ->
            {ok, pow(10, V)};
        {?NG_IF_TSRESOL, <<1:1, V:7, _/binary>>} when L =:= 1 ->
            {ok, 1 bsl V};
        {_, <<_:Padded/binary, Next/binary>>} ->
            tsresol(E, Next);
        _ ->
            {error, bad_interface_options}
    end;
tsresol(_E, _) ->
    {error, bad_interface_options}.

pow(_B, 0) -> 1;
pow(B, N) -> B * pow(B, N - 1).

precision(1000000) -> micro;
precision(1000000000) -> nano;
precision(_) -> undefined.

%%====================================================================
%% Sample packets
%%====================================================================

-define(MAC_A, <<2, 0, 0, 0, 0, 1>>).
-define(MAC_B, <<2, 0, 0, 0, 0, 2>>).
-define(MAC_GW, <<2, 0, 0, 0, 0, 16#FE>>).
-define(MAC_BCAST, <<255, 255, 255, 255, 255, 255>>).
-define(MAC_ZERO, <<0, 0, 0, 0, 0, 0>>).

-define(IP_A, <<192, 0, 2, 1>>).
-define(IP_B, <<192, 0, 2, 7>>).
-define(IP_GW, <<192, 0, 2, 254>>).
-define(IP_WEB, <<198, 51, 100, 7>>).
-define(IP_DNS, <<198, 51, 100, 53>>).
-define(IP_GROUP, <<239, 1, 2, 3>>).
-define(MAC_GROUP, <<16#01, 16#00, 16#5E, 1, 2, 3>>).

-define(IP6(Last), <<16#2001:16, 16#DB8:16, 0:80, (Last):16>>).
-define(IP6_A, ?IP6(1)).
-define(IP6_B, ?IP6(2)).
-define(IP6_DNS, ?IP6(16#53)).
%% ff02::1:ff00:2, the solicited-node group of 2001:db8::2.
-define(IP6_SOLICITED_B, <<16#FF02:16, 0:64, 1:16, 16#FF00:16, 2:16>>).
-define(MAC_SOLICITED_B, <<16#33, 16#33, 16#FF, 0, 0, 2>>).
%% ff02::16, all MLDv2-capable routers.
-define(IP6_MLDV2, <<16#FF02:16, 0:96, 16#16:16>>).
-define(MAC_MLDV2, <<16#33, 16#33, 0, 0, 0, 16#16>>).

%% @doc A deterministic capture of 40 Ethernet frames with microsecond
%% timestamps, starting at 1700000000 (2023-11-14 22:13:20 UTC) and a
%% few milliseconds apart. Every checksum is correct. Frame 39 is an IPv4
%% UDP datagram captured with a short snap length (`OrigLen' greater than
%% the data); short frames are zero-padded to 60 bytes.
-spec sample_packets() -> [packet()].
sample_packets() ->
    stamp(sample_frames(), 0, 0, []).

%% @doc {@link sample_packets/0} with fractions in microseconds or
%% nanoseconds (the same instants, multiplied by 1000).
-spec sample_packets(micro | nano) -> [packet()].
sample_packets(micro) ->
    sample_packets();
sample_packets(nano) ->
    [{S, U * 1000, O, D} || {S, U, O, D} <- sample_packets()].

%% Deltas between frames vary between 1 and 5 ms so that every digit of
%% the microseconds is exercised.
stamp([], _I, _Us, Acc) ->
    lists:reverse(Acc);
stamp([Frame | Rest], I, Us, Acc) ->
    {Orig, Data} = case Frame of
                       {truncate, Cap, Full} -> {byte_size(Full), binary:part(Full, 0, Cap)};
                       Full -> {byte_size(Full), Full}
                   end,
    P = {?SAMPLE_EPOCH + Us div 1000000, Us rem 1000000, Orig, Data},
    stamp(Rest, I + 1, Us + 1000 + (I * 7919) rem 4000, [P | Acc]).

sample_frames() ->
    lists:append([arp_frames(), dns_frames(), ping_frames(), http_frames(),
                  vlan_frames(), misc_ipv4_frames(), ipv6_frames(), odd_frames()]).

arp_frames() ->
    [eth(?MAC_BCAST, ?MAC_A, ?ETH_ARP, arp(1, ?MAC_A, ?IP_A, ?MAC_ZERO, ?IP_GW)),
     eth(?MAC_A, ?MAC_GW, ?ETH_ARP, arp(2, ?MAC_GW, ?IP_GW, ?MAC_A, ?IP_A))].

dns_frames() ->
    Name = "www.example.com",
    [eth(?MAC_GW, ?MAC_A, ?ETH_IPV4,
         ipv4(?IP_UDP, ?IP_A, ?IP_DNS, 16#1001,
              udp(?IP_A, ?IP_DNS, 53001, 53, dns_query(16#BEEF, Name, 1)))),
     eth(?MAC_A, ?MAC_GW, ?ETH_IPV4,
         ipv4(?IP_UDP, ?IP_DNS, ?IP_A, 16#7001,
              udp(?IP_DNS, ?IP_A, 53, 53001, dns_answer(16#BEEF, Name, 1, ?IP_WEB)))),
     eth(?MAC_GW, ?MAC_A, ?ETH_IPV4,
         ipv4(?IP_UDP, ?IP_A, ?IP_DNS, 16#1002,
              udp(?IP_A, ?IP_DNS, 53002, 53, dns_query(16#BEF0, Name, 28)))),
     eth(?MAC_A, ?MAC_GW, ?ETH_IPV4,
         ipv4(?IP_UDP, ?IP_DNS, ?IP_A, 16#7002,
              udp(?IP_DNS, ?IP_A, 53, 53002, dns_answer(16#BEF0, Name, 28, ?IP6(7)))))].

ping_frames() ->
    lists:append(
      [[eth(?MAC_GW, ?MAC_A, ?ETH_IPV4,
            ipv4(?IP_ICMP, ?IP_A, ?IP_WEB, 16#1002 + Seq, icmp(8, 0, echo(16#4242, Seq)))),
        eth(?MAC_A, ?MAC_GW, ?ETH_IPV4,
            ipv4(?IP_ICMP, ?IP_WEB, ?IP_A, 16#7002 + Seq, icmp(0, 0, echo(16#4242, Seq))))]
       || Seq <- [1, 2]]).

echo(Id, Seq) ->
    %% Like Linux ping: a 16-byte timeval then the bytes 0x10..0x37.
    <<Id:16, Seq:16, ?SAMPLE_EPOCH:64/little, Seq:64/little,
      (list_to_binary(lists:seq(16#10, 16#37)))/binary>>.

%% A complete HTTP exchange on port 80: handshake, request, response,
%% and an orderly close. Pure ACKs are 54 bytes, so they are padded.
http_frames() ->
    CIsn = 16#3A2B1C00,
    SIsn = 16#7F6E5D00,
    Req = <<"GET / HTTP/1.1\r\nHost: www.example.com\r\n"
            "User-Agent: epcap-sample/1.0\r\nAccept: */*\r\n\r\n">>,
    Body = <<"<html><body>epcap sample page</body></html>\n">>,
    Resp = iolist_to_binary(["HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                             "Content-Length: ", integer_to_list(byte_size(Body)),
                             "\r\nConnection: close\r\n\r\n", Body]),
    C1 = CIsn + 1,
    C2 = C1 + byte_size(Req),
    S1 = SIsn + 1,
    S2 = S1 + byte_size(Resp),
    %% Windows after the handshake are scaled by 2^7.
    Win = fun(Flags, Syn, Scaled) ->
                  case lists:member(syn, Flags) of
                      true -> Syn;
                      false -> Scaled
                  end
          end,
    Out = fun(Id, Seq, Ack, Flags, Opts, Data) ->
                  eth(?MAC_GW, ?MAC_A, ?ETH_IPV4,
                      ipv4(?IP_TCP, ?IP_A, ?IP_WEB, Id,
                           tcp(?IP_A, ?IP_WEB, 49152, 80, Seq, Ack, Flags,
                               Win(Flags, 64240, 502), Opts, Data)))
          end,
    In = fun(Id, Seq, Ack, Flags, Opts, Data) ->
                 eth(?MAC_A, ?MAC_GW, ?ETH_IPV4,
                     ipv4(?IP_TCP, ?IP_WEB, ?IP_A, Id,
                          tcp(?IP_WEB, ?IP_A, 80, 49152, Seq, Ack, Flags,
                              Win(Flags, 65160, 509), Opts, Data)))
         end,
    [Out(16#2001, CIsn, 0, [syn], syn_options(1460), <<>>),
     In(0, SIsn, C1, [syn, ack], syn_options(1400), <<>>),
     Out(16#2002, C1, S1, [ack], <<>>, <<>>),
     Out(16#2003, C1, S1, [psh, ack], <<>>, Req),
     In(16#8001, S1, C2, [ack], <<>>, <<>>),
     In(16#8002, S1, C2, [psh, ack], <<>>, Resp),
     Out(16#2004, C2, S2, [ack], <<>>, <<>>),
     Out(16#2005, C2, S2, [fin, ack], <<>>, <<>>),
     In(16#8003, S2, C2 + 1, [fin, ack], <<>>, <<>>),
     Out(16#2006, C2 + 1, S2 + 1, [ack], <<>>, <<>>)].

%% MSS, NOP, window scale 7, NOP, NOP, SACK permitted: 12 bytes.
syn_options(Mss) ->
    <<2, 4, Mss:16, 1, 3, 3, 7, 1, 1, 4, 2>>.

vlan_frames() ->
    Udp = fun(Id, SPort) ->
                  ipv4(?IP_UDP, ?IP_A, ?IP_B, Id,
                       udp(?IP_A, ?IP_B, SPort, 9, <<"epcap vlan sample">>))
          end,
    [eth_tagged(?MAC_B, ?MAC_A, [{?ETH_8021Q, 100}], ?ETH_IPV4, Udp(16#3001, 40001)),
     eth_tagged(?MAC_B, ?MAC_A, [{?ETH_8021AD, 200}, {?ETH_8021Q, 100}], ?ETH_IPV4,
                Udp(16#3002, 40002))].

misc_ipv4_frames() ->
    %% IGMPv2 membership report with the Router Alert option (IHL 6).
    Igmp = inet_checksummed(<<16#16, 0, 0:16, ?IP_GROUP/binary>>, 2),
    Trace = ipv4(?IP_UDP, ?IP_A, ?IP_B, 16#3004,
                 udp(?IP_A, ?IP_B, 40003, 33434, binary:copy(<<"@">>, 32))),
    Quoted = binary:part(Trace, 0, 28),
    [eth(?MAC_GROUP, ?MAC_A, ?ETH_IPV4,
         ipv4(?IP_IGMP, ?IP_A, ?IP_GROUP, 16#3003, 1, <<148, 4, 0, 0>>, Igmp)),
     eth(?MAC_B, ?MAC_A, ?ETH_IPV4, Trace),
     eth(?MAC_A, ?MAC_B, ?ETH_IPV4,
         ipv4(?IP_ICMP, ?IP_B, ?IP_A, 16#9001, icmp(3, 3, <<0:32, Quoted/binary>>))),
     %% A SYN to a closed port, answered by a (padded) RST.
     eth(?MAC_B, ?MAC_A, ?ETH_IPV4,
         ipv4(?IP_TCP, ?IP_A, ?IP_B, 16#3005,
              tcp(?IP_A, ?IP_B, 49153, 23, 16#11111111, 0, [syn], 64240,
                  syn_options(1460), <<>>))),
     eth(?MAC_A, ?MAC_B, ?ETH_IPV4,
         ipv4(?IP_TCP, ?IP_B, ?IP_A, 0,
              tcp(?IP_B, ?IP_A, 23, 49153, 0, 16#11111112, [rst, ack], 0, <<>>, <<>>)))].

ipv6_frames() ->
    Na = <<0:1, 1:1, 1:1, 0:29, ?IP6_B/binary, 2, 1, ?MAC_B/binary>>,
    Ns = <<0:32, ?IP6_B/binary, 1, 1, ?MAC_A/binary>>,
    Ping = fun(Type, Src, Dst) ->
                   ipv6(?IP_ICMPV6, Src, Dst, 64,
                        icmpv6(Src, Dst, Type, 0, echo(16#6161, 1)))
           end,
    Tcp = fun(Src, Dst, SP, DP, Seq, Ack, Flags, Opts) ->
                  ipv6(?IP_TCP, Src, Dst, 64,
                       tcp(Src, Dst, SP, DP, Seq, Ack, Flags, 64800, Opts, <<>>))
          end,
    %% MLDv2 report (change to exclude ff02::1:ff00:1) behind a hop-by-hop
    %% header with Router Alert and a 2-byte PadN.
    MldRecord = <<4, 0, 0:16, 16#FF02:16, 0:64, 1:16, 16#FF00:16, 1:16>>,
    Mld = icmpv6(?IP6_A, ?IP6_MLDV2, 143, 0, <<0:16, 1:16, MldRecord/binary>>),
    HopByHop = <<?IP_ICMPV6, 0, 5, 2, 0, 0, 1, 0>>,
    %% UDP behind a destination options header holding one PadN.
    DstOpts = <<?IP_UDP, 0, 1, 4, 0, 0, 0, 0>>,
    Udp = udp(?IP6_A, ?IP6_B, 40004, 9, <<"epcap dstopts sample">>),
    [eth(?MAC_SOLICITED_B, ?MAC_A, ?ETH_IPV6,
         ipv6(?IP_ICMPV6, ?IP6_A, ?IP6_SOLICITED_B, 255,
              icmpv6(?IP6_A, ?IP6_SOLICITED_B, 135, 0, Ns))),
     eth(?MAC_A, ?MAC_B, ?ETH_IPV6,
         ipv6(?IP_ICMPV6, ?IP6_B, ?IP6_A, 255, icmpv6(?IP6_B, ?IP6_A, 136, 0, Na))),
     eth(?MAC_B, ?MAC_A, ?ETH_IPV6, Ping(128, ?IP6_A, ?IP6_B)),
     eth(?MAC_A, ?MAC_B, ?ETH_IPV6, Ping(129, ?IP6_B, ?IP6_A)),
     eth(?MAC_B, ?MAC_A, ?ETH_IPV6,
         Tcp(?IP6_A, ?IP6_B, 49154, 443, 16#22222222, 0, [syn], syn_options(1440))),
     eth(?MAC_A, ?MAC_B, ?ETH_IPV6,
         Tcp(?IP6_B, ?IP6_A, 443, 49154, 16#33333333, 16#22222223, [syn, ack],
             syn_options(1440))),
     eth(?MAC_B, ?MAC_A, ?ETH_IPV6,
         ipv6(?IP_TCP, ?IP6_A, ?IP6_B, 64,
              tcp(?IP6_A, ?IP6_B, 49154, 443, 16#22222223, 16#33333334, [ack], 507,
                  <<>>, <<>>))),
     eth(?MAC_MLDV2, ?MAC_A, ?ETH_IPV6,
         ipv6(?IP_HOPOPTS, ?IP6_A, ?IP6_MLDV2, 1, <<HopByHop/binary, Mld/binary>>)),
     eth(?MAC_B, ?MAC_A, ?ETH_IPV6,
         ipv6(?IP_DSTOPTS, ?IP6_A, ?IP6_B, 64, <<DstOpts/binary, Udp/binary>>)),
     eth(?MAC_GW, ?MAC_A, ?ETH_IPV6,
         ipv6(?IP_UDP, ?IP6_A, ?IP6_DNS, 64,
              udp(?IP6_A, ?IP6_DNS, 53003, 53, dns_query(16#CAFE, "www.example.com", 28)))),
     eth(?MAC_A, ?MAC_GW, ?ETH_IPV6,
         ipv6(?IP_UDP, ?IP6_DNS, ?IP6_A, 64,
              udp(?IP6_DNS, ?IP6_A, 53, 53003,
                  dns_answer(16#CAFE, "www.example.com", 28, ?IP6(7)))))].

odd_frames() ->
    Big = ipv4(?IP_UDP, ?IP_A, ?IP_B, 16#3006,
               udp(?IP_A, ?IP_B, 40005, 9, binary:copy(<<"truncated ">>, 40))),
    %% 96 of 442 bytes captured, as with a snap length of 96.
    [{truncate, 96, eth(?MAC_B, ?MAC_A, ?ETH_IPV4, Big)},
     %% An ethertype reserved for local experiments: padded, undecodable.
     eth(?MAC_BCAST, ?MAC_A, ?ETH_EXPERIMENTAL, <<"epcap">>)].

%%--------------------------------------------------------------------
%% Frame builders
%%--------------------------------------------------------------------

eth(Dst, Src, Type, Payload) ->
    eth_tagged(Dst, Src, [], Type, Payload).

eth_tagged(Dst, Src, Tags, Type, Payload) ->
    TagBin = << <<Tpid:16, 0:3, 0:1, Vid:12>> || {Tpid, Vid} <- Tags >>,
    Frame = <<Dst/binary, Src/binary, TagBin/binary, Type:16, Payload/binary>>,
    case byte_size(Frame) of
        N when N < ?ETH_MIN -> <<Frame/binary, 0:((?ETH_MIN - N) * 8)>>;
        _ -> Frame
    end.

arp(Op, Sha, Spa, Tha, Tpa) ->
    <<1:16, ?ETH_IPV4:16, 6, 4, Op:16, Sha/binary, Spa/binary, Tha/binary, Tpa/binary>>.

ipv4(Proto, Src, Dst, Id, Payload) ->
    ipv4(Proto, Src, Dst, Id, 64, <<>>, Payload).

%% Options must be padded to a multiple of 4 bytes. TCP gets DF, as
%% Linux sets it with path MTU discovery.
ipv4(Proto, Src, Dst, Id, Ttl, Opts, Payload) ->
    Ihl = 5 + byte_size(Opts) div 4,
    Df = case Proto of
             ?IP_TCP -> 1;
             _ -> 0
         end,
    Hdr = <<4:4, Ihl:4, 0, (Ihl * 4 + byte_size(Payload)):16, Id:16, 0:1, Df:1, 0:1, 0:13,
            Ttl, Proto, 0:16, Src/binary, Dst/binary, Opts/binary>>,
    <<(inet_checksummed(Hdr, 10))/binary, Payload/binary>>.

ipv6(NextHeader, Src, Dst, HopLimit, Payload) ->
    <<6:4, 0:8, 0:20, (byte_size(Payload)):16, NextHeader, HopLimit,
      Src/binary, Dst/binary, Payload/binary>>.

tcp(Src, Dst, SPort, DPort, Seq, Ack, Flags, Window, Opts, Payload) ->
    Off = 5 + byte_size(Opts) div 4,
    Bits = lists:foldl(fun(F, Acc) -> Acc bor tcp_flag(F) end, 0, Flags),
    Seg = <<SPort:16, DPort:16, Seq:32, Ack:32, Off:4, 0:4, Bits, Window:16, 0:16, 0:16,
            Opts/binary, Payload/binary>>,
    l4_checksummed(Src, Dst, ?IP_TCP, Seg, 16).

tcp_flag(fin) -> 16#01;
tcp_flag(syn) -> 16#02;
tcp_flag(rst) -> 16#04;
tcp_flag(psh) -> 16#08;
tcp_flag(ack) -> 16#10.

udp(Src, Dst, SPort, DPort, Payload) ->
    Seg = <<SPort:16, DPort:16, (8 + byte_size(Payload)):16, 0:16, Payload/binary>>,
    l4_checksummed(Src, Dst, ?IP_UDP, Seg, 6).

icmp(Type, Code, Rest) ->
    inet_checksummed(<<Type, Code, 0:16, Rest/binary>>, 2).

icmpv6(Src, Dst, Type, Code, Rest) ->
    l4_checksummed(Src, Dst, ?IP_ICMPV6, <<Type, Code, 0:16, Rest/binary>>, 2).

%% Fill the zeroed 16-bit checksum field at byte Off with the Internet
%% checksum (RFC 1071) of the binary.
inet_checksummed(Bin, Off) ->
    put_checksum(Bin, Off, checksum(Bin)).

%% Same, with the IPv4 or IPv6 pseudo-header in front. UDP sends an
%% all-zero result as all ones, since zero means "no checksum".
l4_checksummed(Src, Dst, Proto, Seg, Off) ->
    Sum = sum16(pseudo_header(Src, Dst, Proto, byte_size(Seg)), sum16(Seg, 0)),
    C = case {Proto, complement(Sum)} of
            {?IP_UDP, 0} -> 16#FFFF;
            {_, C0} -> C0
        end,
    put_checksum(Seg, Off, C).

put_checksum(Bin, Off, C) ->
    <<Pre:Off/binary, _:16, Post/binary>> = Bin,
    <<Pre/binary, C:16, Post/binary>>.

pseudo_header(<<_:4/binary>> = Src, Dst, Proto, Len) ->
    <<Src/binary, Dst/binary, 0, Proto, Len:16>>;
pseudo_header(<<_:16/binary>> = Src, Dst, Proto, Len) ->
    <<Src/binary, Dst/binary, Len:32, 0:24, Proto>>.

checksum(Bin) ->
    complement(sum16(Bin, 0)).

sum16(<<X:16, Rest/binary>>, Acc) -> sum16(Rest, Acc + X);
sum16(<<X:8>>, Acc) -> Acc + (X bsl 8);
sum16(<<>>, Acc) -> Acc.

complement(Sum) ->
    bnot fold16(Sum) band 16#FFFF.

fold16(X) when X > 16#FFFF -> fold16((X band 16#FFFF) + (X bsr 16));
fold16(X) -> X.

dns_name(Name) ->
    Labels = << <<(length(L)), (list_to_binary(L))/binary>> || L <- string:lexemes(Name, ".") >>,
    <<Labels/binary, 0>>.

%% A recursive query, as a stub resolver sends it.
dns_query(Id, Name, QType) ->
    <<Id:16, 16#0100:16, 1:16, 0:16, 0:16, 0:16, (dns_name(Name))/binary, QType:16, 1:16>>.

%% The answer points back at the question's name (offset 12).
dns_answer(Id, Name, QType, RData) ->
    <<Id:16, 16#8180:16, 1:16, 1:16, 0:16, 0:16, (dns_name(Name))/binary, QType:16, 1:16,
      16#C00C:16, QType:16, 1:16, 300:32, (byte_size(RData)):16, RData/binary>>.

%%====================================================================
%% Synthetic frames for the benchmark
%%====================================================================

%% @doc `Count' synthetic frames of exactly `FrameSize' bytes (at least
%% 42), as a list with microsecond fractions: the packets that {@link
%% write_synthetic/4} writes. Meant for small counts in tests.
-spec synthetic(non_neg_integer(), frame_size()) -> [packet()].
synthetic(Count, FrameSize) ->
    Ctx = synth_context(FrameSize),
    [begin
         {Sec, Frac} = synth_time(N, 1000000),
         {Sec, Frac, FrameSize, synth_frame(Ctx, N)}
     end || N <- lists:seq(0, Count - 1)].

%% @doc Stream `Count' Ethernet/IPv4/UDP frames of exactly `FrameSize'
%% bytes to `Path', in chunks of 10000 packets so that memory use does not
%% grow with `Count'. Frames go from 192.0.2.1 to the discard port of
%% 192.0.2.7; they differ in UDP source port (50000 and up, and so in
%% checksum) and are 10 microseconds apart. `Opts' are those of {@link write/3};
%% `linktype' is always 1.
-spec write_synthetic(file:name_all(), non_neg_integer(), frame_size(),
                      write_opts()) -> ok | {error, term()}.
write_synthetic(Path, Count, FrameSize, Opts)
  when is_integer(Count), Count >= 0, is_integer(FrameSize),
       FrameSize >= ?SYNTH_HDRS, FrameSize =< ?SYNTH_MAX, is_map(Opts) ->
    case normalize_opts(Opts#{linktype => 1}) of
        {ok, #{snaplen := Snap}} when FrameSize > Snap ->
            {error, {caplen_exceeds_snaplen, FrameSize, Snap}};
        {ok, O} ->
            case file:open(Path, [raw, binary, write, {delayed_write, 1 bsl 20, 2000}]) of
                {ok, Fd} ->
                    Result = synth_write(Fd, O, Count, FrameSize),
                    Closed = file:close(Fd),
                    first_error([Result, Closed]);
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end;
write_synthetic(_Path, Count, FrameSize, _Opts) ->
    {error, {bad_arguments, Count, FrameSize}}.

first_error([ok | Rest]) -> first_error(Rest);
first_error([]) -> ok;
first_error([Error | _]) -> Error.

synth_write(Fd, O, Count, FrameSize) ->
    case file:write(Fd, file_header(O)) of
        ok -> synth_chunks(Fd, {synth_context(FrameSize), O}, 0, Count);
        Error -> Error
    end.

synth_chunks(Fd, Ctx, N, Count) when N < Count ->
    End = min(Count, N + ?SYNTH_CHUNK),
    case file:write(Fd, synth_chunk(Ctx, N, End, [])) of
        ok -> synth_chunks(Fd, Ctx, End, Count);
        Error -> Error
    end;
synth_chunks(_Fd, _Ctx, _N, _Count) ->
    ok.

%% Built back to front so that no reverse is needed.
synth_chunk(Ctx, First, I, Acc) when I > First ->
    synth_chunk(Ctx, First, I - 1, [synth_record(Ctx, I - 1) | Acc]);
synth_chunk(_Ctx, _First, _I, Acc) ->
    Acc.

synth_record({Ctx, #{format := Format, endian := E, precision := P}}, N) ->
    Units = units(P),
    {Sec, Frac} = synth_time(N, Units),
    synth_wrap(Format, E, Sec, Frac, Units, synth_frame(Ctx, N)).

synth_wrap(pcap, little, Sec, Frac, _Units, F) ->
    S = byte_size(F),
    <<Sec:32/little, Frac:32/little, S:32/little, S:32/little, F/binary>>;
synth_wrap(pcap, big, Sec, Frac, _Units, F) ->
    S = byte_size(F),
    <<Sec:32, Frac:32, S:32, S:32, F/binary>>;
synth_wrap(pcapng, E, Sec, Frac, Units, F) ->
    Ts = Sec * Units + Frac,
    S = byte_size(F),
    Pad = (4 - S rem 4) rem 4,
    Len = ?NG_EPB_OVERHEAD + S + Pad,
    synth_epb(E, Len, Ts bsr 32, Ts band 16#FFFFFFFF, S, F, Pad).

synth_epb(little, Len, Hi, Lo, S, F, Pad) ->
    <<?NG_EPB:32/little, Len:32/little, 0:32, Hi:32/little, Lo:32/little,
      S:32/little, S:32/little, F/binary, 0:(Pad * 8), Len:32/little>>;
synth_epb(big, Len, Hi, Lo, S, F, Pad) ->
    <<?NG_EPB:32, Len:32, 0:32, Hi:32, Lo:32, S:32, S:32, F/binary, 0:(Pad * 8), Len:32>>.

synth_time(N, Units) ->
    T = N * ?SYNTH_STEP_US * (Units div 1000000),
    {?SAMPLE_EPOCH + T div Units, T rem Units}.

%% Everything but the UDP source port and checksum is the same in every
%% frame, so the checksum is the precomputed sum plus the port.
synth_context(FrameSize) ->
    PayLen = FrameSize - ?SYNTH_HDRS,
    Payload = binary:part(binary:copy(<<"epcap synthetic frame ">>, PayLen div 22 + 1), 0, PayLen),
    UdpLen = 8 + PayLen,
    Ip = ipv4(?IP_UDP, ?IP_A, ?IP_B, 0, <<0:(UdpLen * 8)>>),
    Head = <<?MAC_B/binary, ?MAC_A/binary, ?ETH_IPV4:16, (binary:part(Ip, 0, 20))/binary>>,
    Sum = sum16(pseudo_header(?IP_A, ?IP_B, ?IP_UDP, UdpLen),
                sum16(<<0:16, 9:16, UdpLen:16, 0:16, Payload/binary>>, 0)),
    {Head, UdpLen, Sum, Payload}.

synth_frame({Head, UdpLen, Sum, Payload}, N) ->
    %% Ephemeral ports; 49152 itself is one tcpdump decodes as a shim.
    SPort = 50000 + N rem (65536 - 50000),
    C = case complement(Sum + SPort) of
            0 -> 16#FFFF;
            C0 -> C0
        end,
    <<Head/binary, SPort:16, 9:16, UdpLen:16, C:16, Payload/binary>>.

%%====================================================================
%% Command line
%%====================================================================

%% @doc Command-line entry, for `erl -s epcap_samplegen cli ...'
%% (arguments arrive as atoms) or `-eval' (strings):
%% <ul>
%% <li>`sample Path [pcap|pcapng] [micro|nano] [little|big]'</li>
%% <li>`synthetic Path Count FrameSize [pcap|pcapng] [micro|nano] [little|big]'</li>
%% </ul>
%% The format words may come in any order. Returns `ok'; on error prints
%% a message on standard error and halts the node with status 1, since
%% `-s' ignores return values.
-spec cli([atom() | string()]) -> ok.
cli(Args) ->
    case cli_run([to_string(A) || A <- Args]) of
        ok ->
            ok;
        {error, usage} ->
            io:format(standard_error, "~ts", [usage()]),
            erlang:halt(1);
        {error, {Path, Reason}} ->
            io:format(standard_error, "epcap_samplegen: ~ts: ~ts~n", [Path, describe(Reason)]),
            erlang:halt(1)
    end.

describe(Reason) when is_atom(Reason) -> file:format_error(Reason);
describe(Reason) -> io_lib:format("~tp", [Reason]).

%% @doc escript-style entry: same as {@link cli/1}.
-spec main([atom() | string()]) -> ok.
main(Args) ->
    cli(Args).

to_string(A) when is_atom(A) -> atom_to_list(A);
to_string(S) when is_list(S) -> S;
to_string(B) when is_binary(B) -> binary_to_list(B).

cli_run(["sample", Path | Words]) ->
    case cli_opts(Words, #{}) of
        {ok, Opts} ->
            in_path(Path, write(Path, sample_packets(maps:get(precision, Opts, micro)), Opts));
        Error ->
            Error
    end;
cli_run(["synthetic", Path, CountS, SizeS | Words]) ->
    case {string:to_integer(CountS), string:to_integer(SizeS), cli_opts(Words, #{})} of
        {{Count, ""}, {Size, ""}, {ok, Opts}} when Count >= 0, Size >= ?SYNTH_HDRS,
                                                  Size =< ?SYNTH_MAX ->
            in_path(Path, write_synthetic(Path, Count, Size, Opts));
        _ ->
            {error, usage}
    end;
cli_run(_) ->
    {error, usage}.

in_path(_Path, ok) -> ok;
in_path(Path, {error, Reason}) -> {error, {Path, Reason}}.

cli_opts([], Opts) -> {ok, Opts};
cli_opts([W | Rest], Opts) when W =:= "pcap"; W =:= "pcapng" ->
    cli_opts(Rest, Opts#{format => list_to_atom(W)});
cli_opts([W | Rest], Opts) when W =:= "micro"; W =:= "nano" ->
    cli_opts(Rest, Opts#{precision => list_to_atom(W)});
cli_opts([W | Rest], Opts) when W =:= "little"; W =:= "big" ->
    cli_opts(Rest, Opts#{endian => list_to_atom(W)});
cli_opts(_, _Opts) ->
    {error, usage}.

usage() ->
    "usage: epcap_samplegen cli sample PATH [pcap|pcapng] [micro|nano] [little|big]\n"
    "       epcap_samplegen cli synthetic PATH COUNT FRAMESIZE [pcap|pcapng] [micro|nano]"
    " [little|big]\n"
    "       (FRAMESIZE from 42 to 65549 bytes)\n".

%%====================================================================
%% Tests
%%====================================================================

-ifdef(TEST).
-include_lib("eunit/include/eunit.hrl").

variants() ->
    [#{format => F, precision => P, endian => E}
     || F <- [pcap, pcapng], P <- [micro, nano], E <- [little, big]].

tmp_path(Name) ->
    filename:join(os:getenv("TMPDIR", "/tmp"),
                  "epcap_samplegen_" ++ os:getpid() ++ "_" ++ Name).

sample_count_test() ->
    Ps = sample_packets(),
    ?assertEqual(40, length(Ps)),
    ?assertEqual(Ps, sample_packets()),
    [{S0, U0, _, _} | _] = Ps,
    ?assertEqual({?SAMPLE_EPOCH, 0}, {S0, U0}),
    Times = [S * 1000000 + U || {S, U, _, _} <- Ps],
    ?assertEqual(Times, lists:usort(Times)),
    ?assert(lists:all(fun({_, _, O, D}) -> byte_size(D) >= ?ETH_MIN andalso O >= byte_size(D) end,
                      Ps)),
    ?assertEqual(1, length([P || {_, _, O, D} = P <- Ps, O > byte_size(D)])).

roundtrip_test_() ->
    [{lists:flatten(io_lib:format("~p ~p ~p", [F, P, E])),
      fun() ->
              Path = tmp_path("rt"),
              Ps = sample_packets(maps:get(precision, V)),
              ok = write(Path, Ps, V#{linktype => 1}),
              {ok, Cap} = read(Path),
              ok = file:delete(Path),
              ?assertEqual(#{linktype => 1, precision => maps:get(precision, V), packets => Ps},
                           Cap)
      end} || #{format := F, precision := P, endian := E} = V <- variants()].

header_bytes_test() ->
    Enc = fun(O) -> iolist_to_binary(file_header(element(2, normalize_opts(O)))) end,
    ?assertMatch(<<16#D4, 16#C3, 16#B2, 16#A1, 2:16/little, 4:16/little, _/binary>>, Enc(#{})),
    ?assertMatch(<<16#A1, 16#B2, 16#3C, 16#4D, _/binary>>,
                 Enc(#{precision => nano, endian => big})),
    <<?NG_SHB:32, 28:32/little, 16#4D, 16#3C, 16#2B, 16#1A, _/binary>> =
        Enc(#{format => pcapng}),
    <<?NG_SHB:32, 28:32/big, 16#1A, 16#2B, 16#3C, 16#4D, _:16/binary,
      ?NG_IDB:32, IdbLen:32, _/binary>> = Enc(#{format => pcapng, endian => big,
                                                 precision => nano}),
    %% 20 fixed bytes + if_tsresol (8) + end of options (4)
    ?assertEqual(32, IdbLen).

epb_padding_test() ->
    [begin
         B = iolist_to_binary(record({1, 2, N + 3, binary:copy(<<7>>, N)},
                                     #{format => pcapng, endian => little,
                                       precision => micro})),
         <<?NG_EPB:32/little, Len:32/little, _/binary>> = B,
         ?assertEqual(Len, byte_size(B)),
         ?assertEqual(0, Len rem 4),
         ?assertMatch(<<_:(Len - 4)/binary, Len:32/little>>, B)
     end || N <- lists:seq(0, 9)].

%% Breaks the contract on purpose: hide the term from dialyzer.
unchecked(Term) ->
    binary_to_term(term_to_binary(Term)).

errors_test() ->
    P = tmp_path("err"),
    ?assertEqual({error, {bad_option, {format, pcapx}}},
                 write(P, [], unchecked(#{format => pcapx}))),
    ?assertEqual({error, {bad_option, {colour, red}}}, write(P, [], unchecked(#{colour => red}))),
    ?assertMatch({error, {bad_packet, 2, {caplen_exceeds_origlen, 3, 2}}},
                 write(P, [{0, 0, 1, <<>>}, {0, 0, 2, <<1, 2, 3>>}], #{})),
    ?assertMatch({error, {bad_packet, 1, {bad_fraction, 1000000}}},
                 write(P, [{0, 1000000, 0, <<>>}], #{})),
    ?assertMatch({error, {bad_packet, 1, {caplen_exceeds_snaplen, 3, 2}}},
                 write(P, [{0, 0, 3, <<1, 2, 3>>}], #{snaplen => 2})),
    ?assertEqual({error, unknown_format}, parse(<<"not a capture file">>)),
    ?assertEqual({error, truncated_header}, parse(<<16#D4, 16#C3, 16#B2, 16#A1, 0, 0>>)),
    ok = write(P, sample_packets(), #{}),
    {ok, Bin} = file:read_file(P),
    ok = file:delete(P),
    ?assertMatch({error, {truncated_record, _}}, parse(binary:part(Bin, 0, byte_size(Bin) - 1))),
    ?assertMatch({error, _}, parse(binary:part(Bin, 0, 30))).

%% Every IPv4 header, and every TCP, UDP and ICMP message that is
%% entirely captured and directly behind an untagged IPv4 header, sums
%% to zero.
checksum_test() ->
    [check_ipv4(Ip) || {_, _, O, <<_:12/binary, ?ETH_IPV4:16, Ip/binary>> = D} <- sample_packets(),
                       O =:= byte_size(D)].

check_ipv4(<<4:4, Ihl:4, _, Len:16, _:5/binary, Proto, _:16, Src:4/binary, Dst:4/binary,
             _/binary>> = Ip) ->
    <<Hdr:(Ihl * 4)/binary, Rest/binary>> = Ip,
    ?assertEqual(0, checksum(Hdr)),
    Seg = binary:part(Rest, 0, Len - Ihl * 4),
    case Proto of
        P when P =:= ?IP_TCP; P =:= ?IP_UDP ->
            ?assertEqual(0, complement(sum16(pseudo_header(Src, Dst, P, byte_size(Seg)),
                                             sum16(Seg, 0))));
        _ ->
            ?assertEqual(0, checksum(Seg))
    end.

synthetic_test() ->
    Ps = synthetic(100, 60),
    ?assertEqual(100, length(Ps)),
    ?assert(lists:all(fun({_, _, 60, D}) -> byte_size(D) =:= 60 end, Ps)),
    [check_ipv4(Ip) || {_, _, _, <<_:14/binary, Ip/binary>>} <- Ps],
    Ports = [SP || {_, _, _, <<_:34/binary, SP:16, _/binary>>} <- Ps],
    ?assertEqual(100, length(lists:usort(Ports))),
    [begin
         Path = tmp_path("synth"),
         ok = write_synthetic(Path, 25001, 61, V),
         {ok, #{packets := Read}} = read(Path),
         ok = file:delete(Path),
         ?assertEqual(25001, length(Read)),
         Expect = [case maps:get(precision, V) of
                       micro -> P;
                       nano -> {S, F * 1000, O, D}
                   end || {S, F, O, D} = P <- synthetic(25001, 61)],
         ?assertEqual(Expect, Read)
     end || V <- variants()],
    ?assertMatch({error, _}, write_synthetic(tmp_path("x"), 1, 41, #{})).
-endif.
