%% Measurements for make bench (test/bench.sh). Each function prints one
%% line of key=value pairs and halts. Not a test: nothing asserts on time.
-module(epcap_bench).

-export([file/1, file_batch/1, latency/1, inject/1, live/1, cpu/1, floor/1,
         fanout/1, fleet/1]).

-include("epcap_proto.hrl").

%% Read a capture file through epcap:start_link/1 and count what the
%% owner receives until {epcap, eof}.
-spec file([string()]) -> no_return().
file([Path]) ->
    read_file(Path, [], fun() -> count(0, 0) end).

%% The same with {delivery, batch}: the owner walks each batch with
%% epcap:batch_fold/3, seeing every packet as the classic message.
-spec file_batch([string()]) -> no_return().
file_batch([Path]) ->
    read_file(Path, [{delivery, batch}], fun() -> count_batches({0, 0}) end).

read_file(Path, Opts, Count) ->
    T0 = erlang:monotonic_time(microsecond),
    {ok, _} = epcap:start_link([{file, Path} | Opts]),
    {N, Bytes} = Count(),
    T1 = erlang:monotonic_time(microsecond),
    Secs = (T1 - T0) / 1.0e6,
    io:format("epcap ~s packets=~b bytes=~b seconds=~.3f~n",
              [Path, N, Bytes, Secs]),
    halt(0).

count_batches(Acc) ->
    receive
        {epcap_batch, _, Batch} ->
            count_batches(epcap:batch_fold(
                fun({packet, _, _, _, P}, {N, B}) -> {N + 1, B + byte_size(P)} end,
                Acc, Batch));
        {epcap, eof} -> Acc
    after 30000 -> Acc
    end.

count(N, B) ->
    receive
        {packet, _, _, _, P} -> count(N + 1, B + byte_size(P));
        {epcap, eof} -> {N, B}
    after 30000 -> {N, B}
    end.

%% Kernel time stamp to the reader's hands, at light load: one UDP
%% datagram on lo about every millisecond, sent by this process, for each
%% reader in turn, Rounds times over (alternated, so a busy machine
%% weighs on every reader alike). Readers:
%%   c          test/bench/lat_reader.c: libpcap, immediate, blocked in poll
%%   pipe       priv/epcap -t immediate -w - into that reader: the port's hop
%%   nif        test/bench/epcap_nif_peer.c: a NIF thread, enif_send to us
%%   port       this process owns the epcap port itself (no epcap process)
%%   direct     epcap:open/1 and recv/2 with {timeout, immediate}: the same,
%%              through the API (epcap_direct)
%%   direct_default  the same with no timeout option
%%   immediate  epcap:start_link with {timeout, immediate}
%%   default    epcap:start_link with no timeout option
%%   Name=Opts  epcap:start_link with the options in Opts (an Erlang list)
%% For each: the median over rounds of p50, p90 and p99, and the ratio of
%% p50 and p99 to the C reader's of the same round.
-spec latency([string()]) -> no_return().
latency([CountS, RoundsS, Reader | Specs]) ->
    Count = list_to_integer(CountS),
    Rounds = list_to_integer(RoundsS),
    Modes = [mode(S) || S <- Specs],
    Runs = [{R, Name, lat_run(Mode, Count, Reader)}
            || R <- lists:seq(1, Rounds), {Name, Mode} <- Modes],
    io:format("~-22s ~8s ~8s ~8s ~8s ~7s ~7s~n",
              [reader, p50_us, p90_us, p99_us, lost, p50_x_c, p99_x_c]),
    [lat_report(Name, Runs, Rounds, Count) || {Name, _} <- Modes],
    halt(0).

mode("c") -> {"c", c};
mode("pipe") -> {"pipe", pipe};
mode("nif") -> {"nif", nif};
mode("port") -> {"port", port};
mode("immediate") -> {"immediate", {epcap, [{timeout, immediate}]}};
mode("default") -> {"default", {epcap, []}};
mode("direct") -> {"direct", {direct, [{timeout, immediate}]}};
mode("direct_default") -> {"direct_default", {direct, []}};
mode(Spec) ->
    [Name, Opts] = string:split(Spec, "="),
    {ok, Toks, _} = erl_scan:string(Opts ++ "."),
    {ok, Term} = erl_parse:parse_term(Toks),
    {Name, {epcap, Term}}.

lat_report(Name, Runs, Rounds, Count) ->
    Mine = [{R, S} || {R, N, S} <- Runs, N =:= Name],
    C = [{R, S} || {R, "c", S} <- Runs],
    Med = fun(K) -> median([maps:get(K, S) || {_, S} <- Mine]) end,
    Ratio = fun(K) ->
        case C of
            [] -> 0.0;
            _ -> median([maps:get(K, S) / max(0.001, maps:get(K, proplists:get_value(R, C)))
                         || {R, S} <- Mine])
        end
    end,
    Lost = lists:sum([maps:get(lost, S) || {_, S} <- Mine]),
    io:format("~-22s ~8.1f ~8.1f ~8.1f ~8s ~7.2f ~7.2f~n",
              [Name, Med(p50), Med(p90), Med(p99),
               integer_to_list(Lost) ++ "/" ++ integer_to_list(Count * Rounds),
               Ratio(p50), Ratio(p99)]),
    io:format("latency reader=~s p50_us=~.1f p90_us=~.1f p99_us=~.1f lost=~b~n",
              [Name, Med(p50), Med(p90), Med(p99), Lost]).

median(L) ->
    lists:nth((length(L) + 1) div 2, lists:sort(L)).

lat_run(Mode, Count, Reader) ->
    {ok, S} = gen_udp:open(0, [binary, {active, false}]),
    {ok, UPort} = inet:port(S),
    Filter = "udp and dst port " ++ integer_to_list(UPort),
    Send = fun(I) -> ok = gen_udp:send(S, {127, 0, 0, 1}, UPort, <<I:32>>) end,
    Ns = lat_mode(Mode, Filter, Count, Reader, Send),
    gen_udp:close(S),
    percentiles(Ns, Count).

%% Latencies in nanoseconds, one per packet the reader got.
lat_mode(c, Filter, Count, Reader, Send) ->
    P = open_port({spawn_executable, Reader},
                  [{args, ["lo", Filter, integer_to_list(Count)]},
                   {line, 1 bsl 24}, exit_status]),
    reader_ready(P, c_reader),
    lat_external(P, Count, Send);
lat_mode(pipe, Filter, Count, Reader, Send) ->
    Cmd = "./priv/epcap -i lo -t immediate -c " ++ integer_to_list(Count) ++ " -w - '" ++ Filter ++
          "' 2>/dev/null | " ++ Reader ++ " - " ++ integer_to_list(Count),
    P = open_port({spawn_executable, "/bin/sh"},
                  [{args, ["-c", Cmd]}, {line, 1 bsl 24}, exit_status]),
    %% The reader says ready once it has the stream's header, which the
    %% port writes only when it is capturing.
    reader_ready(P, pipe_reader),
    lat_external(P, Count, Send);
lat_mode(nif, Filter, Count, _, Send) ->
    {ok, R} = epcap_nif_peer:start("lo", Filter, self()),
    Ns = lat_owner(Count, Send, fun(I) ->
        receive {packet, _, T, _, <<_:42/binary, I:32>>} -> os:system_time(nanosecond) - T
        after 1000 -> lost
        end
    end),
    ok = epcap_nif_peer:stop(R),
    Ns;
lat_mode(port, Filter, Count, _, Send) ->
    {ok, Cfg} = epcap_opts:parse([{interface, "lo"}, {filter, Filter},
                                  {timeout, immediate}, {time_unit, nanosecond}]),
    [Exe | Args] = epcap_opts:command(Cfg, []),
    P = open_port({spawn_executable, Exe}, [{args, Args}, {packet, 4}, binary,
                                             exit_status]),
    Prec = receive {P, {data, F}} ->
        {ready, #{precision := Pr}} = epcap_codec:decode(F), Pr
    after 5000 -> exit(port_ready)
    end,
    %% Credit for the whole run: no flow control on this path.
    true = port_command(P, epcap_codec:encode_command(credit, 0, Count)),
    Ns = lat_owner(Count, Send, fun(I) -> lat_port(P, Prec, I) end),
    port_close(P),
    Ns;
lat_mode({direct, Opts}, Filter, Count, _, Send) ->
    {ok, C} = epcap:open([{interface, "lo"}, {filter, Filter},
                          {time_unit, nanosecond} | Opts]),
    Ns = lat_owner(Count, Send, fun(I) -> lat_direct(C, I) end),
    ok = epcap:close(C),
    Ns;
lat_mode({epcap, Opts}, Filter, Count, _, Send) ->
    {ok, E} = epcap:start_link([{interface, "lo"}, {filter, Filter},
                                {time_unit, nanosecond} | Opts]),
    Ns = lat_owner(Count, Send, fun(I) ->
        receive {packet, _, T, _, <<_:42/binary, I:32>>} -> os:system_time(nanosecond) - T
        after 1000 -> lost
        end
    end),
    ok = epcap:stop(E),
    Ns.

reader_ready(P, Who) ->
    receive {P, {data, {eol, "ready"}}} -> ok after 5000 -> exit(Who) end.

lat_port(P, Prec, I) ->
    receive
        {P, {data, F}} ->
            {packets, Recs} = epcap_codec:decode(F),
            Now = os:system_time(nanosecond),
            case epcap_codec:packets(Recs, 1, nanosecond, Prec) of
                [{packet, _, T, _, <<_:42/binary, I:32>>} | _] -> Now - T;
                _ -> lat_port(P, Prec, I)
            end
    after 1000 -> lost
    end.

lat_direct(C, I) ->
    case epcap:recv(C, 1000) of
        {ok, Pkts} ->
            Now = os:system_time(nanosecond),
            case [T || {packet, _, T, _, <<_:42/binary, J:32>>} <- Pkts, J =:= I] of
                [T | _] -> Now - T;
                [] -> lat_direct(C, I)
            end;
        {error, timeout} -> lost
    end.

%% This process sends, waits for its packet, sleeps a millisecond.
lat_owner(Count, Send, Recv) ->
    [begin
         Send(I),
         L = Recv(I),
         timer:sleep(1),
         L
     end || I <- lists:seq(1, Count)].

%% A reader in another OS process: send at the same pace, then collect.
lat_external(P, Count, Send) ->
    [begin Send(I), timer:sleep(1) end || I <- lists:seq(1, Count)],
    receive
        {P, {data, {eol, Line}}} ->
            receive {P, {exit_status, _}} -> ok after 15000 -> ok end,
            [list_to_integer(X) || X <- string:lexemes(Line, " ")]
    after 15000 -> catch port_close(P), []
    end.

percentiles(Ns, Count) ->
    Ok = lists:sort([L || L <- Ns, is_integer(L)]),
    P = fun(_) when Ok =:= [] -> 0.0;
           (Q) -> lists:nth(max(1, round(Q * length(Ok))), Ok) / 1000 end,
    #{p50 => P(0.50), p90 => P(0.90), p99 => P(0.99), lost => Count - length(Ok)}.

%% Inject Count frames of Size bytes in batches of Batch through
%% epcap:send_batch/2 on Iface, from SrcMac to DstMac.
-spec inject([string()]) -> no_return().
inject([Iface, Src, Dst, CountS, SizeS, BatchS]) ->
    [Count, Size, Batch] = [list_to_integer(X) || X <- [CountS, SizeS, BatchS]],
    {ok, P} = epcap:start_link([{interface, Iface}, {inject, true},
                                {filter, "ether proto 0x1"}]),
    Frames = [frame(mac(Dst), mac(Src), I, Size) || I <- lists:seq(1, Batch)],
    T0 = erlang:monotonic_time(microsecond),
    [ok = epcap:send_batch(P, Frames) || _ <- lists:seq(1, Count div Batch)],
    T1 = erlang:monotonic_time(microsecond),
    {ok, #{injected := Sent, inject_failed := Failed}} = epcap:stats(P),
    io:format("inject packets=~b failed=~b seconds=~.3f~n",
              [Sent, Failed, (T1 - T0) / 1.0e6]),
    halt(0).

mac(S) ->
    list_to_binary([list_to_integer(H, 16) || H <- string:lexemes(S, ":")]).

frame(Dst, Src, Seq, Size) ->
    Head = <<Dst/binary, Src/binary, 16#88b5:16, Seq:32>>,
    <<Head/binary, 0:((Size - byte_size(Head)) * 8)>>.

%% Live capture on Iface into this process while Cmd (a traffic generator
%% sending Count frames) runs; then the stats. Prints owner count,
%% received, dropped, and the generator's wall time. An optional fourth
%% argument adds epcap options (an Erlang list, as text).
-spec live([string()]) -> no_return().
live([Iface, CountS, Cmd | Extra]) ->
    Count = list_to_integer(CountS),
    Opts = case Extra of
        [] -> [];
        [Spec] -> {ok, T, _} = erl_scan:string(Spec ++ "."),
                  {ok, O} = erl_parse:parse_term(T), O
    end,
    {ok, P} = epcap:start_link([{interface, Iface}, {filter, "ether proto 0x88b5"} | Opts]),
    Self = self(),
    T0 = erlang:monotonic_time(microsecond),
    spawn_link(fun() -> Out = os:cmd(Cmd), Self ! {sent, Out, erlang:monotonic_time(microsecond)} end),
    {N, T1} = live_count(0, undefined),
    {ok, S} = settle(P, undefined),
    io:format("live owner=~b received=~b dropped=~b delivered=~b sent=~b "
              "seconds=~.3f~n",
              [N, maps:get(received, S), maps:get(dropped, S),
               maps:get(delivered, S), Count, (T1 - T0) / 1.0e6]),
    halt(0).

%% Count until the generator is done and a second passes in silence.
live_count(N, undefined) ->
    receive
        {packet, _, _, _, _} -> live_count(N + 1, undefined);
        {sent, _Out, T} -> live_count(N, T)
    end;
live_count(N, T1) ->
    receive
        {packet, _, _, _, _} -> live_count(N + 1, T1)
    after 1000 -> {N, T1}
    end.

settle(P, Last) ->
    case epcap:stats(P) of
        Last -> Last;
        New -> timer:sleep(200), settle(P, New)
    end.

%% CPU time per live packet: capture on Iface while Cmd (a generator
%% sending Count frames) runs, with the options in Opts (an Erlang list,
%% as text; {delivery, batch} walks each batch with batch_fold/3). CPU is
%% read from /proc/PID/task/*/schedstat (nanoseconds on a CPU, user and
%% system) for the port's process and for this VM, from before the
%% generator starts to the last packet (or 1 s of silence). Prints
%% owner count, the kernel's counters and both CPU times.
-spec cpu([string()]) -> no_return().
cpu([Iface, CountS, Cmd, Spec]) ->
    Count = list_to_integer(CountS),
    {ok, T, _} = erl_scan:string(Spec ++ "."),
    {ok, Opts} = erl_parse:parse_term(T),
    Batch = lists:member({delivery, batch}, Opts),
    {ok, P} = epcap:start_link([{interface, Iface}, {filter, "ether proto 0x88b5"} | Opts]),
    {ok, #{os_pid := OsPid}} = epcap:info(P),
    Vm = list_to_integer(os:getpid()),
    Self = self(),
    Port0 = cpu_ns(OsPid),
    Vm0 = cpu_ns(Vm),
    spawn_link(fun() -> _ = os:cmd(Cmd), Self ! sent end),
    N = cpu_count(Batch, Count, 0),
    Port1 = cpu_ns(OsPid),
    Vm1 = cpu_ns(Vm),
    {ok, S} = settle(P, undefined),
    io:format("cpu owner=~b received=~b dropped=~b port_ns=~b vm_ns=~b~n",
              [N, maps:get(received, S), maps:get(dropped, S),
               Port1 - Port0, Vm1 - Vm0]),
    halt(0).

cpu_count(_, Count, N) when N >= Count -> N;
cpu_count(Batch, Count, N) ->
    receive
        {packet, _, _, _, _} -> cpu_count(Batch, Count, N + 1);
        {epcap_batch, _, B} ->
            cpu_count(Batch, Count,
                      epcap:batch_fold(fun(_, A) -> A + 1 end, N, B))
    after if N =:= 0 -> 10000; true -> 1000 end -> N
    end.

%% The VM's part of cpu/1 with no port, no pipe and no kernel: Count
%% 60-byte packets already in PACKETS frames of EPCAP_BATCH_BYTES in
%% memory, handled by a process as epcap_port handles them (message:
%% epcap_codec:send_packets/5 to the owner, with the owner's mailbox kept
%% under max_queue as credit would; batch: epcap_codec:batch/4 and one
%% message per frame) and an owner that counts them as cpu/1's does. What
%% this costs per packet is the Erlang side's floor on this VM. Prints
%% the owner's count and the VM's CPU time.
-spec floor([string()]) -> no_return().
floor([CountS, Mode]) ->
    Count = list_to_integer(CountS),
    Frames = floor_frames(Count),
    Self = self(),
    Vm = list_to_integer(os:getpid()),
    Vm0 = cpu_ns(Vm),
    Feeder = spawn_opt(fun() ->
                           receive {go, Owner} -> ok end,
                           [floor_frame(Mode, F, Owner) || F <- Frames]
                       end, [link, {min_heap_size, 256 * 1024}]),
    Feeder ! {go, Self},
    N = cpu_count(Mode =:= "batch", Count, 0),
    Vm1 = cpu_ns(Vm),
    io:format("floor owner=~b vm_ns=~b~n", [N, Vm1 - Vm0]),
    halt(0).

floor_frames(Count) ->
    Rec = <<1733350000:64, 123456789:32, 60:32, 60:32, 0:480>>,
    PerFrame = ?EPCAP_BATCH_BYTES div byte_size(Rec) + 1,
    [binary:copy(Rec, min(PerFrame, Count - I))
     || I <- lists:seq(0, Count - 1, PerFrame)].

floor_frame("message", Frame, Owner) ->
    floor_room(Owner),
    epcap_codec:send_packets(Owner, Frame, 1, timestamp, 9);
floor_frame("batch", Frame, Owner) ->
    floor_room(Owner),
    Owner ! {epcap_batch, self(), epcap_codec:batch(Frame, 1, timestamp, 9)}.

floor_room(Owner) ->
    {message_queue_len, L} = process_info(Owner, message_queue_len),
    case L > 10000 of
        true -> receive after 2 -> floor_room(Owner) end;
        false -> ok
    end.

%% Nanoseconds the threads of OS process Pid have spent on a CPU.
cpu_ns(Pid) ->
    Dir = "/proc/" ++ integer_to_list(Pid) ++ "/task",
    {ok, Tasks} = file:list_dir(Dir),
    lists:sum([begin
                   {ok, B} = file:read_file(Dir ++ "/" ++ Task ++ "/schedstat"),
                   [Ns | _] = binary:split(B, <<" ">>),
                   binary_to_integer(Ns)
               end || Task <- Tasks]).

%% A group of Members captures (a fan-out group in lb mode; 1: a single
%% capture with the default options) on Iface while Cmd sends Count
%% frames; each member's owner does a fixed amount of work on every
%% packet: Work rounds of erlang:crc32/2 over the frame (standing for
%% decoding or matching; CPU work, so a preempted owner takes longer, as
%% a real one would). The frames wait in the kernel's rings and the
%% owners' queues, so the rate is what the owners get through: packets
%% over the time from the first packet handled to the last. Prints the
%% packets handled, the kernel's drops, the rate and the work's cost per
%% packet on this machine (the fastest of five timings of 1000 packets).
-spec fanout([string()]) -> no_return().
fanout([Iface, CountS, Cmd, MembersS, WorkS]) ->
    [Count, Members, Work] = [list_to_integer(X) || X <- [CountS, MembersS, WorkS]],
    Self = self(),
    WorkNs = lists:min([work_ns(Work) || _ <- lists:seq(1, 5)]),
    Owners = [spawn_link(fun() -> fan_owner(Self, Work, 0, undefined, undefined) end)
              || _ <- lists:seq(1, Members)],
    Opts = [{interface, Iface}, {filter, "ether proto 0x88b5"}],
    Caps = case Members of
        1 ->
            {ok, P} = epcap:start(hd(Owners), Opts),
            [P];
        _ ->
            F = #{group => rand:uniform(65535), mode => lb},
            {ok, G} = epcap_fanout:start(Owners, [{fanout, F} | Opts]),
            epcap_fanout:members(G)
    end,
    spawn_link(fun() -> _ = os:cmd(Cmd) end),
    Done = fan_wait(length(Owners), []),
    Dropped = lists:sum([maps:get(dropped, S) || C <- Caps, {ok, S} <- [epcap:stats(C)]]),
    N = lists:sum([K || {K, _, _} <- Done]),
    T0 = lists:min([T || {K, T, _} <- Done, K > 0]),
    T1 = lists:max([T || {K, _, T} <- Done, K > 0]),
    io:format("fanout members=~b packets=~b dropped=~b pps=~b work_ns=~b per_member=~w~n",
              [Members, N, Dropped, round(N / max(1.0e-9, (T1 - T0) / 1.0e9)),
               WorkNs, [K || {K, _, _} <- Done]]),
    _ = Count,
    halt(0).

work_ns(Work) ->
    Frame = binary:copy(<<16#a5>>, 60),
    T0 = erlang:monotonic_time(nanosecond),
    [work(Frame, Work) || _ <- lists:seq(1, 1000)],
    (erlang:monotonic_time(nanosecond) - T0) div 1000.

work(_, 0) -> ok;
work(Frame, N) -> _ = erlang:crc32(Frame), work(Frame, N - 1).

%% Each owner reports once it has been idle for a second after its
%% first packet (or 30 s without any).
fan_wait(N, Acc) when length(Acc) =:= N ->
    Acc;
fan_wait(N, Acc) ->
    receive
        {fan_done, K, T0, T1} -> fan_wait(N, [{K, T0, T1} | Acc])
    after 60000 -> Acc
    end.

fan_owner(Parent, Work, N, T0, T1) ->
    receive
        {packet, _, _, _, Frame} ->
            Start = case T0 of
                undefined -> erlang:monotonic_time(nanosecond);
                _ -> T0
            end,
            work(Frame, Work),
            fan_owner(Parent, Work, N + 1, Start, erlang:monotonic_time(nanosecond))
    after case T0 of undefined -> 30000; _ -> 1000 end ->
        Parent ! {fan_done, N, T0, T1},
        %% Alive until the end: its capture ends with it, and the
        %% others' counters are still to be read.
        receive stop -> ok end
    end.

%% A fleet of two peer nodes on this machine, each capturing Iface (so
%% each sees every frame) into one epcap_fleet collector here writing
%% File, while Cmd sends Count frames. Prints what was written, the late
%% ones, the kernel's drops and the collector's rate (packets written per
%% second, from the fleet's start to the last one written).
-spec fleet([string()]) -> no_return().
fleet([Iface, CountS, Cmd, File]) ->
    Count = list_to_integer(CountS),
    {ok, _} = net_kernel:start([list_to_atom("epcap_bench_" ++ os:getpid()), shortnames]),
    Code = lists:append([["-pa", filename:dirname(code:which(M))] || M <- [epcap, ?MODULE]]),
    Peers = [begin
                 {ok, P, N} = peer:start(#{name => peer:random_name(epcap_bench),
                                           args => ["-setcookie", atom_to_list(erlang:get_cookie()) | Code]}),
                 {P, N}
             end || _ <- [1, 2]],
    {ok, F} = epcap_fleet:start_link(File, [{N, Iface} || {_, N} <- Peers],
                                     [{filter, "ether proto 0x88b5"}, {hold, 100}]),
    T0 = erlang:monotonic_time(microsecond),
    spawn_link(fun() -> _ = os:cmd(Cmd) end),
    {Written, T1} = fleet_wait(F, 2 * Count, 0, T0),
    {ok, #{late := Late, sources := S}} = epcap_fleet:stats(F),
    Dropped = lists:sum([maps:get(dropped, M, 0) || M <- maps:values(S), is_map(M)]),
    ok = epcap_fleet:stop(F),
    io:format("fleet written=~b late=~b dropped=~b pps=~b~n",
              [Written, Late, Dropped, round(Written / max(1.0e-6, (T1 - T0) / 1.0e6))]),
    [peer:stop(P) || {P, _} <- Peers],
    halt(0).

%% Until Want are written, or nothing new for 3 s: {written, when the
%% last of them was}.
fleet_wait(F, Want, Last, TLast) ->
    {ok, #{written := W}} = epcap_fleet:stats(F),
    Now = erlang:monotonic_time(microsecond),
    if
        W >= Want -> {W, Now};
        W > Last -> timer:sleep(10), fleet_wait(F, Want, W, Now);
        Now - TLast > 3000000 -> {W, TLast};
        true -> timer:sleep(10), fleet_wait(F, Want, Last, TLast)
    end.
