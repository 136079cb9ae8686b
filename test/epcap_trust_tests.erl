%% EUnit tests of epcap_trust: the path walk over literal file_info
%% records (no file system), and once over the real one.
-module(epcap_trust_tests).

-include_lib("eunit/include/eunit.hrl").
-include_lib("kernel/include/file.hrl").

dir(Uid, Mode) -> #file_info{type = directory, uid = Uid, gid = 0, mode = 8#40000 bor Mode}.
file(Uid, Mode) -> #file_info{type = regular, uid = Uid, gid = 0, mode = 8#100000 bor Mode}.
symlink(Uid) -> #file_info{type = symlink, uid = Uid, gid = 0, mode = 8#120777}.

%% A file system as a map: path => #file_info{}, and links => target.
fs(Entries, Links) ->
    Lstat = fun(P) ->
                    case maps:find(P, Entries) of
                        {ok, I} -> {ok, I};
                        error -> {error, enoent}
                    end
            end,
    Readlink = fun(P) ->
                       case maps:find(P, Links) of
                           {ok, T} -> {ok, T};
                           error -> {error, einval}
                       end
               end,
    {Lstat, Readlink}.

check(Path, Entries) ->
    check(Path, Entries, #{}).

check(Path, Entries, Links) ->
    {Lstat, Readlink} = fs(Entries, Links),
    epcap_trust:check(Path, Lstat, Readlink).

%% What make install-sudo makes: every directory root's, 0755.
installed() ->
    #{"/" => dir(0, 8#755), "/usr" => dir(0, 8#755),
      "/usr/local" => dir(0, 8#755), "/usr/local/lib" => dir(0, 8#755),
      "/usr/local/lib/epcap" => dir(0, 8#755),
      "/usr/local/lib/epcap/epcap" => (file(0, 8#750))#file_info{gid = 120}}.

installed_copy_is_trusted_test() ->
    ?assertEqual(ok, check("/usr/local/lib/epcap/epcap", installed())).

setuid_root_copy_is_trusted_test() ->
    Fs = maps:put("/usr/local/lib/epcap/epcap", file(0, 8#4750), installed()),
    ?assertEqual(ok, check("/usr/local/lib/epcap/epcap", Fs)).

%% The release tree of issue 17: /opt/app owned by the application's user.
release() ->
    #{"/" => dir(0, 8#755), "/opt" => dir(0, 8#755),
      "/opt/app" => dir(1001, 8#755), "/opt/app/lib" => dir(1001, 8#755),
      "/opt/app/lib/epcap-2.0.0" => dir(1001, 8#755),
      "/opt/app/lib/epcap-2.0.0/priv" => dir(1001, 8#755),
      "/opt/app/lib/epcap-2.0.0/priv/epcap" => file(0, 8#755)}.

release_copy_is_refused_test() ->
    {error, Why} = check("/opt/app/lib/epcap-2.0.0/priv/epcap", release()),
    ?assertEqual("/opt/app is owned by uid 1001, not root: that user can "
                 "replace it", Why).

file_owned_by_user_is_refused_test() ->
    Fs = maps:put("/usr/local/lib/epcap/epcap", file(1001, 8#755), installed()),
    ?assertMatch({error, "/usr/local/lib/epcap/epcap is owned by uid 1001" ++ _},
                 check("/usr/local/lib/epcap/epcap", Fs)).

group_writable_directory_is_refused_test() ->
    Fs = maps:put("/usr/local", (dir(0, 8#2775))#file_info{gid = 50}, installed()),
    ?assertEqual({error, "/usr/local (mode 2775) is writable by the members of "
                         "gid 50: they can put another file in its place"},
                 check("/usr/local/lib/epcap/epcap", Fs)).

world_writable_file_is_refused_test() ->
    Fs = maps:put("/usr/local/lib/epcap/epcap", file(0, 8#757), installed()),
    ?assertEqual({error, "/usr/local/lib/epcap/epcap (mode 757) is writable by "
                         "every user: they can change the program"},
                 check("/usr/local/lib/epcap/epcap", Fs)).

group_writable_file_is_refused_test() ->
    Fs = maps:put("/usr/local/lib/epcap/epcap", file(0, 8#775), installed()),
    ?assertMatch({error, "/usr/local/lib/epcap/epcap (mode 775) is writable by "
                         "the members of gid 0" ++ _},
                 check("/usr/local/lib/epcap/epcap", Fs)).

root_directory_is_checked_test() ->
    Fs = maps:put("/", dir(1001, 8#755), installed()),
    ?assertMatch({error, "/ is owned by uid 1001" ++ _},
                 check("/usr/local/lib/epcap/epcap", Fs)).

%% /tmp: others may write, but sticky and root's: root's entries in it
%% are safe, a user's are not.
sticky_root_directory_is_accepted_test() ->
    Fs = #{"/" => dir(0, 8#755), "/tmp" => dir(0, 8#1777),
           "/tmp/x" => dir(0, 8#755), "/tmp/x/epcap" => file(0, 8#755)},
    ?assertEqual(ok, check("/tmp/x/epcap", Fs)),
    ?assertMatch({error, "/tmp/x is owned by uid 1001" ++ _},
                 check("/tmp/x/epcap", Fs#{"/tmp/x" => dir(1001, 8#755)})),
    %% Not sticky: anyone may rename /tmp/x away and make their own.
    ?assertMatch({error, "/tmp (mode 777) is writable by every user" ++ _},
                 check("/tmp/x/epcap", Fs#{"/tmp" => dir(0, 8#777)})).

sticky_file_is_no_exception_test() ->
    Fs = maps:put("/usr/local/lib/epcap/epcap", file(0, 8#1757), installed()),
    ?assertMatch({error, _}, check("/usr/local/lib/epcap/epcap", Fs)).

%% A link is followed, and its target's directories are checked.
absolute_link_is_followed_test() ->
    Fs = maps:merge(installed(), #{"/usr/local/bin" => dir(0, 8#755),
                                   "/usr/local/bin/epcap" => symlink(0)}),
    Links = #{"/usr/local/bin/epcap" => "/usr/local/lib/epcap/epcap"},
    ?assertEqual(ok, check("/usr/local/bin/epcap", Fs, Links)),
    %% The same link into the release tree is refused at the tree.
    Fs2 = maps:merge(Fs, release()),
    Links2 = #{"/usr/local/bin/epcap" => "/opt/app/lib/epcap-2.0.0/priv/epcap"},
    ?assertMatch({error, "/opt/app is owned by uid 1001" ++ _},
                 check("/usr/local/bin/epcap", Fs2, Links2)).

relative_link_and_dot_dot_test() ->
    Fs = maps:merge(installed(), #{"/usr/local/bin" => dir(0, 8#755),
                                   "/usr/local/bin/epcap" => symlink(0)}),
    Links = #{"/usr/local/bin/epcap" => "../lib/./epcap/epcap"},
    ?assertEqual(ok, check("/usr/local/bin/epcap", Fs, Links)),
    ?assertEqual(ok, check("/usr/local/bin/../lib/epcap/epcap", Fs, Links)).

%% A link to a directory in the middle of the path.
link_in_the_middle_test() ->
    Fs = maps:merge(release(), #{"/srv" => symlink(0)}),
    Links = #{"/srv" => "/opt/app"},
    ?assertMatch({error, "/opt/app is owned by uid 1001" ++ _},
                 check("/srv/lib/epcap-2.0.0/priv/epcap", Fs, Links)).

%% In a sticky directory a link's owner may replace it.
link_owned_by_user_is_refused_test() ->
    Fs = maps:merge(installed(), #{"/tmp" => dir(0, 8#1777),
                                   "/tmp/epcap" => symlink(1001)}),
    Links = #{"/tmp/epcap" => "/usr/local/lib/epcap/epcap"},
    ?assertMatch({error, "/tmp/epcap is owned by uid 1001" ++ _},
                 check("/tmp/epcap", Fs, Links)).

link_loop_is_refused_test() ->
    Fs = #{"/" => dir(0, 8#755), "/a" => symlink(0), "/b" => symlink(0)},
    Links = #{"/a" => "/b", "/b" => "a"},
    ?assertEqual({error, "/a: too many levels of symbolic links"},
                 check("/a", Fs, Links)).

missing_and_wrong_types_test() ->
    ?assertEqual({error, "/usr/local/lib/epcap/nope: cannot be checked (enoent)"},
                 check("/usr/local/lib/epcap/nope", installed())),
    ?assertEqual({error, "/usr/local/lib/epcap is a directory, not a regular file"},
                 check("/usr/local/lib/epcap", installed())),
    ?assertEqual({error, "/usr/local/lib/epcap/epcap is a regular, not a directory"},
                 check("/usr/local/lib/epcap/epcap/x", installed())),
    ?assertEqual({error, "the path names a directory, not a program"},
                 check("/usr/..", installed())),
    ?assertEqual({error, "usr/bin is not an absolute path"},
                 check("usr/bin", installed())).

%% The real file system: / and /usr are root's on any sane machine; a
%% file of our own in a directory of our own is refused unless we are
%% root and made it so.
real_file_system_test() ->
    ?assertEqual(ok, epcap_trust:check("/bin/sh")),
    {error, Why} = epcap_trust:check("/nonexistent-s17/epcap"),
    ?assertMatch("/nonexistent-s17: cannot be checked (enoent)", Why).
