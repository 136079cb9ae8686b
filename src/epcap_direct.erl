%% @doc Owner-driven capture: the calling process owns the port itself,
%% like a socket in gen_tcp's passive mode. No epcap process stands
%% between the port and the owner, so a packet reaches the owner one
%% process hop (one message, one scheduling) sooner than with
%% {@link epcap:start_link/1}: the lowest latency epcap offers
%% (README, Latency).
%%
%% The owner asks for packets with {@link recv/2}; the port reads only as
%% many as the owner has taken in so far plus its first credit, so the
%% owner's mailbox stays bounded without any watermark. Frames that come
%% while the owner waits for a reply ({@link stats/1}) are kept for the
%% next {@link recv/2}, in this process's dictionary. The port is linked
%% to the owner and ends when the owner does.
%%
%% Use it through {@link epcap:open/1}, {@link epcap:recv/2},
%% {@link epcap:close/1} and {@link epcap:stats/1}.
-module(epcap_direct).

-export([open/1, recv/2, stats/1, close/1]).
-export_type([capture/0]).

-define(CLOSE_TIMEOUT, 5000).

-record(epcap_direct, {
    port :: port(),
    datalink :: non_neg_integer(),
    time_unit :: epcap_codec:time_unit(),
    precision :: epcap_codec:precision()
}).

-opaque capture() :: #epcap_direct{}.

%% @doc Start a capture owned by the calling process. Options as for
%% {@link epcap:start_link/1}; those of the epcap process (`active',
%% `delivery', `max_queue', `max_queue_bytes', `stats_interval', `node')
%% have no effect: the port runs on this node and `recv/2' returns
%% packets.
-spec open([epcap_opts:option()] | map()) -> {ok, capture()} | {error, term()}.
open(Options) ->
    case epcap_opts:parse(Options) of
        {ok, Config} ->
            case epcap_port:open(Config) of
                {ok, Port, #{datalink := DLT, precision := Prec}} ->
                    put(key(Port), []),
                    {ok, #epcap_direct{
                        port = Port, datalink = DLT, precision = Prec,
                        time_unit = maps:get(time_unit, Config)}};
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

%% @doc The packets the port has ready, oldest first, each as the
%% `{packet, DataLinkType, Time, Length, Packet}' term; waits up to
%% `Timeout' ms for the first. `{error, eof}' after the end of a file.
-spec recv(capture(), timeout()) ->
    {ok, [epcap_codec:message()]} | {error, timeout | eof | closed | term()}.
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
    case epcap_codec:decode(Frame) of
        {packets, Records} ->
            Msgs = epcap_codec:packets(Records, C#epcap_direct.datalink,
                                       C#epcap_direct.time_unit,
                                       C#epcap_direct.precision),
            %% Give back what was taken: the port never holds more than
            %% the first credit in the owner's mailbox.
            command(Port, credit, 0, length(Msgs)),
            {ok, Msgs};
        eof ->
            {error, eof};
        {error, Code, true, Msg} ->
            {error, {Code, Msg}};
        {error, Code, false, Msg} ->
            logger:warning("epcap: ~p: ~ts", [Code, Msg]),
            recv(C, Timeout);
        {warning, Code, Msg} ->
            logger:warning("epcap: ~p: ~ts", [Code, Msg]),
            recv(C, Timeout);
        Other ->
            erlang:error({protocol, {unexpected, Other}})
    end.

%% @doc The port's counters, as {@link epcap:stats/1} gives them (without
%% `owner_delivered' and `held', which belong to the epcap process).
-spec stats(capture()) -> {ok, #{atom() => non_neg_integer()}} | {error, term()}.
stats(#epcap_direct{port = Port}) ->
    Id = erlang:unique_integer([positive]) band 16#7fffffff,
    case command(Port, stats, Id, []) of
        ok -> await_reply(Port, Id);
        closed -> {error, closed}
    end.

await_reply(Port, Id) ->
    receive
        {Port, {data, Frame}} ->
            case epcap_codec:decode(Frame) of
                {reply, Id, ok, Body} ->
                    {ok, epcap_codec:stats(Body)};
                {reply, Id, Code, Body} ->
                    {error, {Code, unicode:characters_to_list(Body)}};
                _ ->
                    %% Packets and the rest wait for the next recv.
                    put(key(Port), get(key(Port)) ++ [Frame]),
                    await_reply(Port, Id)
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
    _ = command(Port, stop, 0, []),
    wait_exit(Port),
    erase(key(Port)),
    ok.

wait_exit(Port) ->
    receive
        {Port, {data, _}} -> wait_exit(Port);
        {Port, {exit_status, _}} -> flush_exit(Port)
    after ?CLOSE_TIMEOUT ->
        catch port_close(Port),
        flush_exit(Port)
    end.

gone(Port, Status) ->
    flush_exit(Port),
    erase(key(Port)),
    case epcap_codec:exit_reason(Status) of
        normal -> {error, closed};
        Why -> {error, {port_exit, Why}}
    end.

flush_exit(Port) ->
    receive
        {'EXIT', Port, _} -> ok
    after 0 -> ok
    end.

command(Port, Kind, Id, Body) ->
    try port_command(Port, epcap_codec:encode_command(Kind, Id, Body)) of
        true -> ok
    catch
        error:badarg -> closed
    end.

key(Port) ->
    {?MODULE, Port}.
