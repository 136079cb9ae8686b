%% @doc What a capture file written by {@link epcap_file} holds so far,
%% and the bytes each addition takes, as pure functions: the pcap header
%% (out with the first link type), the pcapng interfaces (declared, added,
%% or made for a new link type on the way), a packet's record or Enhanced
%% Packet Block on its interface, and the statistics blocks at the end.
%%
%% Nothing here does I/O: each function returns the layout to use next
%% with the iodata to write ({@link epcap_pcap_enc} encodes it), so a
%% refused write leaves both the file and the layout as they were. Errors
%% are thrown as `{error, Reason}' in the vocabulary {@link epcap_file}
%% documents.
-module(epcap_file_layout).

-export([new/1, resume/2, start/2, declare/2, add_interface/2, packet/7,
         close/3, format/1, default_dlt/1, info/1]).

-export_type([layout/0, iface/0]).

-record(layout, {
    format :: pcap | pcapng,
    endian :: epcap_pcap_enc:endian(),
    %% Defaults for interfaces added on the way, and for a pcap file.
    resolution :: epcap_pcap_enc:resolution(),
    snaplen :: non_neg_integer(),
    dlt :: non_neg_integer() | undefined,
    %% pcap: whether the header is out (it waits for the first link type).
    header = false :: boolean(),
    %% pcapng: interface id => interface; DLT => first interface id.
    interfaces = #{} :: #{non_neg_integer() => iface()},
    by_dlt = #{} :: #{non_neg_integer() => non_neg_integer()}
}).

-opaque layout() :: #layout{}.

-type iface() :: #{dlt := non_neg_integer(), snaplen := non_neg_integer(),
                   resolution := epcap_pcap_enc:resolution(),
                   tsoffset := integer()}.

-define(DEFAULT_DLT, 1).

%%====================================================================
%% A file begun or resumed
%%====================================================================

%% @doc A new file, of {@link epcap_file_opts:layout/2}'s description.
-spec new(#{format := pcap | pcapng, endian := epcap_pcap_enc:endian(),
            resolution := epcap_pcap_enc:resolution(),
            snaplen := non_neg_integer(), dlt := non_neg_integer() | undefined}) ->
    layout().
new(#{format := F, endian := E, resolution := R, snaplen := S, dlt := D}) ->
    #layout{format = F, endian = E, resolution = R, snaplen = S, dlt = D}.

%% @doc An existing file to append to, as {@link epcap_file_scan} found
%% it: a pcap file's header is out; a pcapng file's packets go on its
%% last section's interfaces.
-spec resume(layout(), epcap_file_scan:found()) -> layout().
resume(L, #{format := pcap, endian := E, resolution := R, snaplen := S, dlt := D}) ->
    L#layout{format = pcap, endian = E, resolution = R, snaplen = S, dlt = D,
             header = true};
resume(L, #{format := pcapng, endian := E, interfaces := Ifs}) ->
    lists:foldl(fun(If, Acc) -> add_iface(Acc, If) end,
                L#layout{format = pcapng, endian = E, interfaces = #{}, by_dlt = #{}},
                Ifs).

%% @doc A new file's first bytes: a pcapng file's section (of the checked
%% options `Opts') and declared interfaces; a pcap file's header if its
%% link type is given.
-spec start(layout(), map()) -> {layout(), iodata()}.
start(#layout{format = pcapng, endian = E} = L, Opts) ->
    declare(L, maps:get(interfaces, Opts, []),
            epcap_pcap_enc:shb(E, epcap_file_opts:section(Opts)));
start(#layout{format = pcap, dlt = undefined} = L, _) ->
    {L, []};
start(#layout{format = pcap, dlt = DLT} = L, _) ->
    pcap_header(L, DLT).

%% @doc Declare interfaces (ids given in order).
-spec declare(layout(), [[epcap_file:interface_option()] | map()]) ->
    {layout(), iodata()}.
declare(L, Ifs) ->
    declare(L, Ifs, []).

declare(L, [], Out) ->
    {L, Out};
declare(L, [If | Rest], Out) ->
    {_, L1, Block} = add_interface(L, If),
    declare(L1, Rest, [Out | Block]);
declare(_, Bad, _) ->
    throw({error, {badarg, {interfaces, Bad}}}).

%%====================================================================
%% Interfaces
%%====================================================================

%% @doc Add a pcapng interface: its id, and its Interface Description Block.
-spec add_interface(layout(), [epcap_file:interface_option()] | map()) ->
    {non_neg_integer(), layout(), iodata()}.
add_interface(#layout{format = pcap}, _) ->
    throw({error, {pcapng_only, interfaces}});
add_interface(#layout{endian = E} = L, Options) ->
    Opts = epcap_file_opts:interface(Options),
    DLT = maps:get(dlt, Opts, default_dlt(L)),
    If = #{dlt => DLT,
           snaplen => maps:get(snaplen, Opts, L#layout.snaplen),
           resolution => maps:get(resolution, Opts, L#layout.resolution),
           tsoffset => 0},
    Id = map_size(L#layout.interfaces),
    Block = epcap_pcap_enc:idb(
              E, maps:merge(maps:with([name, description, filter, os, hardware,
                                       comment], Opts),
                            (maps:without([dlt, tsoffset], If))#{
                              linktype => epcap_pcap_enc:dlt_to_linktype(DLT)})),
    {Id, add_iface(L, If), Block}.

add_iface(#layout{interfaces = Ifs, by_dlt = ByDLT} = L, #{dlt := DLT} = If) ->
    Id = map_size(Ifs),
    L#layout{interfaces = Ifs#{Id => If}, by_dlt = maps:merge(#{DLT => Id}, ByDLT)}.

%% The interface a packet goes on: the one asked for (of the packet's
%% link type), else the first of its link type, added if there is none.
interface(#layout{interfaces = Ifs} = L, DLT, #{interface := Id}) ->
    case Ifs of
        #{Id := #{dlt := DLT} = If} -> {Id, If, L, []};
        #{Id := #{dlt := Other}} -> throw({error, {datalink, DLT, Other}});
        _ -> throw({error, {badarg, {interface, Id}}})
    end;
interface(#layout{interfaces = Ifs, by_dlt = ByDLT} = L, DLT, _) ->
    case ByDLT of
        #{DLT := Id} ->
            #{Id := If} = Ifs,
            {Id, If, L, []};
        _ ->
            {Id, L1, Block} = add_interface(L, #{dlt => DLT}),
            #{Id := If} = L1#layout.interfaces,
            {Id, If, L1, Block}
    end.

%%====================================================================
%% Packets
%%====================================================================

%% @doc One packet, checked by {@link epcap_file_items}: link type `DLT',
%% time `T' as `{Seconds, Nanoseconds}' (`Given' is the time as given,
%% for an error), length on the wire `Len', the bytes `Data', and the
%% packet options as `{All, Epb}' (those the Enhanced Packet Block
%% carries split out). A packet longer than its snap length is cut.
-spec packet(layout(), non_neg_integer(), term(),
             {non_neg_integer(), non_neg_integer()}, non_neg_integer(), binary(),
             {map(), map()}) -> {layout(), iodata()}.
packet(#layout{format = pcap, dlt = DLT, endian = E, resolution = R,
               snaplen = Snap} = L, DLT, Given, {S, _} = T, Len, Data, _) ->
    S < 1 bsl 32 orelse throw({error, {badarg, {time, Given}}}),
    {L, epcap_pcap_enc:pcap_record(E, R, epcap_pcap_enc:units(T, R), Len,
                                   snap(Data, Snap))};
packet(#layout{format = pcap, header = false} = L, DLT, Given, T, Len, Data, Opts) ->
    {L1, Header} = pcap_header(L, DLT),
    {L2, Record} = packet(L1, DLT, Given, T, Len, Data, Opts),
    {L2, [Header | Record]};
packet(#layout{format = pcap, dlt = FileDLT}, DLT, _, _, _, _, _) ->
    throw({error, {datalink, DLT, FileDLT}});
packet(#layout{format = pcapng, endian = E} = L, DLT, Given, {S, N}, Len, Data,
       {All, Epb}) ->
    {Id, #{snaplen := Snap, resolution := R, tsoffset := Off}, L1, Block} =
        interface(L, DLT, All),
    S >= Off orelse throw({error, {badarg, {time, Given}}}),
    Units = epcap_pcap_enc:units({S - Off, N}, R),
    Units < 1 bsl 64 orelse throw({error, {badarg, {time, Given}}}),
    {L1, [Block | epcap_pcap_enc:epb(E, Id, Units, Len, snap(Data, Snap), Epb)]}.

%% The pcap header goes out with the first link type the file meets.
pcap_header(#layout{format = pcap, header = false, endian = E, resolution = R,
                    snaplen = Snap} = L, Default) ->
    DLT = case L#layout.dlt of
              undefined -> Default;
              D -> D
          end,
    Header = epcap_pcap_enc:pcap_header(
               #{endian => E, resolution => R, snaplen => Snap,
                 linktype => epcap_pcap_enc:dlt_to_linktype(DLT)}),
    {L#layout{header = true, dlt = DLT}, Header};
pcap_header(L, _) ->
    {L, []}.

snap(Data, 0) -> Data;
snap(Data, Snap) when byte_size(Data) > Snap -> binary_part(Data, 0, Snap);
snap(Data, _) -> Data.

%%====================================================================
%% The end
%%====================================================================

%% @doc The last bytes: a pcap file's header if nothing was written, and
%% a pcapng file's Interface Statistics Blocks (see {@link
%% epcap_file:close/2}), times in `Unit'. Refused statistics throw before
%% anything is returned.
-spec close(layout(), map() | list(), microsecond | nanosecond) -> iodata().
close(L, Statistics, Unit) ->
    Blocks = statistics(L, Statistics, Unit),
    {_, Header} = pcap_header(L, ?DEFAULT_DLT),
    [Header | Blocks].

statistics(L, Stats, Unit) when is_map(Stats) ->
    statistics(L, maps:to_list(Stats), Unit);
statistics(_, [], _) ->
    [];
statistics(#layout{format = pcap}, [_ | _], _) ->
    throw({error, {pcapng_only, statistics}});
statistics(#layout{endian = E, interfaces = Ifs}, Stats, Unit) when is_list(Stats) ->
    Now = os:system_time(nanosecond),
    [case {Ifs, Counters} of
         {#{Id := #{resolution := R, tsoffset := Off}}, #{}} ->
             ToUnits = fun({S, N}) -> epcap_pcap_enc:units({max(0, S - Off), N}, R) end,
             Times = maps:map(fun(_, T) -> ToUnits(epcap_file_items:time(Unit, T)) end,
                              maps:with([starttime, endtime], Counters)),
             epcap_pcap_enc:isb(E, Id, ToUnits({Now div 1000000000, Now rem 1000000000}),
                                maps:merge(Counters, Times));
         _ ->
             throw({error, {badarg, {statistics, Id, Counters}}})
     end || {Id, Counters} <- lists:sort(Stats)];
statistics(_, Bad, _) ->
    throw({error, {badarg, {statistics, Bad}}}).

%%====================================================================
%% What it holds
%%====================================================================

%% @doc `pcap' or `pcapng'.
-spec format(layout()) -> pcap | pcapng.
format(#layout{format = F}) -> F.

%% @doc The link type of a binary written without `dlt': the file's (pcap:
%% its first packet's once written), else Ethernet.
-spec default_dlt(layout()) -> non_neg_integer().
default_dlt(#layout{dlt = undefined}) -> ?DEFAULT_DLT;
default_dlt(#layout{dlt = DLT}) -> DLT.

%% @doc What it holds, for {@link epcap_file:info/1}.
-spec info(layout()) -> map().
info(#layout{} = L) ->
    #{format => L#layout.format, endian => L#layout.endian, dlt => L#layout.dlt,
      snaplen => L#layout.snaplen, resolution => L#layout.resolution,
      interfaces => L#layout.interfaces}.
