%% @doc The interfaces of one capture, by index, for
%% {@link epcap:interface_stats/1}: what each is called and what the
%% port's IFSTATS reply counted on it. Pure; shared by the epcap process
%% ({@link epcap_port}) and owner-driven captures ({@link epcap_direct}).
%%
%% Names follow the README's rule for strings: an interface the caller
%% named (`{interface, Name}' or `{interface, [Name, ...]}', index in
%% the order given) comes back as the caller gave it, a binary staying a
%% binary; one the port chose or found (the default device, a capture
%% file's interfaces) is the port's data, a binary: READY's name for
%% index 0 of a live capture, an INTERFACE frame's name where one came
%% (`{interface_info, true}'), else `<<>>'.
-module(epcap_ifaces).

-export([take/1, names/3, stats/2]).

-export_type([names/0, stats/0]).

-type names() :: #{non_neg_integer() => string() | binary()}.
%% One interface's counters, with its name (epcap_codec:ifstats/0).
-type stats() :: #{index := non_neg_integer(), name := string() | binary(),
                   counters := boolean(),
                   received := non_neg_integer(),
                   dropped := non_neg_integer(),
                   ifdropped := non_neg_integer(),
                   delivered := non_neg_integer()}.

%% @doc The interfaces described at the start (the INTERFACE frames
%% right after READY, which the start waited for), by index, and READY
%% without them.
-spec take(epcap_codec:ready()) ->
    {epcap_codec:ready(), #{non_neg_integer() => epcap_codec:interface()}}.
take(Ready) ->
    case maps:take(interfaces, Ready) of
        {Ifs, Rest} -> {Rest, maps:from_list([{I, If} || #{index := I} = If <- Ifs])};
        error -> {Ready, #{}}
    end.

%% @doc The name of each interface a capture knows: from the options as
%% given (`options', the caller's own list, in the configuration), READY
%% (`Ready') and the INTERFACE frames so far (`Described', by index).
-spec names(epcap_opts:config(), epcap_codec:ready(),
            #{non_neg_integer() => epcap_codec:interface()}) -> names().
names(Config, Ready, Described) ->
    FromPort = maps:map(fun(_, #{name := N}) -> N end, Described),
    maps:merge(maps:merge(ready(Ready), FromPort), given(Config)).

ready(#{source := live, name := Name}) -> #{0 => Name};
ready(_) -> #{}.

%% What the caller named, as given: the last `interface' option (the one
%% parsing kept) when the capture is live.
given(#{source := {interface, default}}) ->
    #{};
given(#{source := {interface, Parsed}} = Config) ->
    Given = epcap_launch:given(interface, Config, Parsed),
    case {Parsed, Given} of
        {[[_ | _] | _], [_ | _]} when length(Given) =:= length(Parsed) ->
            maps:from_list(lists:zip(lists:seq(0, length(Given) - 1), Given));
        {[[_ | _] | _], _} ->
            maps:from_list(lists:zip(lists:seq(0, length(Parsed) - 1), Parsed));
        _ ->
            #{0 => Given}
    end;
given(_) ->
    #{}.

%% @doc The IFSTATS reply's records, each with its interface's name
%% (`<<>>' for one no name is known of).
-spec stats(binary(), names()) -> [stats()].
stats(Body, Names) ->
    [S#{name => maps:get(I, Names, <<>>)}
     || #{index := I} = S <- epcap_codec:ifstats(Body)].
