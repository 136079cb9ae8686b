%% @doc Privileged installs for the suites that test them (needs root):
%% temporary directories, copies of priv/epcap with the privilege under
%% test, throwaway users and sudoers rules, and the `setpriv' prefix that
%% runs a command as another user.
%%
%% Everything made here is named so that two test runs on one machine
%% cannot remove each other's: directories by mktemp, users and sudoers
%% files by a tag the suite gives (its OS pid, usually), and each has its
%% removal here too, safe to call after a failure.
-module(epcap_test_install).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([
    temp_dir/1,
    remove_temp_dir/1,
    copy/2,
    copies/2,
    setcap/1,
    add_user/1,
    remove_user/1,
    sudoers/2,
    sudoers_rule/2,
    sudoers_file/1,
    remove_sudoers/1,
    uid/1,
    gid/1,
    as_user/3,
    make_install/5,
    printed/2,
    command/3,
    run_as/4,
    assert_refused/3
]).

-define(TMP, "/tmp/epcap-").
%% What `make setcap' gives the port.
-define(CAPS, "cap_net_raw,cap_net_admin+ep").

%% @doc A new directory /tmp/epcap-Tag.XXXXXX that everyone may enter.
temp_dir(Tag) ->
    Dir = string:trim(epcap_test_lib:run_ok(
        "mktemp", ["-d", ?TMP ++ Tag ++ ".XXXXXX"])),
    ok = file:change_mode(Dir, 8#755),
    Dir.

%% @doc Remove a directory made by `temp_dir/1' (anything else, such as
%% `undefined' from a suite that never got that far, is left alone).
remove_temp_dir(?TMP ++ _ = Dir) ->
    _ = epcap_test_lib:run("rm", ["-rf", Dir]),
    ok;
remove_temp_dir(_) ->
    ok.

%% @doc A copy of the port at Dir/Kind/epcap, readable and executable by
%% everyone, with the privilege under test: `plain' or `sudo' (none of
%% its own), `caps' (what `make setcap' sets), `caps_setpcap' (the same
%% and CAP_SETPCAP) or `setuid' (root). chmod comes before setcap: a
%% chown or chmod may clear capabilities.
copy(Dir, Kind) ->
    Sub = filename:join(Dir, atom_to_list(Kind)),
    ok = file:make_dir(Sub),
    ok = file:change_mode(Sub, 8#755),
    Bin = filename:join(Sub, "epcap"),
    {ok, _} = file:copy(epcap_opts:default_progname(), Bin),
    ok = file:change_mode(Bin, 8#755),
    case Kind of
        plain -> ok;
        sudo -> ok;
        caps -> setcap(Bin);
        caps_setpcap ->
            epcap_test_lib:run_ok("setcap", ["cap_net_raw,cap_net_admin,"
                                             "cap_setpcap+ep", Bin]);
        setuid -> ok = file:change_mode(Bin, 8#4755)
    end,
    Bin.

%% @doc Give a program the capabilities `make setcap' gives the port.
setcap(Bin) ->
    epcap_test_lib:run_ok("setcap", [?CAPS, Bin]).

%% @doc One `copy/2' of each kind: `#{Kind => Path}'.
copies(Dir, Kinds) ->
    maps:from_list([{K, copy(Dir, K)} || K <- Kinds]).

%% @doc A system user `Name' with a group of the same name, no home and
%% no login shell, unless it exists already.
add_user(Name) ->
    case epcap_test_lib:run("id", ["-u", Name]) of
        {0, _} -> ok;
        _ -> epcap_test_lib:run_ok("useradd", ["--system", "--user-group",
                                               "--no-create-home", "--shell",
                                               "/usr/sbin/nologin", Name]),
             ok
    end.

%% @doc End every process of a user made by `add_user/1', then remove it
%% (and its group). `undefined' is fine.
remove_user(undefined) ->
    ok;
remove_user(Name) ->
    _ = epcap_test_lib:run("pkill", ["-KILL", "-u", Name]),
    _ = epcap_test_lib:run("userdel", [Name]),
    ok.

%% @doc A sudoers rule that lets `Who' (a user, or `%group') run exactly
%% `Bin' as root without a password; its file (`sudoers_rule/2').
sudoers(Tag, {Who, Bin}) ->
    sudoers_rule(Tag, Who ++ " ALL=(root) NOPASSWD: " ++ Bin).

%% @doc A sudoers rule, one line, checked by visudo, in
%% /etc/sudoers.d/epcap-Tag; its path.
sudoers_rule(Tag, Line) ->
    File = sudoers_file(Tag),
    ok = file:write_file(File, [Line, "\n"]),
    ok = file:change_mode(File, 8#440),
    epcap_test_lib:run_ok("visudo", ["-c", "-q", "-f", File]),
    File.

%% @doc Where `sudoers/2' writes the rule of `Tag'.
sudoers_file(Tag) ->
    "/etc/sudoers.d/epcap-" ++ Tag.

%% @doc Remove a rule written by `sudoers/2'.
remove_sudoers("/etc/sudoers.d/epcap-" ++ _ = File) ->
    _ = file:delete(File),
    ok;
remove_sudoers(_) ->
    ok.

%% @doc A user's uid.
uid(Name) ->
    list_to_integer(string:trim(epcap_test_lib:run_ok("id", ["-u", Name]))).

%% @doc A group's gid.
gid(Group) ->
    [_, _, Gid | _] = string:split(
        string:trim(epcap_test_lib:run_ok("getent", ["group", Group])), ":",
        all),
    list_to_integer(Gid).

%% @doc The command prefix that runs what follows as `User':`Group', with
%% no supplementary groups (`clear') or the user's own (`init'); for an
%% `exec' option or a shell command line.
as_user(User, Group, Groups) ->
    "setpriv --reuid=" ++ User ++ " --regid=" ++ Group ++
        case Groups of
            clear -> " --clear-groups";
            init -> " --init-groups"
        end.

%% @doc The command line that runs an installed copy `Bin' of `Kind' as
%% `User' (in the user's own groups): through `sudo -n' for a `sudo'
%% install, straight for the others.
command(User, Kind, Bin) ->
    as_user(User, User, init) ++ " -- " ++
        case Kind of
            sudo -> "sudo -n ";
            _ -> ""
        end ++ Bin.

%% @doc Run that copy with `Args' (shell words), stdin empty:
%% `{ExitStatus, Output}' (stdout and stderr). Bounded: 30 s.
run_as(User, Kind, Bin, Args) ->
    epcap_test_lib:sh(command(User, Kind, Bin) ++ " " ++ Args ++
                      " </dev/null 2>&1", #{timeout => 30000}).

%% @doc A refusal: the run exited with `Status' and its output has every
%% one of `Words'. The output.
assert_refused(Status, {S, Out}, Words) ->
    ct:log("~p", [{S, Out}]),
    ?assertEqual(Status, S),
    [?assertNotEqual(nomatch, string:find(Out, W)) || W <- Words],
    Out.

%% @doc The README's recipe: `make install install-Target' in the source
%% tree `Tree', into `Prefix' (a directory of root's), the port given to
%% `Group'. The installed copy and what make printed. `Opts' as for
%% `epcap_test_lib:sh/2' (an environment, say).
make_install(Tree, Prefix, Target, Group, Opts) ->
    Out = epcap_test_lib:sh_ok(
            "make -C " ++ Tree ++ " --no-print-directory install install-" ++
            Target ++ " PREFIX=" ++ Prefix ++ " ERL_LIBDIR=" ++ Prefix ++
            "/lib/erlang/lib CAPTURE_GROUP=" ++ Group,
            maps:merge(#{timeout => 240000, output => unicode}, Opts)),
    ct:log("~s", [Out]),
    {filename:join([Prefix, "lib", "epcap", "epcap"]), Out}.

%% @doc The line make printed after the one that announces it (a sudoers
%% rule, a sys.config entry).
printed(Out, Announce) ->
    [_, After] = string:split(Out, Announce),
    [_, Line | _] = string:split(After, "\n", all),
    string:trim(Line).
