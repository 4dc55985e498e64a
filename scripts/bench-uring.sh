#!/usr/bin/env bash
# The kernel transport's cost per request, FUSE over io_uring against /dev/fuse read/write, in
# measures that do not depend on the machine's load: the daemon's CPU time (user + system of all
# its threads, /proc/<pid>/stat, in clock ticks) and its system calls (strace -c -f), for
#   create: N files of 4 KiB in a new mutable ref, then sync;
#   rm:     rm -rf of those files;
#   untar:  tar -x of a generated tree (D directories of 40 files of 1-4 KiB), then sync.
# One daemon per mode (REFCACHE_FUSE_URING=0, then 1) on a fresh root; each workload runs RUNS
# times untraced after a warm-up pass (CPU time, the median is printed) and once under strace
# (system calls). Needs root
# and fuse.enable_uring=1 for the ring (scripts/install-deps.sh turns it on).
#
#   scripts/bench-uring.sh [--files N] [--dirs D] [--runs RUNS]     (defaults 500, 50, 3)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
files=500 dirs=50 runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --files) files=$2; shift 2 ;;
    --dirs) dirs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--files N] [--dirs D] [--runs RUNS]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench-uring: run as root (the daemon mounts)" >&2; exit 2; }
command -v strace >/dev/null || { echo "bench-uring: strace is missing" >&2; exit 2; }

export LC_ALL=C.UTF-8
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  mvn -B -q -Dstyle.color=never -DtargetName=target-bench -DskipTests package -pl fusefs -am >&2
fi
jar=$(compgen -G "$repo/fusefs/target-bench/refcache-fusefs-*.jar" | grep -v -e '-sources' -e '-tests' | head -n 1)
java_cli=(--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  -Dfile.encoding=ISO-8859-1 -cp "$jar:$repo/fusefs/target-bench/lib/*" org.refcache.cli.Main)

tmp=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/refcache-uring.XXXXXX")
pid=""
cleanup() {
  set +e
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  grep -qs " $tmp/" /proc/mounts && awk -v t="$tmp/" 'index($2, t) == 1 {print $2}' /proc/mounts | xargs -r umount -l
  rm -rf "$tmp"
}
trap cleanup EXIT

# The tree to extract: dirs x 40 files of 1-4 KiB.
mkdir "$tmp/src"
for ((d = 0; d < dirs; d++)); do
  mkdir "$tmp/src/d$d"
  for ((f = 0; f < 40; f++)); do
    head -c $((1024 * (1 + (d + f) % 4))) /dev/zero >"$tmp/src/d$d/f$f"
  done
done
tar -C "$tmp/src" -cf "$tmp/tree.tar" .

rc() { java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${java_cli[@]}" "$@"; }

tick_ms=$((1000 / $(getconf CLK_TCK)))
cpu_ms() { # the daemon's CPU time so far (user + system, every thread, ended ones included)
  awk -v t="$tick_ms" '{ printf "%d", ($14 + $15) * t }' /proc/"$pid"/stat
}

create_files() {
  local blk i
  blk=$(printf '%4096s' '')
  mkdir "$1"
  for ((i = 0; i < files; i++)); do printf '%s' "$blk" >"$1/f$i"; done
  sync
}
untar() { mkdir "$1"; tar -C "$1" -xf "$tmp/tree.tar"; sync; }

# WORKLOAD DIR: runs one pass
pass() {
  case $1 in
    create) create_files "$2" ;;
    rm) rm -rf "$2" ;;
    untar) untar "$2" ;;
  esac
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for mode in 0 1; do
  export REFCACHE_ROOT=$tmp/root$mode REFCACHE_MOUNTPOINT=$tmp/mnt$mode REFCACHE_SOCKET=$tmp/sock$mode
  mkdir -p "$REFCACHE_MOUNTPOINT"
  # shellcheck disable=SC2086 # the daemon's JVM options as scripts/refcache gives them
  REFCACHE_FUSE_URING=$mode java "@$repo/config/daemon-java.options" ${REFCACHE_JAVA_OPTS:-} \
    "${java_cli[@]}" daemon >"$tmp/daemon$mode.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 120; i++)); do
    rc ls >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { tail -20 "$tmp/daemon$mode.log" >&2; exit 1; }
    sleep 0.5
  done
  ref=$(rc new)
  base=$(rc path "$ref")
  # Warm-up, untimed: the JIT compiles the request paths of both transports alike.
  create_files "$base/warm"; rm -rf "$base/warm"; untar "$base/warm-tree"
  for w in create rm untar; do
    : >"$tmp/cpu-$mode-$w"
    for ((r = 0; r < runs; r++)); do
      [ "$w" != rm ] || create_files "$base/rm-$r"
      dir="$base/$w-$r"
      [ "$w" != rm ] || dir="$base/rm-$r"
      before=$(cpu_ms)
      pass "$w" "$dir"
      echo $(($(cpu_ms) - before)) >>"$tmp/cpu-$mode-$w"
    done
    [ "$w" != rm ] || create_files "$base/rm-traced"
    dir="$base/$w-traced"
    [ "$w" != rm ] || dir="$base/rm-traced"
    strace -c -f -p "$pid" -o "$tmp/strace-$mode-$w" 2>/dev/null &
    spid=$!
    sleep 1 # attached to every thread
    pass "$w" "$dir"
    sleep 0.5
    kill -INT "$spid"
    wait "$spid" 2>/dev/null || true
  done
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
done

echo "kernel $(uname -r), $(nproc) cores, enable_uring $(cat /sys/module/fuse/parameters/enable_uring 2>/dev/null || echo -)"
echo "uptime: $(uptime)"
echo "files $files, tree $((dirs * 40)) files in $dirs directories, $runs untraced runs"
for mode in 0 1; do
  echo
  echo "== REFCACHE_FUSE_URING=$mode"
  grep -h -o 'FUSE over io_uring[^"]*' "$tmp/daemon$mode.log" | head -2 || true
  grep -h -o 'requests served: .*' "$tmp/daemon$mode.log" | tail -1
  for w in create rm untar; do
    printf '%-7s CPU ms (median of %d): %s   [%s]\n' "$w" "$runs" \
      "$(median <"$tmp/cpu-$mode-$w")" "$(tr '\n' ' ' <"$tmp/cpu-$mode-$w")"
    awk -v w="$w" '$NF ~ /^(read|write|writev|io_uring_enter|futex|total)$/ { printf "%-7s   %-15s calls %s\n", w, $NF, $4 }' "$tmp/strace-$mode-$w"
  done
done
