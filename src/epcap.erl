%% @doc Packet capture for Erlang and Elixir through a privilege-separated
%% libpcap port.
%%
%% A drop-in replacement for the classic epcap API:
%%
%% ```
%% {ok, Ref} = epcap:start_link([{interface, "eth0"}, {filter, "tcp port 80"}]),
%% receive
%%     {packet, DataLinkType, Time, Length, Packet} -> ok
%% end.
%% '''
%%
%% `Time' is `{MegaSecs, Secs, MicroSecs}' by default, or an integer with
%% `{time_unit, microsecond | nanosecond}'. `Length' is the length on the
%% wire; `byte_size(Packet)' is what was captured (at most the snaplen).
%% Reading a file with `{file, Path}' ends with the message
%% `{epcap, eof}', after which the epcap process exits normally.
%%
%% `start'/`start_link' return `{ok, Pid}' only once the port is capturing
%% (handle active, filter applied), or `{error, Reason}' with a structured
%% reason: `{badarg, Option}', `{bad_filter, Msg}',
%% `{no_such_device, Name}', `{permission_denied, Msg}',
%% `{file, Path, Msg}', `{Code, Msg}' for other libpcap failures,
%% `{port_exit, Why}' or `timeout'.
-module(epcap).

-export([
    start/0, start/1, start/2,
    start_link/0, start_link/1, start_link/2,
    stop/1,
    getopts/1,
    info/1,
    child_spec/1
]).

-export_type([option/0]).

-type option() :: epcap_opts:option().

%% @equiv start([])
-spec start() -> {ok, pid()} | {error, term()}.
start() -> start([]).

%% @doc Start capturing for the calling process, without a link.
-spec start([option()] | map()) -> {ok, pid()} | {error, term()}.
start(Options) -> start(self(), Options).

%% @doc Start capturing with packets sent to `Owner', without a link.
%% The port stops when `Owner' exits.
-spec start(pid(), [option()] | map()) -> {ok, pid()} | {error, term()}.
start(Owner, Options) -> epcap_port:start(Owner, Options, false).

%% @equiv start_link([])
-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() -> start_link([]).

%% @doc Start capturing for the calling process, linked to it.
-spec start_link([option()] | map()) -> {ok, pid()} | {error, term()}.
start_link(Options) -> start_link(self(), Options).

%% @doc Start capturing with packets sent to `Owner', linked to the
%% caller. A failed start returns `{error, Reason}' and never sends the
%% caller an exit signal.
-spec start_link(pid(), [option()] | map()) -> {ok, pid()} | {error, term()}.
start_link(Owner, Options) -> epcap_port:start(Owner, Options, true).

%% @doc Stop capturing: the port writes out what it holds (delivered to
%% the owner before this returns) and exits.
-spec stop(pid()) -> ok.
stop(Ref) -> epcap_port:stop(Ref).

%% @doc The port's command line for these options: `[Cmd | Argv]', with
%% the `exec' prefix if one is given. `{error, {badarg, Option}}' for an
%% unknown option or a bad value.
-spec getopts([option()] | map()) -> [string()] | {error, {badarg, term()}}.
getopts(Options) ->
    case epcap_opts:parse(Options) of
        {ok, Config} -> epcap_opts:command(Config, []);
        {error, _} = Error -> Error
    end.

%% @doc What the port reported when it started: `datalink', `snaplen',
%% `precision' (6 or 9 digits), `source' (`live' or `file'), `name',
%% protocol `version', and its `os_pid'.
-spec info(pid()) -> map().
info(Ref) -> epcap_port:info(Ref).

%% @doc A child specification for a supervisor: the child captures for
%% the process given as `{owner, Pid}' in `Options' (default: the
%% supervisor's caller is not a sensible owner, so it is required).
-spec child_spec([option() | {owner, pid()} | {id, term()}]) ->
    supervisor:child_spec().
child_spec(Options) ->
    Owner = proplists:get_value(owner, Options),
    Id = proplists:get_value(id, Options, epcap),
    Rest = [O || O <- Options, not is_tuple(O) orelse
        (element(1, O) =/= owner andalso element(1, O) =/= id)],
    #{
        id => Id,
        start => {?MODULE, start_link, [Owner, Rest]},
        restart => transient,
        shutdown => 5000,
        type => worker,
        modules => [?MODULE, epcap_port]
    }.
