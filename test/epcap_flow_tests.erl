%% EUnit tests of the pure flow control and hold state (epcap_flow),
%% from literal inputs: no port, no process.
-module(epcap_flow_tests).

-include_lib("eunit/include/eunit.hrl").

new(Active) -> epcap_flow:new(Active, packet, 100, 1000, 1000 * 64).

active_owner_gets_everything_at_once_test() ->
    F0 = new(true),
    {Out, Passive, F1} = epcap_flow:deliver([a, b, c], 3, F0),
    ?assertEqual({[a, b, c], false}, {Out, Passive}),
    ?assertEqual({0, 3}, {epcap_flow:held(F1), epcap_flow:sent(F1)}).

%% open/1: the messages may go straight out, and deliver/3 then takes
%% their count alone (epcap_port sent them as it decoded them).
open_only_for_an_active_owner_with_nothing_held_test() ->
    ?assert(epcap_flow:open(new(true))),
    ?assertNot(epcap_flow:open(new(once))),
    ?assertNot(epcap_flow:open(new(5))),
    ?assertNot(epcap_flow:open(new(false))),
    {[], false, Held} = epcap_flow:deliver([a], 1, new(false)),
    ?assertNot(epcap_flow:open(epcap_flow:set_active(true, Held))),
    F0 = epcap_flow:received(3, 300, new(true)),
    {[], false, F} = epcap_flow:deliver([], 3, F0),
    ?assertEqual({97, 3, 0}, {epcap_flow:credit(F), epcap_flow:sent(F),
                              epcap_flow:held(F)}).

passive_owner_holds_in_order_test() ->
    {[], false, F1} = epcap_flow:deliver([a, b], 2, new(false)),
    {[], false, F2} = epcap_flow:deliver([c], 1, F1),
    ?assertEqual({3, 3, 0}, {epcap_flow:held(F2), epcap_flow:held_packets(F2),
                             epcap_flow:sent(F2)}),
    %% once: one message, then passive again.
    {[a], true, F3} = epcap_flow:deliver(epcap_flow:set_active(once, F2)),
    ?assertEqual(false, epcap_flow:active(F3)),
    %% N = 5 with two held: both, and three left to take.
    {[b, c], false, F4} = epcap_flow:deliver(epcap_flow:set_active(5, F3)),
    ?assertEqual(3, epcap_flow:active(F4)),
    %% Three more: the N runs out and the owner becomes passive.
    {[d, e, f], true, F5} = epcap_flow:deliver([d, e, f, g], 4, F4),
    ?assertEqual({false, 1}, {epcap_flow:active(F5), epcap_flow:held(F5)}),
    ?assertEqual({[g], 0}, begin {O, F6} = epcap_flow:flush(F5),
                                 {O, epcap_flow:held(F6)} end).

held_messages_come_before_new_ones_test() ->
    {[], false, F1} = epcap_flow:deliver([a], 1, new(false)),
    {Out, false, _} = epcap_flow:deliver([b], 1, epcap_flow:set_active(true, F1)),
    ?assertEqual([a, b], Out).

batches_count_their_packets_test() ->
    F0 = epcap_flow:new(false, batch, 0, 1000, 64000),
    {[], false, F1} = epcap_flow:deliver([batch1], 40, F0),
    ?assertEqual({1, 40}, {epcap_flow:held(F1), epcap_flow:held_packets(F1)}),
    {[batch1], true, F2} = epcap_flow:deliver(epcap_flow:set_active(once, F1)),
    ?assertEqual(40, epcap_flow:sent(F2)).

received_uses_credit_test() ->
    F = epcap_flow:received(30, 30 * 84, new(true)),
    ?assertEqual(70, epcap_flow:credit(F)),
    ?assertEqual(0, epcap_flow:credit(epcap_flow:received(500, 500 * 84, F))).

%% The limit is max_queue packets, or max_queue_bytes over the average
%% packet: whichever is smaller.
grant_fills_to_the_watermark_test() ->
    F0 = epcap_flow:new(true, packet, 0, 1000, 1000 * 64),
    ?assertMatch({1000, _}, epcap_flow:grant(F0, 0)),
    %% 500 messages waiting in the owner's mailbox leave room for 500.
    ?assertMatch({500, _}, epcap_flow:grant(F0, 500)),
    %% Less than a quarter of room: nothing (a command is rare).
    ?assertMatch({0, _}, epcap_flow:grant(F0, 800)),
    %% Large packets lower the limit at once: 640 bytes each, 100 fit.
    F1 = epcap_flow:received(1, 640, F0),
    ?assertMatch({100, _}, epcap_flow:grant(F1, 0)),
    %% Credit granted counts against the room.
    {100, F2} = epcap_flow:grant(F1, 0),
    ?assertEqual(100, epcap_flow:credit(F2)),
    ?assertMatch({0, _}, epcap_flow:grant(F2, 0)).

%% What is held counts as queued, and a batch counts its packets in the
%% owner's mailbox.
grant_counts_held_and_batches_test() ->
    {[], false, F0} = epcap_flow:deliver(lists:seq(1, 600), 600, new(false)),
    F1 = epcap_flow:received(600, 600 * 64, F0),
    ?assertMatch({400, _}, epcap_flow:grant(F1, 0)),
    B0 = epcap_flow:new(true, batch, 0, 1000, 1000 * 64),
    B1 = epcap_flow:received(100, 100 * 64, B0),
    ?assertMatch({0, _}, epcap_flow:grant(B1, 8)),
    ?assertMatch({900, _}, epcap_flow:grant(B1, 1)).
