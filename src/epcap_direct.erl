%% @doc Owner-driven capture: the calling process owns the port itself,
%% like a socket in gen_tcp's passive mode. No epcap process stands
%% between the port and the owner, so a packet reaches the owner one
%% process hop (one message, one scheduling) sooner than with
%% {@link epcap:start_link/1}: the lowest latency epcap offers
%% (README, Latency).
%%
%% The owner asks for packets with {@link recv/2}; the port reads only as
%% many as it has credit for, and recv/2 gives back what it takes, up to
%% `max_queue' packets or `max_queue_bytes' waiting in the owner's
%% mailbox: memory stays bounded as with the epcap process. Frames that come
%% while the owner waits for a reply ({@link stats/1}) are kept for the
%% next {@link recv/2}, in this process's dictionary, with what the
%% frames change as they come: the link type of the packets that follow
%% (a DATALINK frame: a file or several interfaces with several link
%% types) and the interfaces described (`{interface_info, true}'). The
%% port is linked to the owner and ends when the owner does.
%%
%% Use it through {@link epcap:open/1}, {@link epcap:recv/2},
%% {@link epcap:close/1}, {@link epcap:stats/1} and
%% {@link epcap:interface_stats/1}.
-module(epcap_direct).

-export([open/1, recv/2, stats/1, interface_stats/1, close/1]).
-export_type([capture/0]).

-define(CLOSE_TIMEOUT, 5000).

-record(epcap_direct, {
    port :: port(),
    time_unit :: epcap_codec:time_unit(),
    precision :: epcap_codec:precision(),
    %% The interfaces' names from the options and READY (epcap_ifaces).
    names :: epcap_ifaces:names()
}).

%% The options of the epcap process: refused here, at the call.
-define(PROCESS_ONLY, [active, delivery, stats_interval, node]).

-opaque capture() :: #epcap_direct{}.

%% @doc Start a capture owned by the calling process. Options as for
%% {@link epcap:start_link/1}, except those of the epcap process, which
%% have no meaning here (the port runs on this node and `recv/2' returns
%% packets): `active', `delivery', `stats_interval' and `node' are
%% `{error, {badarg, Option}}'.
-spec open([epcap_opts:option()] | map()) -> {ok, capture()} | {error, term()}.
open(Options) ->
    case process_only(Options) of
        false -> open_parsed(epcap_opts:parse(Options));
        Opt -> {error, {badarg, Opt}}
    end.

process_only(Options) when is_map(Options) ->
    process_only(maps:to_list(Options));
process_only(Options) when is_list(Options) ->
    case [O || O <- Options, lists:member(opt_key(O), ?PROCESS_ONLY)] of
        [Opt | _] -> Opt;
        [] -> false
    end;
process_only(_) ->
    false.

opt_key({K, _}) -> K;
opt_key(K) -> K.

open_parsed({ok, Config}) ->
    ok = epcap_opts:log_warnings(Config),
    case epcap_launch:open(Config) of
        {ok, Port, Ready0, _Prefix} ->
            {Ready, Ifs} = epcap_ifaces:take(Ready0),
            #{datalink := DLT, precision := Prec} = Ready,
            put(key(Port), []),
            %% No active or delivery option here: true and packet.
            put(flow_key(Port), epcap_opts:flow(Config)),
            put(links_key(Port), #{datalink => DLT, interfaces => Ifs}),
            {ok, #epcap_direct{port = Port, precision = Prec,
                               time_unit = maps:get(time_unit, Config),
                               names = epcap_ifaces:names(Config, Ready, #{})}};
        {error, _} = Error ->
            Error
    end;
open_parsed({error, _} = Error) ->
    Error.

%% @doc The packets the port has ready, oldest first, each as the
%% `{packet, DataLinkType, Time, Length, Packet}' term; waits up to
%% `Timeout' ms for the first. `{error, eof}' after the end of a file.
-spec recv(capture(), timeout()) ->
    {ok, [epcap_codec:message() | epcap_codec:if_message()]}
    | {error, timeout | eof | closed | term()}.
recv(#epcap_direct{port = Port} = C, Timeout) ->
    case get(key(Port)) of
        [Frame | Rest] ->
            put(key(Port), Rest),
            frame(C, Frame, Timeout);
        _ ->
            receive
                {Port, {data, Frame}} -> frame(C, Frame, Timeout);
                {Port, {exit_status, S}} -> gone(Port, S)
            after Timeout ->
                {error, timeout}
            end
    end.

frame(#epcap_direct{port = Port} = C, Frame, Timeout) ->
    #{datalink := DLT, interfaces := Ifs} = State = get(links_key(Port)),
    case epcap_codec:decode(Frame) of
        {Kind, Records} when Kind =:= packets; Kind =:= ifpackets ->
            Links = case Kind of
                packets -> DLT;
                ifpackets -> maps:map(fun(_, #{datalink := D}) -> D end, Ifs)
            end,
            Msgs = epcap_codec:records(Kind, packet, Records, Links,
                                       C#epcap_direct.time_unit,
                                       C#epcap_direct.precision),
            grant(C, length(Msgs), byte_size(Records)),
            {ok, Msgs};
        {datalink, D} ->
            put(links_key(Port), State#{datalink := D}),
            recv(C, Timeout);
        {interface, #{index := I} = If} ->
            put(links_key(Port), State#{interfaces := Ifs#{I => If}}),
            recv(C, Timeout);
        eof ->
            {error, eof};
        {error, Code, true, Msg} ->
            {error, epcap_reason:fatal(Code, Msg)};
        {error, Code, false, Msg} ->
            logger:warning("epcap: ~p: ~ts", [Code, Msg]),
            recv(C, Timeout);
        {warning, Code, Msg} ->
            epcap_events:log_frame(Code, Msg),
            recv(C, Timeout);
        Other ->
            erlang:error({protocol, {unexpected, Other}})
    end.

%% @doc The port's counters, as {@link epcap:stats/1} gives them (without
%% `owner_delivered' and `held', which belong to the epcap process).
-spec stats(capture()) -> {ok, #{atom() => non_neg_integer()}} | {error, term()}.
stats(#epcap_direct{port = Port}) ->
    ask(Port, stats, fun epcap_codec:stats/1).

%% @doc Each interface's counters, as {@link epcap:interface_stats/1}
%% gives them.
-spec interface_stats(capture()) ->
    {ok, [epcap_ifaces:stats()]} | {error, term()}.
interface_stats(#epcap_direct{port = Port, names = Names}) ->
    Described = case get(links_key(Port)) of
        #{interfaces := Ifs} -> Ifs;
        undefined -> #{}
    end,
    Named = maps:merge(maps:map(fun(_, #{name := N}) -> N end, Described),
                       Names),
    ask(Port, ifstats, fun(Body) -> epcap_ifaces:stats(Body, Named) end).

ask(Port, Kind, Decode) ->
    Id = erlang:unique_integer([positive]) band 16#7fffffff,
    case epcap_spawn:command(Port, Kind, Id, []) of
        ok -> await_reply(Port, Id, Decode);
        closed -> {error, closed}
    end.

await_reply(Port, Id, Decode) ->
    receive
        {Port, {data, Frame}} ->
            case epcap_codec:decode(Frame) of
                {reply, Id, ok, Body} ->
                    {ok, Decode(Body)};
                {reply, Id, Code, Body} ->
                    {error, {Code, unicode:characters_to_list(Body)}};
                _ ->
                    %% Packets and the rest wait for the next recv.
                    put(key(Port), get(key(Port)) ++ [Frame]),
                    await_reply(Port, Id, Decode)
            end;
        {Port, {exit_status, S}} ->
            gone(Port, S)
    after ?CLOSE_TIMEOUT ->
        {error, timeout}
    end.

%% @doc Stop the port and wait for it to exit; what it still held is
%% dropped.
-spec close(capture()) -> ok.
close(#epcap_direct{port = Port}) ->
    _ = epcap_spawn:command(Port, stop, 0, []),
    wait_exit(Port),
    forget(Port).

wait_exit(Port) ->
    receive
        {Port, {data, _}} -> wait_exit(Port);
        {Port, {exit_status, _}} -> epcap_spawn:flush_exit(Port)
    after ?CLOSE_TIMEOUT ->
        catch port_close(Port),
        epcap_spawn:flush_exit(Port)
    end.

gone(Port, Status) ->
    epcap_spawn:flush_exit(Port),
    forget(Port),
    case epcap_codec:exit_reason(Status) of
        normal -> {error, closed};
        Why -> {error, {port_exit, Why}}
    end.

%% As the epcap process does (epcap_flow): what was taken is given back,
%% up to max_queue packets or max_queue_bytes, in steps of a quarter so a
%% command is rare. The owner's mailbox holds frames, not packets: what
%% it has not taken yet is still the port's credit.
grant(#epcap_direct{port = Port}, N, Bytes) when N > 0 ->
    F = epcap_flow:received(N, Bytes, get(flow_key(Port))),
    {Room, F1} = epcap_flow:grant(F, 0),
    _ = Room > 0 andalso epcap_spawn:command(Port, credit, 0, Room),
    put(flow_key(Port), F1),
    ok;
grant(_, _, _) ->
    ok.

key(Port) when is_port(Port) ->
    {?MODULE, Port}.

flow_key(Port) ->
    {?MODULE, flow, Port}.

links_key(Port) ->
    {?MODULE, links, Port}.

forget(Port) ->
    _ = [erase(K) || K <- [key(Port), flow_key(Port), links_key(Port)]],
    ok.
