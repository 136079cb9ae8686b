%% @doc Pure encoder of capture files: the pcap file header and records,
%% and the pcapng blocks a writer needs (Section Header, Interface
%% Description, Enhanced Packet, Interface Statistics), with their options.
%%
%% Nothing here does I/O; every function returns iodata and is tested
%% from literal binaries (test/epcap_pcap_enc_tests.erl). {@link epcap_file}
%% is the file API built on it. The layouts are those of the pcap savefile
%% (pcap-savefile(5)) and of the pcapng draft (draft-ietf-opsawg-pcapng):
%%
%% ```
%% pcap header  magic:32 major:16 minor:16 thiszone:32 sigfigs:32 snaplen:32 linktype:32
%% pcap record  sec:32 frac:32 caplen:32 len:32 data
%% pcapng block type:32 total_length:32 body total_length:32   (body padded to 4)
%% option       code:16 length:16 value (padded to 4) ... opt_endofopt (0:16, 0:16)
%% '''
%%
%% Every multi-byte field is written in the byte order given (`little' or
%% `big'), magic numbers included, as a capture taken on a machine of that
%% byte order looks. Time stamps are integers counted in the unit of the
%% file (pcap: microseconds or nanoseconds by its magic) or of the
%% interface (pcapng: its `if_tsresol'); {@link units/2} converts
%% nanoseconds to them.
%%
%% Link types: epcap delivers libpcap's DLT_ values, files store LINKTYPE_
%% values. They differ for a few link types only (raw IP is DLT 12 on
%% Linux and LINKTYPE 101 in files); {@link dlt_to_linktype/1} and
%% {@link linktype_to_dlt/1} map them as libpcap does on Linux.
-module(epcap_pcap_enc).

-export([
    pcap_header/1,
    pcap_record/5,
    shb/2,
    idb/2,
    epb/6,
    isb/4,
    units/2,
    split_units/2,
    units_per_second/1,
    dlt_to_linktype/1,
    linktype_to_dlt/1
]).

-export_type([endian/0, resolution/0, pcap_header/0, interface/0,
              section/0, packet_options/0, statistics/0]).

-type endian() :: little | big.
%% The unit of a time stamp: `micro' (10^-6 s), `nano' (10^-9 s), or, as
%% pcapng's `if_tsresol' allows, `{decimal, N}' (10^-N s) or
%% `{binary, N}' (2^-N s).
-type resolution() :: micro | nano | {decimal, 0..127} | {binary, 0..127}.

-type pcap_header() :: #{endian := endian(), resolution := micro | nano,
                         snaplen := non_neg_integer(),
                         linktype := non_neg_integer()}.

%% What an Interface Description Block holds. `resolution' other than
%% `micro' (pcapng's default) is written as `if_tsresol'.
-type interface() :: #{linktype := 0..16#FFFF,
                       snaplen := non_neg_integer(),
                       resolution := resolution(),
                       name => unicode:chardata(),
                       description => unicode:chardata(),
                       filter => unicode:chardata(),
                       os => unicode:chardata(),
                       hardware => unicode:chardata(),
                       tsoffset => integer(),
                       comment => unicode:chardata() | [unicode:chardata()]}.

-type section() :: #{comment => unicode:chardata() | [unicode:chardata()],
                     hardware => unicode:chardata(),
                     os => unicode:chardata(),
                     application => unicode:chardata()}.

%% Options of an Enhanced Packet Block: comments (`opt_comment', one or
%% several), `flags' (`epb_flags', 32 bits: direction, reception type,
%% FCS length, errors), `dropcount' (`epb_dropcount', packets lost
%% between this one and the one before on its interface), `packet_id'
%% (`epb_packetid') and `queue' (`epb_queue').
-type packet_options() :: #{comment => unicode:chardata() | [unicode:chardata()],
                            flags => 0..16#FFFFFFFF,
                            dropcount => 0..16#FFFFFFFFFFFFFFFF,
                            packet_id => 0..16#FFFFFFFFFFFFFFFF,
                            queue => 0..16#FFFFFFFF,
                            atom() => term()}.

%% Counters of an Interface Statistics Block, by the names pcapng gives
%% them (`starttime' and `endtime' in the interface's units), or by the
%% names {@link epcap:stats/1} gives them: `received' is `isb_ifrecv',
%% `ifdropped' is `isb_ifdrop' (dropped by the interface), `dropped' is
%% `isb_osdrop' (dropped by the kernel), `delivered' is `isb_usrdeliv'.
%% Other keys are ignored, so epcap's whole stats map can be given.
-type statistics() :: #{atom() => term()}.

-define(PCAP_MAGIC_MICRO, 16#A1B2C3D4).
-define(PCAP_MAGIC_NANO, 16#A1B23C4D).
-define(PCAP_VERSION_MAJOR, 2).
-define(PCAP_VERSION_MINOR, 4).

-define(BT_SHB, 16#0A0D0D0A).
-define(BT_IDB, 1).
-define(BT_ISB, 5).
-define(BT_EPB, 6).
-define(BYTE_ORDER_MAGIC, 16#1A2B3C4D).
-define(NG_VERSION_MAJOR, 1).
-define(NG_VERSION_MINOR, 0).
%% Section length unknown: the file is written as a stream.
-define(SECTION_LENGTH_UNKNOWN, 16#FFFFFFFFFFFFFFFF).

%% Option codes (pcapng draft, section 4 and the block sections).
-define(OPT_ENDOFOPT, 0).
-define(OPT_COMMENT, 1).
-define(SHB_HARDWARE, 2).
-define(SHB_OS, 3).
-define(SHB_USERAPPL, 4).
-define(IF_NAME, 2).
-define(IF_DESCRIPTION, 3).
-define(IF_TSRESOL, 9).
-define(IF_FILTER, 11).
-define(IF_OS, 12).
-define(IF_TSOFFSET, 14).
-define(IF_HARDWARE, 15).
-define(EPB_FLAGS, 2).
-define(EPB_DROPCOUNT, 4).
-define(EPB_PACKETID, 5).
-define(EPB_QUEUE, 6).
-define(ISB_STARTTIME, 2).
-define(ISB_ENDTIME, 3).
-define(ISB_IFRECV, 4).
-define(ISB_IFDROP, 5).
-define(ISB_FILTERACCEPT, 6).
-define(ISB_OSDROP, 7).
-define(ISB_USRDELIV, 8).
%% if_filter's first byte: the filter is a libpcap filter string.
-define(IF_FILTER_STRING, 0).

%%====================================================================
%% pcap
%%====================================================================

%% @doc The 24-byte pcap file header. `linktype' is the LINKTYPE_ value
%% (its upper 16 bits, the FCS length, are kept as given).
-spec pcap_header(pcap_header()) -> binary().
pcap_header(#{endian := E, resolution := R, snaplen := Snap, linktype := LT}) ->
    Magic = case R of
                micro -> ?PCAP_MAGIC_MICRO;
                nano -> ?PCAP_MAGIC_NANO
            end,
    <<(u32(E, Magic))/binary, (u16(E, ?PCAP_VERSION_MAJOR))/binary,
      (u16(E, ?PCAP_VERSION_MINOR))/binary, 0:32, 0:32,
      (u32(E, Snap))/binary, (u32(E, LT))/binary>>.

%% @doc One pcap record: `Units' is the time stamp in the file's unit
%% (microseconds or nanoseconds since the epoch), `Len' the length on the
%% wire, `Data' the captured bytes (caplen is its size). The seconds must
%% fit 32 bits (before 2106): `erlang:error(badarg)' otherwise.
-spec pcap_record(endian(), micro | nano, non_neg_integer(),
                  non_neg_integer(), iodata()) -> iodata().
pcap_record(little, micro, Units, Len, Data)
  when is_binary(Data), Units < (1 bsl 32) * 1000000 ->
    %% The common case in one binary: what a writer does per packet.
    [<<(Units div 1000000):32/little, (Units rem 1000000):32/little,
       (byte_size(Data)):32/little, Len:32/little>>, Data];
pcap_record(E, R, Units, Len, Data) ->
    {Sec, Frac} = split_units(Units, R),
    Sec < 1 bsl 32 orelse erlang:error(badarg, [E, R, Units, Len, Data]),
    [<<(u32(E, Sec))/binary, (u32(E, Frac))/binary,
       (u32(E, iolist_size(Data)))/binary, (u32(E, Len))/binary>> | Data].

%%====================================================================
%% pcapng
%%====================================================================

%% @doc A Section Header Block (version 1.0, section length unknown) with
%% the options given: `comment', `hardware' (`shb_hardware'), `os'
%% (`shb_os'), `application' (`shb_userappl').
-spec shb(endian(), section()) -> iodata().
shb(E, Section) ->
    Opts = comments(E, Section) ++
        strings(E, Section, [{hardware, ?SHB_HARDWARE}, {os, ?SHB_OS},
                             {application, ?SHB_USERAPPL}]),
    block(E, ?BT_SHB,
          [<<(u32(E, ?BYTE_ORDER_MAGIC))/binary, (u16(E, ?NG_VERSION_MAJOR))/binary,
             (u16(E, ?NG_VERSION_MINOR))/binary,
             (u64(E, ?SECTION_LENGTH_UNKNOWN))/binary>> | options(E, Opts)]).

%% @doc An Interface Description Block: link type, snap length (0: no
%% limit) and the options given (`name', `description', `filter' as a
%% libpcap filter string, `os', `hardware', `tsoffset' in seconds,
%% `comment'). `if_tsresol' is written unless the resolution is `micro',
%% pcapng's default.
-spec idb(endian(), interface()) -> iodata().
idb(E, #{linktype := LT, snaplen := Snap, resolution := R} = If) ->
    Opts = comments(E, If) ++
        strings(E, If, [{name, ?IF_NAME}, {description, ?IF_DESCRIPTION}]) ++
        [opt(E, ?IF_TSRESOL, <<(tsresol(R))>>) || R =/= micro] ++
        [opt(E, ?IF_FILTER, <<?IF_FILTER_STRING, (text(F))/binary>>)
         || #{filter := F} <- [If]] ++
        strings(E, If, [{os, ?IF_OS}]) ++
        [opt(E, ?IF_TSOFFSET, i64(E, Off)) || #{tsoffset := Off} <- [If]] ++
        strings(E, If, [{hardware, ?IF_HARDWARE}]),
    block(E, ?BT_IDB, [<<(u16(E, LT))/binary, 0:16, (u32(E, Snap))/binary>>
                       | options(E, Opts)]).

%% @doc An Enhanced Packet Block on interface `IfId': `Units' is the time
%% stamp in the interface's unit, `Len' the length on the wire, `Data' the
%% captured bytes (caplen is its size), then the packet's options.
-spec epb(endian(), non_neg_integer(), non_neg_integer(), non_neg_integer(),
          iodata(), packet_options()) -> iodata().
epb(little, IfId, Units, Len, Data, Options)
  when map_size(Options) =:= 0, is_binary(Data) ->
    %% The common case, no options, in one header binary.
    Caplen = byte_size(Data),
    Pad = (4 - Caplen band 3) band 3,
    Total = 32 + Caplen + Pad,
    [<<?BT_EPB:32/little, Total:32/little, IfId:32/little,
       (Units bsr 32):32/little, (Units band 16#FFFFFFFF):32/little,
       Caplen:32/little, Len:32/little>>, Data, <<0:(Pad * 8), Total:32/little>>];
epb(big, IfId, Units, Len, Data, Options)
  when map_size(Options) =:= 0, is_binary(Data) ->
    Caplen = byte_size(Data),
    Pad = (4 - Caplen band 3) band 3,
    Total = 32 + Caplen + Pad,
    [<<?BT_EPB:32, Total:32, IfId:32, (Units bsr 32):32, (Units band 16#FFFFFFFF):32,
       Caplen:32, Len:32>>, Data, <<0:(Pad * 8), Total:32>>];
epb(E, IfId, Units, Len, Data, Options) ->
    Caplen = iolist_size(Data),
    Opts = comments(E, Options) ++
        [opt(E, ?EPB_FLAGS, u32(E, F)) || #{flags := F} <- [Options]] ++
        [opt(E, ?EPB_DROPCOUNT, u64(E, D)) || #{dropcount := D} <- [Options]] ++
        [opt(E, ?EPB_PACKETID, u64(E, P)) || #{packet_id := P} <- [Options]] ++
        [opt(E, ?EPB_QUEUE, u32(E, Q)) || #{queue := Q} <- [Options]],
    block(E, ?BT_EPB,
          [<<(u32(E, IfId))/binary, (u32(E, Units bsr 32))/binary,
             (u32(E, Units band 16#FFFFFFFF))/binary, (u32(E, Caplen))/binary,
             (u32(E, Len))/binary>>, Data, pad(Caplen) | options(E, Opts)]).

%% @doc An Interface Statistics Block for interface `IfId' at `Units' (in
%% the interface's unit), with the counters of {@link statistics()} that
%% are present, and `comment'.
-spec isb(endian(), non_neg_integer(), non_neg_integer(), statistics()) -> iodata().
isb(E, IfId, Units, Stats) ->
    Counters = [opt(E, Code, u64(E, V))
                || {Code, Keys} <- [{?ISB_STARTTIME, [starttime]},
                                    {?ISB_ENDTIME, [endtime]},
                                    {?ISB_IFRECV, [ifrecv, received]},
                                    {?ISB_IFDROP, [ifdrop, ifdropped]},
                                    {?ISB_FILTERACCEPT, [filteraccept]},
                                    {?ISB_OSDROP, [osdrop, dropped]},
                                    {?ISB_USRDELIV, [usrdeliv, delivered]}],
                   V <- first_value(Keys, Stats)],
    block(E, ?BT_ISB,
          [<<(u32(E, IfId))/binary, (u32(E, Units bsr 32))/binary,
             (u32(E, Units band 16#FFFFFFFF))/binary>>
           | options(E, comments(E, Stats) ++ Counters)]).

first_value([], _) -> [];
first_value([K | Ks], Stats) ->
    case Stats of
        #{K := V} when is_integer(V), V >= 0 -> [V];
        _ -> first_value(Ks, Stats)
    end.

%%====================================================================
%% Time stamps
%%====================================================================

%% @doc A time since the epoch, in nanoseconds or as `{Seconds,
%% Nanoseconds}' (which keeps the arithmetic in small integers), in a
%% resolution's units (rounded down, as a capture in that resolution
%% would have it).
-spec units(non_neg_integer() | {non_neg_integer(), 0..999999999}, resolution()) ->
    non_neg_integer().
units({S, N}, micro) -> S * 1000000 + N div 1000;
units({S, N}, nano) -> S * 1000000000 + N;
units({S, N}, R) -> units(S * 1000000000 + N, R);
units(Ns, nano) -> Ns;
units(Ns, micro) -> Ns div 1000;
units(Ns, R) -> Ns * units_per_second(R) div 1000000000.

%% @doc A time stamp in units as seconds and a fraction in those units.
-spec split_units(non_neg_integer(), resolution()) ->
    {non_neg_integer(), non_neg_integer()}.
split_units(Units, R) ->
    PerSec = units_per_second(R),
    {Units div PerSec, Units rem PerSec}.

%% @doc How many units a second has.
-spec units_per_second(resolution()) -> pos_integer().
units_per_second(micro) -> 1000000;
units_per_second(nano) -> 1000000000;
units_per_second({decimal, N}) -> pow(10, N);
units_per_second({binary, N}) -> 1 bsl N.

pow(_, 0) -> 1;
pow(B, N) -> B * pow(B, N - 1).

%% if_tsresol: the high bit says a power of 2, otherwise of 10.
tsresol(micro) -> 6;
tsresol(nano) -> 9;
tsresol({decimal, N}) -> N;
tsresol({binary, N}) -> 16#80 bor N.

%%====================================================================
%% Link types
%%====================================================================

%% @doc The LINKTYPE_ value a file stores for a DLT_ value, as libpcap's
%% dlt_to_linktype() on Linux: the values that differ between platforms
%% get their own LINKTYPE_ numbers; the others are the same number.
-spec dlt_to_linktype(non_neg_integer()) -> non_neg_integer().
dlt_to_linktype(DLT) ->
    case lists:keyfind(DLT, 1, dlt_map()) of
        {DLT, LT} -> LT;
        false -> DLT
    end.

%% @doc The DLT_ value libpcap on Linux gives for a file's LINKTYPE_ value
%% (what epcap delivers when it reads the file).
-spec linktype_to_dlt(non_neg_integer()) -> non_neg_integer().
linktype_to_dlt(LT) ->
    case lists:keyfind(LT, 2, dlt_map()) of
        {DLT, LT} -> DLT;
        false -> LT
    end.

%% {DLT_ on Linux, LINKTYPE_}: libpcap's pcap-common.c map, for the
%% values that are not equal.
dlt_map() ->
    [{11, 100},   % ATM_RFC1483
     {12, 101},   % RAW
     {15, 102},   % SLIP_BSDOS
     {16, 103},   % PPP_BSDOS
     {19, 106}].  % ATM_CLIP

%%====================================================================
%% Helpers
%%====================================================================

block(E, Type, Body) ->
    Total = iolist_size(Body) + 12,
    Len = u32(E, Total),
    [u32(E, Type), Len, Body, Len].

options(_, []) -> [];
options(E, Opts) -> [Opts, u16(E, ?OPT_ENDOFOPT), u16(E, 0)].

opt(E, Code, Value) ->
    Len = iolist_size(Value),
    Len =< 16#FFFF orelse erlang:error(badarg, [E, Code, Value]),
    [u16(E, Code), u16(E, Len), Value, pad(Len)].

comments(E, #{comment := C}) ->
    [opt(E, ?OPT_COMMENT, text(T)) || T <- comment_list(C)];
comments(_, _) ->
    [].

%% One comment (a string or binary) or several (a list of them).
comment_list(C) when is_binary(C) -> [C];
comment_list([]) -> [];
comment_list([H | _] = C) when is_integer(H) -> [C];
comment_list(Cs) when is_list(Cs) -> Cs.

strings(E, Map, Codes) ->
    [opt(E, Code, text(V)) || {Key, Code} <- Codes, #{Key := V} <- [Map]].

text(T) ->
    case unicode:characters_to_binary(T) of
        B when is_binary(B) -> B;
        _ -> erlang:error(badarg, [T])
    end.

pad(Len) ->
    case Len rem 4 of
        0 -> <<>>;
        R -> <<0:((4 - R) * 8)>>
    end.

u16(little, X) -> <<X:16/little>>;
u16(big, X) -> <<X:16/big>>.

u32(little, X) -> <<X:32/little>>;
u32(big, X) -> <<X:32/big>>.

u64(little, X) -> <<X:64/little>>;
u64(big, X) -> <<X:64/big>>.

i64(little, X) -> <<X:64/little-signed>>;
i64(big, X) -> <<X:64/big-signed>>.
