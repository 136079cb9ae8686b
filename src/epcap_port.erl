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
%% owner's mailbox is below its watermark. Packets the owner has no room
%% for are dropped by the kernel, where `stats' counts them.
%%
%% Use the API in {@link epcap}; this module is its implementation.
-module(epcap_port).
-behaviour(gen_server).

-include("epcap_proto.hrl").

-export([start/3, stop/1, call/2, exec_prefix/1, with_hint/2]).
-export([init_it/4]).
%% For epcap_direct: spawn and handshake in the calling process.
-export([open/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-define(STOP_TIMEOUT, 5000).
%% Exit reasons of a call to an epcap process that has ended (or whose
%% node has): the capture is over, not the caller's problem.
-define(GONE(R), (R =:= noproc orelse R =:= normal orelse R =:= shutdown
                  orelse (is_tuple(R) andalso (element(1, R) =:= nodedown
                                               orelse element(1, R) =:= shutdown)))).
%% How often to look at a full owner mailbox while the port is paused.
-define(RECHECK_MS, 2).

-type owner_message() :: epcap_codec:message()
    | {epcap_batch, pid(), epcap_codec:batch()}.

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
    %% Requests waiting for a REPLY frame, by id. Id 0 is never used:
    %% the port answers an id-0 INJECT only when it fails.
    requests = #{} :: #{pos_integer() => {gen_server:from() | tick, atom()}},
    next_id = 1 :: pos_integer(),
    %% Flow control.
    active :: true | false | once | pos_integer(),
    delivery :: packet | batch,
    %% Messages the active mode holds back, each with its packet count.
    held = queue:new() :: queue:queue({pos_integer(), owner_message()}),
    held_count = 0 :: non_neg_integer(),
    held_packets = 0 :: non_neg_integer(),
    credit = 0 :: non_neg_integer(),
    max_queue :: pos_integer(),
    max_queue_bytes :: pos_integer(),
    avg_size = 64 :: pos_integer(),
    %% Packets per owner message: 1, or the recent size of a batch.
    avg_batch = 1 :: pos_integer(),
    recheck = false :: boolean(),
    eof = false :: boolean(),       % the port has read all of a file
    %% How the file ended: the owner's last message says it.
    ending = eof :: eof | {error, term()},
    eof_told = false :: boolean(),  % and the owner has {epcap, eof}
    sent = 0 :: non_neg_integer(),
    stats_timer :: reference() | undefined
}).

%% @doc Start a port for `Owner'; with `Link', link it to the caller.
-spec start(pid(), [epcap_opts:option()] | map(), boolean()) ->
    {ok, pid()} | {error, term()}.
start(Owner, Options, Link) when is_pid(Owner) ->
    case epcap_opts:parse(Options) of
        {ok, Config} ->
            ok = epcap_opts:log_warnings(Config),
            case make_chroot(Config) of
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

%% The classic made a missing {chroot, Dir}; the option only gets here
%% when the VM runs as root (epcap_opts), and the port checks what it
%% finds there (an empty directory is all it needs).
make_chroot(#{chroot := undefined}) ->
    ok;
make_chroot(#{chroot := Dir}) ->
    case filelib:ensure_path(Dir) of
        ok -> ok;
        {error, Why} -> {error, {chroot, Dir, Why}}
    end.

%% @doc Flush, stop the port and wait for it to exit.
-spec stop(pid()) -> ok.
stop(Pid) ->
    try
        gen_server:call(Pid, stop, ?STOP_TIMEOUT + 1000)
    catch
        exit:{Reason, _} when ?GONE(Reason) -> ok
    end.

%% @doc A request to the server; `{error, closed}' if it is gone.
-spec call(pid(), term()) -> term().
call(Pid, Request) ->
    try
        gen_server:call(Pid, Request, infinity)
    catch
        %% Whatever it ended with (a live capture's fatal error too), the
        %% capture is over: the caller's question has no answer.
        exit:{_Reason, {gen_server, call, _}} -> {error, closed}
    end.

%% @private
init_it(Caller, Owner, Config, Link) ->
    process_flag(trap_exit, true),
    case open(Config) of
        {ok, Port, Ready, Prefix} ->
            Link andalso link(Caller),
            proc_lib:init_ack({ok, self()}),
            #{datalink := DLT, precision := Prec} = Ready,
            State0 = #state{
                port = Port,
                os_pid = os_pid(Port, Prefix, maps:get(progname, Config)),
                owner = Owner,
                owner_mon = monitor(process, Owner),
                datalink = DLT,
                time_unit = maps:get(time_unit, Config),
                precision = Prec,
                ready = Ready,
                config = Config,
                active = maps:get(active, Config),
                delivery = maps:get(delivery, Config),
                max_queue = maps:get(max_queue, Config),
                max_queue_bytes = maps:get(max_queue_bytes, Config),
                credit = epcap_opts:initial_credit(Config)
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

%% @doc Spawn the port for a parsed configuration and wait for READY:
%% `{ok, Port, Ready, Prefix}' (the exec prefix it runs under), or
%% `{error, Reason}'. The caller owns the port.
-spec open(epcap_opts:config()) ->
    {ok, port(), epcap_codec:ready(), [string()]} | {error, term()}.
open(Config) ->
    case exec_prefix(Config) of
        {ok, Prefix} ->
            case spawn_port(Config, Prefix) of
                {error, {rfmon_not_supported, Msg}} when
                    map_get(monitor, Config)
                ->
                    %% The classic ignored monitor mode where the link has
                    %% none (a wired interface): a warning, not a failure.
                    logger:warning("epcap: monitor mode ignored: ~ts", [Msg]),
                    spawn_port(without_monitor(Config), Prefix);
                Result ->
                    Result
            end;
        {error, _} = Error ->
            Error
    end.

%% The option list again with {monitor, false} last: the last one wins.
without_monitor(#{options := Options} = Config) ->
    {ok, C} = epcap_opts:parse(Options ++ [{monitor, false}]),
    maps:merge(Config, maps:with([argv, monitor], C)).

spawn_port(Config, Prefix) ->
    [Exe | Args] = epcap_opts:command(Config, Prefix),
    try
        open_port({spawn_executable, Exe}, [
            {args, Args}, {packet, 4}, binary, exit_status, use_stdio
        ])
    of
        Port ->
            Deadline = erlang:monotonic_time(millisecond) +
                maps:get(start_timeout, Config),
            case handshake(Port, Config#{prefix => Prefix}, Deadline,
                           undefined) of
                {ok, Port, Ready} -> {ok, Port, Ready, Prefix};
                Error -> Error
            end
    catch
        error:Why ->
            {error, {exec, Exe, Why}}
    end.

%% @doc How the port is to be run for this configuration: `{ok, Prefix}'
%% (the command to put before it: none, sudo, or what `exec' says), or
%% the real reason it cannot be, first: `{exec, Path, Posix}' when the
%% port program is missing or not executable, before any thought of sudo;
%% `{permission_denied, Msg}' when it cannot capture by itself and
%% `sudo -n' refuses it (sudo's own words, never on the console).
%%
%% With no `exec': none when the port can capture by itself (root, setuid,
%% file capabilities) or reads a file; otherwise `sudo -n', if sudo
%% allows it.
-spec exec_prefix(epcap_opts:config()) ->
    {ok, [string()]} | {error, term()}.
exec_prefix(#{exec := default, source := {file, _}}) ->
    %% Nothing to fall back on: spawning it says {exec, Path, Posix}.
    {ok, []};
exec_prefix(#{exec := default, progname := Prog}) ->
    case can_capture([], Prog) of
        {ok, true} ->
            %% By itself: root, or a program with privileges of its own.
            case epcap_trust:privileged(Prog, privileged) of
                ok -> {ok, []};
                {error, _} = Untrusted -> Untrusted
            end;
        {ok, false} ->
            case os:find_executable("sudo") of
                false -> {ok, []};
                Sudo -> sudo_prefix([Sudo, "-n"], Prog)
            end;
        {error, _} = Error ->
            Error
    end;
exec_prefix(#{exec := []}) ->
    {ok, []};
exec_prefix(#{exec := [Cmd | _] = Prefix, progname := Prog}) ->
    case filename:basename(Cmd) of
        "sudo" ->
            %% Run by root: only that the program exists can be known here.
            case file:read_file_info(Prog) of
                {ok, _} -> sudo_prefix(Prefix, Prog);
                {error, Why} -> {error, {exec, Prog, Why}}
            end;
        _ ->
            {ok, Prefix}
    end.

%% sudo runs whatever has the name Prog: only a path no one but root can
%% change is given to it (epcap_trust), before sudo runs anything.
sudo_prefix(Prefix, Prog) ->
    case epcap_trust:privileged(Prog, sudo) of
        ok -> ask_sudo(Prefix, Prog);
        {error, _} = Untrusted -> Untrusted
    end.

%% Ask sudo once, its stderr captured: the answer, or its message. -n
%% keeps it from ever asking for a password.
ask_sudo(Prefix, Prog) ->
    case can_capture(Prefix, Prog) of
        {ok, true} ->
            {ok, Prefix};
        {ok, false, Output} ->
            Why = case string:trim(Output) of
                "" -> "sudo -n refused";
                Text -> "sudo -n refused: " ++ Text
            end,
            {error, {permission_denied, with_hint("cannot capture: " ++ Why,
                                                  Prog)}};
        {ok, false} ->
            {error, {permission_denied,
                     with_hint("cannot capture, even through sudo", Prog)}};
        {error, _} = Error ->
            Error
    end.

%% `Prog --can-capture' (exit 0: it can, 77: it cannot), through Prefix.
%% With a prefix, a status other than 0 and 77 is the prefix's own
%% refusal, returned with its output.
can_capture(Prefix, Prog) ->
    [Cmd | Args] = Prefix ++ [Prog],
    Exe = case filename:pathtype(Cmd) =:= relative andalso
               os:find_executable(Cmd) of
        Path when is_list(Path) -> Path;
        _ -> Cmd
    end,
    try open_port({spawn_executable, Exe}, [
            {args, Args ++ ["--can-capture"]}, exit_status,
            stderr_to_stdout, binary
        ])
    of
        Port ->
            unlink(Port),
            case wait_exit(Port, 5000, []) of
                {0, _} -> {ok, true};
                {77, _} -> {ok, false};
                {_, Out} when Prefix =/= [] -> {ok, false, Out};
                {_, _} -> {ok, false}
            end
    catch
        error:Why -> {error, {exec, Exe, Why}}
    end.

wait_exit(Port, Timeout, Acc) ->
    receive
        {Port, {exit_status, S}} ->
            {S, unicode:characters_to_list(lists:reverse(Acc))};
        {Port, {data, D}} ->
            wait_exit(Port, Timeout, [D | Acc])
    after Timeout ->
        close(Port),
        {timeout, ""}
    end.

handshake(Port, Config, Deadline, LastError) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, Frame}} ->
            case epcap_codec:decode(Frame) of
                {ready, Ready} ->
                    {ok, Port, Ready};
                {ready_version, V} ->
                    close(Port),
                    {error, {protocol_version, V, ?EPCAP_PROTOCOL_VERSION}};
                {warning, Code, Msg} ->
                    port_log(Code, Msg),
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

%% The port exits 128 + SIGSYS when its sandbox stops a system call
%% (c_src/sandbox.h), after an ERROR frame naming the call when it could
%% send one: "sandbox violation: NAME (syscall NR, arch 0xARCH)". NAME is
%% the number itself for a call from a foreign ABI.
-define(SANDBOX_EXIT, (128 + 31)).

%% The structured reasons of a failed start.
start_error(LastError, Status, _) when Status =:= ?SANDBOX_EXIT ->
    {sandbox_violation, violation(LastError)};
start_error({permission_denied, Msg}, _, #{progname := Prog}) ->
    {permission_denied, with_hint(Msg, Prog)};
start_error({bad_filter, Msg}, _, _) ->
    {bad_filter, Msg};
start_error({no_such_device, _}, _, #{source := {interface, Name}}) ->
    {no_such_device, Name};
start_error({file, Msg}, _, #{source := {file, Path}}) ->
    {file, Path, Msg};
start_error({dump, Msg}, _, #{dump := Path}) ->
    {dump, Path, Msg};
start_error({Code, Msg}, _, _) ->
    {Code, Msg};
start_error(undefined, Status, #{progname := Prog} = Config) ->
    Sudo = case maps:get(prefix, Config, []) of
        [Cmd | _] -> filename:basename(Cmd) =:= "sudo";
        [] -> false
    end,
    case {Sudo, epcap_codec:exit_reason(Status)} of
        {true, {status, 1}} ->
            %% sudo refused before the port ever ran.
            {permission_denied, with_hint("cannot capture: sudo -n refused",
                                          Prog)};
        {_, Reason} ->
            {port_exit, Reason}
    end.

%% A fatal ERROR frame while running: why the epcap process stops.
fatal_reason(Code, "sandbox violation: " ++ _ = Msg) ->
    {sandbox_violation, violation({Code, Msg})};
fatal_reason(Code, Msg) ->
    {Code, Msg}.

violation({_, "sandbox violation: " ++ Rest}) ->
    [Name | _] = string:split(Rest, " "),
    case string:to_integer(Name) of
        {Nr, ""} -> Nr;
        _ -> Name
    end;
violation(_) ->
    unknown.

%% @doc The reason first, then which of the ways to capture to set up.
%% The port's own hint (for a source tree: make setcap) is replaced by
%% one that fits where the port is: a source tree with its Makefile, or a
%% release or an installed copy, which have no make targets.
-spec with_hint(string(), string()) -> string().
with_hint(Msg, Prog) ->
    [Cause | _] = string:split(Msg, "; to capture without root"),
    Cause ++ "; to capture without root, " ++ hint(Prog).

hint(Prog) ->
    Top = filename:dirname(filename:dirname(Prog)),
    case filelib:is_regular(filename:join(Top, "Makefile")) andalso
        filelib:is_regular(filename:join([Top, "c_src", "main.c"])) of
        true ->
            "install the port with file capabilities (sudo make install "
            "install-setcap, recommended; or install-setuid, install-sudo) "
            "and name PREFIX/lib/epcap/epcap in {progname, Path}; in a "
            "source tree that root owns, make setcap or make setuid give "
            "this copy the same; see doc/SECURITY.md";
        false ->
            "install the port from epcap's source with sudo make install "
            "install-setcap (recommended; or install-setuid, or "
            "install-sudo and {exec, \"sudo -n\"}) and name the installed "
            "copy (PREFIX/lib/epcap/epcap) in {progname, Path} in the epcap "
            "application environment; never give " ++ Prog ++ " privileges "
            "or a sudoers rule: the release's owner could replace it; see "
            "epcap's README, \"Releases with privileges\""
    end.

%% The port program's own pid. Through a prefix (sudo) the Erlang port's
%% process is the prefix: the program is the descendant whose argv[0] is
%% Prog (Linux's /proc; elsewhere the prefix's pid).
os_pid(Port, Prefix, Prog) ->
    case erlang:port_info(Port, os_pid) of
        {os_pid, Pid} when Prefix =:= [] -> Pid;
        {os_pid, Pid} -> descendant([Pid], Prog, 4, Pid);
        undefined -> undefined
    end.

descendant(_, _, 0, Default) ->
    Default;
descendant([], _, _, Default) ->
    Default;
descendant(Pids, Prog, Depth, Default) ->
    Children = lists:append([children(P) || P <- Pids]),
    case [C || C <- Children, argv0(C) =:= Prog] of
        [Found | _] -> Found;
        [] -> descendant(Children, Prog, Depth - 1, Default)
    end.

children(Pid) ->
    P = integer_to_list(Pid),
    case file:read_file(filename:join(["/proc", P, "task", P, "children"])) of
        {ok, Bin} -> [binary_to_integer(C) || C <- string:lexemes(Bin, " \n")];
        {error, _} -> []
    end.

argv0(Pid) ->
    case file:read_file(filename:join(["/proc", integer_to_list(Pid), "cmdline"])) of
        {ok, Bin} ->
            [First | _] = binary:split(Bin, <<0>>),
            unicode:characters_to_list(First);
        {error, _} ->
            undefined
    end.

close(Port) ->
    catch port_close(Port),
    flush_exit(Port).

flush_exit(Port) ->
    receive
        {'EXIT', Port, _} -> ok
    after 0 -> ok
    end.

%% Send a command that expects a REPLY; the caller waits for it.
request(Kind, Body, From, #state{port = Port, next_id = Id} = State) ->
    case command(Port, Kind, Id, Body) of
        ok ->
            State#state{
                requests = maps:put(Id, {From, Kind}, State#state.requests),
                next_id = Id + 1
            };
        closed ->
            From =/= tick andalso gen_server:reply(From, {error, closed}),
            State
    end.

%% A port that has just exited rejects commands; its exit_status message
%% is on the way and ends this process, so the command is simply lost.
command(Port, Kind, Id, Body) ->
    try port_command(Port, epcap_codec:encode_command(Kind, Id, Body)) of
        true -> ok
    catch
        error:badarg -> closed
    end.

%% @private
handle_call({setopts, Opts}, _From, State) ->
    case setopts(Opts, State) of
        {ok, State1} ->
            State2 = tell_eof(deliver(State1)),
            case State2#state.port of
                undefined when State2#state.held_count =:= 0 ->
                    {stop, normal, ok, State2};
                _ ->
                    {reply, ok, State2}
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
    Reply = case command(Port, inject, 0, Packet) of
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
handle_call(stats, From, State) ->
    {noreply, request(stats, [], From, State)};
handle_call(stop, From, #state{port = Port, stopping = []} = State) ->
    _ = command(Port, stop, 0, []),
    erlang:send_after(?STOP_TIMEOUT, self(), stop_timeout),
    {noreply, State#state{stopping = [From]}};
handle_call(stop, From, #state{stopping = Waiting} = State) ->
    {noreply, State#state{stopping = [From | Waiting]}};
handle_call(info, _From, #state{ready = Ready, os_pid = OsPid} = State) ->
    {reply, {ok, Ready#{os_pid => OsPid}}, State};
handle_call(Request, _From, State) ->
    {reply, {error, {unknown_call, Request}}, State}.

setopts([], State) ->
    {ok, State};
setopts([{active, A} | T], State) when
    is_boolean(A); A =:= once; is_integer(A), A > 0
->
    setopts(T, State#state{active = A});
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
    flush_exit(Port),
    Reason =
        case {epcap_codec:exit_reason(Status), State#state.last_error} of
            {normal, _} -> normal;
            {{signal, sigsys}, Last} -> {sandbox_violation, violation(Last)};
            {_, {_, _} = Error} -> Error;
            {Why, undefined} -> {port_exit, Why}
        end,
    port_gone(Reason, State);
handle_info({'DOWN', Ref, process, _, _}, #state{owner_mon = Ref} = State) ->
    {stop, normal, State};
handle_info({'EXIT', Port, Reason}, #state{port = Port} = State) ->
    %% The port closed without an exit status: a write to a port that
    %% had just exited (EPIPE). After EOF or STOP that is the normal end.
    Normal = State#state.eof orelse State#state.stopping =/= [],
    Why = case {Normal, State#state.last_error} of
        {true, _} -> normal;
        {false, undefined} -> {port_exit, Reason};
        {false, Error} -> Error
    end,
    port_gone(Why, State);
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
    close(Port),
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

frame({packets, Records}, #state{delivery = packet} = State) ->
    #state{datalink = DLT, time_unit = Unit, precision = Prec} = State,
    Msgs = epcap_codec:packets(Records, DLT, Unit, Prec),
    N = length(Msgs),
    {noreply, grant(deliver(Msgs, N, received(N, byte_size(Records), State)))};
frame({packets, Records}, State) ->
    #state{datalink = DLT, time_unit = Unit, precision = Prec} = State,
    Batch = epcap_codec:batch(Records, DLT, Unit, Prec),
    N = epcap_codec:batch_count(Batch),
    State1 = received(N, byte_size(Records), State),
    State2 = State1#state{avg_batch = rising(N, State1#state.avg_batch)},
    {noreply, grant(deliver([{epcap_batch, self(), Batch}], N, State2))};
frame(eof, State) ->
    %% The port waits for STOP, so no command of ours ever meets a dead
    %% pipe. A passive owner still gets what is held only when it asks.
    _ = command(State#state.port, stop, 0, []),
    {noreply, tell_eof(deliver(State#state{eof = true}))};
frame({reply, Id, Status, Body}, State) ->
    {noreply, reply(Id, Status, Body, State)};
frame({error, Code, true, Msg}, #state{ready = #{source := file}} = State) ->
    %% Damage in a capture file (a truncated record, a bad length) ends
    %% the file, not the caller: every good packet has been delivered,
    %% and the owner's last message names the damage, after what is held.
    logger:warning("epcap: ~p: ~ts", [Code, Msg]),
    close(State#state.port),
    port_gone(normal, State#state{eof = true,
                                  ending = {error, fatal_reason(Code, Msg)}});
frame({error, Code, true, Msg}, State) ->
    %% The port waits for us to close it; what was captured before the
    %% error still reaches the owner.
    logger:error("epcap: ~p: ~ts", [Code, Msg]),
    {stop, fatal_reason(Code, Msg), deliver(State#state{active = true})};
frame({error, Code, false, Msg}, State) ->
    logger:warning("epcap: ~p: ~ts", [Code, Msg]),
    {noreply, State};
frame({warning, Code, Msg}, State) ->
    port_log(Code, Msg),
    {noreply, State};
frame({ready, _} = Frame, _State) ->
    erlang:error({protocol, {unexpected, Frame}});
frame({ready_version, _} = Frame, _State) ->
    erlang:error({protocol, {unexpected, Frame}}).

%% Held packets go first: {epcap, eof} is always the last message.
tell_eof(#state{eof = true, eof_told = false, held_count = 0} = State) ->
    State#state.owner ! {epcap, State#state.ending},
    State#state{eof_told = true};
tell_eof(State) ->
    State.

%% What the port says besides packets becomes a logger event (it writes
%% nothing to the VM's stderr while it speaks frames): its -v logging at
%% info, warnings as warnings.
port_log(log, Msg) ->
    logger:info("epcap: ~ts", [Msg]);
port_log(Code, Msg) ->
    logger:warning("epcap: ~p: ~ts", [Code, Msg]).

%% The port has gone: this process ends with Why, and whatever is held
%% was captured, so the owner gets it first. Only after the normal end of
%% a file, with a passive owner and packets held, does it stay until they
%% are taken (or stop/1).
port_gone(Why, State0) ->
    State = State0#state{port = undefined},
    case Why =:= normal andalso waiting_owner(State) of
        true -> {noreply, State};
        false -> {stop, Why, flush(State)}
    end.

waiting_owner(#state{eof = true, stopping = [], held_count = Held}) ->
    Held > 0;
waiting_owner(_) ->
    false.

%% The estimates rise at once and fall slowly, so a switch to large
%% packets can never be met with credit sized for small ones.
received(N, Bytes, State) ->
    State#state{
        credit = max(0, State#state.credit - N),
        avg_size = rising(Bytes div N, State#state.avg_size)
    }.

rising(New, Avg) ->
    max(New, (Avg * 7 + New) div 8).

%% Replies: to a waiting caller, to the owner for periodic stats, or
%% (id 0: a failed single inject, which has no caller) to the owner.
reply(0, Code, Body, #state{owner = Owner} = State) ->
    Owner ! {epcap_error, self(), {Code, text(Body)}},
    State;
reply(Id, Status, Body, #state{requests = Requests} = State) ->
    case maps:take(Id, Requests) of
        {{tick, stats}, Rest} ->
            State#state.owner ! {epcap_stats, self(), stats_map(Body, State)},
            State#state{requests = Rest};
        {{From, Kind}, Rest} ->
            gen_server:reply(From, result(Kind, Status, Body, State)),
            State#state{requests = Rest};
        error ->
            erlang:error({protocol, {unexpected_reply, Id}})
    end.

result(inject_batch, Status, Body, _) ->
    case {Status, epcap_codec:batch_reply(Body)} of
        {ok, _} -> ok;
        {_, {Sent, Failed, Msg}} ->
            {error, {inject_failed, #{sent => Sent, failed => Failed,
                                      reason => Msg}}}
    end;
result(filter, ok, _, _) -> ok;
result(filter, bad_filter, Body, _) -> {error, {bad_filter, text(Body)}};
result(stats, ok, Body, State) -> {ok, stats_map(Body, State)};
result(_, Code, Body, _) -> {error, {Code, text(Body)}}.

stats_map(Body, #state{sent = Sent, held_packets = Held}) ->
    (epcap_codec:stats(Body))#{owner_delivered => Sent, held => Held}.

text(Bin) ->
    unicode:characters_to_list(Bin).

%% Hand messages (N packets in all) to the owner as far as the active
%% mode allows, which counts messages; hold the rest. With nothing held,
%% the common case, messages go straight out.
deliver(Msgs, N, #state{active = true, held_count = 0} = State) ->
    send_all(State#state.owner, Msgs),
    State#state{sent = State#state.sent + N};
deliver(Msgs, N, #state{held = Held} = State) ->
    Items = case State#state.delivery of
        packet -> [{1, M} || M <- Msgs];
        batch -> [{N, M} || M <- Msgs]
    end,
    deliver(State#state{held = queue:join(Held, queue:from_list(Items)),
                        held_count = State#state.held_count + length(Items),
                        held_packets = State#state.held_packets + N}).

deliver(#state{held_count = 0} = State) ->
    State;
deliver(#state{active = false} = State) ->
    State;
deliver(#state{active = true, held_count = C} = State) ->
    take(C, State);
deliver(#state{active = once} = State) ->
    passive(take(1, State));
deliver(#state{active = N, held_count = C} = State) when is_integer(N) ->
    K = min(N, C),
    State1 = take(K, State),
    case N - K of
        0 -> passive(State1);
        Left -> State1#state{active = Left}
    end.

take(K, #state{held = Held, held_count = C, owner = Owner} = State) ->
    {Out, Rest} = queue:split(K, Held),
    Items = queue:to_list(Out),
    send_all(Owner, [M || {_, M} <- Items]),
    P = lists:sum([N || {N, _} <- Items]),
    State#state{held = Rest, held_count = C - K,
                held_packets = State#state.held_packets - P,
                sent = State#state.sent + P}.

%% Everything held goes to the owner, whatever the active mode: this
%% process is about to end.
flush(State) ->
    tell_eof(deliver(State#state{active = true})).

passive(#state{owner = Owner} = State) ->
    Owner ! {epcap_passive, self()},
    State#state{active = false}.

send_all(Owner, [Msg | Rest]) ->
    Owner ! Msg,
    send_all(Owner, Rest);
send_all(_, []) ->
    ok.

%% Give the port more credit while the owner's mailbox (and what we hold)
%% stays below the watermark; otherwise look again shortly.
grant(#state{port = undefined} = State) ->
    State;
grant(#state{eof = true} = State) ->
    State;
grant(#state{credit = Credit, held_packets = Held} = State) ->
    Limit = min(State#state.max_queue,
                max(1, State#state.max_queue_bytes div State#state.avg_size)),
    Queued = Held + owner_queue(State) * State#state.avg_batch,
    Room = Limit - Queued - Credit,
    if
        Room >= Limit div 4, Room > 0 ->
            _ = command(State#state.port, credit, 0, Room),
            State#state{credit = Credit + Room};
        Credit =:= 0, not State#state.recheck ->
            erlang:send_after(?RECHECK_MS, self(), recheck),
            State#state{recheck = true};
        true ->
            State
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
    is_port(Port) andalso close(Port),
    [gen_server:reply(From, ok) || From <- Waiting],
    [gen_server:reply(From, {error, closed})
     || {From, _} <- maps:values(Reqs), From =/= tick],
    ok.
