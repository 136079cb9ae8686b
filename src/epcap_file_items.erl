%% @doc What {@link epcap_file:write/3} is given, made into packets: the
%% `{packet, ...}' messages, batches (alone or in their `{epcap_batch, Ref,
%% Batch}' message), binaries and `{Item, PacketOptions}', one item or a
%% list of them; times as epcap delivers them made `{Seconds,
%% Nanoseconds}'; each packet's link type and length checked, then handed
%% to {@link epcap_file_layout:packet/7}.
%%
%% Pure: errors are thrown as `{error, Reason}' in the vocabulary
%% {@link epcap_file} documents, at the first item that has one.
-module(epcap_file_items).

-export([encode/4, time/2]).

%% Packet options travel as {All, Epb}: all of them, and those the
%% Enhanced Packet Block carries, split once per options given rather
%% than once per packet. A pcap file refuses the pcapng ones here.
-define(EPB_KEYS, [comment, flags, dropcount, packet_id, queue]).

%% @doc The bytes of `Items', each with the checked packet options
%% `Defaults' under its own, and the layout to use next; integer times
%% are in `Unit'.
-spec encode(epcap_file_layout:layout(), epcap_file:item() | [epcap_file:item()],
             map(), microsecond | nanosecond) ->
    {epcap_file_layout:layout(), iodata()}.
encode(L, Items, Defaults, Unit) when is_list(Items) ->
    Opts = packet_options(L, Defaults),
    lists:foldl(fun(Item, {LAcc, Out}) ->
                        {L2, Data} = item(LAcc, Item, Opts, Unit),
                        {L2, [Out | Data]}
                end, {L, []}, Items);
encode(L, Item, Defaults, Unit) ->
    item(L, Item, packet_options(L, Defaults), Unit).

%% @doc A time as epcap delivers it (`{MegaSecs, Secs, MicroSecs}', or an
%% integer in `Unit'), as `{Seconds, Nanoseconds}'.
-spec time(microsecond | nanosecond, term()) ->
    {non_neg_integer(), non_neg_integer()}.
time(_, {Mega, Sec, Micro}) when is_integer(Mega), is_integer(Sec),
                                 is_integer(Micro), Mega >= 0, Sec >= 0,
                                 Micro >= 0, Micro < 1000000 ->
    {Mega * 1000000 + Sec, Micro * 1000};
time(microsecond, T) when is_integer(T), T >= 0 ->
    {T div 1000000, T rem 1000000 * 1000};
time(nanosecond, T) when is_integer(T), T >= 0 ->
    {T div 1000000000, T rem 1000000000};
time(_, T) ->
    throw({error, {badarg, {time, T}}}).

%%====================================================================
%% Items
%%====================================================================

packet_options(L, Opts) ->
    Epb = maps:with(?EPB_KEYS, Opts),
    case epcap_file_layout:format(L) of
        pcap ->
            [throw({error, {pcapng_only, K}})
             || K <- [interface | ?EPB_KEYS], maps:is_key(K, Opts)],
            {Opts, Epb};
        pcapng ->
            {Opts, Epb}
    end.

item(L, {epcap_batch, _, {epcap_batch, _, _, _, _, _} = Batch}, Opts, Unit) ->
    item(L, Batch, Opts, Unit);
item(L, {epcap_batch, DLT, _Unit, Prec, _, Records}, Opts, _) ->
    %% The records' fraction is in the port's precision, whatever the
    %% unit the owner asked for.
    Ns = case Prec of
             9 -> 1;
             6 -> 1000
         end,
    batch(L, Records, DLT, Ns, Opts, []);
item(L, {packet, DLT, Time, Len, Data}, Opts, Unit) when is_binary(Data) ->
    packet(L, DLT, Time, time(Unit, Time), Len, Data, Opts);
item(L, Data, Opts, Unit) when is_binary(Data) ->
    binary(L, Data, Opts, Unit);
item(L, {Item, Options}, {Defaults, _}, Unit) when is_list(Options); is_map(Options) ->
    Opts = packet_options(L, maps:merge(Defaults, epcap_file_opts:packet(Options))),
    case Item of
        _ when is_binary(Item) -> binary(L, Item, Opts, Unit);
        {packet, _, _, _, _} -> item(L, Item, Opts, Unit);
        {epcap_batch, _, _, _, _, _} -> item(L, Item, Opts, Unit);
        {epcap_batch, _, _} -> item(L, Item, Opts, Unit);
        _ -> throw({error, {badarg, {item, Item}}})
    end;
item(_, Item, _, _) ->
    throw({error, {badarg, {item, Item}}}).

binary(L, Data, {All, _} = Opts, Unit) ->
    DLT = maps:get(dlt, All, epcap_file_layout:default_dlt(L)),
    {Given, T} = case All of
                     #{time := Time} ->
                         {Time, time(Unit, Time)};
                     _ ->
                         Now = os:system_time(nanosecond),
                         {Now, {Now div 1000000000, Now rem 1000000000}}
                 end,
    packet(L, DLT, Given, T, maps:get(len, All, byte_size(Data)), Data, Opts).

%% A batch's records: u64 seconds, u32 fraction, u32 caplen, u32 length.
batch(L, <<S:64, F:32, C:32, Len:32, P:C/binary, R/binary>>, DLT, Ns, Opts, Acc) ->
    T = {S, F * Ns},
    {L1, Data} = packet(L, DLT, T, T, Len, P, Opts),
    batch(L1, R, DLT, Ns, Opts, [Acc | Data]);
batch(L, <<>>, _, _, _, Acc) ->
    {L, Acc};
batch(_, _, _, _, _, _) ->
    throw({error, {badarg, batch}}).

%% `T' is the time as {Seconds, Nanoseconds} (no bignums on the way);
%% `Given' is the time as given, for an error.
packet(L, DLT, Given, T, Len, Data, Opts) ->
    is_integer(DLT) andalso DLT >= 0 andalso DLT =< 16#FFFF
        orelse throw({error, {badarg, {dlt, DLT}}}),
    is_integer(Len) andalso Len >= byte_size(Data) andalso Len < 1 bsl 32
        orelse throw({error, {badarg, {len, Len}}}),
    epcap_file_layout:packet(L, DLT, Given, T, Len, Data, Opts).
