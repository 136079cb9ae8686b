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
-export([vanished_interface_keeps_held_packets/1,
         dump_complete_when_owner_leaves/1]).

suite() ->
    [{timetrap, {minutes, 2}}].

all() ->
    [vanished_interface_keeps_held_packets, dump_complete_when_owner_leaves].

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

%% The owner closing stdin ends the capture ("owner gone"), but a dump
%% file is the caller's own and must end as at STOP: a datagram sent just
%% before the end of stdin (still in the kernel ring, or held by the
%% merge of several interfaces) is in the file, and a file that got no
%% packet still has its header. Both were lost: the port returned at once
%% without flushing the dump's buffer (loop.c; "mi"'s merge made the
%% window 11 ms wide). Immediate mode: a block ring hands a packet over
%% only when its block is retired (the timeout), at STOP as here.
dump_complete_when_owner_leaves(Config) ->
    #{ns_if := If} = Net = ?config(net, Config),
    Dir = filename:join(?config(priv_dir, Config), "dump"),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    %% The port writes dump files as the user it becomes (nobody).
    ok = file:change_mode(Dir, 8#1777),
    ok = file:change_mode(?config(priv_dir, Config), 8#755),
    Payload = "atk2-gone-" ++ integer_to_list(erlang:unique_integer([positive])),
    Dump = filename:join(Dir, "gone.pcap"),
    %% stdin is the feeder: it waits for READY in the frames file (the
    %% port is capturing), sends the datagram and ends at once.
    run_fed(Net, Dir, Payload,
            ["-i", "lo", "-i", If, "-t", "immediate", "--dump", Dump,
             "--dump-only",
             "udp", "port", "9"]),
    ?assertNotEqual(nomatch, binary:match(pcap_body(Dump),
                                          list_to_binary(Payload))),
    Empty = filename:join(Dir, "empty.pcap"),
    run_fed(Net, Dir, "",
            ["-i", "lo", "--dump", Empty, "--dump-only", "udp", "port", "9"]),
    ?assertEqual(<<>>, pcap_body(Empty)).

%%--------------------------------------------------------------------
%% Helpers

%% Run the port in the namespace with stdin from a feeder that waits for
%% the READY frame on the port's stdout (a file), sends Payload (unless
%% empty) to 127.0.0.1:9 and exits, closing the port's stdin.
run_fed(#{ns := Ns}, Dir, Payload, Args) ->
    Frames = filename:join(Dir, "frames-" ++
                               integer_to_list(erlang:unique_integer([positive]))),
    Script = "frames=$1; payload=$2; shift 2; "
             "{ until [ -s \"$frames\" ]; do sleep 0.01; done; "
             "  [ -z \"$payload\" ] || "
             "    printf %s \"$payload\" > /dev/udp/127.0.0.1/9; } | "
             "\"$@\" > \"$frames\"",
    {0, _} = epcap_test_lib:cmd(os:find_executable("ip"),
                                ["netns", "exec", Ns, "bash", "-c", Script,
                                 "bash", Frames, Payload,
                                 epcap_opts:default_progname() | Args],
                                #{timeout => 20000}).

%% What a pcap file holds: its packets' bytes after the 24-byte header
%% (with the 16-byte record headers), checked for the magic first.
pcap_body(File) ->
    {ok, <<Magic:32/little, _:20/binary, Body/binary>>} = file:read_file(File),
    ?assert(lists:member(Magic, [16#a1b2c3d4, 16#a1b23c4d]), {magic, Magic}),
    Body.

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
