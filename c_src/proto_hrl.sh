#!/bin/sh
# Generates include/epcap_proto.hrl from c_src/epcap_proto.h, so the Erlang
# side never restates a number by hand. `make proto` runs it; `make test`
# checks that the committed file is what it prints.
set -eu
hdr=${1:-c_src/epcap_proto.h}
cat <<'HEAD'
%% Generated from c_src/epcap_proto.h by c_src/proto_hrl.sh: do not edit.
%% The protocol is described in doc/PROTOCOL.md.
HEAD
# Plain numeric #defines.
sed -n 's/^#define \(EPCAP_[A-Z_]*\) \([0-9][0-9]*\|([0-9 *+]*)\)$/-define(\1, \2)./p' "$hdr"
# String #defines.
sed -n 's/^#define \(EPCAP_[A-Z_]*\) \("[^"]*"\)$/-define(\1, \2)./p' "$hdr"
# Enumerators: NAME = N, inside the frame, command, source and start enums.
sed -n 's/^ *\(EPCAP_\(FRAME\|CMD\|SOURCE\|START\)_[A-Z_]*\) = \([0-9][0-9]*\),.*/-define(\1, \3)./p' "$hdr"
# X-macro tables -> lists of {Number, Atom}.
table() {
    printf -- '-define(%s, [\n' "$1"
    sed -n "/^#define $1(X)/,/^\$/p" "$hdr" |
        sed -n 's/.*X(\([0-9]*\), *[A-Z_]*, *"\([a-z_]*\)").*/    {\1, \2},/p' |
        sed '$ s/,$//'
    printf ']).\n'
}
table EPCAP_ERRORS
table EPCAP_EXITS
# The same tables as one macro a code: EPCAP_E_NAME, EPCAP_EXIT_NAME.
codes() {
    sed -n "/^#define $1(X)/,/^\$/p" "$hdr" |
        sed -n "s/.*X(\([0-9]*\), *\([A-Z_]*\), *\"[a-z_]*\").*/-define($2\2, \1)./p"
}
codes EPCAP_ERRORS EPCAP_E_
codes EPCAP_EXITS EPCAP_EXIT_
# X(NAME, "atom") tables -> lists of atoms.
names() {
    printf -- '-define(%s, [\n' "$1"
    sed -n "/^#define $1(X)/,/^\$/p" "$hdr" |
        sed -n 's/.*X([A-Z_]*, *"\([a-z_]*\)").*/    \1,/p' |
        sed '$ s/,$//'
    printf ']).\n'
}
names EPCAP_IF_FLAGS
