%% EUnit tests of the error vocabulary (epcap_reason): what the port says
%% becomes the same {error, Reason} whichever call met it.
-module(epcap_reason_tests).

-include_lib("eunit/include/eunit.hrl").
-include("epcap_proto.hrl").

-define(PROG, "/nonexistent/bin/epcap").
config(Source) -> #{source => Source, progname => ?PROG, dump => undefined}.

start_errors_test() ->
    Live = config({interface, "nope0"}),
    ?assertEqual({no_such_device, "nope0"},
                 epcap_reason:start_error({no_such_device,
                                           "nope0: No such device exists"},
                                          66, Live)),
    ?assertEqual({bad_filter, "syntax error"},
                 epcap_reason:start_error({bad_filter, "syntax error"}, 66, Live)),
    ?assertEqual({file, "/x.pcap", "truncated"},
                 epcap_reason:start_error({file, "truncated"}, 66,
                                          config({file, "/x.pcap"}))),
    ?assertEqual({port_exit, {signal, sigkill}},
                 epcap_reason:start_error(undefined, 128 + 9, Live)),
    ?assertEqual({interface_down, "lo: down"},
                 epcap_reason:start_error({interface_down, "lo: down"}, 66, Live)).

%% The port's permission error carries the cause alone; the hint is ours,
%% and a policy refusal (usage status) has none.
permission_hint_test() ->
    Live = config({interface, "lo"}),
    {permission_denied, Msg} =
        epcap_reason:start_error({permission_denied, "lo: socket: EPERM"}, 66, Live),
    ?assertEqual(epcap_launch:with_hint("lo: socket: EPERM", ?PROG), Msg),
    ?assertMatch("lo: socket: EPERM; to capture without root, " ++ _, Msg),
    ?assertEqual({permission_denied, "-u: refused"},
                 epcap_reason:start_error({permission_denied, "-u: refused"},
                                          64, Live)).

sandbox_violation_test() ->
    Live = config({interface, "lo"}),
    ?assertEqual({sandbox_violation, "openat"},
                 epcap_reason:start_error({sandbox_violation, "openat"},
                                          ?EPCAP_EXIT_SANDBOX_VIOLATION, Live)),
    ?assertEqual({sandbox_violation, 1073741863},
                 epcap_reason:start_error({sandbox_violation, "1073741863"},
                                          ?EPCAP_EXIT_SANDBOX_VIOLATION, Live)),
    ?assertEqual({sandbox_violation, unknown},
                 epcap_reason:start_error(undefined,
                                          ?EPCAP_EXIT_SANDBOX_VIOLATION, Live)),
    ?assertEqual({sandbox_violation, "socket"},
                 epcap_reason:fatal(sandbox_violation, "socket")),
    ?assertEqual({capture, "damaged"}, epcap_reason:fatal(capture, "damaged")).

sudo_refusal_test() ->
    C = (config({interface, "lo"}))#{prefix => ["/usr/bin/sudo", "-n"]},
    ?assertMatch({permission_denied, "cannot capture: sudo -n refused; " ++ _},
                 epcap_reason:start_error(undefined, 1, C)).
