%% @doc Pure validation of epcap options and their translation into the
%% port's command line.
%%
%% Every classic epcap option is accepted with the classic's meaning, so
%% classic callers run unchanged:
%%
%% <ul>
%% <li>an unknown option is ignored, with one warning (a wrapper may pass
%%   its own options through, as the classic sniff example does with
%%   `{format, [hex]}');</li>
%% <li>numbers may be given as strings (`{snaplen, "64"}');</li>
%% <li>when an option is repeated the last one wins (`env' adds up);</li>
%% <li>`{timeout, -1}' (the classic's "no timeout") is the adaptive
%%   default, with a warning: with no timeout the kernel would hold packets
%%   until its block fills, and `stop/1' would lose them;</li>
%% <li>a `{buffer, N}' below the minimum is raised to it, with a warning;</li>
%% <li>`{chroot, Dir}', `{user, U}' and `{group, G}' reach the port only
%%   when the Erlang VM runs as root (the port refuses them from anyone
%%   else); otherwise each is ignored with a warning.</li>
%% </ul>
%%
%% A bad value of a known option is `{error, {badarg, Option}}' (each
%% value is checked by {@link epcap_opt_value}; this module checks what
%% they mean together and builds the configuration).
%% Strings may be charlists or binaries (Elixir).
%%
%% Defaults come from the application environment: any option set there
%% (`progname', `exec', `start_timeout', ... in sys.config or Elixir's
%% config/runtime.exs) applies to every start, and the caller's options
%% override it. {@link parse/2} is pure: what {@link parse/1} reads from
%% the VM (that environment, whether it runs as root) is its argument,
%% and the warnings come back in the configuration (`warnings') for the
%% caller to log.
-module(epcap_opts).

-include("epcap_proto.hrl").

-export([parse/1, parse/2, context/0, argv/1, command/2, default_progname/0,
         progname/1,
         initial_credit/1, flow/1, log_warnings/1]).

-export_type([config/0, option/0, context/0, fanout/0]).

-type text() :: string() | binary().
%% A number may also be given as a string of digits (classic).
-type num(T) :: T | text().
-type option() ::
    {interface, text() | [text(), ...]}
    | {file, text()}
    | {filter, text()}
    | {snaplen, num(1..262144)}
    | {promiscuous, boolean()}
    | {monitor, boolean()}
    | {timeout, num(-1 | non_neg_integer()) | adaptive | immediate | infinity}
    | {buffer, num(0..2147483647)}
    | {direction, in | out | inout}
    | {time_unit, timestamp | microsecond | nanosecond}
    | {user, text()}
    | {group, text()}
    | {chroot, text()}
    | {env, text()}
    | {verbose, boolean() | num(0..5)}
    | {inject, boolean()}
    | {cluster_id, num(0..255)}
    | {fanout, fanout()}
    | {cpu_affinity, text()}
    | {progname, text()}
    | {exec, text()}
    | {start_timeout, num(pos_integer())}
    | {active, boolean() | once | pos_integer()}
    | {delivery, packet | batch}
    | {max_queue, num(pos_integer())}
    | {max_queue_bytes, num(pos_integer())}
    | {stats_interval, num(pos_integer())}
    | {node, node()}
    | {datalink, non_neg_integer() | text()}
    | {tstamp_type, text()}
    | {dump, text()}
    | {dump_format, pcap | pcapng}
    | {dump_size, num(pos_integer())}
    | {dump_seconds, num(pos_integer())}
    | {dump_files, num(pos_integer())}
    | {dump_only, boolean()}
    | {interface_info, boolean()}
    | {capture_comment, text()}
    | promiscuous | monitor | inject | verbose
    %% Anything else is ignored, with a warning (classic callers pass
    %% their own options through).
    | {atom(), term()} | atom().

%% A Linux packet fan-out group (c_src/fanout.c): every capture of the
%% interface in the group gets a share of its packets, each packet once.
-type fanout() :: #{group := 0..65535,
                    mode := hash | lb | cpu | rollover | random | qm,
                    rollover => boolean(),
                    defrag => boolean()}.

-type config() :: #{
    argv := [string()],
    progname := string(),
    exec := [string()] | default,
    time_unit := epcap_codec:time_unit(),
    source := {interface, string() | [string(), ...] | default}
              | {file, string()},
    start_timeout := pos_integer(),
    inject := boolean(),
    active := boolean() | once | pos_integer(),
    delivery := packet | batch,
    max_queue := pos_integer(),
    max_queue_bytes := pos_integer(),
    stats_interval := pos_integer() | undefined,
    snaplen := pos_integer(),
    dump := string() | undefined,
    monitor := boolean(),
    interface_info := boolean(),
    chroot := string() | undefined,
    warnings := [string()],
    %% The caller's own options, as given (epcap_port parses them again
    %% without monitor mode where a link has none).
    options := [term()],
    %% The exec prefix chosen for a start (epcap_port).
    prefix => [string()]
}.

%% What parse/2 needs to know about the VM: defaults from the application
%% environment, and whether the VM runs as root.
-type context() :: #{defaults := [option()], root := boolean()}.

-define(START_TIMEOUT, 15000).
%% The port takes at most this many -e options (options.c).
-define(ENV_MAX, 16).
%% Bounds on what the owner's mailbox may hold before capture pauses:
%% about 50 MB of small packets or 48 MiB of large ones. Smaller queues
%% leave the owner idle between credit grants and cost throughput.
-define(MAX_QUEUE, 200000).
-define(MAX_QUEUE_BYTES, 48 * 1024 * 1024).

%% Option names, for telling an unknown option from a bad value.
-define(KNOWN, [interface, file, filter, snaplen, promiscuous, monitor,
                timeout, buffer, direction, time_unit, user, group, chroot,
                env, verbose, inject, cluster_id, fanout, cpu_affinity,
                progname,
                exec, start_timeout, active, delivery, max_queue,
                max_queue_bytes, stats_interval, node, datalink, tstamp_type,
                dump, dump_format, dump_size, dump_seconds, dump_files,
                dump_only, interface_info, capture_comment]).

%% @doc Validate options with the defaults of the application environment
%% and the VM's identity (see {@link context/0}).
-spec parse([option()] | map()) -> {ok, config()} | {error, {badarg, term()}}.
parse(Options) ->
    parse(Options, context()).

%% @doc Validate options. When an option is repeated the last one wins, as
%% in the classic epcap, except `env', which adds up.
-spec parse([option()] | map(), context()) ->
    {ok, config()} | {error, {badarg, term()}}.
parse(Options, Context) when is_map(Options) ->
    parse(maps:to_list(Options), Context);
parse(Options, #{defaults := Defaults, root := Root}) when is_list(Options) ->
    try
        {Known, Unknown} = lists:partition(fun known/1, Defaults ++ Options),
        Normal = [epcap_opt_value:check(O) || O <- Known],
        {Opts, Warnings} = epcap_classic:privileged(dedup(Normal), Root),
        Config = build(Opts),
        Min = epcap_opt_value:buffer_min(),
        {ok, Config#{warnings := epcap_classic:warnings(Unknown, Normal, Min)
                                 ++ Warnings,
                     options := Options}}
    catch
        throw:{badarg, _} = Bad -> {error, Bad}
    end;
parse(Options, _) ->
    {error, {badarg, Options}}.

%% @doc What {@link parse/1} reads from the VM: every known option set in
%% the application environment of `epcap' (loaded if it is not), and
%% whether this VM runs as root.
-spec context() -> context().
context() ->
    _ = application:load(epcap),
    Env = application:get_all_env(epcap),
    #{defaults => [{K, V} || {K, V} <- Env, lists:member(K, ?KNOWN)],
      root => epcap_classic:vm_is_root()}.

%% @doc Log the warnings of a parsed configuration with `logger', one
%% event each.
-spec log_warnings(config()) -> ok.
log_warnings(#{warnings := Warnings}) ->
    [logger:warning("epcap: ~ts", [W]) || W <- Warnings],
    ok.

known(Atom) when is_atom(Atom) ->
    lists:member(Atom, [promiscuous, monitor, inject, verbose]);
known({Key, _}) when is_atom(Key) ->
    lists:member(Key, ?KNOWN);
known(_) ->
    false.

%% @doc The port's arguments for a validated configuration.
-spec argv(config()) -> [string()].
argv(#{argv := Argv}) -> Argv.

%% @doc The full command: `[Executable | Args]', with the exec prefix
%% (`Prefix' is used when the configuration says `default').
-spec command(config(), [string()]) -> [string()].
command(#{exec := Exec, progname := Prog, argv := Argv}, Default) ->
    Prefix =
        case Exec of
            default -> Default;
            _ -> Exec
        end,
    case Prefix of
        [] -> [Prog | Argv];
        [Cmd | Args] -> [find_executable(Cmd) | Args ++ [Prog | Argv]]
    end.

find_executable(Cmd) ->
    case filename:pathtype(Cmd) of
        relative ->
            case os:find_executable(Cmd) of
                false -> Cmd;
                Path -> Path
            end;
        _ ->
            Cmd
    end.

%% @doc The port program for these options: the last `progname' in them,
%% else the application environment's, else {@link default_progname/0}.
-spec progname([option()]) -> string().
progname(Options) ->
    case lists:keyfind(progname, 1, lists:reverse(Options)) of
        {progname, P} -> unicode:characters_to_list(P);
        false ->
            _ = application:load(epcap),
            case application:get_env(epcap, progname) of
                {ok, P} -> unicode:characters_to_list(P);
                undefined -> default_progname()
            end
    end.

%% @doc Where the port program lives when `progname' is not given.
-spec default_progname() -> string().
default_progname() ->
    Priv =
        case code:priv_dir(epcap) of
            {error, bad_name} ->
                filename:join(
                    filename:dirname(filename:dirname(code:which(?MODULE))),
                    "priv"
                );
            Dir ->
                Dir
        end,
    filename:join(Priv, "epcap").

%% The last occurrence of each option, in the order of the last ones;
%% every env.
dedup(Opts) ->
    dedup(lists:reverse(Opts), #{}, []).

dedup([], _, Acc) ->
    Acc;
dedup([{env, _} = O | T], Seen, Acc) ->
    dedup(T, Seen, [O | Acc]);
dedup([{K, _} = O | T], Seen, Acc) ->
    case maps:is_key(K, Seen) of
        true -> dedup(T, Seen, Acc);
        false -> dedup(T, Seen#{K => true}, [epcap_opt_value:final(O) | Acc])
    end.

%% What the port would refuse, refused here with the option's name.
consistent(Opts) ->
    Get = fun(K) -> proplists:get_value(K, Opts) end,
    case Get(file) of
        "-" -> throw({badarg, {file, "-"}});
        _ -> ok
    end,
    Envs = [E || {env, _} = E <- Opts],
    length(Envs) > ?ENV_MAX andalso throw({badarg, lists:nth(?ENV_MAX + 1, Envs)}),
    %% Only those that reach the port's command line need {dump, _}.
    Dump = [O || {K, V} = O <- Opts,
                 lists:member(K, [dump_size, dump_seconds, dump_files])
                 orelse O =:= {dump_format, pcapng} orelse O =:= {dump_only, true},
                 V =/= undefined],
    Dump =/= [] andalso Get(dump) =:= undefined andalso throw({badarg, hd(Dump)}),
    %% The comment is the pcapng section's: pcap files have none.
    Get(capture_comment) =/= undefined andalso Get(dump_format) =/= pcapng
        andalso throw({badarg, {capture_comment, Get(capture_comment)}}),
    Get(dump_files) =/= undefined andalso Get(dump_size) =:= undefined andalso
        Get(dump_seconds) =:= undefined andalso
        throw({badarg, {dump_files, Get(dump_files)}}),
    ok.

build(Opts) ->
    consistent(Opts),
    Get = fun(K, D) -> proplists:get_value(K, Opts, D) end,
    File = Get(file, undefined),
    Iface = Get(interface, undefined),
    File =/= undefined andalso Iface =/= undefined andalso
        throw({badarg, {file, File}}),
    File =/= undefined andalso proplists:is_defined(direction, Opts) andalso
        throw({badarg, {direction, Get(direction, inout)}}),
    (File =/= undefined orelse several(Iface)) andalso
        proplists:is_defined(fanout, Opts) andalso
        throw({badarg, {fanout, Get(fanout, undefined)}}),
    Source =
        case File of
            undefined -> {interface, default_if_undefined(Iface)};
            _ -> {file, File}
        end,
    Config = #{
        argv => epcap_argv:args(Opts),
        progname => Get(progname, default_progname()),
        exec => Get(exec, default),
        time_unit => Get(time_unit, timestamp),
        source => Source,
        start_timeout => Get(start_timeout, ?START_TIMEOUT),
        inject => Get(inject, false),
        active => Get(active, true),
        delivery => Get(delivery, packet),
        max_queue => Get(max_queue, ?MAX_QUEUE),
        max_queue_bytes => Get(max_queue_bytes, ?MAX_QUEUE_BYTES),
        stats_interval => Get(stats_interval, undefined),
        snaplen => Get(snaplen, ?EPCAP_SNAPLEN_DEFAULT),
        dump => Get(dump, undefined),
        monitor => Get(monitor, false),
        interface_info => Get(interface_info, false),
        chroot => Get(chroot, undefined),
        warnings => [],
        options => []
    },
    %% Flow control is on whenever packets come to the owner: the port
    %% reads only what it has credit for (see epcap_port). A port that only
    %% writes files reads as fast as the disk takes them.
    Credit = case Get(dump_only, false) of
        true -> [];
        false -> ["--credit", integer_to_list(initial_credit(Config))]
    end,
    Config#{argv := Credit ++ maps:get(argv, Config)}.

%% @doc The first credit, before any packet size is known: sized for
%% large packets so an owner that never reads cannot be flooded; later
%% grants follow the sizes actually seen.
-spec initial_credit(config()) -> pos_integer().
initial_credit(#{max_queue := Max, max_queue_bytes := Bytes, snaplen := Snap}) ->
    min(?EPCAP_CREDIT_MAX, min(Max, max(256, Bytes div min(Snap, 65536)))).

%% Several live interfaces: a fan-out group is one interface's.
several([[_ | _], _ | _]) -> true;
several(_) -> false.

%% @doc The flow control a capture starts with: its active mode,
%% delivery, first credit and queue bounds (epcap_flow).
-spec flow(config()) -> epcap_flow:flow().
flow(#{active := Active, delivery := Delivery, max_queue := Max,
       max_queue_bytes := Bytes} = Config) ->
    epcap_flow:new(Active, Delivery, initial_credit(Config), Max, Bytes).

default_if_undefined(undefined) -> default;
default_if_undefined(Name) -> Name.
