%%% @doc Write what epcap captures to a standard pcap file, from Erlang.
%%%
%%% The file is the classic libpcap format, little-endian: a 24-byte
%%% global header (version 2.4, the snaplen and link type the port
%%% reported) and, for each packet, a 16-byte record header (seconds,
%%% fraction, captured length, length on the wire) followed by the bytes
%%% captured. The fraction is in microseconds (magic `16#a1b2c3d4'), or in
%%% nanoseconds (magic `16#a1b23c4d') when the capture was started with
%%% `{time_unit, nanosecond}'. Each packet's `Time' and `Length' from the
%%% `{packet, DataLinkType, Time, Length, Packet}' message are written as
%%% they are, so `tcpdump -r' reads back what epcap saw.
%%%
%%% The source is live (`{interface, Name}') or a capture file
%%% (`{file, Path}', pcap or pcapng), so this also converts pcapng to pcap.
%%% The dump ends at the end of the file, after `{count, N}' packets or
%%% after `{duration, Ms}'.
%%%
%%% After `make all examples' (live capture as root or after `make setcap'):
%%% ```
%%% erl -noshell -pa ebin -pa _build/examples -eval 'pcap_dump:main(["-i", "lo", "-w", "/tmp/lo.pcap", "-c", "100", "udp"])'
%%% erl -noshell -pa ebin -pa _build/examples -eval 'pcap_dump:main(["-r", "in.pcapng", "-w", "out.pcap", "--nano"])'
%%% '''
%%% Flags: `-i Interface' or `-r File', `-w Output' (required),
%%% `-c Count', `-d Milliseconds', `--nano'; the remaining words form the
%%% filter. It prints one summary line on standard error and exits 0, or
%%% 1 on an error.
-module(pcap_dump).

-export([dump/2, main/1]).
-export([file_header/3, record/3, linktype/1]).

-export_type([summary/0]).

-type summary() :: #{packets := non_neg_integer(),
                     bytes := non_neg_integer(),
                     stopped := eof | count | duration,
                     linktype := non_neg_integer(),
                     snaplen := pos_integer(),
                     precision := micro | nano}.

-define(MAGIC_MICRO, 16#a1b2c3d4).
-define(MAGIC_NANO, 16#a1b23c4d).
%% epcap's default snaplen, and the link type of an empty dump whose
%% source never said.
-define(SNAPLEN_DEFAULT, 262144).
-define(LINKTYPE_ETHERNET, 1).

%%====================================================================
%% API
%%====================================================================

%% @doc Capture into the pcap file `Out'. `Options' are epcap's
%% (`{interface, Name}' or `{file, Path}', `{filter, Expr}',
%% `{time_unit, nanosecond}', ...) plus `{count, N}' and
%% `{duration, Ms}', which this function takes out. The file is complete
%% when this returns: `{ok, Summary}', or `{error, Reason}' (from epcap,
%% from the file system, or `{bad_option, Opt}').
-spec dump(file:name_all(), [term()]) -> {ok, summary()} | {error, term()}.
dump(Out, Options) when is_list(Options) ->
    case limits(Options, #{count => infinity, duration => infinity}, []) of
        {ok, Limits, EpcapOpts} -> run_worker(Out, Limits, EpcapOpts);
        {error, _} = Error -> Error
    end.

%% @doc Command-line entry (see the module documentation); halts.
-spec main([string()]) -> no_return().
main(Args) ->
    Status =
        case cli(Args, #{words => []}) of
            {ok, Out, Opts} ->
                case dump(Out, Opts) of
                    {ok, #{packets := N, bytes := B, stopped := Why}} ->
                        io:format(standard_error,
                                  "pcap_dump: ~b packets (~b bytes) written to ~ts"
                                  " (stopped: ~s)~n", [N, B, Out, Why]),
                        0;
                    {error, Why} ->
                        io:format(standard_error, "pcap_dump: ~tp~n", [Why]),
                        1
                end;
            {error, Msg} ->
                io:format(standard_error, "pcap_dump: ~ts~n~ts", [Msg, usage()]),
                1
        end,
    erlang:halt(Status).

%%====================================================================
%% The format (pure)
%%====================================================================

%% @doc The global header: magic for the precision, version 2.4, no
%% time zone offset, no accuracy, snaplen and link type.
-spec file_header(micro | nano, pos_integer(), non_neg_integer()) -> binary().
file_header(Precision, Snaplen, LinkType) ->
    Magic = case Precision of
                micro -> ?MAGIC_MICRO;
                nano -> ?MAGIC_NANO
            end,
    <<Magic:32/little, 2:16/little, 4:16/little, 0:32/little, 0:32/little,
      Snaplen:32/little, LinkType:32/little>>.

%% @doc One record: `Time' as epcap gives it (`{Mega, Sec, Micro}' or an
%% integer of microseconds or nanoseconds, following `Unit'), `Length'
%% on the wire, then the captured bytes.
-spec record(epcap_codec:time_unit(), term(), {non_neg_integer(), binary()}) ->
    iodata().
record(Unit, Time, {Length, Packet}) ->
    {Sec, Frac} = split_time(Unit, Time),
    [<<Sec:32/little, Frac:32/little, (byte_size(Packet)):32/little,
       Length:32/little>>, Packet].

split_time(timestamp, {Mega, Sec, Micro}) -> {Mega * 1000000 + Sec, Micro};
split_time(microsecond, T) when is_integer(T) -> {T div 1000000, T rem 1000000};
split_time(nanosecond, T) when is_integer(T) -> {T div 1000000000, T rem 1000000000}.

precision(nanosecond) -> nano;
precision(_) -> micro.

%% @doc The LINKTYPE_ value a file carries for a DLT_ value, where the two
%% differ (as libpcap's `dlt_to_linktype' does for the ones seen here).
-spec linktype(non_neg_integer()) -> non_neg_integer().
linktype(11) -> 100;  % DLT_ATM_RFC1483
linktype(12) -> 101;  % DLT_RAW on most systems
linktype(14) -> 101;  % DLT_RAW on OpenBSD
linktype(D) -> D.

%%====================================================================
%% Capture
%%====================================================================

limits([], Limits, Acc) ->
    {ok, Limits, lists:reverse(Acc)};
limits([{count, N} | T], L, Acc) when is_integer(N), N > 0 ->
    limits(T, L#{count := N}, Acc);
limits([{duration, Ms} | T], L, Acc) when is_integer(Ms), Ms >= 0 ->
    limits(T, L#{duration := Ms}, Acc);
limits([{K, _} = Opt | _], _, _) when K =:= count; K =:= duration ->
    {error, {bad_option, Opt}};
limits([Opt | T], L, Acc) ->
    limits(T, L, [Opt | Acc]).

%% A private process owns the capture and the file: the caller's mailbox
%% and trap_exit flag stay untouched, and the file is closed whatever
%% happens to it.
run_worker(Out, Limits, EpcapOpts) ->
    Parent = self(),
    Tag = make_ref(),
    {Pid, MRef} = spawn_monitor(fun() -> Parent ! {Tag, session(Out, Limits, EpcapOpts)} end),
    receive
        {Tag, Result} ->
            erlang:demonitor(MRef, [flush]),
            Result;
        {'DOWN', MRef, process, Pid, Why} ->
            {error, {crashed, Why}}
    end.

session(Out, Limits, EpcapOpts) ->
    process_flag(trap_exit, true),
    case epcap:start_link(EpcapOpts) of
        {ok, Cap} ->
            case file:open(Out, [write, raw, binary, {delayed_write, 1 bsl 20, 200}]) of
                {ok, Fd} ->
                    try write_all(Fd, Cap, EpcapOpts, Limits)
                    after file:close(Fd)
                    end;
                {error, Why} ->
                    ok = stop(Cap),
                    {error, {file, Out, Why}}
            end;
        {error, _} = Error ->
            Error
    end.

write_all(Fd, Cap, EpcapOpts, #{count := Count, duration := Duration}) ->
    Unit = proplists:get_value(time_unit, EpcapOpts, timestamp),
    Timer = case Duration of
                infinity -> undefined;
                Ms -> erlang:start_timer(Ms, self(), pcap_dump_duration)
            end,
    S0 = header_fields(Cap, EpcapOpts,
                       #{fd => Fd, cap => Cap, unit => Unit, count => Count,
                         timer => Timer, packets => 0, bytes => 0,
                         stopped => undefined, header => pending}),
    S = header(undefined, loop(S0)),
    _ = is_reference(Timer) andalso erlang:cancel_timer(Timer),
    case S of
        #{error := Why} ->
            {error, Why};
        #{packets := N, bytes := B, stopped := Why, linktype := LT, snaplen := Snap} ->
            {ok, #{packets => N, bytes => B, stopped => Why, linktype => LT,
                   snaplen => Snap, precision => precision(Unit)}}
    end.

%% The header's link type and snaplen come from what the port reported at
%% start. A short capture file may be over, and its epcap process gone,
%% before info/1 can ask: then the link type is that of the first packet
%% (every message carries it) and the snaplen the one asked for.
header_fields(Cap, EpcapOpts, S) ->
    case epcap:info(Cap) of
        {ok, #{datalink := Dlt, snaplen := Snap}} ->
            S#{linktype => linktype(Dlt), snaplen => Snap};
        {error, closed} ->
            S#{linktype => undefined,
               snaplen => proplists:get_value(snaplen, EpcapOpts, ?SNAPLEN_DEFAULT)}
    end.

%% Write the header once, before the first record (or at the end of an
%% empty dump, when nothing said which link type it was: Ethernet).
header(_, #{header := written} = S) ->
    S;
header(Dlt, #{fd := Fd, unit := Unit, snaplen := Snap, linktype := LT0} = S) ->
    LT = case {LT0, Dlt} of
             {undefined, undefined} -> ?LINKTYPE_ETHERNET;
             {undefined, _} -> linktype(Dlt);
             _ -> LT0
         end,
    ok = file:write(Fd, file_header(precision(Unit), Snap, LT)),
    S#{header := written, linktype := LT}.

%% Write every packet until a limit or the end; after a stop, the packets
%% epcap still delivers (it writes out what it holds) are written too, up
%% to the count, and its exit ends the loop.
loop(#{cap := Cap, timer := Timer} = S) ->
    receive
        {packet, Dlt, Time, Length, Packet} ->
            loop(packet(Time, Length, Packet, header(Dlt, S)));
        {epcap, eof} ->
            loop(S#{stopped := stop_reason(S)});
        {timeout, Timer, pcap_dump_duration} ->
            loop(stopping(duration, S));
        {'EXIT', Cap, Why} when Why =:= normal; Why =:= shutdown ->
            S#{stopped := stop_reason(S)};
        {'EXIT', Cap, Why} ->
            S#{error => {epcap_exit, Why}}
    end.

stop_reason(#{stopped := undefined}) -> eof;
stop_reason(#{stopped := Why}) -> Why.

packet(_, _, _, #{packets := N, count := N} = S) ->
    S;
packet(Time, Length, Packet, #{fd := Fd, unit := Unit, packets := N, bytes := B} = S) ->
    ok = file:write(Fd, record(Unit, Time, {Length, Packet})),
    S1 = S#{packets := N + 1, bytes := B + byte_size(Packet)},
    case N + 1 of
        Count when Count =:= map_get(count, S) -> stopping(count, S1);
        _ -> S1
    end.

%% Ask epcap to stop (once); its exit message ends the loop.
stopping(Why, #{stopped := undefined, cap := Cap} = S) ->
    ok = stop(Cap),
    S#{stopped := Why};
stopping(_, S) ->
    S.

stop(Cap) ->
    %% epcap:stop/1 returns ok whether or not the process is still there.
    epcap:stop(Cap).

%%====================================================================
%% Command line
%%====================================================================

cli(["-i", If | T], S) -> cli(T, S#{source => {interface, If}});
cli(["-r", File | T], S) -> cli(T, S#{source => {file, File}});
cli(["-w", Out | T], S) -> cli(T, S#{out => Out});
cli(["--nano" | T], S) -> cli(T, S#{nano => true});
cli([Flag, V | T], S) when Flag =:= "-c"; Flag =:= "-d" ->
    case string:to_integer(V) of
        {N, ""} when N > 0 ->
            cli(T, S#{case Flag of "-c" -> count; "-d" -> duration end => N});
        _ ->
            {error, Flag ++ " needs a positive integer"}
    end;
cli(["-" ++ _ = Flag | _], _) ->
    {error, "unknown or incomplete option " ++ Flag};
cli([Word | T], #{words := Ws} = S) ->
    cli(T, S#{words := [Word | Ws]});
cli([], #{out := Out, source := Source, words := Ws} = S) ->
    Filter = lists:join(" ", lists:reverse(Ws)),
    {ok, Out, [Source]
         ++ [{filter, lists:flatten(Filter)} || Ws =/= []]
         ++ [{time_unit, nanosecond} || maps:get(nano, S, false)]
         ++ [{K, V} || K <- [count, duration], {ok, V} <- [maps:find(K, S)]]};
cli([], #{out := _}) ->
    {error, "no source: give -i Interface or -r File"};
cli([], _) ->
    {error, "no output: give -w File"}.

usage() ->
    "usage: pcap_dump:main([\"-i\", Iface | \"-r\", File, \"-w\", Out, "
    "\"-c\", Count, \"-d\", Ms, \"--nano\" | FilterWords])\n".

%%====================================================================
%% Tests (make eunit)
%%====================================================================

-ifdef(TEST).
-include_lib("eunit/include/eunit.hrl").

header_test() ->
    ?assertEqual(<<16#d4, 16#c3, 16#b2, 16#a1, 2, 0, 4, 0, 0:64, 0, 0, 4, 0, 1, 0, 0, 0>>,
                 file_header(micro, 262144, 1)),
    ?assertMatch(<<16#4d, 16#3c, 16#b2, 16#a1, _/binary>>, file_header(nano, 65535, 113)).

record_test() ->
    R = fun(U, T) -> iolist_to_binary(record(U, T, {100, <<1, 2, 3>>})) end,
    Want = <<1700000000:32/little, 123:32/little, 3:32/little, 100:32/little, 1, 2, 3>>,
    ?assertEqual(Want, R(timestamp, {1700, 0, 123})),
    ?assertEqual(Want, R(microsecond, 1700000000000123)),
    ?assertEqual(Want, R(nanosecond, 1700000000000000123)).

cli_test() ->
    ?assertEqual({ok, "o.pcap", [{interface, "lo"}, {filter, "udp port 53"},
                                 {time_unit, nanosecond}, {count, 5}]},
                 cli(["-i", "lo", "-w", "o.pcap", "--nano", "-c", "5", "udp", "port", "53"],
                     #{words => []})),
    ?assertEqual({ok, "o", [{file, "f"}, {duration, 10}]},
                 cli(["-r", "f", "-d", "10", "-w", "o"], #{words => []})),
    ?assertMatch({error, _}, cli(["-r", "f"], #{words => []})),
    ?assertMatch({error, _}, cli(["-w", "o"], #{words => []})),
    ?assertMatch({error, _}, cli(["-c", "0", "-w", "o", "-r", "f"], #{words => []})),
    ?assertEqual({error, {bad_option, {count, 0}}}, dump("o", [{count, 0}])).
-endif.
