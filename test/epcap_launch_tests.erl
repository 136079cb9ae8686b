%% @doc The default launch of a port program that sudo must not be given
%% (epcap_launch:untrusted_default/2), from literal exit statuses of
%% `sudo -n -l Prog --can-capture'.
-module(epcap_launch_tests).

-include_lib("eunit/include/eunit.hrl").

-define(UNTRUSTED, {error, {untrusted_path, "/home/u/epcap/priv/epcap",
                            "refusing to run ... through sudo"}}).

%% No rule (sudo -l exits 1, "a password is required" included): no
%% prefix, so the start says permission_denied as it would without sudo.
no_rule_test() ->
    ?assertEqual({ok, []}, epcap_launch:untrusted_default(?UNTRUSTED, 1)).

%% A rule that would run it: the refusal stays.
rule_test() ->
    ?assertEqual(?UNTRUSTED, epcap_launch:untrusted_default(?UNTRUSTED, 0)).

%% sudo could not be asked: nothing is known, so the refusal stays.
unknown_test() ->
    ?assertEqual(?UNTRUSTED,
                 epcap_launch:untrusted_default(?UNTRUSTED, {error, enoent})).
