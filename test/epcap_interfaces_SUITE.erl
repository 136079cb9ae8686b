%% Interfaces on a live capture (issue 18): `{interface_info, true}' tells
%% the owner the interface (name, link type, snap length, resolution,
%% filter) and each packet's index; `-w F --pcapng' writes the Section
%% Header with OS, application and `--capture-comment', the interface
%% block with its name and filter, and a statistics block at the end,
%% which capinfos reads back. The file side (pcapng files with several
%% interfaces) is in epcap_corpus_SUITE.
%%
%% Root: captures on lo. Traffic: UDP datagrams to 127.0.0.1 on a random
%% port, sent until the capture shows them (a condition, not a sleep).
-module(epcap_interfaces_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([live_interface_info/1, live_pcapng_output/1]).

all() ->
    [live_interface_info, live_pcapng_output].

init_per_suite(Config) ->
    epcap_test_lib:require_root(Config).

end_per_suite(_Config) ->
    ok.

live_interface_info(_Config) ->
    Port = epcap_test_packets:random_port(),
    Filter = "udp and dst port " ++ integer_to_list(Port),
    {ok, E} = epcap:start_link([{interface, "lo"}, {filter, Filter},
                                {interface_info, true}, {time_unit, nanosecond}]),
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    {packet, DLT, _, _, Frame, 0} = send_until_packet(S, Port, 50),
    ?assertEqual(1, DLT),
    ?assertMatch(#{dport := Port}, epcap_test_packets:udp(Frame)),
    ?assertEqual({ok, [#{index => 0, name => <<"lo">>, description => <<>>,
                         datalink => 1, snaplen => 262144, tsresol => 9,
                         filter => list_to_binary(Filter)}]},
                 epcap:interfaces(E)),
    ok = gen_udp:close(S),
    ok = epcap:stop(E).

%% Datagrams to 127.0.0.1:Port until the owner gets one, 100 ms apart.
send_until_packet(_, _, 0) ->
    ct:fail(no_packet);
send_until_packet(S, Port, N) ->
    ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<"epcap_interfaces_SUITE">>),
    receive
        {packet, _, _, _, _, _} = P -> P
    after 100 -> send_until_packet(S, Port, N - 1)
    end.

live_pcapng_output(Config) ->
    case os:find_executable("capinfos") of
        false -> {skip, "capinfos is not installed"};
        Capinfos -> live_pcapng_output(Config, Capinfos)
    end.

live_pcapng_output(Config, Capinfos) ->
    Port = epcap_test_packets:random_port(),
    Filter = "udp and dst port " ++ integer_to_list(Port),
    Out = filename:join(?config(priv_dir, Config), "live.pcapng"),
    Epcap = epcap_opts:default_progname(),
    P = open_port({spawn_executable, Epcap},
                  [{args, ["-i", "lo", "-w", Out, "--pcapng", "-c", "3",
                           "--capture-comment", "epcap_interfaces_SUITE",
                           Filter]},
                   exit_status, binary, hide]),
    %% The header is in the file once the capture is open.
    wait_for_file(Out),
    S = epcap_test_packets:udp_socket("127.0.0.1"),
    ok = send_until_exit(S, Port, P, 100),
    ok = gen_udp:close(S),
    {0, Info} = epcap_test_lib:run(Capinfos, [Out]),
    [?assertMatch({match, _}, re:run(Info, Re), Re)
     || Re <- ["Capture comment: +epcap_interfaces_SUITE",
               "Capture application: +epcap ",
               "Capture oper-sys: +Linux",
               "Number of interfaces in file: 1",
               "Name = lo",
               "Filter string = " ++ Filter,
               "Number of stat entries = 1",
               "Number of packets: +3"]].

wait_for_file(Path) ->
    epcap_test_lib:wait_until({file_header, Path}, fun() ->
        filelib:file_size(Path) > 0
    end, 5000).

%% Datagrams until the port has its 3 packets and exits.
send_until_exit(_, _, _, 0) ->
    ct:fail(port_did_not_exit);
send_until_exit(S, Port, P, N) ->
    ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<"epcap_interfaces_SUITE">>),
    receive
        {P, {exit_status, 0}} -> ok;
        {P, {exit_status, St}} -> ct:fail({exit_status, St});
        {P, {data, _}} -> send_until_exit(S, Port, P, N)
    after 100 -> send_until_exit(S, Port, P, N - 1)
    end.
