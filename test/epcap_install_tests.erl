%% EUnit tests of epcap_install: the hint for a group install, from
%% literal file_info records and /etc/group text.
-module(epcap_install_tests).

-include_lib("eunit/include/eunit.hrl").
-include_lib("kernel/include/file.hrl").

file(Mode) -> #file_info{type = regular, uid = 0, gid = 120, mode = 8#100000 bor Mode}.

group_install_is_explained_test() ->
    [begin
         Hint = epcap_install:explain("/usr/local/lib/epcap/epcap", file(M), "epcap"),
         ?assertNotEqual(none, Hint),
         [?assertNotEqual(nomatch, string:find(Hint, Part))
          || Part <- ["/usr/local/lib/epcap/epcap", "group epcap",
                      "usermod -aG epcap USER", "install-setcap",
                      "reading capture files needs no privilege"]]
     end || M <- [8#750, 8#4750, 8#710]].

other_modes_are_not_explained_test() ->
    [?assertEqual(none, epcap_install:explain("/x", file(M), "epcap"))
     || M <- [8#755, 8#700, 8#644, 8#751]],
    ?assertEqual(none, epcap_install:explain(
                         "/x", (file(8#750))#file_info{type = directory}, "g")).

group_name_test() ->
    Etc = <<"root:x:0:\nepcap:x:120:alice,bob\nstaff:x:50:\n">>,
    ?assertEqual("epcap", epcap_install:group_name(120, Etc)),
    ?assertEqual("root", epcap_install:group_name(0, Etc)),
    ?assertEqual("999", epcap_install:group_name(999, Etc)),
    ?assertEqual("7", epcap_install:group_name(7, <<>>)).
