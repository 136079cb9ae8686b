%% @doc The options of {@link epcap_file}, as pure functions: the file's,
%% an interface's and a packet's options checked and turned into maps
%% (text as UTF-8 binaries, so the encoder cannot fail on them), and the
%% defaults a new file takes from them.
%%
%% Every function throws `{error, Reason}' on a bad option, in the
%% vocabulary {@link epcap_file} documents; its API catches it.
-module(epcap_file_opts).

-export([file/1, interface/1, packet/1, layout/2, pcap_refuses/1,
         section/1]).

-define(DEFAULT_SNAPLEN, 262144).
%% Keys of epcap:info/1 that say nothing about the interface in a file.
-define(INFO_KEYS, [version, source, start, uid, gid, chroot, inject, os_pid]).

%%====================================================================
%% API
%%====================================================================

%% @doc The options given to {@link epcap_file:open/2}, checked.
-spec file([epcap_file:option()] | map()) -> map().
file(Options) ->
    options(Options, fun file_option/2).

%% @doc An interface's options, checked; the keys of {@link epcap:info/1}
%% that do not describe an interface are dropped.
-spec interface([epcap_file:interface_option()] | map()) -> map().
interface(Options) ->
    maps:without(?INFO_KEYS, options(Options, fun interface_option/2)).

%% @doc A packet's options, checked.
-spec packet([epcap_file:packet_option()] | map()) -> map().
packet(Options) ->
    options(Options, fun packet_option/2).

%% @doc What a new file at `Path' is, from its checked options and the
%% defaults: format (by the name's extension), byte order (the
%% machine's), resolution (by the time unit), snap length and link type.
-spec layout(file:filename_all(), map()) -> map().
layout(Path, Opts) ->
    Unit = maps:get(time_unit, Opts, microsecond),
    #{format => maps:get(format, Opts, format_of(Path)),
      endian => maps:get(endian, Opts, erlang:system_info(endian)),
      resolution => maps:get(resolution, Opts, default_resolution(Unit)),
      snaplen => maps:get(snaplen, Opts, ?DEFAULT_SNAPLEN),
      dlt => maps:get(dlt, Opts, undefined)}.

%% @doc Refuse the options a pcap file cannot hold (before the file is
%% touched).
-spec pcap_refuses(map()) -> true.
pcap_refuses(Opts) ->
    [throw({error, {pcapng_only, K}})
     || K <- [interfaces, comment, os, hardware, application], maps:is_key(K, Opts)],
    true.

%% @doc A pcapng section's options: those given, over this system's name
%% and epcap's own.
-spec section(map()) -> map().
section(Opts) ->
    maps:merge(#{os => os_name(), application => application()},
               maps:with([comment, os, hardware, application], Opts)).

%%====================================================================
%% Defaults
%%====================================================================

format_of(Path) ->
    case string:lowercase(filename:extension(Path)) of
        Ext when Ext =:= ".pcapng"; Ext =:= <<".pcapng">>;
                 Ext =:= ".ntar"; Ext =:= <<".ntar">> -> pcapng;
        _ -> pcap
    end.

default_resolution(nanosecond) -> nano;
default_resolution(microsecond) -> micro.

os_name() ->
    Name = case os:type() of
               {unix, linux} -> "Linux";
               {_, Os} -> atom_to_list(Os)
           end,
    case os:version() of
        {Ma, Mi, Re} -> lists:concat([Name, " ", Ma, ".", Mi, ".", Re]);
        V when is_list(V) -> Name ++ " " ++ V
    end.

application() ->
    _ = application:load(epcap),
    case application:get_key(epcap, vsn) of
        {ok, Vsn} -> "epcap " ++ Vsn;
        undefined -> "epcap"
    end.

%%====================================================================
%% Checks
%%====================================================================

options(Options, Check) when is_map(Options) ->
    options(maps:to_list(Options), Check);
options(Options, Check) when is_list(Options) ->
    maps:from_list([case Opt of
                        {K, V} -> Check(K, V);
                        _ -> throw({error, {badarg, Opt}})
                    end || Opt <- Options]);
options(Bad, _) ->
    throw({error, {badarg, Bad}}).

file_option(format, V) when V =:= pcap; V =:= pcapng -> {format, V};
file_option(mode, V) when V =:= write; V =:= append -> {mode, V};
file_option(time_unit, V) when V =:= microsecond; V =:= nanosecond -> {time_unit, V};
file_option(endian, V) when V =:= little; V =:= big -> {endian, V};
file_option(interfaces, V) when is_list(V) -> {interfaces, V};
file_option(K, V) when K =:= comment; K =:= os; K =:= hardware; K =:= application ->
    {K, text(K, V)};
file_option(K, V) when K =:= dlt; K =:= linktype; K =:= snaplen; K =:= resolution ->
    interface_option(K, V);
file_option(K, V) ->
    throw({error, {badarg, {K, V}}}).

interface_option(dlt, V) when is_integer(V), V >= 0, V =< 16#FFFF -> {dlt, V};
interface_option(datalink, V) -> interface_option(dlt, V);
interface_option(linktype, V) when is_integer(V), V >= 0, V =< 16#FFFF ->
    {dlt, epcap_pcap_enc:linktype_to_dlt(V)};
interface_option(snaplen, V) when is_integer(V), V >= 0, V < 1 bsl 32 -> {snaplen, V};
interface_option(resolution, V) when V =:= micro; V =:= nano -> {resolution, V};
interface_option(precision, 6) -> {resolution, micro};
interface_option(precision, 9) -> {resolution, nano};
interface_option(K, V) when K =:= name; K =:= description; K =:= filter;
                            K =:= os; K =:= hardware; K =:= comment ->
    {K, text(K, V)};
interface_option(K, V) ->
    case lists:member(K, ?INFO_KEYS) of
        true -> {K, V};
        false -> throw({error, {badarg, {K, V}}})
    end.

packet_option(interface, V) when is_integer(V), V >= 0 -> {interface, V};
packet_option(comment, V) -> {comment, text(comment, V)};
packet_option(flags, V) when is_integer(V), V >= 0, V < 1 bsl 32 -> {flags, V};
packet_option(queue, V) when is_integer(V), V >= 0, V < 1 bsl 32 -> {queue, V};
packet_option(K, V) when (K =:= dropcount orelse K =:= packet_id),
                         is_integer(V), V >= 0, V < 1 bsl 64 -> {K, V};
packet_option(time, V) -> {time, V};
packet_option(len, V) when is_integer(V), V >= 0 -> {len, V};
packet_option(dlt, V) when is_integer(V), V >= 0, V =< 16#FFFF -> {dlt, V};
packet_option(K, V) -> throw({error, {badarg, {K, V}}}).

%% Text options are stored as UTF-8 binaries (a list of them for several
%% comments), checked here so the encoder cannot fail on them.
text(comment, []) ->
    [];
text(comment, [C | _] = Cs) when not is_integer(C) ->
    [text(comment, T) || T <- Cs];
text(K, V) ->
    case unicode:characters_to_binary(V) of
        B when is_binary(B), byte_size(B) =< 16#FFFF -> B;
        _ -> throw({error, {badarg, {K, V}}})
    end.
