%%% @doc A small packet printer built on the public epcap API; the
%%% program behind `make run'.
%%%
%%% {@link start/1} calls `epcap:start_link(Options)' from a private
%%% worker process, which then receives one
%%% `{packet, DataLinkType, Time, Length, Packet}' message per packet and,
%%% when a capture file is exhausted, `{epcap, eof}', after which the epcap
%%% process exits normally. The worker prints one line per packet and a
%%% summary at the end. Using a worker keeps the caller's mailbox and its
%%% `trap_exit' flag untouched, whatever epcap sends or however it exits.
%%%
%%% The decoder ({@link decode/2}) and the printer ({@link format/3}) are
%%% pure and written here, without dependencies. They must never crash:
%%% a packet that ends early prints what could be decoded followed by
%%% `[truncated]', one with an impossible header field prints
%%% `[malformed ...]'. A line looks like:
%%% ```
%%% 2023-11-14 22:13:20.000123 len 74 eth ipv4 tcp 192.0.2.1:49152 -> 198.51.100.7:80 [S]
%%% 2023-11-14 22:13:20.000000 len 60 eth arp who-has 192.0.2.254 tell 192.0.2.1
%%% 2023-11-14 22:13:20.108114 len 118 eth ipv6 icmpv6 2001:db8::1 -> 2001:db8::2 echo-request id 24929 seq 1
%%% '''
%%% Times are UTC with microseconds; `len' is the length on the wire.
%%%
%%% From a shell (see {@link main/1} for the environment variables):
%%% ```
%%% EPCAP_FILE=/tmp/s.pcap erl -noshell -pa ebin -pa examples -eval 'sniff:run()'
%%% '''
-module(sniff).

-export([start/1, run/0, main/1]).
-export([decode/2, format/3]).

-export_type([decoded/0, summary/0]).

-type decoded() :: #{dlt := integer(),
                     layers := [atom()],
                     truncated := boolean(),
                     partial => atom(),
                     malformed => {atom(), term()},
                     other => term(),
                     atom() => term()}.
%% `layers' lists the headers decoded, outermost first (`eth', `vlan',
%% `sll', `sll2', `null', `loop', `raw', `arp', `ipv4', `ipv6', `hbh',
%% `rthdr', `dstopts', `frag', `tcp', `udp', `icmp', `icmpv6'); each has
%% a key of the same name holding its fields (except `vlan', whose key
%% holds the VLAN ids, outermost first). `partial' names a header that
%% was cut short, `other' what was left undecoded.

-type summary() :: #{packets := non_neg_integer(),
                     bytes := non_neg_integer(),
                     captured_bytes := non_neg_integer(),
                     truncated := non_neg_integer(),
                     protocols := #{atom() => pos_integer()},
                     stopped := eof | count | duration | closed}.

%% Link types (LINKTYPE_* values as found in capture files).
-define(DLT_NULL, 0).
-define(DLT_EN10MB, 1).
-define(DLT_RAW, 12).
-define(LINKTYPE_RAW, 101).
-define(DLT_LOOP, 108).
-define(DLT_LINUX_SLL, 113).
-define(DLT_IPV4, 228).
-define(DLT_IPV6, 229).
-define(DLT_LINUX_SLL2, 276).

-define(ETH_IPV4, 16#0800).
-define(ETH_ARP, 16#0806).
-define(ETH_IPV6, 16#86DD).
-define(ETH_8021Q, 16#8100).
-define(ETH_8021AD, 16#88A8).
-define(ETH_QINQ_OLD, 16#9100).
%% Ethernet "type" fields up to this value are 802.3 lengths.
-define(ETH_MAX_LENGTH, 1500).

-define(ARPHRD_NETLINK, 824).

-define(IP_ICMP, 1).
-define(IP_TCP, 6).
-define(IP_UDP, 17).
-define(IP_ICMPV6, 58).
-define(IP6_HOPOPTS, 0).
-define(IP6_ROUTING, 43).
-define(IP6_FRAGMENT, 44).
-define(IP6_NONE, 59).
-define(IP6_DSTOPTS, 60).

%% How long to wait for epcap to exit once it has said eof or been stopped.
-define(EXIT_TIMEOUT, 5000).

-record(st, {pid :: pid(),
             parent :: reference(),
             timer :: reference() | undefined,
             count :: pos_integer() | infinity,
             stats :: map()}).

%%====================================================================
%% Capture
%%====================================================================

%% @doc Capture and print packets until the end of the file, `{count, N}'
%% packets or `{duration, Milliseconds}', then print a summary and return
%% it. `count' and `duration' are taken out; every other option goes to
%% `epcap:start_link/1' unchanged (`{file, Path}' or `{interface, Name}',
%% `{filter, String}', ...). If epcap refuses to start, prints why on
%% standard error and returns its `{error, Reason}'.
-spec start([term()]) -> {ok, summary()} | {error, term()}.
start(Options) when is_list(Options) ->
    case split_options(Options, {infinity, infinity}, []) of
        {ok, Limits, EpcapOpts} ->
            run_worker(Limits, EpcapOpts);
        {error, Reason} = Error ->
            io:format(standard_error, "sniff: bad option: ~tp~n", [Reason]),
            Error
    end;
start(Options) ->
    {error, {bad_options, Options}}.

split_options([], Limits, Acc) ->
    {ok, Limits, lists:reverse(Acc)};
split_options([{count, N} | Rest], {_, Duration}, Acc) when is_integer(N), N > 0 ->
    split_options(Rest, {N, Duration}, Acc);
split_options([{duration, Ms} | Rest], {Count, _}, Acc) when is_integer(Ms), Ms >= 0 ->
    split_options(Rest, {Count, Ms}, Acc);
split_options([{Key, _} = Opt | _], _Limits, _Acc) when Key =:= count; Key =:= duration ->
    {error, Opt};
split_options([Opt | Rest], Limits, Acc) ->
    split_options(Rest, Limits, [Opt | Acc]).

run_worker(Limits, EpcapOpts) ->
    Parent = self(),
    Tag = make_ref(),
    {Worker, MRef} = spawn_monitor(fun() -> Parent ! {Tag, capture(Parent, Limits, EpcapOpts)} end),
    receive
        {Tag, Result} ->
            erlang:demonitor(MRef, [flush]),
            Result;
        {'DOWN', MRef, process, Worker, Reason} ->
            io:format(standard_error, "sniff: capture crashed: ~tp~n", [Reason]),
            {error, {crashed, Reason}}
    end.

%% Runs in the worker: it owns the link to epcap and receives its packets.
capture(Parent, {Count, Duration}, EpcapOpts) ->
    process_flag(trap_exit, true),
    case epcap:start_link(EpcapOpts) of
        {ok, Pid} ->
            Timer = case Duration of
                        infinity -> undefined;
                        Ms -> erlang:start_timer(Ms, self(), sniff_duration)
                    end,
            loop(#st{pid = Pid, parent = monitor(process, Parent), timer = Timer,
                     count = Count, stats = new_stats()});
        {error, Reason} = Error ->
            io:format(standard_error, "sniff: cannot start capture: ~ts~n", [explain(Reason)]),
            Error
    end.

loop(#st{pid = Pid, parent = PRef, timer = Timer} = St) ->
    receive
        {packet, DLT, Time, Length, Packet} ->
            packet(DLT, Time, Length, Packet, St);
        {epcap, eof} ->
            finish(eof, await_exit(Pid), St);
        {timeout, Timer, sniff_duration} ->
            finish(duration, stop_epcap(Pid), St);
        {'EXIT', Pid, normal} ->
            finish(closed, normal, St);
        {'EXIT', Pid, Reason} ->
            io:format(standard_error, "sniff: epcap exited: ~tp~n", [Reason]),
            {error, {epcap_exit, Reason}};
        {'DOWN', PRef, process, _, _} ->
            %% Nobody is left to report to.
            _ = stop_epcap(Pid),
            exit(normal);
        Other ->
            logger:warning("sniff: unexpected message ~tp", [Other]),
            loop(St)
    end.

packet(DLT, Time, Length, Packet, #st{count = Count, stats = Stats} = St) ->
    Decoded = decode(DLT, Packet),
    io:put_chars([format(Time, Length, Decoded), $\n]),
    Stats1 = count_packet(Length, Packet, Decoded, Stats),
    case maps:get(packets, Stats1) of
        Count -> finish(count, stop_epcap(St#st.pid), St#st{stats = Stats1});
        _ -> loop(St#st{stats = Stats1})
    end.

stop_epcap(Pid) ->
    try epcap:stop(Pid) of
        _ -> await_exit(Pid)
    catch
        %% It may have exited on its own meanwhile: that is what we want.
        exit:noproc -> await_exit(Pid);
        exit:{noproc, _} -> await_exit(Pid)
    end.

await_exit(Pid) ->
    receive
        {'EXIT', Pid, Reason} -> Reason
    after ?EXIT_TIMEOUT ->
            logger:warning("sniff: epcap ~p did not exit", [Pid]),
            unlink(Pid),
            timeout
    end.

finish(Why, ExitReason, #st{timer = Timer, stats = Stats}) ->
    _ = is_reference(Timer) andalso erlang:cancel_timer(Timer),
    case ExitReason of
        normal -> ok;
        shutdown -> ok;
        {shutdown, _} -> ok;
        Other -> logger:warning("sniff: epcap exit reason ~tp", [Other])
    end,
    Summary = Stats#{stopped => Why},
    io:put_chars(format_summary(Summary)),
    {ok, Summary}.

new_stats() ->
    #{packets => 0, bytes => 0, captured_bytes => 0, truncated => 0, protocols => #{}}.

count_packet(Length, Packet, #{layers := Layers, truncated := Trunc},
             #{packets := N, bytes := B, captured_bytes := C, truncated := T,
               protocols := Ps} = Stats) ->
    Ps1 = lists:foldl(fun(L, Acc) -> maps:update_with(L, fun(X) -> X + 1 end, 1, Acc) end,
                      Ps, Layers),
    Cut = case Trunc orelse byte_size(Packet) < Length of
              true -> 1;
              false -> 0
          end,
    Stats#{packets := N + 1, bytes := B + Length, captured_bytes := C + byte_size(Packet),
           truncated := T + Cut, protocols := Ps1}.

format_summary(#{packets := N, bytes := B, captured_bytes := C, truncated := T,
                 protocols := Ps, stopped := Why}) ->
    Protos = lists:join(", ", [[atom_to_list(P), $\s, integer_to_list(K)]
                               || {P, K} <- lists:sort(maps:to_list(Ps))]),
    io_lib:format("~nsniff: ~b packets, ~b bytes on the wire, ~b captured, ~b truncated"
                  " (stopped: ~s)~nsniff: protocols: ~ts~n",
                  [N, B, C, T, Why, case Protos of [] -> "none"; _ -> Protos end]).

%% epcap's reasons are terms; say something a person can act on where
%% the classic ones are recognisable, and show the term anyway.
explain(enoent) -> "no such file or directory (enoent)";
explain(eacces) -> "permission denied (eacces): live capture needs privileges";
explain(Reason) -> io_lib:format("~tp", [Reason]).

%%====================================================================
%% Command line
%%====================================================================

%% @doc Entry for `make run': `sniff:main([])'.
-spec run() -> no_return().
run() ->
    main([]).

%% @doc Command-line entry; halts the node with status 0 on success and 1
%% on any error. Settings come from the environment:
%% <ul>
%% <li>`EPCAP_FILE': capture file to read, or</li>
%% <li>`EPCAP_IFACE': interface to capture on (exactly one of the two);</li>
%% <li>`EPCAP_FILTER': a pcap filter expression (optional);</li>
%% <li>`EPCAP_COUNT': stop after this many packets (optional).</li>
%% </ul>
%% `Args' (strings or atoms) override them: `-r File', `-i Interface',
%% `-c Count', `-d Milliseconds', and any remaining words form the filter,
%% as with tcpdump.
-spec main([string() | atom()]) -> no_return().
main(Args) ->
    Status = case cli_options([to_string(A) || A <- Args]) of
                 {ok, Opts} ->
                     case start(Opts) of
                         {ok, _Summary} -> 0;
                         {error, _} -> 1
                     end;
                 {error, Message} ->
                     io:format(standard_error, "sniff: ~ts~n~ts", [Message, usage()]),
                     1
             end,
    erlang:halt(Status).

to_string(A) when is_atom(A) -> atom_to_list(A);
to_string(S) when is_list(S) -> S.

usage() ->
    "usage: EPCAP_FILE=file | EPCAP_IFACE=name [EPCAP_FILTER=expr] [EPCAP_COUNT=n]\n"
    "         erl -noshell -pa ebin -pa examples -eval 'sniff:run()'\n"
    "       sniff:main([\"-r\", File | \"-i\", Iface] ++ [\"-c\", N, \"-d\", Ms] ++ Filter)\n".

cli_options(Args) ->
    case env_settings() of
        {ok, Env} -> arg_settings(Args, Env, []);
        {error, _} = Error -> Error
    end.

env_settings() ->
    Source = case {getenv("EPCAP_FILE"), getenv("EPCAP_IFACE")} of
                 {false, false} -> none;
                 {File, false} -> {file, File};
                 {false, Iface} -> {interface, Iface};
                 _ -> both
             end,
    case {Source, getenv("EPCAP_COUNT")} of
        {both, _} ->
            {error, "set EPCAP_FILE or EPCAP_IFACE, not both"};
        {_, false} ->
            {ok, #{source => Source, filter => getenv("EPCAP_FILTER")}};
        {_, CountS} ->
            case positive(CountS) of
                {ok, N} -> {ok, #{source => Source, filter => getenv("EPCAP_FILTER"), count => N}};
                error -> {error, "EPCAP_COUNT must be a positive integer"}
            end
    end.

%% Unset and empty are the same: make sets variables to "" freely.
getenv(Name) ->
    case os:getenv(Name) of
        "" -> false;
        Value -> Value
    end.

arg_settings(["-r", File | Rest], S, Words) ->
    arg_settings(Rest, S#{source := {file, File}}, Words);
arg_settings(["-i", Iface | Rest], S, Words) ->
    arg_settings(Rest, S#{source := {interface, Iface}}, Words);
arg_settings([Flag, Value | Rest], S, Words) when Flag =:= "-c"; Flag =:= "-d" ->
    Key = case Flag of
              "-c" -> count;
              "-d" -> duration
          end,
    case positive(Value) of
        {ok, N} -> arg_settings(Rest, S#{Key => N}, Words);
        error -> {error, Flag ++ " needs a positive integer"}
    end;
arg_settings(["-" ++ _ = Flag | _], _S, _Words) ->
    {error, "unknown or incomplete option " ++ Flag};
arg_settings([Word | Rest], S, Words) ->
    arg_settings(Rest, S, [Word | Words]);
arg_settings([], #{source := none}, _Words) ->
    {error, "no capture source: set EPCAP_FILE or EPCAP_IFACE (or pass -r/-i)"};
arg_settings([], #{source := Source} = S, Words) ->
    Filter = case Words of
                 [] -> maps:get(filter, S);
                 _ -> lists:join(" ", lists:reverse(Words))
             end,
    {ok, [Source]
         ++ [{filter, lists:flatten(Filter)} || Filter =/= false]
         ++ [{K, V} || K <- [count, duration], {ok, V} <- [maps:find(K, S)]]}.

positive(S) ->
    case string:to_integer(S) of
        {N, ""} when N > 0 -> {ok, N};
        _ -> error
    end.

%%====================================================================
%% Decoding
%%====================================================================

%% @doc Decode a captured packet of the given link type. Never fails on
%% a short or malformed packet; see the `decoded()' type.
-spec decode(integer(), binary()) -> decoded().
decode(DLT, Packet) when is_integer(DLT), is_binary(Packet) ->
    #{layers := Layers} = D = link(DLT, Packet, #{dlt => DLT, layers => [], truncated => false}),
    D#{layers := lists:reverse(Layers)}.

add(Layer, Info, #{layers := Layers} = D) ->
    D#{layers := [Layer | Layers], Layer => Info}.

%% The header of Layer itself is incomplete.
short(Layer, D) ->
    D#{truncated := true, partial => Layer}.

%% Headers are complete but something they announce is missing.
cut(D) ->
    D#{truncated := true}.

bad(Layer, Why, D) ->
    D#{malformed => {Layer, Why}}.

other(What, D) ->
    D#{other => What}.

%% Keep the bytes a header says belong to it: drop Ethernet padding, and
%% note when the capture stopped before the end.
clip(Bin, Len, D) when byte_size(Bin) >= Len -> {binary:part(Bin, 0, Len), D};
clip(Bin, _Len, D) -> {Bin, cut(D)}.

link(?DLT_EN10MB, P, D) -> ethernet(P, D);
link(?DLT_NULL, P, D) -> null(P, D);
link(?DLT_LOOP, P, D) -> loop(P, D);
link(DLT, P, D) when DLT =:= ?DLT_RAW; DLT =:= ?LINKTYPE_RAW -> raw_ip(P, add(raw, #{}, D));
link(?DLT_IPV4, P, D) -> ipv4(P, add(raw, #{}, D));
link(?DLT_IPV6, P, D) -> ipv6(P, add(raw, #{}, D));
link(?DLT_LINUX_SLL, P, D) -> sll(P, D);
link(?DLT_LINUX_SLL2, P, D) -> sll2(P, D);
link(_DLT, _P, D) -> other(unknown_dlt, D).

raw_ip(<<4:4, _/bitstring>> = P, D) -> ipv4(P, D);
raw_ip(<<6:4, _/bitstring>> = P, D) -> ipv6(P, D);
raw_ip(<<V:4, _/bitstring>>, D) -> bad(ip, {version, V}, D);
raw_ip(_, D) -> short(ip, D).

%% BSD loopback: the address family in the capturing host's byte order.
%% Families are small, so the order shows.
null(<<F:32/little, Rest/binary>>, D) when F =< 16#FFFF ->
    family(F, Rest, add(null, #{family => F}, D));
null(<<F:32/big, Rest/binary>>, D) ->
    family(F, Rest, add(null, #{family => F}, D));
null(_, D) ->
    short(null, D).

%% OpenBSD loopback: the same, always big-endian.
loop(<<F:32/big, Rest/binary>>, D) -> family(F, Rest, add(loop, #{family => F}, D));
loop(_, D) -> short(loop, D).

%% AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD),
%% 28 (FreeBSD) or 30 (macOS).
family(2, P, D) -> ipv4(P, D);
family(F, P, D) when F =:= 10; F =:= 24; F =:= 28; F =:= 30 -> ipv6(P, D);
family(F, _P, D) -> other({family, F}, D).

ethernet(<<Dst:6/binary, Src:6/binary, Type:16, Rest/binary>>, D) ->
    ethertype(Type, Rest, add(eth, #{dst => Dst, src => Src, type => Type}, D));
ethernet(_, D) ->
    short(eth, D).

ethertype(T, P, D) when T =:= ?ETH_8021Q; T =:= ?ETH_8021AD; T =:= ?ETH_QINQ_OLD -> vlan(P, D);
ethertype(?ETH_IPV4, P, D) -> ipv4(P, D);
ethertype(?ETH_IPV6, P, D) -> ipv6(P, D);
ethertype(?ETH_ARP, P, D) -> arp(P, D);
ethertype(T, _P, D) when T =< ?ETH_MAX_LENGTH -> other({llc, T}, D);
ethertype(T, _P, D) -> other({ethertype, T}, D).

%% Each tag is four bytes, so stacking is bounded by the packet.
vlan(<<_Pcp:3, _Dei:1, Vid:12, Type:16, Rest/binary>>, #{layers := Layers} = D) ->
    Vids = maps:get(vlan, D, []),
    ethertype(Type, Rest, D#{layers := [vlan | Layers], vlan => Vids ++ [Vid]});
vlan(_, D) ->
    short(vlan, D).

sll(<<PktType:16, HaType:16, HaLen:16, Addr:8/binary, Proto:16, Rest/binary>>, D) ->
    Info = #{pkttype => PktType, hatype => HaType, addr => binary:part(Addr, 0, min(HaLen, 8)),
             proto => Proto},
    sll_proto(HaType, Proto, Rest, add(sll, Info, D));
sll(_, D) ->
    short(sll, D).

sll2(<<Proto:16, _Reserved:16, IfIndex:32, HaType:16, PktType, HaLen, Addr:8/binary,
       Rest/binary>>, D) ->
    Info = #{pkttype => PktType, hatype => HaType, addr => binary:part(Addr, 0, min(HaLen, 8)),
             proto => Proto, ifindex => IfIndex},
    sll_proto(HaType, Proto, Rest, add(sll2, Info, D));
sll2(_, D) ->
    short(sll2, D).

%% Cooked headers carry an ethertype, except for netlink captures and
%% the small Linux-internal values (ETH_P_802_2, ETH_P_CAN, ...).
sll_proto(?ARPHRD_NETLINK, Proto, _P, D) -> other({netlink, Proto}, D);
sll_proto(_HaType, Proto, _P, D) when Proto =< ?ETH_MAX_LENGTH ->
    other({linux_proto, Proto}, D);
sll_proto(_HaType, Proto, P, D) -> ethertype(Proto, P, D).

arp(<<HType:16, PType:16, HLen, PLen, Op:16, Rest/binary>>, D) ->
    Info = #{htype => HType, ptype => PType, op => Op},
    case Rest of
        <<Sha:HLen/binary, Spa:PLen/binary, Tha:HLen/binary, Tpa:PLen/binary, _/binary>> ->
            add(arp, Info#{sha => Sha, spa => proto_addr(PType, Spa),
                           tha => Tha, tpa => proto_addr(PType, Tpa)}, D);
        _ ->
            cut(add(arp, Info, D))
    end;
arp(_, D) ->
    short(arp, D).

proto_addr(?ETH_IPV4, <<A, B, C, D>>) -> {A, B, C, D};
proto_addr(_PType, Bin) -> Bin.

ipv4(<<4:4, Ihl:4, Tos, TotLen:16, Id:16, _:1, Df:1, Mf:1, Off:13, Ttl, Proto, _Sum:16,
       Src:4/binary, Dst:4/binary, Rest/binary>>, D) when Ihl >= 5 ->
    HdrLen = Ihl * 4,
    OptLen = HdrLen - 20,
    D1 = add(ipv4, #{src => ip4(Src), dst => ip4(Dst), proto => Proto, ttl => Ttl, tos => Tos,
                     id => Id, ihl => Ihl, length => TotLen, df => Df =:= 1, mf => Mf =:= 1,
                     frag_offset => Off * 8}, D),
    case Rest of
        _ when TotLen < HdrLen ->
            bad(ipv4, {total_length, TotLen}, D1);
        <<_Options:OptLen/binary, Payload/binary>> ->
            {Data, D2} = clip(Payload, TotLen - HdrLen, D1),
            case Off of
                0 -> transport(Proto, Data, TotLen - HdrLen, D2);
                _ -> other({fragment, Off * 8}, D2)
            end;
        _ ->
            cut(D1)
    end;
ipv4(<<4:4, Ihl:4, _/binary>>, D) when Ihl < 5 ->
    bad(ipv4, {ihl, Ihl}, D);
ipv4(<<V:4, _/bitstring>>, D) when V =/= 4 ->
    bad(ipv4, {version, V}, D);
ipv4(_, D) ->
    short(ipv4, D).

ipv6(<<6:4, Tc:8, Flow:20, PayLen:16, Nh, Hlim, Src:16/binary, Dst:16/binary, Rest/binary>>,
     D) ->
    D1 = add(ipv6, #{src => ip6(Src), dst => ip6(Dst), next_header => Nh, hop_limit => Hlim,
                     payload_length => PayLen, traffic_class => Tc, flow_label => Flow}, D),
    {Data, D2} = clip(Rest, PayLen, D1),
    ipv6_next(Nh, Data, PayLen, D2);
ipv6(<<V:4, _/bitstring>>, D) when V =/= 6 ->
    bad(ipv6, {version, V}, D);
ipv6(_, D) ->
    short(ipv6, D).

%% Walk the extension headers. Len is what the headers declare is left,
%% P what was captured of it (never more than Len), so Len stays >= 0.
%% Each header is at least 8 bytes, which bounds the walk.
ipv6_next(Nh, P, Len, D) when Nh =:= ?IP6_HOPOPTS; Nh =:= ?IP6_ROUTING; Nh =:= ?IP6_DSTOPTS ->
    Name = ext_name(Nh),
    case P of
        <<Next, ExtLen, _/binary>> when byte_size(P) >= (ExtLen + 1) * 8 ->
            HdrLen = (ExtLen + 1) * 8,
            <<_:HdrLen/binary, Rest/binary>> = P,
            ipv6_next(Next, Rest, Len - HdrLen,
                      add(Name, #{next_header => Next, length => HdrLen}, D));
        _ ->
            short(Name, D)
    end;
ipv6_next(?IP6_FRAGMENT, <<Next, _, Off:13, _:2, More:1, Id:32, Rest/binary>>, Len, D) ->
    D1 = add(frag, #{next_header => Next, offset => Off * 8, more => More =:= 1, id => Id}, D),
    case Off of
        0 -> ipv6_next(Next, Rest, Len - 8, D1);
        _ -> other({fragment, Off * 8}, D1)
    end;
ipv6_next(?IP6_FRAGMENT, _P, _Len, D) ->
    short(frag, D);
ipv6_next(?IP6_NONE, _P, _Len, D) ->
    D;
ipv6_next(Nh, P, Len, D) ->
    transport(Nh, P, Len, D).

ext_name(?IP6_HOPOPTS) -> hbh;
ext_name(?IP6_ROUTING) -> rthdr;
ext_name(?IP6_DSTOPTS) -> dstopts.

%% Len is the length the IP header declares for this segment.
transport(?IP_TCP, P, Len, D) -> tcp(P, Len, D);
transport(?IP_UDP, P, _Len, D) -> udp(P, D);
transport(?IP_ICMP, P, _Len, D) -> icmp(icmp, P, D);
transport(?IP_ICMPV6, P, _Len, D) -> icmp(icmpv6, P, D);
transport(Proto, _P, _Len, D) -> other({ip_proto, Proto}, D).

tcp(<<SPort:16, DPort:16, Seq:32, Ack:32, Off:4, _:3, Flags:9, Win:16, _Sum:16, _Urg:16,
      Rest/binary>>, Len, D) ->
    HdrLen = Off * 4,
    D1 = add(tcp, #{sport => SPort, dport => DPort, seq => Seq, ack => Ack,
                    flags => tcp_flags(Flags), window => Win, header_length => HdrLen,
                    payload_len => max(0, Len - HdrLen)}, D),
    if
        Off < 5; HdrLen > Len -> bad(tcp, {data_offset, Off}, D1);
        byte_size(Rest) < HdrLen - 20 -> cut(D1);
        true -> D1
    end;
tcp(_, _Len, D) ->
    short(tcp, D).

%% In tcpdump's order; ACK prints as ".".
-define(TCP_FLAGS, [{16#001, fin, $F}, {16#002, syn, $S}, {16#004, rst, $R}, {16#008, psh, $P},
                    {16#010, ack, $.}, {16#020, urg, $U}, {16#040, ece, $E}, {16#080, cwr, $W},
                    {16#100, ns, $N}]).

tcp_flags(Bits) ->
    [Name || {Bit, Name, _} <- ?TCP_FLAGS, Bits band Bit =/= 0].

udp(<<SPort:16, DPort:16, ULen:16, _Sum:16, _/binary>>, D) ->
    D1 = add(udp, #{sport => SPort, dport => DPort, length => ULen,
                    payload_len => max(0, ULen - 8)}, D),
    case ULen < 8 of
        true -> bad(udp, {length, ULen}, D1);
        false -> D1
    end;
udp(_, D) ->
    short(udp, D).

icmp(Layer, <<Type, Code, _Sum:16, Rest/binary>>, D) ->
    add(Layer, icmp_fields(Layer, Type, Rest, #{type => Type, code => Code}), D);
icmp(Layer, _, D) ->
    short(Layer, D).

icmp_fields(icmp, T, <<Id:16, Seq:16, _/binary>>, M) when T =:= 0; T =:= 8 ->
    M#{id => Id, seq => Seq};
icmp_fields(icmpv6, T, <<Id:16, Seq:16, _/binary>>, M) when T =:= 128; T =:= 129 ->
    M#{id => Id, seq => Seq};
icmp_fields(icmpv6, T, <<_:32, Target:16/binary, _/binary>>, M) when T =:= 135; T =:= 136 ->
    M#{target => ip6(Target)};
icmp_fields(_Layer, _Type, _Rest, M) ->
    M.

ip4(<<A, B, C, D>>) -> {A, B, C, D}.

ip6(Bin) -> list_to_tuple([X || <<X:16>> <= Bin]).

%%====================================================================
%% Printing
%%====================================================================

%% @doc One line (without newline) for a decoded packet: UTC time with
%% microseconds, the length on the wire, the layers, then the addresses
%% and details of the innermost one.
-spec format(erlang:timestamp(), non_neg_integer(), decoded()) -> iodata().
format(Time, Length, Decoded) ->
    [format_time(Time), " len ", integer_to_list(Length), layer_names(Decoded),
     details(Decoded), notes(Decoded)].

format_time({Mega, Sec, Micro}) when is_integer(Mega), is_integer(Sec), is_integer(Micro) ->
    {{Y, Mo, D}, {H, Mi, S}} =
        calendar:system_time_to_universal_time(Mega * 1000000 + Sec, second),
    io_lib:format("~4..0b-~2..0b-~2..0b ~2..0b:~2..0b:~2..0b.~6..0b", [Y, Mo, D, H, Mi, S, Micro]);
format_time(Other) ->
    io_lib:format("~tw", [Other]).

layer_names(#{layers := Layers} = D) ->
    names(Layers, maps:get(vlan, D, []), maps:get(partial, D, undefined)).

names([vlan | Layers], [Vid | Vids], Partial) ->
    [" vlan ", integer_to_list(Vid) | names(Layers, Vids, Partial)];
names([Layer | Layers], Vids, Partial) ->
    [$\s, atom_to_list(Layer) | names(Layers, Vids, Partial)];
names([], _Vids, undefined) ->
    [];
names([], _Vids, Partial) ->
    [$\s, atom_to_list(Partial)].

details(#{arp := Arp}) ->
    arp_text(Arp);
details(#{ipv4 := Ip} = D) ->
    ip_text(Ip, D);
details(#{ipv6 := Ip} = D) ->
    ip_text(Ip, D);
details(#{eth := #{src := Src, dst := Dst}} = D) ->
    [$\s, hex(Src), " -> ", hex(Dst) | other_text(D)];
details(D) ->
    other_text(D).

arp_text(#{op := 1, spa := Spa, tpa := Tpa}) ->
    [" who-has ", addr(Tpa), " tell ", addr(Spa)];
arp_text(#{op := 2, spa := Spa, sha := Sha}) ->
    [" reply ", addr(Spa), " is-at ", hex(Sha)];
arp_text(#{op := Op}) ->
    [" op ", integer_to_list(Op)].

ip_text(#{src := Src, dst := Dst}, #{tcp := #{sport := SP, dport := DP, flags := Flags} = Tcp}) ->
    [$\s, endpoint(Src, SP), " -> ", endpoint(Dst, DP), " [", flag_chars(Flags), "]"
     | payload(Tcp)];
ip_text(#{src := Src, dst := Dst}, #{udp := #{sport := SP, dport := DP} = Udp}) ->
    [$\s, endpoint(Src, SP), " -> ", endpoint(Dst, DP) | payload(Udp)];
ip_text(#{src := Src, dst := Dst}, #{icmp := Icmp}) ->
    [$\s, addr(Src), " -> ", addr(Dst), $\s | icmp_text(Icmp)];
ip_text(#{src := Src, dst := Dst}, #{icmpv6 := Icmp}) ->
    [$\s, addr(Src), " -> ", addr(Dst), $\s | icmpv6_text(Icmp)];
ip_text(#{src := Src, dst := Dst}, D) ->
    [$\s, addr(Src), " -> ", addr(Dst) | other_text(D)].

flag_chars([]) -> "none";
flag_chars(Flags) -> [C || {_, Name, C} <- ?TCP_FLAGS, lists:member(Name, Flags)].

payload(#{payload_len := 0}) -> [];
payload(#{payload_len := N}) -> [" payload ", integer_to_list(N)].

icmp_text(#{type := 0} = M) -> ["echo-reply" | echo_ids(M)];
icmp_text(#{type := 8} = M) -> ["echo-request" | echo_ids(M)];
icmp_text(#{type := 3, code := 0}) -> "net-unreachable";
icmp_text(#{type := 3, code := 1}) -> "host-unreachable";
icmp_text(#{type := 3, code := 2}) -> "protocol-unreachable";
icmp_text(#{type := 3, code := 3}) -> "port-unreachable";
icmp_text(#{type := 3, code := 4}) -> "frag-needed";
icmp_text(#{type := 5, code := C}) -> ["redirect code ", integer_to_list(C)];
icmp_text(#{type := 11, code := C}) -> ["time-exceeded code ", integer_to_list(C)];
icmp_text(#{type := T, code := C}) -> type_code(T, C).

icmpv6_text(#{type := 128} = M) -> ["echo-request" | echo_ids(M)];
icmpv6_text(#{type := 129} = M) -> ["echo-reply" | echo_ids(M)];
icmpv6_text(#{type := 135} = M) -> ["neighbor-solicitation" | target(M)];
icmpv6_text(#{type := 136} = M) -> ["neighbor-advertisement" | target(M)];
icmpv6_text(#{type := T, code := C}) ->
    case icmpv6_name(T) of
        undefined -> type_code(T, C);
        Name when C =:= 0 -> Name;
        Name -> [Name, " code ", integer_to_list(C)]
    end.

icmpv6_name(1) -> "unreachable";
icmpv6_name(2) -> "packet-too-big";
icmpv6_name(3) -> "time-exceeded";
icmpv6_name(4) -> "parameter-problem";
icmpv6_name(130) -> "mld-query";
icmpv6_name(131) -> "mld-report";
icmpv6_name(132) -> "mld-done";
icmpv6_name(133) -> "router-solicitation";
icmpv6_name(134) -> "router-advertisement";
icmpv6_name(137) -> "redirect";
icmpv6_name(143) -> "mldv2-report";
icmpv6_name(_) -> undefined.

type_code(T, C) ->
    ["type ", integer_to_list(T), " code ", integer_to_list(C)].

echo_ids(#{id := Id, seq := Seq}) -> [" id ", integer_to_list(Id), " seq ", integer_to_list(Seq)];
echo_ids(_) -> [].

target(#{target := T}) -> [" target ", addr(T)];
target(_) -> [].

other_text(#{other := {ip_proto, P}}) -> [" proto ", proto_name(P)];
other_text(#{other := {fragment, Off}}) -> [" fragment offset ", integer_to_list(Off)];
other_text(#{other := {ethertype, T}}) -> io_lib:format(" ethertype 0x~4.16.0b", [T]);
other_text(#{other := {llc, Len}}) -> [" 802.3 length ", integer_to_list(Len)];
other_text(#{other := {family, F}}) -> [" address family ", integer_to_list(F)];
other_text(#{other := {linux_proto, P}}) -> io_lib:format(" protocol 0x~4.16.0b", [P]);
other_text(#{other := {netlink, P}}) -> [" netlink protocol ", integer_to_list(P)];
other_text(#{other := unknown_dlt, dlt := DLT}) ->
    [" link type ", integer_to_list(DLT), " not decoded"];
other_text(_) -> [].

proto_name(2) -> "igmp";
proto_name(4) -> "ipip";
proto_name(41) -> "ipv6";
proto_name(47) -> "gre";
proto_name(50) -> "esp";
proto_name(51) -> "ah";
proto_name(89) -> "ospf";
proto_name(103) -> "pim";
proto_name(112) -> "vrrp";
proto_name(132) -> "sctp";
proto_name(P) -> integer_to_list(P).

notes(D) ->
    [case D of
         #{malformed := {Layer, Why}} -> io_lib:format(" [malformed ~s ~w]", [Layer, Why]);
         _ -> []
     end,
     case D of
         #{truncated := true} -> " [truncated]";
         _ -> []
     end].

endpoint(Ip, Port) when tuple_size(Ip) =:= 8 -> [$[, inet:ntoa(Ip), "]:", integer_to_list(Port)];
endpoint(Ip, Port) -> [inet:ntoa(Ip), $:, integer_to_list(Port)].

addr(Ip) when is_tuple(Ip) -> inet:ntoa(Ip);
addr(Bin) when is_binary(Bin) -> hex(Bin).

hex(<<>>) -> "-";
hex(Bin) -> lists:join($:, [io_lib:format("~2.16.0b", [B]) || <<B>> <= Bin]).

%%====================================================================
%% Tests
%%====================================================================

-ifdef(TEST).
-include_lib("eunit/include/eunit.hrl").

samples() ->
    epcap_samplegen:sample_packets().

decoded_samples() ->
    [{P, decode(?DLT_EN10MB, Data)} || {_, _, _, Data} = P <- samples()].

line(Packet) ->
    line(?DLT_EN10MB, Packet).

line(DLT, {Sec, Usec, Orig, Data}) ->
    unicode:characters_to_binary(format({Sec div 1000000, Sec rem 1000000, Usec}, Orig,
                                        decode(DLT, Data))).

all_samples_decode_test() ->
    [begin
         ?assertEqual(eth, hd(Layers)),
         ?assertNot(maps:is_key(malformed, D)),
         ?assertEqual(Orig > byte_size(Data), Trunc),
         ?assertMatch(<<"2023-11-14 22:13:2", _/binary>>, line(P))
     end || {{_, _, Orig, Data} = P, #{layers := Layers, truncated := Trunc} = D}
                <- decoded_samples()].

fields_test() ->
    Ds = [D || {_, D} <- decoded_samples()],
    [Syn] = [D || #{tcp := #{dport := 80, flags := [syn]}} = D <- Ds],
    ?assertMatch(#{layers := [eth, ipv4, tcp],
                   eth := #{src := <<2, 0, 0, 0, 0, 1>>, type := ?ETH_IPV4},
                   ipv4 := #{src := {192, 0, 2, 1}, dst := {198, 51, 100, 7}, proto := ?IP_TCP,
                             ihl := 5, df := true},
                   tcp := #{sport := 49152, header_length := 32, payload_len := 0}}, Syn),
    [Get] = [D || #{tcp := #{dport := 80, flags := [psh, ack]}} = D <- Ds],
    ?assertMatch(#{tcp := #{payload_len := 84}}, Get),
    ?assertEqual(3, length([D || #{udp := #{dport := 53}} = D <- Ds])),
    ?assertEqual(3, length([D || #{udp := #{sport := 53}} = D <- Ds])),
    [Arp | _] = [D || #{arp := _} = D <- Ds],
    ?assertMatch(#{layers := [eth, arp],
                   arp := #{op := 1, spa := {192, 0, 2, 1}, tpa := {192, 0, 2, 254}}}, Arp),
    ?assertMatch([#{layers := [eth, vlan, ipv4, udp], vlan := [100]},
                  #{layers := [eth, vlan, vlan, ipv4, udp], vlan := [200, 100],
                    udp := #{sport := 40002, dport := 9}}],
                 [D || #{vlan := _} = D <- Ds]),
    [Igmp] = [D || #{ipv4 := #{proto := 2}} = D <- Ds],
    ?assertMatch(#{ipv4 := #{ihl := 6, dst := {239, 1, 2, 3}}, other := {ip_proto, 2}}, Igmp),
    [Mld] = [D || #{hbh := _} = D <- Ds],
    ?assertMatch(#{layers := [eth, ipv6, hbh, icmpv6], icmpv6 := #{type := 143}}, Mld),
    [DstOpts] = [D || #{dstopts := _} = D <- Ds],
    ?assertMatch(#{layers := [eth, ipv6, dstopts, udp], udp := #{sport := 40004}}, DstOpts),
    [Ssl] = [D || #{ipv6 := _, tcp := #{dport := 443, flags := [syn]}} = D <- Ds],
    ?assertMatch(#{ipv6 := #{src := {16#2001, 16#db8, 0, 0, 0, 0, 0, 1}}}, Ssl),
    ?assertEqual(4, length([D || #{icmp := #{type := T}} = D <- Ds, T =:= 0 orelse T =:= 8])),
    [Short] = [D || #{truncated := true} = D <- Ds],
    ?assertMatch(#{udp := #{sport := 40005, payload_len := 400}}, Short),
    ?assertEqual(1, length([D || #{other := {ethertype, 16#88B5}} = D <- Ds])).

line_format_test() ->
    Lines = [line(P) || P <- samples()],
    Has = fun(Part) -> [L || L <- Lines, binary:match(L, Part) =/= nomatch] end,
    ?assertMatch([<<"2023-11-14 22:13:20.000000 len 60 eth arp who-has 192.0.2.254 "
                    "tell 192.0.2.1">>], Has(<<"who-has">>)),
    ?assertMatch([<<"2023-11-14 22:13:20.", _:6/binary,
                    " len 66 eth ipv4 tcp 192.0.2.1:49152 -> 198.51.100.7:80 [S]">>],
                 Has(<<":80 [S]">>)),
    ?assertMatch([_], Has(<<" len 60 eth arp reply 192.0.2.254 is-at 02:00:00:00:00:fe">>)),
    ?assertMatch([_], Has(<<" eth ipv6 icmpv6 2001:db8::1 -> 2001:db8::2 echo-request id 24929 "
                            "seq 1">>)),
    ?assertMatch([_], Has(<<" eth ipv6 tcp [2001:db8::1]:49154 -> [2001:db8::2]:443 [S]">>)),
    ?assertMatch([_], Has(<<" [P.] payload 84">>)),
    ?assertMatch([_], Has(<<" eth vlan 200 vlan 100 ipv4 udp 192.0.2.1:40002 -> 192.0.2.7:9 "
                            "payload 17">>)),
    ?assertMatch([_], Has(<<" len 442 eth ipv4 udp 192.0.2.1:40005 -> 192.0.2.7:9 payload 400 "
                            "[truncated]">>)),
    ?assertMatch([_], Has(<<"192.0.2.7 -> 192.0.2.1 port-unreachable">>)),
    ?assertMatch([_], Has(<<"192.0.2.1 -> 239.1.2.3 proto igmp">>)),
    ?assertMatch([_], Has(<<"ethertype 0x88b5">>)),
    ?assertMatch([_], Has(<<"neighbor-solicitation target 2001:db8::2">>)),
    ?assertEqual(<<"2023-11-14 22:13:20.000123 len 74 eth ipv4 tcp 192.0.2.1:49152 -> "
                   "198.51.100.7:80 [S]">>,
                 line({1700000000, 123, 74, element(4, lists:nth(11, samples()))})).

time_test() ->
    ?assertEqual("1970-01-01 00:00:00.000000", lists:flatten(format_time({0, 0, 0}))),
    ?assertEqual("2023-11-14 22:13:20.999999", lists:flatten(format_time({1700, 0, 999999}))).

%% The same packets as seen on other link types: rebuild the link header
%% around the network layer of every untagged IP or ARP sample.
relinked() ->
    [{DLT, Frame}
     || {_, _, _, <<_Dst:6/binary, Src:6/binary, Type:16, Net/binary>>} <- samples(),
        Type =:= ?ETH_IPV4 orelse Type =:= ?ETH_IPV6 orelse Type =:= ?ETH_ARP,
        {DLT, Frame} <- relink(Src, Type, Net)].

relink(Src, Type, Net) ->
    Af = case Type of
             ?ETH_IPV6 -> 30;
             _ -> 2
         end,
    Ip = [{D, Net} || Type =/= ?ETH_ARP,
                      D <- [?DLT_RAW, ?LINKTYPE_RAW,
                            case Type of ?ETH_IPV4 -> ?DLT_IPV4; _ -> ?DLT_IPV6 end]],
    [{?DLT_LINUX_SLL, <<0:16, 1:16, 6:16, Src/binary, 0:16, Type:16, Net/binary>>},
     {?DLT_LINUX_SLL2, <<Type:16, 0:16, 2:32, 1:16, 0, 6, Src/binary, 0:16, Net/binary>>}]
        ++ [{?DLT_NULL, <<Af:32/little, Net/binary>>} || Type =/= ?ETH_ARP]
        ++ [{?DLT_NULL, <<Af:32/big, Net/binary>>} || Type =/= ?ETH_ARP]
        ++ [{?DLT_LOOP, <<Af:32/big, Net/binary>>} || Type =/= ?ETH_ARP]
        ++ Ip.

relinked_test() ->
    Frames = relinked(),
    ?assert(length(Frames) > 200),
    [begin
         D = decode(DLT, F),
         ?assertNot(maps:is_key(malformed, D)),
         ?assertNot(maps:is_key(other, D) andalso element(1, maps:get(other, D)) =:= family),
         [Top | _] = [L || L <- maps:get(layers, D), L =/= raw],
         ?assert(lists:member(Top, [sll, sll2, null, loop, ipv4, ipv6]))
     end || {DLT, F} <- Frames],
    [Sll2] = [D || {?DLT_LINUX_SLL2, F} <- Frames,
                   #{tcp := #{dport := 443, flags := [syn]}} = D <- [decode(?DLT_LINUX_SLL2, F)]],
    ?assertMatch(#{layers := [sll2, ipv6, tcp], sll2 := #{ifindex := 2}}, Sll2).

%% Every prefix of every packet, on every link type: no crash, and the
%% line says [truncated] whenever the packet is cut inside a header.
prefixes_test() ->
    Frames = [{?DLT_EN10MB, D} || {_, _, _, D} <- samples()] ++ relinked(),
    N = lists:sum([check_prefixes(DLT, F) || {DLT, F} <- Frames]),
    ?assert(N > 10000).

check_prefixes(DLT, Frame) ->
    Full = decode(DLT, Frame),
    lists:foreach(
      fun(Len) ->
              D = decode(DLT, binary:part(Frame, 0, Len)),
              Line = iolist_to_binary(format({1700, 0, 0}, byte_size(Frame), D)),
              case maps:get(layers, D) =:= maps:get(layers, Full) andalso
                  not maps:get(truncated, D) of
                  true -> ok;
                  false -> ?assertNotEqual(nomatch, binary:match(Line, <<"[truncated]">>))
              end
      end, lists:seq(0, byte_size(Frame))),
    byte_size(Frame) + 1.

%% Random bytes and random corruptions of the samples, on every link
%% type (and an unknown one).
fuzz_test() ->
    DLTs = [?DLT_NULL, ?DLT_EN10MB, ?DLT_RAW, ?LINKTYPE_RAW, ?DLT_LOOP, ?DLT_LINUX_SLL,
            ?DLT_IPV4, ?DLT_IPV6, ?DLT_LINUX_SLL2, 147],
    Seed = rand:seed_s(exsss, {16#e, 16#ca, 16#9}),
    Frames = [D || {_, _, _, D} <- samples()] ++ [F || {_, F} <- relinked()],
    {Corrupt, S1} = lists:mapfoldl(fun(F, S) -> corrupt(F, 8, S) end, Seed, Frames ++ Frames),
    {Random, _} = lists:mapfoldl(fun(_, S) -> random_bytes(S) end, S1, lists:seq(1, 2000)),
    [begin
         D = decode(DLT, B),
         _ = iolist_to_binary(format({0, 0, 0}, byte_size(B), D))
     end || B <- Corrupt ++ Random, DLT <- DLTs].

corrupt(Frame, 0, S) ->
    {Frame, S};
corrupt(<<>>, _N, S) ->
    {<<>>, S};
corrupt(Frame, N, S0) ->
    {Pos, S1} = rand:uniform_s(byte_size(Frame), S0),
    {Byte, S2} = rand:uniform_s(256, S1),
    <<Pre:(Pos - 1)/binary, _, Post/binary>> = Frame,
    corrupt(<<Pre/binary, (Byte - 1), Post/binary>>, N - 1, S2).

random_bytes(S0) ->
    {Len, S1} = rand:uniform_s(120, S0),
    {Bytes, S2} = lists:mapfoldl(fun(_, S) -> rand:uniform_s(256, S) end, S1,
                                 lists:seq(1, Len - 1)),
    {<< <<(B - 1)>> || B <- Bytes >>, S2}.

ipv6_extension_test() ->
    Src = <<16#2001:16, 16#db8:16, 0:80, 1:16>>,
    Dst = <<16#2001:16, 16#db8:16, 0:80, 2:16>>,
    Udp = <<1234:16, 53:16, 8:16, 0:16>>,
    Ip6 = fun(Nh, Payload) -> <<6:4, 0:28, (byte_size(Payload)):16, Nh, 64, Src/binary,
                                 Dst/binary, Payload/binary>> end,
    %% Routing header (type 0, no addresses), then a first fragment.
    Chain = <<?IP6_FRAGMENT, 0, 0, 0, 0, 0, 0, 0,
              ?IP_UDP, 0, 0:13, 0:2, 1:1, 16#abcd:32, Udp/binary>>,
    D1 = decode(?DLT_RAW, Ip6(?IP6_ROUTING, Chain)),
    ?assertMatch(#{layers := [raw, ipv6, rthdr, frag, udp], frag := #{more := true},
                   udp := #{sport := 1234}, truncated := false}, D1),
    %% A later fragment carries no transport header.
    D2 = decode(?DLT_RAW, Ip6(?IP6_FRAGMENT, <<?IP_UDP, 0, 185:13, 0:2, 0:1, 1:32, 0:64>>)),
    ?assertMatch(#{layers := [raw, ipv6, frag], other := {fragment, 1480}}, D2),
    ?assertMatch(<<_:26/binary, " len 56 raw ipv6 frag 2001:db8::1 -> 2001:db8::2 "
                   "fragment offset 1480">>,
                 iolist_to_binary(format({0, 0, 0}, 56, D2))),
    %% Hop-by-hop header claiming more bytes than there are.
    D3 = decode(?DLT_RAW, Ip6(?IP6_HOPOPTS, <<?IP_UDP, 4, 0:48>>)),
    ?assertMatch(#{layers := [raw, ipv6], partial := hbh, truncated := true}, D3),
    ?assertEqual(#{}, maps:with([malformed], decode(?DLT_RAW, Ip6(?IP6_NONE, <<>>)))).

malformed_test() ->
    ?assertMatch(#{malformed := {ipv4, {ihl, 4}}}, decode(?DLT_RAW, <<16#44, 0:152>>)),
    ?assertMatch(#{malformed := {ip, {version, 5}}}, decode(?DLT_RAW, <<16#50>>)),
    ?assertMatch(#{malformed := {ipv4, {total_length, 10}}},
                 decode(?DLT_IPV4, <<16#45, 0, 10:16, 0:128>>)),
    Line = iolist_to_binary(format({0, 0, 0}, 1, decode(?DLT_IPV4, <<16#45, 0, 10:16, 0:128>>))),
    ?assertMatch({_, _}, binary:match(Line, <<"[malformed ipv4 {total_length,10}]">>)),
    ?assertMatch(#{layers := [], other := unknown_dlt}, decode(147, <<1, 2, 3>>)),
    ?assertMatch(#{layers := [null], other := {family, 7}}, decode(?DLT_NULL, <<7:32/little>>)),
    ?assertMatch(#{layers := [eth], other := {llc, 38}}, decode(?DLT_EN10MB, <<0:96, 38:16>>)),
    ?assertMatch(#{layers := [], partial := eth, truncated := true},
                 decode(?DLT_EN10MB, <<1, 2, 3>>)).

options_test() ->
    ?assertEqual({ok, {5, infinity}, [{file, "x"}, {filter, "tcp"}]},
                 split_options([{file, "x"}, {count, 5}, {filter, "tcp"}], {infinity, infinity},
                               [])),
    ?assertEqual({ok, {infinity, 100}, []},
                 split_options([{duration, 100}], {infinity, infinity}, [])),
    ?assertEqual({error, {count, 0}}, split_options([{count, 0}], {infinity, infinity}, [])),
    Base = #{source => {file, "env.pcap"}, filter => false},
    ?assertEqual({ok, [{file, "env.pcap"}]}, arg_settings([], Base, [])),
    ?assertEqual({ok, [{interface, "eth0"}, {filter, "tcp port 80"}, {count, 3}]},
                 arg_settings(["-i", "eth0", "-c", "3", "tcp", "port", "80"], Base, [])),
    ?assertEqual({ok, [{file, "env.pcap"}, {filter, "udp"}]},
                 arg_settings([], Base#{filter := "udp"}, [])),
    ?assertMatch({error, _}, arg_settings(["-c", "x"], Base, [])),
    ?assertMatch({error, _}, arg_settings(["-z"], Base, [])),
    ?assertMatch({error, _}, arg_settings([], Base#{source := none}, [])).

stats_test() ->
    Stats = lists:foldl(fun({_, _, Orig, Data}, S) ->
                                count_packet(Orig, Data, decode(?DLT_EN10MB, Data), S)
                        end, new_stats(), samples()),
    ?assertMatch(#{packets := 40, truncated := 1,
                   protocols := #{eth := 40, arp := 2, vlan := 3, ipv6 := 11}}, Stats),
    Text = lists:flatten(format_summary(Stats#{stopped => eof})),
    ?assertMatch({match, _}, re:run(Text, "40 packets, [0-9]+ bytes on the wire")).
-endif.
