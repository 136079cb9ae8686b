#!/bin/sh
# make bench: epcap against tcpdump on the same generated files, in the
# same run. The ratio is the figure; absolute numbers depend on the
# machine. Files go to $BENCH_DIR (default _build/bench).
set -eu
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-_build/bench}
COUNT=${BENCH_COUNT:-1000000}
mkdir -p "$DIR" _build/test
erlc -o _build/test test/epcap_bench.erl
PA="-pa ebin -pa _build/examples -pa _build/test"

now() { date +%s%N; }

gen() { # size
    f="$DIR/frames-$1-$COUNT.pcap"
    [ -f "$f" ] || erl -noshell $PA -eval \
        "ok = epcap_samplegen:write_synthetic(\"$f\", $COUNT, $1, #{}), halt()."
    echo "$f"
}

tcpdump_rate() { # file
    t0=$(now)
    tcpdump -r "$1" -w - 2>/dev/null | cat >/dev/null
    t1=$(now)
    echo $(( (t1 - t0) / 1000 ))
}

epcap_rate() { # file -> microseconds
    out=$(erl -noshell +sbwt none $PA -eval "epcap_bench:file([\"$1\"])")
    echo "$out" >&2
    n=$(echo "$out" | sed -n 's/.*packets=\([0-9]*\).*/\1/p')
    [ "$n" = "$COUNT" ] || { echo "bench: epcap delivered $n of $COUNT" >&2; exit 1; }
    echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' |
        awk '{printf "%d\n", $1 * 1000000}'
}

printf '%s\n' "machine: $(nproc) cores, $(uname -m), $(sed -n 's/model name[^:]*: //p' /proc/cpuinfo | head -1)"
printf '%-8s %14s %14s %12s %12s %7s\n' frame tcpdump_pps epcap_pps tcpdump_MBps epcap_MBps ratio
for size in 60 1514; do
    f=$(gen $size)
    cat "$f" >/dev/null  # warm the page cache for both
    td=$(tcpdump_rate "$f")
    ep=$(epcap_rate "$f")
    awk -v n="$COUNT" -v s="$size" -v td="$td" -v ep="$ep" 'BEGIN {
        tp = n / (td / 1e6); ep_ = n / (ep / 1e6);
        printf "%-8s %14.0f %14.0f %12.1f %12.1f %7.2f\n", s, tp, ep_,
               tp * s / 1e6, ep_ * s / 1e6, ep_ / tp }'
done
