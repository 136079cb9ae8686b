#!/bin/sh
# make soak MINUTES=N (as root): epcap under seccomp on one end of a veth
# pair while trafgen floods the other end without pause, with stats every
# second, a filter change every three, a batch injected every second; the
# port's RSS and the VM's memory printed every 10 s, bounded, and checked.
set -eu
cd "$(dirname "$0")/.."
MINUTES=${1:-5}
[ "$(id -u)" = 0 ] || { echo "soak: needs root (network namespaces)" >&2; exit 1; }
mkdir -p _build/test
erlc -o _build/test test/epcap_soak.erl
NS=epcap-soak-$$; R=eps$$r; N=eps$$n
cleanup() { pkill -f "trafgen -o $N" 2>/dev/null || true; ip link del "$R" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS"
ip link add "$R" type veth peer name "$N" netns "$NS"
ip link set "$R" up
ip netns exec "$NS" ip link set "$N" up
RM=$(cat /sys/class/net/$R/address)
NM=$(ip netns exec "$NS" cat /sys/class/net/$N/address)
CFG=_build/test/soak-trafgen.cfg
printf '{ %s, %s, 0x88, 0xb5, fill(0x00, 46) }\n' \
    "$(echo "$RM" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g; s/:/, /g')" \
    "$(echo "$NM" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g; s/:/, /g')" > "$CFG"
GEN="ip netns exec $NS trafgen -o $N -i $CFG -n 0 -P 1 -q"
erl -noshell +sbwt none -pa ebin -pa _build/test -eval \
    "epcap_soak:run([\"$R\", \"$RM\", \"$NM\", \"$MINUTES\", \"$GEN >/dev/null 2>&1\"])"
