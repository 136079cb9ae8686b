%% @doc A batch of packets to inject, split into command-sized chunks
%% (each INJECT_BATCH command fits in ?EPCAP_CMD_MAX), sent one after the
%% other and answered as one: `ok', or the packets sent and failed over
%% every chunk with the first failure's reason. Pure apart from the
%% `Send' function it is given ({@link epcap:send_batch/2}'s call to the
%% epcap process).
-module(epcap_inject).

-include("epcap_proto.hrl").

-export([batch/2, chunks/1]).

%% Room for a command's tag and id: each packet costs its size plus 4.
-define(BATCH_BYTES, (?EPCAP_CMD_MAX - 64)).

%% @doc Send `Packets' in chunks through `Send', which answers a chunk as
%% the epcap process does: `ok', `{error, {inject_failed, Map}}' (the
%% next chunks go on) or another `{error, _}' (which ends it).
-spec batch(fun(([iodata()]) -> ok | {error, term()}), [iodata()]) ->
    ok | {error, term()}.
batch(Send, Packets) ->
    send(Send, chunks(Packets), 0, 0, undefined).

%% @doc The packets in chunks of at most a command's size, in order.
-spec chunks([iodata()]) -> [[iodata()]].
chunks(Packets) ->
    chunk(Packets, 0, [], []).

chunk([], _, [], Acc) -> lists:reverse(Acc);
chunk([], _, Cur, Acc) -> lists:reverse([lists:reverse(Cur) | Acc]);
chunk([P | T], Size, Cur, Acc) ->
    N = iolist_size(P) + 4,
    case Size + N > ?BATCH_BYTES andalso Cur =/= [] of
        true -> chunk([P | T], 0, [], [lists:reverse(Cur) | Acc]);
        false -> chunk(T, Size + N, [P | Cur], Acc)
    end.

send(_, [], _, 0, _) ->
    ok;
send(_, [], Sent, Failed, Reason) ->
    {error, {inject_failed, #{sent => Sent, failed => Failed, reason => Reason}}};
send(Send, [C | Rest], Sent, Failed, Reason) ->
    case Send(C) of
        ok ->
            send(Send, Rest, Sent + length(C), Failed, Reason);
        {error, {inject_failed, #{sent := S, failed := F, reason := R}}} ->
            Why = case Reason of undefined -> R; _ -> Reason end,
            send(Send, Rest, Sent + S, Failed + F, Why);
        {error, _} = Error ->
            Error
    end.
