%% OTP fit: epcap:child_spec/1 under a supervisor, and an application
%% that starts nothing by itself. Needs no privilege (capture files).
-module(epcap_otp_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([child_spec_under_supervisor/1, supervisor_shutdown_stops_port/1,
         application_starts_nothing/1]).
%% The suite is its own supervisor callback module.
-export([init/1]).

all() ->
    [child_spec_under_supervisor, supervisor_shutdown_stops_port,
     application_starts_nothing].

init_per_suite(Config) ->
    Sample = filename:join(?config(priv_dir, Config), "sample.pcap"),
    ok = epcap_samplegen:write(Sample, epcap_samplegen:sample_packets(), #{}),
    Many = filename:join(?config(priv_dir, Config), "many.pcap"),
    ok = epcap_samplegen:write_synthetic(Many, 300000, 60, #{}),
    [{sample, Sample}, {many, Many} | Config].

end_per_suite(_Config) ->
    ok.

init(Specs) ->
    {ok, {#{strategy => one_for_one, intensity => 1, period => 5}, Specs}}.

%% A file capture as a transient child: the owner gets every packet and
%% eof, and the child, ending normally, is not restarted.
child_spec_under_supervisor(Config) ->
    Spec = epcap:child_spec([{owner, self()}, {id, sample},
                             {file, ?config(sample, Config)}]),
    ?assertMatch(#{id := sample, restart := transient, type := worker}, Spec),
    {ok, Sup} = supervisor:start_link(?MODULE, [Spec]),
    N = length(epcap_test_packets:file_packets()),
    ?assertEqual(length(epcap_samplegen:sample_packets()), N),
    %% The child has ended and stays so: a restart would have put a new
    %% pid in its place before which_children could see none.
    epcap_test_lib:wait_until(child_ended, fun() ->
        case supervisor:which_children(Sup) of
            [{sample, undefined, worker, _}] -> true;
            _ -> false
        end
    end, 5000),
    unlink(Sup),
    exit(Sup, shutdown).

%% Shutting the supervisor down stops the port process too.
supervisor_shutdown_stops_port(Config) ->
    Spec = epcap:child_spec([{owner, self()}, {file, ?config(many, Config)},
                             {active, false}]),
    {ok, Sup} = supervisor:start_link(?MODULE, [Spec]),
    [{epcap, Pid, worker, _}] = supervisor:which_children(Sup),
    {ok, #{os_pid := OsPid}} = epcap:info(Pid),
    unlink(Sup),
    Ref = monitor(process, Sup),
    exit(Sup, shutdown),
    receive {'DOWN', Ref, process, Sup, _} -> ok after 5000 -> ct:fail(sup_alive) end,
    ?assertNot(is_process_alive(Pid)),
    ?assertEqual(ok, epcap_test_lib:wait_gone(OsPid, 1000)).

application_starts_nothing(_Config) ->
    Before = erlang:processes(),
    {ok, _} = application:ensure_all_started(epcap),
    ?assertEqual([], registered_by(epcap)),
    New = erlang:processes() -- Before,
    %% Only the application master's pair, nothing of ours.
    ?assert(length(New) =< 2, New),
    ok = application:stop(epcap).

registered_by(App) ->
    [N || N <- registered(), atom_to_list(N) =:= atom_to_list(App)].
