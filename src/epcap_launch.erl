%% @doc Launching the port program: how it is to be run (the privilege
%% recipe: by itself, through sudo, or through an `exec' prefix; what can
%% be known without privileges, asked first), the hint a permission error
%% carries, and the port program's own pid. The ports themselves are
%% opened by {@link epcap_spawn}.
%%
%% The caller owns the ports opened here.
-module(epcap_launch).

-include_lib("kernel/include/file.hrl").
-include("epcap_proto.hrl").

-export([open/1, exec_prefix/1, with_hint/2, os_pid/3, make_chroot/1,
         given/3, untrusted_default/2]).

%% How long a one-shot run may take.
%% @doc Spawn the port for a parsed configuration and wait for its
%% answer: `{ok, Port, Ready, Prefix}' (READY, and the exec prefix it runs
%% under), `{datalinks, List}' for `-L' (the port has exited), or
%% `{error, Reason}' (epcap_reason). The caller owns the port.
-spec open(epcap_opts:config()) ->
    {ok, port(), epcap_codec:ready(), [string()]}
    | {datalinks, [epcap_codec:datalink()]} | {error, term()}.
open(Config) ->
    case launch(Config) of
        {error, {exec, Exe, Why}} when Exe =:= map_get(progname, Config) ->
            %% The program's path as the caller gave it.
            {error, {exec, given(progname, Config, Exe), Why}};
        Result ->
            Result
    end.

launch(Config) ->
    case exec_prefix(Config) of
        {ok, Prefix} ->
            case epcap_spawn:frames(Config, Prefix) of
                {error, {rfmon_not_supported, Msg}} when
                    map_get(monitor, Config)
                ->
                    %% The classic ignored monitor mode where the link has
                    %% none (a wired interface): a warning, not a failure.
                    logger:warning("epcap: monitor mode ignored: ~ts", [Msg]),
                    epcap_spawn:frames(without_monitor(Config), Prefix);
                Result ->
                    Result
            end;
        {error, _} = Error ->
            Error
    end.

%% The option list again with {monitor, false} last: the last one wins.
without_monitor(#{options := Options, argv := Argv} = Config) ->
    {ok, C} = epcap_opts:parse(Options ++ [{monitor, false}]),
    %% -L (datalinks) stays in front.
    Extra = lists:takewhile(fun(A) -> A =:= "-L" end, Argv),
    maps:merge(Config, #{argv => Extra ++ maps:get(argv, C),
                         monitor => false}).

%% @doc The classic made a missing `{chroot, Dir}'; the option only gets
%% here when the VM runs as root (epcap_opts), and the port checks what it
%% finds there (an empty directory is all it needs).
-spec make_chroot(epcap_opts:config()) -> ok | {error, term()}.
make_chroot(#{chroot := undefined}) ->
    ok;
make_chroot(#{chroot := Dir}) ->
    case filelib:ensure_path(Dir) of
        ok -> ok;
        {error, Why} -> {error, {chroot, Dir, Why}}
    end.

%% @doc How the port is to be run for this configuration: `{ok, Prefix}'
%% (the command to put before it: none, sudo, or what `exec' says), or
%% the real reason it cannot be, first: `{exec, Path, Posix}' when the
%% port program is missing or not executable, before any thought of sudo;
%% `{permission_denied, Msg}' when it cannot capture by itself and
%% `sudo -n' refuses it (sudo's own words, never on the console).
%%
%% With no `exec': none when the port can capture by itself (root, setuid,
%% file capabilities) or reads a file; otherwise `sudo -n', if sudo
%% allows it. sudo's answer is kept until the sudoers files or the
%% program change, so a refusal is asked (and logged by sudo) once.
%% A program that someone other than root can change is never run
%% through sudo: `{untrusted_path, Path, Msg}' when a sudoers rule would
%% run it (or `exec' names sudo), else none, so the start says
%% `permission_denied' as it would without sudo.
-spec exec_prefix(epcap_opts:config()) ->
    {ok, [string()]} | {error, term()}.
exec_prefix(#{exec := default, source := {file, _}}) ->
    %% Nothing to fall back on: spawning it says {exec, Path, Posix}.
    {ok, []};
exec_prefix(#{exec := default, progname := Prog} = Config) ->
    case can_capture([], Prog) of
        {ok, true} ->
            %% By itself: root, or a program with privileges of its own.
            case epcap_trust:privileged(Prog, privileged) of
                ok -> {ok, []};
                {error, _} = Untrusted -> Untrusted
            end;
        {ok, false} ->
            %% Without privileges of its own the port could only say
            %% "permission denied": what can be known without them is
            %% asked first, so the real cause wins.
            case unprivileged_check(Config) of
                ok ->
                    case os:find_executable("sudo") of
                        false -> {ok, []};
                        Sudo -> cached_sudo([Sudo, "-n"], Prog)
                    end;
                {error, _} = Error ->
                    Error
            end;
        {error, _} = Error ->
            Error
    end;
exec_prefix(#{exec := []}) ->
    {ok, []};
exec_prefix(#{exec := [Cmd | _] = Prefix, progname := Prog}) ->
    case filename:basename(Cmd) of
        "sudo" ->
            %% Run by root: only that the program exists can be known here.
            case file:read_file_info(Prog) of
                {ok, _} -> sudo_prefix(Prefix, Prog);
                {error, Why} -> {error, {exec, Prog, Why}}
            end;
        _ ->
            %% A launcher further in (`setpriv ... sudo -n', doas, run0,
            %% pkexec) runs Prog as root just the same: the same check,
            %% without sudo's probe.
            case [W || W <- Prefix, lists:member(filename:basename(W),
                                                 ["sudo", "doas", "run0",
                                                  "pkexec"])] of
                [] -> {ok, Prefix};
                [_ | _] -> launcher_prefix(Prefix, Prog)
            end
    end.

launcher_prefix(Prefix, Prog) ->
    case epcap_trust:privileged(Prog, sudo) of
        ok -> {ok, Prefix};
        {error, _} = Untrusted -> Untrusted
    end.

%% Whether the interface exists (any user may ask the kernel), and
%% whether the filter compiles, for an interface whose link type is
%% known without opening it (Ethernet and loopback: EN10MB on Linux).
%% Several interfaces: each must exist, and the filter is tried once if
%% one of them is Ethernet (every link type's own compile is the port's).
unprivileged_check(#{source := {interface, Name}, progname := Prog} = C) ->
    Names = case Name of
        [[_ | _] | _] -> Name;
        _ -> [Name]
    end,
    Types = [{N, link_type(N)} || N <- Names],
    case [N || {N, none} <- Types] of
        [Missing | _] ->
            {error, epcap_reason:start_error({no_such_device, Missing},
                                             ?EPCAP_EXIT_OPEN, C)};
        [] ->
            case lists:keymember(ethernet, 2, Types) andalso given(filter, C) of
                Filter when is_list(Filter); is_binary(Filter) ->
                    compiles(Filter, C#{progname => Prog});
                _ ->
                    ok
            end
    end;
unprivileged_check(_) ->
    ok.

compiles(Filter, #{progname := Prog, snaplen := Snaplen}) ->
    case epcap_query:compile(Filter, [{progname, Prog}, {snaplen, Snaplen}]) of
        {error, {bad_filter, _}} = Bad -> Bad;
        _ -> ok
    end.

given(Key, Config) ->
    given(Key, Config, undefined).

%% @doc The value the caller gave for an option, as given (README,
%% "Errors": a binary stays a binary), the last one as parsing takes it;
%% `Default' when it was not given.
-spec given(atom(), epcap_opts:config() | map(), term()) -> term().
given(Key, #{options := Options}, Default) when is_list(Options) ->
    case lists:keyfind(Key, 1, lists:reverse(Options)) of
        {Key, V} -> V;
        false -> Default
    end;
given(_, _, Default) ->
    Default.

%% Linux's /sys/class/net: ARPHRD_ETHER (1) and ARPHRD_LOOPBACK (772)
%% capture as EN10MB; elsewhere, or for "any", nothing is assumed.
link_type("any") ->
    unknown;
link_type(Name) ->
    Dir = filename:join("/sys/class/net", Name),
    case {filelib:is_dir("/sys/class/net"), file:read_file(filename:join(Dir, "type"))} of
        {false, _} -> unknown;
        {true, {ok, <<"1\n">>}} -> ethernet;
        {true, {ok, <<"772\n">>}} -> ethernet;
        {true, {ok, _}} -> unknown;
        {true, {error, _}} -> none
    end.

%% The default's sudo probe: sudo's answer is remembered while nothing
%% it depends on has changed (the sudoers files, the program), so an
%% unprivileged live start does not ask (and sudo does not log a failed
%% authentication) every time.
%% A path that someone other than root can change is never given to
%% sudo; whether sudo would run it decides the error: `sudo -n -l Prog'
%% lists and exits, running nothing. No rule: the port starts without a
%% prefix and says `permission_denied', as where sudo is not installed
%% (the real cause); a rule: `untrusted_path'.
cached_sudo(Prefix, Prog) ->
    case epcap_trust:privileged(Prog, sudo) of
        ok ->
            cached(ask, Prefix, Prog, fun ask_sudo/2);
        {error, _} = Untrusted ->
            untrusted_default(Untrusted,
                              cached(list, Prefix, Prog, fun sudo_lists/2))
    end.

%% @doc The default launch for a path sudo must not be given, from the
%% exit status of `sudo -n -l Prog --can-capture' (or `{error, _}' when
%% sudo could not be run): sudo would run it (0, or unknown) ->
%% `Untrusted'; it would not -> no prefix.
-spec untrusted_default({error, term()}, integer() | {error, term()}) ->
    {ok, []} | {error, term()}.
untrusted_default(_Untrusted, Status) when is_integer(Status), Status =/= 0 ->
    {ok, []};
untrusted_default(Untrusted, _) ->
    Untrusted.

sudo_lists([Sudo | Opts], Prog) ->
    case epcap_spawn:run(Sudo, Opts ++ ["-l", Prog, "--can-capture"], 5000) of
        {error, _} = Error -> Error;
        {Status, _Out} -> Status
    end.

cached(What, Prefix, Prog, Ask) ->
    Key = {?MODULE, sudo, What, Prefix, Prog},
    Stamp = [mtime(F) || F <- [Prog, "/etc/sudoers", "/etc/sudoers.d"]],
    case persistent_term:get(Key, undefined) of
        {Stamp, Answer} ->
            Answer;
        _ ->
            Answer = Ask(Prefix, Prog),
            persistent_term:put(Key, {Stamp, Answer}),
            Answer
    end.

mtime(File) ->
    case file:read_file_info(File, [{time, posix}]) of
        {ok, #file_info{mtime = M, ctime = C, inode = I, size = S}} ->
            {M, C, I, S};
        {error, Why} -> Why
    end.

%% sudo runs whatever has the name Prog: only a path no one but root can
%% change is given to it (epcap_trust), before sudo runs anything.
sudo_prefix(Prefix, Prog) ->
    case epcap_trust:privileged(Prog, sudo) of
        ok -> ask_sudo(Prefix, Prog);
        {error, _} = Untrusted -> Untrusted
    end.

%% Ask sudo, its stderr captured: the answer, or its message. -n keeps it
%% from ever asking for a password.
ask_sudo(Prefix, Prog) ->
    case can_capture(Prefix, Prog) of
        {ok, true} ->
            {ok, Prefix};
        {ok, false, Output} ->
            Why = case string:trim(Output) of
                "" -> "sudo -n refused";
                Text -> "sudo -n refused: " ++ Text
            end,
            {error, {permission_denied, with_hint("cannot capture: " ++ Why,
                                                  Prog)}};
        {ok, false} ->
            {error, {permission_denied,
                     with_hint("cannot capture, even through sudo", Prog)}};
        {error, _} = Error ->
            Error
    end.

%% `Prog --can-capture' (exit 0: it can, noperm: it cannot), through
%% Prefix. With a prefix, another status is the prefix's own refusal,
%% returned with its output.
can_capture(Prefix, Prog) ->
    [Cmd | Args] = Prefix ++ [Prog],
    Exe = case filename:pathtype(Cmd) =:= relative andalso
               os:find_executable(Cmd) of
        Path when is_list(Path) -> Path;
        _ -> Cmd
    end,
    case epcap_spawn:run(Exe, Args ++ ["--can-capture"], 5000) of
        {error, _} = Error ->
            Error;
        {Status, Out} ->
            case {Status, epcap_codec:exit_reason(Status)} of
                {0, _} -> {ok, true};
                {_, noperm} -> {ok, false};
                _ when Prefix =/= [] ->
                    {ok, false, unicode:characters_to_list(Out)};
                _ -> {ok, false}
            end
    end.

%% @doc The reason first, then which of the ways to capture to set up:
%% for a source tree, with its Makefile, its make targets; for a release
%% or an installed copy, which have none, what to do by hand.
-spec with_hint(string(), string()) -> string().
with_hint(Msg, Prog) ->
    Msg ++ "; to capture without root, " ++ hint(Prog).

hint(Prog) ->
    Top = filename:dirname(filename:dirname(Prog)),
    case filelib:is_regular(filename:join(Top, "Makefile")) andalso
        filelib:is_regular(filename:join([Top, "c_src", "main.c"])) of
        true ->
            "install the port with file capabilities (sudo make install "
            "install-setcap, recommended; or install-setuid, install-sudo) "
            "and name PREFIX/lib/epcap/epcap in {progname, Path}; in a "
            "source tree that root owns, make setcap or make setuid give "
            "this copy the same; see doc/SECURITY.md";
        false ->
            "install the port from epcap's source with sudo make install "
            "install-setcap (recommended; or install-setuid, or "
            "install-sudo and {exec, \"sudo -n\"}) and name the installed "
            "copy (PREFIX/lib/epcap/epcap) in {progname, Path} in the epcap "
            "application environment; never give " ++ Prog ++ " privileges "
            "or a sudoers rule: the release's owner could replace it; see "
            "epcap's README, \"Releases with privileges\""
    end.

%% @doc The port program's own pid. Through a prefix (sudo) the Erlang
%% port's process is the prefix: the program is the descendant whose
%% argv[0] is Prog (Linux's /proc; elsewhere the prefix's pid).
-spec os_pid(port(), [string()], string()) -> non_neg_integer() | undefined.
os_pid(Port, Prefix, Prog) ->
    case erlang:port_info(Port, os_pid) of
        {os_pid, Pid} when Prefix =:= [] -> Pid;
        {os_pid, Pid} -> descendant([Pid], Prog, 4, Pid);
        undefined -> undefined
    end.

descendant(_, _, 0, Default) ->
    Default;
descendant([], _, _, Default) ->
    Default;
descendant(Pids, Prog, Depth, Default) ->
    Children = lists:append([children(P) || P <- Pids]),
    case [C || C <- Children, argv0(C) =:= Prog] of
        [Found | _] -> Found;
        [] -> descendant(Children, Prog, Depth - 1, Default)
    end.

children(Pid) ->
    P = integer_to_list(Pid),
    case file:read_file(filename:join(["/proc", P, "task", P, "children"])) of
        {ok, Bin} -> [binary_to_integer(C) || C <- string:lexemes(Bin, " \n")];
        {error, _} -> []
    end.

argv0(Pid) ->
    case file:read_file(filename:join(["/proc", integer_to_list(Pid), "cmdline"])) of
        {ok, Bin} ->
            [First | _] = binary:split(Bin, <<0>>),
            unicode:characters_to_list(First);
        {error, _} ->
            undefined
    end.
