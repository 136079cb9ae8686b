#!/bin/sh
# make bench: epcap against tcpdump (or tcpreplay, for injection) on the
# same traffic, in the same run. The ratio is the figure; absolute numbers
# depend on the machine. Needs root for the live parts (lo, a veth pair
# between two network namespaces made and removed here).
#
#   BENCH_COUNT  packets per file run (default 1000000)
#   BENCH_DIR    where generated files go (default _build/bench)
set -eu
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-_build/bench}
COUNT=${BENCH_COUNT:-1000000}
mkdir -p "$DIR" _build/test
erlc -o _build/test test/epcap_bench.erl
PA="-pa ebin -pa _build/examples -pa _build/test"
ERL="erl -noshell +sbwt none $PA"
# The same VM with a 1 GB super carrier: memory for messages and port
# binaries is reused instead of mapped and faulted in again and again.
ERL_TUNED="erl -noshell +sbwt none +MMscs 1024 $PA"

now() { date +%s%N; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

echo "machine: $(nproc) cores, $(uname -m), $(sed -n 's/model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -r)"
echo "libpcap: $(./priv/epcap --version | tail -1)"
echo

# 1. Capture files into an Erlang process, against tcpdump -r -w - | cat.
printf '%-12s %14s %14s %12s %12s %7s\n' frame tcpdump_pps epcap_pps tcpdump_MBps epcap_MBps ratio
file_rate() { # erl-command file [bench function] -> microseconds
    out=$($1 -eval "epcap_bench:${3:-file}([\"$2\"])")
    n=$(echo "$out" | field packets)
    [ "$n" = "$COUNT" ] || { echo "bench: epcap delivered $n of $COUNT" >&2; exit 1; }
    echo "$out" | field seconds | awk '{printf "%d", $1 * 1000000}'
}
for size in 60 1514; do
    f="$DIR/frames-$size-$COUNT.pcap"
    [ -f "$f" ] || $ERL -eval \
        "ok = epcap_samplegen:write_synthetic(\"$f\", $COUNT, $size, #{}), halt()."
    cat "$f" >/dev/null # warm the page cache for both
    t0=$(now); tcpdump -r "$f" -w - 2>/dev/null | cat >/dev/null; t1=$(now)
    td=$(( (t1 - t0) / 1000 ))
    for vm in default tuned batch; do
        case $vm in
        default) ep=$(file_rate "$ERL" "$f") ;;
        tuned) ep=$(file_rate "$ERL_TUNED" "$f") ;;
        batch) ep=$(file_rate "$ERL" "$f" file_batch) ;;
        esac
        awk -v n="$COUNT" -v s="$size" -v td="$td" -v ep="$ep" -v vm="$vm" 'BEGIN {
            tp = n / (td / 1e6); e = n / (ep / 1e6);
            printf "%-12s %14.0f %14.0f %12.1f %12.1f %7.2f\n", s " " vm, tp, e,
                   tp * s / 1e6, e * s / 1e6, e / tp }'
    done
done
echo "(default: erl +sbwt none, a message per packet; tuned: also +MMscs 1024;"
echo " batch: default VM, {delivery, batch}, the owner walks each batch with epcap:batch_fold/3)"
echo

if [ "$(id -u)" != 0 ]; then
    echo "live benchmarks need root: skipped"
    exit 0
fi

# 2. Latency on lo at light load (a datagram a millisecond), each reader
#    in turn, alternated over rounds, against a plain C libpcap reader
#    (the floor) and a NIF thread sending to the owner (the peer); both
#    are built here from test/bench/, for the benchmark only.
ERTS_INC=$(erl -noshell -eval 'io:format("~s/erts-~s/include", [code:root_dir(), erlang:system_info(version)]), halt().')
cc -O2 -Wall -Wextra -o _build/test/lat_reader test/bench/lat_reader.c -lpcap
cc -O2 -Wall -Wextra -fPIC -shared -I"$ERTS_INC" -o _build/test/epcap_nif_peer.so \
    test/bench/epcap_nif_peer.c -lpcap
erlc -o _build/test test/bench/epcap_nif_peer.erl
LAT_COUNT=${BENCH_LAT_COUNT:-1000}
LAT_ROUNDS=${BENCH_LAT_ROUNDS:-5}
echo "latency: kernel time stamp to the reader, $LAT_COUNT datagrams on lo, one a millisecond;"
echo "medians of $LAT_ROUNDS alternated rounds; x_c: ratio to the C reader of the same round"
$ERL -eval "epcap_bench:latency([\"$LAT_COUNT\", \"$LAT_ROUNDS\", \"_build/test/lat_reader\",
    \"c\", \"nif\", \"pipe\", \"port\", \"direct\", \"immediate\", \"direct_default\", \"default\",
    \"timeout_1ms=[{timeout, 1}]\"])" \
    | grep -v '^latency '
echo "(c: test/bench/lat_reader.c, libpcap immediate mode blocked in poll; nif: test/bench/epcap_nif_peer.c,"
echo " a libpcap thread sending each packet with enif_send, as a NIF binding does; pipe: priv/epcap -w -"
echo " into the C reader; port: the owner owns the epcap port itself; direct: epcap:open/1 + recv/2,"
echo " {timeout, immediate}; immediate: epcap:start_link/1, {timeout, immediate}; direct_default and"
echo " default: the same with no option (adaptive); timeout_1ms: {timeout, 1}, libpcap's block ring alone)"
echo

# 3. Live capture: 1 M frames sent by trafgen at the full speed of one
#    core through a veth pair, captured on the far end by tcpdump (same
#    buffer, its default block ring as epcap's default) and by epcap into
#    an Erlang process (tuned VM).
NS=epcap-bench-$$
R=epb$$r; N=epb$$n
cleanup() { ip link del "$R" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS"
ip link add "$R" type veth peer name "$N" netns "$NS"
# No IPv6: nothing but the benchmark's frames crosses the pair.
sysctl -qw "net.ipv6.conf.$R.disable_ipv6=1"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$N.disable_ipv6=1"
ip link set "$R" up
ip netns exec "$NS" ip link set "$N" up
RM=$(cat /sys/class/net/$R/address)
NM=$(ip netns exec "$NS" cat /sys/class/net/$N/address)
ICOUNT=${BENCH_INJECT:-1000000}

# What arrives is counted by the far side's interface (frames its stack
# took in), not by a capture there: a veth runs the receiving side in the
# sender's system call, so a capture on the far side would be charged to
# the sender being measured (40% of its CPU, measured).
rx_far() { ip netns exec "$NS" cat "/sys/class/net/$N/statistics/rx_packets"; }
count_in_ns() { # command... ; prints frames that arrived in the namespace
    before=$(rx_far)
    "$@" >"$DIR/sender.out" 2>&1
    sleep 1
    echo $(( $(rx_far) - before ))
}

LCOUNT=${BENCH_LIVE:-1000000}
printf '{ %s, %s, 0x88, 0xb5, fill(0x00, 46) }\n' \
    "$(echo "$RM" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g; s/:/, /g')" \
    "$(echo "$NM" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g; s/:/, /g')" > "$DIR/trafgen.cfg"
GEN="ip netns exec $NS trafgen -o $N -i $DIR/trafgen.cfg -n $LCOUNT -P 1 -q"
# The receiving side queues at most netdev_max_backlog frames per CPU
# before a capture sees them; raise it for the run so the comparison is
# about the captures, and put it back afterwards.
BACKLOG=$(sysctl -n net.core.netdev_max_backlog)
sysctl -qw net.core.netdev_max_backlog=1000000
tcpdump -i "$R" -B 32768 -w /dev/null 'ether proto 0x88b5' 2>"$DIR/td-live.err" &
tp=$!
sleep 1
$GEN >/dev/null 2>&1
sleep 1
kill -INT $tp; wait $tp 2>/dev/null || true
tdc=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$DIR/td-live.err")
tdd=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$DIR/td-live.err")
printf '%-26s %10s %10s %10s\n' capture sent captured dropped
printf '%-26s %10s %10s %10s\n' "tcpdump -B 32768" "$LCOUNT" "$tdc" "$tdd"
# The default (adaptive), and the two libpcap modes it switches between.
for opts in "[]" "[{timeout, 1}]" "[{timeout, immediate}]"; do
    out=$($ERL_TUNED -eval "epcap_bench:live([\"$R\", \"$LCOUNT\", \"$GEN\", \"$opts\"])" 2>/dev/null)
    case $opts in
    "[]") name="epcap -> Erlang, default" ;;
    *1*) name="epcap, {timeout, 1}" ;;
    *) name="epcap, {timeout, immediate}" ;;
    esac
    printf '%-26s %10s %10s %10s   (kernel received %s, owner got %s)\n' "$name" "$LCOUNT" \
        "$(echo "$out" | field delivered)" "$(echo "$out" | field dropped)" \
        "$(echo "$out" | field received)" "$(echo "$out" | field owner)"
done
sysctl -qw net.core.netdev_max_backlog="$BACKLOG"
echo

# 4. Injection through a veth into a namespace, counted there,
#    against tcpreplay --topspeed sending the same frames.
printf '%-22s %10s %10s %12s\n' sender sent arrived pps
rf="$DIR/inject-$ICOUNT.pcap"
[ -f "$rf" ] || $ERL -eval "
    Mac = fun(S) -> list_to_binary([list_to_integer(H, 16) || H <- string:lexemes(S, \":\")]) end,
    F = fun(I) -> H = <<(Mac(\"$NM\"))/binary, (Mac(\"$RM\"))/binary, 16#88b5:16, I:32>>, {0, 0, 60, <<H/binary, 0:(40*8)>>} end,
    ok = epcap_samplegen:write(\"$rf\", [F(I) || I <- lists:seq(1, $ICOUNT)], #{}), halt()."
got=$(count_in_ns tcpreplay --topspeed -i "$R" "$rf")
rate=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' "$DIR/sender.out")
printf '%-22s %10s %10s %12.0f\n' "tcpreplay --topspeed" "$ICOUNT" "$got" "${rate:-0}"
got=$(count_in_ns $ERL -eval "epcap_bench:inject([\"$R\", \"$RM\", \"$NM\", \"$ICOUNT\", \"60\", \"1000\"])")
out=$(cat "$DIR/sender.out")
sent=$(echo "$out" | field packets); secs=$(echo "$out" | field seconds)
printf '%-22s %10s %10s %12.0f\n' "epcap send_batch/1000" "$sent" "$got" \
    "$(echo "$sent $secs" | awk '{print $1 / $2}')"
