%% @doc An unprivileged local user against the privileged installs: the
%% attacks found after the staged privilege path, fan-out groups, the
%% pcapng reader and several interfaces landed (helper "atk"; each case
%% names the hole it closes, doc/SECURITY.md says the rule).
%%
%% The suite installs three copies of priv/epcap in a temporary directory
%% (setuid root, file capabilities, and a plain copy behind a sudoers
%% rule) and runs them as a throwaway user `atkPID' through `setpriv' (and
%% `sudo -n' for the sudo copy).
%%
%% Needs root (users, sudoers, capabilities): skipped otherwise, a failure
%% under CI=true.
-module(epcap_attack_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-import(epcap_test_install, [assert_refused/3]).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([foreign_fanout_group_refused/1, small_fanout_groups_are_roots/1,
         many_interface_blocks_written/1]).

-define(KINDS, [setuid, caps, sudo]).

suite() ->
    [{timetrap, {minutes, 2}}].

all() ->
    [foreign_fanout_group_refused, small_fanout_groups_are_roots,
     many_interface_blocks_written].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config0) ->
    case epcap_test_lib:require_tools(epcap_test_lib:require_root(Config0),
            ["setpriv", "setcap", "sudo", "visudo", "useradd", "userdel"]) of
        {skip, _} = Skip ->
            Skip;
        Config ->
            epcap_test_install:add_user(user()),
            Dir = epcap_test_install:temp_dir("atk"),
            Bins = epcap_test_install:copies(Dir, ?KINDS),
            Home = filename:join(Dir, "home"),
            ok = file:make_dir(Home),
            sh_ok("chown " ++ user() ++ ":" ++ user() ++ " " ++ Home ++
                  " && chmod 700 " ++ Home),
            Sudoers = epcap_test_install:sudoers("atk-" ++ os:getpid(),
                                                 {user(), maps:get(sudo, Bins)}),
            {ok, _} = application:ensure_all_started(epcap),
            [{dir, Dir}, {home, Home}, {bins, Bins}, {sudoers, Sudoers}
             | Config]
    end.

end_per_suite(Config) ->
    epcap_test_install:remove_sudoers(?config(sudoers, Config)),
    epcap_test_install:remove_temp_dir(?config(dir, Config)),
    epcap_test_install:remove_user(user()).

init_per_testcase(_Case, Config) ->
    Config.

end_per_testcase(_Case, _Config) ->
    epcap_test_lib:stop_linked_epcaps(),
    ok.

%% One user per test run (the node's OS pid): two runs never collide.
user() -> "atk" ++ os:getpid().

%%--------------------------------------------------------------------
%% Helpers

sh(Cmd) -> epcap_test_lib:sh(Cmd, #{timeout => 30000}).

sh_ok(Cmd) -> epcap_test_lib:sh_ok(Cmd, #{timeout => 30000}).

%% Run the port as the hostile user with these arguments; stdin empty.
port(Config, Kind, Args) ->
    epcap_test_install:run_as(user(), Kind, maps:get(Kind, ?config(bins, Config)),
                              Args).
%%--------------------------------------------------------------------
%% Cases

%% PACKET_FANOUT groups are named by a number per network namespace and
%% the kernel checks no owner: a member of the capture group could join
%% root's group (or an IDS's AF_PACKET cluster) and take a share of its
%% packets (random mode: root's capture lost half). The port looks at
%% the group's members first (sock_diag) and joins only a group of its
%% own user's sockets; a fresh group of the caller's own still works.
foreign_fanout_group_refused(Config) ->
    G = 40000 + rand:uniform(20000),
    {ok, Root} = epcap:start([{interface, "lo"},
                              {fanout, #{group => G, mode => random}},
                              {filter, "udp port 9"}]),
    Root1 = integer_to_list(G),
    Free = integer_to_list(G + 1),
    [begin
         assert_refused(66, port(Config, K, "-i lo --fanout random:" ++ Root1 ++
                                     " -w /dev/null udp port 9"),
                        ["fan-out group " ++ Root1 ++ " holds a socket of uid 0",
                         "own user"]),
         %% -L: joins, lists the link types, exits.
         {S, Out} = port(Config, K, "-v -i lo --fanout random:" ++ Free ++
                             " -L"),
         ct:log("~p own group: ~p", [K, {S, Out}]),
         ?assertEqual(0, S),
         ?assertNotEqual(nomatch, string:find(Out, "fan-out group " ++ Free))
     end || K <- ?KINDS],
    %% The same from Erlang: the documented error, naming the uid.
    Exec = epcap_test_install:as_user(user(), user(), init),
    {error, {permission_denied, Msg}} =
        epcap:start([{interface, "lo"}, {fanout, #{group => G, mode => random}},
                     {filter, "udp port 9"},
                     {progname, maps:get(caps, ?config(bins, Config))},
                     {exec, Exec}]),
    ct:log("~ts", [Msg]),
    ?assertNotEqual(nomatch, string:find(Msg, "holds a socket of uid 0")),
    {ok, _} = epcap:stats(Root),
    ok = epcap:stop(Root).

%% The other way round: a user could make group 99 first and wait for an
%% IDS that joins that fixed number. Numbers below 1024 are root's (as
%% ports are), refused with the option rules; 1024 is the first a caller
%% who is not root may use; root may use any.
small_fanout_groups_are_roots(Config) ->
    [begin
         assert_refused(64, port(Config, K, "-i lo --fanout hash:1023 -L"),
                        ["fanout: group 1023: numbers below 1024 are root's"]),
         assert_refused(64, port(Config, K, "-i lo --fanout hash:99 -L"),
                        ["group 99"]),
         {S, Out} = port(Config, K, "-i lo --fanout hash:1024 -L"),
         ct:log("~p: ~p", [K, {S, Out}]),
         ?assertEqual(0, S)
     end || K <- ?KINDS],
    {S, Out} = sh(epcap_opts:default_progname() ++
                  " -i lo --fanout hash:99 -L </dev/null 2>&1"),
    ct:log("root: ~p", [{S, Out}]),
    ?assertEqual(0, S),
    Exec = epcap_test_install:as_user(user(), user(), init),
    {error, {permission_denied, Msg}} =
        epcap:start([{interface, "lo"}, {fanout, #{group => 99, mode => hash}},
                     {progname, maps:get(caps, ?config(bins, Config))},
                     {exec, Exec}]),
    ?assertNotEqual(nomatch, string:find(Msg, "below 1024")).

%% A pcapng file of the caller's may hold thousands of interface blocks in
%% a row, each with names of 1 KiB: written to a pcapng file (-w with
%% --pcapng), they were put in the output buffer with no packet between
%% to write it out, and the port died with "output buffer full" (status
%% 70) after about 1300 of them. Every block is written now.
many_interface_blocks_written(Config) ->
    N = 3000,
    Home = ?config(home, Config),
    In = filename:join(Home, "many.pcapng"),
    Long = fun(C) -> binary:copy(<<C>>, 1024) end,
    Opts = [ng_opt(2, Long($a)), ng_opt(3, Long($b)),
            ng_opt(11, <<0, (Long($c))/binary>>), ng_opt(0, <<>>)],
    Idb = ng_block(1, [<<1:16/little, 0:16, 65535:32/little>> | Opts]),
    Pkt = <<16#ff:48, 0:48, 16#0800:16, 0:(40 * 8)>>,
    Epb = ng_block(6, [<<(N - 1):32/little, 0:32, 1:32/little,
                         (byte_size(Pkt)):32/little,
                         (byte_size(Pkt)):32/little>>, Pkt]),
    Shb = ng_block(16#0a0d0d0a, [<<16#1a2b3c4d:32/little, 1:16/little,
                                   0:16, -1:64/little-signed>>]),
    ok = file:write_file(In, [Shb, lists:duplicate(N, Idb), Epb]),
    sh_ok("chown " ++ user() ++ " " ++ In),
    Out = filename:join(Home, "out.pcapng"),
    [begin
         {S, Said} = port(Config, K, "-r " ++ In ++ " --pcapng -w " ++ Out),
         ct:log("~p: ~p", [K, {S, Said}]),
         ?assertEqual(0, S),
         Info = sh_ok("capinfos -I " ++ Out ++ " | grep -c 'Interface #'"),
         ?assertEqual(integer_to_list(N), string:trim(Info))
     end || K <- ?KINDS].

ng_opt(Code, V) ->
    Pad = (4 - byte_size(V) rem 4) rem 4,
    <<Code:16/little, (byte_size(V)):16/little, V/binary, 0:(Pad * 8)>>.

ng_block(Type, Body0) ->
    Body1 = iolist_to_binary(Body0),
    Body = <<Body1/binary, 0:(((4 - byte_size(Body1) rem 4) rem 4) * 8)>>,
    Len = 12 + byte_size(Body),
    <<Type:32/little, Len:32/little, Body/binary, Len:32/little>>.
