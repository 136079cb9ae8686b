%% @doc Flow control and the active-mode hold, as pure functions.
%%
%% The state of one capture's delivery: the owner's active mode, the
%% messages held back while it is passive, the credit the port has been
%% granted, and the running estimates (bytes per packet, packets per
%% owner message) that size the next grant. Nothing here sends, receives
%% or reads the clock: {@link epcap_port} and {@link epcap_direct} do the
%% I/O with what these functions return, and EUnit drives them from
%% literal inputs (test/epcap_flow_tests.erl).
%%
%% Memory stays bounded: the port may read only as many packets as it has
%% credit for, and credit is granted only while the owner's mailbox and
%% the hold stay below the watermark (`max_queue' packets,
%% `max_queue_bytes' bytes).
-module(epcap_flow).

-export([new/5, active/1, set_active/2, received/3, deliver/3, deliver/1,
         open/1,
         flush/1, grant/2, held/1, held_packets/1, sent/1, credit/1]).
-export_type([flow/0, active/0]).

-type active() :: boolean() | once | pos_integer().
-type item() :: {pos_integer(), term()}.

-record(flow, {
    active :: active(),
    delivery :: packet | batch,
    %% Messages held back, each with its packet count.
    held = queue:new() :: queue:queue(item()),
    held_count = 0 :: non_neg_integer(),
    held_packets = 0 :: non_neg_integer(),
    credit = 0 :: non_neg_integer(),
    max_queue :: pos_integer(),
    max_queue_bytes :: pos_integer(),
    avg_size = 64 :: pos_integer(),
    %% Packets per owner message: 1, or the recent size of a batch.
    avg_batch = 1 :: pos_integer(),
    sent = 0 :: non_neg_integer()
}).

-opaque flow() :: #flow{}.

%% @doc A delivery state: active mode, `packet' or `batch' delivery, the
%% credit the port starts with, and the watermark.
-spec new(active(), packet | batch, non_neg_integer(), pos_integer(),
          pos_integer()) -> flow().
new(Active, Delivery, Credit, MaxQueue, MaxQueueBytes) ->
    #flow{active = Active, delivery = Delivery, credit = Credit,
          max_queue = MaxQueue, max_queue_bytes = MaxQueueBytes}.

%% @doc The active mode now.
-spec active(flow()) -> active().
active(#flow{active = A}) -> A.

%% @doc Change the active mode (what is held is released by {@link deliver/1}).
-spec set_active(active(), flow()) -> flow().
set_active(A, F) -> F#flow{active = A}.

%% @doc The port sent `N' packets in `Bytes' bytes of records, as one
%% owner message per packet (`packet') or one for all (`batch'): they
%% used credit, and the estimates rise at once and fall slowly, so a
%% switch to large packets is never met with credit sized for small ones.
-spec received(pos_integer(), non_neg_integer(), flow()) -> flow().
received(N, Bytes, #flow{delivery = D} = F) ->
    F1 = F#flow{credit = max(0, F#flow.credit - N),
                avg_size = rising(max(1, Bytes div N), F#flow.avg_size)},
    case D of
        packet -> F1;
        batch -> F1#flow{avg_batch = rising(N, F1#flow.avg_batch)}
    end.

rising(New, Avg) ->
    max(New, (Avg * 7 + New) div 8).

%% @doc New messages (`N' packets in all) for the owner: `{Send, Passive,
%% Flow}', the messages to send now in order, whether the owner has just
%% become passive (it is told so after them), and the rest held. With
%% nothing held and the owner active, the common case, all go out.
-spec deliver([term()], non_neg_integer(), flow()) ->
    {[term()], boolean(), flow()}.
deliver(Msgs, N, #flow{active = true, held_count = 0} = F) ->
    {Msgs, false, F#flow{sent = F#flow.sent + N}};
deliver(Msgs, N, #flow{held = Held} = F) ->
    Items = case F#flow.delivery of
        packet -> [{1, M} || M <- Msgs];
        batch -> [{N, M} || M <- Msgs]
    end,
    deliver(F#flow{held = queue:join(Held, queue:from_list(Items)),
                   held_count = F#flow.held_count + length(Items),
                   held_packets = F#flow.held_packets + N}).

%% @doc Whether new messages go straight to the owner: it is active
%% (`true') and nothing is held, so {@link deliver/3} sends them all, and
%% a caller that has sent them itself passes it none, only their count.
-spec open(flow()) -> boolean().
open(#flow{active = true, held_count = 0}) -> true;
open(#flow{}) -> false.

%% @doc Release what the active mode allows of what is held.
-spec deliver(flow()) -> {[term()], boolean(), flow()}.
deliver(#flow{held_count = 0} = F) ->
    {[], false, F};
deliver(#flow{active = false} = F) ->
    {[], false, F};
deliver(#flow{active = true, held_count = C} = F) ->
    take(C, false, F);
deliver(#flow{active = once} = F) ->
    take(1, true, F#flow{active = false});
deliver(#flow{active = N, held_count = C} = F) when is_integer(N) ->
    K = min(N, C),
    case N - K of
        0 -> take(K, true, F#flow{active = false});
        Left -> take(K, false, F#flow{active = Left})
    end.

take(K, Passive, #flow{held = Held, held_count = C} = F) ->
    {Out, Rest} = queue:split(K, Held),
    Items = queue:to_list(Out),
    P = lists:sum([N || {N, _} <- Items]),
    {[M || {_, M} <- Items], Passive,
     F#flow{held = Rest, held_count = C - K,
            held_packets = F#flow.held_packets - P,
            sent = F#flow.sent + P}}.

%% @doc Everything held, whatever the active mode (the capture is ending).
-spec flush(flow()) -> {[term()], flow()}.
flush(F) ->
    {Out, _, F1} = deliver(F#flow{active = true}),
    {Out, F1}.

%% @doc More credit for the port, given the owner's mailbox length in
%% messages: `{Grant, Flow}', 0 when the room left is under a quarter of
%% the limit (so a command is rare).
-spec grant(flow(), non_neg_integer()) -> {non_neg_integer(), flow()}.
grant(#flow{credit = Credit, held_packets = Held} = F, OwnerQueue) ->
    Limit = min(F#flow.max_queue,
                max(1, F#flow.max_queue_bytes div F#flow.avg_size)),
    Room = Limit - Held - OwnerQueue * F#flow.avg_batch - Credit,
    case Room >= Limit div 4 andalso Room > 0 of
        true -> {Room, F#flow{credit = Credit + Room}};
        false -> {0, F}
    end.

%% @doc Messages held.
-spec held(flow()) -> non_neg_integer().
held(#flow{held_count = C}) -> C.

%% @doc Packets held.
-spec held_packets(flow()) -> non_neg_integer().
held_packets(#flow{held_packets = P}) -> P.

%% @doc Packets handed to the owner so far.
-spec sent(flow()) -> non_neg_integer().
sent(#flow{sent = S}) -> S.

%% @doc Credit the port still has.
-spec credit(flow()) -> non_neg_integer().
credit(#flow{credit = C}) -> C.
