%% @doc Write capture files from Erlang: pcap and pcapng, from the
%% packets epcap delivers, from its batches, or from plain binaries (the
%% role of scapy's `wrpcap' and gopacket's `pcapgo').
%%
%% ```
%% {ok, Ref} = epcap:start_link([{interface, "eth0"}]),
%% {ok, W0} = epcap_file:open("out.pcapng", [{comment, "edge, 5 minutes"}]),
%% loop(W0).
%%
%% loop(W) ->
%%     receive
%%         {packet, _, _, _, _} = P ->
%%             {ok, W1} = epcap_file:write(W, P),
%%             loop(W1);
%%         stop ->
%%             epcap_file:close(W)
%%     end.
%% '''
%%
%% The handle is a plain value over a raw file, owned by the process that
%% opened it (no process of its own): only that process may write to it or
%% close it (others get `{error, not_owner}'), and the file is closed when
%% it exits. {@link write/2} and {@link add_interface/2} return the handle
%% to use next, as the interfaces of a pcapng file grow with the link
%% types it meets. Writes are buffered (`delayed_write', in the file, not
%% in the handle: a packet written with an older handle is not lost):
%% {@link close/1} writes out the rest and reports any error.
%%
%% What can be written (alone or in a list, with {@link write/2}):
%% <ul>
%% <li>`{packet, DataLinkType, Time, Length, Packet}', as epcap delivers it;</li>
%% <li>a batch (`{delivery, batch}'), or the whole `{epcap_batch, Ref, Batch}'
%%     message;</li>
%% <li>a binary: the packet as sent, time stamped now, on the file's
%%     default link type;</li>
%% <li>`{Item, PacketOptions}': one of the above with per-packet options:
%%     `interface' (the pcapng interface id), `comment' (one string or a
%%     list of them), `flags', `dropcount', `packet_id', `queue' (pcapng
%%     only: a pcap file refuses them), and, for a binary, `time', `len'
%%     and `dlt'.</li>
%% </ul>
%% {@link write/3} gives options for every packet of the items.
%%
%% `Time' is what epcap delivers: `{MegaSecs, Secs, MicroSecs}', or an
%% integer in the unit given to {@link open/2} as `{time_unit,
%% microsecond | nanosecond}' (default microsecond: give the same
%% `time_unit' as to epcap). Batches carry their own unit. A packet longer
%% than its interface's snap length is cut to it, `Length' (the length on
%% the wire) kept; a packet longer than its `Length' is refused.
%%
%% Link types are libpcap's DLT_ values, as epcap delivers them; the file
%% stores the LINKTYPE_ values ({@link epcap_pcap_enc:dlt_to_linktype/1}:
%% raw IP, DLT 12, is stored as 101). A pcap file has one link type: the
%% `dlt' (or `linktype') given to {@link open/2}, else that of the first
%% packet written. A pcapng packet goes on the interface given in its
%% options, else on the first interface of its link type, which is added
%% when there is none.
%%
%% Errors are `{error, Reason}': `{file, Path, Posix}' from the file
%% system (`enoent', `eacces', `enospc', ...), `{file, Path, Why}' for a
%% file that cannot be appended to (`not_a_capture_file',
%% `{truncated, Offset}', `{format, Actual}', `{version, Major, Minor}'),
%% `{badarg, What}' for a bad option or item, `{datalink, DLT, FileDLT}'
%% for a packet a pcap file of another link type cannot hold,
%% `{pcapng_only, Option}' and `not_owner'. A refused write writes nothing
%% of what it was given.
-module(epcap_file).

-export([open/2, add_interface/2, write/2, write/3, close/1, close/2,
         write_file/3, info/1]).

-export_type([writer/0, option/0, interface_option/0, item/0,
              packet_option/0]).

-record(epcap_file, {
    fd :: file:io_device() | undefined,
    path :: file:filename_all(),
    owner :: pid(),
    format :: pcap | pcapng,
    endian :: epcap_pcap_enc:endian(),
    time_unit :: microsecond | nanosecond,
    %% Defaults for interfaces added on the way, and for a pcap file.
    resolution :: epcap_pcap_enc:resolution(),
    snaplen :: non_neg_integer(),
    dlt :: non_neg_integer() | undefined,
    %% pcap: whether the header is out (it waits for the first link type).
    header :: boolean(),
    %% pcapng: interface id => interface; DLT => first interface id.
    interfaces = #{} :: #{non_neg_integer() => iface()},
    by_dlt = #{} :: #{non_neg_integer() => non_neg_integer()}
}).

-opaque writer() :: #epcap_file{}.

-type iface() :: #{dlt := non_neg_integer(), snaplen := non_neg_integer(),
                   resolution := epcap_pcap_enc:resolution(),
                   tsoffset := integer()}.

-type text() :: unicode:chardata().

-type option() ::
    {format, pcap | pcapng}
    | {mode, write | append}
    | {time_unit, microsecond | nanosecond}
    | {resolution, micro | nano}
    | {snaplen, non_neg_integer()}
    | {dlt, 0..16#FFFF}
    | {linktype, 0..16#FFFF}
    | {endian, little | big}
    | {interfaces, [[interface_option()] | map()]}
    | {comment, text() | [text()]}
    | {os, text()}
    | {hardware, text()}
    | {application, text()}.
%% `format': default pcapng for a name ending in `.pcapng', pcap
%% otherwise (appending: the file's). `mode': `write' (default) makes the
%% file afresh; `append' adds to an existing file of either format, in its
%% byte order, resolution and link type (pcap) or on its last section's
%% interfaces (pcapng), and makes it if it is missing or empty (the
%% section's options, `endian', `resolution' and `snaplen' given are the
%% file's then; `interfaces' given are added to it).
%% `resolution' of the time stamps: default nano with `{time_unit,
%% nanosecond}', micro otherwise. `snaplen': default 262144 (pcapng: 0 is
%% no limit). `dlt' (or `linktype', the value the file stores): the pcap
%% file's link type, or the default for binaries. `endian': default the
%% machine's. pcapng only: `interfaces' to declare at the start (ids
%% 0, 1, ... in that order), and the section's `comment', `os' (default
%% this system's), `hardware', `application' (default epcap and its
%% version).

-type interface_option() ::
    {dlt, 0..16#FFFF} | {linktype, 0..16#FFFF} | {snaplen, non_neg_integer()}
    | {resolution, micro | nano} | {name, text()} | {description, text()}
    | {filter, text()} | {os, text()} | {hardware, text()}
    | {comment, text() | [text()]}.
%% The link type (`dlt', or `linktype' as stored; default the file's),
%% `snaplen' and `resolution' (default the file's), then what the
%% Interface Description Block says of it. The map that {@link epcap:info/1}
%% returns is accepted as it is: `datalink', `precision' (6 or 9) and
%% `name' are used, its other keys ignored.

-type packet_option() ::
    {interface, non_neg_integer()} | {comment, text() | [text()]}
    | {flags, 0..16#FFFFFFFF} | {dropcount, non_neg_integer()}
    | {packet_id, non_neg_integer()} | {queue, 0..16#FFFFFFFF}
    | {time, erlang:timestamp() | non_neg_integer()}
    | {len, non_neg_integer()} | {dlt, 0..16#FFFF}.

-type item() ::
    epcap_codec:message() | epcap_codec:batch()
    | {epcap_batch, reference() | pid(), epcap_codec:batch()}
    | binary()
    | {epcap_codec:message() | epcap_codec:batch() | binary(),
       [packet_option()] | map()}.

-define(DEFAULT_SNAPLEN, 262144).
-define(DEFAULT_DLT, 1).
%% Keys of epcap:info/1 that say nothing about the interface in a file.
-define(INFO_KEYS, [version, source, start, uid, gid, chroot, inject, os_pid]).

%%====================================================================
%% API
%%====================================================================

%% @doc Open `Path' for writing a capture file, for the calling process.
%% See {@link option()}. A pcapng file gets its Section Header Block and
%% the declared interfaces now; a pcap file its header once its link type
%% is known (at the latest when it is closed).
-spec open(file:filename_all(), [option()] | map()) ->
    {ok, writer()} | {error, term()}.
open(Path, Options) ->
    try
        Opts = options(Options, fun file_option/2),
        Mode = maps:get(mode, Opts, write),
        Unit = maps:get(time_unit, Opts, microsecond),
        W = #epcap_file{
               path = Path, owner = self(),
               format = maps:get(format, Opts, format_of(Path)),
               endian = maps:get(endian, Opts, erlang:system_info(endian)),
               time_unit = Unit,
               resolution = maps:get(resolution, Opts, default_resolution(Unit)),
               snaplen = maps:get(snaplen, Opts, ?DEFAULT_SNAPLEN),
               dlt = maps:get(dlt, Opts, undefined),
               header = false},
        W#epcap_file.format =:= pcap andalso pcap_options(Opts),
        open_mode(Mode, W, Opts)
    catch
        throw:{error, _} = Error -> Error
    end.

%% @doc Add an interface to a pcapng file: `{ok, Id, Writer}'. Packets
%% go on it with the packet option `{interface, Id}', and, if it is the
%% first of its link type, by default.
-spec add_interface(writer(), [interface_option()] | map()) ->
    {ok, non_neg_integer(), writer()} | {error, term()}.
add_interface(#epcap_file{format = pcap}, _) ->
    {error, {pcapng_only, interfaces}};
add_interface(#epcap_file{} = W, Options) ->
    try
        owner(W),
        {Id, W1, Block} = new_interface(W, Options),
        {ok, Id, put_bytes(W1, Block)}
    catch
        throw:{error, _} = Error -> Error
    end.

%% @equiv write(Writer, Items, [])
-spec write(writer(), item() | [item()]) -> {ok, writer()} | {error, term()}.
write(W, Items) ->
    write(W, Items, #{}).

%% @doc Write packets, with `PacketOptions' for each that has none of
%% its own (`{Item, Options}' items merge theirs over these). Either all
%% are written, or none and `{error, Reason}'.
-spec write(writer(), item() | [item()], [packet_option()] | map()) ->
    {ok, writer()} | {error, term()}.
write(#epcap_file{} = W, Items, PacketOptions) ->
    try
        owner(W),
        Defaults = options(PacketOptions, fun packet_option/2),
        {W1, Data} = encode_items(W, Items, Defaults),
        {ok, put_bytes(W1, Data)}
    catch
        throw:{error, _} = Error -> Error
    end.

%% @doc Close the file, writing out what is buffered (and a pcap file's
%% header when nothing was written).
-spec close(writer()) -> ok | {error, term()}.
close(W) ->
    close(W, #{}).

%% @doc Close a pcapng file with an Interface Statistics Block for each
%% interface in `Statistics' (`#{Id => Counters}' or `[{Id, Counters}]'),
%% as dumpcap ends its files. `Counters' is {@link epcap:stats/1}'s map
%% (`received', `dropped', `ifdropped', `delivered') or pcapng's names
%% (`ifrecv', `ifdrop', `osdrop', `usrdeliv', `filteraccept'), with
%% `starttime' and `endtime' as packet times and `comment'
%% ({@link epcap_pcap_enc:statistics()}). Statistics for a pcap file, or
%% for an interface it does not have, are refused before anything is
%% done: the file stays open.
-spec close(writer(), #{non_neg_integer() => map()}
            | [{non_neg_integer(), map()}]) -> ok | {error, term()}.
close(#epcap_file{} = W, Statistics) ->
    try
        owner(W),
        Blocks = statistics(W, Statistics),
        #epcap_file{fd = Fd, path = Path} = W,
        %% The file is closed even when the last bytes cannot be written.
        Written = try put_bytes(pcap_header(W, ?DEFAULT_DLT), Blocks) of
                      _ -> ok
                  catch
                      throw:{error, _} = Failed -> Failed
                  end,
        case {Written, file:close(Fd)} of
            {ok, ok} -> ok;
            {ok, {error, Why}} -> {error, {file, Path, Why}};
            {NotWritten, _} -> NotWritten
        end
    catch
        throw:{error, _} = Error -> Error
    end.

%% @doc Write a whole capture file at once, as scapy's `wrpcap': open,
%% write `Items', close.
-spec write_file(file:filename_all(), item() | [item()], [option()] | map()) ->
    ok | {error, term()}.
write_file(Path, Items, Options) ->
    case open(Path, Options) of
        {ok, W} ->
            case write(W, Items) of
                {ok, W1} ->
                    close(W1);
                {error, _} = Error ->
                    _ = close(W),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc What the writer holds: `format', `path', `endian', `dlt' (pcap:
%% `undefined' until known), `snaplen' and `resolution' (pcap: the
%% file's; pcapng: for interfaces added on the way), and the `interfaces'
%% (pcapng: id => `dlt', `snaplen', `resolution', `tsoffset').
-spec info(writer()) -> map().
info(#epcap_file{} = W) ->
    #{format => W#epcap_file.format, path => W#epcap_file.path,
      endian => W#epcap_file.endian, dlt => W#epcap_file.dlt,
      snaplen => W#epcap_file.snaplen, resolution => W#epcap_file.resolution,
      interfaces => W#epcap_file.interfaces}.

%%====================================================================
%% Opening
%%====================================================================

format_of(Path) ->
    case string:lowercase(filename:extension(Path)) of
        Ext when Ext =:= ".pcapng"; Ext =:= <<".pcapng">>;
                 Ext =:= ".ntar"; Ext =:= <<".ntar">> -> pcapng;
        _ -> pcap
    end.

default_resolution(nanosecond) -> nano;
default_resolution(microsecond) -> micro.

%% Options a pcap file cannot hold, refused before the file is touched.
pcap_options(Opts) ->
    [throw({error, {pcapng_only, K}})
     || K <- [interfaces, comment, os, hardware, application], maps:is_key(K, Opts)],
    true.

open_mode(write, #epcap_file{path = Path} = W, Opts) ->
    Fd = file_call(Path, file:open(Path, [write, raw, binary, delayed_write])),
    closing_on_error(Fd, fun() -> start(W#epcap_file{fd = Fd}, Opts) end);
open_mode(append, #epcap_file{path = Path} = W, Opts) ->
    Fd = file_call(Path, file:open(Path, [read, append, raw, binary, delayed_write])),
    closing_on_error(
      Fd, fun() ->
                  case existing(Fd, W, Opts) of
                      new -> start(W#epcap_file{fd = Fd}, Opts);
                      W1 -> declare(W1#epcap_file{fd = Fd}, maps:get(interfaces, Opts, []))
                  end
          end).

closing_on_error(Fd, Fun) ->
    try
        Fun()
    catch
        throw:{error, _} = Error ->
            _ = file:close(Fd),
            throw(Error)
    end.

%% A new file: a pcapng file starts its section and declares its
%% interfaces; a pcap file writes its header now if its link type is given.
start(#epcap_file{format = pcapng, endian = E} = W, Opts) ->
    Section = maps:merge(#{os => os_name(), application => application()},
                         maps:with([comment, os, hardware, application], Opts)),
    declare(put_bytes(W, epcap_pcap_enc:shb(E, Section)),
            maps:get(interfaces, Opts, []));
start(#epcap_file{format = pcap} = W, Opts) ->
    pcap_options(Opts),
    case W#epcap_file.dlt of
        undefined -> {ok, W};
        DLT -> {ok, pcap_header(W, DLT)}
    end.

declare(W, []) ->
    {ok, W};
declare(#epcap_file{format = pcap}, [_ | _]) ->
    throw({error, {pcapng_only, interfaces}});
declare(W, [If | Rest]) ->
    {_, W1, Block} = new_interface(W, If),
    declare(put_bytes(W1, Block), Rest);
declare(_, Bad) ->
    throw({error, {badarg, {interfaces, Bad}}}).

os_name() ->
    Name = case os:type() of
               {unix, linux} -> "Linux";
               {_, Os} -> atom_to_list(Os)
           end,
    case os:version() of
        {Ma, Mi, Re} -> lists:concat([Name, " ", Ma, ".", Mi, ".", Re]);
        V when is_list(V) -> Name ++ " " ++ V
    end.

application() ->
    _ = application:load(epcap),
    case application:get_key(epcap, vsn) of
        {ok, Vsn} -> "epcap " ++ Vsn;
        undefined -> "epcap"
    end.

%%====================================================================
%% Appending: what the file holds, read block by block
%%====================================================================

existing(Fd, #epcap_file{path = Path} = W, Opts) ->
    Size = file_call(Path, file:position(Fd, eof)),
    case Size of
        0 -> new;
        _ -> existing(Fd, Size, W, Opts)
    end.

existing(Fd, Size, #epcap_file{path = Path} = W, Opts) ->
    Head = pread(Fd, Path, 0, min(Size, 24)),
    W1 = case Head of
             <<16#0A0D0D0A:32, _/binary>> -> pcapng_walk(Fd, Path, Size, 0, W, []);
             _ -> pcap_existing(Fd, Path, Size, Head, W)
         end,
    Format = W1#epcap_file.format,
    maps:get(format, Opts, Format) =:= Format
        orelse throw({error, {file, Path, {format, Format}}}),
    case {Format, Opts, W1#epcap_file.dlt} of
        {pcap, #{dlt := DLT}, FileDLT} when DLT =/= FileDLT ->
            throw({error, {datalink, DLT, FileDLT}});
        _ ->
            W1
    end.

pcap_existing(Fd, Path, Size, Head, W) ->
    {E, Res} = case Head of
                   <<16#A1B2C3D4:32/little, _/binary>> -> {little, micro};
                   <<16#A1B2C3D4:32/big, _/binary>> -> {big, micro};
                   <<16#A1B23C4D:32/little, _/binary>> -> {little, nano};
                   <<16#A1B23C4D:32/big, _/binary>> -> {big, nano};
                   _ -> throw({error, {file, Path, not_a_capture_file}})
               end,
    byte_size(Head) =:= 24 orelse throw({error, {file, Path, {truncated, 0}}}),
    {Snap, LT} = case E of
                     little -> <<_:16/binary, S:32/little, L:32/little>> = Head, {S, L};
                     big -> <<_:16/binary, S:32/big, L:32/big>> = Head, {S, L}
                 end,
    ok = pcap_walk(Fd, Path, Size, 24, E),
    W#epcap_file{format = pcap, endian = E, resolution = Res, snaplen = Snap,
                 dlt = epcap_pcap_enc:linktype_to_dlt(LT band 16#FFFF),
                 header = true}.

%% Every record must be whole, or what is appended would be misread.
pcap_walk(_, _, Size, Size, _) ->
    ok;
pcap_walk(Fd, Path, Size, Pos, E) when Pos + 16 =< Size ->
    Caplen = case {E, pread(Fd, Path, Pos, 16)} of
                 {little, <<_:8/binary, C:32/little, _:32>>} -> C;
                 {big, <<_:8/binary, C:32/big, _:32>>} -> C
             end,
    Next = Pos + 16 + Caplen,
    Next =< Size orelse throw({error, {file, Path, {truncated, Pos}}}),
    pcap_walk(Fd, Path, Size, Next, E);
pcap_walk(_, Path, _, Pos, _) ->
    throw({error, {file, Path, {truncated, Pos}}}).

%% The blocks of a pcapng file, each checked whole; what counts is the
%% last section: its byte order and its interfaces.
pcapng_walk(_, _, Size, Size, W, Ifs) ->
    lists:foldl(fun(If, Acc) -> add_iface(Acc, If) end,
                W#epcap_file{format = pcapng, interfaces = #{}, by_dlt = #{}},
                lists:reverse(Ifs));
pcapng_walk(Fd, Path, Size, Pos, W, Ifs) when Pos + 12 =< Size ->
    case pread(Fd, Path, Pos, 12) of
        <<16#0A0D0D0A:32, _:32, BOM:4/binary>> ->
            E = case BOM of
                    <<16#1A2B3C4D:32/little>> -> little;
                    <<16#1A2B3C4D:32/big>> -> big;
                    _ -> throw({error, {file, Path, not_a_capture_file}})
                end,
            Len = block(Fd, Path, Size, Pos, E),
            case pread(Fd, Path, Pos + 8, 8) of
                <<_:4/binary, 1:16/little, _/binary>> when E =:= little -> ok;
                <<_:4/binary, 1:16/big, _/binary>> when E =:= big -> ok;
                <<_:4/binary, Ma:2/binary, Mi:2/binary>> ->
                    throw({error, {file, Path, {version, u16(E, Ma), u16(E, Mi)}}})
            end,
            pcapng_walk(Fd, Path, Size, Pos + Len, W#epcap_file{endian = E}, []);
        _ when Pos =:= 0 ->
            throw({error, {file, Path, not_a_capture_file}});
        <<T:4/binary, _/binary>> ->
            E = W#epcap_file.endian,
            Len = block(Fd, Path, Size, Pos, E),
            Ifs1 = case u32(E, T) of
                       1 -> [idb(E, pread(Fd, Path, Pos + 8, Len - 12)) | Ifs];
                       _ -> Ifs
                   end,
            pcapng_walk(Fd, Path, Size, Pos + Len, W, Ifs1)
    end;
pcapng_walk(_, Path, _, Pos, _, _) ->
    throw({error, {file, Path, {truncated, Pos}}}).

%% A block's total length, once its two copies agree and it fits the
%% file (only those are read: a packet's bytes are skipped).
block(Fd, Path, Size, Pos, E) ->
    <<_:4/binary, L:4/binary>> = pread(Fd, Path, Pos, 8),
    Len = u32(E, L),
    (Len >= 12 andalso Len rem 4 =:= 0 andalso Pos + Len =< Size)
        orelse throw({error, {file, Path, {truncated, Pos}}}),
    u32(E, pread(Fd, Path, Pos + Len - 4, 4)) =:= Len
        orelse throw({error, {file, Path, {truncated, Pos}}}),
    Len.

idb(E, <<LT:2/binary, _:2/binary, Snap:4/binary, Opts/binary>>) ->
    idb_options(E, Opts, #{dlt => epcap_pcap_enc:linktype_to_dlt(u16(E, LT)),
                           snaplen => u32(E, Snap), resolution => micro,
                           tsoffset => 0}).

idb_options(E, <<C:2/binary, L:2/binary, Rest/binary>>, If) ->
    Len = u16(E, L),
    Pad = (4 - Len rem 4) rem 4,
    case Rest of
        <<V:Len/binary, _:Pad/binary, More/binary>> ->
            idb_options(E, More, idb_option(u16(E, C), E, V, If));
        _ ->
            If
    end;
idb_options(_, _, If) ->
    If.

idb_option(9, _, <<R>>, If) when R band 16#80 =:= 0 ->
    If#{resolution := resolution({decimal, R})};
idb_option(9, _, <<R>>, If) ->
    If#{resolution := {binary, R band 16#7F}};
idb_option(14, little, <<Off:64/little-signed>>, If) -> If#{tsoffset := Off};
idb_option(14, big, <<Off:64/big-signed>>, If) -> If#{tsoffset := Off};
idb_option(_, _, _, If) -> If.

resolution({decimal, 6}) -> micro;
resolution({decimal, 9}) -> nano;
resolution(R) -> R.

pread(Fd, Path, Pos, N) ->
    case file:pread(Fd, Pos, N) of
        {ok, Bin} when byte_size(Bin) =:= N -> Bin;
        {ok, _} -> throw({error, {file, Path, {truncated, Pos}}});
        eof -> throw({error, {file, Path, {truncated, Pos}}});
        {error, Why} -> throw({error, {file, Path, Why}})
    end.

u16(little, <<X:16/little>>) -> X;
u16(big, <<X:16/big>>) -> X.

u32(little, <<X:32/little>>) -> X;
u32(big, <<X:32/big>>) -> X.

%%====================================================================
%% Interfaces
%%====================================================================

new_interface(#epcap_file{endian = E} = W, Options) ->
    Opts = maps:without(?INFO_KEYS, options(Options, fun interface_option/2)),
    DLT = maps:get(dlt, Opts, default_dlt(W)),
    If = #{dlt => DLT,
           snaplen => maps:get(snaplen, Opts, W#epcap_file.snaplen),
           resolution => maps:get(resolution, Opts, W#epcap_file.resolution),
           tsoffset => 0},
    Id = map_size(W#epcap_file.interfaces),
    Block = epcap_pcap_enc:idb(
              E, maps:merge(maps:with([name, description, filter, os, hardware,
                                       comment], Opts),
                            (maps:without([dlt, tsoffset], If))#{
                              linktype => epcap_pcap_enc:dlt_to_linktype(DLT)})),
    {Id, add_iface(W, If), Block}.

add_iface(#epcap_file{interfaces = Ifs, by_dlt = ByDLT} = W, #{dlt := DLT} = If) ->
    Id = map_size(Ifs),
    W#epcap_file{interfaces = Ifs#{Id => If},
                 by_dlt = maps:merge(#{DLT => Id}, ByDLT)}.

default_dlt(#epcap_file{dlt = undefined}) -> ?DEFAULT_DLT;
default_dlt(#epcap_file{dlt = DLT}) -> DLT.

%% The interface a packet goes on: the one asked for (of the packet's
%% link type), else the first of its link type, added if there is none.
interface(#epcap_file{interfaces = Ifs} = W, DLT, #{interface := Id}) ->
    case Ifs of
        #{Id := #{dlt := DLT} = If} -> {Id, If, W, []};
        #{Id := #{dlt := Other}} -> throw({error, {datalink, DLT, Other}});
        _ -> throw({error, {badarg, {interface, Id}}})
    end;
interface(#epcap_file{interfaces = Ifs, by_dlt = ByDLT} = W, DLT, _) ->
    case ByDLT of
        #{DLT := Id} ->
            #{Id := If} = Ifs,
            {Id, If, W, []};
        _ ->
            {Id, W1, Block} = new_interface(W, #{dlt => DLT}),
            #{Id := If} = W1#epcap_file.interfaces,
            {Id, If, W1, Block}
    end.

%%====================================================================
%% Packets
%%====================================================================

%% Packet options travel as {All, Epb}: all of them, and those the
%% Enhanced Packet Block carries, split once per options given rather
%% than once per packet. A pcap file refuses the pcapng ones here.
-define(EPB_KEYS, [comment, flags, dropcount, packet_id, queue]).

packet_options(#epcap_file{format = Format}, Opts) ->
    Epb = maps:with(?EPB_KEYS, Opts),
    case Format of
        pcap ->
            [throw({error, {pcapng_only, K}})
             || K <- [interface | ?EPB_KEYS], maps:is_key(K, Opts)],
            {Opts, Epb};
        pcapng ->
            {Opts, Epb}
    end.

encode_items(W, Items, Defaults) when is_list(Items) ->
    Opts = packet_options(W, Defaults),
    lists:foldl(fun(Item, {WAcc, Out}) ->
                        {W2, Data} = encode_item(WAcc, Item, Opts),
                        {W2, [Out | Data]}
                end, {W, []}, Items);
encode_items(W, Item, Defaults) ->
    encode_item(W, Item, packet_options(W, Defaults)).

encode_item(W, {epcap_batch, _, {epcap_batch, _, _, _, _, _} = Batch}, Opts) ->
    encode_item(W, Batch, Opts);
encode_item(W, {epcap_batch, DLT, _Unit, Prec, _, Records}, Opts) ->
    %% The records' fraction is in the port's precision, whatever the
    %% unit the owner asked for.
    Ns = case Prec of
             9 -> 1;
             6 -> 1000
         end,
    batch(W, Records, DLT, Ns, Opts, []);
encode_item(W, {packet, DLT, Time, Len, Data}, Opts) when is_binary(Data) ->
    packet(W, DLT, Time, time(W, Time), Len, Data, Opts);
encode_item(W, Data, Opts) when is_binary(Data) ->
    binary(W, Data, Opts);
encode_item(W, {Item, Options}, {Defaults, _}) when is_list(Options); is_map(Options) ->
    Opts = packet_options(W, maps:merge(Defaults, options(Options, fun packet_option/2))),
    case Item of
        _ when is_binary(Item) -> binary(W, Item, Opts);
        {packet, _, _, _, _} -> encode_item(W, Item, Opts);
        {epcap_batch, _, _, _, _, _} -> encode_item(W, Item, Opts);
        {epcap_batch, _, _} -> encode_item(W, Item, Opts);
        _ -> throw({error, {badarg, {item, Item}}})
    end;
encode_item(_, Item, _) ->
    throw({error, {badarg, {item, Item}}}).

binary(W, Data, {All, _} = Opts) ->
    DLT = maps:get(dlt, All, default_dlt(W)),
    {Given, T} = case All of
                     #{time := Time} ->
                         {Time, time(W, Time)};
                     _ ->
                         Now = os:system_time(nanosecond),
                         {Now, {Now div 1000000000, Now rem 1000000000}}
                 end,
    packet(W, DLT, Given, T, maps:get(len, All, byte_size(Data)), Data, Opts).

%% A batch's records: u64 seconds, u32 fraction, u32 caplen, u32 length.
batch(W, <<S:64, F:32, C:32, L:32, P:C/binary, R/binary>>, DLT, Ns, Opts, Acc) ->
    T = {S, F * Ns},
    {W1, Data} = packet(W, DLT, T, T, L, P, Opts),
    batch(W1, R, DLT, Ns, Opts, [Acc | Data]);
batch(W, <<>>, _, _, _, Acc) ->
    {W, Acc};
batch(_, _, _, _, _, _) ->
    throw({error, {badarg, batch}}).

%% `T' is the time as {Seconds, Nanoseconds} (no bignums on the way);
%% `Given' is the time as given, for an error.
packet(W, DLT, Given, T, Len, Data, Opts) ->
    is_integer(DLT) andalso DLT >= 0 andalso DLT =< 16#FFFF
        orelse throw({error, {badarg, {dlt, DLT}}}),
    is_integer(Len) andalso Len >= byte_size(Data) andalso Len < 1 bsl 32
        orelse throw({error, {badarg, {len, Len}}}),
    record(W, DLT, Given, T, Len, Data, Opts).

record(#epcap_file{format = pcap, dlt = DLT, endian = E, resolution = R,
                   snaplen = Snap} = W, DLT, Given, {S, _} = T, Len, Data, _) ->
    S < 1 bsl 32 orelse throw({error, {badarg, {time, Given}}}),
    {W, epcap_pcap_enc:pcap_record(E, R, epcap_pcap_enc:units(T, R), Len,
                                   snap(Data, Snap))};
record(#epcap_file{format = pcap, header = false} = W, DLT, Given, T, Len, Data, Opts) ->
    record(pcap_header(W, DLT), DLT, Given, T, Len, Data, Opts);
record(#epcap_file{format = pcap, dlt = FileDLT}, DLT, _, _, _, _, _) ->
    throw({error, {datalink, DLT, FileDLT}});
record(#epcap_file{format = pcapng, endian = E} = W, DLT, Given, {S, N}, Len, Data,
       {All, Epb}) ->
    {Id, #{snaplen := Snap, resolution := R, tsoffset := Off}, W1, Block} =
        interface(W, DLT, All),
    S >= Off orelse throw({error, {badarg, {time, Given}}}),
    Units = epcap_pcap_enc:units({S - Off, N}, R),
    Units < 1 bsl 64 orelse throw({error, {badarg, {time, Given}}}),
    {W1, [Block | epcap_pcap_enc:epb(E, Id, Units, Len, snap(Data, Snap), Epb)]}.

%% The pcap header goes out with the first link type the file meets.
pcap_header(#epcap_file{format = pcap, header = false, endian = E, resolution = R,
                        snaplen = Snap} = W, Default) ->
    DLT = case W#epcap_file.dlt of
              undefined -> Default;
              D -> D
          end,
    Header = epcap_pcap_enc:pcap_header(
               #{endian => E, resolution => R, snaplen => Snap,
                 linktype => epcap_pcap_enc:dlt_to_linktype(DLT)}),
    put_bytes(W#epcap_file{header = true, dlt = DLT}, Header);
pcap_header(W, _) ->
    W.

snap(Data, 0) -> Data;
snap(Data, Snap) when byte_size(Data) > Snap -> binary_part(Data, 0, Snap);
snap(Data, _) -> Data.

%% A time as epcap delivers it, as {Seconds, Nanoseconds}.
time(_, {Mega, Sec, Micro}) when is_integer(Mega), is_integer(Sec),
                                 is_integer(Micro), Mega >= 0, Sec >= 0,
                                 Micro >= 0, Micro < 1000000 ->
    {Mega * 1000000 + Sec, Micro * 1000};
time(#epcap_file{time_unit = microsecond}, T) when is_integer(T), T >= 0 ->
    {T div 1000000, T rem 1000000 * 1000};
time(#epcap_file{time_unit = nanosecond}, T) when is_integer(T), T >= 0 ->
    {T div 1000000000, T rem 1000000000};
time(_, T) ->
    throw({error, {badarg, {time, T}}}).

%%====================================================================
%% Statistics
%%====================================================================

statistics(W, Stats) when is_map(Stats) ->
    statistics(W, maps:to_list(Stats));
statistics(_, []) ->
    [];
statistics(#epcap_file{format = pcap}, [_ | _]) ->
    throw({error, {pcapng_only, statistics}});
statistics(#epcap_file{endian = E, interfaces = Ifs} = W, Stats) when is_list(Stats) ->
    Now = os:system_time(nanosecond),
    [case {Ifs, Counters} of
         {#{Id := #{resolution := R, tsoffset := Off}}, #{}} ->
             ToUnits = fun({S, N}) -> epcap_pcap_enc:units({max(0, S - Off), N}, R) end,
             Times = maps:map(fun(_, T) -> ToUnits(time(W, T)) end,
                              maps:with([starttime, endtime], Counters)),
             epcap_pcap_enc:isb(E, Id, ToUnits({Now div 1000000000, Now rem 1000000000}), maps:merge(Counters, Times));
         _ ->
             throw({error, {badarg, {statistics, Id, Counters}}})
     end || {Id, Counters} <- lists:sort(Stats)];
statistics(_, Bad) ->
    throw({error, {badarg, {statistics, Bad}}}).

%%====================================================================
%% Options
%%====================================================================

options(Options, Check) when is_map(Options) ->
    options(maps:to_list(Options), Check);
options(Options, Check) when is_list(Options) ->
    maps:from_list([case Opt of
                        {K, V} -> Check(K, V);
                        _ -> throw({error, {badarg, Opt}})
                    end || Opt <- Options]);
options(Bad, _) ->
    throw({error, {badarg, Bad}}).

file_option(format, V) when V =:= pcap; V =:= pcapng -> {format, V};
file_option(mode, V) when V =:= write; V =:= append -> {mode, V};
file_option(time_unit, V) when V =:= microsecond; V =:= nanosecond -> {time_unit, V};
file_option(endian, V) when V =:= little; V =:= big -> {endian, V};
file_option(interfaces, V) when is_list(V) -> {interfaces, V};
file_option(K, V) when K =:= comment; K =:= os; K =:= hardware; K =:= application ->
    {K, text(K, V)};
file_option(K, V) when K =:= dlt; K =:= linktype; K =:= snaplen; K =:= resolution ->
    interface_option(K, V);
file_option(K, V) ->
    throw({error, {badarg, {K, V}}}).

interface_option(dlt, V) when is_integer(V), V >= 0, V =< 16#FFFF -> {dlt, V};
interface_option(datalink, V) -> interface_option(dlt, V);
interface_option(linktype, V) when is_integer(V), V >= 0, V =< 16#FFFF ->
    {dlt, epcap_pcap_enc:linktype_to_dlt(V)};
interface_option(snaplen, V) when is_integer(V), V >= 0, V < 1 bsl 32 -> {snaplen, V};
interface_option(resolution, V) when V =:= micro; V =:= nano -> {resolution, V};
interface_option(precision, 6) -> {resolution, micro};
interface_option(precision, 9) -> {resolution, nano};
interface_option(K, V) when K =:= name; K =:= description; K =:= filter;
                            K =:= os; K =:= hardware; K =:= comment ->
    {K, text(K, V)};
interface_option(K, V) ->
    case lists:member(K, ?INFO_KEYS) of
        true -> {K, V};
        false -> throw({error, {badarg, {K, V}}})
    end.

packet_option(interface, V) when is_integer(V), V >= 0 -> {interface, V};
packet_option(comment, V) -> {comment, text(comment, V)};
packet_option(flags, V) when is_integer(V), V >= 0, V < 1 bsl 32 -> {flags, V};
packet_option(queue, V) when is_integer(V), V >= 0, V < 1 bsl 32 -> {queue, V};
packet_option(K, V) when (K =:= dropcount orelse K =:= packet_id),
                         is_integer(V), V >= 0, V < 1 bsl 64 -> {K, V};
packet_option(time, V) -> {time, V};
packet_option(len, V) when is_integer(V), V >= 0 -> {len, V};
packet_option(dlt, V) when is_integer(V), V >= 0, V =< 16#FFFF -> {dlt, V};
packet_option(K, V) -> throw({error, {badarg, {K, V}}}).

%% Text options are stored as UTF-8 binaries (a list of them for several
%% comments), checked here so the encoder cannot fail on them.
text(comment, []) ->
    [];
text(comment, [C | _] = Cs) when not is_integer(C) ->
    [text(comment, T) || T <- Cs];
text(K, V) ->
    case unicode:characters_to_binary(V) of
        B when is_binary(B), byte_size(B) =< 16#FFFF -> B;
        _ -> throw({error, {badarg, {K, V}}})
    end.

%%====================================================================
%% The file
%%====================================================================

owner(#epcap_file{owner = Owner}) when Owner =:= self() -> ok;
owner(_) -> throw({error, not_owner}).

put_bytes(#epcap_file{fd = Fd, path = Path} = W, Data) ->
    ok = file_call(Path, file:write(Fd, Data)),
    W.

file_call(_, ok) -> ok;
file_call(_, {ok, Result}) -> Result;
file_call(Path, {error, Why}) -> throw({error, {file, Path, Why}}).
