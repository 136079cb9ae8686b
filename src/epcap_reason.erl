%% @doc One error vocabulary: the `{error, Reason}' every call returns for
%% a cause, made here from what the port said (an ERROR frame's code and
%% message, its exit status) and nowhere else. Pure: tested from literal
%% inputs (test/epcap_reason_tests.erl).
%%
%% The same cause gives the same reason from `start', `open',
%% `datalinks', `interfaces' and `compile' (README, "Errors"):
%%
%% <ul>
%% <li>`{badarg, Option}': a bad argument, `Option' exactly as given;
%%   `{badarg, Msg}' when the port itself refuses a value.</li>
%% <li>`{no_such_device, Name}', `{bad_filter, Msg}',
%%   `{file, Path, Msg}', `{dump, Path, Msg}'.</li>
%% <li>`{permission_denied, Msg}': no right to capture (`Msg' ends with
%%   what to do about it), or the port's policy refused an option to a
%%   caller who is not root (`Msg' names the option).</li>
%% <li>`{sandbox_violation, Syscall}': the call's name, or its number.</li>
%% <li>`{Code, Msg}': any other error code of the port (doc/PROTOCOL.md).</li>
%% <li>`{exec, Path, Posix}', `{port_exit, Why}', `timeout'.</li>
%% </ul>
%%
%% Strings: what the caller gave comes back as given (`Name', `Path',
%% `Option'); the words of an error (`Msg') are charlists, as Erlang's
%% own; what the port reports as data (READY's name, packets) are
%% binaries.
-module(epcap_reason).

-include("epcap_proto.hrl").

-export([start_error/3, fatal/2, violation/1, reply/3, exit/1]).

%% @doc Why a start failed: the last ERROR frame before the exit (`{Code,
%% Msg}', or `undefined' when there was none), the exit status, and the
%% configuration (`source', `dump', `progname', `prefix': the exec prefix).
-spec start_error({atom(), string()} | undefined, non_neg_integer(), map()) ->
    term().
start_error(Last, ?EPCAP_EXIT_SANDBOX_VIOLATION, _) ->
    {sandbox_violation, violation(Last)};
start_error({permission_denied, Msg}, Status, #{progname := Prog}) ->
    case epcap_codec:exit_reason(Status) of
        %% The port's policy: an option a caller who is not root may not
        %% give. No hint: the fix is to leave the option out.
        usage -> {permission_denied, Msg};
        _ -> {permission_denied, epcap_launch:with_hint(Msg, Prog)}
    end;
start_error({no_such_device, Msg}, _, #{source := {interface, [_ | _] = Names}} = C)
  when is_list(hd(Names)) ->
    %% Several interfaces: the one the port's message names, as given.
    I = named(Msg, Names),
    case given(interface, C, Names) of
        Given when length(Given) =:= length(Names) ->
            {no_such_device, lists:nth(I, Given)};
        _ ->
            {no_such_device, lists:nth(I, Names)}
    end;
start_error({no_such_device, _}, _, #{source := {interface, Name}} = C) ->
    {no_such_device, given(interface, C, Name)};
start_error({file, Msg}, _, #{source := {file, Path}} = C) ->
    {file, given(file, C, Path), Msg};
start_error({dump, Msg}, _, #{dump := Path} = C) ->
    {dump, given(dump, C, Path), Msg};
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
            {permission_denied,
             epcap_launch:with_hint("cannot capture: sudo -n refused", Prog)};
        {_, Reason} ->
            {port_exit, Reason}
    end.

given(Key, Config, Default) ->
    epcap_launch:given(Key, Config, Default).

%% The position of the interface a message is about: the one it starts
%% with ("eth1: No such device exists"), else the longest one it names
%% anywhere, else the first.
named(Msg, Names) ->
    Indexed = lists:zip(lists:seq(1, length(Names)), Names),
    Prefixed = [I || {I, N} <- Indexed, string:prefix(Msg, N ++ ":") =/= nomatch],
    Named = [I || {_, I, N} <- lists:reverse(lists:sort(
                                   [{length(N), I, N} || {I, N} <- Indexed])),
                  string:find(Msg, N) =/= nomatch],
    hd(Prefixed ++ Named ++ [1]).

%% @doc What a REPLY frame to a command means for its caller (STATS'
%% success, which needs the epcap process's own counters, is not here).
-spec reply(epcap_codec:command(), ok | atom(), binary()) ->
    ok | {error, term()}.
reply(inject_batch, Status, Body) ->
    case {Status, epcap_codec:batch_reply(Body)} of
        {ok, _} -> ok;
        {_, {Sent, Failed, Msg}} ->
            {error, {inject_failed, #{sent => Sent, failed => Failed,
                                      reason => Msg}}}
    end;
reply(_, ok, _) -> ok;
reply(_, Code, Body) -> {error, {Code, unicode:characters_to_list(Body)}}.

%% @doc Why a running capture ended when its port exited with `Status'
%% and no fatal ERROR frame before (that one is fatal/2's).
-spec exit(non_neg_integer()) -> term().
exit(Status) ->
    case epcap_codec:exit_reason(Status) of
        normal -> normal;
        {signal, sigsys} -> {sandbox_violation, unknown};
        Why -> {port_exit, Why}
    end.

%% @doc A fatal ERROR frame while running: why the capture stops.
-spec fatal(atom(), string()) -> term().
fatal(sandbox_violation, Msg) -> {sandbox_violation, violation({sandbox_violation, Msg})};
fatal(Code, Msg) -> {Code, Msg}.

%% @doc The system call an ERROR frame of code `sandbox_violation' names:
%% its name, or its number for a call from a foreign ABI; `unknown' when
%% the port was killed before it could say.
-spec violation({atom(), string()} | undefined) ->
    string() | integer() | unknown.
violation({sandbox_violation, Call}) ->
    case string:to_integer(Call) of
        {Nr, ""} -> Nr;
        _ -> Call
    end;
violation(_) ->
    unknown.
