%% The pcapng reader and writer against tshark on random files (issue 18):
%% epcap_corpus_SUITE compares the corpus file by file; this suite makes
%% files nobody wrote by hand (epcap_ngfuzz: seeded, so reproducible, and
%% bounded in number) with several sections, byte orders, interfaces,
%% link types, resolutions finer and coarser than a nanosecond, offsets,
%% and every kind of block, and requires, packet for packet:
%%
%% * the Erlang path (`{interface_info, true}') to give what tshark reads:
%%   link type, stamp (ns), length, bytes, and the name of the interface
%%   the packet came from;
%% * `-r F -w - --pcapng', read back by tshark, to give the same;
%% * that output, and a pcapng dump written while the Erlang side reads,
%%   to keep every interface's own if_tsresol and if_tsoffset and each
%%   packet's stamp as the file held it (a resolution finer than a
%%   nanosecond: the same nanosecond; the port reads at nanoseconds).
%%
%% A Simple Packet Block has no stamp: tshark shows none, epcap (as
%% libpcap) the interface's offset; its time is not compared.
%%
%% EPCAP_NGFUZZ_SEED and EPCAP_NGFUZZ_COUNT choose the files (defaults
%% below, about 40 s here); a failure names its seed, and
%% `epcap_ngfuzz:file(Seed)' makes that file again. No privileges needed.
-module(epcap_ngdiff_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([random_files_against_tshark/1, pcapng_output_keeps_resolutions/1]).

-define(SEED, 18001).
-define(COUNT, 24).

all() ->
    [random_files_against_tshark, pcapng_output_keeps_resolutions].

init_per_suite(Config) ->
    case os:find_executable("tshark") of
        false ->
            {skip, "tshark is not installed (make test-deps)"};
        _ ->
            Seed = env_int("EPCAP_NGFUZZ_SEED", ?SEED),
            Count = env_int("EPCAP_NGFUZZ_COUNT", ?COUNT),
            ct:log("seeds ~b..~b (EPCAP_NGFUZZ_SEED, EPCAP_NGFUZZ_COUNT)",
                   [Seed, Seed + Count - 1]),
            Dir = filename:join(?config(priv_dir, Config), "ngfuzz"),
            ok = filelib:ensure_path(Dir),
            %% The port writes dumps as nobody when started as root.
            ok = file:change_mode(Dir, 8#1777),
            ok = file:change_mode(?config(priv_dir, Config), 8#755),
            Files = [begin
                         {Bin, Names} = epcap_ngfuzz:file(S),
                         Path = filename:join(Dir, "seed-" ++ integer_to_list(S)
                                              ++ ".pcapng"),
                         ok = file:write_file(Path, Bin),
                         {S, Path, Names}
                     end || S <- lists:seq(Seed, Seed + Count - 1)],
            [{files, Files}, {dir, Dir},
             {epcap, epcap_opts:default_progname()} | Config]
    end.

end_per_suite(_Config) ->
    ok.

env_int(Name, Default) ->
    case os:getenv(Name) of
        false -> Default;
        V -> list_to_integer(V)
    end.

%%--------------------------------------------------------------------

random_files_against_tshark(Config) ->
    Total = lists:sum(
              [begin
                   Want = tshark(Path),
                   Got = erlang_read(Path),
                   {ok, Bin} = file:read_file(Path),
                   same(times(Want, Bin), Got, aliases(Sections), Seed),
                   Out = shell(Config, Path, Seed),
                   {ok, OutBin} = file:read_file(Out),
                   %% A Simple Packet Block's time is its offset, before
                   %% 1970 when negative: the protocol sends that as 0.
                   ?assertEqual(maps(Got),
                                [P#{time := max(0, T)}
                                 || #{time := T} = P <- maps(times(tshark(Out), OutBin))],
                                {seed, Seed}),
                   length(Want)
               end || {Seed, Path, Sections} <- ?config(files, Config)]),
    ct:log("~b packets compared", [Total]),
    {comment, io_lib:format("~b files, ~b packets",
                            [length(?config(files, Config)), Total])}.

pcapng_output_keeps_resolutions(Config) ->
    Corpus = [begin
                  Path = filename:join(?config(dir, Config), Name),
                  ok = file:write_file(Path, Bin),
                  {Name, Path, []}
              end || {Name, Bin} <- epcap_corpus:pcapng_files()],
    [begin
         {ok, Src} = file:read_file(Path),
         {ok, Out} = file:read_file(shell(Config, Path, Seed)),
         same_stamps(epcap_ngfuzz:walk(Src), epcap_ngfuzz:walk(Out), Seed),
         Dump = dump(Config, Path, Seed),
         same_stamps(epcap_ngfuzz:walk(Src), epcap_ngfuzz:walk(Dump), {dump, Seed})
     end || {Seed, Path, _} <- ?config(files, Config) ++ Corpus],
    ok.

%% Interfaces in the same order with the same resolution and offset;
%% each packet's stamp as the file held it, in its interface's units (a
%% Simple Packet Block's: 0, the offset itself).
same_stamps({Ifs, Src}, {OutIfs, Out}, Seed) ->
    ?assertEqual(Ifs, OutIfs, {seed, Seed}),
    ?assertEqual(length(Src), length(Out), {seed, Seed}),
    [?assertEqual({If, expect(lists:nth(If + 1, Ifs), Ts)}, Got, {seed, Seed, N})
     || {N, {{If, Ts}, Got}} <- lists:enumerate(lists:zip(Src, Out))],
    ok.

expect({Resol, _}, Ts) ->
    Units = epcap_ngfuzz:units(Resol),
    case Ts of
        none -> 0;
        _ when Units =< 1000000000 -> Ts;
        %% Read at nanoseconds: the same nanosecond, in its units.
        _ -> ceil_div(Ts * 1000000000 div Units * Units, 1000000000)
    end.

ceil_div(A, B) -> (A + B - 1) div B.

%%--------------------------------------------------------------------
%% The readers

%% tshark's packets: {DLT, Nanoseconds | none, Length, Bytes, Interface
%% name}, the records that are not packets (custom blocks) left out.
tshark(Path) ->
    Tshark = os:find_executable("tshark"),
    {0, Fields} = run(Tshark, ["-r", Path, "-T", "fields",
                               "-e", "frame.encap_type", "-e", "frame.time_epoch",
                               "-e", "frame.len", "-e", "frame.interface_name"]),
    {0, Json} = run(Tshark, ["-r", Path, "-T", "jsonraw"]),
    {match, Raw} = re:run(Json, "\"frame_raw\": \\[\\s*\"([0-9a-f]*)\"",
                          [global, {capture, all_but_first, binary}]),
    Lines = binary:split(Fields, <<"\n">>, [global, trim_all]),
    ?assertEqual(length(Lines), length(Raw), Path),
    [{dlt_of_encap(binary_to_integer(Encap)), ns(Time), binary_to_integer(Len),
      binary:decode_hex(Hex), Name}
     || {Line, [Hex]} <- lists:zip(Lines, Raw),
        [Encap, Time, Len, Name] <- [binary:split(Line, <<"\t">>, [global])],
        Encap =/= <<>>].

ns(<<>>) -> none;
ns(T) ->
    [S, F] = binary:split(T, <<".">>),
    binary_to_integer(S) * 1000000000 +
        binary_to_integer(binary:part(<<F/binary, "000000000">>, 0, 9)).

%% Wireshark's encapsulation as the Erlang side's DLT: Ethernet, raw IP
%% (LINKTYPE 101, DLT 12 here), Linux cooked.
dlt_of_encap(1) -> 1;
dlt_of_encap(7) -> 12;
dlt_of_encap(25) -> 113.

%% The same packets; a time tshark does not show (a Simple Packet Block's)
%% matches any, and a name tshark gives may be the alias of the right one.
same(Want, Got, Aliases, Seed) ->
    ?assertEqual(length(Want), length(Got), {seed, Seed}),
    [?assertEqual(W, G#{time := case W of #{time := none} -> none; _ -> T end,
                        name := case maps:get(Name, Aliases, Name) of
                                    WName -> WName;
                                    _ -> Name
                                end},
                  {seed, Seed, N})
     || {N, {#{name := WName} = W, #{time := T, name := Name} = G}}
            <- lists:enumerate(lists:zip(maps(Want), maps(Got)))],
    ok.

%% tshark 4.0 computes a stamp's nanoseconds as (stamp mod units) * 10^9
%% / units in 64 bits, which overflows for resolutions finer than about
%% 10^-10 (10^-12, 2^-40: times wrong by up to a second). For those
%% interfaces the time is the file's own, computed here from the stamp
%% (seconds and nanoseconds rounded down, the offset added).
times(Want, Bin) ->
    {Ifs, Stamps} = epcap_ngfuzz:walk(Bin),
    ?assertEqual(length(Want), length(Stamps)),
    [case {lists:nth(If + 1, Ifs), Ts} of
         {_, none} -> W;
         {{Resol, Off}, _} ->
             U = epcap_ngfuzz:units(Resol),
             case U * 1000000000 >= 1 bsl 64 of
                 true ->
                     setelement(2, W, (Ts div U + Off) * 1000000000 +
                                          (Ts rem U) * 1000000000 div U);
                 false -> W
             end
     end || {W, {If, Ts}} <- lists:zip(Want, Stamps)].

%% tshark 4.0 names a packet's interface by the section's own interface
%% id looked up in the file's table: an interface of a later section gets
%% the name of the file's interface of the same number. Name => what
%% tshark shows for it.
aliases(Sections) ->
    All = lists:append(Sections),
    maps:from_list([{Name, lists:nth(K + 1, All)}
                    || Names <- Sections,
                       {K, Name} <- lists:enumerate(0, Names)]).

maps(Ps) ->
    [#{dlt => D, time => T, len => L, data => B, name => I} || {D, T, L, B, I} <- Ps].

%% The Erlang path, with each packet's interface named as the port
%% described it.
erlang_read(Path) ->
    {ok, E} = epcap:start_link([{file, Path}, {time_unit, nanosecond},
                                {interface_info, true}]),
    Ps = read_all(E, []),
    {ok, Ifs} = epcap:interfaces(E),
    Names = maps:from_list([{I, N} || #{index := I, name := N} <- Ifs]),
    ok = epcap:stop(E),
    [{DLT, T, L, D, maps:get(If, Names)} || {DLT, T, L, D, If} <- Ps].

read_all(E, Acc) ->
    receive
        {packet, DLT, T, L, D, If} -> read_all(E, [{DLT, T, L, D, If} | Acc]);
        {epcap, eof} -> lists:reverse(Acc);
        {epcap, {error, _} = Error} -> ct:fail({E, Error, length(Acc)})
    after 10000 -> ct:fail({no_end, length(Acc)})
    end.

%% `-r F -w - --pcapng', written to a file next to F.
shell(Config, Path, Seed) ->
    {0, Ng} = run(?config(epcap, Config), ["-r", Path, "-w", "-", "--pcapng"]),
    Out = Path ++ ".out",
    ok = file:write_file(Out, Ng),
    ?assertNotEqual(<<>>, Ng, {seed, Seed}),
    Out.

%% A pcapng dump written while the Erlang side reads the file.
dump(_Config, Path, Seed) ->
    Dump = Path ++ ".dump",
    {ok, E} = epcap:start_link([{file, Path}, {dump, Dump}, {dump_format, pcapng}]),
    Ref = monitor(process, E),
    _ = read_classic(E),
    receive {'DOWN', Ref, process, E, normal} -> ok
    after 10000 -> ct:fail({not_stopped, Seed})
    end,
    {ok, Bin} = file:read_file(Dump),
    Bin.

read_classic(E) ->
    receive
        {packet, _, _, _, _} -> read_classic(E);
        {epcap, eof} -> ok;
        {epcap, {error, _} = Error} -> ct:fail({E, Error})
    after 10000 -> ct:fail(no_end)
    end.

run(Exe, Args) ->
    epcap_test_lib:cmd(Exe, Args, #{stderr => keep, output => binary,
                                    timeout => 30000}).
