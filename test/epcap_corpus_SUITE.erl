%% A corpus of capture files the project writes itself (epcap_corpus),
%% one for each kind of file that has gone wrong before (issue 12):
%% truncated headers and
%% records, bad lengths, stamps after 2038 and at the edges of their
%% fields, micro- and nanosecond, either byte order, raw IP and link types
%% with libpcap's upper bits, a D-Bus packet larger than 256 KiB, pcapng
%% with several interfaces, sections and link types.
%%
%% Each file is read three ways and compared:
%%
%% * the shell path: `epcap -r F -w -' must write byte for byte what
%%   `tcpdump --time-stamp-precision=P -r F -w -' writes, P being the
%%   file's own precision (tcpdump's default is micro whatever the file
%%   holds; epcap keeps the file's: a deliberate difference), and fail
%%   when tcpdump fails, after the same good packets; with an explicit
%%   `--time-stamp-precision' both must agree for either precision;
%% * the Erlang path: every packet tcpdump reads, with the same stamp,
%%   length and bytes (cut at the protocol's 262144-byte record), then
%%   `{epcap, eof}', or `{epcap, {error, Reason}}' where tcpdump fails,
%%   with the epcap process ending normally, so a linked caller that does
%%   not trap exits lives on;
%% * every pcapng file, against tshark (Wireshark's reader): epcap reads
%%   pcapng with its own reader (c_src/pcapng.c), which goes on where
%%   libpcap 1.10 stops (a second link type or snap length, a section in
%%   the other byte order). Each packet's link type, stamp, lengths and
%%   bytes must be tshark's, through the Erlang path and through
%%   `-r F -w - --pcapng' read back by tshark, and `-r -' must write what
%%   `-r F' writes. The files: those above, those of pcapng_files/0
%%   (Simple and obsolete Packet Blocks, blocks to skip, if_tsresol and
%%   if_tsoffset variants, sections in both byte orders, interface
%%   options) and one mergecap writes from pcap files of two link types;
%% * pcapng with several link types in a pcap stream: a pcap file holds
%%   one link type, so `-r F -w -' stops at the first packet of another,
%%   as tcpdump does, after every packet before it (the documented rule;
%%   --pcapng keeps them all).
%%
%% No privileges needed.
-module(epcap_corpus_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([
    shell_matches_tcpdump/1,
    shell_precision_option/1,
    shell_write_file_matches_stdout/1,
    pcapng_output_reads_back/1,
    erlang_matches_tcpdump/1,
    damage_ends_file_not_caller/1,
    link_types_in_written_files/1,
    dump_matches_shell/1,
    several_link_types_against_tshark/1,
    pcapng_against_tshark/1,
    stdin_matches_file/1,
    interfaces_reported/1,
    pcapng_output_keeps_interfaces/1,
    filter_per_link_type/1
]).

-define(MAX_RECORD, 262144).

all() ->
    [shell_matches_tcpdump, shell_precision_option,
     shell_write_file_matches_stdout, pcapng_output_reads_back,
     erlang_matches_tcpdump, damage_ends_file_not_caller,
     link_types_in_written_files, dump_matches_shell,
     several_link_types_against_tshark, pcapng_against_tshark,
     stdin_matches_file, interfaces_reported,
     pcapng_output_keeps_interfaces, filter_per_link_type].

%% Files libpcap 1.10 (so tcpdump) reads only in part: a section in the
%% other byte order, a section of another link type. epcap reads them
%% whole; pcapng_against_tshark compares them with tshark instead.
-define(LIBPCAP_PARTIAL, ["ng-sections.pcapng", "ng-sections-linktypes.pcapng"]).

init_per_suite(Config) ->
    case {os:find_executable("tcpdump"), os:find_executable("tshark")} of
        {false, _} -> {skip, "tcpdump is not installed (make test-deps)"};
        {_, false} -> {skip, "tshark is not installed (make test-deps)"};
        _ ->
            Dir = filename:join(?config(priv_dir, Config), "corpus"),
            ok = filelib:ensure_path(Dir),
            Files = [begin
                         Path = filename:join(Dir, Name),
                         ok = file:write_file(Path, Bin),
                         {Name, Path, Prec}
                     end || {Name, Prec, Bin} <- epcap_corpus:files()],
            Ng = [begin
                      Path = filename:join(Dir, Name),
                      ok = file:write_file(Path, Bin),
                      {Name, Path}
                  end || {Name, Bin} <- [{"ng-linktypes.pcapng",
                                          epcap_corpus:multi_linktype()}
                                         | epcap_corpus:pcapng_files()]],
            Merged = merged(Dir, Files),
            [{corpus, [F || {N, _, _} = F <- Files,
                            not lists:member(N, ?LIBPCAP_PARTIAL)]},
             {pcapng, [{N, P} || {N, P, _} <- Files,
                                 filename:extension(N) =:= ".pcapng",
                                 N =/= "ng-trunc.pcapng"] ++ Ng ++ Merged},
             {epcap, epcap_opts:default_progname()} | Config]
    end.

end_per_suite(_Config) ->
    ok.

%%--------------------------------------------------------------------
%% Running the readers

%% {ExitStatus, StdoutBytes}; stderr is kept apart (it is not the file).
run(Exe, Args) ->
    epcap_test_lib:cmd(Exe, Args, #{stderr => keep, output => binary,
                                    timeout => 30000}).

tcpdump(Prec, File, Extra) ->
    run(os:find_executable("tcpdump"),
        ["--time-stamp-precision=" ++ atom_to_list(Prec), "-r", File,
         "-w", "-" | Extra]).

shell(Config, File, Extra) ->
    run(?config(epcap, Config), ["-r", File, "-w", "-" | Extra]).

same_exit(TdStatus, EpStatus) ->
    (TdStatus =:= 0) =:= (EpStatus =:= 0).

%%--------------------------------------------------------------------
%% Cases

shell_matches_tcpdump(Config) ->
    [begin
         {TdS, Td} = tcpdump(Prec, Path, []),
         {EpS, Ep} = shell(Config, Path, []),
         ?assert(same_exit(TdS, EpS), {Name, TdS, EpS}),
         ?assertEqual(Td, Ep, Name)
     end || {Name, Path, Prec} <- ?config(corpus, Config)],
    %% The damaged files do stop both readers, after good packets.
    [begin
         {_, P, _} = lists:keyfind(Name, 1, ?config(corpus, Config)),
         {S, Out} = shell(Config, P, []),
         ?assertNotEqual(0, S),
         ?assertEqual(N, length(packets(Out)), Name)
     end || {Name, N} <- [{"trunc-record-header.pcap", 8},
                          {"trunc-record-data.pcap", 7},
                          {"bad-caplen.pcap", 8},
                          {"ng-trunc.pcapng", 7}]].

%% --time-stamp-precision with -r does what it says, for either
%% precision of file and of output.
shell_precision_option(Config) ->
    [begin
         {TdS, Td} = tcpdump(Want, Path, []),
         {EpS, Ep} = shell(Config, Path,
                           ["--time-stamp-precision", atom_to_list(Want)]),
         ?assert(same_exit(TdS, EpS), {Name, Want}),
         ?assertEqual(Td, Ep, {Name, Want})
     end || {Name, Path, _} <- ?config(corpus, Config), Want <- [micro, nano]].

%% -w FILE writes what -w - does, damage included.
shell_write_file_matches_stdout(Config) ->
    Dir = ?config(priv_dir, Config),
    [begin
         Out = filename:join(Dir, Name ++ ".out"),
         {S1, Stdout} = shell(Config, Path, []),
         {S2, <<>>} = run(?config(epcap, Config), ["-r", Path, "-w", Out]),
         ?assertEqual(S1, S2),
         {ok, Written} = file:read_file(Out),
         ?assertEqual(Stdout, Written, Name)
     end || {Name, Path, _} <- ?config(corpus, Config),
            Name =/= "trunc-file-header.pcap"].

%% --pcapng: what tcpdump reads from it is what it reads from the file.
pcapng_output_reads_back(Config) ->
    Dir = ?config(priv_dir, Config),
    [begin
         {S, Ng} = shell(Config, Path, ["--pcapng"]),
         NgFile = filename:join(Dir, Name ++ ".ng"),
         ok = file:write_file(NgFile, Ng),
         {_, Want} = tcpdump(nano, Path, []),
         {_, Got} = tcpdump(nano, NgFile, []),
         ?assertEqual(packets(Want), packets(Got), {Name, S})
     end || {Name, Path, _} <- ?config(corpus, Config),
            Name =/= "trunc-file-header.pcap",
            %% pcapng's 64-bit stamp cannot carry a pcap fraction of a
            %% second or more apart from its seconds.
            not lists:prefix("stamps", Name)].

packets(Bin) ->
    {ok, #{packets := Ps}} = epcap_samplegen:parse(Bin),
    Ps.

erlang_matches_tcpdump(Config) ->
    [begin
         {TdS, Td} = tcpdump(nano, Path, []),
         Want = case TdS =:= 0 orelse Td =/= <<>> of
                    true -> [{S * 1000000000 + F, L, cut(D)} || {S, F, L, D} <- packets(Td)];
                    false -> no_file
                end,
         case erlang_read(Path) of
             {error, {file, Path, _}} ->
                 ?assertEqual(no_file, Want, Name);
             {Got, End} ->
                 ?assertEqual(Want, Got, Name),
                 case TdS of
                     0 -> ?assertEqual(eof, End, Name);
                     _ -> ?assertMatch({error, {capture, _}}, End, Name)
                 end
         end
     end || {Name, Path, _} <- ?config(corpus, Config)].

cut(D) when byte_size(D) > ?MAX_RECORD -> binary:part(D, 0, ?MAX_RECORD);
cut(D) -> D.

%% Read a file through the Erlang API from a process that is linked to
%% the epcap process and does not trap exits: it must outlive the end of
%% the file, damaged or not. {Packets, eof | {error, Reason}}.
erlang_read(Path) ->
    Self = self(),
    {Pid, Mon} = spawn_monitor(fun() ->
        process_flag(trap_exit, false),
        case epcap:start_link([{file, Path}, {time_unit, nanosecond}]) of
            {ok, E} ->
                EMon = monitor(process, E),
                Result = read_all(E, []),
                Why = receive {'DOWN', EMon, process, E, W} -> W
                      after 5000 -> still_running end,
                %% A duration is what is tested: no linked exit signal
                %% has come within 50 ms of the end.
                timer:sleep(50),
                Self ! {self(), Result, Why, epcap:info(E)};
            {error, _} = Error ->
                Self ! {self(), Error}
        end
    end),
    receive
        {Pid, {error, _} = Error} ->
            Error;
        {Pid, {Packets, End}, Why, Info} ->
            receive {'DOWN', Mon, process, Pid, R} -> ?assertEqual(normal, R)
            after 5000 -> ct:fail(reader_stuck) end,
            ?assertEqual(normal, Why),
            ?assertEqual({error, closed}, Info),
            {Packets, End};
        {'DOWN', Mon, process, Pid, R} ->
            ct:fail({caller_died, R})
    after 30000 ->
        ct:fail(no_result)
    end.

read_all(E, Acc) ->
    receive
        {packet, _DLT, T, L, D} -> read_all(E, [{T, L, D} | Acc]);
        {epcap, eof} -> {lists:reverse(Acc), eof};
        {epcap, {error, _} = Error} -> {lists:reverse(Acc), Error}
    after 10000 -> ct:fail({no_end, length(Acc)})
    end.

%% A damaged file, read by an owner that is not linked: the good packets,
%% then one message naming the damage, then nothing; also with a passive
%% owner, which gets the end only after what is held.
damage_ends_file_not_caller(Config) ->
    [{_, Path, _}] = [F || {"trunc-record-data.pcap", _, _} = F <- ?config(corpus, Config)],
    {ok, Pid} = epcap:start(self(), [{file, Path}, {active, 3}]),
    Ref = monitor(process, Pid),
    receive {epcap_passive, Pid} -> ok after 5000 -> ct:fail(not_passive) end,
    %% The port has met the damage and exited (the capture is closed):
    %% what it sent is held.
    epcap_test_lib:wait_closed(Pid),
    ?assert(is_process_alive(Pid)),
    ok = epcap:setopts(Pid, [{active, true}]),
    {Packets, End} = read_all(Pid, []),
    %% The first three were sent before the owner went passive.
    ?assertEqual(7, length(Packets)),
    ?assertMatch({error, {capture, "" ++ _}}, End),
    receive {'DOWN', Ref, process, Pid, normal} -> ok
    after 5000 -> ct:fail(not_stopped)
    end,
    ?assertEqual([], epcap_test_packets:drain_messages()).

%% The link type in a written file is the LINKTYPE_ value, upper bits
%% kept; the Erlang side gets the DLT, as libpcap numbers it here.
link_types_in_written_files(Config) ->
    Files = ?config(corpus, Config),
    %% Started as root, the port writes its dump files as nobody.
    Dir = filename:join(?config(priv_dir, Config), "dumps"),
    ok = filelib:ensure_path(Dir),
    ok = file:change_mode(Dir, 8#1777),
    ok = file:change_mode(?config(priv_dir, Config), 8#755),
    [begin
         {_, Path, _} = lists:keyfind(Name, 1, Files),
         {0, <<_:20/binary, LT:32/little, _/binary>>} = shell(Config, Path, []),
         ?assertEqual(Want, LT, Name),
         {0, Ng} = shell(Config, Path, ["--pcapng"]),
         ?assertEqual(Want band 16#FFFF, ng_linktype(Ng), Name),
         Dump = filename:join(Dir, "dump-" ++ Name),
         {_, _} = epcap_test_packets:file_capture([{file, Path}, {dump, Dump}]),
         {ok, <<_:20/binary, DumpLT:32/little, _/binary>>} = file:read_file(Dump),
         ?assertEqual(Want, DumpLT, Name),
         {[{DLT, _, _, _} | _], []} = epcap_test_packets:file_capture([{file, Path}]),
         ?assertEqual(Dlt, DLT, Name)
     end || {Name, Want, Dlt} <- [{"rawip.pcap", 101, 12},
                                  {"fcs.pcap", 16#30000001, 1},
                                  {"sll.pcap", 113, 113},
                                  {"ipv4.pcap", 228, 228},
                                  {"micro-be.pcap", 1, 1}]].

%% A dump file written while the Erlang side reads the file holds what
%% `-r F -w -' writes, byte for byte: the same header, the file's own
%% precision, every good packet before any damage, nothing cut.
dump_matches_shell(Config) ->
    Dir = filename:join(?config(priv_dir, Config), "dumps-all"),
    ok = filelib:ensure_path(Dir),
    ok = file:change_mode(Dir, 8#1777),
    ok = file:change_mode(?config(priv_dir, Config), 8#755),
    [begin
         Dump = filename:join(Dir, Name),
         {ok, Pid} = epcap:start_link([{file, Path}, {dump, Dump}]),
         Ref = monitor(process, Pid),
         {_, End} = read_all(Pid, []),
         receive {'DOWN', Ref, process, Pid, normal} -> ok
         after 10000 -> ct:fail({not_stopped, Name})
         end,
         {S, Shell} = shell(Config, Path, []),
         ?assertEqual(S =:= 0, End =:= eof, Name),
         {ok, Written} = file:read_file(Dump),
         ?assertEqual(Shell, Written, Name)
     end || {Name, Path, _} <- ?config(corpus, Config),
            Name =/= "trunc-file-header.pcap"].

ng_linktype(<<16#0a0d0d0a:32/little, ShbLen:32/little, Rest/binary>>) ->
    Skip = ShbLen - 8,
    <<_:Skip/binary, 1:32/little, _:32, LT:16/little, _/binary>> = Rest,
    LT.

%% What mergecap (Wireshark's) writes from two pcap files of different
%% link types: a pcapng file with one interface each. [] without mergecap.
merged(Dir, Files) ->
    case os:find_executable("mergecap") of
        false -> [];
        Exe ->
            Out = filename:join(Dir, "merged.pcapng"),
            Ins = [P || {N, P, _} <- Files,
                        lists:member(N, ["micro-le.pcap", "rawip.pcap",
                                         "sll.pcap"])],
            {0, _} = run(Exe, ["-w", Out | Ins]),
            [{"merged.pcapng", Out}]
    end.

%% tshark's packets: {Encap, Nanoseconds, Length, Captured bytes}, the
%% records that are not packets (custom blocks tshark shows) left out. A
%% Simple Packet Block has no time stamp: tshark shows none, epcap (as
%% libpcap) 0.
tshark(Path) ->
    Tshark = os:find_executable("tshark"),
    {0, Fields} = run(Tshark, ["-r", Path, "-T", "fields",
                               "-e", "frame.encap_type", "-e", "frame.time_epoch",
                               "-e", "frame.len", "-e", "frame.cap_len"]),
    {0, Json} = run(Tshark, ["-r", Path, "-T", "jsonraw"]),
    {match, Raw} = re:run(Json, "\"frame_raw\": \\[\\s*\"([0-9a-f]*)\"",
                          [global, {capture, all_but_first, binary}]),
    Lines = binary:split(Fields, <<"\n">>, [global, trim_all]),
    ?assertEqual(length(Lines), length(Raw), Path),
    [{binary_to_integer(Encap), ns(Time), binary_to_integer(Len),
      binary:decode_hex(Hex)}
     || {Line, [Hex]} <- lists:zip(Lines, Raw),
        [Encap, Time, Len, _Cap] <- [binary:split(Line, <<"\t">>, [global])],
        Encap =/= <<>>].

ns(<<>>) -> 0;
ns(T) ->
    [S, F] = binary:split(T, <<".">>),
    binary_to_integer(S) * 1000000000 +
        binary_to_integer(binary:part(<<F/binary, "000000000">>, 0, 9)).

%% Wireshark's encapsulation for each link type the files use, as the
%% Erlang side's DLT: Ethernet, raw IP (LINKTYPE 101, DLT 12 here),
%% Linux cooked.
dlt_of_encap(1) -> 1;
dlt_of_encap(7) -> 12;
dlt_of_encap(25) -> 113.

%% pcapng with several link types in one section (tcpdump's own test file
%% has the same shape): every packet on the Erlang path, 24 as tshark
%% reads; a pcap stream stops at the second link type as tcpdump's does,
%% with the same packets before it; --pcapng keeps all.
several_link_types_against_tshark(Config) ->
    {_, Path} = lists:keyfind("ng-linktypes.pcapng", 1, ?config(pcapng, Config)),
    Tshark = tshark(Path),
    ?assertEqual(24, length(Tshark)),
    {Got, End} = erlang_read_dlt(Path, []),
    ?assertEqual(eof, End),
    ?assertEqual([{dlt_of_encap(E), T, L, D} || {E, T, L, D} <- Tshark], Got),
    {TdS, Td} = tcpdump(micro, Path, []),
    {EpS, Ep} = shell(Config, Path, []),
    ?assert(same_exit(TdS, EpS)),
    ?assertNotEqual(0, EpS),
    ?assertEqual(Td, Ep),
    ?assertEqual(8, length(packets(Ep))),
    {0, Ng} = shell(Config, Path, ["--pcapng"]),
    ?assertEqual(Tshark, tshark(write(Config, "linktypes-out.pcapng", Ng))).

write(Config, Name, Bin) ->
    Out = filename:join(?config(priv_dir, Config), Name),
    ok = file:write_file(Out, Bin),
    Out.

%% Every pcapng file, packet for packet against tshark, on both paths.
pcapng_against_tshark(Config) ->
    [begin
         Tshark = tshark(Path),
         ?assertNotEqual([], Tshark, Name),
         {Got, End} = erlang_read_dlt(Path, []),
         ?assertEqual(eof, End, Name),
         ?assertEqual([{dlt_of_encap(E), T, L, cut(D)} || {E, T, L, D} <- Tshark],
                      Got, Name),
         {0, Ng} = shell(Config, Path, ["--pcapng"]),
         ?assertEqual(Tshark, tshark(write(Config, Name ++ ".out", Ng)), Name)
     end || {Name, Path} <- ?config(pcapng, Config)].

%% -r -: a capture stream on standard input gives what the file gives,
%% pcap or pcapng, damaged or not.
stdin_matches_file(Config) ->
    Files = [{N, P} || {N, P, _} <- ?config(corpus, Config)] ++
            ?config(pcapng, Config),
    [begin
         Opts = case filename:extension(Name) of
                    ".pcapng" -> ["--pcapng"];
                    _ -> []
                end,
         {S1, Want} = shell(Config, Path, Opts),
         Cmd = lists:flatten(io_lib:format("exec ~ts -r - -w - ~ts < '~ts'",
                                           [?config(epcap, Config),
                                            lists:join(" ", Opts), Path])),
         {S2, Got} = run(os:find_executable("sh"), ["-c", Cmd]),
         ?assertEqual({S1, Want}, {S2, Got}, Name)
     end || {Name, Path} <- Files, Name =/= "trunc-file-header.pcap"].

%% {interface_info, true}: each interface's name, description, link type,
%% snap length, resolution and filter, and each packet's interface.
interfaces_reported(Config) ->
    {_, Path} = lists:keyfind("ng-if-options.pcapng", 1, ?config(pcapng, Config)),
    {ok, E} = epcap:start_link([{file, Path}, {time_unit, nanosecond},
                                {interface_info, true}]),
    Packets = read_if(E, []),
    ?assertEqual(16, length(Packets)),
    ?assertEqual(lists:flatten(lists:duplicate(8, [{1, 0}, {12, 1}])),
                 [{D, I} || {packet, D, _, _, _, I} <- Packets]),
    {ok, Ifs} = epcap:interfaces(E),
    ?assertEqual(
       [#{index => 0, datalink => 1, snaplen => 65535, tsresol => 6,
          name => <<"eth0">>, description => <<"uplink">>,
          filter => <<"tcp or udp">>},
        #{index => 1, datalink => 12, snaplen => 65535, tsresol => 9,
          name => <<"tun0">>, description => <<>>, filter => <<>>}], Ifs),
    %% A pcap file has one interface, index 0, without a name.
    [{_, Pcap, _} | _] = ?config(corpus, Config),
    {ok, E2} = epcap:start_link([{file, Pcap}, {interface_info, true}]),
    [_ | _] = read_if(E2, []),
    ?assertMatch({ok, [#{index := 0, datalink := 1, name := <<>>}]},
                 epcap:interfaces(E2)),
    ok = epcap:stop(E2).

read_if(E, Acc) ->
    receive
        {packet, _, _, _, _, _} = P -> read_if(E, [P | Acc]);
        {epcap, eof} -> lists:reverse(Acc)
    after 10000 -> ct:fail({no_end, length(Acc)})
    end.

%% `-r F -w - --pcapng' keeps every interface with its options, the
%% file's statistics blocks, and says which OS and application wrote it;
%% --capture-comment is the section's comment. capinfos reads it all.
pcapng_output_keeps_interfaces(Config) ->
    case os:find_executable("capinfos") of
        false -> {skip, "capinfos is not installed"};
        Capinfos ->
            Ng = ?config(pcapng, Config),
            {_, Opts} = lists:keyfind("ng-if-options.pcapng", 1, Ng),
            {0, Out} = shell(Config, Opts, ["--pcapng", "--capture-comment",
                                            "from epcap_corpus_SUITE"]),
            {0, Info} = run(Capinfos, [write(Config, "opts.pcapng", Out)]),
            [?assertMatch({match, _}, re:run(Info, Re), Re)
             || Re <- ["Capture comment: +from epcap_corpus_SUITE",
                       "Capture application: +epcap ",
                       "Capture oper-sys: +\\S",
                       "Number of interfaces in file: 2",
                       "Name = eth0", "Description = uplink",
                       "Filter string = tcp or udp", "Name = tun0"]],
            {_, Skipped} = lists:keyfind("ng-skipped-blocks.pcapng", 1, Ng),
            {0, Out2} = shell(Config, Skipped, ["--pcapng"]),
            {0, Info2} = run(Capinfos, [write(Config, "isb.pcapng", Out2)]),
            ?assertMatch({match, _}, re:run(Info2, "Number of stat entries = 1"))
    end.

%% The filter is compiled once per link type: `ip' on Ethernet, raw IP
%% and Linux cooked interfaces alike; one that cannot compile for one
%% interface's link type is an error that names the interface.
filter_per_link_type(Config) ->
    {_, Path} = lists:keyfind("ng-sections-mixed.pcapng", 1, ?config(pcapng, Config)),
    Want = [P || {_, _, L, _} = P <- tshark(Path), L > 100],
    {0, Ng} = shell(Config, Path, ["--pcapng", "greater", "100"]),
    ?assertEqual(Want, tshark(write(Config, "greater.pcapng", Ng))),
    {Got, eof} = erlang_read_dlt(Path, [{filter, "greater 100"}]),
    ?assertEqual(length(Want), length(Got)),
    ?assertMatch({error, {bad_filter, "filter on interface 0" ++ _}},
                 epcap:start([{file, Path}, {filter, "ether host 1:2:3:4:5:6"}])).

%% The Erlang path with each packet's link type: {Packets, End}.
erlang_read_dlt(Path, Opts) ->
    {ok, E} = epcap:start_link([{file, Path}, {time_unit, nanosecond} | Opts]),
    read_dlt(E, []).

read_dlt(E, Acc) ->
    receive
        {packet, DLT, T, L, D} -> read_dlt(E, [{DLT, T, L, D} | Acc]);
        {epcap, eof} -> {lists:reverse(Acc), eof};
        {epcap, {error, _} = Error} -> {lists:reverse(Acc), Error}
    after 10000 -> ct:fail({no_end, length(Acc)})
    end.
