%% @doc Attacks on the features of several live interfaces in one port
%% (live.c, multi.c, merge.c), the `any' device's interface index
%% (anyif.c) and their output (helper "atk2"; each case names what it
%% closes, doc/SECURITY.md says the rule: nothing captured is lost, every
%% bad input gets a clear error).
%%
%% Root. Each case makes its own network namespace (names with "atk2",
%% from epcap_netns:setup/1) and runs the port inside it, so that its
%% loopback and veth carry only the case's traffic.
-module(epcap_attack2_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include("epcap_proto.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([vanished_interface_keeps_held_packets/1]).

suite() ->
    [{timetrap, {minutes, 2}}].

all() ->
    [vanished_interface_keeps_held_packets].

init_per_suite(Config) ->
    epcap_test_lib:require_root(Config).

end_per_suite(_Config) ->
    ok.

init_per_testcase(_Case, Config) ->
    [{net, epcap_netns:setup("atk2")} | Config].

end_per_testcase(_Case, Config) ->
    epcap_netns:teardown(?config(net, Config)),
    ok.

%%--------------------------------------------------------------------
%% Cases

%% An interface of a capture of several that vanishes ends the capture
%% (status EPCAP_EXIT_CAPTURE, an ERROR frame naming it), but what the
%% port had already taken from the rings goes out first. The merge holds
%% each packet up to the block timeout plus 10 ms for the other
%% interfaces' older ones; a packet on lo followed at once by `ip link
%% del' of the other interface was lost with the merge's contents
%% (multi.c ended inside the round; "mi"'s code).
vanished_interface_keeps_held_packets(Config) ->
    #{ns_if := If} = Net = ?config(net, Config),
    P = start_in_ns(Net, ["-i", "lo", "-i", If, "udp", "port", "9"]),
    {ready, _} = next_frame(P),
    Payload = "atk2-held-" ++ integer_to_list(erlang:unique_integer([positive])),
    %% One shell: the datagram, then the deletion, a few ms apart (within
    %% the merge's hold).
    epcap_netns:run_ok(Net, ["bash", "-c",
                             "printf %s \"$1\" > /dev/udp/127.0.0.1/9 && "
                             "ip link del \"$2\"",
                             "bash", Payload, If]),
    {Frames, Status} = until_exit(P, []),
    ?assertEqual(?EPCAP_EXIT_CAPTURE, Status),
    {Before, [{error, Msg} | _]} =
        lists:splitwith(fun(F) -> element(1, F) =/= error end, Frames),
    ?assertNotEqual(nomatch, string:find(Msg, If)),
    ?assert(lists:any(fun({packets, B}) ->
                              binary:match(B, list_to_binary(Payload)) =/= nomatch;
                         (_) -> false
                      end, Before),
            {payload_lost, Payload, Frames}).

%%--------------------------------------------------------------------
%% Helpers

start_in_ns(#{ns := Ns}, Args) ->
    open_port({spawn_executable, os:find_executable("ip")},
              [{args, ["netns", "exec", Ns, epcap_opts:default_progname()
                       | Args]},
               {packet, 4}, exit_status, binary, hide]).

next_frame(P) ->
    receive
        {P, {data, <<?EPCAP_FRAME_READY, _/binary>> = F}} -> {ready, F};
        {P, {data, _}} -> next_frame(P);
        {P, {exit_status, St}} -> ct:fail({port_exit, St})
    after 10000 -> ct:fail(no_ready)
    end.

%% Every frame (packets and errors; others skipped) until the port exits.
until_exit(P, Acc) ->
    receive
        {P, {data, <<?EPCAP_FRAME_PACKETS, B/binary>>}} ->
            until_exit(P, [{packets, B} | Acc]);
        {P, {data, <<?EPCAP_FRAME_ERROR, _Code:16, _Fatal, Msg/binary>>}} ->
            until_exit(P, [{error, binary_to_list(Msg)} | Acc]);
        {P, {data, _}} ->
            until_exit(P, Acc);
        {P, {exit_status, St}} ->
            {lists:reverse(Acc), St}
    after 20000 -> ct:fail({no_exit, lists:reverse(Acc)})
    end.
