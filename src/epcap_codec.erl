%% @doc Pure codec for the epcap port protocol (doc/PROTOCOL.md).
%%
%% Frames arrive from the port already stripped of their 4-byte length
%% by `{packet, 4}'. Nothing here does I/O; every function is tested from
%% literal binaries. The numbers come from include/epcap_proto.hrl, which
%% is generated from the C header c_src/epcap_proto.h.
-module(epcap_codec).

-include("epcap_proto.hrl").

-export([
    decode/1,
    packets/4,
    send_packets/5,
    ifpackets/4,
    batch/4,
    ifbatch/4,
    records/6,
    batch_count/1,
    batch_fold/3,
    batch_to_list/1,
    encode_command/3,
    stats/1,
    ifstats/1,
    batch_reply/1,
    error_code/1,
    exit_reason/1
]).

-export_type([frame/0, ready/0, datalink/0, time_unit/0, precision/0,
              message/0, command/0, batch/0, interface/0, if_message/0,
              ifstats/0]).

-type command() :: stop | inject | inject_batch | filter | stats | credit
                   | ifstats.

-type precision() :: 6 | 9.
-type time_unit() :: timestamp | microsecond | nanosecond.
-type ready() :: #{
    version := non_neg_integer(),
    datalink := non_neg_integer(),
    snaplen := non_neg_integer(),
    precision := precision(),
    source := live | file,
    start := start(),
    uid := non_neg_integer(),
    gid := non_neg_integer(),
    chroot := boolean(),
    inject := boolean(),
    name := binary(),
    %% Added by the start (epcap_spawn), not the frame: the INTERFACE
    %% frames that follow READY for live interfaces.
    interfaces => [interface()]
}.
-type start() :: unprivileged | root | sudo | setuid | file_capabilities.
-type frame() ::
    {ready, ready()}
    | {ready_version, non_neg_integer()}
    | {packets, binary()}
    | eof
    | {error, atom(), boolean(), string()}
    | {warning, atom(), string()}
    | {reply, non_neg_integer(), ok | atom(), binary()}
    | {interface, interface()}
    | {datalink, non_neg_integer()}
    | {ifpackets, binary()}
    | {datalinks, [datalink()]}.
%% A link type -L offers: number, name, description.
-type datalink() :: {non_neg_integer(), string(), string()}.
%% What an INTERFACE frame says (`{interface_info, true}'): `tsresol' is
%% the interface's own if_tsresol byte (6: µs, 9: ns, 16#80 bor N: 2^-N);
%% the packets' stamps are in the unit the owner asked for all the same.
-type interface() :: #{
    index := non_neg_integer(),
    datalink := non_neg_integer(),
    snaplen := non_neg_integer(),
    tsresol := byte(),
    name := binary(),
    description := binary(),
    filter := binary()
}.
%% A packet with the index of its interface (`{interface_info, true}').
-type if_message() ::
    {packet, non_neg_integer(), erlang:timestamp() | non_neg_integer(),
        non_neg_integer(), binary(), non_neg_integer()}.
-type message() ::
    {packet, non_neg_integer(), erlang:timestamp() | non_neg_integer(),
        non_neg_integer(), binary()}.

%% @doc Decode one frame from the port. Raises `{bad_frame, Frame}' for
%% anything the protocol does not allow: garbage from the port is a crash.
-spec decode(binary()) -> frame().
decode(<<?EPCAP_FRAME_PACKETS, Records/binary>>) ->
    {packets, Records};
decode(<<?EPCAP_FRAME_READY, Version:16, _/binary>>) when
    Version =/= ?EPCAP_PROTOCOL_VERSION
->
    %% Another port's layout: only the version is known to be there.
    {ready_version, Version};
decode(<<?EPCAP_FRAME_READY, Version:16, DLT:32, Snaplen:32, Prec:8, Source:8,
        Start:8, Uid:32, Gid:32, Flags:8, Name/binary>>) when
    (Prec =:= 6 orelse Prec =:= 9), Flags < 4
->
    {ready, #{
        version => Version,
        datalink => DLT,
        snaplen => Snaplen,
        precision => Prec,
        source => source(Source),
        start => start(Start),
        uid => Uid,
        gid => Gid,
        chroot => Flags band ?EPCAP_READY_CHROOT =/= 0,
        inject => Flags band ?EPCAP_READY_INJECT =/= 0,
        name => Name
    }};
decode(<<?EPCAP_FRAME_IFPACKETS, Records/binary>>) ->
    {ifpackets, Records};
decode(<<?EPCAP_FRAME_DATALINK, DLT:32>>) ->
    {datalink, DLT};
decode(<<?EPCAP_FRAME_INTERFACE, Index:32, DLT:32, Snaplen:32, Resol:8,
         NL:16, Name:NL/binary, DL:16, Descr:DL/binary,
         FL:16, Filter:FL/binary>>) ->
    {interface, #{index => Index, datalink => DLT, snaplen => Snaplen,
                  tsresol => Resol, name => Name, description => Descr,
                  filter => Filter}};
decode(<<?EPCAP_FRAME_EOF>>) ->
    eof;
decode(<<?EPCAP_FRAME_ERROR, Code:16, Fatal:8, Msg/binary>>) ->
    {error, error_code(Code), Fatal =:= 1, text(Msg)};
decode(<<?EPCAP_FRAME_WARNING, Code:16, Msg/binary>>) ->
    {warning, error_code(Code), text(Msg)};
decode(<<?EPCAP_FRAME_REPLY, Id:32, Code:16, Body/binary>>) ->
    Status =
        case Code of
            0 -> ok;
            _ -> error_code(Code)
        end,
    {reply, Id, Status, Body};
decode(<<?EPCAP_FRAME_DATALINKS, Records/binary>>) ->
    {datalinks, datalinks(Records)};
decode(Frame) ->
    erlang:error({bad_frame, Frame}).

datalinks(<<N:32, NL:16, Name:NL/binary, DL:16, Desc:DL/binary, R/binary>>) ->
    [{N, text(Name), text(Desc)} | datalinks(R)];
datalinks(<<>>) -> [];
datalinks(Bad) -> erlang:error({bad_frame, {datalinks, Bad}}).

start(?EPCAP_START_PLAIN) -> unprivileged;
start(?EPCAP_START_ROOT) -> root;
start(?EPCAP_START_SUDO) -> sudo;
start(?EPCAP_START_SETUID) -> setuid;
start(?EPCAP_START_FILE_CAPS) -> file_capabilities;
start(N) -> erlang:error({bad_frame, {start, N}}).

source(?EPCAP_SOURCE_LIVE) -> live;
source(?EPCAP_SOURCE_FILE) -> file;
source(N) -> erlang:error({bad_frame, {source, N}}).

text(Bin) ->
    case unicode:characters_to_list(Bin) of
        L when is_list(L) -> L;
        _ -> binary_to_list(Bin)
    end.

%% @doc Decode the records of a PACKETS frame into the classic messages
%% `{packet, DataLinkType, Time, Length, Packet}', in capture order.
%% `Precision' is the READY frame's: 6 (fraction in microseconds) or 9
%% (nanoseconds). Each packet is a sub-binary of the frame: no copy.
-spec packets(binary(), non_neg_integer(), time_unit(), precision()) ->
    [message()].
packets(<<S:64, F:32, C:32, L:32, P:C/binary, R/binary>>, D, U, Pr) ->
    [{packet, D, time(S, F, U, Pr), L, P} | packets(R, D, U, Pr)];
packets(<<>>, _, _, _) -> [];
packets(Bad, _, _, _) -> erlang:error({bad_frame, {packets, Bad}}).

%% @doc Send the records of a PACKETS frame to `Pid' as the messages of
%% {@link packets/4}, in capture order, each as it is decoded: no list is
%% built. Returns how many. A bad record raises `{bad_frame, _}' once the
%% good ones before it have gone.
-spec send_packets(pid(), binary(), non_neg_integer(), time_unit(),
                   precision()) -> non_neg_integer().
send_packets(Pid, Records, D, U, Pr) ->
    send(Pid, Records, D, U, Pr, 0).

send(Pid, <<S:64, F:32, C:32, L:32, P:C/binary, R/binary>>, D, U, Pr, N) ->
    Pid ! {packet, D, time(S, F, U, Pr), L, P},
    send(Pid, R, D, U, Pr, N + 1);
send(_, <<>>, _, _, _, N) -> N;
send(_, Bad, _, _, _, _) -> erlang:error({bad_frame, {packets, Bad}}).

%% @doc Decode the records of an IFPACKETS frame (`{interface_info,
%% true}') into `{packet, DataLinkType, Time, Length, Packet, IfIndex}',
%% in capture order; `DLTs' maps each interface index to its link type,
%% as the INTERFACE frames said. A record of an interface no INTERFACE
%% frame described is a protocol violation.
-spec ifpackets(binary(), #{non_neg_integer() => non_neg_integer()},
                time_unit(), precision()) -> [if_message()].
ifpackets(<<S:64, F:32, C:32, L:32, I:32, P:C/binary, R/binary>>, Ds, U, Pr) ->
    [{packet, if_dlt(I, Ds), time(S, F, U, Pr), L, P, I}
     | ifpackets(R, Ds, U, Pr)];
ifpackets(<<>>, _, _, _) -> [];
ifpackets(Bad, _, _, _) -> erlang:error({bad_frame, {ifpackets, Bad}}).

if_dlt(I, Ds) ->
    case Ds of
        #{I := D} -> D;
        _ -> erlang:error({bad_frame, {no_interface, I}})
    end.

%% The time stamp in the owner's unit, from seconds and a fraction in
%% the port's precision (6 or 9 digits).
time(S, F, timestamp, 9) -> {S div 1000000, S rem 1000000, F div 1000};
time(S, F, timestamp, 6) -> {S div 1000000, S rem 1000000, F};
time(S, F, microsecond, 9) -> S * 1000000 + F div 1000;
time(S, F, microsecond, 6) -> S * 1000000 + F;
time(S, F, nanosecond, 9) -> S * 1000000000 + F;
time(S, F, nanosecond, 6) -> S * 1000000000 + F * 1000.

%% @doc A PACKETS frame kept whole, for `{delivery, batch}': one message
%% to the owner carries every record, and the owner decodes them with
%% {@link batch_fold/3} or {@link batch_to_list/1}. The records are
%% checked here, in the epcap process, so a bad frame crashes it and not
%% the owner. Treat the term as opaque.
-type batch() :: {epcap_batch,
                  non_neg_integer() | #{non_neg_integer() => non_neg_integer()},
                  time_unit(), precision(), non_neg_integer(), binary()}.

-spec batch(binary(), non_neg_integer(), time_unit(), precision()) -> batch().
batch(Records, DLT, Unit, Prec) ->
    {epcap_batch, DLT, Unit, Prec, count(Records, 0), Records}.

count(<<_:96, C:32, _:32, _:C/binary, R/binary>>, N) -> count(R, N + 1);
count(<<>>, N) -> N;
count(Bad, _) -> erlang:error({bad_frame, {packets, Bad}}).

%% @doc An IFPACKETS frame kept whole, as {@link batch/4} keeps PACKETS:
%% its packets come out of {@link batch_fold/3} and {@link
%% batch_to_list/1} with their interface index.
-spec ifbatch(binary(), #{non_neg_integer() => non_neg_integer()},
              time_unit(), precision()) -> batch().
ifbatch(Records, DLTs, Unit, Prec) ->
    {epcap_batch, DLTs, Unit, Prec, ifcount(Records, DLTs, 0), Records}.

ifcount(<<_:96, C:32, _:32, I:32, _:C/binary, R/binary>>, Ds, N) ->
    _ = if_dlt(I, Ds),
    ifcount(R, Ds, N + 1);
ifcount(<<>>, _, N) -> N;
ifcount(Bad, _, _) -> erlang:error({bad_frame, {ifpackets, Bad}}).

%% @doc The records of a PACKETS or IFPACKETS frame as the owner takes
%% them: a list of messages (`packet') or one batch (`batch'). `Links'
%% is the link type (PACKETS) or each interface's (IFPACKETS).
-spec records(packets | ifpackets, packet | batch, binary(),
              non_neg_integer() | #{non_neg_integer() => non_neg_integer()},
              time_unit(), precision()) ->
    [message()] | [if_message()] | batch().
records(packets, packet, R, D, U, P) -> packets(R, D, U, P);
records(packets, batch, R, D, U, P) -> batch(R, D, U, P);
records(ifpackets, packet, R, Ds, U, P) -> ifpackets(R, Ds, U, P);
records(ifpackets, batch, R, Ds, U, P) -> ifbatch(R, Ds, U, P).

%% @doc How many packets a batch holds.
-spec batch_count(batch()) -> non_neg_integer().
batch_count({epcap_batch, _, _, _, N, _}) -> N.

%% @doc The packets of a batch as the classic messages, in capture order.
-spec batch_to_list(batch()) -> [message() | if_message()].
batch_to_list({epcap_batch, DLTs, Unit, Prec, _, Records}) when is_map(DLTs) ->
    ifpackets(Records, DLTs, Unit, Prec);
batch_to_list({epcap_batch, DLT, Unit, Prec, _, Records}) ->
    packets(Records, DLT, Unit, Prec).

%% @doc Fold over the packets of a batch in capture order; `Fun' gets
%% each as the classic message `{packet, DataLinkType, Time, Length,
%% Packet}'. No list is built, so this is the fastest way through.
-spec batch_fold(fun((message() | if_message(), Acc) -> Acc), Acc, batch()) -> Acc.
batch_fold(Fun, Acc, {epcap_batch, DLTs, Unit, Prec, _, Records}) when is_map(DLTs) ->
    lists:foldl(Fun, Acc, ifpackets(Records, DLTs, Unit, Prec));
batch_fold(Fun, Acc, {epcap_batch, DLT, Unit, Prec, _, Records}) ->
    fold(Fun, Acc, Records, DLT, Unit, Prec).

fold(Fun, Acc, <<S:64, F:32, C:32, L:32, P:C/binary, R/binary>>, D, U, Pr) ->
    fold(Fun, Fun({packet, D, time(S, F, U, Pr), L, P}, Acc), R, D, U, Pr);
fold(_, Acc, <<>>, _, _, _) ->
    Acc.

%% @doc Encode a command for the port; `{packet, 4}' adds the length.
%% `inject_batch' takes a list of packets and prefixes each with its size.
-spec encode_command(command(), non_neg_integer(), term()) -> iodata().
encode_command(stop, Id, _) ->
    <<?EPCAP_CMD_STOP, Id:32>>;
encode_command(inject, Id, Packet) ->
    [<<?EPCAP_CMD_INJECT, Id:32>> | Packet];
encode_command(inject_batch, Id, Packets) ->
    [<<?EPCAP_CMD_INJECT_BATCH, Id:32>> |
        [[<<(iolist_size(P)):32>> | P] || P <- Packets]];
encode_command(filter, Id, Expr) ->
    [<<?EPCAP_CMD_FILTER, Id:32>> | Expr];
encode_command(stats, Id, _) ->
    <<?EPCAP_CMD_STATS, Id:32>>;
encode_command(credit, Id, N) ->
    <<?EPCAP_CMD_CREDIT, Id:32, N:32>>;
encode_command(ifstats, Id, _) ->
    <<?EPCAP_CMD_IFSTATS, Id:32>>.

%% @doc Decode the body of a STATS reply. The libpcap counters are left
%% out when the port has none (a capture file).
-spec stats(binary()) -> #{atom() => non_neg_integer()}.
stats(<<Flags:8, Recv:64, Drop:64, IfDrop:64, Delivered:64, Bytes:64,
        Injected:64, InjectFailed:64, CreditStalls:64, OutputStalls:64,
        FilterChanges:64>>) ->
    Own = #{
        delivered => Delivered,
        delivered_bytes => Bytes,
        injected => Injected,
        inject_failed => InjectFailed,
        credit_stalls => CreditStalls,
        output_stalls => OutputStalls,
        filter_changes => FilterChanges
    },
    case Flags band 1 of
        1 -> Own#{received => Recv, dropped => Drop, ifdropped => IfDrop};
        0 -> Own
    end;
stats(Bad) ->
    erlang:error({bad_frame, {stats, Bad}}).

%% One interface's counters in an IFSTATS reply. `counters' says whether
%% libpcap's three are its own (a capture file's interfaces have none:
%% they come as 0).
-type ifstats() :: #{index := non_neg_integer(), counters := boolean(),
                     received := non_neg_integer(),
                     dropped := non_neg_integer(),
                     ifdropped := non_neg_integer(),
                     delivered := non_neg_integer()}.

%% @doc Decode the body of an IFSTATS reply: one record per interface,
%% in index order.
-spec ifstats(binary()) -> [ifstats()].
ifstats(<<Record:?EPCAP_IFSTATS_RECORD/binary, Rest/binary>>) ->
    <<I:32, Flags:8, Recv:64, Drop:64, IfDrop:64, Delivered:64>> = Record,
    [#{index => I, counters => Flags band 1 =:= 1, received => Recv,
       dropped => Drop, ifdropped => IfDrop, delivered => Delivered}
     | ifstats(Rest)];
ifstats(<<>>) ->
    [];
ifstats(Bad) ->
    erlang:error({bad_frame, {ifstats, Bad}}).

%% @doc Decode the body of an INJECT_BATCH reply.
-spec batch_reply(binary()) ->
    {Sent :: non_neg_integer(), Failed :: non_neg_integer(), string()}.
batch_reply(<<Sent:32, Failed:32, Msg/binary>>) ->
    {Sent, Failed, text(Msg)};
batch_reply(Bad) ->
    erlang:error({bad_frame, {inject_batch, Bad}}).

%% @doc The atom for a protocol error code (`unknown' plus the number for
%% a code this side does not know, so a newer port never crashes us).
-spec error_code(non_neg_integer()) -> atom() | {unknown, non_neg_integer()}.
error_code(Code) ->
    case lists:keyfind(Code, 1, ?EPCAP_ERRORS) of
        {Code, Atom} -> Atom;
        false -> {unknown, Code}
    end.

%% @doc What the port's exit status means: `normal', an atom for a
%% documented exit code, `{signal, Name}' for a signal, or `{status, N}'.
-spec exit_reason(non_neg_integer()) ->
    normal | atom() | {signal, atom() | non_neg_integer()}
    | {status, non_neg_integer()}.
exit_reason(Status) when Status > 128, Status =< 128 + 64 ->
    {signal, signal_name(Status - 128)};
exit_reason(Status) ->
    case lists:keyfind(Status, 1, ?EPCAP_EXITS) of
        {Status, Atom} -> Atom;
        false -> {status, Status}
    end.

signal_name(1) -> sighup;
signal_name(2) -> sigint;
signal_name(3) -> sigquit;
signal_name(4) -> sigill;
signal_name(6) -> sigabrt;
signal_name(7) -> sigbus;
signal_name(8) -> sigfpe;
signal_name(9) -> sigkill;
signal_name(11) -> sigsegv;
signal_name(13) -> sigpipe;
signal_name(14) -> sigalrm;
signal_name(15) -> sigterm;
signal_name(24) -> sigxcpu;
signal_name(25) -> sigxfsz;
signal_name(31) -> sigsys;
signal_name(N) -> N.
