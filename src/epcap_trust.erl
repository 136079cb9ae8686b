%% @doc Whether a program path may be run with privileges: the check
%% sshd's StrictModes makes of key files, for the port program.
%%
%% sudo runs whatever file has the name its rule gives, and `setcap'
%% marks whatever file has the name it is given: both trust the path, not
%% the bytes. So a port program run through sudo, or holding privileges
%% of its own (file capabilities, setuid), is safe only if no one but root
%% can put another file at its name. That holds when the file and every
%% directory above it, up to `/', are owned by root and writable by no
%% one else; a directory that others may write (`/tmp') is acceptable
%% only when it is sticky and root's, as then only root may replace
%% root's entries in it. A symbolic link on the way is followed, and the
%% link and every directory of its target are held to the same rule.
%%
%% A release's own copy (`/opt/app/lib/epcap-VSN/priv/epcap') fails it
%% when the release tree belongs to the application's user, as it
%% usually does: that user could replace the file and have sudo run
%% theirs as root. `make install-sudo', `make install-setcap' and
%% `make install-setuid' put a copy that passes it in PREFIX/lib/epcap.
%%
%% {@link check/1} looks at the file system (lstat, readlink, as the
%% caller); {@link check/3} is the same walk over functions given to it,
%% and is what the unit tests drive, from literal `#file_info{}' records.
-module(epcap_trust).

-include_lib("kernel/include/file.hrl").

-export([check/1, check/3, privileged/2]).

-export_type([lstat/0, readlink/0]).

-type lstat() :: fun((string()) -> {ok, #file_info{}} | {error, term()}).
-type readlink() :: fun((string()) -> {ok, string()} | {error, term()}).

%% Linux's own limit on the links followed in one path (ELOOP).
-define(MAX_LINKS, 40).
-define(GROUP_OTHER_WRITE, 8#022).
-define(STICKY, 8#1000).

%% @doc Whether the VM may run `Prog' with privileges it does not hold
%% itself: through sudo, doas, run0 or pkexec (`How' is `sudo'), or
%% because the program has
%% file capabilities or is setuid (`privileged'). A VM running as root
%% gains nothing either way and is not asked. Otherwise `Prog' must pass
%% {@link check/1}; if it does not, `{error, {untrusted_path, Prog, Msg}}'
%% says which part of the path someone other than root can change, and
%% what to do instead. Nothing has been run through sudo yet.
-spec privileged(string(), sudo | privileged) ->
    ok | {error, {untrusted_path, string(), string()}}.
privileged(Prog, How) ->
    case epcap_classic:vm_is_root() of
        true -> ok;
        false -> verdict(check(Prog), Prog, How)
    end.

verdict(ok, _Prog, _How) ->
    ok;
verdict({error, Why}, Prog, How) ->
    {Doing, Target} = case How of
        sudo -> {"refusing to run " ++ Prog ++ " through sudo (or another "
                 "launcher that runs it as root)",
                 "make install-sudo"};
        privileged -> {"refusing to run " ++ Prog ++ ", which has privileges "
                       "of its own (file capabilities or setuid)",
                       "make install-setcap (or install-setuid)"}
    end,
    {error, {untrusted_path, Prog, lists:flatten(
        [Doing, ": ", Why, ". sudo and file capabilities trust the path, "
         "not the file: every directory up to / must be owned by root and "
         "writable by no one else. Install the port with ", Target,
         " (PREFIX/lib/epcap/epcap) and name that copy in {progname, Path}; "
         "see doc/SECURITY.md, \"Installing\""])}}.

%% @doc `ok' if no one but root can change what `Path' names, else
%% `{error, Why}', Why naming the first part of the path that someone
%% else could change, and who. A relative path is taken from the current
%% directory.
-spec check(file:filename_all()) -> ok | {error, string()}.
check(Path) ->
    check(filename:absname(unicode:characters_to_list(Path)),
          fun(P) -> file:read_link_info(P, [raw]) end,
          fun(P) -> file:read_link(P) end).

%% @doc {@link check/1} with the file system given: `Lstat' as
%% `file:read_link_info/2' (the entry itself, never what a link points
%% to) and `Readlink' as `file:read_link/1'. `Path' must be absolute.
-spec check(string(), lstat(), readlink()) -> ok | {error, string()}.
check(Path, Lstat, Readlink) ->
    case filename:pathtype(Path) of
        absolute ->
            ["/" | Parts] = filename:split(Path),
            case entry("/", directory, Lstat) of
                ok -> walk("/", Parts, 0, Lstat, Readlink);
                Error -> Error
            end;
        _ ->
            {error, Path ++ " is not an absolute path"}
    end.

%% Dir is a directory already checked, with no link in it; Parts are the
%% names still to follow from it.
walk(_Dir, [], _Links, _Lstat, _Readlink) ->
    %% Only "." or ".." left: the path names a directory.
    {error, "the path names a directory, not a program"};
walk(Dir, ["." | Rest], Links, Lstat, Readlink) ->
    walk(Dir, Rest, Links, Lstat, Readlink);
walk(Dir, [".." | Rest], Links, Lstat, Readlink) ->
    %% Dir holds no link, so its parent is its name's parent.
    walk(filename:dirname(Dir), Rest, Links, Lstat, Readlink);
walk(Dir, [Name | Rest], Links, Lstat, Readlink) ->
    Path = filename:join(Dir, Name),
    case Lstat(Path) of
        {ok, #file_info{type = symlink} = Info} when Links < ?MAX_LINKS ->
            follow(Dir, Path, Info, Rest, Links + 1, Lstat, Readlink);
        {ok, #file_info{type = symlink}} ->
            {error, Path ++ ": too many levels of symbolic links"};
        {ok, #file_info{type = directory} = Info} when Rest =/= [] ->
            next(safe(Path, Info, directory), Path, Rest, Links, Lstat,
                 Readlink);
        {ok, #file_info{type = regular} = Info} when Rest =:= [] ->
            safe(Path, Info, regular);
        {ok, #file_info{type = Type}} ->
            {error, Path ++ " is a " ++ atom_to_list(Type) ++ ", not " ++
                 case Rest of
                     [] -> "a regular file";
                     _ -> "a directory"
                 end};
        {error, Why} ->
            {error, Path ++ ": cannot be checked (" ++ reason(Why) ++ ")"}
    end.

next(ok, Path, Rest, Links, Lstat, Readlink) ->
    walk(Path, Rest, Links, Lstat, Readlink);
next(Error, _, _, _, _, _) ->
    Error.

%% A link in Dir: it must be root's (in a sticky directory its owner may
%% replace it), then its target is walked as if written in its place.
follow(Dir, Path, Info, Rest, Links, Lstat, Readlink) ->
    case {owner(Path, Info), Readlink(Path)} of
        {ok, {ok, Target}} ->
            case filename:split(Target) of
                ["/" | Parts] -> walk("/", Parts ++ Rest, Links, Lstat, Readlink);
                Parts -> walk(Dir, Parts ++ Rest, Links, Lstat, Readlink)
            end;
        {ok, {error, Why}} ->
            {error, Path ++ ": cannot read the link (" ++ reason(Why) ++ ")"};
        {Error, _} ->
            Error
    end.

%% The root directory itself is held to the same rule as the rest.
entry(Path, Type, Lstat) ->
    case Lstat(Path) of
        {ok, #file_info{type = Type} = Info} -> safe(Path, Info, Type);
        {ok, #file_info{type = Other}} ->
            {error, Path ++ " is a " ++ atom_to_list(Other)};
        {error, Why} ->
            {error, Path ++ ": cannot be checked (" ++ reason(Why) ++ ")"}
    end.

%% Root's, and writable by no one else; a directory others may write
%% must be sticky (they may then remove or rename only their own
%% entries, and every entry on the path is root's).
safe(Path, Info, Type) ->
    case owner(Path, Info) of
        ok -> writers(Path, Info, Type);
        Error -> Error
    end.

owner(_Path, #file_info{uid = 0}) ->
    ok;
owner(Path, #file_info{uid = Uid}) ->
    {error, Path ++ " is owned by uid " ++ integer_to_list(Uid) ++
         ", not root: that user can replace it"}.

writers(_Path, #file_info{mode = Mode}, _) when Mode band ?GROUP_OTHER_WRITE =:= 0 ->
    ok;
writers(_Path, #file_info{mode = Mode}, directory) when Mode band ?STICKY =/= 0 ->
    ok;
writers(Path, #file_info{mode = Mode, gid = Gid}, Type) ->
    Who = case Mode band 8#002 of
        0 -> "the members of gid " ++ integer_to_list(Gid);
        _ -> "every user"
    end,
    What = case Type of
        directory -> "put another file in its place";
        _ -> "change the program"
    end,
    {error, lists:flatten(io_lib:format(
        "~ts (mode ~.8B) is writable by ~ts: they can ~ts",
        [Path, Mode band 8#7777, Who, What]))}.

reason(Why) when is_atom(Why) -> atom_to_list(Why);
reason(Why) -> lists:flatten(io_lib:format("~tp", [Why])).
