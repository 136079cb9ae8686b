%% @doc The one place that calls `open_port/2' (no shell: the program and
%% its arguments as given), the handshake up to READY, the one loop that
%% collects a one-shot run (`--can-capture', `--compile', `-D'), and the
%% commands sent to a port and its closing. The caller owns the ports.
-module(epcap_spawn).

-include("epcap_proto.hrl").

-export([frames/2, run/2, run/3, command/4, close/1, flush_exit/1]).

%% How long a one-shot run may take.
-define(RUN_TIMEOUT, 10000).

%% @doc Spawn the port under `Prefix' and wait for its answer: READY
%% (`{ok, Port, Ready, Prefix}'), DATALINKS for `-L' (`{datalinks,
%% List}': the port has exited), or `{error, Reason}' (epcap_reason).
%% With `{interface_info, true}' on live interfaces, READY is followed by
%% one INTERFACE frame for each, which the start waits for too (so
%% `epcap:interfaces/1' knows them all at once): they come in `Ready'
%% as `interfaces', in index order.
-spec frames(epcap_opts:config(), [string()]) ->
    {ok, port(), epcap_codec:ready(), [string()]}
    | {datalinks, [epcap_codec:datalink()]} | {error, term()}.
frames(Config, Prefix) ->
    [Exe | Args] = epcap_opts:command(Config, Prefix),
    case port(Exe, Args, frames) of
        {ok, Port} ->
            Deadline = erlang:monotonic_time(millisecond) +
                maps:get(start_timeout, Config),
            case handshake(Port, Config#{prefix => Prefix}, Deadline,
                           undefined) of
                {ok, Ready} -> {ok, Port, Ready, Prefix};
                Other -> Other
            end;
        {error, _} = Error ->
            Error
    end.

%% The one open_port: no shell, the program and its arguments as given.
%% `frames': the protocol ({packet, 4}); `text': a one-shot run whose
%% stdout and stderr are read together.
port(Exe, Args, Mode) ->
    Opts = case Mode of
        frames -> [{packet, 4}, binary, exit_status, use_stdio];
        text -> [binary, exit_status, stderr_to_stdout]
    end,
    try open_port({spawn_executable, Exe}, [{args, Args} | Opts]) of
        Port ->
            %% No link for a one-shot run: it ends with us anyway, and a
            %% caller that traps exits gets no stray 'EXIT' message.
            Mode =:= text andalso unlink(Port),
            {ok, Port}
    catch
        error:Why ->
            %% A group install explains an eacces: say so (epcap_install).
            epcap_install:exec_failed(Exe, Why),
            {error, {exec, Exe, Why}}
    end.

handshake(Port, Config, Deadline, LastError) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, Frame}} ->
            case epcap_codec:decode(Frame) of
                {ready, Ready} ->
                    described(Port, Config, Deadline, Ready,
                              live_interfaces(Config), []);
                {datalinks, List} ->
                    _ = wait_exit(Port, Left, []),
                    {datalinks, List};
                {ready_version, V} ->
                    close(Port),
                    {error, {protocol_version, V, ?EPCAP_PROTOCOL_VERSION}};
                {warning, Code, Msg} ->
                    epcap_events:log_frame(Code, Msg),
                    handshake(Port, Config, Deadline, LastError);
                {error, Code, _Fatal, Msg} ->
                    handshake(Port, Config, Deadline, {Code, Msg});
                Other ->
                    close(Port),
                    {error, {protocol, {unexpected, Other}}}
            end;
        {Port, {exit_status, Status}} ->
            flush_exit(Port),
            {error, epcap_reason:start_error(LastError, Status, Config)}
    after Left ->
        close(Port),
        {error, timeout}
    end.

%% How many INTERFACE frames follow READY for certain: one per live
%% interface asked for (a file reveals its own as it goes, and so may
%% `any', whose packets come from every interface).
live_interfaces(#{interface_info := true, source := {interface, Names}})
  when Names =/= "any" ->
    case Names of
        [[_ | _] | _] -> length(Names);
        _ -> 1
    end;
live_interfaces(_) ->
    0.

described(_Port, _Config, _Deadline, Ready, 0, []) ->
    {ok, Ready};
described(_Port, _Config, _Deadline, Ready, 0, Acc) ->
    {ok, Ready#{interfaces => lists:reverse(Acc)}};
described(Port, Config, Deadline, Ready, N, Acc) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, Frame}} ->
            case epcap_codec:decode(Frame) of
                {interface, If} ->
                    described(Port, Config, Deadline, Ready, N - 1, [If | Acc]);
                {warning, Code, Msg} ->
                    epcap_events:log_frame(Code, Msg),
                    described(Port, Config, Deadline, Ready, N, Acc);
                Other ->
                    close(Port),
                    {error, {protocol, {unexpected, Other}}}
            end;
        {Port, {exit_status, Status}} ->
            flush_exit(Port),
            {error, epcap_reason:start_error(undefined, Status, Config)}
    after Left ->
        close(Port),
        {error, timeout}
    end.

%% @equiv run(Exe, Args, 10000)
-spec run(string(), [string()]) ->
    {non_neg_integer() | timeout, binary()} | {error, term()}.
run(Exe, Args) ->
    run(Exe, Args, ?RUN_TIMEOUT).

%% @doc Run `Exe Args' to its end: `{Status, Output}' (stdout and stderr
%% together), `{timeout, Output}', or `{error, {exec, Exe, Posix}}'.
-spec run(string(), [string()], timeout()) ->
    {non_neg_integer() | timeout, binary()} | {error, term()}.
run(Exe, Args, Timeout) ->
    case port(Exe, Args, text) of
        {ok, Port} -> wait_exit(Port, Timeout, []);
        {error, _} = Error -> Error
    end.

wait_exit(Port, Timeout, Acc) ->
    receive
        {Port, {data, D}} ->
            wait_exit(Port, Timeout, [D | Acc]);
        {Port, {exit_status, S}} ->
            flush_exit(Port),
            {S, iolist_to_binary(lists:reverse(Acc))}
    after Timeout ->
        close(Port),
        {timeout, iolist_to_binary(lists:reverse(Acc))}
    end.

%% @doc Send a command to a port this process owns: `closed' when the
%% port has just exited (its exit_status message is on the way, and the
%% command is simply lost).
-spec command(port(), epcap_codec:command(), non_neg_integer(), term()) ->
    ok | closed.
command(Port, Kind, Id, Body) ->
    try port_command(Port, epcap_codec:encode_command(Kind, Id, Body)) of
        true -> ok
    catch
        error:badarg -> closed
    end.

%% @doc Close a port this process owns, and forget its 'EXIT' message.
-spec close(port()) -> ok.
close(Port) ->
    catch port_close(Port),
    flush_exit(Port).

%% @doc Forget the 'EXIT' message of a port that has ended, if any.
-spec flush_exit(port()) -> ok.
flush_exit(Port) ->
    receive
        {'EXIT', Port, _} -> ok
    after 0 -> ok
    end.
