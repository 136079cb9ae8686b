%% @doc What a new user meets first, checked against what the documents
%% say (issue 17): the port on a terminal, ...
%%
%% Needs `script' (util-linux) for a terminal; nothing else, no root.
-module(epcap_usage_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([terminal_is_refused/1]).

all() ->
    [terminal_is_refused].

init_per_suite(Config) ->
    Sample = filename:join(?config(priv_dir, Config), "sample.pcap"),
    ok = epcap_samplegen:write_synthetic(Sample, 3, 60, #{}),
    [{sample, Sample} | Config].

end_per_suite(_Config) ->
    ok.

root() ->
    case os:getenv("EPCAP_ROOT") of
        false -> filename:dirname(filename:dirname(epcap_opts:default_progname()));
        R -> R
    end.

%% Run Cmd with stdout (and stdin, stderr) on a pseudo-terminal:
%% {Status, what the terminal showed}.
on_terminal(Cmd) ->
    Script = os:find_executable("script"),
    Script =/= false orelse ct:fail({not_installed, "script (util-linux)"}),
    Port = open_port({spawn_executable, Script},
                     [{args, ["-qec", Cmd, "/dev/null"]}, exit_status, binary,
                      stderr_to_stdout]),
    collect(Port, []).

collect(Port, Acc) ->
    receive
        {Port, {data, D}} -> collect(Port, [D | Acc]);
        {Port, {exit_status, S}} -> {S, iolist_to_binary(lists:reverse(Acc))}
    after 20000 ->
        ct:fail({timeout, lists:reverse(Acc)})
    end.

%% Issue 17 item 11: `epcap -r F' (frames) and `epcap -r F -w -' (a pcap
%% stream) on a terminal write nothing binary: a usage error (64) that
%% says what to do. -w FILE and the listings still work there.
terminal_is_refused(Config) ->
    Port = filename:join([root(), "priv", "epcap"]),
    Sample = ?config(sample, Config),
    [begin
         {Status, Out} = on_terminal(Port ++ " -r " ++ Sample ++ Extra),
         ct:log("~s: ~b~n~s", [Extra, Status, Out]),
         ?assertEqual(64, Status),
         ?assertNotEqual(nomatch, binary:match(Out, <<"standard output is a "
                                                      "terminal">>)),
         ?assertEqual(nomatch, binary:match(Out, <<0>>)),
         ?assertEqual(nomatch, binary:match(Out, <<16#d4, 16#c3, 16#b2, 16#a1>>))
     end || Extra <- ["", " -w -", " --pcapng -w -"]],
    File = filename:join(?config(priv_dir, Config), "out.pcap"),
    ?assertMatch({0, _}, on_terminal(Port ++ " -r " ++ Sample ++ " -w " ++ File)),
    ?assertMatch({ok, <<16#d4, 16#c3, 16#b2, 16#a1, _/binary>>}, file:read_file(File)),
    ?assertMatch({0, _}, on_terminal(Port ++ " --version")).
