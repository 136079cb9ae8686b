%% The man page's BACKGROUND CAPTURES, run as written: the port ends when
%% the process that started it dies, so `epcap -w F &' in a script that
%% then exits ends with the script (cleanly: what it captured is written
%% out), while a subshell that waits keeps it capturing after the script
%% is gone, and the subshell's end ends the capture cleanly too.
-module(epcap_background_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([script_exit_ends_capture/1, waiting_subshell_keeps_it/1]).

all() ->
    [script_exit_ends_capture, waiting_subshell_keeps_it].

init_per_suite(Config) ->
    case epcap_test_lib:require_root(Config) of
        {skip, _} = Skip -> Skip;
        C -> [{epcap, epcap_opts:default_progname()} | C]
    end.

end_per_suite(_Config) ->
    ok.

%%--------------------------------------------------------------------
%% Cases

%% `epcap -w F &', and the script goes on until the port is capturing
%% (the file has its header: the script outlives the port's start, so
%% the port watches it), then exits: the port ends with it, clean.
script_exit_ends_capture(Config) ->
    Out = out(Config, "bg.pcap"),
    Script = epcap(Config, Out) ++ " >/dev/null 2>" ++ q(Out ++ ".err") ++
        " & echo $!; " ++ until_header(Out),
    Pid = script_pid(Script),
    ok = epcap_test_lib:wait_gone(Pid, 5000),
    {ok, Err} = file:read_file(Out ++ ".err"),
    %% The SIGTERM end: statistics printed, as tcpdump prints them.
    ?assertNotEqual(nomatch, binary:match(Err, <<"packets captured">>)),
    ?assertEqual([], packets(Out)).

%% `( epcap -w F & wait ) &': the script exits, the port captures on;
%% a kill of the subshell ($!) ends it, nothing captured lost.
waiting_subshell_keeps_it(Config) ->
    Port = 40000 + rand:uniform(20000),
    Out = out(Config, "sub.pcap"),
    Script = "( " ++ epcap(Config, Out) ++ " udp dst port " ++
        integer_to_list(Port) ++ " >/dev/null 2>" ++ q(Out ++ ".err") ++
        " & wait ) >/dev/null 2>&1 & echo $!; " ++ until_header(Out),
    Sub = script_pid(Script),
    Epcap = epcap_test_lib:port_program(Sub),
    {ok, S} = gen_udp:open(0, [binary]),
    [ok = gen_udp:send(S, {127, 0, 0, 1}, Port, <<I:32, 0:(60 * 8)>>)
     || I <- lists:seq(1, 5)],
    ok = gen_udp:close(S),
    %% Five records of 16 + 106 bytes after the header.
    {ok, true} = epcap_test_lib:poll(
                   fun() -> filelib:file_size(Out) >= 24 + 5 * 122 end, 10000),
    ?assert(epcap_test_lib:os_alive(Epcap)),
    epcap_test_lib:kill("TERM", Sub),
    ok = epcap_test_lib:wait_gone(Epcap, 5000),
    ?assertEqual(lists:seq(1, 5),
                 [I || {_, _, _, <<_:42/binary, I:32, _/binary>>}
                           <- packets(Out)]).

%%--------------------------------------------------------------------
%% Helpers

epcap(Config, Out) ->
    ?config(epcap, Config) ++ " -i lo -w " ++ q(Out) ++ " </dev/null".

%% The script's last words: wait for the port's header (a condition, the
%% shell's own loop), then exit.
until_header(Out) ->
    "while [ \"$(stat -c %s " ++ q(Out) ++ " 2>/dev/null || echo 0)\" -lt 24 ];"
    " do sleep 0.05; done".

%% Runs the script to its end; the pid it printed.
script_pid(Script) ->
    Line = epcap_test_lib:sh_ok(Script, #{timeout => 20000}),
    list_to_integer(string:trim(Line)).

out(Config, Name) ->
    filename:join(?config(priv_dir, Config), Name).

q(S) -> "'" ++ S ++ "'".

packets(File) ->
    {ok, #{packets := Ps}} = epcap_samplegen:read(File),
    Ps.
