%% @doc What the classic epcap accepted is accepted, and said: the
%% warnings of a parse (an unknown option, a buffer below the minimum, a
%% timeout with no end, an identity option a VM that is not root cannot
%% give), and whether this VM runs as root. Used by {@link epcap_opts}.
-module(epcap_classic).

-export([warnings/3, privileged/2, vm_is_root/0]).

%% @doc The warnings of a parse: the unknown options, then what the
%% normalized options (`Normal') changed; `BufferMin' is the smallest
%% buffer.
-spec warnings([term()], [{atom(), term()}], pos_integer()) -> [string()].
warnings(Unknown, Normal, BufferMin) ->
    [unknown_warning(U) || U <- Unknown] ++ buffer_warning(Normal, BufferMin)
        ++ timeout_warning(Normal).

unknown_warning(Opt) ->
    lists:flatten(io_lib:format("unknown option ignored: ~tp", [Opt])).

%% A timeout with no end lets the kernel hold packets in its open block
%% until the block fills: on a quiet interface those are never delivered,
%% and stop/1 loses them. The classic's -1, which callers pass for
%% "no timeout", becomes the default; an explicit infinity stays, said.
timeout_warning(Normal) ->
    case lists:keyfind(timeout, 1, lists:reverse(Normal)) of
        {timeout, classic_infinity} ->
            ["{timeout, -1}: the adaptive default is used instead: with no "
             "timeout the kernel holds packets until its block fills, and "
             "stop/1 would lose them ({timeout, infinity} asks for that)"];
        {timeout, infinity} ->
            ["{timeout, infinity}: the kernel holds packets until its block "
             "fills; those it holds at stop/1 are counted in received and "
             "never delivered"];
        _ ->
            []
    end.

buffer_warning(Normal, Min) ->
    case lists:keyfind(buffer, 1, lists:reverse(Normal)) of
        {buffer, {raised, N}} ->
            [lists:flatten(io_lib:format(
                "{buffer, ~b} is below the minimum: ~b bytes used",
                [N, Min]))];
        _ ->
            []
    end.

%% The port refuses -u, -g and -d from a caller that is not root (it may
%% hold privileges the caller has not: a caller must not choose its
%% identity or root). The classic passed them to sudo; as the VM's own
%% user they are dropped here, with a warning each, and nothing is made.
%% @doc Options a VM that is not root may not give the port: dropped, with
%% a warning each.
-spec privileged([{atom(), term()}], boolean()) ->
    {[{atom(), term()}], [string()]}.
privileged(Opts, true) ->
    {Opts, []};
privileged(Opts, false) ->
    Dropped = [O || {K, _} = O <- Opts, lists:member(K, [user, group, chroot])],
    {Opts -- Dropped,
     [lists:flatten(io_lib:format(
          "~tp ignored: only a VM running as root may give it to the port",
          [O])) || O <- Dropped]}.

%% @doc Whether the Erlang VM runs as root (effective uid 0). Asked once
%% per VM: an Erlang VM does not change its identity.
-spec vm_is_root() -> boolean().
vm_is_root() ->
    case persistent_term:get({?MODULE, root}, undefined) of
        undefined ->
            Root = effective_uid() =:= 0,
            persistent_term:put({?MODULE, root}, Root),
            Root;
        Root ->
            Root
    end.

%% /proc/self/status where there is one (its "Uid:" line: real,
%% effective, ...), else id(1).
effective_uid() ->
    case file:read_file("/proc/self/status") of
        {ok, Status} ->
            case re:run(Status, "^Uid:\\s+\\d+\\s+(\\d+)", [multiline,
                        {capture, all_but_first, list}]) of
                {match, [Uid]} -> list_to_integer(Uid);
                nomatch -> id_u()
            end;
        {error, _} ->
            id_u()
    end.

id_u() ->
    case string:to_integer(os:cmd("id -u")) of
        {Uid, _} when is_integer(Uid) -> Uid;
        _ -> -1
    end.
