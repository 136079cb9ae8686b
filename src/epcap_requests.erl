%% @doc The requests an epcap process has sent its port and not had
%% answered yet, and where each REPLY goes: to the caller waiting for it,
%% to the owner for periodic stats (`tick'), or, for id 0 (a failed
%% single inject, which has no caller), to the owner as an error.
%%
%% Runs in the epcap process ({@link epcap_port}): messages to the owner
%% come from it (`self()'). Id 0 is never given to a request: the port
%% answers an id-0 INJECT only when it fails.
-module(epcap_requests).

-export([new/0, send/5, answer/6, cancel/1]).

-export_type([requests/0, from/0, context/0]).

-type context() :: #{counts := map(), names := epcap_ifaces:names()}.

%% Who waits for an answer: a caller, or the owner's periodic stats.
-type from() :: gen_server:from() | tick.
-opaque requests() :: #{next := pos_integer(),
                        waiting := #{pos_integer() =>
                                     {from(), epcap_codec:command()}}}.

%% @doc No request yet.
-spec new() -> requests().
new() ->
    #{next => 1, waiting => #{}}.

%% @doc Send a command that expects a REPLY; `From' waits for it. If the
%% port has closed, a caller gets `{error, closed}' at once.
-spec send(port(), epcap_codec:command(), term(), from(), requests()) ->
    requests().
send(Port, Kind, Body, From, #{next := Id, waiting := Waiting} = R) ->
    case epcap_spawn:command(Port, Kind, Id, Body) of
        ok ->
            R#{next := Id + 1, waiting := Waiting#{Id => {From, Kind}}};
        closed ->
            tell(From, {error, closed}),
            R
    end.

%% @doc The port's REPLY `Id' goes where it belongs. `Context' holds
%% what the epcap process adds: `counts', its own counters, to a STATS
%% answer; `names', its interfaces' names, to an IFSTATS answer.
-spec answer(non_neg_integer(), atom(), binary(), pid(), context(),
             requests()) -> requests().
answer(0, Code, Body, Owner, _Context, R) ->
    Owner ! {epcap_error, self(), {Code, unicode:characters_to_list(Body)}},
    R;
answer(Id, Status, Body, Owner, Context, #{waiting := Waiting} = R) ->
    case maps:take(Id, Waiting) of
        {{tick, stats}, Rest} ->
            Owner ! {epcap_stats, self(), stats(Body, Context)},
            R#{waiting := Rest};
        {{From, Kind}, Rest} ->
            gen_server:reply(From, result(Kind, Status, Body, Context)),
            R#{waiting := Rest};
        error ->
            erlang:error({protocol, {unexpected_reply, Id}})
    end.

%% @doc Requests the port will never answer now (it has gone, or was
%% stopped after a file's EOF): their callers get `{error, closed}'
%% instead of waiting for ever.
-spec cancel(requests()) -> requests().
cancel(#{waiting := Waiting} = R) ->
    _ = [tell(From, {error, closed}) || {From, _} <- maps:values(Waiting)],
    R#{waiting := #{}}.

result(stats, ok, Body, Context) -> {ok, stats(Body, Context)};
result(ifstats, ok, Body, #{names := Names}) ->
    {ok, epcap_ifaces:stats(Body, Names)};
result(Kind, Status, Body, _) -> epcap_reason:reply(Kind, Status, Body).

stats(Body, #{counts := Counts}) ->
    maps:merge(epcap_codec:stats(Body), Counts).

tell(tick, _) -> ok;
tell(From, Reply) -> gen_server:reply(From, Reply).
