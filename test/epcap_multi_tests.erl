%% EUnit tests of several live interfaces in one capture, the Erlang side
%% (issue 18 item 3): `{interface, [If1, If2, ...]}' checked and turned
%% into repeated -i, the IFSTATS command and its reply decoded from
%% literal bytes, each interface named as the caller gave it, and a
%% missing interface reported by its name as given. The live proof is
%% epcap_multi_erl_SUITE.
-module(epcap_multi_tests).

-include_lib("eunit/include/eunit.hrl").
-include("epcap_proto.hrl").

-define(ROOT, #{defaults => [], root => true}).

parse(Opts) ->
    epcap_opts:parse(Opts, ?ROOT).

%% The port's flags after the credit.
argv(Opts) ->
    {ok, C} = parse(Opts),
    ["--credit", _ | Rest] = epcap_opts:argv(C),
    Rest.

several_interfaces_argv_test() ->
    ?assertEqual(["-i", "veth0", "-i", "veth1", "--", "udp"],
                 argv([{interface, ["veth0", <<"veth1">>]}, {filter, "udp"}])),
    %% One name in a list is one interface; a charlist stays one name.
    ?assertEqual(["-i", "eth0"], argv([{interface, [<<"eth0">>]}])),
    ?assertEqual(["-i", "eth0"], argv([{interface, "eth0"}])),
    ?assertEqual(["-i", "any"], argv([{interface, ["any"]}])),
    %% The last interface option wins, as every option does.
    ?assertEqual(["-i", "b"], argv([{interface, ["a", "c"]}, {interface, "b"}])),
    {ok, #{source := Source}} = parse([{interface, [<<"é0"/utf8>>, "lo"]}]),
    ?assertEqual({interface, ["é0", "lo"]}, Source).

several_interfaces_badarg_test_() ->
    Max = [integer_to_list(N) || N <- lists:seq(1, ?EPCAP_LIVE_IFACES_MAX + 1)],
    Bad = [{interface, []}, {interface, ["lo", "lo"]},
           {interface, [<<"lo">>, "lo"]}, {interface, ["lo", ""]},
           {interface, ["lo", 42]}, {interface, ["lo" | <<"x">>]},
           {interface, ["lo", "a\0b"]}, {interface, [<<"lo">>, [a]]},
           {interface, ["lo", "any"]}, {interface, [<<"any">>, "lo"]},
           {interface, Max}],
    [?_assertEqual({error, {badarg, B}}, parse([B])) || B <- Bad] ++
    %% The most the port takes is fine.
    [?_assertMatch({ok, _}, parse([{interface, tl(Max)}]))].

several_interfaces_conflicts_test() ->
    Fanout = {fanout, #{group => 7, mode => hash}},
    ?assertEqual({error, {badarg, Fanout}},
                 parse([{interface, ["a", "b"]}, Fanout])),
    ?assertMatch({ok, _}, parse([{interface, ["a"]}, Fanout])),
    ?assertMatch({error, {badarg, {file, _}}},
                 parse([{file, "f"}, {interface, ["a", "b"]}])),
    %% -L lists one interface's link types.
    ?assertEqual({error, {badarg, {interface, ["a", "b"]}}},
                 epcap:datalinks(["a", "b"])).

capture_comment_test() ->
    Opts = [{dump, "/tmp/x.pcapng"}, {dump_format, pcapng}],
    ?assertEqual(["--dump", "/tmp/x.pcapng", "--dump-pcapng",
                  "--capture-comment", "two links"],
                 argv(Opts ++ [{capture_comment, <<"two links">>}])),
    %% pcap files have no comment; nor is there one without a file.
    ?assertEqual({error, {badarg, {capture_comment, "c"}}},
                 parse([{dump, "/tmp/x.pcap"}, {capture_comment, "c"}])),
    ?assertEqual({error, {badarg, {capture_comment, "c"}}},
                 parse([{capture_comment, "c"}])),
    [?assertEqual({error, {badarg, {capture_comment, V}}},
                  parse(Opts ++ [{capture_comment, V}]))
     || V <- ["", 42, "a\0b"]].

ifstats_command_test() ->
    ?assertEqual(<<?EPCAP_CMD_IFSTATS, 0, 0, 0, 9>>,
                 iolist_to_binary(epcap_codec:encode_command(ifstats, 9, []))).

%% Two records as the port writes them: a live interface with libpcap's
%% counters, then one without (a file's).
-define(IFSTATS_BODY,
        <<0, 0, 0, 0,  1,  0, 0, 0, 0, 0, 0, 0, 12,  0, 0, 0, 0, 0, 0, 0, 1,
          0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 11,
          0, 0, 0, 1,  0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
          0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 1, 0>>).

ifstats_reply_test() ->
    ?assertEqual(2 * ?EPCAP_IFSTATS_RECORD, byte_size(?IFSTATS_BODY)),
    ?assertEqual([#{index => 0, counters => true, received => 12,
                    dropped => 1, ifdropped => 0, delivered => 11},
                  #{index => 1, counters => false, received => 0,
                    dropped => 0, ifdropped => 0, delivered => 256}],
                 epcap_codec:ifstats(?IFSTATS_BODY)),
    ?assertEqual([], epcap_codec:ifstats(<<>>)),
    %% A record cut short is garbage from the port: a crash.
    ?assertError({bad_frame, {ifstats, _}},
                 epcap_codec:ifstats(binary:part(?IFSTATS_BODY, 0, 40))).

%% A REPLY frame carrying it decodes as any reply does.
ifstats_frame_test() ->
    ?assertEqual({reply, 9, ok, ?IFSTATS_BODY},
                 epcap_codec:decode(<<?EPCAP_FRAME_REPLY, 9:32, 0:16,
                                      ?IFSTATS_BODY/binary>>)).

ready(Source, Name) ->
    #{source => Source, name => Name}.

config(Options) ->
    {ok, C} = parse(Options),
    C.

%% Names as the caller gave them; the port's (binaries) otherwise.
names_test() ->
    Two = config([{interface, [<<"veth0">>, "veth1"]}]),
    ?assertEqual(#{0 => <<"veth0">>, 1 => "veth1"},
                 epcap_ifaces:names(Two, ready(live, <<"veth0">>), #{})),
    One = config([{interface, <<"lo">>}]),
    ?assertEqual(#{0 => <<"lo">>},
                 epcap_ifaces:names(One, ready(live, <<"lo">>), #{})),
    Default = config([]),
    ?assertEqual(#{0 => <<"eth0">>},
                 epcap_ifaces:names(Default, ready(live, <<"eth0">>), #{})),
    File = config([{file, "/x.pcapng"}]),
    Described = #{1 => #{name => <<"wlan0">>}},
    ?assertEqual(#{1 => <<"wlan0">>},
                 epcap_ifaces:names(File, ready(file, <<"/x.pcapng">>),
                                    Described)),
    ?assertEqual([#{index => 0, name => <<"veth0">>, counters => true,
                    received => 12, dropped => 1, ifdropped => 0,
                    delivered => 11},
                  #{index => 1, name => "veth1", counters => false,
                    received => 0, dropped => 0, ifdropped => 0,
                    delivered => 256}],
                 epcap_ifaces:stats(?IFSTATS_BODY,
                                    epcap_ifaces:names(Two, ready(live, <<>>),
                                                       #{}))).

%% The interface the port's message names, as the caller gave it.
missing_interface_test() ->
    C = (config([{interface, ["eth1", <<"eth10">>, "lo"]}]))#{progname => "/p"},
    Reason = fun(Msg) -> epcap_reason:start_error({no_such_device, Msg}, 66, C) end,
    ?assertEqual({no_such_device, <<"eth10">>},
                 Reason("eth10: No such device exists (SIOCGIFHWADDR)")),
    ?assertEqual({no_such_device, "eth1"},
                 Reason("eth1: No such device exists")),
    ?assertEqual({no_such_device, <<"eth10">>},
                 Reason("cannot open eth10")),
    ?assertEqual({no_such_device, "lo"}, Reason("lo")),
    %% A message naming none: the first.
    ?assertEqual({no_such_device, "eth1"}, Reason("no such device")).

%% A batch to inject goes in command-sized chunks (epcap_inject).
inject_chunks_test() ->
    Big = binary:copy(<<0>>, ?EPCAP_CMD_MAX div 3),
    ?assertEqual([[Big, Big], [Big]], epcap_inject:chunks([Big, Big, Big])),
    Sent = fun(Chunk) -> self() ! {chunk, length(Chunk)}, ok end,
    ?assertEqual(ok, epcap_inject:batch(Sent, [Big, Big, Big])),
    ?assertEqual([2, 1], [receive {chunk, N} -> N end || _ <- [1, 2]]),
    Fail = fun(Chunk) ->
        {error, {inject_failed, #{sent => length(Chunk) - 1, failed => 1,
                                  reason => "down"}}}
    end,
    ?assertEqual({error, {inject_failed, #{sent => 1, failed => 2,
                                           reason => "down"}}},
                 epcap_inject:batch(Fail, [Big, Big, Big])).
