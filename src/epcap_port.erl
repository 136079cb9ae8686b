%% @doc The gen_server that owns one epcap port.
%%
%% It spawns the port program without a shell, waits for its READY frame
%% (so a start that returns `{ok, Pid}' is already capturing), turns every
%% PACKETS frame into `{packet, DataLinkType, Time, Length, Packet}'
%% messages to the owner, and ends the port when the owner goes. A failed
%% start returns `{error, Reason}' and the process exits `normal', so a
%% caller of start_link that does not trap exits is never killed by it.
%% Use the API in {@link epcap}; this module is its implementation.
-module(epcap_port).
-behaviour(gen_server).

-include("epcap_proto.hrl").

-export([start/3, stop/1, info/1]).
-export([init_it/4]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-define(STOP_TIMEOUT, 5000).

-record(state, {
    port :: port() | undefined,
    os_pid :: non_neg_integer() | undefined,
    owner :: pid(),
    owner_mon :: reference(),
    datalink :: non_neg_integer(),
    time_unit :: epcap_codec:time_unit(),
    precision :: epcap_codec:precision(),
    ready :: epcap_codec:ready(),
    config :: epcap_opts:config(),
    last_error :: term(),
    stopping = [] :: [gen_server:from()],
    next_id = 1 :: non_neg_integer()
}).

%% @doc Start a port for `Owner'; with `Link', link it to the caller.
-spec start(pid(), [epcap_opts:option()] | map(), boolean()) ->
    {ok, pid()} | {error, term()}.
start(Owner, Options, Link) when is_pid(Owner) ->
    case epcap_opts:parse(Options) of
        {ok, Config} ->
            proc_lib:start(?MODULE, init_it, [self(), Owner, Config, Link],
                infinity);
        {error, _} = Error ->
            Error
    end;
start(Owner, _, _) ->
    {error, {badarg, {owner, Owner}}}.

%% @doc Flush, stop the port and wait for it to exit.
-spec stop(pid()) -> ok.
stop(Pid) ->
    try
        gen_server:call(Pid, stop, ?STOP_TIMEOUT + 1000)
    catch
        exit:{noproc, _} -> ok;
        exit:{normal, _} -> ok
    end.

%% @doc What the port reported when it became ready, plus its OS pid.
-spec info(pid()) -> map().
info(Pid) ->
    gen_server:call(Pid, info).

%% @private
init_it(Caller, Owner, Config, Link) ->
    process_flag(trap_exit, true),
    case open(Config) of
        {ok, Port, Ready} ->
            Link andalso link(Caller),
            proc_lib:init_ack({ok, self()}),
            #{datalink := DLT, precision := Prec} = Ready,
            State = #state{
                port = Port,
                os_pid = os_pid(Port),
                owner = Owner,
                owner_mon = monitor(process, Owner),
                datalink = DLT,
                time_unit = maps:get(time_unit, Config),
                precision = Prec,
                ready = Ready,
                config = Config
            },
            gen_server:enter_loop(?MODULE, [], State);
        {error, Reason} ->
            proc_lib:init_ack({error, Reason}),
            exit(normal)
    end.

%% @private Never called: the process starts in init_it/4.
init(_) ->
    {stop, use_epcap_start}.

open(Config) ->
    Command = epcap_opts:command(Config, default_exec(Config)),
    [Exe | Args] = Command,
    try
        open_port({spawn_executable, Exe}, [
            {args, Args}, {packet, 4}, binary, exit_status, use_stdio
        ])
    of
        Port ->
            Deadline = erlang:monotonic_time(millisecond) +
                maps:get(start_timeout, Config),
            handshake(Port, Config, Deadline, undefined)
    catch
        error:Why ->
            {error, {exec, Exe, Why}}
    end.

%% No exec prefix when the port can capture by itself (root, setuid,
%% file capabilities) or reads a file; otherwise sudo, if there is one.
default_exec(#{source := {file, _}}) ->
    [];
default_exec(#{progname := Prog}) ->
    case can_capture(Prog) of
        true -> [];
        false ->
            case os:find_executable("sudo") of
                false -> [];
                _ -> ["sudo", "-n"]
            end
    end.

can_capture(Prog) ->
    try
        Port = open_port({spawn_executable, Prog}, [
            {args, ["--can-capture"]}, exit_status, stderr_to_stdout
        ]),
        wait_exit(Port, 5000) =:= 0
    catch
        error:_ -> false
    end.

wait_exit(Port, Timeout) ->
    receive
        {Port, {exit_status, S}} -> S;
        {Port, {data, _}} -> wait_exit(Port, Timeout)
    after Timeout ->
        catch port_close(Port),
        timeout
    end.

handshake(Port, Config, Deadline, LastError) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, Frame}} ->
            case epcap_codec:decode(Frame) of
                {ready, Ready} ->
                    {ok, Port, Ready};
                {warning, Code, Msg} ->
                    logger:warning("epcap: ~p: ~ts", [Code, Msg]),
                    handshake(Port, Config, Deadline, LastError);
                {error, Code, _Fatal, Msg} ->
                    handshake(Port, Config, Deadline, {Code, Msg});
                Other ->
                    close(Port),
                    {error, {protocol, {unexpected, Other}}}
            end;
        {Port, {exit_status, Status}} ->
            flush_exit(Port),
            {error, start_error(LastError, Status, Config)}
    after Left ->
        close(Port),
        {error, timeout}
    end.

%% The structured reasons of a failed start.
start_error({bad_filter, Msg}, _, _) ->
    {bad_filter, Msg};
start_error({no_such_device, _}, _, #{source := {interface, Name}}) ->
    {no_such_device, Name};
start_error({file, Msg}, _, #{source := {file, Path}}) ->
    {file, Path, Msg};
start_error({Code, Msg}, _, _) ->
    {Code, Msg};
start_error(undefined, Status, Config) ->
    case {maps:get(exec, Config), epcap_codec:exit_reason(Status)} of
        {default, {status, 1}} ->
            %% sudo -n refused before the port ever ran.
            {permission_denied,
                "cannot capture: run as root, give priv/epcap file "
                "capabilities (make setcap) or setuid (make setuid), "
                "or allow it in sudoers for sudo -n"};
        {_, Reason} ->
            {port_exit, Reason}
    end.

os_pid(Port) ->
    case erlang:port_info(Port, os_pid) of
        {os_pid, Pid} -> Pid;
        undefined -> undefined
    end.

close(Port) ->
    catch port_close(Port),
    flush_exit(Port).

flush_exit(Port) ->
    receive
        {'EXIT', Port, _} -> ok
    after 0 -> ok
    end.

%% @private
handle_call(stop, From, #state{port = Port, stopping = []} = State) ->
    true = port_command(Port, epcap_codec:encode_command(stop, 0, [])),
    erlang:send_after(?STOP_TIMEOUT, self(), stop_timeout),
    {noreply, State#state{stopping = [From]}};
handle_call(stop, From, #state{stopping = Waiting} = State) ->
    {noreply, State#state{stopping = [From | Waiting]}};
handle_call(info, _From, #state{ready = Ready, os_pid = OsPid} = State) ->
    {reply, Ready#{os_pid => OsPid}, State};
handle_call(Request, _From, State) ->
    {reply, {error, {unknown_call, Request}}, State}.

%% @private
handle_cast(Msg, State) ->
    logger:warning("epcap: unexpected cast ~p", [Msg]),
    {noreply, State}.

%% @private
handle_info({Port, {data, Frame}}, #state{port = Port} = State) ->
    frame(epcap_codec:decode(Frame), State);
handle_info({Port, {exit_status, Status}}, #state{port = Port} = State) ->
    flush_exit(Port),
    Reason =
        case {epcap_codec:exit_reason(Status), State#state.last_error} of
            {normal, _} -> normal;
            {_, {_, _} = Error} -> Error;
            {Why, undefined} -> {port_exit, Why}
        end,
    {stop, Reason, State#state{port = undefined}};
handle_info({'DOWN', Ref, process, _, _}, #state{owner_mon = Ref} = State) ->
    {stop, normal, State};
handle_info({'EXIT', Port, _}, #state{port = Port} = State) ->
    {noreply, State};
handle_info({'EXIT', _, normal}, State) ->
    {noreply, State};
handle_info({'EXIT', _, Reason}, State) ->
    {stop, Reason, State};
handle_info(stop_timeout, #state{port = Port} = State) when is_port(Port) ->
    logger:warning("epcap: port did not stop in ~b ms; closing it",
        [?STOP_TIMEOUT]),
    close(Port),
    {stop, normal, State#state{port = undefined}};
handle_info(stop_timeout, State) ->
    {noreply, State};
handle_info(Msg, State) ->
    logger:warning("epcap: unexpected message ~p", [Msg]),
    {noreply, State}.

frame({packets, Records}, #state{owner = Owner} = State) ->
    #state{datalink = DLT, time_unit = Unit, precision = Prec} = State,
    send_all(Owner, epcap_codec:packets(Records, DLT, Unit, Prec)),
    {noreply, State};
frame(eof, #state{owner = Owner} = State) ->
    Owner ! {epcap, eof},
    {noreply, State};
frame({error, Code, true, Msg}, State) ->
    logger:error("epcap: ~p: ~ts", [Code, Msg]),
    {noreply, State#state{last_error = {Code, Msg}}};
frame({error, Code, false, Msg}, State) ->
    logger:warning("epcap: ~p: ~ts", [Code, Msg]),
    {noreply, State};
frame({warning, Code, Msg}, State) ->
    logger:warning("epcap: ~p: ~ts", [Code, Msg]),
    {noreply, State};
frame({ready, _} = Frame, _State) ->
    erlang:error({protocol, {unexpected, Frame}});
frame({reply, _, _, _} = Frame, State) ->
    logger:warning("epcap: reply to no request: ~p", [Frame]),
    {noreply, State}.

send_all(Owner, [Msg | Rest]) ->
    Owner ! Msg,
    send_all(Owner, Rest);
send_all(_, []) ->
    ok.

%% @private
terminate(_Reason, #state{port = Port, stopping = Waiting}) ->
    is_port(Port) andalso close(Port),
    [gen_server:reply(From, ok) || From <- Waiting],
    ok.
