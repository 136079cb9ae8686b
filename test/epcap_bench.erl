%% Measurements for make bench (test/bench.sh). Each function prints one
%% line of key=value pairs and halts. Not a test: nothing asserts on time.
-module(epcap_bench).

-export([file/1, file_batch/1, latency/1, inject/1, live/1]).

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

%% Kernel time stamp to owner's receive, in immediate mode at light load:
%% Count UDP datagrams on lo, one every millisecond.
-spec latency([string()]) -> no_return().
latency([CountS]) ->
    Count = list_to_integer(CountS),
    {ok, S} = gen_udp:open(0, [binary, {active, false}]),
    {ok, Port} = inet:port(S),
    Filter = "udp and dst port " ++ integer_to_list(Port),
    {ok, _} = epcap:start_link([{interface, "lo"}, {filter, Filter},
                                {timeout, immediate}, {time_unit, nanosecond}]),
    Lat = [begin
               ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32>>),
               L = receive
                   {packet, _, T, _, _} -> os:system_time(nanosecond) - T
               after 1000 -> lost
               end,
               %% Light load: one packet at a time, about 1 ms apart.
               timer:sleep(1),
               L
           end || I <- lists:seq(1, Count)],
    Ok = lists:sort([L || L <- Lat, is_integer(L)]),
    P = fun(Q) -> lists:nth(max(1, round(Q * length(Ok))), Ok) / 1000 end,
    io:format("latency packets=~b lost=~b p50_us=~.1f p90_us=~.1f p99_us=~.1f "
              "max_us=~.1f~n",
              [Count, Count - length(Ok), P(0.50), P(0.90), P(0.99), P(1.0)]),
    halt(0).

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
%% received, dropped, and the generator's wall time.
-spec live([string()]) -> no_return().
live([Iface, CountS, Cmd]) ->
    Count = list_to_integer(CountS),
    {ok, P} = epcap:start_link([{interface, Iface}, {filter, "ether proto 0x88b5"}]),
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
