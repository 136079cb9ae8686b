%% Capture files written by the port itself ({dump, Path}, like dumpcap
%% -w): besides or instead of delivery, pcap or pcapng, rotation by size
%% and time, a ring of files, ownership by the unprivileged user, errors.
-module(epcap_dump_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include_lib("kernel/include/file.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1, init_per_testcase/2,
         end_per_testcase/2]).
-export([
    dump_besides_delivery/1,
    dump_pcapng/1,
    dump_only/1,
    ring_by_size/1,
    rotate_by_time/1,
    files_belong_to_the_unprivileged_user/1,
    unwritable_directory/1,
    bad_dump_options/1
]).

all() ->
    [dump_besides_delivery, dump_pcapng, dump_only, ring_by_size,
     rotate_by_time, files_belong_to_the_unprivileged_user,
     unwritable_directory, bad_dump_options].

init_per_suite(Config) ->
    Priv = ?config(priv_dir, Config),
    Sample = filename:join(Priv, "sample.pcap"),
    ok = epcap_samplegen:write(Sample, epcap_samplegen:sample_packets(), #{}),
    Many = filename:join(Priv, "many.pcap"),
    ok = epcap_samplegen:write_synthetic(Many, 50000, 100, #{}),
    [{sample, Sample}, {many, Many} | Config].

end_per_suite(_Config) ->
    ok.

%% Each case writes into a fresh directory anyone may write to: started as
%% root, the port runs as nobody.
init_per_testcase(Case, Config) ->
    Dir = filename:join(?config(priv_dir, Config), atom_to_list(Case)),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    ok = file:change_mode(Dir, 8#1777),
    ok = file:change_mode(?config(priv_dir, Config), 8#755),
    [{dir, Dir} | Config].

end_per_testcase(_Case, _Config) ->
    ok.

%%--------------------------------------------------------------------

run(Opts) ->
    {ok, P} = epcap:start_link(Opts),
    Ref = monitor(process, P),
    N = length(epcap_test_packets:file_packets()),
    receive {'DOWN', Ref, process, P, normal} -> ok
    after 10000 -> ct:fail(not_stopped)
    end,
    N.

read(File) ->
    {ok, #{packets := Ps}} = epcap_samplegen:read(File),
    Ps.

shapes(Ps) -> [{L, D} || {_, _, L, D} <- Ps].

files(Dir) ->
    lists:sort(filelib:wildcard(filename:join(Dir, "*"))).

%%--------------------------------------------------------------------

dump_besides_delivery(Config) ->
    Sample = ?config(sample, Config),
    Out = filename:join(?config(dir, Config), "copy.pcap"),
    N = length(epcap_samplegen:sample_packets()),
    ?assertEqual(N, run([{file, Sample}, {dump, Out}])),
    ?assertEqual(shapes(read(Sample)), shapes(read(Out))),
    %% tcpdump agrees.
    {ok, #{packets := Ps}} = tcpdump_read(Out),
    ?assertEqual(N, length(Ps)).

dump_pcapng(Config) ->
    Sample = ?config(sample, Config),
    Out = filename:join(?config(dir, Config), "copy.pcapng"),
    run([{file, Sample}, {dump, Out}, {dump_format, pcapng}, {filter, "tcp"}]),
    Tcp = [P || P <- read(Sample), is_tcp(P)],
    ?assert(length(Tcp) > 0),
    ?assertEqual(shapes(Tcp), shapes(read(Out))),
    {ok, #{packets := Ps}} = tcpdump_read(Out),
    ?assertEqual(length(Tcp), length(Ps)).

is_tcp({_, _, _, <<_:12/binary, 16#0800:16, _:9/binary, 6, _/binary>>}) -> true;
is_tcp({_, _, _, <<_:12/binary, 16#86dd:16, _:6/binary, 6, _/binary>>}) -> true;
is_tcp(_) -> false.

tcpdump_read(File) ->
    Out = File ++ ".tcpdump",
    [] = os:cmd("tcpdump -r " ++ File ++ " -w " ++ Out ++ " 2>/dev/null"),
    epcap_samplegen:read(Out).

dump_only(Config) ->
    Many = ?config(many, Config),
    Out = filename:join(?config(dir, Config), "only.pcap"),
    ?assertEqual(0, run([{file, Many}, {dump, Out}, {dump_only, true}])),
    ?assertEqual(50000, length(read(Out))).

%% 50000 records of 116 bytes in files of at most 256 KiB, keeping 3.
ring_by_size(Config) ->
    Dir = ?config(dir, Config),
    Out = filename:join(Dir, "ring.pcap"),
    run([{file, ?config(many, Config)}, {dump, Out}, {dump_size, 256 * 1024},
         {dump_files, 3}, {dump_only, true}]),
    Files = files(Dir),
    ?assertEqual(3, length(Files)),
    Names = [filename:basename(F) || F <- Files],
    [?assertMatch({match, _}, re:run(N, "^ring_[0-9]{5}\\.pcap$")) || N <- Names],
    Sizes = [begin {ok, #file_info{size = S}} = file:read_file_info(F), S end
             || F <- Files],
    %% Full files stop at the first record past the limit.
    [?assert(S >= 256 * 1024 andalso S < 256 * 1024 + 200) || S <- lists:droplast(Sizes)],
    %% The last three files hold the last packets, in order, and each is
    %% a complete capture file.
    Counts = [length(read(F)) || F <- Files],
    Total = 50000,
    {First, _} = string:to_integer(lists:sublist(hd(Names), 6, 5)),
    PerFile = hd(Counts),
    ?assertEqual(Total, (First - 1) * PerFile + lists:sum(Counts)).

rotate_by_time(Config) ->
    epcap_test_lib:require_root(Config) =:= Config orelse ct:fail(needs_root),
    Dir = ?config(dir, Config),
    Out = filename:join(Dir, "timed.pcap"),
    {ok, S} = gen_udp:open(0, [binary]),
    {ok, Port} = inet:port(S),
    {ok, P} = epcap:start_link([{interface, "lo"}, {dump, Out},
                                {dump_seconds, 1}, {dump_only, true},
                                {filter, "udp dst port " ++ integer_to_list(Port)}]),
    %% Twelve packets over about 2.6 seconds: a duration is what is
    %% tested (files of one second each).
    [begin ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32>>), timer:sleep(220) end
     || I <- lists:seq(1, 12)],
    ok = epcap:stop(P),
    Files = files(Dir),
    ?assert(length(Files) >= 2, Files),
    ?assertEqual(12, lists:sum([length(read(F)) || F <- Files])).

files_belong_to_the_unprivileged_user(Config) ->
    epcap_test_lib:require_root(Config) =:= Config orelse ct:fail(needs_root),
    Out = filename:join(?config(dir, Config), "owned.pcap"),
    run([{file, ?config(sample, Config)}, {dump, Out}]),
    {ok, #file_info{uid = Uid}} = file:read_file_info(Out),
    Nobody = epcap_test_install:uid("nobody"),
    ?assertEqual(Nobody, Uid).

unwritable_directory(Config) ->
    Dir = filename:join(?config(dir, Config), "locked"),
    ok = file:make_dir(Dir),
    ok = file:change_mode(Dir, 8#700),
    Out = filename:join(Dir, "x.pcap"),
    {error, {dump, Out, Msg}} = epcap:start_link([{file, ?config(sample, Config)},
                                                 {dump, Out}]),
    ?assertNotEqual(nomatch, string:find(Msg, "ermission denied")),
    Missing = filename:join([?config(dir, Config), "no", "such", "x.pcap"]),
    {error, {dump, Missing, _}} = epcap:start_link([{file, ?config(sample, Config)},
                                                   {dump, Missing}]).

bad_dump_options(_Config) ->
    [?assertEqual({error, {badarg, O}}, epcap:start_link([{file, "x"}, O]))
     || O <- [{dump, ""}, {dump_format, pcapx}, {dump_size, 0}, {dump_seconds, -1},
              {dump_files, 0}, {dump_only, maybe}]].
