#!/bin/sh
# tools/c_calls.sh FILE.o...: which object file calls which (from the
# symbols each defines and each needs), and any circle between them.
# Exits 1 on a circle. Used by make -C c_src calls (VERBOSE=1 lists the
# calls).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/defs"
: > "$tmp/uses"
for o in "$@"; do
  n=$(basename "$o" .o)
  nm "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed "s/\$/ $n/" >> "$tmp/defs"
  nm -u "$o" | awk '{print $2}' | sed "s/^/$n /" >> "$tmp/uses"
done
sort -k1,1 "$tmp/defs" > "$tmp/defs.s"
# uses: "file symbol" -> edges "file definer"
sort -k2,2 "$tmp/uses" | join -1 2 -2 1 - "$tmp/defs.s" | awk '$2 != $3 {print $2, $3}' | sort -u > "$tmp/edges"
[ "${VERBOSE:-}" = "" ] || cat "$tmp/edges"
if ! tsort "$tmp/edges" > /dev/null 2> "$tmp/err"; then
  echo "c_calls: circle between files:" >&2
  cat "$tmp/err" >&2
  exit 1
fi
echo "c_calls: $(wc -l < "$tmp/edges") calls between $# files, no circle"
