%% make soak MINUTES=N: a live capture under seccomp at the highest rate
%% trafgen sends here, with periodic stats, filter changes and injection.
%% Every 10 s it prints the port's RSS and the VM's memory; it fails if
%% either passes its bound or the port dies. Driven by test/soak.sh, which
%% makes the network namespace and the veth pair. Not part of make test.
-module(epcap_soak).

-export([run/1]).

-define(PORT_RSS_MAX_KB, 128 * 1024).
-define(VM_MAX_BYTES, 400 * 1024 * 1024).

-spec run([string()]) -> no_return().
run([Iface, SrcMac, DstMac, Minutes, TrafgenCmd]) ->
    process_flag(trap_exit, true),
    {ok, P} = epcap:start_link([{interface, Iface}, {inject, true},
                                {filter, "ether proto 0x88b5"},
                                {stats_interval, 1000}]),
    {ok, #{os_pid := OsPid}} = epcap:info(P),
    Gen = spawn_link(fun() -> os:cmd(TrafgenCmd) end),
    Frame = <<(mac(DstMac))/binary, (mac(SrcMac))/binary, 16#88b6:16, 0:(46 * 8)>>,
    End = erlang:monotonic_time(second) + list_to_integer(Minutes) * 60,
    io:format("soak: ~s for ~s min, port os pid ~b~n", [Iface, Minutes, OsPid]),
    Result = loop(#{port => P, os_pid => OsPid, frame => Frame, end_at => End,
                    start => erlang:monotonic_time(second),
                    next_report => erlang:monotonic_time(second) + 10,
                    packets => 0, filter => 0, tick => 0, last_stats => #{}}),
    exit(Gen, kill),
    os:cmd("pkill -f 'trafgen -o'"),
    case Result of
        ok -> io:format("soak: passed~n"), halt(0);
        {error, Why} -> io:format("soak: FAILED: ~p~n", [Why]), halt(1)
    end.

loop(#{end_at := End} = S) ->
    case erlang:monotonic_time(second) >= End of
        true -> ok;
        false -> step(S)
    end.

step(#{port := P} = S) ->
    receive
        {packet, _, _, _, _} ->
            loop(S#{packets := maps:get(packets, S) + 1});
        {epcap_stats, P, Stats} ->
            tick(S#{last_stats := Stats});
        {'EXIT', P, Why} ->
            {error, {port_died, Why}};
        {epcap_error, P, Why} ->
            {error, {inject, Why}}
    after 2000 ->
        {error, no_stats_for_2s}
    end.

%% Once a second: inject a batch, every third second change the filter,
%% every tenth report and check the bounds.
tick(#{port := P, frame := F, tick := T} = S) ->
    ok = epcap:send_batch(P, lists:duplicate(100, F)),
    S1 = case T rem 3 of
        0 ->
            Expr = lists:nth(1 + maps:get(filter, S) rem 2,
                             ["ether proto 0x88b5", "ether proto 0x88b5 and ether[14] = 0"]),
            ok = epcap:set_filter(P, Expr),
            S#{filter := maps:get(filter, S) + 1};
        _ ->
            S
    end,
    report(S1#{tick := T + 1}).

report(#{next_report := Next} = S) ->
    Now = erlang:monotonic_time(second),
    case Now >= Next of
        false ->
            loop(S);
        true ->
            Rss = rss_kb(maps:get(os_pid, S)),
            Vm = erlang:memory(total),
            St = maps:get(last_stats, S),
            io:format("soak: t=~bs port_rss=~bKiB vm=~bKiB owner_packets=~b "
                      "received=~b dropped=~b injected=~b filter_changes=~b~n",
                      [Now - maps:get(start, S), Rss, Vm div 1024,
                       maps:get(packets, S), maps:get(received, St, 0),
                       maps:get(dropped, St, 0), maps:get(injected, St, 0),
                       maps:get(filter_changes, St, 0)]),
            if
                Rss > ?PORT_RSS_MAX_KB -> {error, {port_rss_kb, Rss}};
                Vm > ?VM_MAX_BYTES -> {error, {vm_bytes, Vm}};
                true -> loop(S#{next_report := Next + 10})
            end
    end.

rss_kb(OsPid) ->
    {ok, Status} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status"),
    {match, [Kb]} = re:run(Status, "VmRSS:\\s+([0-9]+) kB", [{capture, all_but_first, list}]),
    list_to_integer(Kb).

mac(S) ->
    list_to_binary([list_to_integer(H, 16) || H <- string:lexemes(S, ":")]).
