%% @doc A fleet's capture in one file: captures on several nodes (and
%% interfaces) feed one process, which writes a single pcapng file in time
%% order, each packet on the Interface Description Block of its node and
%% interface (named `Node/Interface'), so the whole fleet opens in
%% Wireshark as one capture.
%%
%% ```
%% {ok, F} = epcap_fleet:start_link("fleet.pcapng",
%%                                  [{'cap@edge1', "eth0"}, {'cap@edge2', "eth0"}],
%%                                  [{filter, "tcp port 443"}]),
%% ...
%% ok = epcap_fleet:stop(F).   % every capture's last packets, then statistics
%% '''
%%
%% Each source is `epcap:start_link(Self, [{node, Node}, {interface, If},
%% {delivery, batch}, {time_unit, nanosecond} | Options])' (the epcap code
%% must be loaded on every node): one message per batch crosses the
%% distribution link, and the batch's process tells the sources apart.
%% Packets wait here `hold' milliseconds (default 200) past their kernel
%% time stamp, so that the sources' batches, which arrive in their own
%% time, are merged in time order; one that comes later than that (a node
%% stalled longer, or clocks apart) is still written, after newer ones,
%% and counted as `late'. The time stamps are each node's own clock: on
%% one machine they agree; across machines, as far as NTP or PTP keeps
%% them together.
%%
%% What bounds it: this one process decodes every packet, keeps it for
%% `hold' and writes it (the owner), and every packet crosses the
%% distribution link once. A source that ends (its node down, its port
%% dead) is logged and leaves the others writing; {@link stats/1} lists
%% it as `down'. {@link stop/1} stops the sources, takes what they still
%% hold, writes everything and closes the file with an Interface
%% Statistics Block per source.
-module(epcap_fleet).

-behaviour(gen_server).

-export([start_link/3, stop/1, stats/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2]).

-include_lib("kernel/include/logger.hrl").

-define(HOLD_MS, 200).

-type source() :: {node(), string() | binary()}
                | {node(), string() | binary(), [epcap:option()]}.
-export_type([source/0]).

-record(src, {id :: non_neg_integer(),
              name :: string(),
              capture :: pid(),
              stats = #{} :: map(),
              up = true :: boolean()}).

-record(state, {writer :: term(),
                sources = #{} :: #{pid() => #src{}},
                buffer = gb_trees:empty() :: gb_trees:tree(),
                seq = 0 :: non_neg_integer(),
                hold :: pos_integer(),
                last = 0 :: integer(),
                written = 0 :: non_neg_integer(),
                late = 0 :: non_neg_integer()}).

%% @doc Start the captures and the file. `Options' are the captures'
%% options (filter, snaplen, ...), the same for every source, plus
%% `{hold, Ms}'; a source `{Node, Interface, SourceOptions}' adds options
%% of its own (a filter for that node, ...), which win. Fails, stopping what was started, if one source cannot
%% start or the file cannot be written.
-spec start_link(file:filename_all(), [source()], [epcap:option() | {hold, pos_integer()}]) ->
    {ok, pid()} | {error, term()}.
start_link(Path, [_ | _] = Sources, Options) when is_list(Options) ->
    gen_server:start_link(?MODULE, {Path, Sources, Options}, []).

%% @doc Stop every source, write what they held and close the file.
-spec stop(pid()) -> ok | {error, term()}.
stop(Fleet) ->
    gen_server:call(Fleet, stop, infinity).

%% @doc Per source (by its name, `Node/Interface'): the capture's counters,
%% or `down'; and `written', `late' and `buffered' packets.
-spec stats(pid()) -> {ok, map()}.
stats(Fleet) ->
    gen_server:call(Fleet, stats, infinity).

%% @private
init({Path, Sources, Options}) ->
    process_flag(trap_exit, true),
    Hold = proplists:get_value(hold, Options, ?HOLD_MS),
    Capture = [O || O <- Options, not is_tuple(O) orelse element(1, O) =/= hold],
    case epcap_file:open(Path, [{format, pcapng}, {time_unit, nanosecond},
                                {application, "epcap_fleet"}]) of
        {ok, W} ->
            case start_sources(Sources, Capture, #state{writer = W, hold = Hold}) of
                {ok, State} ->
                    _ = erlang:send_after(tick(Hold), self(), flush),
                    {ok, State};
                {error, Why, State} ->
                    _ = stop_sources(State),
                    _ = epcap_file:close(State#state.writer),
                    {stop, Why}
            end;
        {error, Why} ->
            {stop, Why}
    end.

tick(Hold) -> max(1, Hold div 2).

start_sources([], _, State) ->
    {ok, State};
start_sources([{Node, If} | Rest], Options, State) ->
    start_sources([{Node, If, []} | Rest], Options, State);
start_sources([{Node, If, Own} | Rest], Options, #state{writer = W, sources = S} = State) ->
    Opts = [{node, Node}, {interface, If} | Options] ++ Own
        ++ [{delivery, batch}, {time_unit, nanosecond}],
    case epcap:start_link(self(), Opts) of
        {ok, Pid} ->
            {ok, Info} = epcap:info(Pid),
            Name = lists:flatten(io_lib:format("~s/~ts", [Node, If])),
            {ok, Id, W1} = epcap_file:add_interface(W, Info#{name => Name}),
            Src = #src{id = Id, name = Name, capture = Pid},
            start_sources(Rest, Options, State#state{writer = W1,
                                                     sources = S#{Pid => Src}});
        {error, Why} ->
            {error, {source, Node, If, Why}, State}
    end.

%% @private
handle_call(stop, _From, State) ->
    State1 = stop_sources(State),
    State2 = take_batches(State1),
    {State3, Written} = write_upto(infinity, State2),
    Stats = maps:from_list([{Id, St} || #src{id = Id, stats = St}
                                            <- maps:values(State3#state.sources),
                                        map_size(St) > 0]),
    Reply = case Written of
        ok -> epcap_file:close(State3#state.writer, Stats);
        {error, _} = E -> _ = epcap_file:close(State3#state.writer), E
    end,
    {stop, normal, Reply, State3#state{sources = #{}}};
handle_call(stats, _From, #state{sources = S} = State) ->
    Each = maps:from_list(
             [{Name, case Up andalso epcap:stats(Pid) of
                         {ok, St} -> St;
                         _ -> down
                     end} || #src{name = Name, capture = Pid, up = Up} <- maps:values(S)]),
    {reply, {ok, #{sources => Each, written => State#state.written,
                   late => State#state.late,
                   buffered => gb_trees:size(State#state.buffer)}}, State}.

%% @private
handle_cast(Msg, State) ->
    ?LOG_WARNING("epcap_fleet: unexpected cast ~tp", [Msg]),
    {noreply, State}.

%% @private
handle_info({epcap_batch, Pid, Batch}, State) ->
    {noreply, add_batch(Pid, Batch, State)};
handle_info(flush, #state{hold = Hold} = State) ->
    _ = erlang:send_after(tick(Hold), self(), flush),
    Limit = os:system_time(nanosecond) - Hold * 1000000,
    case write_upto(Limit, State) of
        {State1, ok} -> {noreply, State1};
        {State1, {error, Why}} -> {stop, {write, Why}, State1}
    end;
handle_info({'EXIT', Pid, Why}, #state{sources = S} = State) when is_map_key(Pid, S) ->
    #src{name = Name} = Src = maps:get(Pid, S),
    ?LOG_WARNING("epcap_fleet: source ~ts ended: ~tp; the others go on", [Name, Why]),
    {noreply, State#state{sources = S#{Pid := Src#src{up = false}}}};
handle_info({'EXIT', _, Why}, State) ->
    {stop, Why, State};
handle_info({epcap_error, Pid, Error}, State) ->
    ?LOG_WARNING("epcap_fleet: ~p: ~tp", [Pid, Error]),
    {noreply, State};
handle_info(Msg, State) ->
    ?LOG_WARNING("epcap_fleet: unexpected message ~tp", [Msg]),
    {noreply, State}.

%% @private
terminate(_Why, #state{sources = S} = State) when map_size(S) > 0 ->
    _ = stop_sources(State),
    _ = epcap_file:close(State#state.writer),
    ok;
terminate(_, _) ->
    ok.

%% The last counters of every source, then its stop (which sends us
%% whatever it still holds).
stop_sources(#state{sources = S} = State) ->
    S1 = maps:map(fun(Pid, #src{up = true} = Src) ->
                          St = case epcap:stats(Pid) of
                                   {ok, M} -> M;
                                   _ -> #{}
                               end,
                          ok = epcap:stop(Pid),
                          Src#src{stats = St, up = false};
                     (_, Src) ->
                          Src
                  end, S),
    State#state{sources = S1}.

%% The batches the stopped sources sent before stop/1 returned.
take_batches(State) ->
    receive
        {epcap_batch, Pid, Batch} -> take_batches(add_batch(Pid, Batch, State))
    after 0 -> State
    end.

add_batch(Pid, Batch, #state{sources = S} = State) ->
    case S of
        #{Pid := #src{id = Id}} ->
            epcap:batch_fold(
              fun({packet, _, Ts, _, _} = P, #state{buffer = B, seq = Seq} = St) ->
                      St#state{buffer = gb_trees:insert({Ts, Seq}, {Id, P}, B),
                               seq = Seq + 1}
              end, State, Batch);
        _ ->
            State
    end.

%% Write, in time order, every packet stamped up to Limit.
write_upto(Limit, #state{buffer = B} = State) ->
    {Items, B1, Last, Late} = take(Limit, B, State#state.last, 0, []),
    State1 = State#state{buffer = B1, last = Last, late = State#state.late + Late},
    case Items of
        [] ->
            {State1, ok};
        _ ->
            case epcap_file:write(State1#state.writer, lists:reverse(Items)) of
                {ok, W} ->
                    {State1#state{writer = W, written = State1#state.written + length(Items)}, ok};
                {error, _} = E ->
                    {State1, E}
            end
    end.

take(Limit, B, Last, Late, Acc) ->
    case gb_trees:is_empty(B) of
        true ->
            {Acc, B, Last, Late};
        false ->
            {{Ts, _}, {Id, P}, B1} = gb_trees:take_smallest(B),
            case Limit =:= infinity orelse Ts =< Limit of
                true ->
                    Late1 = if Ts < Last -> Late + 1; true -> Late end,
                    take(Limit, B1, max(Ts, Last), Late1, [{P, #{interface => Id}} | Acc]);
                false ->
                    {Acc, B, Last, Late}
            end
    end.
