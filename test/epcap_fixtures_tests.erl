%% EUnit: every call the suites make into the shared fixture modules
%% names a function those modules export. The suites are compiled only by
%% Common Test, where a call to a function that moved (epcap_test_lib's
%% packets and files went to epcap_test_packets) would fail one case at
%% run time; this says so at `make eunit', naming the file and the call.
-module(epcap_fixtures_tests).

-include_lib("eunit/include/eunit.hrl").

-define(FIXTURES, [epcap_test_lib, epcap_test_packets, epcap_netns,
                   epcap_test_install]).

root() ->
    case os:getenv("EPCAP_ROOT") of
        false -> ".";
        R -> R
    end.

exports(Mod) ->
    Src = filename:join([root(), "test", atom_to_list(Mod) ++ ".erl"]),
    {ok, Mod, Bin} = compile:file(Src, [binary, report_errors,
                                        {i, filename:join(root(), "include")}]),
    {ok, {Mod, [{exports, Es}]}} = beam_lib:chunks(Bin, [exports]),
    [atom_to_binary(F) || {F, _} <- Es].

calls_into_fixtures_test() ->
    Exports = maps:from_list([{atom_to_binary(M), exports(M)} || M <- ?FIXTURES]),
    Re = "\\b(" ++ lists:join("|", [atom_to_list(M) || M <- ?FIXTURES]) ++
        "):([a-z_][A-Za-z0-9_]*)\\(",
    Files = filelib:wildcard(filename:join([root(), "test", "*.erl"])),
    Calls = [{filename:basename(F), <<M/binary, ":", Fn/binary>>}
             || F <- Files,
                {ok, Text} <- [file:read_file(F)],
                [M, Fn] <- case re:run(Text, Re, [global, {capture, all_but_first, binary}]) of
                               {match, Ms} -> Ms;
                               nomatch -> []
                           end,
                not lists:member(Fn, maps:get(M, Exports))],
    ?assertEqual([], lists:usort(Calls)),
    %% The scan sees the suites' calls at all.
    ?assert(length(Files) > 20).
