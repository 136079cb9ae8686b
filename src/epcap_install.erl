%% @doc What an install of the port means for a caller who cannot run it.
%%
%% `make install-setcap' and `make install-setuid' give the port to one
%% group (`root:epcap', mode 0750 or 4750): a user outside it cannot even
%% execute it, and the VM's spawn fails with `eacces', which says nothing
%% about the group, whatever was asked (a capture file too). When the
%% program's mode explains an `eacces' that way, {@link exec_failed/2}
%% logs one warning naming the group and what to do; the error itself
%% stays `{exec, Path, eacces}'.
%%
%% {@link explain/3} is the pure part, tested from literal records.
-module(epcap_install).

-include_lib("kernel/include/file.hrl").

-export([exec_failed/2, explain/3, group_name/2]).

%% @doc After `open_port' failed with `Posix' for `Path': a warning with
%% the reason and the fix when the file's group and mode explain it.
-spec exec_failed(string(), term()) -> ok.
exec_failed(Path, eacces) ->
    case file:read_file_info(Path, [raw]) of
        {ok, #file_info{gid = Gid} = Info} ->
            Groups = case file:read_file("/etc/group") of
                {ok, Bin} -> Bin;
                {error, _} -> <<>>
            end,
            case explain(Path, Info, group_name(Gid, Groups)) of
                none -> ok;
                Hint -> logger:warning("epcap: ~ts", [Hint])
            end;
        {error, _} ->
            ok
    end;
exec_failed(_Path, _Posix) ->
    ok.

%% @doc Why a caller who is not its owner may not execute a program with
%% this file_info, when its group is the reason: the file is executable
%% by its group and not by others (the group installs). `none' otherwise.
-spec explain(string(), #file_info{}, string()) -> string() | none.
explain(Path, #file_info{type = regular, mode = Mode}, Group)
  when Mode band 8#010 =/= 0, Mode band 8#001 =:= 0 ->
    lists:flatten(io_lib:format(
        "~ts (mode ~.8B, group ~ts) may be run only by the members of group "
        "~ts, as make install-setcap and install-setuid give it: an "
        "administrator adds this user with usermod -aG ~ts USER (effective "
        "at the next login), or installs it for every user with "
        "CAPTURE_WORLD=yes; reading capture files needs no privilege, so "
        "the application's own priv/epcap (no progname) reads them",
        [Path, Mode band 8#7777, Group, Group, Group]));
explain(_Path, _Info, _Group) ->
    none.

%% @doc The name of group `Gid' in an /etc/group file's contents, or the
%% number as text (a group from another NSS source).
-spec group_name(non_neg_integer(), binary()) -> string().
group_name(Gid, EtcGroup) ->
    Want = integer_to_binary(Gid),
    Names = [Name || Line <- binary:split(EtcGroup, <<"\n">>, [global]),
                     [Name, _, G | _] <- [binary:split(Line, <<":">>, [global])],
                     G =:= Want],
    case Names of
        [Name | _] -> binary_to_list(Name);
        [] -> integer_to_list(Gid)
    end.
