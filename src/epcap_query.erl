%% @doc The one-shot calls: the port program answers a question and exits
%% (`--compile', `-D', `-L'). The runs go through {@link epcap_launch}
%% (the one place ports are opened, the one loop that collects a run),
%% and failures through {@link epcap_reason}, so a cause gives the same
%% `{error, Reason}' here as from a start.
%%
%% Use them through {@link epcap:compile/2}, {@link epcap:interfaces/0}
%% and {@link epcap:datalinks/2}.
-module(epcap_query).

-include("epcap_proto.hrl").

-export([compile/2, interfaces/0, datalinks/2]).

%% @doc Compile a filter without capturing and without privileges:
%% `{ok, Program}' with one BPF instruction a string, `{error,
%% {bad_filter, Msg}}', or `{error, {badarg, Option}}'.
-spec compile(iodata(), [{datalink, non_neg_integer() | string()}
                         | {snaplen, pos_integer()} | {progname, string()}]) ->
    {ok, [string()]} | {error, term()}.
compile(Filter, Options) when is_list(Options) ->
    try
        Prog = epcap_opts:progname(Options),
        Args = ["--compile" | compile_args(Options)] ++
            ["--", filter(Filter)],
        compile_result(epcap_spawn:run(Prog, Args), Options)
    catch
        throw:{badarg, _} = Bad -> {error, Bad}
    end;
compile(_, Options) ->
    {error, {badarg, Options}}.

filter(Filter) ->
    try unicode:characters_to_list(Filter) of
        L when is_list(L) -> L;
        _ -> throw({badarg, {filter, Filter}})
    catch
        error:badarg -> throw({badarg, {filter, Filter}})
    end.

compile_args([]) -> [];
compile_args([{datalink, D} | T]) when is_integer(D), D >= 0 ->
    ["-y", integer_to_list(D) | compile_args(T)];
compile_args([{datalink, D} = Opt | T]) when is_list(D); is_binary(D) ->
    case unicode:characters_to_list(D) of
        L when is_list(L) -> ["-y", L | compile_args(T)];
        _ -> throw({badarg, Opt})
    end;
compile_args([{snaplen, N} | T]) when is_integer(N), N > 0,
                                      N =< ?EPCAP_SNAPLEN_MAX ->
    ["-s", integer_to_list(N) | compile_args(T)];
compile_args([{progname, _} | T]) -> compile_args(T);
compile_args([Opt | _]) -> throw({badarg, Opt}).

compile_result({error, {exec, Exe, Why}}, Options) ->
    %% The program's path as the caller gave it.
    {error, {exec, epcap_launch:given(progname, #{options => Options}, Exe),
             Why}};
compile_result({error, _} = Error, _) ->
    Error;
compile_result({timeout, _}, _) ->
    {error, timeout};
compile_result({0, Out}, _) ->
    {ok, lines(Out)};
compile_result({Status, Out}, Options) ->
    case epcap_codec:exit_reason(Status) of
        open ->
            {error, {bad_filter, message(Out)}};
        usage ->
            %% Only the link type can be refused by the port: the rest
            %% was checked here.
            {error, {badarg, lists:keyfind(datalink, 1, Options)}};
        Why ->
            {error, {port_exit, Why}}
    end.

%% @doc The interfaces libpcap can capture on, without privileges (see
%% {@link epcap:interfaces/0}).
-spec interfaces() -> {ok, [map()]} | {error, term()}.
interfaces() ->
    case epcap_spawn:run(epcap_opts:progname([]), ["-D"]) of
        {error, _} = Error ->
            Error;
        {timeout, _} ->
            {error, timeout};
        {0, Out} ->
            {ok, parse_interfaces(lines(Out), [])};
        {Status, Out} ->
            case epcap_codec:exit_reason(Status) of
                %% libpcap's pcap_findalldevs failed: as a capture's
                %% other libpcap failures.
                open -> {error, {capture, message(Out)}};
                Why -> {error, {port_exit, Why}}
            end
    end.

%% The -D format: epcap_proto.h, doc/PROTOCOL.md ("Listings").
parse_interfaces([], Acc) ->
    lists:reverse([I#{addresses := lists:reverse(A)}
                   || #{addresses := A} = I <- Acc]);
parse_interfaces([[$\t | Addr] | T], [I | Acc]) ->
    #{addresses := As} = I,
    parse_interfaces(T, [I#{addresses := [parse_address(Addr) | As]} | Acc]);
parse_interfaces([Line | T], Acc) ->
    [Name, Flags, Desc] = string:split(Line, "\t", all),
    I = #{name => Name,
          description => none(Desc),
          flags => [flag(F) || F <- string:lexemes(Flags, ","),
                               F =/= ?EPCAP_LIST_NONE],
          addresses => []},
    parse_interfaces(T, [I | Acc]).

%% A flag the header names (EPCAP_IF_FLAGS) is its atom; one a newer
%% port prints that this side does not know stays a string. No atom is
%% ever made from the port's output.
flag(F) ->
    case [A || A <- ?EPCAP_IF_FLAGS, atom_to_list(A) =:= F] of
        [Flag] -> Flag;
        [] -> F
    end.

parse_address(Line) ->
    [Family, Addr, Mask, Bcast] = string:split(Line, "\t", all),
    #{family => family(Family), addr => ip(Addr), netmask => ip(Mask),
      broadcast => ip(Bcast)}.

family("inet") -> inet;
family("inet6") -> inet6.

ip(?EPCAP_LIST_NONE) -> undefined;
ip(S) ->
    {ok, Ip} = inet:parse_address(S),
    Ip.

none(?EPCAP_LIST_NONE) -> undefined;
none(S) -> S.

%% @doc The link types `Interface' offers (see {@link epcap:datalinks/2}):
%% the port opens it as a capture would, so the errors are a start's.
-spec datalinks(string() | binary(), [epcap_opts:option()]) ->
    {ok, [epcap_codec:datalink()]} | {error, term()}.
datalinks(Interface, Options) ->
    case epcap_opts:parse([{interface, Interface} | Options]) of
        {ok, #{source := {interface, [[_ | _] | _]}}} ->
            %% -L lists one interface's link types.
            {error, {badarg, {interface, Interface}}};
        {ok, #{argv := Argv} = Config} ->
            ok = epcap_opts:log_warnings(Config),
            case epcap_launch:open(Config#{argv := ["-L" | Argv]}) of
                {datalinks, List} ->
                    {ok, List};
                {ok, Port, _, _} ->
                    %% A port that does not know -L: not this one.
                    catch port_close(Port),
                    {error, {protocol, {unexpected, ready}}};
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end.

lines(Out) ->
    [unicode:characters_to_list(L)
     || L <- binary:split(Out, <<"\n">>, [global, trim_all])].

message(Out) ->
    strip(string:trim(unicode:characters_to_list(Out))).

strip("epcap: " ++ Msg) -> Msg;
strip(Msg) -> Msg.
