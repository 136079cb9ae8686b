%% Several live interfaces in one capture, the port's side (issue 18
%% item 3): `epcap -i A -i B', as dumpcap's repeated -i, driven from the
%% shell and through raw frames (the Erlang API's own suite is the
%% Erlang side's).
%%
%% Root. A namespace with two veth pairs (names with "mi", from
%% epcap_netns:setup/1), captured on their root ends; traffic is a
%% bounded number of UDP datagrams sent from the root namespace to each
%% pair's namespace end, with payloads that say which pair they took
%% ("mi-a-N", "mi-b-N"), sent alternately, so the file's order and each
%% packet's interface can be checked by content. A tun device in the
%% namespace gives a second link type (raw IP) for the filter and file
%% format rules and, held open by test/c/tun_reader (built by make ct) so
%% it has carrier, for DATALINK frames and per-packet DLTs with traffic.
%% tshark and capinfos read the files back.
-module(epcap_multi_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").
-include("epcap_proto.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([pcapng_two_interfaces/1, frames_interfaces_and_ifstats/1,
         classic_frames/1, rotated_dump_files/1, link_type_per_interface/1,
         missing_second_interface/1, usage_errors/1, datalink_frames/1,
         datalink_erlang/1]).

-define(PER_IF, 4).
%% An Ethernet interface's link type and a tun's: link type, DLT_RAW as libpcap names it on Linux (12;
%% LINKTYPE_RAW, 101, in files).
-define(DLT_EN10MB, 1).
-define(DLT_RAW, 12).

all() ->
    [pcapng_two_interfaces, frames_interfaces_and_ifstats, classic_frames,
     rotated_dump_files, link_type_per_interface, missing_second_interface,
     usage_errors, datalink_frames, datalink_erlang].

init_per_suite(Config0) ->
    case epcap_test_lib:require_tools(epcap_test_lib:require_root(Config0),
                                      ["tshark", "capinfos"]) of
        {skip, _} = Skip -> Skip;
        Config -> [{net, setup()} | Config]
    end.

end_per_suite(Config) ->
    epcap_netns:teardown(?config(net, Config)),
    ok.

%% Two veth pairs and a tun; the pairs' root ends are captured.
setup() ->
    Net0 = epcap_netns:setup("mi"),
    try
        X = maps:get(x, Net0),
        A = maps:with([root_if, ns_if, root_addr, ns_addr], Net0),
        Net1 = epcap_netns:add_veth(Net0, #{index => 1,
                                            root_addr => epcap_netns:addr(X, 5),
                                            ns_addr => epcap_netns:addr(X, 6)}),
        B = maps:with([root_if, ns_if, root_addr, ns_addr], Net1),
        Tun = "ep" ++ maps:get(suffix, Net1) ++ "t",
        epcap_netns:run_ok(Net1, ["ip", "tuntap", "add", "mode", "tun", "name",
                                  Tun]),
        epcap_netns:run_ok(Net1, ["ip", "link", "set", Tun, "up"]),
        Net1#{a => A, b => B, tun => Tun}
    catch
        C:E:St ->
            epcap_netns:teardown(Net0),
            erlang:raise(C, E, St)
    end.

%% -i A -i B -w F --pcapng --capture-comment: both interfaces with their
%% blocks, each packet on its own, the file in time order, a statistics
%% block per interface, the comment.
pcapng_two_interfaces(Config) ->
    #{a := #{root_if := RA, ns_addr := NA}, b := #{root_if := RB, ns_addr := NB}} =
        ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    Filter = "udp and dst port " ++ integer_to_list(Port),
    Out = filename:join(?config(priv_dir, Config), "two.pcapng"),
    P = start(["-i", RA, "-i", RB, "-w", Out, "--pcapng", "-c",
               integer_to_list(2 * ?PER_IF), "--capture-comment",
               "epcap_multi_SUITE mi", Filter]),
    wait_for_file(Out),
    send_alternately(Config, Port),
    0 = wait_exit(P),
    Rows = tshark(Out, ["frame.interface_id", "frame.interface_name", "ip.dst",
                        "data.data", "frame.time_epoch"]),
    ?assertEqual(2 * ?PER_IF, length(Rows)),
    %% Each packet on the interface its address and payload say, and in
    %% the order sent (alternately), which is time order.
    ?assertEqual(expected_payloads(), [payload(D) || [_, _, _, D, _] <- Rows]),
    [?assertEqual(case payload(D) of
                      <<"mi-a-", _/binary>> -> ["0", RA, NA];
                      <<"mi-b-", _/binary>> -> ["1", RB, NB]
                  end, [Id, Name, Dst])
     || [Id, Name, Dst, D, _] <- Rows],
    Times = [T || [_, _, _, _, T] <- Rows],
    ?assertEqual(Times, lists:sort(Times)),
    {0, Info} = epcap_test_lib:run("capinfos", [Out]),
    [?assertMatch({match, _}, re:run(Info, Re), Re)
     || Re <- ["Capture comment: +epcap_multi_SUITE mi",
               "Capture application: +epcap ",
               "Strict time order: +True",
               "Number of interfaces in file: 2",
               "Interface #0 info:\\s+Name = " ++ RA,
               "Interface #1 info:\\s+Name = " ++ RB,
               "Filter string = " ++ Filter,
               "Number of packets: +" ++ integer_to_list(2 * ?PER_IF)]],
    %% One statistics block per interface, each counting its own.
    {match, Stats} = re:run(Info, "Number of stat entries = ([0-9]+)",
                            [global, {capture, all_but_first, list}]),
    ?assertEqual([["1"], ["1"]], Stats),
    {match, PerIf} = re:run(Info, "Number of packets = ([0-9]+)",
                            [global, {capture, all_but_first, list}]),
    ?assertEqual([[integer_to_list(?PER_IF)], [integer_to_list(?PER_IF)]],
                 PerIf),
    ok.

%% --interfaces through frames: an INTERFACE frame per interface, each
%% record's index matching its payload, records in time order; IFSTATS
%% per interface and STATS their sum.
frames_interfaces_and_ifstats(Config) ->
    #{a := #{root_if := RA}, b := #{root_if := RB}} = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    Filter = "udp and dst port " ++ integer_to_list(Port),
    P = start_frames(["-i", RA, "-i", RB, "--interfaces", Filter]),
    {ready, 1, RA} = ready(P),
    ?assertMatch({interface, 0, 1, 262144, 9, RA, _, Filter}, frame(P)),
    ?assertMatch({interface, 1, 1, 262144, 9, RB, _, Filter}, frame(P)),
    send_alternately(Config, Port),
    Recs = records(P, 2 * ?PER_IF, []),
    ?assertEqual(expected_payloads(), [payload(Pkt) || {_, _, Pkt} <- Recs]),
    [?assertEqual(case payload(Pkt) of
                      <<"mi-a-", _/binary>> -> 0;
                      <<"mi-b-", _/binary>> -> 1
                  end, If) || {_, If, Pkt} <- Recs],
    Times = [T || {T, _, _} <- Recs],
    ?assertEqual(Times, lists:sort(Times)),
    command(P, ?EPCAP_CMD_IFSTATS, 11, <<>>),
    {reply, 11, 0, Body} = frame(P),
    ?assertEqual(2 * ?EPCAP_IFSTATS_RECORD, byte_size(Body)),
    <<0:32, 1, R0:64, _:64, _:64, D0:64,
      1:32, 1, R1:64, _:64, _:64, D1:64>> = Body,
    ?assertEqual({?PER_IF, ?PER_IF}, {D0, D1}),
    ?assert(R0 >= ?PER_IF andalso R1 >= ?PER_IF),
    command(P, ?EPCAP_CMD_STATS, 12, <<>>),
    {reply, 12, 0, <<1, Recv:64, _:64, _:64, Delivered:64, _/binary>>} =
        frame(P),
    ?assertEqual(2 * ?PER_IF, Delivered),
    ?assertEqual(R0 + R1, Recv),
    stop(P).

%% Without --interfaces: PACKETS frames only (both Ethernet: no DATALINK
%% frame), in time order; a FILTER change applies to both interfaces.
classic_frames(Config) ->
    #{a := #{root_if := RA}, b := #{root_if := RB}} = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    P = start_frames(["-i", RA, "-i", RB, "udp and dst port 9"]),
    {ready, 1, RA} = ready(P),
    command(P, ?EPCAP_CMD_FILTER, 21,
            list_to_binary("udp and dst port " ++ integer_to_list(Port))),
    {reply, 21, 0, <<>>} = frame(P),
    send_alternately(Config, Port),
    Recs = records(P, 2 * ?PER_IF, []),
    ?assertEqual(expected_payloads(), [payload(Pkt) || {_, _, Pkt} <- Recs]),
    stop(P).

%% --dump with --dump-pcapng and rotation: every file has both
%% interfaces' blocks and ends with a statistics block for each.
rotated_dump_files(Config) ->
    #{a := #{root_if := RA}, b := #{root_if := RB}} = ?config(net, Config),
    Port = epcap_test_packets:random_port(),
    Dir = filename:join(?config(priv_dir, Config), "dump"),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    %% The port writes dump files as the user it becomes (nobody).
    ok = file:change_mode(Dir, 8#1777),
    ok = file:change_mode(?config(priv_dir, Config), 8#755),
    Stem = filename:join(Dir, "m.pcapng"),
    P = start_frames(["-i", RA, "-i", RB, "--dump", Stem, "--dump-pcapng",
                      "--dump-size", "1", "--dump-only", "-c",
                      integer_to_list(2 * ?PER_IF),
                      "udp and dst port " ++ integer_to_list(Port)]),
    {ready, 1, RA} = ready(P),
    send_alternately(Config, Port, 600),
    0 = wait_exit(P),
    Files = lists:sort(filelib:wildcard(filename:join(Dir, "m_*.pcapng"))),
    ?assert(length(Files) >= 2, Files),
    Payloads =
        lists:append(
          [begin
               {0, Info} = epcap_test_lib:run("capinfos", [F]),
               ?assertMatch({match, _},
                            re:run(Info, "Number of interfaces in file: 2")),
               {match, S} = re:run(Info, "Number of stat entries = ([0-9]+)",
                                   [global, {capture, all_but_first, list}]),
               ?assertEqual([["1"], ["1"]], S, F),
               [payload(D) || [D] <- tshark(F, ["data.data"])]
           end || F <- Files]),
    ?assertEqual(expected_payloads(), [binary:part(D, 0, 6) || D <- Payloads]).

%% Ethernet and raw IP in one capture (inside the namespace): pcapng
%% keeps each interface's link type; a pcap file cannot (usage error);
%% a filter that does not compile for one link type names it.
link_type_per_interface(Config) ->
    #{a := #{ns_if := NA}, tun := Tun} = Net = ?config(net, Config),
    Out = filename:join(?config(priv_dir, Config), "types.pcapng"),
    {0, _} = in_ns(Net, ["-i", NA, "-i", Tun, "-w", Out, "--pcapng", "--duration", "1"]),
    {0, Info} = epcap_test_lib:run("capinfos", [Out]),
    [?assertMatch({match, _}, re:run(Info, Re), Re)
     || Re <- ["Interface #0 info:\\s+Name = " ++ NA ++
                   "\\s+Encapsulation = Ethernet",
               "Interface #1 info:\\s+Name = " ++ Tun ++
                   "\\s+Encapsulation = Raw IP"]],
    Pcap = filename:join(?config(priv_dir, Config), "types.pcap"),
    {64, Why} = in_ns(Net, ["-i", NA, "-i", Tun, "-w", Pcap, "--duration", "1"]),
    ?assertMatch({match, _}, re:run(Why, Tun ++ " has link type RAW.*a pcap "
                                    "file holds one link type")),
    ?assertNot(filelib:is_file(Pcap)),
    {66, Bad} = in_ns(Net, ["-i", NA, "-i", Tun, "-w", Out, "--pcapng",
                            "ether host 1:2:3:4:5:6"]),
    ?assertMatch({match, _},
                 re:run(Bad, "filter on interface 1 \\(" ++ Tun ++
                        "\\), link type RAW: ")).

%% A second interface that does not exist is the same fatal
%% no_such_device as a first one: on stderr, and as an ERROR frame.
missing_second_interface(Config) ->
    #{a := #{root_if := RA}, suffix := Suffix} = ?config(net, Config),
    Missing = "ep" ++ Suffix ++ "x",
    {66, Err} = epcap_test_lib:cmd(epcap_opts:default_progname(),
                                   ["-i", RA, "-i", Missing, "-w", "-"], #{}),
    ?assertMatch({match, _}, re:run(Err, Missing ++ ": ")),
    P = start_frames(["-i", RA, "-i", Missing]),
    {error, ?EPCAP_E_NO_SUCH_DEVICE, 1, Msg} = frame(P),
    ?assertMatch({match, _}, re:run(Msg, Missing)),
    port_close(P).

%% What several interfaces cannot be combined with: exit 64, named.
usage_errors(Config) ->
    #{a := #{root_if := RA}, b := #{root_if := RB}} = ?config(net, Config),
    Seventeen = lists:append([["-i", "mi" ++ integer_to_list(I)]
                              || I <- lists:seq(1, 17)]),
    Cases = [{["-i", RA, "-i", RA], RA ++ " given twice"},
             {["-i", RA, "-i", "any"], "any already captures every interface"},
             {["-i", RA, "-i", RB, "--fanout", "hash:4242"],
              "--fanout takes one interface"},
             {["-i", RA, "-i", RB, "-L"], "-L takes one interface"},
             {["-i", RA, "-r", "mi.pcap"], "file and interface"},
             {Seventeen, "at most 16 interfaces"}],
    [begin
         {St, Out} = epcap_test_lib:cmd(epcap_opts:default_progname(),
                                        Args ++ ["-w", "-"], #{}),
         ?assertEqual({64, match}, {St, re:run(Out, Want, [{capture, none}])},
                      {Args, Out})
     end || {Args, Want} <- Cases],
    ok.

%% Ethernet and raw IP carrying traffic, through classic frames (no
%% --interfaces), in the namespace: a veth end and the tun, which has
%% carrier while test/c/tun_reader holds it open. Datagrams go, two at a
%% time, to pair b's namespace end and to an address routed (through pair
%% a, forwarded in the namespace) into the tun. A DATALINK frame with the
%% interface's link type comes before each group, and only on a change;
%% each packet carries what was sent.
datalink_frames(Config) ->
    #{ns := Ns, tun := Tun, b := #{ns_if := NB}} = Net = ?config(net, Config),
    {R, TunDst} = tun_traffic(Net),
    Port = epcap_test_packets:random_port(),
    P = open_port({spawn_executable, os:find_executable("ip")},
                  [{args, ["netns", "exec", Ns, epcap_opts:default_progname(),
                           "-i", NB, "-i", Tun,
                           "udp and dst port " ++ integer_to_list(Port)]},
                   {packet, 4}, exit_status, binary, hide]),
    {ready, ?DLT_EN10MB, NB} = ready(P),
    Sent = send_groups(Net, TunDst, Port),
    Events = events(P, length(Sent), []),
    stop(P),
    port_close(R),
    %% What must come: a DATALINK frame where the link type changes
    %% from the one before (READY's first), then the packets.
    {Want, _} = lists:mapfoldl(
                  fun({K, _, _} = S, Cur) ->
                          D = dlt(K),
                          {[{datalink, D} || D =/= Cur] ++ [{packet, S}], D}
                  end, ?DLT_EN10MB, Sent),
    Shape = fun({packet, _}) -> packet; (Dl) -> Dl end,
    ?assertEqual(lists:map(Shape, lists:append(Want)),
                 lists:map(Shape, Events)),
    Pkts = [Pkt || {packet, Pkt} <- Events],
    [check_packet(K, Dst, Port, Pl, Pkt)
     || {{K, Dst, Pl}, Pkt} <- lists:zip(Sent, Pkts)],
    ok.

%% The same traffic into Erlang ({interface, [Veth, Tun]}): each packet's
%% message carries its own interface's link type.
datalink_erlang(Config) ->
    #{tun := Tun, b := #{ns_if := NB}} = Net = ?config(net, Config),
    {R, TunDst} = tun_traffic(Net),
    Port = epcap_test_packets:random_port(),
    {ok, E} = epcap:start_link([{exec, epcap_netns:exec(Net)},
                                {interface, [NB, Tun]},
                                {filter, "udp and dst port " ++
                                     integer_to_list(Port)}]),
    Sent = send_groups(Net, TunDst, Port),
    Got = epcap_test_packets:collect(length(Sent), 10000),
    ok = epcap:stop(E),
    port_close(R),
    ?assertEqual(length(Sent), length(Got)),
    [begin
         ?assertEqual(dlt(K), Dlt),
         ?assertEqual(byte_size(Pkt), Len),
         check_packet(K, Dst, Port, Pl, Pkt)
     end || {{K, Dst, Pl}, {packet, Dlt, _, Len, Pkt}} <- lists:zip(Sent, Got)],
    ok.

%% ---- helpers ----

dlt(veth) -> ?DLT_EN10MB;
dlt(tun) -> ?DLT_RAW.

dlt_payload(Kind, I) ->
    Tag = <<"dlt-", (atom_to_binary(Kind))/binary, "-", ($0 + I)>>,
    <<Tag/binary, (binary:copy(<<"x">>, 24 - byte_size(Tag)))/binary>>.

%% The packet as sent: an Ethernet header before the IP datagram on the
%% veth, none on the tun; the destination, the port and every payload
%% byte as sent (the TTL of the forwarded one differs).
check_packet(veth, Dst, Port, Payload, <<_:14/binary, Ip/binary>>) ->
    check_ip(Dst, Port, Payload, Ip);
check_packet(tun, Dst, Port, Payload, Ip) ->
    check_ip(Dst, Port, Payload, Ip).

check_ip(Dst, Port, Payload, Ip) ->
    {ok, {D1, D2, D3, D4}} = inet:parse_address(Dst),
    ULen = 8 + byte_size(Payload),
    ?assertMatch(<<4:4, 5:4, _, Len:16, _:5/binary, 17, _:16, _:4/binary,
                   D1, D2, D3, D4, _:16, Port:16, ULen:16, _:16,
                   Payload/binary>> when Len =:= 20 + ULen, Ip).

%% The tun with carrier (its reader, returned to be closed), an address,
%% and a route to TunDst (returned) from the root namespace through pair
%% a, forwarded in the namespace into the tun.
tun_traffic(#{x := X, tun := Tun, a := A} = Net) ->
    R = tun_reader(Net, Tun),
    TunDst = epcap_netns:addr(X, 9),
    epcap_netns:run_ok(Net, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]),
    epcap_netns:run_ok(Net, ["ip", "addr", "replace", epcap_netns:addr(X, 10) ++
                             "/32", "dev", Tun]),
    epcap_netns:run_ok(Net, ["ip", "route", "replace", TunDst ++ "/32", "dev",
                             Tun]),
    epcap_test_lib:run_ok("ip", ["route", "replace", TunDst ++ "/32", "via",
                                 maps:get(ns_addr, A)]),
    {R, TunDst}.

%% Datagrams two at a time to pair b's namespace end and into the tun
%% (?PER_IF groups in all); what was sent, in order: {veth | tun,
%% Destination, Payload}.
send_groups(#{a := A, b := B}, TunDst, Port) ->
    SA = epcap_test_packets:udp_socket(maps:get(root_addr, A)),
    SB = epcap_test_packets:udp_socket(maps:get(root_addr, B)),
    Kinds = lists:append(lists:duplicate(?PER_IF div 2,
                                         [{veth, maps:get(ns_addr, B)},
                                          {veth, maps:get(ns_addr, B)},
                                          {tun, TunDst}, {tun, TunDst}])),
    Sent = [{K, Dst, dlt_payload(K, N)}
            || {N, {K, Dst}} <- lists:zip(lists:seq(1, length(Kinds)), Kinds)],
    [ok = send(case K of veth -> SB; tun -> SA end, D, Port, Pl, 0)
     || {K, D, Pl} <- Sent],
    gen_udp:close(SA),
    gen_udp:close(SB),
    Sent.

%% test/c/tun_reader holding Tun open in the namespace, so it has
%% carrier; closing the port closes its stdin and it exits.
tun_reader(#{ns := Ns}, Tun) ->
    Reader = filename:join([epcap_test_lib:root_dir(), "_build", "ctest",
                            "tun_reader"]),
    R = open_port({spawn_executable, os:find_executable("ip")},
                  [{args, ["netns", "exec", Ns, Reader, Tun]}, {line, 200},
                   exit_status, use_stdio, stderr_to_stdout]),
    receive
        {R, {data, {eol, "ready"}}} -> R;
        {R, Other} -> ct:fail({tun_reader, Other})
    after 10000 -> ct:fail(tun_reader_not_ready)
    end.

%% N packets from classic frames, with the DATALINK frames among them,
%% in the order received.
events(_, 0, Acc) ->
    lists:reverse(Acc);
events(P, N, Acc) ->
    case frame(P) of
        {datalink, D} -> events(P, N, [{datalink, D} | Acc]);
        {records, Rs} when length(Rs) =< N ->
            events(P, N - length(Rs),
                   lists:reverse([{packet, Pkt} || {_, _, Pkt} <- Rs], Acc));
        Other -> ct:fail({unexpected, Other})
    end.

expected_payloads() ->
    lists:append([[<<"mi-a-", ($0 + I)>>, <<"mi-b-", ($0 + I)>>]
                  || I <- lists:seq(1, ?PER_IF)]).

send_alternately(Config, Port) ->
    send_alternately(Config, Port, 0).

%% ?PER_IF datagrams to each pair's namespace end, alternately, each
%% padded to Pad bytes (the dump test's rotation needs size).
send_alternately(Config, Port, Pad) ->
    #{a := A, b := B} = ?config(net, Config),
    SA = epcap_test_packets:udp_socket(maps:get(root_addr, A)),
    SB = epcap_test_packets:udp_socket(maps:get(root_addr, B)),
    [begin
         ok = send(SA, maps:get(ns_addr, A), Port, <<"mi-a-", ($0 + I)>>, Pad),
         ok = send(SB, maps:get(ns_addr, B), Port, <<"mi-b-", ($0 + I)>>, Pad)
     end || I <- lists:seq(1, ?PER_IF)],
    gen_udp:close(SA),
    gen_udp:close(SB).

send(S, Addr, Port, Payload, Pad) ->
    {ok, Ip} = inet:parse_address(Addr),
    Fill = binary:copy(<<0>>, max(0, Pad - byte_size(Payload))),
    gen_udp:send(S, Ip, Port, <<Payload/binary, Fill/binary>>).

%% The first six bytes of a UDP payload: an Ethernet frame's (offset 42)
%% or tshark's data.data hex.
payload(<<_:42/binary, P:6/binary, _/binary>>) -> P;
payload(Hex) when is_list(Hex) -> binary:part(binary:decode_hex(list_to_binary(Hex)), 0, 6).

tshark(File, Fields) ->
    Args = ["-r", File, "-T", "fields", "-E", "separator=/t"] ++
        lists:append([["-e", F] || F <- Fields]),
    {0, Out} = epcap_test_lib:cmd(os:find_executable("tshark"), Args,
                                  #{stderr => keep}),
    [string:split(L, "\t", all) || L <- string:lexemes(Out, "\n")].

start(Args) ->
    open_port({spawn_executable, epcap_opts:default_progname()},
              [{args, Args}, exit_status, binary, hide]).

start_frames(Args) ->
    open_port({spawn_executable, epcap_opts:default_progname()},
              [{args, Args}, {packet, 4}, exit_status, binary, hide]).

in_ns(#{ns := Ns}, Args) ->
    epcap_test_lib:cmd(os:find_executable("ip"),
                       ["netns", "exec", Ns, epcap_opts:default_progname()
                        | Args], #{timeout => 20000}).

wait_for_file(Path) ->
    epcap_test_lib:wait_until({file_header, Path}, fun() ->
        filelib:file_size(Path) > 0
    end, 5000).

wait_exit(P) ->
    receive
        {P, {exit_status, St}} -> St;
        {P, {data, _}} -> wait_exit(P)
    after 20000 -> ct:fail({no_exit, P})
    end.

command(P, Tag, Id, Body) ->
    true = port_command(P, <<Tag, Id:32, Body/binary>>).

stop(P) ->
    command(P, ?EPCAP_CMD_STOP, 0, <<>>),
    0 = wait_exit(P),
    ok.

ready(P) ->
    {ready, Dlt, Name} = frame(P),
    {ready, Dlt, Name}.

%% The next frame other than a WARNING or a LOG line.
frame(P) ->
    receive
        {P, {data, <<?EPCAP_FRAME_WARNING, _/binary>>}} -> frame(P);
        {P, {data, F}} -> decode(F);
        {P, {exit_status, St}} -> ct:fail({port_exit, St})
    after 10000 -> ct:fail(no_frame)
    end.

decode(<<?EPCAP_FRAME_READY, ?EPCAP_PROTOCOL_VERSION:16, Dlt:32, _Snap:32,
         _Prec, _Src, _Start, _Uid:32, _Gid:32, _Flags, Name/binary>>) ->
    {ready, Dlt, binary_to_list(Name)};
decode(<<?EPCAP_FRAME_INTERFACE, I:32, Dlt:32, Snap:32, Res,
         NL:16, Name:NL/binary, DL:16, Desc:DL/binary, FL:16, F:FL/binary>>) ->
    {interface, I, Dlt, Snap, Res, binary_to_list(Name), Desc,
     binary_to_list(F)};
decode(<<?EPCAP_FRAME_REPLY, Id:32, Code:16, Body/binary>>) ->
    {reply, Id, Code, Body};
decode(<<?EPCAP_FRAME_ERROR, Code:16, Fatal, Msg/binary>>) ->
    {error, Code, Fatal, Msg};
decode(<<?EPCAP_FRAME_DATALINK, Dlt:32>>) ->
    {datalink, Dlt};
decode(<<?EPCAP_FRAME_IFPACKETS, Recs/binary>>) ->
    {records, [{{S, F}, If, Pkt}
               || <<S:64, F:32, C:32, _L:32, If:32, Pkt:C/binary>> <= Recs]};
decode(<<?EPCAP_FRAME_PACKETS, Recs/binary>>) ->
    {records, [{{S, F}, 0, Pkt}
               || <<S:64, F:32, C:32, _L:32, Pkt:C/binary>> <= Recs]};
decode(Other) ->
    ct:fail({unexpected_frame, Other}).

%% N packet records, in the order received.
records(_, N, Acc) when length(Acc) >= N ->
    ?assertEqual(N, length(Acc)),
    Acc;
records(P, N, Acc) ->
    case frame(P) of
        {records, Rs} -> records(P, N, Acc ++ Rs);
        Other -> ct:fail({unexpected, Other})
    end.
