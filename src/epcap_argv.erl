%% @doc The port's command line for validated options (epcap_opts): one
%% flag per option, as `priv/epcap --help' names them, and the filter
%% last. Pure.
-module(epcap_argv).

-export([args/1]).

%% @doc The flags for a list of validated options, in their order, then
%% the filter.
-spec args([{atom(), term()}]) -> [string()].
args(Opts) ->
    lists:append([arg(O) || O <- Opts]) ++ filter_args(Opts).

arg({interface, [[_ | _] | _] = Vs}) -> lists:append([["-i", V] || V <- Vs]);
arg({interface, V}) -> ["-i", V];
arg({file, V}) -> ["-r", V];
arg({snaplen, V}) -> ["-s", integer_to_list(V)];
arg({promiscuous, true}) -> ["-P"];
arg({monitor, true}) -> ["-M"];
arg({timeout, V}) when is_atom(V) -> ["-t", atom_to_list(V)];
arg({timeout, V}) -> ["-t", integer_to_list(V)];
arg({buffer, V}) -> ["-B", integer_to_list(V)];
arg({direction, V}) -> ["-Q", atom_to_list(V)];
arg({time_unit, nanosecond}) -> ["--time-stamp-precision", "nano"];
arg({user, V}) -> ["-u", V];
arg({group, V}) -> ["-g", V];
arg({chroot, V}) -> ["-d", V];
arg({env, V}) -> ["-e", V];
arg({verbose, true}) -> ["-v"];
arg({verbose, N}) when is_integer(N) -> lists:duplicate(N, "-v");
arg({inject, true}) -> ["--inject"];
arg({cluster_id, V}) -> ["--cluster-id", integer_to_list(V)];
arg({fanout, #{group := G, mode := M} = V}) ->
    Flags = [atom_to_list(F) || F <- [rollover, defrag], maps:get(F, V, false)],
    ["--fanout", lists:flatten(
                   lists:join(":", [atom_to_list(M), integer_to_list(G)
                                    | [lists:join(",", Flags) || Flags =/= []]]))];
arg({cpu_affinity, V}) -> ["-a", V];
arg({datalink, V}) when is_integer(V) -> ["-y", integer_to_list(V)];
arg({datalink, V}) -> ["-y", V];
arg({tstamp_type, V}) -> ["-j", V];
arg({dump, V}) -> ["--dump", V];
arg({dump_format, pcapng}) -> ["--dump-pcapng"];
arg({dump_size, V}) -> ["--dump-size", integer_to_list((V + 1023) div 1024)];
arg({dump_seconds, V}) -> ["--dump-seconds", integer_to_list(V)];
arg({dump_files, V}) -> ["--dump-files", integer_to_list(V)];
arg({dump_only, true}) -> ["--dump-only"];
arg({interface_info, true}) -> ["--interfaces"];
arg({capture_comment, V}) -> ["--capture-comment", V];
arg(_) -> [].

%% The filter goes last, after "--", so an expression can never be read
%% as an option.
filter_args(Opts) ->
    case proplists:get_value(filter, Opts, "") of
        "" -> [];
        F -> ["--", F]
    end.
