%% The README against the program: every option epcap_opts:option() names
%% is a row of the option table, every row is one of them, and every port
%% flag the table names is one the port's parser knows (c_src/options.c);
%% the Design section names every module of src/ and every C file of
%% c_src/ (main.c and the sandbox_* backends aside); every reason of the
%% "Errors" table is made somewhere in src/ (epcap_vocabulary_SUITE drives
%% each one); the limits of a capture of several interfaces (how many,
%% how long a packet is held, the merge buffer) are the C's in the README,
%% the man page, --help and doc/PROTOCOL.md. The man page and --help are
%% checked against the parser by epcap_shell_SUITE, the exit codes by make
%% proto-check.
-module(epcap_doc_tests).

-include_lib("eunit/include/eunit.hrl").

root() ->
    case os:getenv("EPCAP_ROOT") of
        false -> ".";
        R -> R
    end.

read(Rel) ->
    {ok, B} = file:read_file(filename:join(root(), Rel)),
    unicode:characters_to_list(B).

%% The rows of the table under "### Options": [[Cell]].
option_rows() ->
    table_rows("### Options").

table_rows(Heading) ->
    Lines = string:split(read("README.md"), "\n", all),
    [_ | Section] = lists:dropwhile(fun(L) -> L =/= Heading end, Lines),
    IsRow = fun(L) -> string:prefix(L, "|") =/= nomatch end,
    Table = lists:takewhile(IsRow, lists:dropwhile(fun(L) -> not IsRow(L) end,
                                                   Section)),
    [[string:trim(C) || C <- string:split(string:trim(L, both, "|"), "|", all)]
     || L <- tl(tl(Table))].

%% The atoms of the first column: `{interface, Name}`, `{active, ...}`, ...
documented() ->
    lists:usort(
      [list_to_atom(A)
       || [Opts | _] <- option_rows(),
          {match, As} <- [re:run(Opts, "`\\{([a-z_]+),",
                                 [global, {capture, all_but_first, list}])],
          [A] <- As]).

%% The tagged options of epcap_opts:option(), from its abstract code.
typed() ->
    {ok, {_, [{abstract_code, {raw_abstract_v1, Forms}}]}} =
        beam_lib:chunks(code:which(epcap_opts), [abstract_code]),
    [Union] = [U || {attribute, _, type, {option, U, []}} <- Forms],
    {type, _, union, Alts} = Union,
    lists:usort([Name || {type, _, tuple, [{atom, _, Name}, _]} <- Alts]).

options_table_test() ->
    Doc = documented(),
    Typed = typed(),
    ?assertEqual({[], []}, {Typed -- Doc, Doc -- Typed}).

port_flags_test() ->
    Parser = read("c_src/options.c"),
    {match, Shorts} = re:run(Parser, "getopt_long\\([^\"]*\"([^\"]+)\"",
                             [{capture, all_but_first, list}]),
    Flags = [F || [_, Flag | _] <- option_rows(),
                  {match, Fs} <- [re:run(Flag, "`(--?[a-zA-Z][a-z-]*)",
                                         [global,
                                          {capture, all_but_first, list}])],
                  [F] <- Fs],
    Unknown = [F || F <- lists:usort(Flags),
                    not known_flag(F, hd(Shorts), Parser)],
    ?assertEqual([], Unknown).

known_flag("--" ++ Long, _, Parser) ->
    string:find(Parser, "{\"" ++ Long ++ "\",") =/= nomatch;
known_flag([$-, Short], Shorts, _) ->
    lists:member(Short, Shorts).

design() ->
    Lines = string:split(read("README.md"), "\n", all),
    [_ | Rest] = lists:dropwhile(fun(L) -> L =/= "### Design" end, Lines),
    lists:append(
      lists:takewhile(fun(L) -> string:prefix(L, "#") =:= nomatch end, Rest)).

files(Dir, Ext) ->
    [filename:basename(F, Ext)
     || F <- filelib:wildcard(filename:join([root(), Dir, "*" ++ Ext]))].

unnamed(Names) ->
    Design = design(),
    [N || N <- Names, string:find(Design, "`" ++ N ++ "`") =:= nomatch].

%% Every module of src/ is named in the README's "### Design" section.
modules_named_test() ->
    ?assertEqual([], unnamed(files("src", ".erl"))).

%% Every concern of c_src/ too: caps_linux.c and caps_none.c are `caps`.
c_files_named_test() ->
    Concerns = lists:usort(
                 [re:replace(F, "_(linux|none)$", "", [{return, list}])
                  || F <- files("c_src", ".c"), F =/= "main",
                     string:prefix(F, "sandbox_") =:= nomatch]),
    ?assertEqual([], unnamed(Concerns)).

%% Every reason the "Errors" table names (`{bad_filter, Message}`,
%% `timeout`, ...) is an atom some module of src/ writes, outside comments.
error_reasons_made_test() ->
    Code = lists:append(
             [[L || L <- string:split(read(filename:join("src", F ++ ".erl")),
                                      "\n", all),
                    string:prefix(string:trim(L), "%") =:= nomatch]
              || F <- files("src", ".erl")]),
    Src = lists:flatten(lists:join(" ", Code)),
    Reasons = lists:usort(
                [R || [Cell | _] <- table_rows("### Errors"),
                      {match, Rs} <- [re:run(Cell, "`\\{?([a-z_]+)[,`}]",
                                             [global,
                                              {capture, all_but_first, list}])],
                      [R] <- Rs]),
    ?assert(length(Reasons) >= 15),
    ?assertEqual([], [R || R <- Reasons,
                           re:run(Src, "[^a-z_]" ++ R ++ "[^a-z_(]") =:= nomatch]).

%% A C definition's number: `#define Name (N * Unit)' or `#define Name N'.
c_number(Rel, Name) ->
    {match, [N]} = re:run(read(Rel), "#define " ++ Name ++ " \\(?([0-9]+)",
                          [{capture, all_but_first, list}]),
    list_to_integer(N).

%% A document's words with every run of white space (and groff's line
%% breaks) made one space.
words(Rel) ->
    re:replace(read(Rel), "\\s+", " ", [global, unicode, {return, list}]).

several_interfaces_limits_test() ->
    Max = integer_to_list(c_number("c_src/epcap_proto.h",
                                   "EPCAP_LIVE_IFACES_MAX")),
    %% (N * 1024 * 1024) bytes and (N * 1000000LL) ns: N MiB and N ms.
    ?assertMatch({match, _}, re:run(read("c_src/merge.h"),
                                    "MERGE_BYTES \\([0-9]+ \\* 1024 \\* 1024\\)")),
    ?assertMatch({match, _}, re:run(read("c_src/multi.c"),
                                    "HOLD_SLACK_NS \\([0-9]+ \\* 1000000LL\\)")),
    MiB = integer_to_list(c_number("c_src/merge.h", "MERGE_BYTES")),
    Ms = integer_to_list(c_number("c_src/multi.c", "HOLD_SLACK_NS")),
    Says = fun(Rel, Phrase) -> {Rel, Phrase, string:find(words(Rel), Phrase)
                                              =/= nomatch} end,
    Claims = [Says("README.md", "at most " ++ Max),
              Says("README.md", "timeout plus " ++ Ms ++ " ms"),
              Says("README.md", MiB ++ " MiB merge buffer"),
              Says("doc/epcap.1", "at most " ++ Max ++ " times"),
              Says("doc/epcap.1", "timeout plus " ++ Ms ++ " ms"),
              Says("c_src/options.c", "(at most " ++ Max ++ ")"),
              Says("doc/PROTOCOL.md", "plus " ++ Ms ++ " ms"),
              Says("doc/PROTOCOL.md", MiB ++ " MiB merge buffer")],
    ?assertEqual([], [{R, P} || {R, P, false} <- Claims]).
