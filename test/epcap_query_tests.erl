%% EUnit tests of epcap_query's reading of the port's -D listing, with a
%% stand-in port program (a shell script printing a listing): no atom is
%% made from what a port prints.
-module(epcap_query_tests).

-include_lib("eunit/include/eunit.hrl").
-include("epcap_proto.hrl").

%% A listing in the -D format (doc/PROTOCOL.md, "Listings") with every
%% flag the header names and one it does not.
listing(Unknown) ->
    "lo\tup,running,loopback\t-\n"
    "\tinet\t127.0.0.1\t255.0.0.0\t-\n"
    "wl0\t" ++ string:join([atom_to_list(F) || F <- ?EPCAP_IF_FLAGS], ",") ++
    "," ++ Unknown ++ "\tWi-Fi\n".

with_fake_port(Listing, Fun) ->
    Dir = string:trim(os:cmd("mktemp -d")),
    Prog = filename:join(Dir, "epcap"),
    ok = file:write_file(Prog, ["#!/bin/sh\ncat <<'END'\n", Listing, "END\n"]),
    ok = file:change_mode(Prog, 8#755),
    _ = application:load(epcap),
    Old = application:get_env(epcap, progname),
    ok = application:set_env(epcap, progname, Prog),
    try
        Fun()
    after
        case Old of
            {ok, P} -> application:set_env(epcap, progname, P);
            undefined -> application:unset_env(epcap, progname)
        end,
        os:cmd("rm -rf '" ++ Dir ++ "'")
    end.

flags_fixed_mapping_test() ->
    %% A name that is no atom yet, and is not one after the call.
    Unknown = "epcap_query_tests_flag_" ++ integer_to_list(erlang:unique_integer([positive])),
    ?assertError(badarg, list_to_existing_atom(Unknown)),
    {ok, [Lo, Wl]} = with_fake_port(listing(Unknown), fun epcap:interfaces/0),
    ?assertMatch(#{name := "lo", flags := [up, running, loopback],
                   description := undefined,
                   addresses := [#{family := inet, addr := {127, 0, 0, 1}}]}, Lo),
    ?assertEqual(?EPCAP_IF_FLAGS ++ [Unknown], maps:get(flags, Wl)),
    ?assertEqual("Wi-Fi", maps:get(description, Wl)),
    ?assertError(badarg, list_to_existing_atom(Unknown)).
