%% Random pcapng files for the differential against tshark
%% (epcap_ngdiff_SUITE), and a walker that reads back what the
%% comparison of time stamps needs. Pure: no I/O.
%%
%% A file is made from a seed alone (rand's exsss, seeded here), so a
%% failing seed is a file anyone can make again: 1 to 3 sections, each in
%% either byte order, with 1 to 4 interfaces (Ethernet, raw IP, Linux
%% cooked; snap lengths; if_tsresol in powers of 10 and of 2, finer and
%% coarser than a nanosecond; if_tsoffset; a name each, unique in the
%% file) and 5 to 40 blocks in random order: Enhanced, Simple and
%% obsolete Packet Blocks on any interface declared so far (an
%% interface may also be declared between packets), statistics blocks,
%% custom blocks (copied and not), a name resolution block, a decryption
%% secrets block and a block of an unknown type. Stamps lie between 1970
%% and 2033 whatever the resolution and offset.
-module(epcap_ngfuzz).

-export([file/1, walk/1, units/1]).

-define(LINKTYPES, [1, 101, 113]).
%% 10^-6, -9, -3, 0, -1, -12; 2^0, -10, -20, -32, -40
-define(RESOLS, [6, 6, 9, 9, 3, 0, 1, 12, 16#80, 16#8a, 16#94, 16#a0, 16#a8]).
-define(SNAPLENS, [0, 0, 65535, 262144, 128, 1514]).
-define(MAX_TS, (1 bsl 64) - 1).

%% @doc The file of `Seed' and its interfaces' names, section by section.
-spec file(pos_integer()) -> {binary(), [[binary()]]}.
file(Seed) ->
    _ = rand:seed(exsss, {Seed, 16#ec4a, 18}),
    {Sections, {_, Names}} =
        lists:mapfoldl(fun(_, Acc) -> section(Acc) end, {0, []},
                       lists:seq(1, pick([1, 1, 2, 3]))),
    {iolist_to_binary(Sections), lists:reverse(Names)}.

section({N0, Names0}) ->
    E = pick([little, big]),
    {If0, N1} = iface(N0),
    {Blocks, {_, N}} =
        lists:mapfoldl(fun(_, {Ifs, N2}) -> block(E, Ifs, N2) end,
                       {[If0], N1}, lists:seq(1, 4 + rand:uniform(36))),
    Ifs = [If0 | [I || {{idb, _, _, _, _, _}, I} <- Blocks]],
    Names = [[Name || #{name := Name} <- Ifs] | Names0],
    {epcap_corpus:ng(E, [idb(If0) | [B || {B, _} <- Blocks]]), {N, Names}}.

%% One block after the section's first interface, with what it declares.
block(E, Ifs, N) ->
    case pick([epb, epb, epb, epb, epb, idb, spb, pb, isb, custom, nrb, dsb,
               unknown]) of
        idb when length(Ifs) < 4 ->
            {If, N1} = iface(N),
            {{idb(If), If}, {Ifs ++ [If], N1}};
        idb ->
            block(E, Ifs, N);
        Kind ->
            {{other(Kind, E, Ifs), none}, {Ifs, N}}
    end.

other(epb, _, Ifs) ->
    I = rand:uniform(length(Ifs)) - 1,
    {Len, Data} = packet(lists:nth(I + 1, Ifs)),
    {epb, I, stamp(lists:nth(I + 1, Ifs)), Len, Data};
other(pb, _, Ifs) ->
    I = rand:uniform(length(Ifs)) - 1,
    {Len, Data} = packet(lists:nth(I + 1, Ifs)),
    {pb, I, stamp(lists:nth(I + 1, Ifs)), Len, Data};
other(spb, _, [#{snap := Snap} | _]) ->
    %% No captured length: the packet cut at interface 0's snap length.
    {Len, _} = packet(#{snap => 0}),
    Cap = case Snap of 0 -> Len; _ -> min(Len, Snap) end,
    {spb, Len, rand:bytes(Cap)};
other(isb, _, Ifs) ->
    {isb, rand:uniform(length(Ifs)) - 1, rand:uniform(1000), rand:uniform(10)};
other(custom, E, _) ->
    {raw, pick([16#0BAD, 16#40000BAD]),
     <<(u32(E, 32473))/binary, (rand:bytes(rand:uniform(20)))/binary>>};
other(nrb, E, _) ->
    Name = <<"h", (integer_to_binary(rand:uniform(999)))/binary, 0>>,
    Rec = <<(rand:bytes(4))/binary, Name/binary>>,
    {raw, 4, iolist_to_binary([u16(E, 1), u16(E, byte_size(Rec)), pad(Rec),
                               u16(E, 0), u16(E, 0)])};
other(dsb, E, _) ->
    Secret = rand:bytes(rand:uniform(16)),
    {raw, 16#0A, iolist_to_binary([u32(E, 16#544c534b), u32(E, byte_size(Secret)),
                                   pad(Secret)])};
other(unknown, _, _) ->
    {raw, 16#00001234 + rand:uniform(100), rand:bytes(rand:uniform(24))}.

iface(N) ->
    Units = units(Resol = pick(?RESOLS)),
    Off = pick([0, 0, 0, 5, -3600, rand:uniform(2000000) - 1000000]),
    %% Seconds since 1970 a stamp of this interface can hold (64 bits of
    %% units, after the offset), below 2^31.
    Max = min(16#7FFFFFFF, ?MAX_TS div Units - 1 + min(Off, 0)),
    Name = <<"fz", (integer_to_binary(N))/binary>>,
    {#{lt => pick(?LINKTYPES), snap => pick(?SNAPLENS), resol => Resol,
       units => Units, off => Off, name => Name,
       secs => {max(0, Off), Max}}, N + 1}.

idb(#{lt := LT, snap := Snap, resol := Resol, off := Off, name := Name}) ->
    {idb, LT, Snap, Resol, Off, [{2, Name}]}.

%% A stamp of the interface: some second in its range, any fraction.
stamp(#{units := Units, off := Off, secs := {Lo, Hi}}) ->
    Sec = Lo + rand:uniform(max(1, min(Hi, 2000000000) - Lo)) - 1,
    (Sec - Off) * Units + rand:uniform(Units) - 1.

%% {Original length, captured bytes}: at most the snap length.
packet(#{snap := Snap}) ->
    Len = pick([1, 14, 20, 60, 64, 98, rand:uniform(1600)]),
    Cap0 = pick([Len, Len, Len, rand:uniform(Len)]),
    Cap = case Snap of 0 -> Cap0; _ -> min(Cap0, Snap) end,
    {Len, rand:bytes(Cap)}.

%% @doc Time stamp units per second of an if_tsresol byte.
-spec units(byte()) -> pos_integer().
units(R) when R band 16#80 =/= 0 -> 1 bsl (R band 16#7F);
units(R) -> pow10(R).

pow10(0) -> 1;
pow10(N) -> 10 * pow10(N - 1).

pick(L) -> lists:nth(rand:uniform(length(L)), L).

u32(little, V) -> <<V:32/little>>;
u32(big, V) -> <<V:32/big>>.

u16(little, V) -> <<V:16/little>>;
u16(big, V) -> <<V:16/big>>.

pad(B) -> <<B/binary, 0:(((4 - byte_size(B) rem 4) rem 4) * 8)>>.

%%--------------------------------------------------------------------
%% Reading back

%% @doc A pcapng file's interfaces, numbered across its sections, as
%% `{Resol, Offset}' (if_tsresol's byte, 6 when absent; if_tsoffset, 0),
%% and its packets in order as `{Interface, Stamp}' (`Stamp' in the
%% interface's units; `none' for a Simple Packet Block).
-spec walk(binary()) -> {[{byte(), integer()}], [{non_neg_integer(), integer() | none}]}.
walk(Bin) ->
    walk(Bin, little, 0, [], []).

walk(<<>>, _, _, Ifs, Pkts) ->
    {lists:reverse(Ifs), lists:reverse(Pkts)};
walk(<<16#0a0d0d0a:32, _:32, Bom:32/little, _/binary>> = Bin, _, _, Ifs, Pkts) ->
    E = case Bom of 16#1a2b3c4d -> little; _ -> big end,
    {_, Rest} = take(E, Bin),
    walk(Rest, E, length(Ifs), Ifs, Pkts);
walk(Bin, E, First, Ifs, Pkts) ->
    {{Type, Body}, Rest} = take(E, Bin),
    case {Type, Body} of
        {1, <<_:8/binary, Opts/binary>>} ->
            walk(Rest, E, First, [if_stamps(E, Opts, {6, 0}) | Ifs], Pkts);
        {6, <<If:32, Hi:32, Lo:32, _/binary>>} when E =:= big ->
            walk(Rest, E, First, Ifs, [{First + If, Hi bsl 32 + Lo} | Pkts]);
        {6, <<If:32/little, Hi:32/little, Lo:32/little, _/binary>>} ->
            walk(Rest, E, First, Ifs, [{First + If, Hi bsl 32 + Lo} | Pkts]);
        {2, <<If:16, _:16, Hi:32, Lo:32, _/binary>>} when E =:= big ->
            walk(Rest, E, First, Ifs, [{First + If, Hi bsl 32 + Lo} | Pkts]);
        {2, <<If:16/little, _:16, Hi:32/little, Lo:32/little, _/binary>>} ->
            walk(Rest, E, First, Ifs, [{First + If, Hi bsl 32 + Lo} | Pkts]);
        {3, _} ->
            walk(Rest, E, First, Ifs, [{First, none} | Pkts]);
        _ ->
            walk(Rest, E, First, Ifs, Pkts)
    end.

take(little, <<Type:32/little, Len:32/little, Rest/binary>>) ->
    BodyLen = Len - 12,
    <<Body:BodyLen/binary, _:32, Tail/binary>> = Rest,
    {{Type, Body}, Tail};
take(big, <<Type:32/big, Len:32/big, Rest/binary>>) ->
    BodyLen = Len - 12,
    <<Body:BodyLen/binary, _:32, Tail/binary>> = Rest,
    {{Type, Body}, Tail}.

if_stamps(little, <<0:16, _/binary>>, Acc) -> Acc;
if_stamps(big, <<0:16, _/binary>>, Acc) -> Acc;
if_stamps(_, <<>>, Acc) -> Acc;
if_stamps(E, Opts, {R, O}) ->
    {Code, Len, V} =
        case E of
            little -> <<C:16/little, L:16/little, V0:L/binary, _/binary>> = Opts, {C, L, V0};
            big -> <<C:16, L:16, V0:L/binary, _/binary>> = Opts, {C, L, V0}
        end,
    Skip = 4 + Len + (4 - Len rem 4) rem 4,
    <<_:Skip/binary, Next/binary>> = Opts,
    Acc = case {Code, E, V} of
              {9, _, <<R1>>} -> {R1, O};
              {14, little, <<O1:64/little-signed>>} -> {R, O1};
              {14, big, <<O1:64/big-signed>>} -> {R, O1};
              _ -> {R, O}
          end,
    if_stamps(E, Next, Acc).
