%% @doc One event per fact, at the right level: what the port says
%% besides packets, and the end of a capture for a reason of the port's.
%% A capture that ends so logs one error event (ended/3) and exits with
%% its reason, which links and monitors see; gen_server's and proc_lib's
%% reports of the same end, with the whole state, are dropped by a logger
%% filter. Every other crash is reported as usual.
-module(epcap_events).

-export([log_frame/2, ended/3, quiet_expected_exits/0, expected_exit/2]).

%% Set in the process dictionary of an epcap process that ends as
%% ended/3 says.
-define(EXPECTED_EXIT, '$epcap_expected_exit').

%% @doc What the port says besides packets becomes a logger event (it
%% writes nothing to the VM's stderr while it speaks frames): its -v
%% logging at notice, so `{verbose, true}' shows at the default level;
%% warnings as warnings.
-spec log_frame(atom() | {unknown, non_neg_integer()}, string()) -> ok.
log_frame(log, Msg) ->
    logger:notice("epcap: ~ts", [Msg]);
log_frame(Code, Msg) ->
    logger:warning("epcap: ~p: ~ts", [Code, Msg]).

%% @doc The capture on `Name' for `Owner' has ended with `Why': the one
%% event that says so; the process's own exit reports are dropped.
-spec ended(binary() | string(), pid(), term()) -> ok.
ended(Name, Owner, Why) ->
    logger:error("epcap: capture on ~ts for ~p ended: ~p", [Name, Owner, Why]),
    put(?EXPECTED_EXIT, Why),
    ok.

%% @doc Install the filter, once per VM (again is harmless).
-spec quiet_expected_exits() -> ok.
quiet_expected_exits() ->
    _ = logger:add_primary_filter(?MODULE, {fun ?MODULE:expected_exit/2, []}),
    ok.

%% @doc The logger filter. Filters run in the logging process: the one
%% that ends.
-spec expected_exit(logger:log_event(), term()) -> logger:filter_return().
expected_exit(#{msg := {report, #{label := Label}}} = Event, _) when
    Label =:= {gen_server, terminate}; Label =:= {proc_lib, crash}
->
    case get(?EXPECTED_EXIT) of
        undefined -> Event;
        _ -> stop
    end;
expected_exit(Event, _) ->
    Event.
