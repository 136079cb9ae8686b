%% Throughput of captures into an Erlang process through the public API.
%% Run by test/bench.sh (make bench); prints one line per run. Not a test:
%% nothing here asserts on time.
-module(epcap_bench).

-export([file/1]).

%% Read a capture file through epcap:start_link/1 and count what the
%% owner receives until {epcap, eof}.
-spec file([string()]) -> no_return().
file([Path]) ->
    T0 = erlang:monotonic_time(microsecond),
    {ok, _} = epcap:start_link([{file, Path}]),
    {N, Bytes} = count(0, 0),
    T1 = erlang:monotonic_time(microsecond),
    Secs = (T1 - T0) / 1.0e6,
    io:format("epcap ~s packets=~b bytes=~b seconds=~.3f~n",
              [Path, N, Bytes, Secs]),
    halt(0).

count(N, B) ->
    receive
        {packet, _, _, _, P} -> count(N + 1, B + byte_size(P));
        {epcap, eof} -> {N, B}
    after 30000 -> {N, B}
    end.
