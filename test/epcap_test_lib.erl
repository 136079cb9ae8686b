%% @doc Helpers shared by the live, error and lifecycle suites.
%%
%% Root: `require_root/1' skips a suite that needs root, except under CI
%% (`CI=true'), where a missing privilege is a failure: a CI run that
%% silently skips every live test proves nothing.
%%
%% Network fixtures: `netns_setup/0' creates a network namespace with a
%% random name and a veth pair between it and the root namespace, with
%% static neighbour entries on both sides, so no ARP traffic ever races a
%% test. `netns_teardown/1' removes everything it made and is meant for
%% end_per_testcase/end_per_suite, so nothing is left even when a case
%% fails or times out. Traffic only ever goes to loopback or to the
%% addresses of these namespaces.
%%
%% Capture files: `file_capture/1' runs epcap over a file to its end and
%% `tcpdump_read/3' reads the same file through tcpdump, for the suites
%% that compare the two packet by packet.
%%
%% Processes: `port_os_pids/0' lists the priv/epcap processes started by
%% this VM (descendants of its OS pid, so a concurrent test run of another
%% engineer is never counted), `wait_gone/2' polls /proc for one of them.
-module(epcap_test_lib).

-include_lib("common_test/include/ct.hrl").

-export([
    is_root/0,
    require_root/1,
    run/2, run/3,
    run_ok/2,
    netns_setup/0,
    netns_add_veth/2,
    addr/2,
    netns_teardown/1,
    ns_run/2,
    ns_run_ok/2,
    ns_exec/1,
    ns_udp_send/4,
    ns_has_ipv4/2,
    port_os_pids/0,
    os_alive/1,
    wait_gone/2,
    wait_no_ports/1,
    stop_linked_epcaps/0,
    collect/2,
    flush_packets/0,
    settled_stats/1,
    file_capture/1,
    file_packets/0,
    drain_messages/0,
    tcpdump_read/3,
    udp/1,
    ts_us/1,
    random_port/0,
    udp_socket/1,
    parse_ip/1,
    pcap_global_header/0,
    kill/2
]).

%%--------------------------------------------------------------------
%% Root

%% @doc Whether this VM runs as root (`id -u').
is_root() ->
    string:trim(os:cmd("id -u")) =:= "0".

%% @doc Config when root; a skip otherwise, or a failure under CI.
require_root(Config) ->
    case is_root() of
        true ->
            Config;
        false ->
            case os:getenv("CI") of
                "true" ->
                    ct:fail("CI=true but not running as root: the live "
                            "epcap tests cannot be skipped under CI");
                _ ->
                    {skip, "needs root (live capture and network "
                           "namespaces)"}
            end
    end.

%%--------------------------------------------------------------------
%% Commands, without a shell

%% @doc Run an executable (found on PATH) with arguments; returns
%% `{ExitStatus, Output}' (stdout and stderr). Bounded: 10 s.
run(Cmd, Args) ->
    run(Cmd, Args, 10000).

run(Cmd, Args, Timeout) ->
    Exe =
        case os:find_executable(Cmd) of
            false -> ct:fail({not_found, Cmd});
            Path -> Path
        end,
    Port = open_port({spawn_executable, Exe},
        [{args, Args}, exit_status, stderr_to_stdout, binary, hide]),
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    run_loop(Port, Deadline, [], {Cmd, Args}).

run_loop(Port, Deadline, Acc, What) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, D}} ->
            run_loop(Port, Deadline, [D | Acc], What);
        {Port, {exit_status, S}} ->
            {S, binary_to_list(iolist_to_binary(lists:reverse(Acc)))}
    after Left ->
        catch port_close(Port),
        ct:fail({command_timeout, What})
    end.

%% @doc Run and fail the case unless the command exits 0; returns output.
run_ok(Cmd, Args) ->
    case run(Cmd, Args) of
        {0, Out} -> Out;
        {S, Out} -> ct:fail({command_failed, [Cmd | Args], S, Out})
    end.

%%--------------------------------------------------------------------
%% Network namespace fixtures

%% @doc A fresh namespace `epcap-<6 hex>' with lo up and one veth pair:
%% root side 10.231.X.1/30, namespace side 10.231.X.2/30, both up, with
%% permanent neighbour entries on both sides. Returns a map with `ns',
%% `root_if', `ns_if', `root_addr', `ns_addr', `root_mac', `ns_mac', `x',
%% `suffix' and `links' (root-side veth ends to delete).
netns_setup() ->
    Suffix = lists:flatten(io_lib:format("~6.16.0b",
        [rand:uniform(16#1000000) - 1])),
    Ns = "epcap-" ++ Suffix,
    X = free_subnet(20),
    run_ok("ip", ["netns", "add", Ns]),
    Net0 = #{ns => Ns, suffix => Suffix, x => X, links => []},
    try
        run_ok("ip", ["netns", "exec", Ns, "ip", "link", "set", "lo", "up"]),
        netns_add_veth(Net0, #{index => 0,
            root_addr => addr(X, 1), ns_addr => addr(X, 2)})
    catch
        C:E:St ->
            netns_teardown(Net0),
            erlang:raise(C, E, St)
    end.

%% @doc Add a veth pair to the fixture's namespace. Options: `index'
%% (0..9, part of the names), `root_addr' and `ns_addr' (a dotted quad, or
%% `undefined' for no IPv4 address at all) and `ns_target' (the address
%% the root side resolves to the namespace end's MAC; default `ns_addr',
%% so frames can be sent to an end that has no address). Neighbour
%% entries are permanent: no ARP is ever needed. Returns the fixture with
%% `root_if', `ns_if', `root_mac', `ns_mac', `root_addr', `ns_addr',
%% `ns_target' of this pair and its root end added to `links'.
netns_add_veth(#{ns := Ns, suffix := Suffix, links := Links} = Net, Opts) ->
    I = integer_to_list(maps:get(index, Opts, 0)),
    R = "ep" ++ Suffix ++ "r" ++ I,
    N = "ep" ++ Suffix ++ "n" ++ I,
    RA = maps:get(root_addr, Opts, undefined),
    NA = maps:get(ns_addr, Opts, undefined),
    Target = maps:get(ns_target, Opts, NA),
    run_ok("ip", ["link", "add", R, "type", "veth", "peer", "name", N,
                  "netns", Ns]),
    Net1 = Net#{links => [R | Links]},
    %% No IPv6 on the test links: no router solicitations or MLD reports
    %% wander into a capture. (Absent when IPv6 is off: then nothing to do.)
    _ = run("sysctl", ["-qw", "net.ipv6.conf." ++ R ++ ".disable_ipv6=1"]),
    _ = ns_run(Net1, ["sysctl", "-qw",
                      "net.ipv6.conf." ++ N ++ ".disable_ipv6=1"]),
    RA =/= undefined andalso
        run_ok("ip", ["addr", "add", RA ++ "/30", "dev", R]),
    NA =/= undefined andalso
        ns_run_ok(Net1, ["ip", "addr", "add", NA ++ "/30", "dev", N]),
    run_ok("ip", ["link", "set", R, "up"]),
    ns_run_ok(Net1, ["ip", "link", "set", N, "up"]),
    RM = string:trim(run_ok("cat", ["/sys/class/net/" ++ R ++ "/address"])),
    NM = string:trim(ns_run_ok(Net1, ["cat",
                                      "/sys/class/net/" ++ N ++ "/address"])),
    RA =/= undefined andalso NA =/= undefined andalso
        ns_run_ok(Net1, ["ip", "neigh", "replace", RA, "lladdr", RM,
                         "dev", N, "nud", "permanent"]),
    RA =/= undefined andalso Target =/= undefined andalso
        run_ok("ip", ["neigh", "replace", Target, "lladdr", NM, "dev", R,
                      "nud", "permanent"]),
    Net1#{root_if => R, ns_if => N, root_mac => RM, ns_mac => NM,
          root_addr => RA, ns_addr => NA, ns_target => Target}.

%% @doc Remove the veth pairs (deleting one end deletes both, at once,
%% whereas a namespace's links go away asynchronously), end any process
%% still running in the namespace (only ours can be there), then delete
%% the namespace. Never fails: it runs after failures. It works in a
%% process of its own, so that a capture crashing when its interface
%% vanishes cannot kill the caller (a linked test case) half-way through.
netns_teardown(#{ns := _} = Net) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit(teardown(Net)) end),
    receive
        {'DOWN', Ref, process, Pid, ok} ->
            ok;
        {'DOWN', Ref, process, Pid, Why} ->
            ct:pal("netns teardown of ~s: ~p", [maps:get(ns, Net), Why]),
            {error, Why}
    after 30000 ->
        exit(Pid, kill),
        ct:pal("netns teardown of ~s timed out", [maps:get(ns, Net)]),
        {error, timeout}
    end;
netns_teardown(_) ->
    ok.

teardown(#{ns := Ns} = Net) ->
    [catch run("ip", ["link", "del", L]) || L <- maps:get(links, Net, [])],
    Pids =
        case catch run("ip", ["netns", "pids", Ns]) of
            {0, Out} -> string:lexemes(Out, "\n ");
            _ -> []
        end,
    [catch kill("KILL", list_to_integer(P)) || P <- Pids],
    case catch run("ip", ["netns", "del", Ns]) of
        {0, _} -> ok;
        Other -> {netns_del_failed, Ns, Other}
    end.

free_subnet(0) ->
    ct:fail(no_free_test_subnet);
free_subnet(Tries) ->
    X = rand:uniform(256) - 1,
    Prefix = "10.231." ++ integer_to_list(X) ++ ".0/24",
    case run("ip", ["-o", "-4", "addr", "show", "to", Prefix]) of
        {0, ""} -> X;
        _ -> free_subnet(Tries - 1)
    end.

%% @doc 10.231.X.H
addr(X, H) ->
    "10.231." ++ integer_to_list(X) ++ "." ++ integer_to_list(H).

%% @doc Run a command inside the fixture's namespace.
ns_run(#{ns := Ns}, Args) ->
    run("ip", ["netns", "exec", Ns | Args]).

ns_run_ok(#{ns := Ns}, Args) ->
    run_ok("ip", ["netns", "exec", Ns | Args]).

%% @doc The `exec' option value that starts the port in the namespace.
ns_exec(#{ns := Ns}) ->
    "ip netns exec " ++ Ns.

%% @doc Send one UDP datagram from inside the namespace (bash /dev/udp).
%% `Payload' is printable text; it is passed as an argument, not spliced
%% into the script.
ns_udp_send(Net, Addr, Port, Payload) ->
    ns_run_ok(Net, ["bash", "-c", "printf %s \"$1\" > /dev/udp/$2/$3",
                    "bash", Payload, Addr, integer_to_list(Port)]).

%% @doc Whether an interface in the namespace has any IPv4 address.
ns_has_ipv4(Net, If) ->
    string:trim(ns_run_ok(Net, ["ip", "-o", "-4", "addr", "show", "dev", If]))
        =/= "".

%%--------------------------------------------------------------------
%% Port processes

%% @doc OS pids of running priv/epcap processes started by this VM: their
%% command line names the port program and they descend from this VM.
port_os_pids() ->
    Prog = list_to_binary(epcap_opts:default_progname()),
    Me = list_to_integer(os:getpid()),
    {ok, Entries} = file:list_dir("/proc"),
    Pids = [list_to_integer(E) || E <- Entries, is_digits(E)],
    lists:sort([P || P <- Pids, P =/= Me, cmdline_has(P, Prog),
                     descends_from(P, Me, 32)]).

is_digits(S) ->
    S =/= [] andalso lists:all(fun(C) -> C >= $0 andalso C =< $9 end, S).

cmdline_has(Pid, Prog) ->
    case file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/cmdline") of
        {ok, Bin} -> binary:match(Bin, Prog) =/= nomatch;
        _ -> false
    end.

descends_from(_, _, 0) ->
    false;
descends_from(Pid, Ancestor, Depth) ->
    case ppid(Pid) of
        Ancestor -> true;
        P when is_integer(P), P > 1 -> descends_from(P, Ancestor, Depth - 1);
        _ -> false
    end.

ppid(Pid) ->
    case file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/stat") of
        {ok, Bin} ->
            %% "pid (comm) state ppid ...": comm may hold spaces or ')'.
            {Pos, 1} = lists:last(binary:matches(Bin, <<")">>)),
            Rest = binary:part(Bin, Pos + 2, byte_size(Bin) - Pos - 2),
            [_State, PPid | _] = binary:split(Rest, <<" ">>, [global]),
            binary_to_integer(PPid);
        _ ->
            undefined
    end.

%% @doc Whether an OS process exists (a zombie still counts: it is not
%% gone until it has been reaped).
os_alive(OsPid) ->
    filelib:is_dir("/proc/" ++ integer_to_list(OsPid)).

%% @doc Poll /proc until `OsPid' is gone: `ok', or `timeout' after `Ms'.
wait_gone(OsPid, Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    wait_gone_loop(OsPid, Deadline).

wait_gone_loop(OsPid, Deadline) ->
    case os_alive(OsPid) of
        false ->
            ok;
        true ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true ->
                    timeout;
                false ->
                    receive after 1 -> ok end,
                    wait_gone_loop(OsPid, Deadline)
            end
    end.

%% @doc Wait until this VM has no port process left: `ok' or
%% `{timeout, Pids}'.
wait_no_ports(Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    wait_no_ports_loop(Deadline).

wait_no_ports_loop(Deadline) ->
    case port_os_pids() of
        [] ->
            ok;
        Pids ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true ->
                    {timeout, Pids};
                false ->
                    receive after 5 -> ok end,
                    wait_no_ports_loop(Deadline)
            end
    end.

%% @doc Stop the epcap servers linked to the calling process (those a
%% failed case left running), before its fixtures are torn down: a
%% capture whose interface vanishes would otherwise crash into the
%% caller. Returns how many were stopped.
stop_linked_epcaps() ->
    {links, Links} = process_info(self(), links),
    Epcaps = [P || P <- Links, is_pid(P), node(P) =:= node(), is_epcap(P)],
    [begin unlink(P), catch epcap:stop(P) end || P <- Epcaps],
    length(Epcaps).

is_epcap(Pid) ->
    case process_info(Pid, dictionary) of
        {dictionary, D} ->
            proplists:get_value('$initial_call', D) =:=
                {epcap_port, init_it, 4};
        undefined ->
            false
    end.

%% @doc Send a signal to an OS process we started.
kill(Sig, OsPid) when is_integer(OsPid) ->
    run_ok("kill", ["-s", Sig, integer_to_list(OsPid)]).

%%--------------------------------------------------------------------
%% Packets

%% @doc Receive up to `N' packet messages within `Timeout' ms in all;
%% returns them in arrival order (fewer than `N' on timeout).
collect(N, Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    collect(N, Deadline, []).

collect(0, _, Acc) ->
    lists:reverse(Acc);
collect(N, Deadline, Acc) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {packet, _, _, _, _} = P -> collect(N - 1, Deadline, [P | Acc])
    after Left ->
        lists:reverse(Acc)
    end.

%% @doc Drop every packet message already in the mailbox; their number.
flush_packets() ->
    flush_packets(0).

flush_packets(N) ->
    receive
        {packet, _, _, _, _} -> flush_packets(N + 1)
    after 0 ->
        N
    end.

%% @doc Parse an Ethernet + IPv4 + UDP frame (possibly truncated):
%% `#{src, dst, sport, dport, ip_len, udp_len, payload}' where payload is
%% whatever part of the datagram was captured, or `not_udp'.
udp(<<_Dst:6/binary, _Src:6/binary, 16#0800:16, 4:4, IHL:4, _Tos:8,
      IpLen:16, _Id:16, _Frag:16, _Ttl:8, 17:8, _Sum:16,
      S1, S2, S3, S4, D1, D2, D3, D4, Rest0/binary>>) when IHL >= 5 ->
    OptLen = (IHL - 5) * 4,
    case Rest0 of
        <<_:OptLen/binary, SPort:16, DPort:16, UdpLen:16, _:16,
          Payload/binary>> ->
            Want = max(0, UdpLen - 8),
            #{src => {S1, S2, S3, S4}, dst => {D1, D2, D3, D4},
              sport => SPort, dport => DPort, ip_len => IpLen,
              udp_len => UdpLen,
              payload => binary:part(Payload, 0, min(Want,
                                                     byte_size(Payload)))};
        _ ->
            not_udp
    end;
udp(_) ->
    not_udp.

%% @doc A packet time as integer microseconds.
ts_us({M, S, U}) -> (M * 1000000 + S) * 1000000 + U;
ts_us(I) when is_integer(I) -> I.

%% @doc A random unprivileged port for traffic inside our namespaces.
random_port() ->
    20000 + rand:uniform(40000).

%% @doc A passive binary UDP socket bound to `Addr' ("a.b.c.d"), any port.
udp_socket(Addr) ->
    {ok, S} = gen_udp:open(0, [binary, {active, false}, {ip, parse_ip(Addr)},
                               {recbuf, 1 bsl 20}, {sndbuf, 1 bsl 20}]),
    S.

parse_ip(Addr) ->
    {ok, Ip} = inet:parse_ipv4strict_address(Addr),
    Ip.

%% @doc A valid pcap global header (microsecond, Ethernet, snaplen 65535).
pcap_global_header() ->
    <<16#a1b2c3d4:32/little, 2:16/little, 4:16/little, 0:32/little,
      0:32/little, 65535:32/little, 1:32/little>>.

%%--------------------------------------------------------------------
%% Statistics

%% @doc `epcap:stats/1' once the counters stop moving (the kernel has
%% settled), or after five seconds the last seen.
settled_stats(Pid) ->
    settled_stats(Pid, undefined, 50).

settled_stats(_, Last, 0) ->
    Last;
settled_stats(Pid, Last, Tries) ->
    {ok, S} = epcap:stats(Pid),
    case S =:= Last of
        true -> S;
        false -> timer:sleep(100), settled_stats(Pid, S, Tries - 1)
    end.

%%--------------------------------------------------------------------
%% Capture files

%% @doc Run epcap with `Opts' (which name a file) to its end:
%% `{Packets, After}', Packets as `{DLT, Time, Len, Data}' and After
%% whatever reached this process after `{epcap, eof}' until the epcap
%% process exited (normally, or the case fails).
file_capture(Opts) ->
    {ok, Pid} = epcap:start_link(Opts),
    Ref = monitor(process, Pid),
    Packets = file_packets(),
    receive
        {'DOWN', Ref, process, Pid, normal} -> ok;
        {'DOWN', Ref, process, Pid, Reason} -> ct:fail({epcap_exit, Reason})
    after 30000 -> ct:fail({epcap_still_running, Pid})
    end,
    {Packets, drain_messages()}.

%% @doc The packets that arrive until `{epcap, eof}', in order.
file_packets() ->
    file_packets([]).

file_packets(Acc) ->
    receive
        {packet, DLT, Time, Len, Data} -> file_packets([{DLT, Time, Len, Data} | Acc]);
        {epcap, eof} -> lists:reverse(Acc)
    after 30000 -> ct:fail({no_eof, length(Acc)})
    end.

%% @doc Every epcap message already in the mailbox.
drain_messages() ->
    receive
        {packet, _, _, _, _} = M -> [M | drain_messages()];
        {epcap_batch, _, _} = M -> [M | drain_messages()];
        {epcap, _} = M -> [M | drain_messages()]
    after 0 -> []
    end.

%% @doc What tcpdump reads from `File' with extra `Args' (a filter):
%% `[{NanoTime, Len, Data}]'. Its output goes to a file in `Dir'.
tcpdump_read(Dir, File, Args) ->
    Out = filename:join(Dir, "tcpdump-" ++
                        integer_to_list(erlang:unique_integer([positive]))),
    {0, _} = run("tcpdump",
                 ["--time-stamp-precision=nano", "-r", File, "-w", Out | Args],
                 30000),
    {ok, #{precision := nano, packets := Ps}} = epcap_samplegen:read(Out),
    ok = file:delete(Out),
    [{S * 1000000000 + F, L, D} || {S, F, L, D} <- Ps].

