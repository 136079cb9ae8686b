%% The NIF-binding peer of make bench's latency table (epcap_nif_peer.c):
%% a libpcap thread that sends {packet, DLT, TimeNs, Len, Packet} to the
%% owner with enif_send, as a libpcap NIF binding does. Bench only.
-module(epcap_nif_peer).

-export([start/3, stop/1]).
-on_load(init/0).

init() ->
    Dir = case code:which(?MODULE) of
        Beam when is_list(Beam) -> filename:dirname(Beam);
        _ -> "."
    end,
    erlang:load_nif(filename:join(Dir, "epcap_nif_peer"), 0).

-spec start(string(), string(), pid()) -> {ok, reference()} | {error, string()}.
start(_Iface, _Filter, _Owner) ->
    erlang:nif_error(not_loaded).

-spec stop(reference()) -> ok.
stop(_Ref) ->
    erlang:nif_error(not_loaded).
