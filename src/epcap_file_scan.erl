%% @doc What an existing capture file holds, read for {@link epcap_file}'s
%% `{mode, append}': the format, byte order and, for pcap, resolution, snap
%% length and link type; for pcapng, the last section's byte order and
%% interfaces. Every record or block is checked whole first (only the
%% headers are read: a packet's bytes are skipped), or what is appended
%% would be misread.
%%
%% It only reads, with `file:pread/3' on the file {@link epcap_file} opened;
%% it throws `{error, {file, Path, Why}}' for a file that cannot be
%% appended to, as {@link epcap_file} documents.
-module(epcap_file_scan).

-export([existing/3]).

-export_type([found/0]).

-type found() ::
    #{format := pcap, endian := epcap_pcap_enc:endian(),
      resolution := epcap_pcap_enc:resolution(), snaplen := non_neg_integer(),
      dlt := non_neg_integer()}
    | #{format := pcapng, endian := epcap_pcap_enc:endian(),
        interfaces := [epcap_file_layout:iface()]}.

%% @doc What the file open as `Fd' holds (`new' when it is empty), once
%% checked whole and against the `format' and `dlt' of the checked
%% options `Opts'.
-spec existing(file:io_device(), file:filename_all(), map()) -> new | found().
existing(Fd, Path, Opts) ->
    case file:position(Fd, eof) of
        {ok, 0} -> new;
        {ok, Size} -> agree(Path, Opts, scan(Fd, Path, Size));
        {error, Why} -> throw({error, {file, Path, Why}})
    end.

%% The options given must not contradict the file.
agree(Path, Opts, #{format := Format} = Found) ->
    maps:get(format, Opts, Format) =:= Format
        orelse throw({error, {file, Path, {format, Format}}}),
    case {Opts, Found} of
        {#{dlt := DLT}, #{format := pcap, dlt := FileDLT}} when DLT =/= FileDLT ->
            throw({error, {datalink, DLT, FileDLT}});
        _ ->
            Found
    end.

scan(Fd, Path, Size) ->
    case pread(Fd, Path, 0, min(Size, 24)) of
        <<16#0A0D0D0A:32, _/binary>> ->
            {E, Ifs} = pcapng_walk(Fd, Path, Size, 0, undefined, []),
            #{format => pcapng, endian => E, interfaces => Ifs};
        Head ->
            pcap(Fd, Path, Size, Head)
    end.

%%====================================================================
%% pcap
%%====================================================================

pcap(Fd, Path, Size, Head) ->
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
    #{format => pcap, endian => E, resolution => Res, snaplen => Snap,
      dlt => epcap_pcap_enc:linktype_to_dlt(LT band 16#FFFF)}.

%% Every record must be whole.
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

%%====================================================================
%% pcapng
%%====================================================================

%% The blocks, each checked whole; what counts is the last section: its
%% byte order `E' and its interfaces, in the order of their ids.
pcapng_walk(_, _, Size, Size, E, Ifs) ->
    {E, lists:reverse(Ifs)};
pcapng_walk(Fd, Path, Size, Pos, E, Ifs) when Pos + 12 =< Size ->
    case pread(Fd, Path, Pos, 12) of
        <<16#0A0D0D0A:32, _:32, BOM:4/binary>> ->
            E1 = case BOM of
                     <<16#1A2B3C4D:32/little>> -> little;
                     <<16#1A2B3C4D:32/big>> -> big;
                     _ -> throw({error, {file, Path, not_a_capture_file}})
                 end,
            Len = block(Fd, Path, Size, Pos, E1),
            case pread(Fd, Path, Pos + 8, 8) of
                <<_:4/binary, 1:16/little, _/binary>> when E1 =:= little -> ok;
                <<_:4/binary, 1:16/big, _/binary>> when E1 =:= big -> ok;
                <<_:4/binary, Ma:2/binary, Mi:2/binary>> ->
                    throw({error, {file, Path, {version, u16(E1, Ma), u16(E1, Mi)}}})
            end,
            pcapng_walk(Fd, Path, Size, Pos + Len, E1, []);
        _ when Pos =:= 0 ->
            throw({error, {file, Path, not_a_capture_file}});
        <<T:4/binary, _/binary>> ->
            Len = block(Fd, Path, Size, Pos, E),
            Ifs1 = case u32(E, T) of
                       1 -> [idb(E, pread(Fd, Path, Pos + 8, Len - 12)) | Ifs];
                       _ -> Ifs
                   end,
            pcapng_walk(Fd, Path, Size, Pos + Len, E, Ifs1)
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

%%====================================================================
%% Reading
%%====================================================================

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
