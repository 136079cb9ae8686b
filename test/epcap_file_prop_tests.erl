%% PropEr properties of epcap_file without external tools, run by
%% `make eunit' (epcap_writer_SUITE checks fewer cases against tshark,
%% tcpdump and epcap):
%%
%% 1. Read back: random packets on random interfaces, written as pcap or
%%    pcapng in either byte order, decode with a reader written here
%%    from the formats' descriptions (not from the encoder) to the
%%    expected interfaces, times, lengths, bytes and comments.
%% 2. Appending: the same packets written in one session, or in two with
%%    the file reopened with `{mode, append}' in between, give the same
%%    bytes.
%% 3. Statistics: the counters given to close/2, by epcap's names or
%%    pcapng's, come back from the Interface Statistics Blocks.
-module(epcap_file_prop_tests).

-include_lib("proper/include/proper.hrl").
-include_lib("eunit/include/eunit.hrl").

-define(CASES, 300).

read_back_test_() ->
    {timeout, 300, ?_assert(check(prop_read_back(), ?CASES))}.

append_test_() ->
    {timeout, 300, ?_assert(check(prop_append(), ?CASES))}.

statistics_test_() ->
    {timeout, 300, ?_assert(check(prop_statistics(), ?CASES))}.

check(Prop, N) ->
    proper:quickcheck(Prop, [{numtests, N}, {on_output, fun output/2}]).

output(".", []) -> ok;
output(Format, Args) -> io:format(user, Format, Args).

%% ---- generators ----

spec() ->
    ?LET({Format, E, Ifs}, {oneof([pcap, pcapng]), oneof([little, big]),
                            non_empty(list(interface()))},
         ?LET(Packets, list(packet(Format, length(Ifs))),
              #{format => Format, endian => E,
                interfaces => case Format of pcap -> [hd(Ifs)]; pcapng -> Ifs end,
                packets => Packets})).

interface() ->
    ?LET({DLT, Snap, Res}, {oneof([0, 1, 12, 113, 147, 228]),
                            oneof([0, 262144, range(1, 100)]), oneof([micro, nano])},
         #{dlt => DLT, snaplen => Snap, resolution => Res}).

packet(Format, N) ->
    ?LET({If, S, Ns, Data, Extra, Comments},
         {range(0, N - 1), range(0, 16#FFFFFFFF), range(0, 999999999),
          binary(), range(0, 3), comments(Format)},
         #{interface => case Format of pcap -> 0; pcapng -> If end,
           time => {S div 1000000, S rem 1000000, Ns div 1000},
           ns => S * 1000000000 + Ns div 1000 * 1000,
           len => byte_size(Data) + Extra, data => Data, comments => Comments}).

comments(pcap) -> [];
comments(pcapng) -> oneof([[], [utf8()], [utf8(), utf8()]]).

file() ->
    filename:join(os:getenv("TMPDIR", "/tmp"),
                  "epcap_file_prop_" ++ os:getpid() ++ "_" ++
                      integer_to_list(erlang:unique_integer([positive]))).

%% ---- writing ----

%% Open (or reopen to append), write the packets, close. The interfaces
%% are added before a packet first uses one; `Ids' maps the spec's index
%% to the file's id and carries over to the second session.
session(File, Mode, #{format := pcap, endian := E, interfaces := [If]}, Packets, Ids) ->
    #{dlt := DLT, snaplen := Snap, resolution := Res} = If,
    {ok, W} = epcap_file:open(File, [{format, pcap}, {mode, Mode}, {endian, E},
                                     {dlt, DLT}, {snaplen, Snap}, {resolution, Res}]),
    {ok, W1} = epcap_file:write(W, [{packet, DLT, T, L, D}
                                    || #{time := T, len := L, data := D} <- Packets]),
    ok = epcap_file:close(W1),
    Ids;
session(File, Mode, #{format := pcapng, endian := E, interfaces := Ifs}, Packets, Ids0) ->
    {ok, W} = epcap_file:open(File, [{format, pcapng}, {mode, Mode}, {endian, E},
                                     {os, "test"}, {application, "test"}]),
    {W2, Ids} =
        lists:foldl(
          fun(#{interface := I, time := T, len := L, data := D, comments := Cs}, {W0, Ids1}) ->
                  #{dlt := DLT} = If = lists:nth(I + 1, Ifs),
                  {Id, W1, Ids2} =
                      case Ids1 of
                          #{I := Known} -> {Known, W0, Ids1};
                          _ ->
                              {ok, New, WNew} = epcap_file:add_interface(W0, If),
                              {New, WNew, Ids1#{I => New}}
                      end,
                  {ok, WOut} = epcap_file:write(W1, {{packet, DLT, T, L, D},
                                                     #{interface => Id, comment => Cs}}),
                  {WOut, Ids2}
          end, {W, Ids0}, Packets),
    ok = epcap_file:close(W2),
    Ids.

%% ---- 1. read back ----

prop_read_back() ->
    ?FORALL(Spec, spec(),
            begin
                File = file(),
                Ids = session(File, write, Spec, maps:get(packets, Spec), #{}),
                {ok, Bin} = file:read_file(File),
                ok = file:delete(File),
                Got = decode(Bin),
                Want = expected(Spec, Ids),
                ?WHENFAIL(io:format(user, "want ~p~ngot  ~p~n", [Want, Got]), Got =:= Want)
            end).

expected(#{format := Format, interfaces := Ifs, packets := Ps}, Ids) ->
    [begin
         #{snaplen := Snap, resolution := Res, dlt := DLT} = lists:nth(I + 1, Ifs),
         PerSec = case Res of micro -> 1000000; nano -> 1000000000 end,
         Cut = case Snap of
                   0 -> D;
                   _ -> binary:part(D, 0, min(Snap, byte_size(D)))
               end,
         #{id => case Format of pcap -> 0; pcapng -> maps:get(I, Ids) end,
           linktype => epcap_pcap_enc:dlt_to_linktype(DLT),
           units => Ns * PerSec div 1000000000, per_sec => PerSec,
           len => L, data => Cut, comments => Cs}
     end || #{interface := I, ns := Ns, len := L, data := D, comments := Cs} <- Ps].

%% A reader after pcap-savefile(5) and the pcapng draft.
decode(<<16#A1B2C3D4:32/little, _/binary>> = B) -> pcap(little, 1000000, B);
decode(<<16#A1B2C3D4:32/big, _/binary>> = B) -> pcap(big, 1000000, B);
decode(<<16#A1B23C4D:32/little, _/binary>> = B) -> pcap(little, 1000000000, B);
decode(<<16#A1B23C4D:32/big, _/binary>> = B) -> pcap(big, 1000000000, B);
decode(<<16#0A0D0D0A:32, _:32, 16#1A2B3C4D:32/little, _/binary>> = B) -> ng(little, B, []);
decode(<<16#0A0D0D0A:32, _:32, 16#1A2B3C4D:32/big, _/binary>> = B) -> ng(big, B, []).

pcap(E, PerSec, <<_:20/binary, LT:4/binary, Records/binary>>) ->
    records(E, PerSec, u(E, LT), Records).

records(_, _, _, <<>>) -> [];
records(E, PerSec, LT, <<S:4/binary, F:4/binary, C:4/binary, L:4/binary, Rest/binary>>) ->
    Caplen = u(E, C),
    <<D:Caplen/binary, More/binary>> = Rest,
    [#{id => 0, linktype => LT, units => u(E, S) * PerSec + u(E, F), per_sec => PerSec,
       len => u(E, L), data => D, comments => []} | records(E, PerSec, LT, More)].

ng(_, <<>>, _) -> [];
ng(E, <<T:4/binary, L:4/binary, Rest/binary>>, Ifs) ->
    Len = u(E, L) - 12,
    <<Body:Len/binary, L:4/binary, More/binary>> = Rest,
    case u(E, T) of
        1 ->
            <<LT:2/binary, _:2/binary, _Snap:4/binary, Opts/binary>> = Body,
            PerSec = case [V || {9, <<V>>} <- options(E, Opts)] of
                         [] -> 1000000;
                         [R] -> pow10(R)
                     end,
            ng(E, More, Ifs ++ [{u(E, LT), PerSec}]);
        6 ->
            <<Id:4/binary, Hi:4/binary, Lo:4/binary, C:4/binary, OL:4/binary,
              Data/binary>> = Body,
            Caplen = u(E, C),
            Pad = (4 - Caplen rem 4) rem 4,
            <<D:Caplen/binary, _:Pad/binary, Opts/binary>> = Data,
            {LT, PerSec} = lists:nth(u(E, Id) + 1, Ifs),
            [#{id => u(E, Id), linktype => LT, units => u(E, Hi) bsl 32 + u(E, Lo),
               per_sec => PerSec, len => u(E, OL), data => D,
               comments => [V || {1, V} <- options(E, Opts)]} | ng(E, More, Ifs)];
        _ ->
            ng(E, More, Ifs)
    end.

options(_, <<>>) -> [];
options(E, <<C:2/binary, L:2/binary, Rest/binary>>) ->
    case u(E, C) of
        0 -> [];
        Code ->
            Len = u(E, L),
            Pad = (4 - Len rem 4) rem 4,
            <<V:Len/binary, _:Pad/binary, More/binary>> = Rest,
            [{Code, V} | options(E, More)]
    end.

pow10(0) -> 1;
pow10(N) -> 10 * pow10(N - 1).

u(little, B) -> binary:decode_unsigned(B, little);
u(big, B) -> binary:decode_unsigned(B, big).

%% ---- 2. appending ----

prop_append() ->
    ?FORALL({Spec, Cut}, {spec(), range(0, 20)},
            begin
                #{packets := Ps} = Spec,
                {First, Second} = lists:split(min(Cut, length(Ps)), Ps),
                One = file(),
                _ = session(One, write, Spec, Ps, #{}),
                Two = file(),
                Ids = session(Two, write, Spec, First, #{}),
                _ = session(Two, append, Spec, Second, Ids),
                {ok, A} = file:read_file(One),
                {ok, B} = file:read_file(Two),
                ok = file:delete(One),
                ok = file:delete(Two),
                A =:= B
            end).

%% ---- 3. statistics ----

counters() ->
    ?LET(Cs, list(oneof([{received, counter()}, {dropped, counter()},
                         {ifdropped, counter()}, {delivered, counter()},
                         {ifrecv, counter()}, {ifdrop, counter()}, {osdrop, counter()},
                         {usrdeliv, counter()}, {filteraccept, counter()},
                         {held, counter()}])),
         maps:from_list(Cs)).

counter() -> oneof([range(0, 1000), range(0, 1 bsl 64 - 1)]).

prop_statistics() ->
    ?FORALL({E, N, Stats}, {oneof([little, big]), range(1, 3), list({range(0, 2), counters()})},
            begin
                File = file(),
                {ok, W} = epcap_file:open(File, [{format, pcapng}, {endian, E},
                                                 {interfaces, lists:duplicate(N, #{})}]),
                Given = maps:from_list([S || {Id, _} = S <- Stats, Id < N]),
                ok = epcap_file:close(W, Given),
                {ok, Bin} = file:read_file(File),
                ok = file:delete(File),
                Got = isbs(E, Bin),
                Want = lists:sort([{Id, isb_codes(C)} || {Id, C} <- maps:to_list(Given)]),
                ?WHENFAIL(io:format(user, "want ~p~ngot  ~p~n", [Want, Got]), Got =:= Want)
            end).

%% pcapng's option code for each counter: its own name first, then epcap's.
isb_codes(C) ->
    lists:sort(
      [{Code, V} || {Code, Names} <- [{4, [ifrecv, received]}, {5, [ifdrop, ifdropped]},
                                      {6, [filteraccept]}, {7, [osdrop, dropped]},
                                      {8, [usrdeliv, delivered]}],
                    V <- lists:sublist([maps:get(K, C) || K <- Names, maps:is_key(K, C)], 1)]).

isbs(E, Bin) ->
    lists:sort(isb_blocks(E, Bin)).

isb_blocks(_, <<>>) -> [];
isb_blocks(E, <<T:4/binary, L:4/binary, Rest/binary>>) ->
    Len = u(E, L) - 12,
    <<Body:Len/binary, _:4/binary, More/binary>> = Rest,
    case u(E, T) of
        5 ->
            <<Id:4/binary, _Ts:8/binary, Opts/binary>> = Body,
            [{u(E, Id), lists:sort([{C, u(E, V)} || {C, V} <- options(E, Opts)])}
             | isb_blocks(E, More)];
        _ ->
            isb_blocks(E, More)
    end.
