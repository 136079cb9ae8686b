%%% @doc Write what epcap captures to a standard pcap file, from Erlang,
%%% with {@link epcap_file}.
%%%
%%% The file is the classic libpcap format, little-endian, with the snaplen
%%% and link type the port reported. The fraction is in microseconds
%%% (magic `16#a1b2c3d4'), or in nanoseconds (magic `16#a1b23c4d') when the
%%% capture was started with `{time_unit, nanosecond}'. Each packet's
%%% `Time' and `Length' from the `{packet, DataLinkType, Time, Length,
%%% Packet}' message are written as they are, so `tcpdump -r' reads back
%%% what epcap saw.
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

-export_type([summary/0]).

-type summary() :: #{packets := non_neg_integer(),
                     bytes := non_neg_integer(),
                     stopped := eof | count | duration,
                     linktype := non_neg_integer(),
                     snaplen := pos_integer(),
                     precision := micro | nano}.

%% epcap's default snaplen, and the link type of an empty dump whose
%% source never said (epcap_file's default too).
-define(SNAPLEN_DEFAULT, 262144).
-define(DLT_EN10MB, 1).

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

precision(nanosecond) -> nano;
precision(_) -> micro.

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
            Unit = proplists:get_value(time_unit, EpcapOpts, timestamp),
            case epcap_file:open(Out, [{format, pcap}, {endian, little},
                                       {resolution, precision(Unit)},
                                       {time_unit, file_unit(Unit)}
                                       | header_fields(Cap, EpcapOpts)]) of
                {ok, W} ->
                    write_all(W, Cap, Unit, Limits);
                {error, _} = Error ->
                    ok = stop(Cap),
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

%% Integer times are in epcap's unit; tuples need none.
file_unit(nanosecond) -> nanosecond;
file_unit(_) -> microsecond.

write_all(W, Cap, Unit, #{count := Count, duration := Duration}) ->
    Timer = case Duration of
                infinity -> undefined;
                Ms -> erlang:start_timer(Ms, self(), pcap_dump_duration)
            end,
    S = loop(#{writer => W, cap => Cap, count => Count, timer => Timer,
               packets => 0, bytes => 0, stopped => undefined}),
    _ = is_reference(Timer) andalso erlang:cancel_timer(Timer),
    #{writer := W1} = S,
    #{snaplen := Snap} = Info = epcap_file:info(W1),
    %% An empty dump has the link type nothing said: Ethernet.
    Dlt = case Info of
              #{dlt := undefined} -> ?DLT_EN10MB;
              #{dlt := D} -> D
          end,
    case {S, epcap_file:close(W1)} of
        {#{error := Why}, _} ->
            {error, Why};
        {_, {error, _} = Error} ->
            Error;
        {#{packets := N, bytes := B, stopped := Why}, ok} ->
            {ok, #{packets => N, bytes => B, stopped => Why,
                   linktype => epcap_pcap_enc:dlt_to_linktype(Dlt),
                   snaplen => Snap,
                   precision => precision(Unit)}}
    end.

%% The header's link type and snaplen come from what the port reported at
%% start. A short capture file may be over, and its epcap process gone,
%% before info/1 can ask: then the link type is that of the first packet
%% (epcap_file writes the header with it) and the snaplen the one asked for.
header_fields(Cap, EpcapOpts) ->
    case epcap:info(Cap) of
        {ok, #{datalink := Dlt, snaplen := Snap}} ->
            [{dlt, Dlt}, {snaplen, Snap}];
        {error, closed} ->
            [{snaplen, proplists:get_value(snaplen, EpcapOpts, ?SNAPLEN_DEFAULT)}]
    end.

%% Write every packet until a limit or the end; after a stop, the packets
%% epcap still delivers (it writes out what it holds) are written too, up
%% to the count, and its exit ends the loop.
loop(#{cap := Cap, timer := Timer} = S) ->
    receive
        {packet, _, _, _, _} = Packet ->
            loop(packet(Packet, S));
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

packet(_, #{packets := N, count := N} = S) ->
    S;
packet(_, #{error := _} = S) ->
    S;
packet({packet, _, _, _, Data} = Packet, #{writer := W, packets := N, bytes := B} = S) ->
    case epcap_file:write(W, Packet) of
        {ok, W1} ->
            S1 = S#{writer := W1, packets := N + 1, bytes := B + byte_size(Data)},
            case N + 1 of
                Count when Count =:= map_get(count, S) -> stopping(count, S1);
                _ -> S1
            end;
        {error, Why} ->
            stopping(error, S#{error => Why})
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
