%%% @doc Ping from user space: ICMP echo requests built here (Ethernet,
%%% IPv4 and ICMP headers, both checksums), injected with `epcap:send/2'
%%% and their replies captured by the same epcap port.
%%%
%%% Nothing here uses the kernel's ICMP sockets: the frames are written
%%% byte by byte, so the target's kernel answering them is the proof that
%%% they are right. A reply is matched to its request by ICMP id and
%%% sequence number and must echo the request's data exactly; its round
%%% trip time is the kernel's capture time stamp of the reply minus the
%%% system time taken just before the request was handed to epcap (so it
%%% includes the trip through the port, a few tens of microseconds).
%%%
%%% Injecting needs the next hop's MAC address. It is taken from `-m',
%%% or looked up: `ip -4 route get Target' gives the interface, the source
%%% address and the gateway, and `ip neigh show' the gateway's (or the
%%% target's) link-layer address. An empty neighbour table entry is an
%%% error: ping the target once with the system ping, or pass `-m'.
%%%
%%% As root (or with `make setcap'), after `make all examples':
%%% ```
%%% erl -noshell -pa ebin -pa _build/examples -eval 'icmp_ping:main(["-c", "3", "192.0.2.1"])'
%%% erl -noshell -pa ebin -pa _build/examples \
%%%     -eval 'icmp_ping:main(["-I", "veth0", "-m", "02:00:00:00:00:02", "-i", "200", "10.0.0.2"])'
%%% '''
%%% Options: `-c Count' (default 3), `-i IntervalMs' (1000), `-W WaitMs'
%%% after the last request (1000), `-s DataBytes' (56, at least 8),
%%% `-I Interface', `-m NextHopMac', `-S SourceAddress'. The exit status
%%% is 0 when every request was answered, 1 when some were not, 2 on an
%%% error. From Erlang, {@link ping/2} returns the same figures as a map.
-module(icmp_ping).

-export([main/1, ping/2]).
-export([echo_request/1, parse_reply/1, checksum/1, parse_mac/1]).

-export_type([result/0]).

-type result() :: #{target := string(),
                    interface := string(),
                    transmitted := non_neg_integer(),
                    received := non_neg_integer(),
                    lost := [pos_integer()],
                    rtts := [{pos_integer(), non_neg_integer()}],
                    duplicates := non_neg_integer(),
                    inject_errors := non_neg_integer()}.
%% `rtts' holds `{Seq, Microseconds}' in the order replies arrived.

-define(ETH_IPV4, 16#0800).
-define(IP_ICMP, 1).
-define(ICMP_ECHO_REPLY, 0).
-define(ICMP_ECHO_REQUEST, 8).
-define(ETH_MIN, 60).
%% Bounds on what a person may ask for: data that fits a 1500-byte MTU.
-define(MIN_DATA, 8).
-define(MAX_DATA, 1472).
%% How long a helper command (ip) may take.
-define(CMD_TIMEOUT, 5000).

-define(DEFAULTS, #{count => 3, interval => 1000, wait => 1000, size => 56,
                    ttl => 64, print => true}).

%%====================================================================
%% API
%%====================================================================

%% @doc Ping `Target' (a dotted quad) and return the outcome. Options
%% (all optional): `interface', `src_ip' and `dst_mac' (looked up when
%% absent, see the module documentation), `src_mac' (default: the
%% interface's own), `count', `interval' and `wait' (milliseconds),
%% `size' (ICMP data bytes), `ttl', `id' (ICMP identifier, default
%% random) and `print' (false: no output). Runs in a private process, so
%% the caller's mailbox never sees a packet.
-spec ping(string(), map()) -> {ok, result()} | {error, term()}.
ping(Target, Opts) when is_map(Opts) ->
    case resolve(Target, maps:merge(?DEFAULTS, Opts)) of
        {ok, P} -> run_worker(P);
        {error, _} = Error -> Error
    end.

%% @doc Command-line entry (see the module documentation); halts.
-spec main([string()]) -> no_return().
main(Args) ->
    Status =
        case cli(Args, #{}) of
            {ok, Target, Opts} ->
                case ping(Target, Opts) of
                    {ok, #{lost := []}} -> 0;
                    {ok, _} -> 1;
                    {error, Why} ->
                        io:format(standard_error, "icmp_ping: ~ts~n", [explain(Why)]),
                        2
                end;
            {error, Msg} ->
                io:format(standard_error, "icmp_ping: ~ts~n~ts", [Msg, usage()]),
                2
        end,
    erlang:halt(Status).

%%====================================================================
%% Frames (pure)
%%====================================================================

%% @doc An Ethernet frame holding an ICMP echo request, checksums set,
%% padded to the Ethernet minimum. Keys: `src_mac', `dst_mac' (6-byte
%% binaries), `src_ip', `dst_ip' (4-tuples), `id', `seq', `ttl', `data'.
-spec echo_request(map()) -> binary().
echo_request(#{src_mac := SMac, dst_mac := DMac, src_ip := {S1, S2, S3, S4},
               dst_ip := {D1, D2, D3, D4}, id := Id, seq := Seq, ttl := Ttl,
               data := Data}) ->
    Icmp0 = <<?ICMP_ECHO_REQUEST, 0, 0:16, Id:16, Seq:16, Data/binary>>,
    Icmp = <<?ICMP_ECHO_REQUEST, 0, (checksum(Icmp0)):16, Id:16, Seq:16,
             Data/binary>>,
    %% Don't Fragment, as ping sets it; the IP id is the sequence number.
    Ip0 = <<4:4, 5:4, 0, (20 + byte_size(Icmp)):16, Seq:16, 2#010:3, 0:13,
            Ttl, ?IP_ICMP, 0:16, S1, S2, S3, S4, D1, D2, D3, D4>>,
    <<Pre:10/binary, 0:16, Post/binary>> = Ip0,
    Ip = <<Pre/binary, (checksum(Ip0)):16, Post/binary>>,
    pad(<<DMac/binary, SMac/binary, ?ETH_IPV4:16, Ip/binary, Icmp/binary>>).

pad(Frame) when byte_size(Frame) >= ?ETH_MIN -> Frame;
pad(Frame) -> <<Frame/binary, 0:((?ETH_MIN - byte_size(Frame)) * 8)>>.

%% @doc Decode an Ethernet frame holding an ICMP echo reply whose IPv4 and
%% ICMP checksums are both right: `{ok, #{src, dst, ttl, id, seq, data}}',
%% or `{error, Why}' (not IPv4/ICMP, not a reply, cut short, bad checksum).
-spec parse_reply(binary()) -> {ok, map()} | {error, atom()}.
parse_reply(<<_:12/binary, ?ETH_IPV4:16, 4:4, IHL:4, _Tos, Total:16,
              _:32, Ttl, ?IP_ICMP, _Sum:16, S1, S2, S3, S4, D1, D2, D3, D4,
              _/binary>> = Frame) when IHL >= 5 ->
    HLen = IHL * 4,
    case Frame of
        <<_:14/binary, Hdr:HLen/binary, Icmp:(Total - HLen)/binary, _/binary>>
          when Total >= HLen + 8 ->
            reply(checksum(Hdr), checksum(Icmp), Icmp,
                  #{src => {S1, S2, S3, S4}, dst => {D1, D2, D3, D4}, ttl => Ttl});
        _ ->
            {error, truncated}
    end;
parse_reply(_) ->
    {error, not_icmp}.

reply(0, 0, <<?ICMP_ECHO_REPLY, 0, _:16, Id:16, Seq:16, Data/binary>>, R) ->
    {ok, R#{id => Id, seq => Seq, data => Data}};
reply(0, 0, _, _) -> {error, not_echo_reply};
reply(0, _, _, _) -> {error, bad_icmp_checksum};
reply(_, _, _, _) -> {error, bad_ip_checksum}.

%% @doc The Internet checksum (RFC 1071) of a header or message. Over
%% data whose checksum field is set it gives 0.
-spec checksum(binary()) -> 0..16#ffff.
checksum(Bin) ->
    (bnot fold(sum16(Bin, 0))) band 16#ffff.

sum16(<<W:16, Rest/binary>>, Acc) -> sum16(Rest, Acc + W);
sum16(<<B>>, Acc) -> Acc + (B bsl 8);
sum16(<<>>, Acc) -> Acc.

fold(S) when S > 16#ffff -> fold((S band 16#ffff) + (S bsr 16));
fold(S) -> S.

%% @doc "aa:bb:cc:dd:ee:ff" to a 6-byte binary, or `error'.
-spec parse_mac(string()) -> binary() | error.
parse_mac(S) ->
    try [list_to_integer(H, 16) || H <- string:split(S, ":", all)] of
        Bytes when length(Bytes) =:= 6 ->
            case lists:all(fun(B) -> B >= 0 andalso B =< 255 end, Bytes) of
                true -> list_to_binary(Bytes);
                false -> error
            end;
        _ -> error
    catch
        error:badarg -> error
    end.

%%====================================================================
%% Resolving the route, the source and the next hop
%%====================================================================

resolve(Target, Opts) ->
    try
        Dst = ip(Target, target),
        size_ok(maps:get(size, Opts)),
        Route = route(Target, Opts),
        If = opt(interface, Opts, fun() -> maps:get(dev, Route) end),
        Src = ip(opt(src_ip, Opts, fun() -> maps:get(src, Route) end), src_ip),
        {ok, Opts#{target => Target, dst_ip => Dst, src_ip => Src,
                   interface => If,
                   src_mac => mac(opt(src_mac, Opts, fun() -> iface_mac(If) end)),
                   dst_mac => mac(opt(dst_mac, Opts,
                                      fun() -> neighbour(Route, If) end)),
                   id => maps:get(id, Opts, rand:uniform(16#ffff))}}
    catch
        throw:Why -> {error, Why}
    end.

%% An option, or what Default() finds when it is absent.
opt(Key, Opts, Default) ->
    case Opts of
        #{Key := V} -> V;
        _ -> Default()
    end.

size_ok(N) when is_integer(N), N >= ?MIN_DATA, N =< ?MAX_DATA -> ok;
size_ok(N) -> throw({bad_size, N}).

ip(T, _) when is_tuple(T) -> T;
ip(undefined, What) -> throw({no_address, What});
ip(S, What) ->
    case inet:parse_ipv4strict_address(S) of
        {ok, Ip} -> Ip;
        {error, _} -> throw({bad_address, What, S})
    end.

mac(B) when is_binary(B), byte_size(B) =:= 6 -> B;
mac(S) ->
    case parse_mac(S) of
        error -> throw({bad_mac, S});
        B -> B
    end.

%% What the kernel would do for Target: only asked for what is missing.
route(Target, Opts) ->
    case lists:all(fun(K) -> maps:is_key(K, Opts) end,
                   [interface, src_ip, dst_mac]) of
        true ->
            #{};
        false ->
            Out = cmd("ip", ["-o", "-4", "route", "get", Target] ++
                      case Opts of
                          #{interface := If} -> ["oif", If];
                          _ -> []
                      end),
            route_fields(string:lexemes(Out, " \t\n\\"), Target)
    end.

route_fields(["local" | _], Target) ->
    throw({local_address, Target});
route_fields(Words, Target) ->
    R = maps:from_list([KV || {K, _} = KV <- pairs(Words),
                              lists:member(K, ["dev", "src", "via"])]),
    #{dev => maps:get("dev", R), src => maps:get("src", R, undefined),
      next_hop => maps:get("via", R, Target)}.

pairs([K, V | Rest]) -> [{K, V} | pairs([V | Rest])];
pairs(_) -> [].

neighbour(#{next_hop := Hop}, If) ->
    Out = cmd("ip", ["neigh", "show", "to", Hop, "dev", If]),
    case [V || {"lladdr", V} <- pairs(string:lexemes(Out, " \n"))] of
        [Mac | _] -> Mac;
        [] -> throw({no_neighbour, Hop, If, "ping it once or give -m MAC"})
    end.

iface_mac(If) ->
    case file:read_file("/sys/class/net/" ++ If ++ "/address") of
        {ok, Bin} -> string:trim(binary_to_list(Bin));
        {error, Why} -> throw({interface, If, Why})
    end.

%% Run a helper without a shell; its output, or a throw.
cmd(Name, Args) ->
    Exe = case os:find_executable(Name) of
              false -> throw({not_found, Name});
              Path -> Path
          end,
    Port = open_port({spawn_executable, Exe},
                     [{args, Args}, exit_status, stderr_to_stdout, binary]),
    cmd_loop(Port, [Name | Args], []).

cmd_loop(Port, What, Acc) ->
    receive
        {Port, {data, D}} -> cmd_loop(Port, What, [D | Acc]);
        {Port, {exit_status, 0}} -> binary_to_list(iolist_to_binary(lists:reverse(Acc)));
        {Port, {exit_status, S}} ->
            throw({command_failed, What, S,
                   string:trim(binary_to_list(iolist_to_binary(lists:reverse(Acc))))})
    after ?CMD_TIMEOUT ->
        catch port_close(Port),
        throw({command_timeout, What})
    end.

%%====================================================================
%% The session
%%====================================================================

run_worker(P) ->
    Parent = self(),
    Tag = make_ref(),
    {Pid, MRef} = spawn_monitor(fun() -> Parent ! {Tag, session(P)} end),
    receive
        {Tag, Result} ->
            erlang:demonitor(MRef, [flush]),
            Result;
        {'DOWN', MRef, process, Pid, Why} ->
            {error, {crashed, Why}}
    end.

session(#{interface := If} = P) ->
    Opts = [{interface, If}, {inject, true}, {filter, filter(P)},
            {time_unit, microsecond}],
    case epcap:start_link(Opts) of
        {ok, Cap} ->
            say(P, "PING ~s (~s) via ~s: ~b data bytes~n",
                [maps:get(target, P), ntoa(maps:get(src_ip, P)), If,
                 maps:get(size, P)]),
            Now = erlang:monotonic_time(millisecond),
            S = loop(P#{cap => Cap}, #{seq => 1, next => Now, last => Now,
                                       pending => #{}, rtts => [], dups => 0,
                                       errors => 0}),
            ok = epcap:stop(Cap),
            {ok, summary(P, S)};
        {error, _} = Error ->
            Error
    end.

%% Only our echo replies reach us: from the target, with our identifier.
filter(#{target := T, id := Id}) ->
    lists:flatten(io_lib:format(
        "icmp and src host ~s and icmp[icmptype] = icmp-echoreply "
        "and icmp[4:2] = ~b", [T, Id])).

%% Send the next request when its time has come; otherwise wait for a
%% reply until then, or, once all are sent, until `wait' has passed
%% since the last one or nothing is pending.
loop(#{count := Count} = P, #{seq := Seq, next := Next} = S) when Seq =< Count ->
    case Next - erlang:monotonic_time(millisecond) of
        Left when Left =< 0 ->
            S1 = send_request(P, S),
            loop(P, S1#{seq := Seq + 1, next := Next + maps:get(interval, P),
                        last := erlang:monotonic_time(millisecond)});
        Left ->
            loop(P, await(P, S, Left))
    end;
loop(P, #{pending := Pending, last := Last} = S) ->
    Left = Last + maps:get(wait, P) - erlang:monotonic_time(millisecond),
    case map_size(Pending) =:= 0 orelse Left =< 0 of
        true -> S;
        false -> loop(P, await(P, S, Left))
    end.

send_request(#{cap := Cap} = P, #{seq := Seq, pending := Pending} = S) ->
    Sent = os:system_time(microsecond),
    Data = data(Sent, maps:get(size, P)),
    ok = epcap:send(Cap, echo_request(P#{seq => Seq, data => Data})),
    S#{pending := Pending#{Seq => {Sent, Data}}}.

%% As ping does: the send time, then a counting pattern.
data(Sent, Size) ->
    <<Sent:64, << <<(I band 16#ff)>> || I <- lists:seq(8, Size - 1) >>/binary>>.

await(#{cap := Cap} = P, S, Timeout) ->
    receive
        {packet, _Dlt, Time, _Len, Frame} ->
            reply_in(P, S, Time, parse_reply(Frame));
        {epcap_error, Cap, {inject_failed, Msg}} ->
            say(P, "inject failed: ~ts~n", [Msg]),
            S#{errors := maps:get(errors, S) + 1}
    after Timeout ->
        S
    end.

reply_in(#{id := Id, dst_ip := Dst} = P, #{pending := Pending} = S, Time,
         {ok, #{id := Id, src := Dst, seq := Seq, data := Data, ttl := Ttl}}) ->
    case maps:take(Seq, Pending) of
        {{Sent, Data}, Rest} ->
            Rtt = Time - Sent,
            say(P, "~b bytes from ~s: icmp_seq=~b ttl=~b time=~.3f ms~n",
                [byte_size(Data) + 8, ntoa(Dst), Seq, Ttl, Rtt / 1000]),
            S#{pending := Rest, rtts := [{Seq, Rtt} | maps:get(rtts, S)]};
        {{_, _}, _} ->
            say(P, "icmp_seq=~b: reply data differs from the request~n", [Seq]),
            S;
        error ->
            say(P, "icmp_seq=~b: duplicate or unknown reply~n", [Seq]),
            S#{dups := maps:get(dups, S) + 1}
    end;
reply_in(P, S, _Time, {error, Why}) ->
    say(P, "ignored a packet: ~p~n", [Why]),
    S;
reply_in(_P, S, _Time, {ok, _}) ->
    S.

summary(#{target := T, interface := If, count := Count} = P,
        #{pending := Pending, rtts := Rtts0, dups := Dups, errors := Errs}) ->
    Rtts = lists:reverse(Rtts0),
    Received = length(Rtts),
    say(P, "--- ~s ping statistics ---~n"
           "~b packets transmitted, ~b received, ~b% packet loss~n",
        [T, Count, Received, (Count - Received) * 100 div max(1, Count)]),
    Us = [R || {_, R} <- Rtts],
    Us =/= [] andalso
        say(P, "rtt min/avg/max = ~.3f/~.3f/~.3f ms~n",
            [lists:min(Us) / 1000, lists:sum(Us) / length(Us) / 1000,
             lists:max(Us) / 1000]),
    #{target => T, interface => If, transmitted => Count, received => Received,
      lost => lists:sort(maps:keys(Pending)), rtts => Rtts, duplicates => Dups,
      inject_errors => Errs}.

say(#{print := false}, _, _) -> ok;
say(_, Fmt, Args) -> io:format(Fmt, Args).

ntoa(Ip) -> inet:ntoa(Ip).

%%====================================================================
%% Command line
%%====================================================================

cli([Flag, V | Rest], Opts) when Flag =:= "-c"; Flag =:= "-i"; Flag =:= "-W";
                                 Flag =:= "-s" ->
    Key = maps:get(Flag, #{"-c" => count, "-i" => interval, "-W" => wait,
                           "-s" => size}),
    case string:to_integer(V) of
        {N, ""} when N > 0 -> cli(Rest, Opts#{Key => N});
        _ -> {error, Flag ++ " needs a positive integer"}
    end;
cli(["-I", If | Rest], Opts) -> cli(Rest, Opts#{interface => If});
cli(["-m", Mac | Rest], Opts) -> cli(Rest, Opts#{dst_mac => Mac});
cli(["-S", Src | Rest], Opts) -> cli(Rest, Opts#{src_ip => Src});
cli(["-" ++ _ = Flag | _], _) -> {error, "unknown or incomplete option " ++ Flag};
cli([Target], Opts) -> {ok, Target, Opts};
cli(_, _) -> {error, "exactly one target address is needed"}.

explain({no_neighbour, Hop, If, Hint}) ->
    io_lib:format("no link-layer address for ~s on ~s: ~s", [Hop, If, Hint]);
explain({local_address, T}) ->
    io_lib:format("~s is an address of this host: nothing to inject towards", [T]);
explain({bad_address, What, S}) ->
    io_lib:format("~p: not an IPv4 address: ~tp", [What, S]);
explain(Why) ->
    io_lib:format("~tp", [Why]).

usage() ->
    "usage: icmp_ping:main([\"-c\", Count, \"-i\", IntervalMs, \"-W\", WaitMs, "
    "\"-s\", Bytes, \"-I\", Iface, \"-m\", Mac, \"-S\", Src, Target])\n".

%%====================================================================
%% Tests (make eunit)
%%====================================================================

-ifdef(TEST).
-include_lib("eunit/include/eunit.hrl").

%% The example of RFC 1071, section 3.
checksum_test() ->
    ?assertEqual(16#ffff - 16#ddf2, checksum(<<0, 1, 16#f2, 3, 16#f4, 16#f5, 16#f6, 16#f7>>)),
    ?assertEqual(checksum(<<1, 2, 3, 0>>), checksum(<<1, 2, 3>>)).

request() ->
    echo_request(#{src_mac => <<2, 0, 0, 0, 0, 1>>, dst_mac => <<2, 0, 0, 0, 0, 2>>,
                   src_ip => {192, 0, 2, 1}, dst_ip => {192, 0, 2, 2}, id => 16#abcd,
                   seq => 7, ttl => 64, data => data(1700000000000000, 56)}).

request_test() ->
    F = request(),
    ?assertEqual(98, byte_size(F)),
    <<_:14/binary, Ip:20/binary, Icmp/binary>> = F,
    ?assertEqual(0, checksum(Ip)),
    ?assertEqual(0, checksum(Icmp)),
    ?assertMatch(<<8, 0, _:16, 16#abcd:16, 7:16, 1700000000000000:64, 8, 9, _/binary>>, Icmp),
    ?assertEqual(60, byte_size(echo_request(#{src_mac => <<0:48>>, dst_mac => <<0:48>>,
                                              src_ip => {0, 0, 0, 0}, dst_ip => {0, 0, 0, 0},
                                              id => 0, seq => 0, ttl => 1, data => <<>>}))).

%% The reply a kernel would send: addresses swapped, type 0, checksum redone.
reply_of(<<D:6/binary, S:6/binary, T:16, Ip:20/binary, 8, 0, _:16, Rest/binary>>) ->
    <<Pre:12/binary, Src:4/binary, Dst:4/binary>> = Ip,
    Icmp = <<0, 0, (checksum(<<0, 0, 0:16, Rest/binary>>)):16, Rest/binary>>,
    <<S/binary, D/binary, T:16, Pre/binary, Dst/binary, Src/binary, Icmp/binary>>.

parse_reply_test() ->
    R = reply_of(request()),
    ?assertMatch({ok, #{src := {192, 0, 2, 2}, id := 16#abcd, seq := 7, ttl := 64}},
                 parse_reply(R)),
    ?assertEqual({error, not_echo_reply}, parse_reply(request())),
    <<Head:40/binary, X, Tail/binary>> = R,
    ?assertEqual({error, bad_icmp_checksum}, parse_reply(<<Head/binary, (X bxor 1), Tail/binary>>)),
    <<H2:20/binary, Y, T2/binary>> = R,
    ?assertEqual({error, bad_ip_checksum}, parse_reply(<<H2/binary, (Y bxor 1), T2/binary>>)),
    ?assertEqual({error, truncated}, parse_reply(binary:part(R, 0, 40))),
    ?assertEqual({error, not_icmp}, parse_reply(<<0:112>>)).

cli_test() ->
    ?assertEqual({ok, "10.0.0.2", #{count => 2, interface => "v0", dst_mac => "02:00:00:00:00:02"}},
                 cli(["-c", "2", "-I", "v0", "-m", "02:00:00:00:00:02", "10.0.0.2"], #{})),
    ?assertMatch({error, _}, cli(["-c", "x", "10.0.0.2"], #{})),
    ?assertMatch({error, _}, cli([], #{})),
    ?assertEqual(<<2, 0, 0, 0, 0, 16#ff>>, parse_mac("02:00:00:00:00:ff")),
    ?assertEqual(error, parse_mac("02:00:00:00:00")),
    ?assertEqual(error, parse_mac("02:00:00:00:00:zz")).

route_test() ->
    ?assertEqual(#{dev => "eth0", src => "192.0.2.2", next_hop => "192.0.2.1"},
                 route_fields(string:lexemes("8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 "
                                             "\\    cache \n", " \t\n\\"), "8.8.8.8")),
    ?assertThrow({local_address, _}, route_fields(["local", "127.0.0.1"], "127.0.0.1")).
-endif.
