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
%% With `{delivery, batch}' the owner gets one message per batch the
%% port writes instead, `{epcap_batch, Ref, Batch}', with up to a few
%% thousand packets in capture order; {@link batch_fold/3} walks it. One
%% message per packet costs the VM far more than the capture itself, so
%% this is the way to take millions of packets a second:
%%
%% ```
%% {ok, Ref} = epcap:start_link([{file, "big.pcap"}, {delivery, batch}]),
%% receive
%%     {epcap_batch, Ref, Batch} ->
%%         epcap:batch_fold(fun({packet, _, _, _, P}, N) -> N + 1 end, 0, Batch)
%% end.
%% '''
%%
%% `Time' is `{MegaSecs, Secs, MicroSecs}' by default, or an integer with
%% `{time_unit, microsecond | nanosecond}'. `Length' is the length on the
%% wire; `byte_size(Packet)' is what was captured (at most the snaplen,
%% and at most 262144 bytes: a file's larger packets, which D-Bus and USB
%% allow, arrive cut to that, with `Length' unchanged). `DataLinkType' is
%% libpcap's DLT (raw IP is 12 on Linux, although files store 101).
%% Reading a file with `{file, Path}' ends with the message
%% `{epcap, eof}', or, when the file is damaged (a truncated record, a
%% bad length, a block that runs past its end), with
%% `{epcap, {error, {capture, Message}}}' after every good packet before
%% the damage; either way the epcap process then exits normally, so a
%% linked caller is not hurt by a bad file. The last message comes after
%% every packet: an owner in `{active, once | N}' that has packets held
%% gets them (through `setopts/2') before it.
%%
%% `start'/`start_link' return `{ok, Pid}' only once the port is capturing
%% (handle active, filter applied), or `{error, Reason}' with a structured
%% reason: `{badarg, Option}', `{bad_filter, Msg}',
%% `{no_such_device, Name}', `{permission_denied, Msg}',
%% `{file, Path, Msg}', `{Code, Msg}' for other libpcap failures,
%% `{port_exit, Why}' or `timeout'.
-module(epcap).

-include("epcap_proto.hrl").

%% Exit reasons of a call to an epcap process that has ended (or whose
%% node has): the capture is over, not the caller's problem.
-define(GONE(R), (R =:= noproc orelse R =:= normal orelse R =:= shutdown
                  orelse (is_tuple(R) andalso (element(1, R) =:= nodedown
                                               orelse element(1, R) =:= shutdown)))).

-export([
    start/0, start/1, start/2,
    start_link/0, start_link/1, start_link/2,
    stop/1,
    send/2,
    send_batch/2,
    stats/1,
    interface_stats/1,
    set_filter/2,
    setopts/2,
    compile/1, compile/2,
    interfaces/0,
    datalinks/1, datalinks/2,
    getopts/1,
    info/1,
    interfaces/1,
    child_spec/1,
    batch_fold/3,
    batch_to_list/1,
    batch_count/1,
    open/1, recv/2, close/1
]).

-export_type([option/0, batch/0]).

-type option() :: epcap_opts:option().
-type batch() :: epcap_codec:batch().

%% @equiv start([])
-spec start() -> {ok, pid()} | {error, term()}.
start() -> start([]).

%% @doc Start capturing for the calling process, without a link.
-spec start([option()] | map()) -> {ok, pid()} | {error, term()}.
start(Options) -> start(self(), Options).

%% @doc Start capturing with packets sent to `Owner', without a link.
%% The port stops when `Owner' exits.
-spec start(pid(), [option()] | map()) -> {ok, pid()} | {error, term()}.
start(Owner, Options) -> start_on(Owner, Options, false).

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
start_link(Owner, Options) -> start_on(Owner, Options, true).

%% `{node, Node}': the port runs on Node (the epcap application's code
%% must be loaded there) and packets reach Owner through distribution.
%% With start_link the caller is linked to the remote epcap process, so
%% if Node goes down the caller gets the exit signal (reason
%% `noconnection'); a monitor on the returned pid says the same.
start_on(Owner, Options, Link) ->
    case node_option(Options) of
        {ok, Node} when Node =:= node() ->
            epcap_port:start(Owner, Options, Link);
        {ok, Node} ->
            case rpc:call(Node, epcap_port, start, [Owner, Options, false]) of
                {ok, Pid} = Ok ->
                    Link andalso link(Pid),
                    Ok;
                {badrpc, Why} ->
                    {error, {node, Node, Why}};
                {error, _} = Error ->
                    Error
            end;
        {error, Bad} ->
            {error, {badarg, Bad}}
    end.

node_option(Options) when is_list(Options) ->
    %% The last one wins, as with every option.
    case lists:keyfind(node, 1, lists:reverse(Options)) of
        false -> {ok, node()};
        {node, N} when is_atom(N) -> {ok, N};
        Bad -> {error, Bad}
    end;
node_option(Options) when is_map(Options) ->
    node_option(maps:to_list(Options));
node_option(_) ->
    {ok, node()}.

%% @doc Stop capturing: the port writes out what it holds (delivered to
%% the owner before this returns) and exits.
-spec stop(pid()) -> ok.
stop(Ref) ->
    try
        gen_server:call(Ref, stop, epcap_port:stop_timeout() + 1000)
    catch
        exit:{Reason, _} when ?GONE(Reason) -> ok
    end.

%% A request to the epcap process; `{error, closed}' if it is gone.
call(Pid, Request) ->
    try
        gen_server:call(Pid, Request, infinity)
    catch
        %% Whatever it ended with (a live capture's fatal error too), the
        %% capture is over: the caller's question has no answer.
        exit:{_Reason, {gen_server, call, _}} -> {error, closed}
    end.

%% @doc Inject a packet on the interface. The port must have been started
%% with `{inject, true}', otherwise `{error, inject_disabled}'. Returns
%% once the packet is on its way to the port; a failure to send it (too
%% large for the link, interface down, ...) is not fatal: the owner gets
%% `{epcap_error, Ref, {inject_failed, Message}}' and `stats/1' counts it.
-spec send(pid(), iodata()) -> ok | {error, inject_disabled | closed}.
send(Ref, Packet) ->
    call(Ref, {send, Packet}).

%% @doc Inject many packets with one pass through the port, like a send
%% queue. Returns when the port has sent them all: `ok', or
%% `{error, {inject_failed, #{sent, failed, reason}}}' if any failed.
%% Batches larger than a command frame are split transparently.
-spec send_batch(pid(), [iodata()]) ->
    ok | {error, inject_disabled | closed | {inject_failed, map()}}.
send_batch(Ref, Packets) when is_list(Packets) ->
    epcap_inject:batch(fun(Chunk) -> call(Ref, {send_batch, Chunk}) end,
                       Packets).

%% @doc Counters of the capture. From libpcap (live captures only):
%% `received', `dropped' (by the kernel: no room in the buffer, or no
%% credit because the owner was slow) and `ifdropped'. From the port:
%% `delivered' and `delivered_bytes' (packets sent towards the owner),
%% `injected', `inject_failed', `credit_stalls', `output_stalls',
%% `filter_changes'. From this process: `owner_delivered' (messages sent
%% to the owner) and `held' (waiting for the owner to become active).
-spec stats(pid() | epcap_direct:capture()) ->
    {ok, #{atom() => non_neg_integer()}} | {error, term()}.
stats(Ref) when is_pid(Ref) ->
    call(Ref, stats);
stats(Capture) ->
    epcap_direct:stats(Capture).

%% @doc Counters per interface, in index order: for a capture of
%% several interfaces (`{interface, [If1, If2, ...]}', indexes in the
%% order given) each one's own, which add up to {@link stats/1}'s
%% `received', `dropped', `ifdropped' and `delivered'; one entry for a
%% single interface, one per interface of a capture file. `name' is the
%% interface as the caller gave it (a binary stays a binary), or as the
%% port reported it (a binary) where the caller named none; `<<>>' for a
%% file's interface without `{interface_info, true}'. `counters' is
%% false where libpcap keeps none (a capture file's interfaces): then
%% `received', `dropped' and `ifdropped' are 0. Works for {@link open/1}
%% captures too. `{error, closed}' once the capture has ended.
-spec interface_stats(pid() | epcap_direct:capture()) ->
    {ok, [epcap_ifaces:stats()]} | {error, term()}.
interface_stats(Ref) when is_pid(Ref) ->
    call(Ref, ifstats);
interface_stats(Capture) ->
    epcap_direct:interface_stats(Capture).

%% @doc Start a capture that the calling process owns itself, with no
%% epcap process in between (like a socket in gen_tcp's passive mode):
%% the lowest latency. Take packets with {@link recv/2}, end it with
%% {@link close/1}; {@link stats/1} works too. Options as for
%% {@link start_link/1}. See {@link epcap_direct}.
-spec open([option()] | map()) -> {ok, epcap_direct:capture()} | {error, term()}.
open(Options) ->
    epcap_direct:open(Options).

%% @doc The packets the port has ready, oldest first, as
%% `{packet, DataLinkType, Time, Length, Packet}' terms (with
%% `{interface_info, true}', `{packet, DataLinkType, Time, Length,
%% Packet, IfIndex}'); waits up to `Timeout' ms for the first.
%% `{error, eof}' after the end of a file.
-spec recv(epcap_direct:capture(), timeout()) ->
    {ok, [epcap_codec:message() | epcap_codec:if_message()]}
    | {error, term()}.
recv(Capture, Timeout) ->
    epcap_direct:recv(Capture, Timeout).

%% @doc End a capture started with {@link open/1}.
-spec close(epcap_direct:capture()) -> ok.
close(Capture) ->
    epcap_direct:close(Capture).

%% @doc Replace the filter. On `ok' no packet that fails the new filter
%% is delivered afterwards (in active mode); on error the old filter stays.
-spec set_filter(pid(), iodata()) ->
    ok | {error, {bad_filter, string()} | {badarg, term()} | closed}.
set_filter(Ref, Filter) ->
    case unicode:characters_to_binary(Filter) of
        Bin when is_binary(Bin) -> call(Ref, {set_filter, Bin});
        _ -> {error, {badarg, {filter, Filter}}}
    end.

%% @doc Change the delivery mode, as `inet:setopts/2' does for sockets:
%% `{active, true}' delivers every packet; `false' holds them (capture
%% pauses when the hold is full, and the kernel counts the drops);
%% `once' and `N' deliver that many, then send `{epcap_passive, Ref}'
%% and hold the rest.
-spec setopts(pid(), [{active, boolean() | once | pos_integer()}]) ->
    ok | {error, term()}.
setopts(Ref, Options) ->
    call(Ref, {setopts, Options}).

%% @equiv compile(Filter, [])
-spec compile(iodata()) -> {ok, [string()]} | {error, term()}.
compile(Filter) ->
    compile(Filter, []).

%% @doc Compile a filter without capturing and without privileges, as
%% `tcpdump -d' does: `{ok, Program}' with one BPF instruction a string,
%% or `{error, {bad_filter, Msg}}'. Options: `{datalink, Type}' (number or
%% name such as "EN10MB", the default, or "LINUX_SLL"), `{snaplen, N}',
%% `{progname, Path}'.
-spec compile(iodata(), [{datalink, non_neg_integer() | string()}
                         | {snaplen, pos_integer()} | {progname, string()}]) ->
    {ok, [string()]} | {error, term()}.
compile(Filter, Options) ->
    epcap_query:compile(Filter, Options).

%% @doc The interfaces libpcap can capture on, without privileges:
%% `{ok, [#{name, description, flags, addresses}]}'. `flags' is a list of
%% `up', `running', `loopback', `wireless', `connected', `disconnected'
%% (a flag from a newer port program that this module does not know is
%% left a string); each address is `#{family => inet | inet6, addr, netmask, broadcast}'
%% with `inet' tuples (`undefined' where there is none).
-spec interfaces() -> {ok, [map()]} | {error, term()}.
interfaces() ->
    epcap_query:interfaces().

%% @equiv datalinks(Interface, [])
-spec datalinks(string() | binary()) -> {ok, [{non_neg_integer(), string(), string()}]} | {error, term()}.
datalinks(Interface) ->
    datalinks(Interface, []).

%% @doc The link types `Interface' offers, as `{Number, Name, Description}'
%% (the first is the default; the name or the description is empty when
%% libpcap has none). Opening the interface needs the right to capture;
%% `Options' may give `{exec, Prefix}' and `{progname, Path}', and the
%% errors are those of a start.
%% Choose one for a capture with `{datalink, Name | Number}'.
-spec datalinks(string() | binary(), [epcap_opts:option()]) ->
    {ok, [{non_neg_integer(), string(), string()}]} | {error, term()}.
datalinks(Interface, Options) ->
    epcap_query:datalinks(Interface, Options).

%% @doc The port's command line for these options: `[Cmd | Argv]', with
%% the `exec' prefix if one is given. `{error, {badarg, Option}}' for a
%% bad value; an unknown option is left out. A question, not a start:
%% nothing is logged (a start logs what it leaves out).
-spec getopts([option()] | map()) -> [string()] | {error, {badarg, term()}}.
getopts(Options) ->
    case epcap_opts:parse(Options) of
        {ok, Config} ->
            epcap_opts:command(Config, []);
        {error, _} = Error ->
            Error
    end.

%% @doc What the port reported when it started, as `{ok, Map}' (like
%% {@link stats/1}): `datalink', `snaplen', `precision' (6 or 9 digits),
%% `source' (`live' or `file'), `name' (of several interfaces, the
%% first's: {@link interface_stats/1} names each), protocol `version',
%% and `os_pid',
%% the port program's own pid (not sudo's, when it runs through sudo).
%% How it was started and what it kept (doc/SECURITY.md): `start'
%% (`root', `sudo', `setuid', `file_capabilities' or `unprivileged'), the
%% `uid' and `gid' it runs as now that every capability is gone, `chroot'
%% (in an empty root or not) and `inject' (whether INJECT is allowed).
%% `{error, closed}' once the capture has ended (a short file may be read
%% before this is asked).
-spec info(pid()) -> {ok, map()} | {error, closed}.
info(Ref) -> call(Ref, info).

%% @doc The interfaces the capture's packets come from, as the port has
%% described them so far, in index order; only with `{interface_info,
%% true}' (otherwise `{ok, []}'). Live interfaces named in the options
%% are all known once the start has returned; a pcapng file reveals its
%% interfaces as it goes: every packet's interface is known by the time
%% the packet arrives. Each packet is then `{packet, DLT, Time, Len,
%% Packet, IfIndex}'.
-spec interfaces(pid()) -> {ok, [epcap_codec:interface()]} | {error, closed}.
interfaces(Ref) -> call(Ref, interfaces).

%% @doc A child specification for a supervisor: the child captures for
%% the process given as `{owner, Pid}' in `Options'. The owner is
%% required (the supervisor, which would start the child, is no sensible
%% owner): without it, or with one that is not a pid, the call raises
%% `error:{badarg, {owner, Value}}' at once, not when the supervisor
%% starts the child. `{id, Id}' names the child (default `epcap').
-spec child_spec([option() | {owner, pid()} | {id, term()}]) ->
    supervisor:child_spec().
child_spec(Options) when is_list(Options) ->
    Owner = case proplists:get_value(owner, Options) of
        Pid when is_pid(Pid) -> Pid;
        Other -> erlang:error({badarg, {owner, Other}}, [Options])
    end,
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
    };
child_spec(Options) ->
    erlang:error({badarg, Options}, [Options]).

%% @doc Fold over the packets of a `{epcap_batch, Ref, Batch}' message in
%% capture order. `Fun' gets each packet as the classic message
%% `{packet, DataLinkType, Time, Length, Packet}' (with
%% `{interface_info, true}', the 6-tuple ending in `IfIndex', as that
%% message), so code written for `{delivery, packet}' works unchanged on
%% it. Each `Packet' is a
%% sub-binary of the batch: keep one for long with `binary:copy/1', or
%% the whole batch stays in memory.
-spec batch_fold(fun((epcap_codec:message(), Acc) -> Acc), Acc, batch()) -> Acc.
batch_fold(Fun, Acc, Batch) -> epcap_codec:batch_fold(Fun, Acc, Batch).

%% @doc The packets of a batch as a list of classic messages.
-spec batch_to_list(batch()) -> [epcap_codec:message()].
batch_to_list(Batch) -> epcap_codec:batch_to_list(Batch).

%% @doc How many packets a batch holds.
-spec batch_count(batch()) -> non_neg_integer().
batch_count(Batch) -> epcap_codec:batch_count(Batch).
