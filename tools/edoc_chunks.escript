#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% EEP-48 documentation for the epcap modules, from their edoc, so that
%% `code:get_doc(epcap)', the shell's `h(epcap, start_link)' and IEx's
%% `h :epcap.start_link' show it.
%%
%%   escript tools/edoc_chunks.escript [EbinDir ...]
%%
%% Run from the application's top directory (the Makefile's `all' and
%% rebar3's compile hook do). It writes doc/chunks/MODULE.chunk, where
%% code:get_doc/1 looks beside ebin, and also puts each chunk into the
%% module's beam in every EbinDir given (default: ebin) as its "Docs"
%% chunk, which code:get_doc/1 reads first: a release copies ebin but not
%% doc, so the beams carry their documentation with them.
%%
%% edoc is not needed to build the port or run the application: without
%% it (Debian's erlang-edoc), this says so and exits 0.
-mode(compile).

main(Args) ->
    Ebins = case Args of
        [] -> ["ebin"];
        _ -> Args
    end,
    case code:which(edoc) of
        non_existing ->
            io:format("epcap: no edoc (Debian: erlang-edoc): "
                      "API docs not built~n");
        _ ->
            %% Docs are a convenience: a failure here never fails a build.
            try chunks() of
                Chunks ->
                    [embed(Dir, Chunks) || Dir <- Ebins, filelib:is_dir(Dir)],
                    ok
            catch
                Class:Why ->
                    io:format("epcap: API docs not built: ~p:~p~n", [Class, Why])
            end
    end.

%% doc/chunks/*.chunk from src/*.erl.
chunks() ->
    Files = filelib:wildcard("src/*.erl"),
    ok = edoc:files(Files, [{doclet, edoc_doclet_chunks},
                            {layout, edoc_layout_chunks},
                            {dir, "doc"},
                            {preprocess, true},
                            {includes, ["include"]},
                            {report_missing_types, false}]),
    [filename:join("doc/chunks", filename:basename(F, ".erl") ++ ".chunk")
     || F <- Files].

%% The chunk of each module into its beam, replacing an older one.
embed(Ebin, Chunks) ->
    [embed_one(filename:join(Ebin, filename:basename(C, ".chunk") ++ ".beam"), C)
     || C <- Chunks, filelib:is_regular(C)].

embed_one(Beam, Chunk) ->
    case filelib:is_regular(Beam) of
        false ->
            ok;
        true ->
            {ok, Docs} = file:read_file(Chunk),
            {ok, _, All} = beam_lib:all_chunks(Beam),
            Rest = [C || {Id, _} = C <- All, Id =/= "Docs"],
            {ok, Bin} = beam_lib:build_module(Rest ++ [{"Docs", Docs}]),
            ok = file:write_file(Beam, Bin)
    end.
