#!/bin/sh
# make bench: epcap against tcpdump (or tcpreplay, for injection) and a
# plain C libpcap reader on the same traffic, in the same run, and against
# a baseline revision of epcap built here. The ratio is the figure;
# absolute numbers depend on the machine. Needs root for the live parts
# (lo, a veth pair between two network namespaces made and removed here).
#
#   BENCH_COUNT   packets per file run (default 1000000)
#   BENCH_DIR     where generated files go (default _build/bench)
#   BENCH_PARTS   which parts, of: file pcapng latency live inject cpu
#                 fanout fleet (default all)
#   BENCH_FAN_COUNT, BENCH_FAN_WORK  the fan-out part: frames (default
#                 60000) and the owner's work per packet (default 400
#                 rounds of crc32 over the frame, about 45 us here)
#   BENCH_ROUNDS  alternated rounds of the baseline comparisons (default 3)
#   BENCH_CPU_COUNT  frames per CPU measurement (default 1000000)
#   BASE          the baseline revision: a commit, tag or branch; "none"
#                 for no baseline; default: the merge-base with main on a
#                 branch, else the last tag, else HEAD~. It is built in a
#                 git worktree under _build/base/ (kept for the next run)
#                 and run alternately with this tree: file reading and CPU
#                 per live packet are reported as ratios to it.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
DIR=${BENCH_DIR:-_build/bench}
COUNT=${BENCH_COUNT:-1000000}
PARTS=${BENCH_PARTS:-file pcapng latency live inject cpu fanout fleet}
ROUNDS=${BENCH_ROUNDS:-3}
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
mkdir -p "$DIR" _build/test
erlc -I include -o _build/test test/epcap_bench.erl
# A VM for a tree: its ebin (so its priv/epcap), this tree's bench module.
vm_for() { # tree [extra erl flags]
    echo "erl -noshell +sbwt none +sbwtdcpu none +sbwtdio none ${2:-} -pa $1/ebin -pa $TOP/_build/examples -pa $TOP/_build/test"
}
ERL=$(vm_for "$TOP")
# The same VM with a 1 GB super carrier: memory for messages and port
# binaries is reused instead of mapped and faulted in again and again.
ERL_TUNED=$(vm_for "$TOP" "+MMscs 1024")

now() { date +%s%N; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

# The baseline: its own checkout and build, so nothing of this tree leaks in.
base_rev() {
    case ${BASE:-auto} in
    none) return 0 ;;
    auto)
        if [ "$(git rev-parse --abbrev-ref HEAD)" != main ] &&
           git rev-parse -q --verify main >/dev/null; then
            git merge-base main HEAD
        elif t=$(git describe --tags --abbrev=0 2>/dev/null); then
            git rev-parse "$t^{commit}"
        else
            git rev-parse HEAD~
        fi ;;
    *) git rev-parse --verify "$BASE^{commit}" ;;
    esac
}
BASE_REV=$(base_rev)
BASE_TREE=
if [ -n "$BASE_REV" ]; then
    BASE_TREE=$TOP/_build/base/$(echo "$BASE_REV" | cut -c1-12)
    if [ ! -x "$BASE_TREE/priv/epcap" ] || [ ! -f "$BASE_TREE/ebin/epcap.app" ]; then
        echo "building the baseline $BASE_REV in $BASE_TREE ..."
        # A worktree whose directory went with make clean is forgotten
        # first, or git refuses to add it again.
        git worktree prune
        [ -d "$BASE_TREE" ] || git worktree add -q --detach "$BASE_TREE" "$BASE_REV"
        (cd "$BASE_TREE" && make all >"$TOP/$DIR/base-build.log" 2>&1) || {
            echo "bench: the baseline did not build: $DIR/base-build.log" >&2; exit 1; }
    fi
fi

echo "machine: $(nproc) cores, $(uname -m), $(sed -n 's/model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -r)"
echo "libpcap: $(./priv/epcap --version | tail -1)"
echo "tree: $(git describe --always --dirty); baseline: ${BASE_REV:-none} $( [ -z "$BASE_REV" ] || git log -1 --format='(%s)' "$BASE_REV" | cut -c1-60)"
echo

# The median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }

# 1. Capture files into an Erlang process, against tcpdump -r -w - | cat,
#    and against the baseline: ROUNDS rounds, this tree and the baseline
#    alternated, medians; base_ratio = this tree's rate / the baseline's.
file_rate() { # erl-command file [bench function] -> microseconds
    out=$($1 -eval "epcap_bench:${3:-file}([\"$2\"])")
    n=$(echo "$out" | field packets)
    [ "$n" = "$COUNT" ] || { echo "bench: epcap delivered $n of $COUNT" >&2; exit 1; }
    echo "$out" | field seconds | awk '{printf "%d", $1 * 1000000}'
}
if want file; then
printf '%-12s %14s %14s %12s %12s %7s %10s\n' frame tcpdump_pps epcap_pps tcpdump_MBps epcap_MBps ratio base_ratio
for size in 60 1514; do
    f="$DIR/frames-$size-$COUNT.pcap"
    [ -f "$f" ] || $ERL -eval \
        "ok = epcap_samplegen:write_synthetic(\"$f\", $COUNT, $size, #{}), halt()."
    cat "$f" >/dev/null # warm the page cache for both
    t0=$(now); tcpdump -r "$f" -w - 2>/dev/null | cat >/dev/null; t1=$(now)
    td=$(( (t1 - t0) / 1000 ))
    for vm in default tuned batch; do
        : >"$DIR/file-times"
        for r in $(seq "$ROUNDS"); do
            for tree in work ${BASE_TREE:+base}; do
                case $tree in work) t=$TOP ;; base) t=$BASE_TREE ;; esac
                case $vm in
                default) ep=$(file_rate "$(vm_for "$t")" "$f") ;;
                tuned) ep=$(file_rate "$(vm_for "$t" "+MMscs 1024")" "$f") ;;
                batch) ep=$(file_rate "$(vm_for "$t")" "$f" file_batch) ;;
                esac
                echo "$tree $ep" >>"$DIR/file-times"
            done
        done
        ep=$(awk '$1 == "work" { print $2 }' "$DIR/file-times" | median)
        eb=$(awk '$1 == "base" { print $2 }' "$DIR/file-times" | median)
        awk -v n="$COUNT" -v s="$size" -v td="$td" -v ep="$ep" -v eb="$eb" -v vm="$vm" 'BEGIN {
            tp = n / (td / 1e6); e = n / (ep / 1e6);
            br = eb > 0 ? sprintf("%.2f", eb / ep) : "-";
            printf "%-12s %14.0f %14.0f %12.1f %12.1f %7.2f %10s\n", s " " vm, tp, e,
                   tp * s / 1e6, e * s / 1e6, e / tp, br }'
    done
done
echo "(default: erl +sbwt none, a message per packet; tuned: also +MMscs 1024;"
echo " batch: default VM, {delivery, batch}, the owner walks each batch with epcap:batch_fold/3;"
echo " epcap: the median of $ROUNDS runs; base_ratio: this tree's rate over the baseline's, alternated)"
echo
fi

if want pcapng; then
# 1b. pcapng against pcap: the same COUNT 60-byte packets in both formats
#     (editcap writes the pcapng), read by epcap's own pcapng reader and by
#     libpcap's pcap reader, on the shell path (-r F -w -, CPU time) and
#     on the Erlang path (packets per second), against tshark -r F -w -.
f="$DIR/frames-60-$COUNT.pcap"
ng="$DIR/frames-60-$COUNT.pcapng"
[ -f "$f" ] || $ERL -eval \
    "ok = epcap_samplegen:write_synthetic(\"$f\", $COUNT, 60, #{}), halt()."
[ -f "$ng" ] || editcap -F pcapng "$f" "$ng"
cat "$f" "$ng" >/dev/null
cpu_ms() { # command... -> median CPU milliseconds (user + sys) of ROUNDS runs
    for r in $(seq "$ROUNDS"); do
        /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1 |
            awk '{ printf "%d\n", ($2 + $3) * 1000 }'
    done | median
}
wall_ms() { # command... -> median wall milliseconds of ROUNDS runs
    for r in $(seq "$ROUNDS"); do
        t0=$(now); "$@" >/dev/null 2>&1; t1=$(now); echo $(( (t1 - t0) / 1000000 ))
    done | median
}
printf '%-28s %10s %10s\n' "shell path, 60 B x $COUNT" cpu_ms wall_ms
for what in "epcap pcap:./priv/epcap -r $f -w -" \
            "epcap pcapng:./priv/epcap -r $ng -w -" \
            "epcap pcapng to pcapng:./priv/epcap -r $ng -w - --pcapng" \
            "tshark pcapng:tshark -r $ng -w -"; do
    name=${what%%:*}; cmd=${what#*:}
    # shellcheck disable=SC2086
    printf '%-28s %10s %10s\n' "$name" "$(cpu_ms $cmd)" "$(wall_ms $cmd)"
done
# The Erlang path: pcap and pcapng alternated, ROUNDS rounds; the ratio
# is the median of the rounds' ratios (this machine's clock is noisy).
: >"$DIR/ng-rounds"
for r in $(seq "$ROUNDS"); do
    echo "$(file_rate "$ERL" "$f") $(file_rate "$ERL" "$ng")" >>"$DIR/ng-rounds"
done
ep=$(awk '{ print $1 }' "$DIR/ng-rounds" | median)
en=$(awk '{ print $2 }' "$DIR/ng-rounds" | median)
er=$(awk '{ printf "%.4f\n", $1 / $2 }' "$DIR/ng-rounds" | median)
awk -v n="$COUNT" -v p="$ep" -v g="$en" -v r="$er" -v k="$ROUNDS" 'BEGIN {
    printf "Erlang path (medians of %d alternated rounds): pcap %.0f pps, pcapng %.0f pps, pcapng rate / pcap rate %.2f\n",
           k, n / (p / 1e6), n / (g / 1e6), r }'
echo
fi

if [ "$(id -u)" != 0 ]; then
    echo "live benchmarks need root: skipped"
    exit 0
fi

if want latency; then
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
fi

# The live parts (3 to 7) share one veth pair between this namespace and
# one made here: frames are sent by trafgen (or injected) on one end and
# captured on the other.
want live || want inject || want cpu || want fanout || want fleet || exit 0
NS=epcap-bench-$$
R=epb$$r; N=epb$$n
# The receiving side queues at most netdev_max_backlog frames per CPU
# before a capture sees them; raise it for the run so the comparison is
# about the captures, and put it back afterwards.
BACKLOG=$(sysctl -n net.core.netdev_max_backlog)
cleanup() {
    sysctl -qw net.core.netdev_max_backlog="$BACKLOG"
    ip link del "$R" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true
}
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
sysctl -qw net.core.netdev_max_backlog=1000000

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
trafgen_cfg() { # file: 60-byte frames from the far end to this one
    printf '{ %s, %s, 0x88, 0xb5, fill(0x00, 46) }\n' \
        "$(echo "$RM" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g; s/:/, /g')" \
        "$(echo "$NM" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g; s/:/, /g')" > "$1"
}
trafgen_cfg "$DIR/trafgen.cfg"
gen() { echo "ip netns exec $NS trafgen -o $N -i $DIR/trafgen.cfg -n $1 -P 1 -q"; }

# 3. Live capture: 1 M frames sent by trafgen at the full speed of one
#    core through the veth pair, captured on the far end by tcpdump (same
#    buffer, its default block ring as epcap's default) and by epcap into
#    an Erlang process (tuned VM).
if want live; then
LCOUNT=${BENCH_LIVE:-1000000}
GEN=$(gen "$LCOUNT")
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
echo
fi

# 4. Injection through a veth into a namespace, counted there,
#    against tcpreplay --topspeed sending the same frames.
if want inject; then
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
echo
fi

# 5. CPU per million live packets: the same frames through the veth, the
#    CPU time (user and system, /proc/PID/task/*/schedstat) of each reader
#    from the first frame sent to the last one received: a plain C libpcap
#    reader (test/bench/cpu_reader.c, the block ring, counting), tcpdump
#    -w /dev/null, and epcap's port and VM (this tree's and the
#    baseline's) with a message per packet and with batch delivery.
#    The floor rows are this tree's Erlang side alone, from frames in
#    memory (epcap_bench:floor/1): the part no change to the port can cut.
#    ROUNDS rounds, every reader once per round; x_c is the ratio to the
#    C reader of the same round, x_base to the baseline of the same round.
#    A veth delivers in the sender's system call, so the kernel's work of
#    copying frames into the rings is the sender's, for every reader alike.
if want cpu; then
cc -O2 -Wall -Wextra -o _build/test/cpu_reader test/bench/cpu_reader.c -lpcap
CCOUNT=${BENCH_CPU_COUNT:-1000000}
GEN=$(gen "$CCOUNT")
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
cpu_c() { # prints: port_ns vm_ns packets
    _build/test/cpu_reader "$R" 'ether proto 0x88b5' "$CCOUNT" >"$DIR/cpu-c.out" &
    cp=$!
    until grep -q ready "$DIR/cpu-c.out" 2>/dev/null; do sleep 0.05; done
    $GEN >/dev/null 2>&1
    wait $cp
    out=$(tail -1 "$DIR/cpu-c.out")
    echo "$(echo " $out" | field cpu_ns) 0 $(echo " $out" | field packets)"
}
cpu_tcpdump() {
    tcpdump -i "$R" -B 32768 -w /dev/null 'ether proto 0x88b5' 2>"$DIR/cpu-td.err" &
    tp=$!
    until grep -q listening "$DIR/cpu-td.err" 2>/dev/null; do sleep 0.05; done
    c0=$(cpu_ns $tp)
    $GEN >/dev/null 2>&1
    sleep 1.5 # tcpdump's own timeout is 1 s: what it holds comes within it
    c1=$(cpu_ns $tp)
    kill -INT $tp; wait $tp 2>/dev/null || true
    echo "$((c1 - c0)) 0 $(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$DIR/cpu-td.err")"
}
cpu_floor() { # message|batch: the Erlang side alone (epcap_bench:floor/1)
    out=$($ERL -eval "epcap_bench:floor([\"$CCOUNT\", \"$1\"])" 2>/dev/null)
    echo "0 $(echo "$out" | field vm_ns) $(echo "$out" | field owner)"
}
cpu_epcap() { # tree opts
    out=$($(vm_for "$1") -eval "epcap_bench:cpu([\"$R\", \"$CCOUNT\", \"$GEN\", \"$2\"])" 2>/dev/null)
    echo "$(echo "$out" | field port_ns) $(echo "$out" | field vm_ns) $(echo "$out" | field owner)"
}
: >"$DIR/cpu.txt"
for r in $(seq "$ROUNDS"); do
    echo "c $(cpu_c)" >>"$DIR/cpu.txt"
    echo "tcpdump $(cpu_tcpdump)" >>"$DIR/cpu.txt"
    for tree in work ${BASE_TREE:+base}; do
        case $tree in work) t=$TOP ;; base) t=$BASE_TREE ;; esac
        echo "$tree:message $(cpu_epcap "$t" "[]")" >>"$DIR/cpu.txt"
        echo "$tree:batch $(cpu_epcap "$t" "[{delivery, batch}]")" >>"$DIR/cpu.txt"
        echo "$tree:message_1ms $(cpu_epcap "$t" "[{timeout, 1}]")" >>"$DIR/cpu.txt"
        echo "$tree:batch_1ms $(cpu_epcap "$t" "[{timeout, 1}, {delivery, batch}]")" >>"$DIR/cpu.txt"
    done
    echo "floor:message $(cpu_floor message)" >>"$DIR/cpu.txt"
    echo "floor:batch $(cpu_floor batch)" >>"$DIR/cpu.txt"
done
echo "CPU seconds per million live packets ($CCOUNT 60-byte frames through a veth, medians of $ROUNDS rounds)"
awk -v rounds="$ROUNDS" '
    function med(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
        return n ? a[int((n + 1) / 2)] : 0
    }
    { k = $1; seen[k] || order[++nk] = k; seen[k] = 1; r[k]++; i = r[k]
      port[k, i] = $2 / $4 / 1000; vm[k, i] = $3 / $4 / 1000; pk[k, i] = $4 }
    END {
        printf "%-22s %9s %9s %9s %7s %7s %7s %9s\n", "reader", "port_s", "vm_s", "whole_s", "x_c", "x_tcpd", "x_base", "packets"
        for (o = 1; o <= nk; o++) {
            k = order[o]; n = r[k]; split("", P); split("", V); split("", W); split("", X); split("", T); split("", B); split("", N)
            b = k; sub("^work:", "base:", b)
            for (i = 1; i <= n; i++) {
                P[i] = port[k, i]; V[i] = vm[k, i]; W[i] = P[i] + V[i]; N[i] = pk[k, i]
                X[i] = W[i] / port["c", i]; T[i] = W[i] / port["tcpdump", i]
                B[i] = (k ~ /^work:/ && r[b] >= i) ? W[i] / (port[b, i] + vm[b, i]) : 0
            }
            printf "%-22s %9.3f %9.3f %9.3f %7.2f %7.2f %7s %9d\n", k, med(P, n), med(V, n), med(W, n), med(X, n), med(T, n),
                   (k ~ /^work:/ && r[b]) ? sprintf("%.2f", med(B, n)) : "-", med(N, n)
        }
    }' "$DIR/cpu.txt"
echo "(port_s: the reader's own process; vm_s: the Erlang VM owning the capture (its owner counts"
echo " every packet); x_c, x_tcpd: whole over the C reader's, tcpdump's, of the same round; x_base: over the"
echo " baseline's; the C reader's own figure moves between 0.04 and 0.4 s from run to run on a shared machine;"
echo " message: the default, a message per packet; batch: {delivery, batch}; _1ms: {timeout, 1};"
echo " floor: this tree's Erlang side alone, the same packets already in frames in memory, no port,"
echo " pipe or kernel (epcap_bench:floor/1): what the VM spends per packet whatever the port does)"
echo
fi

# 6. Fan-out: an owner that does a fixed amount of work on each packet
#    (CPU work: rounds of crc32 over the frame) caps a capture at one core; a fan-out group of 2 (lb mode, an
#    owner per member) spreads the work. The frames are sent at full speed
#    and wait in the rings and the owners' queues; the rate is what the
#    owners get through, without loss (dropped must be 0). ROUNDS rounds,
#    single and group alternated; ratio: the group's rate over the
#    single capture's of the same round.
if want fanout; then
FCOUNT=${BENCH_FAN_COUNT:-60000}
FWORK=${BENCH_FAN_WORK:-400}
GEN=$(gen "$FCOUNT")
: >"$DIR/fanout.txt"
for r in $(seq "$ROUNDS"); do
    for m in 1 2; do
        out=$($ERL -eval "epcap_bench:fanout([\"$R\", \"$FCOUNT\", \"$GEN\", \"$m\", \"$FWORK\"])" 2>/dev/null)
        echo "$r $m $(echo "$out" | field pps) $(echo "$out" | field packets) $(echo "$out" | field dropped) $(echo "$out" | field work_ns)" >>"$DIR/fanout.txt"
    done
done
echo "fan-out: $FCOUNT frames, the owner doing $FWORK rounds of crc32 per packet"\
     "($(awk '{ print $6 }' "$DIR/fanout.txt" | median | awk '{ printf "%.1f", $1 / 1000 }') us here); medians of $ROUNDS rounds"
awk '
    function med(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
        return n ? a[int((n + 1) / 2)] : 0
    }
    { pps[$1, $2] = $3; pk[$2] += $4; dr[$2] += $5; rounds = $1 }
    END {
        printf "%-26s %10s %10s %10s %7s\n", "capture", "pps", "packets", "dropped", "ratio"
        for (m = 1; m <= 2; m++) {
            split("", P); split("", X)
            for (r = 1; r <= rounds; r++) { P[r] = pps[r, m]; X[r] = pps[r, 2] / pps[r, 1] }
            printf "%-26s %10d %10d %10d %7s\n", (m == 1 ? "one capture (default)" : "fan-out group of 2 (lb)"),
                   med(P, rounds), pk[m] / rounds, dr[m], (m == 1 ? "1.00" : sprintf("%.2f", med(X, rounds)))
        }
    }' "$DIR/fanout.txt"
echo "(pps: packets the owners handled per second, first to last; ratio: group over one capture, same round;"
echo " $(nproc) cores: the owners, the epcap processes, the ports and the sender share them)"
echo
fi

# 7. A fleet over distribution: two peer nodes on this machine each
#    capture the veth's end (so each sees every frame) and feed one
#    epcap_fleet collector here, which merges both into one pcapng file in
#    time order. The rate is the collector's: what it wrote per second.
if want fleet; then
epmd -daemon
FLCOUNT=${BENCH_FLEET_COUNT:-200000}
out=$($ERL -eval "epcap_bench:fleet([\"$R\", \"$FLCOUNT\", \"$(gen "$FLCOUNT")\", \"$DIR/fleet.pcapng\"])" 2>/dev/null)
printf '%-34s %10s %10s %8s %8s %10s\n' fleet sent written late dropped pps
printf '%-34s %10s %10s %8s %8s %10s\n' "2 nodes -> epcap_fleet -> pcapng" "$FLCOUNT x 2" \
    "$(echo "$out" | field written)" "$(echo "$out" | field late)" \
    "$(echo "$out" | field dropped)" "$(echo "$out" | field pps)"
echo "(late: written after newer packets, past the 100 ms hold; pps: packets written per second)"
echo
fi
