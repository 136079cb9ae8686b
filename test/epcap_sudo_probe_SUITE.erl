%% @doc The default exec prefix's sudo probe (epcap_launch): a port
%% program that cannot capture by itself is asked `sudo -n Prog
%% --can-capture' once, and sudo's answer (yes or a refusal) is kept
%% until the program or the sudoers files change (needs root: sudo -n
%% must answer without a password, and this VM must trust the path).
%%
%% The program is a stand-in script that says "cannot capture" when run
%% directly and, through sudo, answers as the case wants and counts the
%% times sudo ran it: the count is what shows the cache used or asked
%% again. The sudoers directory's time stamp is moved, and put back, to
%% stand for an edit of the sudoers files; no rule is written.
-module(epcap_sudo_probe_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include_lib("kernel/include/file.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([answer_kept_until_a_change/1]).

-define(SUDOERS_D, "/etc/sudoers.d").

all() ->
    [answer_kept_until_a_change].

init_per_suite(Config0) ->
    case epcap_test_lib:require_root(Config0) of
        {skip, _} = Skip ->
            Skip;
        Config ->
            case os:find_executable("sudo") of
                false -> ct:fail("sudo is not installed (the Makefile's packages)");
                Sudo -> [{sudo, Sudo} | Config]
            end
    end.

end_per_suite(_Config) ->
    ok.

answer_kept_until_a_change(Config) ->
    Dir = ?config(priv_dir, Config),
    Prog = filename:join(Dir, "epcap-fix-probe"),
    Count = filename:join(Dir, "sudo-runs"),
    Prefix = [?config(sudo, Config), "-n"],
    {ok, C} = epcap_opts:parse([{interface, "lo"}, {progname, Prog}]),
    Probe = fun() -> epcap_launch:exec_prefix(C) end,
    %% sudo says yes: asked once, then remembered.
    stand_in(Prog, Count, 0),
    ?assertEqual({ok, Prefix}, Probe()),
    ?assertEqual(1, runs(Count)),
    ?assertEqual({ok, Prefix}, Probe()),
    ?assertEqual({ok, Prefix}, Probe()),
    ?assertEqual(1, runs(Count)),
    %% A new program (installed as install(1) does: a new file) is asked
    %% about again.
    stand_in(Prog, Count, 0),
    ?assertEqual({ok, Prefix}, Probe()),
    ?assertEqual(2, runs(Count)),
    ?assertEqual({ok, Prefix}, Probe()),
    ?assertEqual(2, runs(Count)),
    %% So is the same program after a change of the sudoers files.
    sudoers_changed(fun() ->
        ?assertEqual({ok, Prefix}, Probe()),
        ?assertEqual(3, runs(Count)),
        ?assertEqual({ok, Prefix}, Probe()),
        ?assertEqual(3, runs(Count))
    end),
    %% A refusal is kept as well: sudo is not asked (nor logs a failed
    %% attempt) at every start.
    stand_in(Prog, Count, 77),
    {error, {permission_denied, Msg}} = Refused = Probe(),
    ct:log("refused: ~ts", [Msg]),
    ?assertEqual(4, runs(Count)),
    ?assertEqual(Refused, Probe()),
    ?assertEqual(4, runs(Count)).

%% A port program that cannot capture by itself (exit 77, noperm) and,
%% run by sudo, counts the run and exits Status. Written beside and
%% renamed over the old one: a new file, as an install makes.
stand_in(Prog, Count, Status) ->
    Tmp = Prog ++ ".new",
    ok = file:write_file(Tmp, [
        "#!/bin/sh\n"
        "[ \"$1\" = --can-capture ] || exit 64\n"
        "[ -n \"$SUDO_USER\" ] || exit 77\n"
        "echo run >>'", Count, "'\n"
        "exit ", integer_to_list(Status), "\n"]),
    ok = file:change_mode(Tmp, 8#755),
    ok = file:rename(Tmp, Prog).

runs(Count) ->
    case file:read_file(Count) of
        {ok, B} -> length(binary:matches(B, <<"run\n">>));
        {error, enoent} -> 0
    end.

%% The sudoers directory's modification time moved (as adding a file
%% there would), for the length of Fun, then put back.
sudoers_changed(Fun) ->
    {ok, #file_info{mtime = M, atime = A}} =
        file:read_file_info(?SUDOERS_D, [{time, posix}]),
    ok = set_times(M - 3600, A),
    try
        Fun()
    after
        ok = set_times(M, A)
    end.

set_times(M, A) ->
    file:write_file_info(?SUDOERS_D, #file_info{mtime = M, atime = A},
                         [{time, posix}]).
