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
    precision :: epcap_codec:precision(),
    max_queue :: pos_integer(),
    max_queue_bytes :: pos_integer()
}).

-opaque capture() :: #epcap_direct{}.

%% @doc Start a capture owned by the calling process. Options as for
%% {@link epcap:start_link/1}; those of the epcap process (`active',
%% `delivery', `stats_interval', `node') have no effect: the port runs on this node and `recv/2' returns
%% packets.
-spec open([epcap_opts:option()] | map()) -> {ok, capture()} | {error, term()}.
open(Options) ->
    case epcap_opts:parse(Options) of
        {ok, Config} ->
            ok = epcap_opts:log_warnings(Config),
            case epcap_port:open(Config) of
                {ok, Port, #{datalink := DLT, precision := Prec}, _Prefix} ->
                    put(key(Port), []),
                    put(credit_key(Port), {epcap_opts:initial_credit(Config), 64}),
                    {ok, #epcap_direct{
                        port = Port, datalink = DLT, precision = Prec,
                        time_unit = maps:get(time_unit, Config),
                        max_queue = maps:get(max_queue, Config),
                        max_queue_bytes = maps:get(max_queue_bytes, Config)}};
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

frame(C, Frame, Timeout) ->
    case epcap_codec:decode(Frame) of
        {packets, Records} ->
            Msgs = epcap_codec:packets(Records, C#epcap_direct.datalink,
                                       C#epcap_direct.time_unit,
                                       C#epcap_direct.precision),
            grant(C, length(Msgs), byte_size(Records)),
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
    erase(credit_key(Port)),
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
    erase(credit_key(Port)),
    case epcap_codec:exit_reason(Status) of
        normal -> {error, closed};
        Why -> {error, {port_exit, Why}}
    end.

flush_exit(Port) ->
    receive
        {'EXIT', Port, _} -> ok
    after 0 -> ok
    end.

%% As the epcap process does (epcap_port:grant/1): what was taken is
%% given back, up to max_queue packets or max_queue_bytes in the owner's
%% mailbox, in steps of a quarter so a command is rare.
grant(#epcap_direct{port = Port} = C, N, Bytes) when N > 0 ->
    {Out, Avg0} = get(credit_key(Port)),
    Avg = max(Bytes div N, (Avg0 * 7 + Bytes div N) div 8),
    Limit = min(C#epcap_direct.max_queue,
                max(1, C#epcap_direct.max_queue_bytes div max(1, Avg))),
    Left = max(0, Out - N),
    case Limit - Left of
        Room when Room >= Limit div 4, Room > 0 ->
            _ = command(Port, credit, 0, Room),
            put(credit_key(Port), {Left + Room, Avg});
        _ ->
            put(credit_key(Port), {Left, Avg})
    end;
grant(_, _, _) ->
    ok.

command(Port, Kind, Id, Body) ->
    try port_command(Port, epcap_codec:encode_command(Kind, Id, Body)) of
        true -> ok
    catch
        error:badarg -> closed
    end.

key(Port) ->
    {?MODULE, Port}.

credit_key(Port) ->
    {?MODULE, credit, Port}.
