%% @doc Who may capture, and what the port still holds once it does.
%%
%% The three ways to be allowed to capture (doc/SECURITY.md) are tested as
%% the unprivileged user `nobody' on copies of priv/epcap in a temporary
%% directory readable by nobody: one with file capabilities (what
%% `make setcap' sets), one with CAP_SETPCAP added, one setuid root, one
%% with nothing. The port is run as nobody through the `exec' option
%% (`setpriv --reuid=nobody ...'), so the Erlang side is the real one and
%% the checks read /proc/PID/status of the port while it captures.
%%
%% Needs root (it switches to nobody, sets capabilities, writes a sudoers
%% drop-in for one case): skipped otherwise, a failure under CI=true.
-module(epcap_privs_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([
    can_capture_reports/1,
    file_caps_capture/1,
    file_caps_with_setpcap_empties_bounding_set/1,
    setuid_capture/1,
    setuid_refuses_root_only_file/1,
    setuid_reads_the_users_file/1,
    setuid_restricts_env/1,
    no_privilege_names_the_fix/1,
    sudo_capture/1,
    sudo_rule_for_nobody/1,
    root_drops_to_nobody_in_empty_root/1,
    user_and_group_options/1,
    never_stays_root/1,
    explicit_chroot/1,
    explicit_chroot_needs_the_capability/1
]).

-define(NOBODY, epcap_test_install:as_user("nobody", "nogroup", clear)).
-define(ZERO, "0000000000000000").

all() ->
    [can_capture_reports, file_caps_capture,
     file_caps_with_setpcap_empties_bounding_set, setuid_capture,
     setuid_refuses_root_only_file, setuid_reads_the_users_file,
     setuid_restricts_env, no_privilege_names_the_fix, sudo_capture,
     sudo_rule_for_nobody, root_drops_to_nobody_in_empty_root,
     user_and_group_options, never_stays_root, explicit_chroot,
     explicit_chroot_needs_the_capability].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config0) ->
    case epcap_test_lib:require_tools(epcap_test_lib:require_root(Config0),
                                      ["setpriv", "setcap", "getcap",
                                       "sudo", "visudo"]) of
        {skip, _} = Skip ->
            Skip;
        Config ->
            Dir = epcap_test_install:temp_dir("privs"),
            Bins = epcap_test_install:copies(Dir, [plain, caps, caps_setpcap,
                                              setuid]),
            Secret = filename:join(Dir, "secret.pcap"),
            Public = filename:join(Dir, "public.pcap"),
            ok = epcap_samplegen:write_synthetic(Secret, 5, 60, #{}),
            ok = epcap_samplegen:write_synthetic(Public, 5, 60, #{}),
            ok = file:change_mode(Secret, 8#600),
            ok = file:change_mode(Public, 8#644),
            [{dir, Dir}, {bins, Bins}, {secret, Secret}, {public, Public}
             | Config]
    end.

end_per_suite(Config) ->
    epcap_test_install:remove_temp_dir(?config(dir, Config)).

init_per_testcase(_Case, Config) ->
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    {ok, Port} = inet:port(S),
    [{sock, S}, {port, Port} | Config].

end_per_testcase(_Case, Config) ->
    epcap_test_install:remove_sudoers(epcap_test_install:sudoers_file(sudoers_tag())),
    gen_udp:close(?config(sock, Config)),
    epcap_test_packets:flush_packets(),
    ok.

%% This run's sudoers file (one case writes it).
sudoers_tag() -> "privs-" ++ os:getpid().

bin(Config, Kind) ->
    maps:get(Kind, ?config(bins, Config)).

%%--------------------------------------------------------------------
%% Helpers

live_opts(Config, Kind, Exec) ->
    [{progname, bin(Config, Kind)}, {interface, "lo"},
     {filter, "udp and dst port " ++ integer_to_list(?config(port, Config))}]
    ++ [{exec, Exec} || Exec =/= none].

%% Send three datagrams through lo and check the owner gets them.
assert_captures(Config, Pid) ->
    S = ?config(sock, Config),
    Port = ?config(port, Config),
    Payloads = [rand:bytes(24) || _ <- lists:seq(1, 3)],
    [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, P) || P <- Payloads],
    Got = [maps:get(payload, epcap_test_packets:udp(F))
           || {packet, _, _, _, F} <- epcap_test_packets:collect(3, 3000)],
    ?assertEqual(Payloads, Got),
    Pid.

%% The port program's own OS process: the port's, or the child of the
%% sudo the port runs.
port_process(Pid) ->
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    epcap_test_lib:port_program(OsPid).

%% Every id the same; no capability but possibly the bounding set; no
%% new privileges; a seccomp filter.
assert_dropped(OsPid, Uid, Gid, Bounding) ->
    St = epcap_test_lib:proc_status(OsPid),
    ct:log("port ~b: ~p", [OsPid, maps:with(["Uid", "Gid", "Groups",
        "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
        "Seccomp"], St)]),
    Ids = fun(Id) -> lists:duplicate(4, integer_to_list(Id)) end,
    ?assertEqual(Ids(Uid), string:lexemes(maps:get("Uid", St), "\t ")),
    ?assertEqual(Ids(Gid), string:lexemes(maps:get("Gid", St), "\t ")),
    [?assertEqual({K, ?ZERO}, {K, maps:get(K, St)})
     || K <- ["CapInh", "CapPrm", "CapEff", "CapAmb"]],
    case Bounding of
        empty -> ?assertEqual(?ZERO, maps:get("CapBnd", St));
        kept -> ?assertNotEqual(?ZERO, maps:get("CapBnd", St))
    end,
    ?assertEqual("1", maps:get("NoNewPrivs", St)),
    ?assertEqual("2", maps:get("Seccomp", St)),
    St.

uid(Name) -> epcap_test_install:uid(Name).

gid(Group) -> epcap_test_install:gid(Group).

%% The root directory the port sees.
root_of(OsPid) ->
    file:read_link("/proc/" ++ integer_to_list(OsPid) ++ "/root").

as_nobody(Config, Kind, Args) ->
    epcap_test_lib:run("setpriv", tl(string:lexemes(?NOBODY, " ")) ++
                                  [bin(Config, Kind) | Args]).

%%--------------------------------------------------------------------
%% Cases

%% --can-capture is what the Erlang side asks before reaching for sudo.
can_capture_reports(Config) ->
    ?assertMatch({77, _}, as_nobody(Config, plain, ["--can-capture"])),
    ?assertMatch({0, _}, as_nobody(Config, caps, ["--can-capture"])),
    ?assertMatch({0, _}, as_nobody(Config, setuid, ["--can-capture"])),
    ?assertMatch({0, _}, epcap_test_lib:run(bin(Config, plain),
                                            ["--can-capture"])).

%% make setcap (CAP_NET_RAW, CAP_NET_ADMIN): the port stays nobody, drops
%% both, cannot chroot (no CAP_SYS_CHROOT) and cannot empty the bounding
%% set (no CAP_SETPCAP); no_new_privs makes the latter moot.
file_caps_capture(Config) ->
    {ok, Pid} = epcap:start(live_opts(Config, caps, ?NOBODY)),
    assert_captures(Config, Pid),
    OsPid = port_process(Pid),
    assert_dropped(OsPid, uid("nobody"), gid("nogroup"), kept),
    ?assertEqual({ok, "/"}, root_of(OsPid)),
    assert_captures(Config, Pid),
    ok = epcap:stop(Pid).

file_caps_with_setpcap_empties_bounding_set(Config) ->
    {ok, Pid} = epcap:start(live_opts(Config, caps_setpcap, ?NOBODY)),
    assert_captures(Config, Pid),
    assert_dropped(port_process(Pid), uid("nobody"), gid("nogroup"), empty),
    ok = epcap:stop(Pid).

%% Setuid root run by nobody: nobody from the first instruction on, with
%% an empty bounding set (emptied while it was still root). A caller who
%% is not root keeps no CAP_SYS_CHROOT, so there is no chroot: Landlock
%% and seccomp close the file system instead (doc/SECURITY.md).
setuid_capture(Config) ->
    {ok, Pid} = epcap:start(live_opts(Config, setuid, ?NOBODY)),
    assert_captures(Config, Pid),
    OsPid = port_process(Pid),
    St = assert_dropped(OsPid, uid("nobody"), gid("nogroup"), empty),
    ?assertEqual("", maps:get("Groups", St)),
    ?assertMatch({ok, #{start := setuid, uid := 65534, chroot := false}},
                 epcap:info(Pid)),
    ok = epcap:stop(Pid).

%% A setuid port opens capture files with the invoking user's rights: a
%% root-only file is refused to nobody, while root itself can read it.
setuid_refuses_root_only_file(Config) ->
    Secret = ?config(secret, Config),
    [begin
         R = epcap:start([{progname, bin(Config, Kind)}, {file, Secret},
                          {exec, ?NOBODY}]),
         ct:log("~p: ~p", [Kind, R]),
         ?assertMatch({error, {file, Secret, _}}, R),
         {error, {file, _, Msg}} = R,
         ?assertNotEqual(nomatch, string:find(Msg, "Permission denied"))
     end || Kind <- [setuid, caps]],
    {ok, Pid} = epcap:start([{progname, bin(Config, plain)}, {file, Secret}]),
    ?assertEqual(5, length(epcap_test_packets:collect(5, 3000))),
    receive {epcap, eof} -> ok after 3000 -> ct:fail(no_eof) end,
    ok = epcap:stop(Pid).

setuid_reads_the_users_file(Config) ->
    {ok, Pid} = epcap:start([{progname, bin(Config, setuid)},
                             {file, ?config(public, Config)},
                             {exec, ?NOBODY}]),
    ?assertEqual(5, length(epcap_test_packets:collect(5, 3000))),
    receive {epcap, eof} -> ok after 3000 -> ct:fail(no_eof) end,
    ok = epcap:stop(Pid).

%% A setuid or file-capability start takes only PCAP_* variables.
setuid_restricts_env(Config) ->
    [begin
         R = epcap:start(live_opts(Config, Kind, ?NOBODY) ++
                         [{env, "LD_LIBRARY_PATH=/tmp"}]),
         ?assertMatch({error, {permission_denied, _}}, R),
         {error, {permission_denied, Msg}} = R,
         ?assertNotEqual(nomatch, string:find(Msg, "PCAP_"))
     end || Kind <- [setuid, caps]],
    {ok, Pid} = epcap:start(live_opts(Config, setuid, ?NOBODY) ++
                            [{env, "PCAP_EPCAP_TEST=1"}]),
    assert_captures(Config, Pid),
    ok = epcap:stop(Pid),
    %% Started by root, the environment is the caller's business.
    {ok, Pid2} = epcap:start(live_opts(Config, plain, none) ++
                             [{env, "EPCAP_TEST=1"}]),
    ok = epcap:stop(Pid2).

%% Without any of the three, the error says which to set up. This copy is
%% outside a source tree: the hint names the installed copy's recipe and
%% warns against giving this copy privileges (a source tree's port also
%% gets make setcap, below).
no_privilege_names_the_fix(Config) ->
    R = epcap:start(live_opts(Config, plain, ?NOBODY)),
    ct:log("~p", [R]),
    ?assertMatch({error, {permission_denied, _}}, R),
    {error, {permission_denied, Msg}} = R,
    [?assertNotEqual(nomatch, string:find(Msg, Fix))
     || Fix <- ["make install install-setcap", bin(Config, plain),
                "install-sudo"]],
    ?assertEqual(nomatch, string:find(Msg, "make setcap")),
    Tree = epcap_launch:with_hint("lo: socket: Operation not permitted",
                                epcap_opts:default_progname()),
    [?assertNotEqual(nomatch, string:find(Tree, Fix))
     || Fix <- ["make install install-setcap", "install-sudo",
                "make setcap", "make setuid"]].

%% The classic way: sudo -n. Started as root, the port becomes nobody.
sudo_capture(Config) ->
    {ok, Pid} = epcap:start(live_opts(Config, plain, "sudo -n")),
    assert_captures(Config, Pid),
    OsPid = port_process(Pid),
    assert_dropped(OsPid, uid("nobody"), gid("nogroup"), empty),
    ?assertNotEqual({ok, "/"}, root_of(OsPid)),
    ok = epcap:stop(Pid).

%% sudo as it is meant to be used: an ordinary user (nobody here) allowed
%% to run exactly this binary by a sudoers rule.
sudo_rule_for_nobody(Config) ->
    epcap_test_install:sudoers(sudoers_tag(), {"nobody", bin(Config, plain)}),
    {ok, Pid} = epcap:start(live_opts(Config, plain, ?NOBODY ++ " sudo -n")),
    assert_captures(Config, Pid),
    assert_dropped(port_process(Pid), uid("nobody"), gid("nogroup"), empty),
    ok = epcap:stop(Pid).

%% Root without options: nobody, an empty root that exists nowhere on
%% disk (made, entered and removed), nothing left in /run.
root_drops_to_nobody_in_empty_root(Config) ->
    {ok, Pid} = epcap:start(live_opts(Config, plain, none)),
    assert_captures(Config, Pid),
    OsPid = port_process(Pid),
    assert_dropped(OsPid, uid("nobody"), gid("nogroup"), empty),
    {ok, Root} = root_of(OsPid),
    ct:log("root of ~b: ~s", [OsPid, Root]),
    ?assertNotEqual(nomatch, string:find(Root, "(deleted)")),
    ?assertNot(filelib:is_dir(hd(string:split(Root, " ")))),
    ok = epcap:stop(Pid).

user_and_group_options(Config) ->
    {ok, Pid} = epcap:start(live_opts(Config, plain, none) ++
                            [{user, "daemon"}, {group, "nogroup"}]),
    assert_captures(Config, Pid),
    assert_dropped(port_process(Pid), uid("daemon"), gid("nogroup"), empty),
    ok = epcap:stop(Pid).

%% uid 0 without capabilities still owns most of the system's files.
never_stays_root(Config) ->
    R = epcap:start(live_opts(Config, plain, none) ++ [{user, "root"}]),
    ct:log("~p", [R]),
    ?assertMatch({error, {badarg, _}}, R),
    {error, {badarg, Msg}} = R,
    ?assertNotEqual(nomatch, string:find(Msg, "root")).

explicit_chroot(Config) ->
    Dir = filename:join(?config(priv_dir, Config), "empty-root"),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    {ok, Pid} = epcap:start(live_opts(Config, plain, none) ++
                            [{chroot, Dir}]),
    assert_captures(Config, Pid),
    ?assertEqual({ok, Dir}, root_of(port_process(Pid))),
    ok = epcap:stop(Pid).

%% A chroot directory is root's choice only: from nobody, a policy
%% refusal that names the rule, not the path.
explicit_chroot_needs_the_capability(Config) ->
    R = epcap:start(live_opts(Config, caps, ?NOBODY) ++ [{chroot, "/"}]),
    ct:log("~p", [R]),
    ?assertMatch({error, {permission_denied, _}}, R),
    {error, {permission_denied, Msg}} = R,
    ?assertNotEqual(nomatch, string:find(Msg, "only root")).
