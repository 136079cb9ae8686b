%% @doc The gen_server that owns one epcap port.
%%
%% It spawns the port program without a shell, waits for its READY frame
%% (so a start that returns `{ok, Pid}' is already capturing), turns every
%% PACKETS frame into `{packet, DataLinkType, Time, Length, Packet}'
%% messages to the owner, and ends the port when the owner goes. A failed
%% start returns `{error, Reason}' and the process exits `normal', so a
%% caller of start_link that does not trap exits is never killed by it.
%%
%% Memory stays bounded: the port may only read as many packets as this
%% process grants it credit for, and credit is granted only while the
%% owner's mailbox is below its watermark ({@link epcap_flow}, pure).
%% Packets the owner has no room for are dropped by the kernel, where
%% `stats' counts them. How the port is run is {@link epcap_launch}'s
%% business, and what its errors mean {@link epcap_reason}'s.
%%
%% Use the API in {@link epcap}; this module is its implementation.
-module(epcap_port).
-behaviour(gen_server).

-include("epcap_proto.hrl").

-export([start/3, stop_timeout/0]).
-export([init_it/4]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2,
         format_status/1]).

-define(STOP_TIMEOUT, 5000).

%% @doc How long the port has to stop (epcap:stop/1 waits a little longer).
-spec stop_timeout() -> pos_integer().
stop_timeout() -> ?STOP_TIMEOUT.
%% How often to look at a full owner mailbox while the port is paused.
-define(RECHECK_MS, 2).
-define(HELD(State), epcap_flow:held(State#state.flow)).

-record(state, {
    port :: port() | undefined,
    os_pid :: non_neg_integer() | undefined,
    owner :: pid(),
    owner_mon :: reference(),
    datalink :: non_neg_integer(),
    %% {interface_info, true}: each interface the port described, by index.
    interfaces = #{} :: #{non_neg_integer() => epcap_codec:interface()},
    if_dlts = #{} :: #{non_neg_integer() => non_neg_integer()},
    time_unit :: epcap_codec:time_unit(),
    precision :: epcap_codec:precision(),
    ready :: epcap_codec:ready(),
    config :: epcap_opts:config(),
    stopping = [] :: [gen_server:from()],
    %% Requests waiting for a REPLY frame.
    requests = epcap_requests:new() :: epcap_requests:requests(),
    flow :: epcap_flow:flow(),
    recheck = false :: boolean(),
    eof = false :: boolean(),       % the port has read all of a file
    %% How the file ended: the owner's last message says it.
    ending = eof :: eof | {error, term()},
    eof_told = false :: boolean(),  % and the owner has {epcap, eof}
    stats_timer :: reference() | undefined
}).

%% @doc Start a port for `Owner'; with `Link', link it to the caller.
-spec start(pid(), [epcap_opts:option()] | map(), boolean()) ->
    {ok, pid()} | {error, term()}.
start(Owner, Options, Link) when is_pid(Owner) ->
    case epcap_opts:parse(Options) of
        {ok, Config} ->
            ok = epcap_opts:log_warnings(Config),
            case epcap_launch:make_chroot(Config) of
                ok ->
                    %% Each frame becomes thousands of messages built on
                    %% this heap: a 2 MB minimum spares a garbage
                    %% collection per frame (about a fifth of the time per
                    %% packet, measured).
                    proc_lib:start(?MODULE, init_it,
                        [self(), Owner, Config, Link], infinity,
                        [{min_heap_size, 256 * 1024}]);
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end;
start(Owner, _, _) ->
    {error, {badarg, {owner, Owner}}}.

%% @private
init_it(Caller, Owner, Config, Link) ->
    process_flag(trap_exit, true),
    ok = epcap_events:quiet_expected_exits(),
    case epcap_launch:open(Config) of
        {ok, Port, Ready0, Prefix} ->
            Link andalso link(Caller),
            proc_lib:init_ack({ok, self()}),
            {Ready, Ifs} = epcap_ifaces:take(Ready0),
            #{datalink := DLT, precision := Prec} = Ready,
            State0 = #state{
                port = Port,
                os_pid = epcap_launch:os_pid(Port, Prefix,
                                             maps:get(progname, Config)),
                owner = Owner,
                owner_mon = monitor(process, Owner),
                datalink = DLT,
                interfaces = Ifs,
                if_dlts = maps:map(fun(_, #{datalink := D}) -> D end, Ifs),
                time_unit = maps:get(time_unit, Config),
                precision = Prec,
                ready = Ready,
                config = Config,
                flow = epcap_opts:flow(Config)
            },
            State = schedule_stats(State0),
            gen_server:enter_loop(?MODULE, [], State);
        {error, Reason} ->
            proc_lib:init_ack({error, Reason}),
            exit(normal)
    end.

%% @private Never called: the process starts in init_it/4.
init(_) ->
    {stop, use_epcap_start}.

%% Send a command that expects a REPLY; the caller waits for it.
request(Kind, Body, From, #state{port = Port, requests = R} = State) ->
    State#state{requests = epcap_requests:send(Port, Kind, Body, From, R)}.

%% @private
handle_call({setopts, Opts}, _From, State) ->
    case setopts(Opts, State) of
        {ok, State1} ->
            State2 = tell_eof(deliver(State1)),
            case {State2#state.port, ?HELD(State2)} of
                {undefined, 0} -> {stop, normal, ok, State2};
                _ -> {reply, ok, State2}
            end;
        {error, _} = Error ->
            {reply, Error, State}
    end;
handle_call(stop, _From, #state{port = undefined} = State) ->
    {stop, normal, ok, flush(State)};
handle_call(_, _From, #state{port = undefined} = State) ->
    {reply, {error, closed}, State};
handle_call({send, _}, _From, #state{config = #{inject := false}} = State) ->
    {reply, {error, inject_disabled}, State};
handle_call({send, Packet}, _From, #state{port = Port} = State) ->
    Reply = case epcap_spawn:command(Port, inject, 0, Packet) of
        ok -> ok;
        closed -> {error, closed}
    end,
    {reply, Reply, State};
handle_call({send_batch, _}, _From, #state{config = #{inject := false}} = S) ->
    {reply, {error, inject_disabled}, S};
handle_call({send_batch, Packets}, From, State) ->
    {noreply, request(inject_batch, Packets, From, State)};
handle_call({set_filter, Expr}, From, State) ->
    {noreply, request(filter, Expr, From, State)};
handle_call(Kind, From, State) when Kind =:= stats; Kind =:= ifstats ->
    {noreply, request(Kind, [], From, State)};
handle_call(stop, From, #state{port = Port, stopping = []} = State) ->
    _ = epcap_spawn:command(Port, stop, 0, []),
    erlang:send_after(?STOP_TIMEOUT, self(), stop_timeout),
    {noreply, State#state{stopping = [From]}};
handle_call(stop, From, #state{stopping = Waiting} = State) ->
    {noreply, State#state{stopping = [From | Waiting]}};
handle_call(info, _From, #state{ready = Ready, os_pid = OsPid} = State) ->
    {reply, {ok, Ready#{os_pid => OsPid}}, State};
handle_call(interfaces, _From, #state{interfaces = Ifs} = State) ->
    {reply, {ok, [If || {_, If} <- lists:sort(maps:to_list(Ifs))]}, State};
handle_call(Request, _From, State) ->
    {reply, {error, {unknown_call, Request}}, State}.

setopts([], State) ->
    {ok, State};
setopts([{active, A} | T], State) when
    is_boolean(A); A =:= once; is_integer(A), A > 0
->
    setopts(T, State#state{flow = epcap_flow:set_active(A, State#state.flow)});
setopts([Opt | _], _State) ->
    {error, {badarg, Opt}}.

%% @private
handle_cast(Msg, State) ->
    logger:warning("epcap: unexpected cast ~p", [Msg]),
    {noreply, State}.

%% @private
handle_info({Port, {data, Frame}}, #state{port = Port} = State) ->
    frame(epcap_codec:decode(Frame), State);
handle_info({Port, {exit_status, Status}}, #state{port = Port} = State) ->
    epcap_spawn:flush_exit(Port),
    port_gone(epcap_reason:exit(Status), State);
handle_info({'DOWN', Ref, process, _, _}, #state{owner_mon = Ref} = State) ->
    {stop, normal, State};
handle_info({'EXIT', Port, Reason}, #state{port = Port} = State) ->
    %% The port closed without an exit status: a write to a port that
    %% had just exited (EPIPE). After EOF or STOP that is the normal end.
    case State#state.eof orelse State#state.stopping =/= [] of
        true -> port_gone(normal, State);
        false -> port_gone({port_exit, Reason}, State)
    end;
handle_info({'EXIT', _, normal}, State) ->
    {noreply, State};
handle_info({'EXIT', _, Reason}, State) ->
    {stop, Reason, State};
handle_info(recheck, State) ->
    {noreply, grant(State#state{recheck = false})};
handle_info(stats_tick, #state{port = Port} = State) when is_port(Port) ->
    {noreply, schedule_stats(request(stats, [], tick, State))};
handle_info(stop_timeout, #state{port = Port} = State) when is_port(Port) ->
    logger:warning("epcap: port did not stop in ~b ms; closing it",
        [?STOP_TIMEOUT]),
    epcap_spawn:close(Port),
    {stop, normal, State#state{port = undefined}};
handle_info(Msg, State) when Msg =:= stop_timeout; Msg =:= stats_tick ->
    {noreply, State};
handle_info({Port, {exit_status, _}}, #state{port = undefined} = State)
  when is_port(Port) ->
    %% A port closed after its file's damage may have exited already.
    {noreply, State};
handle_info(Msg, State) ->
    logger:warning("epcap: unexpected message ~p", [Msg]),
    {noreply, State}.

frame({Kind, Records}, State) when Kind =:= packets; Kind =:= ifpackets ->
    #state{datalink = DLT, if_dlts = Ds, time_unit = Unit, precision = Prec,
           config = #{delivery := Delivery}, flow = F, owner = O} = State,
    Links = case Kind of packets -> DLT; ifpackets -> Ds end,
    {Msgs, N} = case {Kind, Delivery, epcap_flow:open(F)} of
        {packets, packet, true} -> % an active owner, nothing held: each
            %% packet goes out as it is decoded, and no list is built.
            {[], epcap_codec:send_packets(O, Records, DLT, Unit, Prec)};
        {_, packet, _} ->
            Ms = epcap_codec:records(Kind, packet, Records, Links, Unit, Prec),
            {Ms, length(Ms)};
        {_, batch, _} ->
            B = epcap_codec:records(Kind, batch, Records, Links, Unit, Prec),
            {[{epcap_batch, self(), B}], epcap_codec:batch_count(B)}
    end,
    {noreply, grant(deliver(Msgs, N, byte_size(Records), State))};
frame({interface, #{index := I, datalink := D} = If}, State) ->
    #state{interfaces = Ifs, if_dlts = Ds} = State,
    {noreply, State#state{interfaces = Ifs#{I => If}, if_dlts = Ds#{I => D}}};
frame({datalink, DLT}, State) ->
    %% A file with several link types: the packets that follow have this.
    {noreply, State#state{datalink = DLT}};
frame(eof, State) ->
    %% The port waits for STOP, so no command of ours ever meets a dead
    %% pipe. A passive owner still gets what is held only when it asks.
    _ = epcap_spawn:command(State#state.port, stop, 0, []),
    {noreply, tell_eof(deliver(State#state{eof = true}))};
frame({reply, Id, Status, Body}, #state{owner = Owner, flow = F} = State) ->
    %% A STATS answer also says what this process delivered and holds;
    %% an IFSTATS answer, each interface's name.
    Context = #{counts => #{owner_delivered => epcap_flow:sent(F),
                            held => epcap_flow:held_packets(F)},
                names => epcap_ifaces:names(State#state.config,
                                            State#state.ready,
                                            State#state.interfaces)},
    R = epcap_requests:answer(Id, Status, Body, Owner, Context,
                              State#state.requests),
    {noreply, State#state{requests = R}};
frame({error, Code, true, Msg}, #state{ready = #{source := file}} = State) ->
    %% Damage in a capture file (a truncated record, a bad length) ends
    %% the file, not the caller: every good packet has been delivered,
    %% and the owner's last message names the damage, after what is held:
    %% that message is the one report of it.
    epcap_spawn:close(State#state.port),
    port_gone(normal, State#state{eof = true, ending = {error,
                                  epcap_reason:fatal(Code, Msg)}});
frame({error, Code, true, Msg}, State) ->
    %% The port waits for us to close it; what was captured before the
    %% error still reaches the owner.
    ended(epcap_reason:fatal(Code, Msg), State);
frame({error, Code, false, Msg}, State) ->
    logger:warning("epcap: ~p: ~ts", [Code, Msg]),
    {noreply, State};
frame({warning, Code, Msg}, State) ->
    epcap_events:log_frame(Code, Msg),
    {noreply, State};
frame(Frame, _State) ->
    erlang:error({protocol, {unexpected, Frame}}).

%% Held packets go first: {epcap, eof} is always the last message.
tell_eof(#state{eof = true, eof_told = false} = State) ->
    case ?HELD(State) of
        0 ->
            State#state.owner ! {epcap, State#state.ending},
            State#state{eof_told = true};
        _ ->
            State
    end;
tell_eof(State) ->
    State.

%% The port has gone: this process ends with Why, and whatever is held
%% was captured, so the owner gets it first. Only after the normal end of
%% a file, with a passive owner and packets held, does it stay until they
%% are taken (or stop/1).
port_gone(Why, State0) ->
    State = no_answers(State0#state{port = undefined}),
    case Why =:= normal andalso waiting_owner(State) of
        true -> {noreply, State};
        false when Why =:= normal -> {stop, normal, flush(State)};
        false -> ended(Why, State)
    end.

%% Requests the port will never answer now (a FILTER or STATS sent after
%% the STOP that follows a file's EOF) are answered `{error, closed}'.
no_answers(#state{requests = Requests} = State) ->
    State#state{requests = epcap_requests:cancel(Requests)}.

%% The capture has ended for a reason that is not a bug here (the port
%% died, or reported a fatal error): one error event says so, and the
%% process exits with the reason (links and monitors see it) without
%% gen_server's and proc_lib's reports of the whole state.
ended(Why, #state{ready = Ready, owner = Owner} = State) ->
    ok = epcap_events:ended(maps:get(name, Ready), Owner, Why),
    {stop, Why, flush(State)}.

waiting_owner(#state{eof = true, stopping = []} = State) ->
    ?HELD(State) > 0;
waiting_owner(_) ->
    false.

%% New messages for the owner (N packets, Bytes of records): as far as
%% the active mode allows they go out, the rest is held (epcap_flow).
deliver(Msgs, N, Bytes, #state{flow = F} = State) ->
    F1 = epcap_flow:received(N, Bytes, F),
    out(epcap_flow:deliver(Msgs, N, F1), State).

%% What is held, as far as the active mode now allows.
deliver(#state{flow = F} = State) ->
    out(epcap_flow:deliver(F), State).

out({Msgs, Passive, F}, #state{owner = Owner} = State) ->
    _ = [Owner ! M || M <- Msgs],
    Passive andalso (Owner ! {epcap_passive, self()}),
    State#state{flow = F}.

%% Everything held goes to the owner, whatever the active mode: this
%% process is about to end.
flush(#state{flow = F, owner = Owner} = State) ->
    {Msgs, F1} = epcap_flow:flush(F),
    _ = [Owner ! M || M <- Msgs],
    tell_eof(State#state{flow = F1}).

%% Give the port more credit while the owner's mailbox (and what we hold)
%% stays below the watermark; otherwise look again shortly.
grant(#state{port = undefined} = State) ->
    State;
grant(#state{eof = true} = State) ->
    State;
grant(#state{flow = F} = State) ->
    case epcap_flow:grant(F, owner_queue(State)) of
        {0, _} when State#state.recheck ->
            State;
        {0, _} ->
            case epcap_flow:credit(F) of
                0 ->
                    erlang:send_after(?RECHECK_MS, self(), recheck),
                    State#state{recheck = true};
                _ ->
                    State
            end;
        {Room, F1} ->
            _ = epcap_spawn:command(State#state.port, credit, 0, Room),
            State#state{flow = F1}
    end.

owner_queue(#state{owner = Owner}) when node(Owner) =:= node() ->
    case erlang:process_info(Owner, message_queue_len) of
        {message_queue_len, Len} -> Len;
        undefined -> 0
    end;
owner_queue(_) ->
    %% A remote owner: distribution's own back pressure bounds it.
    0.

schedule_stats(#state{config = #{stats_interval := Ms}} = State) when
    is_integer(Ms)
->
    State#state{stats_timer = erlang:send_after(Ms, self(), stats_tick)};
schedule_stats(State) ->
    State.

%% @private
terminate(_Reason, #state{port = Port, stopping = Waiting, requests = Reqs}) ->
    is_port(Port) andalso epcap_spawn:close(Port),
    [gen_server:reply(From, ok) || From <- Waiting],
    _ = epcap_requests:cancel(Reqs),
    ok.

%% @private A crash report names the capture, not every field of the
%% state (the config alone has forty).
format_status(#{state := #state{} = S} = Status) ->
    Status#{state => #{owner => S#state.owner, os_pid => S#state.os_pid,
                       name => maps:get(name, S#state.ready, undefined),
                       held => epcap_flow:held_packets(S#state.flow)}};
format_status(Status) ->
    Status.
