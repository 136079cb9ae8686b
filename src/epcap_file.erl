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
%%
%% Under this API, a module per job: {@link epcap_file_opts} checks the
%% options, {@link epcap_file_scan} reads a file appended to,
%% {@link epcap_file_items} makes what is written into packets,
%% {@link epcap_file_layout} keeps what the file holds and returns the
%% bytes of each addition, and {@link epcap_pcap_enc} encodes them. Only
%% this module does I/O on the file (and the scan, which only reads).
-module(epcap_file).

-export([open/2, add_interface/2, write/2, write/3, close/1, close/2,
         write_file/3, info/1]).

-export_type([writer/0, option/0, interface_option/0, item/0,
              packet_option/0]).

-record(epcap_file, {
    fd :: file:io_device() | undefined,
    path :: file:filename_all(),
    owner :: pid(),
    time_unit :: microsecond | nanosecond,
    %% What the file holds so far (format, byte order, interfaces).
    layout :: epcap_file_layout:layout()
}).

-opaque writer() :: #epcap_file{}.

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
        Opts = epcap_file_opts:file(Options),
        Layout = epcap_file_opts:layout(Path, Opts),
        W = #epcap_file{path = Path, owner = self(),
                        time_unit = maps:get(time_unit, Opts, microsecond),
                        layout = epcap_file_layout:new(Layout)},
        maps:get(format, Layout) =:= pcap andalso epcap_file_opts:pcap_refuses(Opts),
        open_mode(maps:get(mode, Opts, write), W, Opts)
    catch
        throw:{error, _} = Error -> Error
    end.

%% @doc Add an interface to a pcapng file: `{ok, Id, Writer}'. Packets
%% go on it with the packet option `{interface, Id}', and, if it is the
%% first of its link type, by default.
-spec add_interface(writer(), [interface_option()] | map()) ->
    {ok, non_neg_integer(), writer()} | {error, term()}.
add_interface(#epcap_file{layout = L} = W, Options) ->
    try
        %% A pcap file refuses whoever asks, before the owner is checked.
        epcap_file_layout:format(L) =:= pcapng andalso owner(W),
        {Id, L1, Block} = epcap_file_layout:add_interface(L, Options),
        {ok, Id, put_bytes(W#epcap_file{layout = L1}, Block)}
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
write(#epcap_file{layout = L, time_unit = Unit} = W, Items, PacketOptions) ->
    try
        owner(W),
        Defaults = epcap_file_opts:packet(PacketOptions),
        {L1, Data} = epcap_file_items:encode(L, Items, Defaults, Unit),
        {ok, put_bytes(W#epcap_file{layout = L1}, Data)}
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
close(#epcap_file{fd = Fd, path = Path, layout = L, time_unit = Unit} = W,
      Statistics) ->
    try
        owner(W),
        Last = epcap_file_layout:close(L, Statistics, Unit),
        %% The file is closed even when the last bytes cannot be written.
        Written = try put_bytes(W, Last) of
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
info(#epcap_file{path = Path, layout = L}) ->
    (epcap_file_layout:info(L))#{path => Path}.

%%====================================================================
%% Opening
%%====================================================================

open_mode(write, #epcap_file{path = Path} = W, Opts) ->
    Fd = file_call(Path, file:open(Path, [write, raw, binary, delayed_write])),
    closing_on_error(Fd, fun() -> start(W#epcap_file{fd = Fd}, Opts) end);
open_mode(append, #epcap_file{path = Path, layout = L} = W, Opts) ->
    Fd = file_call(Path, file:open(Path, [read, append, raw, binary, delayed_write])),
    closing_on_error(
      Fd, fun() ->
                  case epcap_file_scan:existing(Fd, Path, Opts) of
                      new ->
                          start(W#epcap_file{fd = Fd}, Opts);
                      Found ->
                          {L1, Bytes} = epcap_file_layout:declare(
                                          epcap_file_layout:resume(L, Found),
                                          maps:get(interfaces, Opts, [])),
                          {ok, put_bytes(W#epcap_file{fd = Fd, layout = L1}, Bytes)}
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
start(#epcap_file{layout = L} = W, Opts) ->
    {L1, Bytes} = epcap_file_layout:start(L, Opts),
    {ok, put_bytes(W#epcap_file{layout = L1}, Bytes)}.

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
