%% @doc epcap as a dependency, the way a user's project gets it.
%%
%% The working tree (tracked and untracked files, what git would not
%% ignore) is committed into a fresh git repository in a temporary
%% directory: the "local clone" every case depends on, with no hex.
%%
%%   * the build needs nothing installed: `make -n' (Mix's make manager
%%     runs the default target) never mentions apt-get, and a missing
%%     header stops the port's build with one message naming its Debian
%%     package (a compiler that lacks seccomp.h stands in for a machine
%%     without libseccomp-dev);
%%   * rebar3: an app with epcap as a git dependency compiles the port and
%%     the EEP-48 docs (code:get_doc/1 from the beams), `rebar3 release'
%%     and `rebar3 tar' carry priv/epcap and nothing built for tests
%%     (no objects, no sandbox variants, no test/); `rebar3 clean -a'
%%     removes the port; the same from _checkouts;
%%   * Mix: a git dependency (default manager, which is rebar3 through
%%     the rebar.config) and a path dependency with `manager: :rebar3',
%%     MIX_ENV=prod, `mix release'; the Mix release reads a capture file
%%     through `bin/APP eval' as the test user;
%%   * the rebar3 release run by a user of its own (made here, removed at
%%     the end) with each recipe of the README ("Releases with
%%     privileges"): none (the error names the installed copy's recipe,
%%     never `make setcap', and sudo's words stay off the console), and a
%%     port installed with `make install' and `make install-setcap',
%%     `install-setuid' or `install-sudo' (given to the user's group),
%%     named in sys.config with what the target printed, and for sudo the
%%     sudoers rule it printed. The release's own copy is never given
%%     privileges (epcap_recipe_SUITE shows why).
%%     Each reads a capture file and a live interface (lo, a few UDP
%%     datagrams the probe sends itself) and reports the port's pid, which
%%     must be the port program, not sudo.
%%
%% Needs root (users, capabilities, sudoers), rebar3, elixir, git:
%% skipped otherwise, a failure under CI=true.
-module(epcap_dep_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, groups/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([
    default_target_installs_nothing/1,
    dependency_build_without_werror/1,
    readme_dependency_ref_exists/1,
    missing_header_names_package/1,
    rebar3_git_dependency/1,
    rebar3_release_contents/1,
    rebar3_clean/1,
    rebar3_checkouts/1,
    mix_git_dependency/1,
    mix_path_dependency_rebar3/1,
    release_without_privileges/1,
    release_install_setcap/1,
    release_install_setuid/1,
    release_install_sudo/1
]).

-define(REL, "depapp").

suite() ->
    [{timetrap, {minutes, 4}}].

all() ->
    [default_target_installs_nothing, dependency_build_without_werror,
     readme_dependency_ref_exists, missing_header_names_package,
     {group, rebar3}, {group, mix}].

groups() ->
    [{rebar3, [sequence],
      [rebar3_git_dependency, rebar3_release_contents,
       release_without_privileges, release_install_setcap,
       release_install_setuid, release_install_sudo, rebar3_clean,
       rebar3_checkouts]},
     {mix, [sequence], [mix_git_dependency, mix_path_dependency_rebar3]}].

%%--------------------------------------------------------------------
%% Fixtures

init_per_suite(Config) ->
    case epcap_test_lib:require_tools(epcap_test_lib:require_root(Config),
            ["rebar3", "mix", "elixir", "git", "setcap", "sudo", "useradd",
             "userdel", "setpriv"]) of
        {skip, _} = Skip -> Skip;
        Config1 -> setup(Config1)
    end.

setup(Config) ->
    Tmp = epcap_test_install:temp_dir("dep"),
    Src = filename:join(Tmp, "epcap-src"),
    snapshot(epcap_test_lib:root_dir(), Src),
    User = "epcapdep" ++ os:getpid(),
    epcap_test_install:add_user(User),
    Sample = filename:join(Tmp, "sample.pcap"),
    ok = epcap_samplegen:write_synthetic(Sample, 7, 60, #{}),
    ok = file:change_mode(Sample, 8#644),
    Env = [{"HOME", Tmp}, {"REBAR_CACHE_DIR", filename:join(Tmp, "rebar3-cache")},
           {"MIX_HOME", filename:join(Tmp, "mix-home")},
           {"HEX_OFFLINE", "1"}, {"MIX_REBAR3", os:find_executable("rebar3")},
           {"MIX_ENV", "prod"}, {"ERL_FLAGS", false}, {"ERL_LIBS", false}],
    [{tmp, Tmp}, {src, Src}, {user, User}, {sample, Sample}, {env, Env} | Config].

end_per_suite(Config) ->
    epcap_test_install:remove_sudoers(sudoers_file(Config)),
    epcap_test_install:remove_user(?config(user, Config)),
    epcap_test_install:remove_temp_dir(?config(tmp, Config)).

%% What `git clone' of the tree as it is would give: the files git
%% tracks or would track, committed on branch main of a new repository.
snapshot(From, To) ->
    ok = filelib:ensure_path(To),
    sh_ok(From, "git ls-files -z -c -o --exclude-standard "
                "| tar --null -T - -cf - | tar -xf - -C " ++ To, []),
    sh_ok(To, "git init -q -b main && git add -A && "
              "git -c user.name=t -c user.email=t@localhost "
              "commit -q -m snapshot", []).

sudoers_file(Config) ->
    epcap_test_install:sudoers_file(sudoers_tag(Config)).

sudoers_tag(Config) ->
    "dep-" ++ ?config(user, Config).

%% A shell command in Dir with the suite's environment: {Status, Output}.
sh(Dir, Cmd, Config) ->
    Env = case is_list(Config) of
        true -> proplists:get_value(env, Config, []);
        false -> []
    end,
    epcap_test_lib:sh(Cmd ++ " 2>&1", #{cd => Dir, env => Env, timeout => 240000,
                                        output => unicode, stderr => keep}).

sh_ok(Dir, Cmd, Config) ->
    case sh(Dir, Cmd, Config) of
        {0, Out} -> Out;
        {S, Out} -> ct:fail({command_failed, Dir, Cmd, S, Out})
    end.

write(Path, Text) ->
    ok = filelib:ensure_dir(Path),
    ok = file:write_file(Path, Text).

%% The user's application: it depends on epcap, and its probe reads a
%% capture file and a live interface through epcap, then prints a term.
write_app(Dir, Name) ->
    write(filename:join([Dir, "src", Name ++ ".app.src"]),
          ["{application, ", Name, ", [{description, \"uses epcap\"}, "
           "{vsn, \"0.1.0\"}, {registered, []}, "
           "{applications, [kernel, stdlib, epcap]}, {env, []}]}.\n"]),
    write(filename:join([Dir, "src", "dep_probe.erl"]), probe_source()).

probe_source() ->
    "-module(dep_probe).\n"
    "-export([main/1]).\n"
    "%% dep_probe File Iface: what epcap reads, as one term on stdout.\n"
    "main([File, Iface]) ->\n"
    "    logger:set_primary_config(level, error),\n"
    "    R = #{file => file_packets(File), live => live(Iface),\n"
    "          port => code:priv_dir(epcap)},\n"
    "    io:format(\"RESULT ~p.~n\", [R]),\n"
    "    halt(0).\n"
    "file_packets(File) ->\n"
    "    case epcap:start_link([{file, File}]) of\n"
    "        {ok, _} -> {ok, count(0)};\n"
    "        Error -> Error\n"
    "    end.\n"
    "count(N) ->\n"
    "    receive\n"
    "        {packet, _, _, _, _} -> count(N + 1);\n"
    "        {epcap, eof} -> N\n"
    "    after 10000 -> {timeout, N}\n"
    "    end.\n"
    "live(Iface) ->\n"
    "    {ok, S} = gen_udp:open(0, [{ip, {127,0,0,1}}]),\n"
    "    {ok, P} = inet:port(S),\n"
    "    Filter = \"udp dst port \" ++ integer_to_list(P),\n"
    "    case epcap:start_link([{interface, Iface}, {filter, Filter}]) of\n"
    "        {ok, Pid} ->\n"
    "            [gen_udp:send(S, {127,0,0,1}, P, <<\"epcap\">>) || _ <- lists:seq(1, 5)],\n"
    "            N = packets(0, 5),\n"
    "            {ok, #{os_pid := OsPid}} = epcap:info(Pid),\n"
    "            {ok, Argv0} = file:read_file(\"/proc/\" ++ integer_to_list(OsPid) ++ \"/cmdline\"),\n"
    "            [Exe | _] = binary:split(Argv0, <<0>>),\n"
    "            ok = epcap:stop(Pid),\n"
    "            {ok, N, binary_to_list(Exe)};\n"
    "        Error -> Error\n"
    "    end.\n"
    "packets(N, N) -> N;\n"
    "packets(N, Want) ->\n"
    "    receive {packet, _, _, _, _} -> packets(N + 1, Want)\n"
    "    after 5000 -> N\n"
    "    end.\n".

%%--------------------------------------------------------------------
%% The build as a dependency

%% Mix's make manager runs the default target: it must install nothing.
default_target_installs_nothing(Config) ->
    Src = ?config(src, Config),
    Out = sh_ok(Src, "make -n", Config),
    ?assertEqual(nomatch, string:find(Out, "apt-get update")),
    ?assertEqual(nomatch, string:find(Out, "dpkg-query")),
    %% make test still installs what it needs.
    ?assertNotEqual(nomatch, string:find(sh_ok(Src, "make -n test-deps", Config),
                                         "apt-get update")).

%% -Werror is the project's own: rebar3's hook (make -C c_src) and Mix's
%% make manager (IS_DEP) compile without it, the top-level build with it.
dependency_build_without_werror(Config) ->
    Src = ?config(src, Config),
    %% As a user's build runs: not under this make ct, which exports it.
    Werror = fun(Cmd) ->
                     Out = sh_ok(Src, "unset EPCAP_WERROR; " ++ Cmd, Config),
                     ?assertNotEqual(nomatch, string:find(Out, "-Wall")),
                     string:find(Out, "-Werror") =/= nomatch
             end,
    ?assertNot(Werror("make -n -B -C c_src port")),
    ?assertNot(Werror("IS_DEP=1 make -n -B port")),
    ?assert(Werror("make -n -B port")),
    %% rebar.config's hook is that plain make -C c_src.
    {ok, Terms} = file:consult(filename:join(Src, "rebar.config")),
    Hooks = proplists:get_value(pre_hooks, Terms),
    ?assert(lists:member({"(linux|darwin|solaris)", compile, "make -C c_src"},
                         Hooks)).

%% The README's rebar3 and Mix lines name a ref that exists in a clone
%% (the branch this suite's clone has), not a tag that was never made.
readme_dependency_ref_exists(Config) ->
    Src = ?config(src, Config),
    {ok, Readme} = file:read_file(filename:join(Src, "README.md")),
    {match, [Kind, Ref]} = re:run(Readme, "\\{deps, \\[\\{epcap, \\{git, \"[^\"]*\", "
                                  "\\{(tag|branch|ref), \"([^\"]+)\"\\}",
                                  [{capture, all_but_first, list}]),
    {match, [MixKind, MixRef]} = re:run(Readme, "\\{:epcap, git: \"[^\"]*\", "
                                        "(tag|branch|ref): \"([^\"]+)\"\\}",
                                        [{capture, all_but_first, list}]),
    ?assertEqual({Kind, Ref}, {MixKind, MixRef}),
    Git = case Kind of
        "tag" -> "refs/tags/" ++ Ref;
        "branch" -> "refs/heads/" ++ Ref;
        "ref" -> Ref
    end,
    sh_ok(Src, "git rev-parse --verify -q " ++ Git, Config).

%% A compiler without seccomp.h: one message, naming the package.
missing_header_names_package(Config) ->
    Tmp = ?config(tmp, Config),
    FakeCC = filename:join(Tmp, "cc-without-seccomp"),
    write(FakeCC, "#!/bin/sh\n"
                  "in=$(cat)\n"
                  "case \"$in\" in *seccomp.h*) echo 'no seccomp.h' >&2; exit 1;; esac\n"
                  "printf '%s\\n' \"$in\" | exec cc \"$@\"\n"),
    ok = file:change_mode(FakeCC, 8#755),
    {Status, Out} = sh(?config(src, Config),
                       "make -C c_src build-check CC=" ++ FakeCC, Config),
    ?assertNotEqual(0, Status),
    ?assertNotEqual(nomatch, string:find(Out, "missing Debian packages: libseccomp-dev")),
    ?assertEqual(nomatch, string:find(Out, "libpcap-dev")).

%%--------------------------------------------------------------------
%% rebar3

rebar3_git_dependency(Config) ->
    App = filename:join(?config(tmp, Config), ?REL),
    write(filename:join(App, "rebar.config"),
          ["{deps, [{epcap, {git, \"file://localhost", ?config(src, Config),
           "\", {branch, \"main\"}}}]}.\n"
           "{relx, [{release, {", ?REL, ", \"0.1.0\"}, [", ?REL, ", epcap]},\n"
           "        {sys_config, \"config/sys.config\"},\n"
           "        {dev_mode, false}, {include_erts, false},\n"
           "        {extended_start_script, true}]}.\n"]),
    write(filename:join([App, "config", "sys.config"]), "[].\n"),
    write_app(App, ?REL),
    sh_ok(App, "rebar3 compile", Config),
    Lib = filename:join([App, "_build", "default", "lib", "epcap"]),
    ?assertEqual(["epcap"], files(filename:join(Lib, "priv"))),
    ?assertEqual([], filelib:wildcard(filename:join([Lib, "c_src", "*.o"]))),
    assert_docs(filename:join(Lib, "ebin")),
    ?assert(filelib:is_regular(filename:join([Lib, "doc", "chunks", "epcap.chunk"]))).

files(Dir) ->
    {ok, Names} = file:list_dir(Dir),
    lists:sort(Names).

%% Each epcap beam carries its EEP-48 docs, so a release has them.
assert_docs(Ebin) ->
    Beams = filelib:wildcard(filename:join(Ebin, "epcap*.beam")),
    ?assert(length(Beams) >= 4),
    [begin
         {ok, {_, [{"Docs", Chunk}]}} = beam_lib:chunks(B, ["Docs"]),
         ?assertMatch({docs_v1, _, erlang, _, _, _, _}, binary_to_term(Chunk))
     end || B <- Beams],
    {ok, {_, [{"Docs", Docs}]}} =
        beam_lib:chunks(filename:join(Ebin, "epcap.beam"), ["Docs"]),
    {docs_v1, _, _, _, _, _, Entries} = binary_to_term(Docs),
    ?assertMatch([{{function, start_link, 1}, _, _, #{<<"en">> := _}, _}],
                 [E || {{function, start_link, 1}, _, _, _, _} = E <- Entries]).

rebar3_release_contents(Config) ->
    App = filename:join(?config(tmp, Config), ?REL),
    sh_ok(App, "rebar3 release && rebar3 tar", Config),
    Rel = rel_dir(Config),
    [EpcapDir] = filelib:wildcard(filename:join([Rel, "lib", "epcap-*"])),
    ?assertEqual(["epcap"], files(filename:join(EpcapDir, "priv"))),
    assert_docs(filename:join(EpcapDir, "ebin")),
    [Tar] = filelib:wildcard(filename:join(Rel, "*.tar.gz")),
    {ok, Entries} = erl_tar:table(Tar, [compressed]),
    Epcap = [E || E <- Entries, string:prefix(E, "lib/epcap-") =/= nomatch],
    Priv = [E || E <- Epcap, string:find(E, "/priv/") =/= nomatch],
    ?assertMatch([_], Priv),
    ?assertEqual("epcap", filename:basename(hd(Priv))),
    ?assertEqual([], [E || E <- Epcap, filename:extension(E) =:= ".o"
                      orelse string:find(E, "/test/") =/= nomatch
                      orelse string:find(E, "epcap-") =/= nomatch
                             andalso filename:dirname(E) =/= "lib"
                             andalso string:find(filename:basename(E), "epcap-") =/= nomatch]),
    ct:log("release files of epcap:~n~p", [Epcap]).

rel_dir(Config) ->
    filename:join([?config(tmp, Config), ?REL, "_build", "default", "rel", ?REL]).

rebar3_clean(Config) ->
    App = filename:join(?config(tmp, Config), ?REL),
    Port = filename:join([App, "_build", "default", "lib", "epcap", "priv", "epcap"]),
    ?assert(filelib:is_regular(Port)),
    sh_ok(App, "rebar3 clean -a", Config),
    ?assertNot(filelib:is_regular(Port)).

rebar3_checkouts(Config) ->
    App = filename:join(?config(tmp, Config), "checkoutapp"),
    sh_ok(?config(tmp, Config), "git clone -q " ++ ?config(src, Config) ++ " "
          ++ filename:join([App, "_checkouts", "epcap"]), Config),
    write(filename:join(App, "rebar.config"), "{deps, [epcap]}.\n"),
    write_app(App, "checkoutapp"),
    sh_ok(App, "rebar3 compile", Config),
    Out = filename:join([App, "_build", "default", "checkouts", "epcap"]),
    ?assert(filelib:is_regular(filename:join([Out, "priv", "epcap"]))),
    assert_docs(filename:join(Out, "ebin")),
    %% Objects stay out of c_src.
    ?assertEqual([], filelib:wildcard(filename:join([App, "_checkouts", "epcap",
                                                     "c_src", "*.o"]))).

%%--------------------------------------------------------------------
%% The rebar3 release, run as a user of its own

%% Run the probe in the release's own boot, as the test user; the term it
%% printed and everything it wrote (the console).
probe(Config) ->
    Rel = rel_dir(Config),
    Boot = filename:join([Rel, "releases", "0.1.0", "start"]),
    SysConfig = filename:join([Rel, "releases", "0.1.0", "sys"]),
    %% What the release's start script does (relx, without erts): the
    %% boot script's $ROOT is the release.
    Erts = filename:join(code:root_dir(), "erts-" ++ erlang:system_info(version)),
    Cmd = lists:flatten(io_lib:format(
        "~s env HOME=/tmp ROOTDIR=~s BINDIR=~s/bin EMU=beam PROGNAME=erl ~s/bin/erlexec "
        "-boot ~s -boot_var SYSTEM_LIB_DIR ~s -config ~s -noshell "
        "-run dep_probe main ~s lo",
        [as_user(Config), Rel, Erts, Erts, Boot,
         code:lib_dir(), SysConfig, ?config(sample, Config)])),
    {_, Out} = sh("/tmp", Cmd, []),
    ct:log("~s~n~s", [Cmd, Out]),
    case string:find(Out, "RESULT ") of
        nomatch ->
            ct:fail({no_result, Out});
        "RESULT " ++ Text ->
            {ok, Toks, _} = erl_scan:string(Text),
            {ok, Term} = erl_parse:parse_term(Toks),
            {Term, Out}
    end.

set_sys_config(Config, Env) ->
    Rel = rel_dir(Config),
    write(filename:join([Rel, "releases", "0.1.0", "sys.config"]),
          io_lib:format("~p.~n", [[{epcap, Env}]])).

release_port(Config) ->
    [Port] = filelib:wildcard(filename:join([rel_dir(Config), "lib", "epcap-*",
                                             "priv", "epcap"])),
    Port.

%% Files need no privilege; live capture fails with the real reason and
%% a hint that fits a release: the installed copy's recipe, a warning
%% against privileges for its own copy, and nothing of sudo's on the
%% console.
release_without_privileges(Config) ->
    Port = release_port(Config),
    set_sys_config(Config, []),
    {#{file := File, live := Live}, Out} = probe(Config),
    ?assertEqual({ok, 7}, File),
    ?assertMatch({error, {permission_denied, _}}, Live),
    {error, {permission_denied, Msg}} = Live,
    ?assertNotEqual(nomatch, string:find(Msg, "make install install-setcap")),
    ?assertNotEqual(nomatch, string:find(Msg, "never give " ++ Port)),
    ?assertEqual(nomatch, string:find(Msg, "make setcap")),
    %% sudo's words are in the reason, never on the console.
    ?assertEqual(nomatch, string:find(console(Out), "password")),
    ?assertEqual(nomatch, string:find(console(Out), "sudo")).

%% The command prefix that runs what follows as the test user.
as_user(Config) ->
    epcap_test_install:as_user(?config(user, Config), ?config(user, Config), clear).

%% What the console showed besides its result.
console(Out) ->
    [Before | _] = string:split(Out, "RESULT "),
    Before.

%% The README's recipe: make install install-Target into a PREFIX of
%% root's, given to the user's group; the installed copy and what the
%% target printed.
install_port(Config, Target) ->
    epcap_test_install:make_install(
      ?config(src, Config), filename:join(?config(tmp, Config), "prefix-" ++ Target),
      Target, ?config(user, Config), #{env => ?config(env, Config)}).

printed(Out, Announce) ->
    epcap_test_install:printed(Out, Announce).

%% The release's sys.config as the target printed it.
printed_sys_config(Config, Out) ->
    {ok, Toks, _} = erl_scan:string(printed(Out, "in the release's sys.config")),
    {ok, [{epcap, Env}]} = erl_parse:parse_term(Toks),
    set_sys_config(Config, Env).

%% The release, with the installed port, reads a file and captures live;
%% the port's pid is the installed program's, not sudo's.
probe_installed(Config, Installed) ->
    try
        {#{file := File, live := Live}, Out} = probe(Config),
        ?assertEqual({ok, 7}, File),
        ?assertMatch({ok, 5, _}, Live),
        {ok, _, Exe} = Live,
        ?assertEqual(Installed, Exe),
        ?assertEqual(nomatch, string:find(console(Out), "sudo"))
    after
        set_sys_config(Config, [])
    end.

%% Recipe 1: file capabilities on an installed copy (make install-setcap).
release_install_setcap(Config) ->
    {Installed, Out} = install_port(Config, "setcap"),
    ?assertMatch({0, _}, epcap_test_lib:run("getcap", [Installed])),
    printed_sys_config(Config, Out),
    probe_installed(Config, Installed).

%% Recipe 2: setuid root on an installed copy (make install-setuid).
release_install_setuid(Config) ->
    {Installed, Out} = install_port(Config, "setuid"),
    printed_sys_config(Config, Out),
    probe_installed(Config, Installed).

%% Recipe 3: sudo, with the rule make install-sudo printed for the
%% installed copy.
release_install_sudo(Config) ->
    {Installed, Out} = install_port(Config, "sudo"),
    Rule = printed(Out, "the sudoers rule"),
    ?assertEqual("%" ++ ?config(user, Config) ++ " ALL=(root) NOPASSWD: " ++
                 Installed, Rule),
    File = epcap_test_install:sudoers_rule(sudoers_tag(Config), Rule),
    printed_sys_config(Config, Out),
    try
        probe_installed(Config, Installed)
    after
        file:delete(File)
    end.

%%--------------------------------------------------------------------
%% Mix

mix_git_dependency(Config) ->
    Dep = "{:epcap, git: \"" ++ ?config(src, Config) ++ "\", branch: \"main\"}",
    mix_app(Config, "mixgit", Dep, true).

mix_path_dependency_rebar3(Config) ->
    Copy = filename:join(?config(tmp, Config), "epcap-path"),
    sh_ok(?config(tmp, Config), "git clone -q " ++ ?config(src, Config) ++ " "
          ++ Copy, Config),
    Dep = "{:epcap, path: \"" ++ Copy ++ "\", manager: :rebar3}",
    mix_app(Config, "mixpath", Dep, false).

mix_app(Config, Name, Dep, Release) ->
    App = filename:join(?config(tmp, Config), Name),
    Mod = string:titlecase(Name),
    write(filename:join(App, "mix.exs"),
          ["defmodule ", Mod, ".MixProject do\n"
           "  use Mix.Project\n"
           "  def project do\n"
           "    [app: :", Name, ", version: \"0.1.0\", elixir: \"~> 1.14\",\n"
           "     deps: [", Dep, "],\n"
           "     releases: [", Name, ": [strip_beams: [keep: [\"Docs\"]]]]]\n"
           "  end\n"
           "  def application, do: [extra_applications: [:logger]]\n"
           "end\n"]),
    write(filename:join([App, "lib", Name ++ ".ex"]),
          ["defmodule ", Mod, " do\n"
           "  def count(file) do\n"
           "    {:ok, _} = :epcap.start_link(file: file)\n"
           "    loop(0)\n"
           "  end\n"
           "  defp loop(n) do\n"
           "    receive do\n"
           "      {:packet, _, _, _, _} -> loop(n + 1)\n"
           "      {:epcap, :eof} -> n\n"
           "    after 10_000 -> {:timeout, n}\n"
           "    end\n"
           "  end\n"
           "end\n"]),
    sh_ok(App, "mix deps.get && mix compile", Config),
    Lib = filename:join([App, "_build", "prod", "lib", "epcap"]),
    ?assertEqual(["epcap"], files(filename:join(Lib, "priv"))),
    assert_docs(filename:join(Lib, "ebin")),
    %% IEx's h :epcap.start_link reads the same chunk.
    Help = sh_ok(App, "mix run -e 'require IEx.Helpers; "
                      "IEx.Helpers.h(:epcap.start_link/1)'", Config),
    ?assertNotEqual(nomatch, string:find(Help, "Start capturing")),
    Release andalso mix_release(Config, App, Name).

%% The Mix release carries the port and reads a file as the test user.
mix_release(Config, App, Name) ->
    sh_ok(App, "mix release --overwrite", Config),
    Rel = filename:join([App, "_build", "prod", "rel", Name]),
    [EpcapDir] = filelib:wildcard(filename:join([Rel, "lib", "epcap-*"])),
    ?assertEqual(["epcap"], files(filename:join(EpcapDir, "priv"))),
    %% The start script writes under tmp: let the user.
    sh_ok(Rel, "mkdir -p tmp && chmod 1777 tmp", []),
    Cmd = lists:flatten(io_lib:format(
        "~s env HOME=/tmp ~s/bin/~s eval 'IO.inspect(~s.count(~p))'",
        [as_user(Config), Rel, Name,
         string:titlecase(Name), ?config(sample, Config)])),
    {Status, Out} = sh("/tmp", Cmd, []),
    ct:log("~s~n~s", [Cmd, Out]),
    ?assertEqual(0, Status),
    ?assertNotEqual(nomatch, string:find(Out, "7")).
