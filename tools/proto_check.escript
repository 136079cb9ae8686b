#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% proto_check.escript HEADER HRL DOC README MAN OPTIONS: fails (exit 1,
%% one line per disagreement) when include/epcap_proto.hrl, doc/PROTOCOL.md
%% or the README say something else than c_src/epcap_proto.h, the one
%% definition of the port's protocol: the version, every frame and command
%% tag, every frame's fields (@layout), READY's enumerations, every error
%% and exit code, every constant, the -D flags; and the exit codes of the
%% README's table, of the man page (doc/epcap.1) and of --help (the usage
%% text in c_src/options.c). make proto-check runs it (part of make test).
-mode(compile).

main([Header, Hrl, Doc, Readme, Man, Options]) ->
    {ok, H} = file:read_file(Header),
    {ok, I} = file:read_file(Hrl),
    {ok, D} = file:read_file(Doc),
    {ok, R} = file:read_file(Readme),
    {ok, M} = file:read_file(Man),
    {ok, O} = file:read_file(Options),
    Errors = lists:append([check_version(H, D, R), check_tags(H, D),
                           check_layouts(H, D), check_enums(H, D),
                           check_errors(H, D), check_exits(H, D),
                           check_other_exits(H, R, M, O),
                           check_constants(H, I, D), check_flags(H, D)]),
    case Errors of
        [] ->
            io:format("~s, ~s, ~s, ~s and ~s agree with ~s~n",
                      [Hrl, Doc, Readme, Man, Options, Header]);
        _ ->
            [io:format(standard_error, "proto-check: ~ts~n", [E])
             || E <- Errors],
            halt(1)
    end;
main(_) ->
    io:format(standard_error,
              "usage: proto_check.escript HEADER HRL DOC README MAN OPTIONS~n",
              []),
    halt(2).

%% ---- the header ----

version(H) ->
    {match, [V]} = re:run(H, "#define EPCAP_PROTOCOL_VERSION ([0-9]+)",
                          [{capture, all_but_first, list}]),
    V.

%% enum epcap_NAME { EPCAP_X_Y = N, ... }: [{Member, N}] without EPCAP_.
enum(H, Name) ->
    {match, [Body]} = re:run(H, "enum epcap_" ++ Name ++ " \\{(.*?)\\};",
                             [dotall, {capture, all_but_first, binary}]),
    {match, Ms} = re:run(Body, "EPCAP_([A-Z0-9_]+) = ([0-9]+)",
                         [global, {capture, all_but_first, list}]),
    [{M, list_to_integer(N)} || [M, N] <- Ms].

%% An X-macro table: [{Number, Atom}].
xtable(H, Name) ->
    {match, [Body]} = re:run(H, "#define " ++ Name ++ "\\(X\\)(.*?)\n\n",
                             [dotall, {capture, all_but_first, binary}]),
    {match, Rows} = re:run(Body, "X\\(([0-9]+), *[A-Z_]+, *\"([a-z_]+)\"\\)",
                           [global, {capture, all_but_first, list}]),
    [{list_to_integer(N), A} || [N, A] <- Rows].

xnames(H, Name) ->
    {match, [Body]} = re:run(H, "#define " ++ Name ++ "\\(X\\)(.*?)\n\n",
                             [dotall, {capture, all_but_first, binary}]),
    {match, Rows} = re:run(Body, "X\\([0-9]+, *([A-Z_]+),",
                           [global, {capture, all_but_first, list}]),
    [N || [N] <- Rows].

layouts(H) ->
    {match, Ls} = re:run(H, "^ \\* @layout ([A-Z_]+)(?: (.*))?$",
                         [multiline, global, {capture, all_but_first, list}]),
    [case L of [N] -> {N, ""}; [N, F] -> {N, F} end || L <- Ls].

%% ---- the document ----

%% The rows of the first table in the section under Heading, each a list
%% of trimmed cells, the header and separator rows left out.
rows(D, Heading) ->
    Lines = string:split(D, "\n", all),
    Section = section(Lines, Heading),
    IsRow = fun(L) -> string:prefix(L, "|") =/= nomatch end,
    Table = lists:takewhile(IsRow, lists:dropwhile(fun(L) -> not IsRow(L) end,
                                                   Section)),
    Cells = [[string:trim(C) || C <- string:split(
                                        string:trim(L, both, "|"), "|", all)]
             || L <- Table],
    drop_headers(Cells).

section([L | T], Heading) ->
    case string:trim(L) =:= Heading of
        true -> lists:takewhile(fun(X) -> string:prefix(X, "## ") =:= nomatch
                                end, T);
        false -> section(T, Heading)
    end;
section([], Heading) ->
    erlang:error({no_section, Heading}).

%% A header row is the one before a |---| row.
drop_headers([_, [[$- | _] | _] | T]) -> drop_headers(T);
drop_headers([Row | T]) -> [Row | drop_headers(T)];
drop_headers([]) -> [].

text(B) -> unicode:characters_to_list(B).

untick(S) -> string:trim(S, both, "`").

%% ---- the checks ----

check_version(H, D, R) ->
    V = version(H),
    Title = "# The epcap wire protocol, version " ++ V,
    [io_lib:format("doc title is not ~p", [Title])
     || string:prefix(text(D), Title) =:= nomatch] ++
    [io_lib:format("README does not say protocol \"(now version ~s)\"", [V])
     || string:find(text(R), "(now version " ++ V ++ ")") =:= nomatch].

check_tags(H, D) ->
    Want = fun(Enum, Prefix) ->
               lists:sort([{N, string:prefix(M, Prefix)}
                           || {M, N} <- enum(H, Enum)])
           end,
    Got = fun(Heading) ->
              lists:sort([{list_to_integer(T), Name}
                          || [T, Name | _] <- rows(text(D), Heading),
                             string:to_integer(T) =/= {error, no_integer}])
          end,
    compare("port to owner tags", Want("frame_tag", "FRAME_"),
            [R || {N, _} = R <- Got("## Port to owner (stdout)"), N > 0]) ++
    compare("owner to port tags", Want("cmd_tag", "CMD_"),
            Got("## Owner to port (stdin)")).

check_layouts(H, D) ->
    Got = [{N, case F of "(empty)" -> ""; _ -> untick(F) end}
           || [N, F] <- rows(text(D), "## Frame layouts")],
    compare("frame layouts", lists:sort(layouts(H)), lists:sort(Got)) ++
    %% Every frame and command has a layout.
    [io_lib:format("no @layout for ~s", [M])
     || {M, _} <- enum(H, "frame_tag") ++ enum(H, "cmd_tag"),
        not lists:keymember(tag_name(M), 1, layouts(H))].

tag_name("FRAME_" ++ N) -> N;
tag_name("CMD_" ++ N) -> N.

check_enums(H, D) ->
    Want = lists:sort(
             [{"source", N, string:prefix(M, "SOURCE_")}
              || {M, N} <- enum(H, "source")] ++
             [{"start", N, string:prefix(M, "START_")}
              || {M, N} <- enum(H, "start")]),
    Got = lists:sort([{E, list_to_integer(V), hd(string:split(Name, ":"))}
                      || [E, V, Name] <- rows(text(D), "## Enumerations")]),
    compare("READY enumerations", Want, Got).

check_errors(H, D) ->
    Got = [{list_to_integer(C), untick(A)}
           || [C, A | _] <- rows(text(D), "## Error codes")],
    compare("error codes", lists:sort(xtable(H, "EPCAP_ERRORS")),
            lists:sort(Got)).

check_exits(H, D) ->
    Got = lists:sort([list_to_integer(C)
                      || [C | _] <- rows(text(D), "## Exit codes")]),
    compare("exit codes", exits(H), Got).

%% Every exit code of the header, the sandbox's included.
exits(H) ->
    {match, [Sandbox]} =
        re:run(H, "#define EPCAP_EXIT_SANDBOX_VIOLATION ([0-9]+)",
               [{capture, all_but_first, list}]),
    lists:sort([N || {N, _} <- xtable(H, "EPCAP_EXITS")] ++
               [list_to_integer(Sandbox)]).

%% The README's table (the first under "## The port program"), the man
%% page's EXIT STATUS (.B N) and --help's "Exit codes:" paragraph.
check_other_exits(H, R, M, O) ->
    Readme = lists:sort([list_to_integer(C)
                         || [C | _] <- rows(text(R), "## The port program")]),
    {match, [ManSection]} = re:run(M, "\\.SH EXIT STATUS\n(.*?)\n\\.SH ",
                                   [dotall, {capture, all_but_first, binary}]),
    Man = numbers(ManSection, "^\\.B ([0-9]+)$"),
    {match, [HelpText]} = re:run(O, "\"Exit codes:(.*?),\\s*fp\\)",
                                 [dotall, {capture, all_but_first, binary}]),
    Help = numbers(HelpText, "(?<![0-9])([0-9]+) "),
    compare("README's exit codes", exits(H), Readme) ++
        compare("the man page's exit codes", exits(H), Man) ++
        compare("--help's exit codes", exits(H), Help).

numbers(Text, Re) ->
    case re:run(Text, Re, [multiline, global, {capture, all_but_first, list}]) of
        {match, Ns} -> lists:sort([list_to_integer(N) || [N] <- Ns]);
        nomatch -> []
    end.

%% Every numeric constant of the generated include that is not an enum
%% member, with its value; and the include must carry the header's
%% version (make proto also diffs it whole).
check_constants(H, I, D) ->
    Enums = [("EPCAP_" ++ M) || E <- ["frame_tag", "cmd_tag", "source",
                                      "start"],
                                 {M, _} <- enum(H, E)],
    {match, Defs} = re:run(I, "^-define\\((EPCAP_[A-Z0-9_]+), ([0-9 *()+]+)\\)\\.$",
                           [multiline, global, {capture, all_but_first, list}]),
    %% The codes' own macros are checked with their tables.
    Codes = [("EPCAP_E_" ++ N) || N <- xnames(H, "EPCAP_ERRORS")] ++
            [("EPCAP_EXIT_" ++ N) || N <- xnames(H, "EPCAP_EXITS")],
    Want = lists:sort([{Name, eval(V)} || [Name, V] <- Defs,
                                          not lists:member(Name, Enums),
                                          not lists:member(Name, Codes),
                                          Name =/= "EPCAP_PROTOCOL_VERSION"]),
    Got = lists:sort([{untick(N), list_to_integer(V)}
                      || [N, V | _] <- rows(text(D), "## Constants")]),
    compare("constants", Want, Got) ++
    [io_lib:format("include's EPCAP_PROTOCOL_VERSION is not ~s", [version(H)])
     || string:find(text(I), "-define(EPCAP_PROTOCOL_VERSION, " ++ version(H)
                    ++ ").") =:= nomatch].

eval(Expr) ->
    {ok, Tokens, _} = erl_scan:string(Expr ++ "."),
    {ok, [E]} = erl_parse:parse_exprs(Tokens),
    {value, V, _} = erl_eval:expr(E, []),
    V.

check_flags(H, D) ->
    {match, [Body]} = re:run(H, "#define EPCAP_IF_FLAGS\\(X\\)(.*?)\n\n",
                             [dotall, {capture, all_but_first, binary}]),
    {match, Fs} = re:run(Body, "X\\([A-Z_]+, \"([a-z_]+)\"\\)",
                         [global, {capture, all_but_first, list}]),
    Got = [untick(F) || [F] <- rows(text(D), "## Listings (-D)")],
    compare("-D flags", [F || [F] <- Fs], Got).

compare(_, Same, Same) ->
    [];
compare(What, Want, Got) ->
    [io_lib:format("~s: the header has ~p, the document not", [What, X])
     || X <- Want -- Got] ++
    [io_lib:format("~s: the document has ~p, the header not", [What, X])
     || X <- Got -- Want] ++
    case {Want -- Got, Got -- Want} of
        {[], []} -> [io_lib:format("~s: the order differs", [What])];
        _ -> []
    end.
