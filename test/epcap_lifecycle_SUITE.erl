%% @doc The life of a port: owners, stop, signals, restarts (needs root).
%%
%% Captures run on loopback with a filter on a port bound by the case, so
%% only the case's own datagrams match. The contract under test: when
%% the owner dies the port process is gone at once (the epcap process
%% closes the port and the port exits 0 on the end of its stdin:
%% stdin_eof_ends_port checks that mechanism on its own); stop/1 returns
%% with the server dead and no OS process left; a killed port ends the
%% server with {port_exit, {signal, sigkill}}; SIGTERM ends it normally
%% after the captured packets have been delivered.
-module(epcap_lifecycle_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([suite/0, all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    owner_exit_kill/1,
    owner_exit_normal/1,
    owner_exit_shutdown/1,
    owner_killed/1,
    stop_leaves_nothing/1,
    start_other_owner/1,
    start_link_other_owner/1,
    port_sigkill/1,
    port_sigterm/1,
    port_sigterm_delivers_captured/1,
    restart_same_interface/1,
    start_stop_cycles/1,
    file_eof_ends_process/1,
    stdin_eof_ends_port/1
]).

-import(epcap_test_packets, [collect/2]).

%% How long the port may outlive its owner. On an idle machine it is gone
%% in about 50 ms, nearly all of it the kernel releasing the capture
%% sockets (about 25 ms each, and the adaptive default has two; a port
%% reading a file is gone in 1 or 2 ms), and on a loaded 2-core machine
%% in up to 350 ms (measured): the bound tells "at once" from a
%% port that does not end by itself (which would live as long as the VM),
%% not one scheduler's latency from another's. The time is logged.
-define(OWNER_DEATH_MS, 2000).

suite() ->
    [{timetrap, {seconds, 60}}].

all() ->
    [owner_exit_kill, owner_exit_normal, owner_exit_shutdown, owner_killed,
     stop_leaves_nothing, start_other_owner, start_link_other_owner,
     port_sigkill, port_sigterm, port_sigterm_delivers_captured,
     restart_same_interface, start_stop_cycles, file_eof_ends_process,
     stdin_eof_ends_port].

init_per_suite(Config) ->
    Config.

end_per_suite(_Config) ->
    ok.

%% Live captures need root; a capture file does not.
init_per_testcase(file_eof_ends_process, Config) ->
    ?assertEqual(ok, epcap_test_lib:wait_no_ports(1000)),
    Config;
init_per_testcase(_Case, Config0) ->
    case epcap_test_lib:require_root(Config0) of
        {skip, _} = Skip ->
            Skip;
        Config ->
            ?assertEqual(ok, epcap_test_lib:wait_no_ports(1000)),
            S = epcap_test_packets:udp_socket("127.0.0.1"),
            {ok, Port} = inet:port(S),
            [{sock, S}, {port, Port} | Config]
    end.

end_per_testcase(_Case, Config) ->
    epcap_test_lib:stop_linked_epcaps(),
    case ?config(sock, Config) of
        undefined -> ok;
        S -> gen_udp:close(S)
    end,
    epcap_test_lib:no_ports_left(1000).

%%--------------------------------------------------------------------
%% Owner death

owner_exit_kill(Config) ->
    owner_exits(Config, kill).

owner_exit_normal(Config) ->
    owner_exits(Config, normal).

owner_exit_shutdown(Config) ->
    owner_exits(Config, shutdown).

%% The owner is killed by another process (untrappable).
owner_killed(Config) ->
    {Owner, Pid, OsPid} = spawn_owner(Config),
    Mon = monitor(process, Pid),
    T0 = erlang:monotonic_time(millisecond),
    exit(Owner, kill),
    assert_gone_within(T0, OsPid),
    assert_down(Mon, Pid).

%% The owner calls start_link, then exits with Reason.
owner_exits(Config, Reason) ->
    {Owner, Pid, OsPid} = spawn_owner(Config),
    Mon = monitor(process, Pid),
    OwnerMon = monitor(process, Owner),
    T0 = erlang:monotonic_time(millisecond),
    Owner ! {exit, Reason},
    receive
        {'DOWN', OwnerMon, process, Owner, Reason} -> ok
    after 1000 -> ct:fail(owner_did_not_exit)
    end,
    assert_gone_within(T0, OsPid),
    assert_down(Mon, Pid).

spawn_owner(Config) ->
    Parent = self(),
    Opts = lo_opts(Config),
    Owner = spawn(fun() ->
        Parent ! {self(), epcap:start_link(Opts)},
        receive {exit, Why} -> exit(Why) end
    end),
    receive
        {Owner, {ok, Pid}} ->
            {ok, #{os_pid := OsPid}} = epcap:info(Pid),
            ?assert(epcap_test_lib:os_alive(OsPid)),
            ?assertEqual([OsPid], epcap_test_lib:port_os_pids()),
            {Owner, Pid, OsPid};
        {Owner, Other} ->
            ct:fail({start_failed, Other})
    after 20000 ->
        ct:fail(owner_start_timeout)
    end.

assert_gone_within(T0, OsPid) ->
    ok = case epcap_test_lib:wait_gone(OsPid, ?OWNER_DEATH_MS) of
        ok -> ok;
        timeout -> ct:fail({port_outlived_owner_ms, OsPid, ?OWNER_DEATH_MS})
    end,
    Elapsed = erlang:monotonic_time(millisecond) - T0,
    ct:log("port ~b gone ~b ms after the owner's death", [OsPid, Elapsed]).

assert_down(Mon, Pid) ->
    receive
        {'DOWN', Mon, process, Pid, _} -> ok
    after 1000 -> ct:fail({epcap_still_alive, Pid})
    end.

%%--------------------------------------------------------------------
%% stop/1

stop_leaves_nothing(Config) ->
    {ok, Pid} = epcap:start_link(lo_opts(Config)),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    ok = epcap:stop(Pid),
    assert_stopped(Pid, OsPid),
    %% Stopping again is harmless.
    ok = epcap:stop(Pid).

%% Right when stop/1 returns: the server is dead, the OS process gone.
assert_stopped(Pid, OsPid) ->
    Alive = is_process_alive(Pid),
    OsAlive = epcap_test_lib:os_alive(OsPid),
    ?assertEqual({false, false}, {Alive, OsAlive},
                 {after_stop, {pid_alive, Alive}, {os_alive, OsAlive}}),
    ?assertEqual([], epcap_test_lib:port_os_pids()).

%%--------------------------------------------------------------------
%% Owners other than the caller

start_other_owner(Config) ->
    {Owner, OwnerMon} = forwarder(),
    {ok, Pid} = epcap:start(Owner, lo_opts(Config)),
    {links, Links} = process_info(self(), links),
    ?assertNot(lists:member(Pid, Links)),
    Payload = send_lo(Config),
    owner_gets(Owner, Payload),
    ?assertEqual([], collect(1, 50)),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    Mon = monitor(process, Pid),
    T0 = erlang:monotonic_time(millisecond),
    exit(Owner, kill),
    receive {'DOWN', OwnerMon, process, Owner, killed} -> ok
    after 1000 -> ct:fail(owner_alive) end,
    assert_gone_within(T0, OsPid),
    assert_down(Mon, Pid).

start_link_other_owner(Config) ->
    {Owner, OwnerMon} = forwarder(),
    {ok, Pid} = epcap:start_link(Owner, lo_opts(Config)),
    {links, Links} = process_info(self(), links),
    ?assert(lists:member(Pid, Links)),
    Payload = send_lo(Config),
    owner_gets(Owner, Payload),
    ?assertEqual([], collect(1, 50)),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    Mon = monitor(process, Pid),
    %% The owner (not the linked caller) goes: the capture ends, normally,
    %% so the linked caller lives on.
    Owner ! stop,
    receive {'DOWN', OwnerMon, process, Owner, normal} -> ok
    after 1000 -> ct:fail(owner_alive) end,
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, ?OWNER_DEATH_MS)),
    receive
        {'DOWN', Mon, process, Pid, Why} -> ?assertEqual(normal, Why)
    after 1000 -> ct:fail({epcap_still_alive, Pid})
    end.

%% A process that forwards the packets it gets to the test process.
forwarder() ->
    Parent = self(),
    spawn_monitor(fun() -> forward(Parent) end).

forward(Parent) ->
    receive
        {packet, _, _, _, _} = P -> Parent ! {forwarded, self(), P},
                                    forward(Parent);
        stop -> ok
    end.

owner_gets(Owner, Payload) ->
    receive
        {forwarded, Owner, {packet, 1, _, _, Frame}} ->
            #{payload := Got} = epcap_test_packets:udp(Frame),
            ?assertEqual(Payload, Got)
    after 2000 -> ct:fail(owner_got_nothing)
    end.

%%--------------------------------------------------------------------
%% Signals to the port

port_sigkill(Config) ->
    {ok, Pid} = epcap:start(lo_opts(Config)),
    Mon = monitor(process, Pid),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    epcap_test_lib:kill("KILL", OsPid),
    receive
        {'DOWN', Mon, process, Pid, Why} ->
            ?assertEqual({port_exit, {signal, sigkill}}, Why)
    after 2000 -> ct:fail({epcap_still_alive, Pid})
    end,
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000)).

port_sigterm(Config) ->
    {ok, Pid} = epcap:start(lo_opts(Config)),
    Mon = monitor(process, Pid),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    Payloads = [send_lo(Config) || _ <- lists:seq(1, 3)],
    Got = collect(3, 2000),
    ?assertEqual(Payloads, payloads(Got)),
    epcap_test_lib:kill("TERM", OsPid),
    receive
        {'DOWN', Mon, process, Pid, Why} -> ?assertEqual(normal, Why)
    after 2000 -> ct:fail({epcap_still_alive, Pid})
    end,
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000)).

%% Packets the kernel captured before SIGTERM, but which the port had not
%% read yet, are still delivered: the port is stopped (SIGSTOP) while they
%% arrive, then gets SIGTERM and is continued.
port_sigterm_delivers_captured(Config) ->
    {ok, Pid} = epcap:start(lo_opts(Config)),
    Mon = monitor(process, Pid),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    epcap_test_lib:kill("STOP", OsPid),
    Payloads =
        try
            [send_lo(Config) || _ <- lists:seq(1, 5)]
        after
            epcap_test_lib:kill("TERM", OsPid),
            epcap_test_lib:kill("CONT", OsPid)
        end,
    receive
        {'DOWN', Mon, process, Pid, Why} -> ?assertEqual(normal, Why)
    after 2000 -> ct:fail({epcap_still_alive, Pid})
    end,
    ?assertEqual(Payloads, payloads(collect(5, 0))),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000)).

%%--------------------------------------------------------------------
%% Restarts

restart_same_interface(Config) ->
    [begin
         {ok, Pid} = epcap:start_link(lo_opts(Config)),
         {ok, #{os_pid := OsPid}} = epcap:info(Pid),
         P = send_lo(Config),
         ?assertEqual([P], payloads(collect(1, 2000))),
         ok = epcap:stop(Pid),
         assert_stopped(Pid, OsPid)
     end || _ <- [1, 2]],
    ok.

start_stop_cycles(Config) ->
    [begin
         {ok, Pid} = epcap:start_link(lo_opts(Config)),
         {ok, #{os_pid := OsPid}} = epcap:info(Pid),
         ok = epcap:stop(Pid),
         assert_stopped(Pid, OsPid)
     end || _ <- lists:seq(1, 20)],
    ?assertEqual([], epcap_test_lib:port_os_pids()).

%% Reading a file ends with {epcap, eof}, then the server exits normally
%% and the port is gone. Repeated: the port's exit races with the
%% server's last messages to it.
file_eof_ends_process(Config) ->
    Frames = [epcap_test_packets:udp_frame(<<I:32>>) || I <- lists:seq(1, 50)],
    File = epcap_test_packets:pcap_file(
             filename:join(?config(priv_dir, Config), "fifty.pcap"), Frames),
    [begin
         {ok, Pid} = epcap:start_link([{file, File}]),
         Mon = monitor(process, Pid),
         {ok, #{os_pid := OsPid}} = epcap:info(Pid),
         ?assertEqual(50, length(collect(50, 5000)), {round, Round}),
         receive {epcap, eof} -> ok
         after 5000 -> ct:fail({no_eof, Round})
         end,
         receive
             {'DOWN', Mon, process, Pid, Why} ->
                 ?assertEqual(normal, Why, {round, Round})
         after 2000 ->
             ct:fail({epcap_alive_after_eof, Round,
                      {os_alive, epcap_test_lib:os_alive(OsPid)}})
         end,
         ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000))
     end || Round <- lists:seq(1, 20)],
    ok.

%% The mechanism behind the owner's end, without the epcap process: a
%% live port whose stdin reaches end of file exits by itself, with
%% status 0 (not a signal, and nothing else would end it while its parent
%% lives). The port runs under a shell that records its status; the
%% shell shares the port's stdin and stdout pipes, so closing this Erlang
%% port is the port's end of file.
stdin_eof_ends_port(Config) ->
    Status = filename:join(?config(priv_dir, Config), "stdin_eof.status"),
    Filter = "udp dst port " ++ integer_to_list(?config(port, Config)),
    Sh = open_port({spawn_executable, "/bin/sh"},
        [{args, ["-c", "\"$EPCAP\" -i lo \"$1\"; echo $? >\"$2\"", "sh",
                 Filter, Status]},
         {env, [{"EPCAP", epcap_opts:default_progname()}]},
         {packet, 4}, binary, exit_status]),
    receive
        {Sh, {data, Frame}} -> ?assertMatch({ready, _}, epcap_codec:decode(Frame))
    after 20000 -> ct:fail(no_ready)
    end,
    [OsPid] = epcap_test_lib:port_os_pids(),
    T0 = erlang:monotonic_time(millisecond),
    port_close(Sh),
    Got = epcap_test_lib:wait_until(port_exit_status,
        fun() ->
            case file:read_file(Status) of
                {ok, <<_, _/binary>> = B} -> string:trim(B);
                _ -> false
            end
        end, ?OWNER_DEATH_MS),
    ct:log("port ~b exited ~s ~b ms after the end of its stdin",
           [OsPid, Got, erlang:monotonic_time(millisecond) - T0]),
    ?assertEqual(<<"0">>, Got),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, ?OWNER_DEATH_MS)).

%%--------------------------------------------------------------------
%% Helpers

lo_opts(Config) ->
    [{interface, "lo"},
     {filter, "udp and dst port " ++ integer_to_list(?config(port, Config))}].

%% One datagram to the case's socket on loopback; returns once the socket
%% has it, so it has been through the capture point.
send_lo(Config) ->
    S = ?config(sock, Config),
    Payload = rand:bytes(32),
    ok = gen_udp:send(S, {127, 0, 0, 1}, ?config(port, Config), Payload),
    {ok, {_, _, Payload}} = gen_udp:recv(S, 0, 2000),
    Payload.

payloads(Pkts) ->
    [maps:get(payload, epcap_test_packets:udp(F)) || {packet, _, _, _, F} <- Pkts].
