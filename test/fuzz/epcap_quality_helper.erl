%% @doc Inputs and checks for the quality targets of the top-level
%% Makefile (make fuzz, fuzz-replay, valgrind). Not part of epcap.
%%
%% `seeds DIR VECTORS': seed inputs for the libFuzzer harnesses
%% (test/fuzz/fuzz_*.c), made from what the project already knows is valid, so
%% the fuzzers start from real frames, command lines and capture files:
%%
%% <ul>
%% <li>`cmd': every "in" frame of test/protocol_vectors.txt, alone and all
%%     back to back, each behind a few mode bytes (fuzz_cmd.c's first
%%     byte), and frames epcap_codec:encode_command/3 builds;</li>
%% <li>`options': the port's argv from epcap:getopts/1 for a set of option
%%     lists and some edge cases, NUL-separated as fuzz_options.c splits
%%     them;</li>
%% <li>`pcapfile': epcap_samplegen's capture files in every format,
%%     precision and byte order, whole and cut short, and
%%     epcap_corpus's damaged and edge files, behind fuzz_pcapfile.c's
%%     filter byte;</li>
%% <li>`pcapng': epcap_corpus's pcapng files, whole and cut, for
%%     fuzz_pcapng.c (our reader against libpcap's).</li>
%% </ul>
%%
%% `valgrind-inputs DIR': capture files, a stream of commands and a STOP
%% for the valgrind run. `check-output FRAMES': the port's output of a valgrind run
%% holds READY, the replies to those commands, packets and EOF, in order.
%%
%% Run as `erl -noshell -pa ebin -pa _build/examples -pa _build/quality
%% -s epcap_quality_helper main Command Args...'.
-module(epcap_quality_helper).

-export([main/1]).

-spec main([atom()]) -> no_return().
main([Command | Args]) ->
    try run(atom_to_list(Command), [atom_to_list(A) || A <- Args]) of
        Msg ->
            io:format("~s~n", [Msg]),
            halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "epcap_quality_helper ~s: ~p:~p~n~p~n",
                      [Command, Class, Reason, Stack]),
            halt(1)
    end.

run("seeds", [Dir, Vectors]) ->
    N = cmd(filename:join(Dir, "cmd"), Vectors) +
        options(filename:join(Dir, "options")) +
        pcapfile(filename:join(Dir, "pcapfile")) +
        pcapng(filename:join(Dir, "pcapng")),
    io_lib:format("fuzz seeds: ~b files in ~s", [N, Dir]);
run("valgrind-inputs", [Dir]) ->
    valgrind_inputs(Dir);
run("check-output", [File]) ->
    check_output(File).

%% fuzz_cmd.c's mode bits: offline handle, is_file, inject, selectable,
%% credit. 0: a dead live-like handle; 31: everything on.
-define(CMD_MODES, [0, 3, 4, 7, 8, 9, 16, 31]).

cmd(Dir, Vectors) ->
    {ok, Text} = file:read_file(Vectors),
    In = [binary:decode_hex(Hex)
          || Line <- binary:split(Text, <<"\n">>, [global, trim_all]),
             binary:first(Line) =/= $#,
             [_Name, <<"in">>, Hex] <- [binary:split(Line, <<" ">>, [global, trim_all])]],
    Built = [frame(epcap_codec:encode_command(C, Id, Arg))
             || {C, Id, Arg} <- [{filter, 1, "tcp port 80"}, {filter, 2, ""},
                                 {filter, 3, "ip and ("}, {stats, 4, []},
                                 {credit, 5, 16#7fffffff}, {credit, 6, 0},
                                 {inject, 7, <<0:480>>},
                                 {inject_batch, 8, [<<1, 2, 3>>, <<>>, <<0:1000>>]},
                                 {stop, 9, []}]],
    Streams = [iolist_to_binary(In), iolist_to_binary(Built)],
    write_all(Dir, "cmd", [<<M, F/binary>> || F <- In ++ Built ++ Streams,
                                             M <- ?CMD_MODES]).

frame(IoData) ->
    Bin = iolist_to_binary(IoData),
    <<(byte_size(Bin)):32, Bin/binary>>.

options(Dir) ->
    Lists = [
        [],
        [{interface, "eth0"}, {filter, "tcp port 80"}, {snaplen, 128},
         promiscuous, monitor, {timeout, 250}, {buffer, 1048576},
         {direction, in}, {time_unit, nanosecond}, {user, "nobody"},
         {group, "nogroup"}, {chroot, "/var/empty"}, {env, "PCAP_X=1"},
         {verbose, 3}, inject, {cluster_id, 2}, {cpu_affinity, "0,2-3"},
         {datalink, "EN10MB"}],
        [{file, "/tmp/x.pcap"}, {filter, "-not an option"}, {datalink, 113},
         {timeout, infinity}, {max_queue, 10}],
        [{interface, "-i"}, {timeout, immediate}, {time_unit, microsecond}]
    ],
    Argvs = [Argv || Opts <- Lists,
                     [_Prog | Argv] <- [epcap:getopts([{progname, "epcap"} | Opts])]],
    Extra = [["--help"], ["--version"], ["--can-capture"], ["--compile", "--", "tcp"],
             ["-w", "-", "--pcapng", "-c", "10", "--duration", "5", "-r", "f"],
             ["-D"], ["-L", "-i", "lo"], ["--credit=5", "--snaplen=65535"],
             ["-s"], ["--snaplen"], ["-Q", "sideways"], ["-x"], ["--bogus"],
             ["-e", "=x"], lists:duplicate(17, "-eK=V"), ["-r", "-"],
             ["-y", "99999"], ["-y", "LINUX_SLL2"], ["-a", "0-"], ["-t", "-1"]],
    write_all(Dir, "argv", [argv(A) || A <- Argvs ++ Extra]).

argv(Args) ->
    iolist_to_binary(lists:join(<<0>>, [unicode:characters_to_binary(A) || A <- Args])).

pcapfile(Dir) ->
    Packets = epcap_samplegen:sample_packets(),
    Files = [begin
                 Ps = case P of
                     micro -> Packets;
                     nano -> epcap_samplegen:sample_packets(nano)
                 end,
                 Tmp = filename:join(Dir, "tmp.capture"),
                 ok = filelib:ensure_dir(Tmp),
                 ok = epcap_samplegen:write(Tmp, lists:sublist(Ps, 12),
                                            #{format => F, precision => P, endian => E}),
                 {ok, Bin} = file:read_file(Tmp),
                 ok = file:delete(Tmp),
                 Bin
             end || F <- [pcap, pcapng], P <- [micro, nano], E <- [little, big]],
    %% A cut one too: libpcap's short-read paths.
    Cut = [binary:part(B, 0, byte_size(B) * 2 div 3) || B <- Files],
    %% And the corpus suite's files: damage, edge stamps, link types
    %% (the 300000-byte D-Bus one aside: libFuzzer sizes its inputs by the
    %% largest seed).
    Corpus = [B || {_, _, B} <- epcap_corpus:files(), byte_size(B) < 65536] ++
             [epcap_corpus:multi_linktype()],
    write_all(Dir, "file", [<<Filter, B/binary>> || B <- Files ++ Cut ++ Corpus,
                                                     Filter <- [0, 2, 4]]).

%% fuzz_pcapng.c: every pcapng file of the corpus suite, whole and cut.
pcapng(Dir) ->
    Ng = [B || {N, _, B} <- epcap_corpus:files(),
               filename:extension(N) =:= ".pcapng"] ++
         [epcap_corpus:multi_linktype() |
          [B || {_, B} <- epcap_corpus:pcapng_files()]],
    write_all(Dir, "ng", Ng ++ [binary:part(B, 0, byte_size(B) * 2 div 3)
                                || B <- Ng]).

write_all(Dir, Prefix, Bins) ->
    ok = filelib:ensure_path(Dir),
    lists:foreach(
      fun({I, Bin}) ->
              Name = filename:join(Dir, lists:concat([Prefix, "-", I])),
              ok = file:write_file(Name, Bin)
      end, lists:enumerate(Bins)),
    length(Bins).

%% ---- valgrind ----

%% Commands sent while the port reads a file: each exercises one path of
%% control.c, and each but CREDIT gets a REPLY (id => code).
commands() ->
    [{stats, 1, []}, {filter, 2, "not ip6"}, {filter, 3, "tcp and ("},
     {inject, 4, <<0:480>>}, {inject_batch, 5, [<<1, 2>>, <<>>]},
     {unknown, 6, <<"x">>}, {credit, 7, 16#7fffffff}].

expected_replies() ->
    [{1, ok}, {2, ok}, {3, bad_filter}, {4, inject_disabled},
     {5, inject_disabled}, {6, unknown_command}].

command_frame({unknown, Id, Body}) -> frame([<<16#7f, Id:32>>, Body]);
command_frame({C, Id, Arg}) -> frame(epcap_codec:encode_command(C, Id, Arg)).

valgrind_inputs(Dir) ->
    ok = filelib:ensure_path(Dir),
    ok = file:write_file(filename:join(Dir, "commands.bin"),
                         [command_frame(C) || C <- commands()]),
    %% What the owner sends once it has seen EOF (PROTOCOL.md).
    ok = file:write_file(filename:join(Dir, "stop.bin"),
                         command_frame({stop, 8, []})),
    Sample = epcap_samplegen:sample_packets(),
    Big = [{1700000000, I, N, rand:bytes(N)} || {I, N} <- [{1, 262144}, {2, 70000}, {3, 0}]],
    ok = epcap_samplegen:write(filename:join(Dir, "good-sample.pcap"), Sample, #{}),
    ok = epcap_samplegen:write(filename:join(Dir, "good-sample-nano-big.pcapng"),
                               epcap_samplegen:sample_packets(nano),
                               #{format => pcapng, precision => nano, endian => big}),
    ok = epcap_samplegen:write(filename:join(Dir, "good-big.pcapng"), Big,
                               #{format => pcapng}),
    ok = epcap_samplegen:write_synthetic(filename:join(Dir, "good-many.pcap"),
                                         20000, 60, #{precision => nano}),
    {ok, Whole} = file:read_file(filename:join(Dir, "good-sample.pcap")),
    ok = file:write_file(filename:join(Dir, "bad-cut-record.pcap"),
                         binary:part(Whole, 0, byte_size(Whole) - 7)),
    ok = file:write_file(filename:join(Dir, "bad-cut-header.pcap"),
                         binary:part(Whole, 0, 10)),
    "valgrind inputs in " ++ Dir.

%% The output of a run over a good file: READY first, every expected
%% reply, at least one packet, EOF last; nothing that does not decode.
check_output(File) ->
    {ok, Bin} = file:read_file(File),
    Frames = [epcap_codec:decode(F) || F <- split(Bin)],
    [{ready, _} | Rest] = [F || F <- Frames, element(1, tuple(F)) =/= warning],
    eof = lists:last(Rest),
    Replies = [{Id, Code} || {reply, Id, Code, _} <- Rest],
    Replies =:= expected_replies() orelse error({replies, Replies}),
    Packets = [P || {packets, P} <- Rest],
    Packets =/= [] orelse error(no_packets),
    N = length(epcap_codec:packets(iolist_to_binary(Packets), 1, nanosecond, 9)),
    io_lib:format("~s: ~b frames, ~b packets, replies ~w", [File, length(Frames), N,
                                                            [C || {_, C} <- Replies]]).

tuple(T) when is_tuple(T) -> T;
tuple(A) -> {A}.

split(<<>>) -> [];
split(<<N:32, F:N/binary, Rest/binary>>) -> [F | split(Rest)];
split(Bad) -> error({truncated_frame, byte_size(Bad)}).
