#!/bin/bash
# What one unprivileged user's ports pin in kernel memory (issue 17,
# doc/SECURITY.md "Kernel memory, per port, not per user"). As root:
#
#   sudo bash test/kmem_per_user.sh [PORTS] [PORT OPTIONS...]
#   sudo bash test/kmem_per_user.sh 10 -t 1
#   sudo NPROC=4 bash test/kmem_per_user.sh 10   # with ulimit -u 4
#
# Installs the port with make install-setcap into a PREFIX under /tmp for
# a user of its own (s17kmem), starts PORTS ports as that user on lo with
# -B 128 MiB from a memory cgroup limited to 256 MiB (a child of this
# shell's), waits until every one is sandboxed (its rings are made by
# then), and prints how far MemAvailable fell, what the cgroup was charged
# and the ports' RSS. Then it stops them and removes the user, the cgroup
# and the PREFIX. Not part of make test: it takes PORTS x 136 MiB.
set -eu
N=${1:-10}
shift || true
U=s17kmem
ROOT=$(cd "$(dirname "$0")/.." && pwd)
P=$(mktemp -d /tmp/epcap-kmem.XXXXXX)
chmod 755 "$P"
useradd --system --user-group --no-create-home --shell /usr/sbin/nologin $U
cleanup() {
  pkill -TERM -u $U -x epcap 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${CG:-}" ] && rmdir "$CG" 2>/dev/null || true
  userdel $U 2>/dev/null || true
  rm -rf "$P"
}
trap cleanup EXIT
make -C "$ROOT" --no-print-directory -s install install-setcap PREFIX="$P" \
  ERL_LIBDIR="$P/lib/erlang/lib" CAPTURE_GROUP=$U >/dev/null
BIN=$P/lib/epcap/epcap
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then        # cgroup v2
  CG=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/s17kmem
  mkdir "$CG"; echo $((256 << 20)) > "$CG/memory.max"; USAGE=memory.current
else                                                      # cgroup v1
  CG=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)/s17kmem
  mkdir "$CG"; echo $((256 << 20)) > "$CG/memory.limit_in_bytes"
  USAGE=memory.usage_in_bytes
fi
avail() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }
B0=$(avail)
(
  echo $BASHPID > "$CG/cgroup.procs"
  # The user's process limit, as limits.conf's nproc would set it.
  [ -n "${NPROC:-}" ] && ulimit -u "$NPROC"
  for _ in $(seq 1 "$N"); do
    setpriv --reuid=$U --regid=$U --init-groups "$BIN" -i lo -B 134217728 "$@" \
      -w /dev/null </dev/null >/dev/null 2>&1 &
  done
  wait
) 2>/dev/null &
ready=0
for _ in $(seq 1 50); do
  ready=0
  for p in $(pgrep -u $U -x epcap); do
    grep -q '^Seccomp:[[:space:]]*2' /proc/"$p"/status 2>/dev/null && ready=$((ready + 1))
  done
  [ "$ready" -ge "$N" ] && break
  sleep 0.1
done
B1=$(avail)
RSS=0
for p in $(pgrep -u $U -x epcap); do
  RSS=$((RSS + $(awk '/VmRSS/ {print $2}' /proc/"$p"/status)))
done
echo "$ready of $N ports sandboxed, -B 128 MiB $*${NPROC:+, ulimit -u $NPROC}"
echo "MemAvailable fell by $(( (B0 - B1) >> 10 )) MiB"
echo "their memory cgroup (limit 256 MiB) was charged $(( $(cat "$CG/$USAGE") >> 20 )) MiB"
echo "the ports' VmRSS add up to $((RSS >> 10)) MiB"
