%% @doc The classic epcap API, called the way its README and its sniff
%% example call it, unchanged.
%%
%%   * the README's calls: start/0,1 and start_link/0,1 (the /0 forms on
%%     libpcap's first device) with the classic
%%     option list (every option of its Types, with the classic's value
%%     forms), send/2 with {inject, true}, the PF_RING example
%%     ({cluster_id, 2}, {cpu_affinity, "1,3,5-7"}) and the strace
%%     example's {exec, Prefix};
%%   * a wrapper in the shape of the classic sniff example: its own
%%     options ({format, [hex]}) go to epcap:start_link with the rest,
%%     with {chroot, "priv/tmp"}, a relative directory that does not
%%     exist yet and that epcap makes, as the classic did;
%%   * what the classic accepted: numbers as strings, the last of a
%%     repeated option, {timeout, -1}, {buffer, 1024}, monitor mode on a
%%     wired link; each unknown option and each adjusted value is one
%%     logger warning.
%%
%% Capture files need no privilege; live cases need root (lo only):
%% skipped otherwise, a failure under CI=true.
-module(epcap_classic_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, groups/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_group/2, end_per_group/2, init_per_testcase/2,
         end_per_testcase/2]).
-export([log/2]).
-export([
    readme_file_calls/1,
    numbers_as_strings/1,
    last_option_wins/1,
    unknown_options_warn_once/1,
    small_buffer_and_timeout_minus_one/1,
    readme_live_calls/1,
    readme_pf_ring_example/1,
    readme_exec_example/1,
    send_with_inject/1,
    sniff_wrapper_with_format_and_chroot/1,
    monitor_on_wired_link_warns/1
]).

suite() ->
    [{timetrap, {seconds, 60}}].

all() ->
    [{group, file}, {group, live}].

groups() ->
    [{file, [], [readme_file_calls, numbers_as_strings, last_option_wins,
                 unknown_options_warn_once, small_buffer_and_timeout_minus_one]},
     {live, [], [readme_live_calls, readme_pf_ring_example, readme_exec_example,
                 send_with_inject, sniff_wrapper_with_format_and_chroot,
                 monitor_on_wired_link_warns]}].

init_per_suite(Config) ->
    File = filename:join(?config(priv_dir, Config), "classic.pcap"),
    ok = epcap_samplegen:write_synthetic(File, 9, 60, #{}),
    [{file, File} | Config].

end_per_suite(_Config) ->
    ok.

init_per_group(live, Config) ->
    epcap_test_lib:require_root(Config);
init_per_group(_, Config) ->
    Config.

end_per_group(_, _Config) ->
    ok.

%% Every warning epcap logs during a case is sent to the case's process.
init_per_testcase(_Case, Config) ->
    ok = logger:add_handler(epcap_classic_warnings, ?MODULE,
                            #{level => warning, config => #{to => self()}}),
    Config.

end_per_testcase(_Case, _Config) ->
    _ = logger:remove_handler(epcap_classic_warnings),
    epcap_test_lib:stop_linked_epcaps(),
    epcap_test_packets:flush_packets(),
    ok.

%% @private logger handler callback: epcap's events (they start so).
log(#{msg := Msg}, #{config := #{to := To}}) ->
    Text = text(Msg),
    case string:prefix(Text, "epcap") of
        nomatch -> ok;
        _ -> To ! {warning, Text}
    end.

text({string, S}) -> unicode:characters_to_list(S);
text({report, R}) -> lists:flatten(io_lib:format("~p", [R]));
text({F, A}) -> lists:flatten(io_lib:format(F, A)).

warnings() ->
    receive {warning, W} -> [W | warnings()]
    after 200 -> []
    end.

%% The packets of a file read to its end with these options.
read_file(Opts) ->
    {ok, _} = epcap:start_link(Opts),
    count(0).

count(N) ->
    receive
        {packet, DLT, {Mega, Sec, Micro}, Len, Bin} when is_integer(DLT),
            is_integer(Mega), is_integer(Sec), is_integer(Micro),
            is_integer(Len), is_binary(Bin) ->
            count(N + 1);
        {packet, _, Time, _, _} when is_integer(Time) ->
            count(N + 1);
        {epcap, eof} ->
            N
    after 10000 ->
        ct:fail({timeout, N})
    end.

%%--------------------------------------------------------------------
%% Capture files

readme_file_calls(Config) ->
    File = ?config(file, Config),
    ?assertEqual(9, read_file([{file, File}])),
    ?assertEqual(9, read_file([{file, File}, {time_unit, microsecond}])),
    ?assertEqual(9, read_file([{file, File}, {time_unit, timestamp},
                               {snaplen, 65535}, {filter, ""}])),
    {ok, Pid} = epcap:start([{file, File}]),
    ?assertEqual(9, count(0)),
    ?assertEqual([], warnings()),
    ?assert(is_pid(Pid)).

numbers_as_strings(Config) ->
    File = ?config(file, Config),
    ?assertEqual(9, read_file([{file, File}, {snaplen, "64"}])),
    ?assertMatch(["-s", "64" | _], tl(tl(tl(epcap:getopts([{snaplen, "64"}]))))),
    ?assertEqual([], warnings()).

last_option_wins(Config) ->
    File = ?config(file, Config),
    %% The classic took the last: this reads the file, not "missing".
    ?assertEqual(9, read_file([{file, "missing.pcap"}, {file, File}])),
    [_, "--credit", _, "-s", "100"] =
        epcap:getopts([{snaplen, 50}, {snaplen, 100}]).

unknown_options_warn_once(Config) ->
    File = ?config(file, Config),
    ?assertEqual(9, read_file([{format, [hex]}, {file, File}, {colour, blue}])),
    W = warnings(),
    ct:log("~p", [W]),
    ?assertEqual(2, length(W)),
    ?assertNotEqual(nomatch, string:find(lists:nth(1, W), "format")),
    ?assertNotEqual(nomatch, string:find(lists:nth(2, W), "colour")),
    %% A bad value of a known option is still an error.
    ?assertEqual({error, {badarg, {snaplen, 0}}},
                 epcap:start_link([{file, File}, {snaplen, 0}])).

%% getopts/1 is a question: it logs nothing (issue 17, item 9); the
%% start says what it changed, once.
small_buffer_and_timeout_minus_one(Config) ->
    [_, "--credit", _, "-B", "65536", "-t", "adaptive"] =
        epcap:getopts([{buffer, 1024}, {timeout, -1}]),
    ?assertEqual([], warnings()),
    ?assertEqual(9, read_file([{buffer, 1024}, {file, ?config(file, Config)}])),
    W = warnings(),
    ?assertMatch([_], W),
    ?assertNotEqual(nomatch, string:find(hd(W), "buffer")).

%%--------------------------------------------------------------------
%% Live, on lo

%% UDP datagrams to ourselves on lo, caught with this filter.
udp_traffic() ->
    {ok, S} = gen_udp:open(0, [{ip, {127, 0, 0, 1}}]),
    {ok, P} = inet:port(S),
    {S, P, "udp dst port " ++ integer_to_list(P)}.

send_udp({S, P, _}, N) ->
    [ok = gen_udp:send(S, {127, 0, 0, 1}, P, <<"classic">>) || _ <- lists:seq(1, N)],
    ok.

expect_packets(N) ->
    ?assertEqual(N, length(epcap_test_packets:collect(N, 5000))).

readme_live_calls(_Config) ->
    Traffic = {_, _, Filter} = udp_traffic(),
    %% Every option of the classic's Types, with the classic's forms.
    Opts = [{interface, "lo"}, {filter, Filter}, {promiscuous, true},
            {monitor, false}, {inject, false}, {snaplen, 65535},
            {buffer, 1048576}, {time_unit, microsecond}, {direction, inout},
            {timeout, 10}, {env, "PCAP_CLASSIC=1"}],
    {ok, Ref} = epcap:start_link(Opts),
    send_udp(Traffic, 3),
    expect_packets(3),
    ok = epcap:stop(Ref),
    {ok, Ref2} = epcap:start([{interface, "lo"}, {filter, Filter},
                              {timeout, immediate}]),
    send_udp(Traffic, 2),
    expect_packets(2),
    ok = epcap:stop(Ref2),
    {ok, Ref3} = epcap:start_link([{interface, "lo"}, {filter, Filter},
                                   {timeout, infinity}, {time_unit, timestamp}]),
    ok = epcap:stop(Ref3),
    %% epcap:start() and epcap:start_link(): libpcap's first device,
    %% whatever it is here, stopped at once.
    {ok, Ref4} = epcap:start(),
    ?assertMatch({ok, #{source := live}}, epcap:info(Ref4)),
    ok = epcap:stop(Ref4),
    {ok, Ref5} = epcap:start_link(),
    ok = epcap:stop(Ref5),
    epcap_test_packets:flush_packets().

%% epcap:start_link([{interface, "lo"}, {cluster_id, 2},
%%                   {cpu_affinity, "1,3,5-7"}]).
readme_pf_ring_example(_Config) ->
    Traffic = {_, _, Filter} = udp_traffic(),
    {ok, Ref} = epcap:start_link([{interface, "lo"}, {cluster_id, 2},
                                  {cpu_affinity, "1,3,5-7"}, {filter, Filter}]),
    send_udp(Traffic, 2),
    expect_packets(2),
    ok = epcap:stop(Ref).

%% epcap:start([{exec, "sudo strace ..."}, {filter, "port 9997"}]): a
%% command prefix; here sudo alone, the classic's default.
readme_exec_example(_Config) ->
    Traffic = {_, _, Filter} = udp_traffic(),
    {ok, Ref} = epcap:start([{exec, "sudo -n"}, {interface, "lo"},
                             {filter, Filter}]),
    send_udp(Traffic, 1),
    expect_packets(1),
    ok = epcap:stop(Ref).

send_with_inject(_Config) ->
    {ok, Ref} = epcap:start_link([{interface, "lo"}, {inject, true},
                                  {filter, "ether proto 0x88b5"}]),
    Frame = <<0:48, 0:48, 16#88b5:16, "classic inject">>,
    ok = epcap:send(Ref, Frame),
    [{packet, _, _, _, Got}] = epcap_test_packets:collect(1, 5000),
    ?assertEqual(Frame, Got),
    ok = epcap:stop(Ref).

%% The classic sniff example: its caller's options, its own among them,
%% all handed to epcap, with a relative chroot that does not exist yet.
sniff_wrapper_with_format_and_chroot(Config) ->
    Dir = filename:join(?config(priv_dir, Config), "sniffdir"),
    ok = filelib:ensure_path(Dir),
    {ok, Cwd} = file:get_cwd(),
    ok = file:set_cwd(Dir),
    try
        Traffic = {_, _, Filter} = udp_traffic(),
        Opts = [{format, [hex]}, {chroot, "priv/tmp"}, {filter, Filter},
                {interface, "lo"}],
        Self = self(),
        Sniff = spawn_link(fun() -> sniff_init(Self, Opts) end),
        receive {sniff_started, Sniff} -> ok after 15000 -> ct:fail(sniff_start) end,
        ?assert(filelib:is_dir(filename:join(Dir, "priv/tmp"))),
        send_udp(Traffic, 2),
        ?assertEqual(2, length(receive_sniffed(2))),
        ?assertMatch([_], [W || W <- warnings(), string:find(W, "format") =/= nomatch]),
        Sniff ! stop
    after
        file:set_cwd(Cwd)
    end.

sniff_init(Parent, Opts) ->
    Format = proplists:get_value(format, Opts, []),
    {ok, Ref} = epcap:start_link(Opts),
    Parent ! {sniff_started, self()},
    sniff_loop(Parent, Ref, Format).

sniff_loop(Parent, Ref, Format) ->
    receive
        {packet, _DLT, _Time, _Len, Data} ->
            Parent ! {sniffed, [hex || lists:member(hex, Format)], Data},
            sniff_loop(Parent, Ref, Format);
        stop ->
            epcap:stop(Ref)
    end.

receive_sniffed(0) -> [];
receive_sniffed(N) ->
    receive {sniffed, [hex], D} -> [D | receive_sniffed(N - 1)]
    after 5000 -> []
    end.

%% lo has no monitor mode: the classic ignored it; a warning now.
monitor_on_wired_link_warns(_Config) ->
    Traffic = {_, _, Filter} = udp_traffic(),
    case epcap:start_link([{interface, "lo"}, {monitor, true}, {filter, Filter}]) of
        {ok, Ref} ->
            send_udp(Traffic, 1),
            expect_packets(1),
            ok = epcap:stop(Ref),
            W = warnings(),
            ct:log("~p", [W]),
            ?assertMatch([_ | _], [X || X <- W, string:find(X, "monitor") =/= nomatch]);
        Other ->
            ct:fail({monitor_refused, Other})
    end.
