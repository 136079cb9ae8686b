%% @doc The value of each epcap option, checked on its own: its type and
%% range, a number given as a string (classic), a bare atom as `true'.
%% Pure; what options mean together (a file and an interface, `dump_*'
%% without `dump') is {@link epcap_opts}'s business, and the classic's
%% leniencies are said as warnings by {@link epcap_classic}.
%%
%% A value the classic took leniently comes back marked (a buffer below
%% the minimum, `{timeout, -1}') so that the warnings can name it;
%% {@link final/1} turns it into the value the port gets.
-module(epcap_opt_value).

-include("epcap_proto.hrl").

-export([check/1, final/1, buffer_min/0]).

%% The smallest kernel buffer the port takes (options.c).
-define(BUFFER_MIN, 65536).

%% @doc The smallest kernel buffer the port takes.
-spec buffer_min() -> pos_integer().
buffer_min() -> ?BUFFER_MIN.

%% Options whose value is an integer, given as a string by classic callers.
-define(NUMERIC, [snaplen, timeout, buffer, cluster_id, start_timeout,
                  max_queue, max_queue_bytes, stats_interval, dump_size,
                  dump_seconds, dump_files, verbose]).

%% @doc One option, checked: `{Key, Value}' with the value in the form
%% the rest of epcap uses (charlists, integers); throws `{badarg, Opt}'.
%% Bare atoms are booleans set to true, as in proplists.
-spec check(epcap_opts:option()) -> {atom(), term()}.
check(Atom) when
    Atom =:= promiscuous; Atom =:= monitor; Atom =:= inject; Atom =:= verbose
->
    {Atom, true};
check({Key, Value} = Opt) when is_atom(Key) ->
    {Key, value(Key, number(Key, Value), Opt)};
check(Opt) ->
    throw({badarg, Opt}).

%% A number given as a string, as the classic took it ("64", <<"64">>).
number(Key, Value) when is_binary(Value) ->
    case lists:member(Key, ?NUMERIC) of
        true -> number(Key, binary_to_list(Value));
        false -> Value
    end;
number(Key, [C | _] = Value) when is_integer(C) ->
    case lists:member(Key, ?NUMERIC) andalso string:to_integer(Value) of
        {N, ""} -> N;
        _ -> Value
    end;
number(_, Value) ->
    Value.

%% @doc The value the port gets for one that was taken leniently.
-spec final({atom(), term()}) -> {atom(), term()}.
final({buffer, {raised, _}}) -> {buffer, ?BUFFER_MIN};
final({timeout, classic_infinity}) -> {timeout, adaptive};
final(O) -> O.

%% The value of one known option, or throw {badarg, Opt}.
value(interface, [First | _] = V, Opt) when is_list(First); is_binary(First) ->
    interfaces(V, Opt);
value(K, V, Opt) when
    K =:= interface; K =:= file; K =:= user; K =:= group; K =:= chroot;
    K =:= progname
->
    nonempty(string(V, Opt), Opt);
value(filter, V, Opt) ->
    string(V, Opt);
value(cpu_affinity, V, Opt) ->
    S = string(V, Opt),
    case cpu_list(S) of
        true -> S;
        false -> throw({badarg, Opt})
    end;
value(env, V, Opt) ->
    S = string(V, Opt),
    case string:split(S, "=") of
        [[_ | _], _] -> S;
        _ -> throw({badarg, Opt})
    end;
value(exec, V, Opt) ->
    string:lexemes(string(V, Opt), " \t");
value(snaplen, V, _) when is_integer(V), V >= 1, V =< ?EPCAP_SNAPLEN_MAX -> V;
value(buffer, V, _) when is_integer(V), V >= ?BUFFER_MIN, V =< 2147483647 -> V;
value(buffer, V, _) when is_integer(V), V >= 0, V < ?BUFFER_MIN -> {raised, V};
value(cluster_id, V, _) when is_integer(V), V >= 0, V =< 255 -> V;
value(fanout, V, Opt) -> fanout(V, Opt);
value(K, V, _) when
    (K =:= start_timeout orelse K =:= max_queue orelse
     K =:= max_queue_bytes orelse K =:= stats_interval),
    is_integer(V), V > 0
->
    V;
value(node, V, _) when is_atom(V) -> V;
value(datalink, V, _) when is_integer(V), V >= 0, V =< 16#ffff -> V;
value(datalink, V, Opt) -> nonempty(string(V, Opt), Opt);
value(tstamp_type, V, Opt) -> nonempty(string(V, Opt), Opt);
value(dump, V, Opt) -> nonempty(string(V, Opt), Opt);
value(capture_comment, V, Opt) -> nonempty(string(V, Opt), Opt);
value(dump_format, V, _) when V =:= pcap; V =:= pcapng -> V;
value(dump_size, V, _) when is_integer(V), V > 0, V =< 2147483647 * 1024 -> V;
value(dump_seconds, V, _) when is_integer(V), V > 0, V =< 2147483647 -> V;
value(dump_files, V, _) when is_integer(V), V > 0, V =< 100000 -> V;
value(dump_only, V, _) when is_boolean(V) -> V;
value(interface_info, V, _) when is_boolean(V) -> V;
value(active, V, _) when is_boolean(V); V =:= once -> V;
value(active, V, _) when is_integer(V), V > 0 -> V;
value(delivery, V, _) when V =:= packet; V =:= batch -> V;
value(timeout, -1, _) -> classic_infinity;
value(timeout, V, _) when is_integer(V), V >= 0, V =< 2147483647 -> V;
value(timeout, V, _) when V =:= adaptive; V =:= immediate; V =:= infinity -> V;
value(direction, V, _) when V =:= in; V =:= out; V =:= inout -> V;
value(time_unit, V, _) when
    V =:= timestamp; V =:= microsecond; V =:= nanosecond
->
    V;
value(verbose, V, _) when is_boolean(V) -> V;
value(verbose, V, _) when is_integer(V), V >= 0, V =< 5 -> V;
value(K, V, _) when is_boolean(V), (K =:= promiscuous orelse
    K =:= monitor orelse K =:= inject) ->
    V;
value(_, _, Opt) ->
    throw({badarg, Opt}).

%% Charlist or binary in, charlist out; no NUL, which argv cannot carry.
string(V, Opt) when is_binary(V) ->
    string(unicode:characters_to_list(V), Opt);
string(V, Opt) when is_list(V) ->
    case io_lib:printable_unicode_list(V) andalso not lists:member(0, V) of
        true -> V;
        false -> throw({badarg, Opt})
    end;
string(_, Opt) ->
    throw({badarg, Opt}).

%% The port's rule for a CPU list (options.c's parse_cpus): CPU numbers N
%% or ranges N-M with M >= N, digits only, each below CPU_SETSIZE,
%% separated by commas, a trailing comma let through. Both are tested
%% from test/cpu_list_vectors.txt.
-define(CPU_SETSIZE, 1024).

cpu_list([]) ->
    false;
cpu_list(S) ->
    Items = case lists:reverse(S) of
        [$, | Rest] -> lists:reverse(Rest);
        _ -> S
    end,
    lists:all(fun cpu_range/1, string:split(Items, ",", all)).

cpu_range(Item) ->
    case [cpu_number(N) || N <- string:split(Item, "-")] of
        [Lo] -> is_integer(Lo);
        [Lo, Hi] -> is_integer(Lo) andalso is_integer(Hi) andalso Hi >= Lo
    end.

cpu_number(D) ->
    Digits = D =/= [] andalso lists:all(fun(C) -> C >= $0 andalso C =< $9 end, D),
    case Digits andalso list_to_integer(D) of
        N when is_integer(N), N < ?CPU_SETSIZE -> N;
        _ -> false
    end.

-define(FANOUT_MODES, [hash, lb, cpu, rollover, random, qm]).

fanout(#{group := G, mode := M} = V, Opt) when
    is_integer(G), G >= 0, G =< 16#ffff, is_atom(M)
->
    Flags = maps:without([group, mode], V),
    lists:member(M, ?FANOUT_MODES) andalso
        lists:all(fun({K, B}) -> (K =:= rollover orelse K =:= defrag)
                                     andalso is_boolean(B) end,
                  maps:to_list(Flags))
        orelse throw({badarg, Opt}),
    V;
fanout(_, Opt) ->
    throw({badarg, Opt}).

%% Several live interfaces (dumpcap's repeated -i): each a name, none
%% twice, at most as many as the port takes; `any' (every interface
%% already) only alone.
interfaces(V, Opt) ->
    Names = names(V, Opt),
    length(lists:usort(Names)) =:= length(Names) andalso
        length(Names) =< ?EPCAP_LIVE_IFACES_MAX andalso
        (length(Names) =:= 1 orelse not lists:member("any", Names))
        orelse throw({badarg, Opt}),
    Names.

names([], _) -> [];
names([N | T], Opt) -> [nonempty(string(N, Opt), Opt) | names(T, Opt)];
names(_, Opt) -> throw({badarg, Opt}).

nonempty([], Opt) -> throw({badarg, Opt});
nonempty(S, _) -> S.
