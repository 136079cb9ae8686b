%% @doc The install recipes of the README and doc/SECURITY.md, against
%% the attack of issue 17 and end to end, as an unprivileged user.
%%
%% sudo runs, and setcap marks, whatever file has the name they are
%% given. A release's own copy of the port lives in a tree that belongs
%% to the application's user, who can put a script at its name:
%%
%%   * a sudoers rule for such a copy: the user's script runs as root
%%     when they call sudo themselves (shown here with a canary only root
%%     can make), and the Erlang side refuses to hand the path to sudo,
%%     saying which directory is the user's, before sudo runs anything;
%%   * file capabilities set on such a copy: refused the same way;
%%   * the documented recipes (`make install install-setcap',
%%     `install-setuid', `install-sudo' into a PREFIX of root's): each
%%     prints the configuration (and the sudoers rule) to use, the test
%%     uses exactly what it printed, and the user captures on lo through
%%     it; the user cannot replace the installed copy;
%%   * a PREFIX that belongs to a user is refused by the install targets.
%%
%%   * a user outside the group of a group install is told so, and what
%%     to do, when the port cannot be run (issue 17 item 8);
%%   * what sudo gives back: a caller who dropped supplementary groups
%%     gets the account's groups under sudo (the documented rule), and
%%     keeps what it came with under setuid (item 4);
%%   * the kernel memory SECURITY.md states (item 2): rings of a user's
%%     ports are not charged to the user's memory cgroup
%%     (test/kmem_per_user.sh, the script the document cites).
%%
%% Users, groups, directories and sudoers files are named with "s17" and
%% removed at the end. Needs root: skipped otherwise, a failure under CI=true.
-module(epcap_recipe_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include_lib("kernel/include/file.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([sudo_rule_on_user_owned_copy/1, setcap_on_user_owned_copy/1,
         no_rule_for_user_owned_copy/1,
         install_sudo_recipe/1, install_setcap_recipe/1,
         install_setuid_recipe/1, install_refuses_user_prefix/1,
         inject_policy_only_when_asked/1, outside_the_group_is_told/1,
         sudo_gives_the_account_groups/1, kernel_memory_is_per_port/1]).

suite() ->
    [{timetrap, {minutes, 5}}].

all() ->
    [sudo_rule_on_user_owned_copy, setcap_on_user_owned_copy,
     no_rule_for_user_owned_copy,
     install_sudo_recipe, install_setcap_recipe, install_setuid_recipe,
     install_refuses_user_prefix, inject_policy_only_when_asked,
     outside_the_group_is_told, sudo_gives_the_account_groups,
     kernel_memory_is_per_port].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config0) ->
    case epcap_test_lib:require_tools(epcap_test_lib:require_root(Config0),
            ["setpriv", "setcap", "getcap", "sudo", "visudo", "useradd",
             "userdel"]) of
        {skip, _} = Skip ->
            Skip;
        Config ->
            epcap_test_install:remove_user(user()),
            epcap_test_install:add_user(user()),
            Dir = epcap_test_install:temp_dir("s17"),
            Sample = filename:join(Dir, "sample.pcap"),
            ok = epcap_samplegen:write_synthetic(Sample, 4, 60, #{}),
            ok = file:change_mode(Sample, 8#644),
            [{dir, Dir}, {sample, Sample} | Config]
    end.

end_per_suite(Config) ->
    epcap_test_install:remove_sudoers(sudoers()),
    epcap_test_install:remove_user(user()),
    epcap_test_install:remove_temp_dir(?config(dir, Config)).

init_per_testcase(_Case, Config) ->
    Canary = filename:join(?config(dir, Config), "canary-" ++
                           integer_to_list(erlang:unique_integer([positive]))),
    [{canary, Canary} | Config].

end_per_testcase(_Case, _Config) ->
    epcap_test_install:remove_sudoers(sudoers()).

%% One user per test run (the node's OS pid).
user() -> "s17app" ++ os:getpid().

sudoers() -> epcap_test_install:sudoers_file(sudoers_tag()).

sudoers_tag() -> "s17-" ++ os:getpid().

root() -> epcap_test_lib:root_dir().

%% The command's output and that of its last part's stderr (the ports in
%% a pipeline keep theirs to themselves).
sh(Cmd) ->
    epcap_test_lib:sh(Cmd ++ " 2>&1", sh_opts()).

sh_ok(Cmd) ->
    epcap_test_lib:sh_ok(Cmd ++ " 2>&1", sh_opts()).

sh_opts() ->
    #{timeout => 240000, output => unicode, stderr => keep}.

%% A release tree as a deploy leaves it: the application's user owns it.
user_owned_copy(Config) ->
    Rel = filename:join(?config(dir, Config), "rel-" ++
                        integer_to_list(erlang:unique_integer([positive]))),
    Priv = filename:join([Rel, "lib", "epcap-2.0.0", "priv"]),
    ok = filelib:ensure_path(Priv),
    Prog = filename:join(Priv, "epcap"),
    {ok, _} = file:copy(filename:join([root(), "priv", "epcap"]), Prog),
    ok = file:change_mode(Prog, 8#755),
    sh_ok("chown -R " ++ user() ++ ":" ++ user() ++ " " ++ Rel),
    {Rel, Prog}.

%% The attacker's program: leaves the canary only when it runs as root.
attacker_script(Canary) ->
    "#!/bin/sh\n[ \"$(id -u)\" = 0 ] && touch " ++ Canary ++ "\nexit 77\n".

sudo_rule(Who, Prog) ->
    epcap_test_install:sudoers(sudoers_tag(), {Who, Prog}).

as_user(Cmd) ->
    sh(epcap_test_install:as_user(user(), user(), init) ++
       " env HOME=/tmp " ++ Cmd).

%% An Erlang VM as the user, with epcap's code and the given sys.config
%% (or none): it captures a few datagrams on lo and prints the result.
probe(Config, SysConfig) ->
    ConfigArg = case SysConfig of
        none -> "";
        Text ->
            File = filename:join(?config(dir, Config), "sys-" ++
                                 integer_to_list(erlang:unique_integer([positive]))
                                 ++ ".config"),
            ok = file:write_file(File, Text),
            ok = file:change_mode(File, 8#644),
            " -config " ++ filename:rootname(File)
    end,
    {_, Out} = as_user("erl -noshell -pa " ++ root() ++ "/ebin" ++ ConfigArg ++
                       " -eval '" ++ probe_source() ++ "'"),
    ct:log("~s", [Out]),
    result(Out).

%% The term a VM printed after "RESULT ".
result(Out) ->
    case string:find(Out, "RESULT ") of
        nomatch ->
            ct:fail({no_result, Out});
        "RESULT " ++ Result ->
            %% The term up to its full stop; logs may follow it.
            {done, {ok, Toks, _}, _} = erl_scan:tokens([], Result, 1),
            {ok, Term} = erl_parse:parse_term(Toks),
            Term
    end.

probe_source() ->
    "logger:set_primary_config(level, error),"
    "{ok, S} = gen_udp:open(0, [{ip, {127,0,0,1}}]),"
    "{ok, P} = inet:port(S),"
    "Count = fun C(0) -> 0; C(K) -> receive {packet, _, _, _, _} -> 1 + C(K - 1)"
    "        after 5000 -> 0 end end,"
    "R = case epcap:start_link([{interface, \"lo\"},"
    "                           {filter, \"udp dst port \" ++ integer_to_list(P)}]) of"
    "    {ok, Pid} ->"
    "        [gen_udp:send(S, {127,0,0,1}, P, <<\"s17\">>) || _ <- [1, 2, 3]],"
    "        N = Count(3),"
    "        {ok, #{start := Start}} = epcap:info(Pid),"
    "        ok = epcap:stop(Pid),"
    "        {ok, N, Start};"
    "    Error -> Error "
    "end,"
    "io:format(\"RESULT ~p.~n\", [R]),"
    "halt().".

%% make install install-X into a fresh PREFIX of root's: what it printed.
install(Config, Target) ->
    install(Config, Target, user()).

install(Config, Target, Group) ->
    epcap_test_install:make_install(
      root(), filename:join(?config(dir, Config), "prefix-" ++ Target ++ "-" ++ Group),
      Target, Group, #{}).

printed(Out, Announce) ->
    epcap_test_install:printed(Out, Announce).

%%--------------------------------------------------------------------
%% The attack of issue 17

%% The README used to name the release's own copy in the sudoers rule.
%% The user who owns the release replaces it: sudo would run theirs as
%% root; epcap refuses the path and sudo never runs it.
sudo_rule_on_user_owned_copy(Config) ->
    {Rel, Prog} = user_owned_copy(Config),
    sudo_rule(user(), Prog),
    Canary = ?config(canary, Config),
    Script = filename:join(?config(dir, Config), "attacker.sh"),
    ok = file:write_file(Script, attacker_script(Canary)),
    ok = file:change_mode(Script, 8#644),
    {0, _} = as_user("cp " ++ Script ++ " " ++ Prog),
    %% The hazard is real: sudo itself runs the user's script as root.
    _ = as_user("sudo -n " ++ Prog),
    ?assert(filelib:is_regular(Canary)),
    ok = file:delete(Canary),
    %% Through epcap: explicitly and by default (sudo as the fallback).
    Explicit = probe(Config, io_lib:format("~p.~n", [[{epcap, [{progname, Prog},
                                                              {exec, "sudo -n"}]}]])),
    Default = probe(Config, io_lib:format("~p.~n", [[{epcap, [{progname, Prog}]}]])),
    %% sudo further into the prefix runs it as root just the same.
    Inner = probe(Config, io_lib:format("~p.~n", [[{epcap, [{progname, Prog},
                                                           {exec, "env sudo -n"}]}]])),
    [begin
         ?assertMatch({error, {untrusted_path, Prog, _}}, R),
         {error, {untrusted_path, _, Msg}} = R,
         ?assertNotEqual(nomatch, string:find(Msg, "through sudo")),
         ?assertNotEqual(nomatch, string:find(Msg, Rel ++ " is owned by uid")),
         ?assertNotEqual(nomatch, string:find(Msg, "make install-sudo"))
     end || R <- [Explicit, Default, Inner]],
    ?assertNot(filelib:is_regular(Canary)).

%% A user's own copy (a clone, a release) without privileges and without
%% a sudoers rule: the real cause is that nothing lets the user capture,
%% so the default start says permission_denied, with its hint, as where
%% sudo is not installed. Once a rule names that path, the refusal is
%% back, and sudo still runs nothing.
no_rule_for_user_owned_copy(Config) ->
    {_Rel, Prog} = user_owned_copy(Config),
    Default = io_lib:format("~p.~n", [[{epcap, [{progname, Prog}]}]]),
    R = probe(Config, Default),
    ?assertMatch({error, {permission_denied, _}}, R),
    {error, {permission_denied, Msg}} = R,
    ?assertNotEqual(nomatch, string:find(Msg, "to capture without root")),
    %% A rule for the user-owned path: sudo would run it, so it is refused.
    sudo_rule(user(), Prog),
    Canary = ?config(canary, Config),
    Script = filename:join(?config(dir, Config), "attacker-norule.sh"),
    ok = file:write_file(Script, attacker_script(Canary)),
    ok = file:change_mode(Script, 8#644),
    {0, _} = as_user("cp " ++ Script ++ " " ++ Prog),
    ?assertMatch({error, {untrusted_path, Prog, _}}, probe(Config, Default)),
    ?assertNot(filelib:is_regular(Canary)).

%% The README used to set capabilities on the release's own copy: the
%% user can put their own program there before the administrator does.
setcap_on_user_owned_copy(Config) ->
    {Rel, Prog} = user_owned_copy(Config),
    epcap_test_install:setcap(Prog),
    R = probe(Config, io_lib:format("~p.~n", [[{epcap, [{progname, Prog}]}]])),
    ?assertMatch({error, {untrusted_path, Prog, _}}, R),
    {error, {untrusted_path, _, Msg}} = R,
    ?assertNotEqual(nomatch, string:find(Msg, "file capabilities")),
    ?assertNotEqual(nomatch, string:find(Msg, Rel ++ " is owned by uid")),
    ?assertNotEqual(nomatch, string:find(Msg, "make install-setcap")).

%%--------------------------------------------------------------------
%% The documented recipes, end to end

install_sudo_recipe(Config) ->
    {Installed, Out} = install(Config, "sudo"),
    Rule = printed(Out, "the sudoers rule"),
    ?assertEqual("%" ++ user() ++ " ALL=(root) NOPASSWD: " ++ Installed, Rule),
    epcap_test_install:sudoers_rule(sudoers_tag(), Rule),
    SysConfig = printed(Out, "in the release's sys.config"),
    ?assertEqual({ok, 3, sudo}, probe(Config, SysConfig)),
    cannot_replace(Installed).

install_setcap_recipe(Config) ->
    {Installed, Out} = install(Config, "setcap"),
    ?assertMatch({0, _}, sh("getcap " ++ Installed ++ " | grep -q cap_net_raw")),
    SysConfig = printed(Out, "in the release's sys.config"),
    ?assertEqual({ok, 3, file_capabilities}, probe(Config, SysConfig)),
    cannot_replace(Installed).

install_setuid_recipe(Config) ->
    {Installed, Out} = install(Config, "setuid"),
    {ok, #file_info{mode = Mode, uid = 0}} = file:read_file_info(Installed),
    ?assertEqual(8#4750, Mode band 8#7777),
    SysConfig = printed(Out, "in the release's sys.config"),
    ?assertEqual({ok, 3, setuid}, probe(Config, SysConfig)),
    cannot_replace(Installed).

%% The user can neither write the installed copy nor put another file at
%% its name.
cannot_replace(Installed) ->
    ?assertMatch({0, _}, as_user("sh -c '! echo x 2>/dev/null >> " ++ Installed ++
                                 " && ! ln -sf /bin/true " ++ Installed ++
                                 " 2>/dev/null && ! touch " ++
                                 filename:dirname(Installed) ++ "/x 2>/dev/null'")).

%% A PREFIX inside a user's directory is refused before anything is
%% given privileges.
install_refuses_user_prefix(Config) ->
    Home = filename:join(?config(dir, Config), "home-s17"),
    ok = filelib:ensure_path(Home),
    sh_ok("chown " ++ user() ++ " " ++ Home),
    Prefix = filename:join(Home, "prefix"),
    {Status, Out} = sh("make -C " ++ root() ++ " --no-print-directory install "
                       "install-setcap PREFIX=" ++ Prefix ++ " ERL_LIBDIR=" ++
                       Prefix ++ "/lib/erlang/lib CAPTURE_GROUP=" ++ user()),
    ct:log("~s", [Out]),
    ?assertNotEqual(0, Status),
    ?assertNotEqual(nomatch, string:find(Out, "refusing: " ++ Home ++
                                              " is owned by uid")),
    ?assertMatch({1, _}, sh("getcap " ++ Prefix ++ "/lib/epcap/epcap | grep -q cap")).

%% The machine-wide injection policy is touched only when INJECT is
%% given: a default install (or make setcap) of one copy must not turn
%% injection off for every other copy.
inject_policy_only_when_asked(Config) ->
    Policy = "/etc/epcap/inject",
    Saved = filelib:is_regular(Policy),
    Prefix = filename:join(?config(dir, Config), "prefix-inject"),
    Make = "make -C " ++ root() ++ " --no-print-directory install "
           "install-setcap PREFIX=" ++ Prefix ++ " ERL_LIBDIR=" ++ Prefix ++
           "/lib/erlang/lib CAPTURE_GROUP=" ++ user(),
    try
        sh_ok(Make ++ " INJECT=yes"),
        ?assert(filelib:is_regular(Policy)),
        Out = sh_ok(Make),
        ?assert(filelib:is_regular(Policy)),
        ?assertNotEqual(nomatch, string:find(Out, "left as it is")),
        sh_ok(Make ++ " INJECT=no"),
        ?assertNot(filelib:is_regular(Policy))
    after
        case Saved of
            true -> sh_ok("install -o root -g root -m 0644 /dev/null " ++ Policy);
            false -> file:delete(Policy)
        end
    end.

%% A group of this run, made and removed here.
with_group(Fun) ->
    Group = "s17g" ++ os:getpid(),
    _ = sh("groupdel " ++ Group),
    sh_ok("groupadd " ++ Group),
    try Fun(Group)
    after sh("groupdel " ++ Group)
    end.

%% Item 8: a user outside the group of a group install cannot run the
%% port at all, even to read a capture file: the error stays
%% {exec, Path, eacces}, and one warning names the group and the fix.
outside_the_group_is_told(Config) ->
    with_group(fun(Group) ->
        {Installed, _} = install(Config, "setcap", Group),
        Expr = "logger:set_primary_config(level, warning),"
               "R = epcap:start([{progname, \"" ++ Installed ++ "\"},"
               "                 {file, \"" ++ ?config(sample, Config) ++ "\"}]),"
               "io:format(\"RESULT ~p.~n\", [R]), halt().",
        {_, Out} = as_user("erl -noshell -pa " ++ root() ++ "/ebin -eval '" ++
                           Expr ++ "'"),
        ct:log("~s", [Out]),
        ?assertEqual({error, {exec, Installed, eacces}}, result(Out)),
        [?assertNotEqual(nomatch, string:find(Out, Part))
         || Part <- ["only by the members of group " ++ Group,
                     "usermod -aG " ++ Group ++ " USER"]]
    end).

%% Item 4: under sudo the port takes the caller's groups from the group
%% database (initgroups: sudo tells it only the uid), so a group the
%% caller dropped before calling sudo comes back; a setuid copy keeps the
%% groups the caller came with. Both as doc/SECURITY.md says.
sudo_gives_the_account_groups(Config) ->
    with_group(fun(Group) ->
        sh_ok("usermod -aG " ++ Group ++ " " ++ user()),
        Secret = filename:join(?config(dir, Config), "group-only.pcap"),
        ok = epcap_samplegen:write_synthetic(Secret, 2, 60, #{}),
        sh_ok("chown root:" ++ Group ++ " " ++ Secret ++ " && chmod 0640 " ++ Secret),
        {Sudo, Out} = install(Config, "sudo"),
        epcap_test_install:sudoers_rule(sudoers_tag(),
                                        printed(Out, "the sudoers rule")),
        {Setuid, _} = install(Config, "setuid"),
        Dropped = epcap_test_install:as_user(user(), user(), clear) ++ " ",
        Read = fun(Cmd) -> sh(Dropped ++ Cmd ++ " -r " ++ Secret ++
                              " -w - </dev/null | wc -c") end,
        %% Without the group: no read, directly.
        ?assertMatch({0, "0" ++ _}, sh(Dropped ++ "cat " ++ Secret ++
                                       " 2>/dev/null | wc -c")),
        {0, ViaSudo} = Read("sudo -n " ++ Sudo),
        {0, ViaSetuid} = Read(Setuid),
        ct:log("sudo: ~s setuid: ~s", [ViaSudo, ViaSetuid]),
        ?assert(list_to_integer(string:trim(ViaSudo)) > 24),
        ?assertEqual("0", string:trim(ViaSetuid))
    end).

%% Item 2: doc/SECURITY.md says a port's rings are charged neither to the
%% user's memory cgroup nor to anything per user, with numbers from
%% test/kmem_per_user.sh. Two ports of 128 MiB from a cgroup limited to
%% 256 MiB: they start, hold their rings, and the cgroup is charged a
%% fraction. The day the kernel charges rings, this fails and the
%% document must change.
kernel_memory_is_per_port(_Config) ->
    {Status, Out} = sh("bash " ++ filename:join([root(), "test",
                                                  "kmem_per_user.sh"]) ++ " 2"),
    ct:log("~s", [Out]),
    ?assertEqual(0, Status),
    ?assertNotEqual(nomatch, string:find(Out, "2 of 2 ports sandboxed")),
    {match, [Charged]} = re:run(Out, "was charged (\\d+) MiB",
                                [{capture, all_but_first, list}]),
    {match, [Rss]} = re:run(Out, "VmRSS add up to (\\d+) MiB",
                            [{capture, all_but_first, list}]),
    ?assert(list_to_integer(Rss) >= 2 * 128),
    ?assert(list_to_integer(Charged) < 64).
