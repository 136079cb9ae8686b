%% @doc Fan-out groups: several captures of one interface sharing its
%% packets, each packet to one member (Linux `PACKET_FANOUT', packet(7)).
%%
%% One capture is one port and one owner, so an owner that does real
%% work per packet caps the capture at one core. A group of N members
%% spreads the interface over N ports and N owners, which run on N
%% schedulers:
%%
%% ```
%% Owners = [spawn_link(fun worker/0) || _ <- lists:seq(1, 4)],
%% {ok, G} = epcap_fanout:start(Owners, [{interface, "eth0"},
%%                                       {fanout, #{group => 7001, mode => hash}},
%%                                       {filter, "tcp"}]),
%% {ok, #{total := Total, members := Members}} = epcap_fanout:stats(G),
%% ok = epcap_fanout:stop(G).
%% '''
%%
%% Every member is an ordinary capture (the same options, privileges and
%% installs as one started with {@link epcap:start/2}), started for its
%% owner: its packets go to that owner and it ends when that owner does.
%% The members are not linked to each other or to the caller: a member
%% that dies leaves the others capturing, and {@link stats/1} shows it as
%% `down'. The kernel then shares the traffic among the members left (in
%% `hash' mode a flow stays on one member as long as the group keeps its
%% members).
%%
%% Modes: `hash' (by flow: a flow's packets go to one member), `lb' (in
%% turn), `cpu' (by the CPU that received the packet), `rollover' (the
%% first member with room), `random', `qm' (by receive queue); flags
%% `rollover => true' (a member whose buffer is full passes the packet on
%% instead of dropping it) and `defrag => true' (IP fragments are
%% reassembled first, so they hash together).
%%
%% A member has one ring: with `{fanout, _}' the adaptive default's
%% second, immediate-mode socket is not opened (it would be outside the
%% group and see every packet), so `{timeout, adaptive}' is the block ring
%% with a millisecond's timeout. The kernel picks a member before the
%% member's filter runs: every member must have the same filter, which is
%% why all members are started from one option list (and `set_filter/2'
%% must be applied to every member).
-module(epcap_fanout).

-export([start/2, stop/1, members/1, stats/1, set_filter/2, child_specs/2]).
-export_type([group/0, member/0]).

-type member() :: #{owner := pid(), capture := pid()}.
-type group() :: #{fanout := epcap_opts:fanout(), members := [member()]}.

%% Counters that add up across members (epcap:stats/1).
-define(SUMMED, [received, dropped, ifdropped, delivered, delivered_bytes,
                 owner_delivered, credit_stalls, output_stalls, held]).

%% @doc Start one capture per owner, all with `Options', which must hold
%% `{fanout, #{group := G, mode := M}}'. If one member fails to start,
%% those started are stopped and the error is returned (a bad option is
%% `{error, {badarg, Option}}' before any is started).
-spec start([pid()], [epcap:option()] | map()) ->
    {ok, group()} | {error, term()}.
start(Owners, Options) when is_map(Options) ->
    start(Owners, maps:to_list(Options));
start([_ | _] = Owners, Options) when is_list(Options) ->
    case lists:keyfind(fanout, 1, lists:reverse(Options)) of
        false ->
            {error, {badarg, fanout}};
        {fanout, Fanout} ->
            case epcap_opts:parse(Options) of
                {ok, _} -> start_members(Owners, Options, Fanout, []);
                {error, _} = Error -> Error
            end
    end;
start(Owners, _) ->
    {error, {badarg, {owners, Owners}}}.

start_members([], _, Fanout, Acc) ->
    {ok, #{fanout => Fanout, members => lists:reverse(Acc)}};
start_members([Owner | Rest], Options, Fanout, Acc) ->
    case epcap:start(Owner, Options) of
        {ok, Pid} ->
            start_members(Rest, Options, Fanout,
                          [#{owner => Owner, capture => Pid} | Acc]);
        {error, _} = Error ->
            _ = stop(#{fanout => Fanout, members => Acc}),
            Error
    end.

%% @doc Stop every member still capturing; each writes out what it holds
%% to its owner first (as {@link epcap:stop/1}).
-spec stop(group()) -> ok.
stop(#{members := Members}) ->
    lists:foreach(fun(#{capture := Pid}) -> ok = epcap:stop(Pid) end,
                  Members).

%% @doc The members' captures, in the order of the owners given.
-spec members(group()) -> [pid()].
members(#{members := Members}) ->
    [Pid || #{capture := Pid} <- Members].

%% @doc Each member's counters (or `down' for a member that is gone),
%% the number of members `alive', and the `total' of the counters that
%% add up (received, dropped, delivered, ...) over the living members.
%% `received' counts what the kernel gave each member's socket: across a
%% group it adds up to what the group took from the interface.
-spec stats(group()) ->
    {ok, #{members := [{pid(), #{atom() => non_neg_integer()} | down}],
           alive := non_neg_integer(),
           total := #{atom() => non_neg_integer()}}}.
stats(#{members := Members}) ->
    Each = [{Pid, member_stats(Pid)} || #{capture := Pid} <- Members],
    Alive = [S || {_, S} <- Each, is_map(S)],
    Total = maps:from_list(
              [{K, lists:sum([maps:get(K, S, 0) || S <- Alive])}
               || K <- ?SUMMED]),
    {ok, #{members => Each, alive => length(Alive), total => Total}}.

member_stats(Pid) ->
    case epcap:stats(Pid) of
        {ok, S} -> S;
        {error, _} -> down
    end.

%% @doc A new filter for every living member, one after the other (see
%% {@link epcap:set_filter/2}); the first error stops there and is
%% returned. While the members differ, a packet the kernel gives to a
%% member whose filter rejects it is lost for the group: change filters
%% when traffic is quiet, or start a new group.
-spec set_filter(group(), iodata()) -> ok | {error, term()}.
set_filter(#{members := Members}, Filter) ->
    set_filter_each([Pid || #{capture := Pid} <- Members], Filter).

set_filter_each([], _) ->
    ok;
set_filter_each([Pid | Rest], Filter) ->
    case epcap:set_filter(Pid, Filter) of
        ok ->
            set_filter_each(Rest, Filter);
        {error, _} = Error ->
            %% A member that is gone has no filter to change.
            case epcap:stats(Pid) of
                {ok, _} -> Error;
                {error, _} -> set_filter_each(Rest, Filter)
            end
    end.

%% @doc Child specifications for a supervisor of one's own: one per
%% owner, ids `{epcap_fanout, Group, I}'. A member that crashes is
%% restarted (transient) and joins the group again.
-spec child_specs([pid()], [epcap:option()]) -> [supervisor:child_spec()].
child_specs(Owners, Options) ->
    #{group := G} = proplists:get_value(fanout, Options),
    [(epcap:child_spec([{owner, Owner} | Options]))#{id => {?MODULE, G, I}}
     || {I, Owner} <- lists:zip(lists:seq(1, length(Owners)), Owners)].
