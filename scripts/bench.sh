#!/usr/bin/env bash
# Benchmarks. Performance is measured here, never by timed tests.
#   scripts/bench.sh refs [JMH args...]   in-process ref manager benchmarks (JMH): create+commit+release,
#                                         get among 100 000 records
#   scripts/bench.sh prune [RECORDS]      prune of 100 000 records while readers use the mount: the
#                                         readers' latency percentiles (root only)
#   scripts/bench.sh fs [--runs N] [--small]
#                                         the filesystem, in one run on the same data: refcache vs kernel
#                                         overlayfs vs fuse-overlayfs; medians of N runs (default 5) and
#                                         ratios. Root only. --small scales the data down 10x (quick check).
#                                         BENCH_TMPDIR (default /var/tmp) holds the data: about 5 GiB full
#                                         size; use a disk, not a tmpfs.
#   scripts/bench.sh merge [--runs N] [--small]
#                                         refcache merge of two refs of 100 000 files each: creating it
#                                         (against a merge of two one-file refs) and walking it, against
#                                         kernel overlayfs and fuse-overlayfs with both layers as lowerdirs.
#                                         Root only; --small: 10 000 files each. About 1.6 GiB full size.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export LC_ALL=C # EPOCHREALTIME and printf with a decimal point

usage() {
  echo "usage: scripts/bench.sh refs [JMH args...]" >&2
  echo "       scripts/bench.sh prune [RECORDS]" >&2
  echo "       scripts/bench.sh fs [--runs N] [--small]" >&2
  echo "       scripts/bench.sh merge [--runs N] [--small]" >&2
  exit 2
}

# ---- fs: refcache vs kernel overlayfs vs fuse-overlayfs ---------------------------------------------
#
# One run: build two layer tarballs once (a base: one big file and a tree of small files; a top layer
# that changes a few of them), then
#   refcache:        a daemon on a fresh root, `refcache import` of both layers (the second with
#                    --parent), reads through `refcache path` of the top ref, writes in
#                    `refcache new --parent top`;
#   overlayfs:       the same tarballs extracted (tar -x as root) into two lowerdirs, kernel overlay;
#   fuse-overlayfs:  the same lowerdirs, fuse-overlayfs with its own upper (Debian's defaults).
# Every workload runs N times; within a run the three systems take turns, starting with a different
# one each run, so that the machine's noise spreads over all three. The table shows medians and the
# ratios refcache / overlayfs and refcache / fuse-overlayfs (> 1: refcache is slower).
# A bash loop times the commands ($EPOCHREALTIME, no fork); hyperfine is not needed.

systems=(refcache overlayfs fuse-overlayfs)
tmp=""
rc_pid=""
declare -A RO RW

drop_caches() {
  sync
  echo 3 >/proc/sys/vm/drop_caches
}

# Whether a path is a mount point right now (exact match in /proc/mounts).
mounted() {
  awk -v p="$1" '$2 == p { found = 1 } END { exit !found }' /proc/mounts
}

mounts_under_tmp() {
  [ -n "$tmp" ] || return 0
  awk -v p="$tmp/" 'index($2, p) == 1 { print $2 }' /proc/mounts
}

# The refcache command from the jar this script built (the same JVM options as scripts/refcache:
# client commands with C1, the serial collector and a class-data archive of their classes).
rc() {
  java "${rc_client[@]}" "${rc_java[@]}" "$@"
}

rc_start() {
  mkdir -p "$tmp/rc"
  # java itself in the background (not the function rc, which would run in a subshell): $! is the JVM.
  # shellcheck disable=SC2086 # the daemon's JVM options as scripts/refcache gives them
  java "@$repo/config/daemon-java.options" ${REFCACHE_JAVA_OPTS:-} "${rc_java[@]}" daemon >>"$tmp/daemon.log" 2>&1 &
  rc_pid=$!
  local i
  for ((i = 0; i < 240; i++)); do
    if ! kill -0 "$rc_pid" 2>/dev/null; then
      echo "bench: the daemon exited; its log:" >&2
      tail -n 30 "$tmp/daemon.log" >&2
      exit 1
    fi
    # The socket opens after the mount answers: a listing means both are up.
    if rc ls >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "bench: the daemon did not answer within 2 minutes" >&2
  exit 1
}

rc_stop() {
  [ -n "$rc_pid" ] || return 0
  kill -TERM "$rc_pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$rc_pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$rc_pid" 2>/dev/null; then
    echo "bench: the daemon ignored SIGTERM for 60 s; killing it" >&2
    kill -KILL "$rc_pid" 2>/dev/null || true
  fi
  wait "$rc_pid" 2>/dev/null || true
  rc_pid=""
  if mounted "$tmp/rc/mnt"; then
    echo "bench: the daemon left its mount behind; detaching it" >&2
    umount -l "$tmp/rc/mnt" || true
  fi
}

cleanup() {
  local status=$?
  set +e
  [ -n "$tmp" ] || exit "$status"
  local m
  for m in "$tmp/fovl/mnt" "$tmp/ovl/mnt"; do
    if mounted "$m"; then
      umount "$m" 2>/dev/null || umount -l "$m"
    fi
  done
  rc_stop
  for m in $(mounts_under_tmp); do
    echo "bench: still mounted, detaching: $m" >&2
    umount -l "$m"
  done
  if [ -n "$(mounts_under_tmp)" ]; then
    echo "bench: mounts left under $tmp (not deleting it):" >&2
    mounts_under_tmp >&2
    exit 1
  fi
  echo "bench: /proc/mounts shows nothing under $tmp; removing it" >&2
  rm -rf --one-file-system "$tmp"
  exit "$status"
}

# Appends one measurement: timed WORKLOAD COMMAND... (globals: sys, run). Output goes to /dev/null.
timed() {
  local name=$1 t0 t1
  shift
  if [ "$run" = 0 ]; then # priming, not measured
    "$@" >/dev/null
    return
  fi
  t0=$EPOCHREALTIME
  "$@" >/dev/null
  t1=$EPOCHREALTIME
  printf '%s\t%s\t%s\t%s\n' "$name" "$sys" "$run" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" \
    >>"$tmp/results.tsv"
}

# ---- the data -----------------------------------------------------------------------------------

make_data() {
  local src=$tmp/src d f dir name blk
  mkdir -p "$src/base/big" "$src/top"
  head -c "$big_bytes" /dev/urandom >"$src/base/big/file.bin"
  # 4 096 bytes of base64 noise; each file starts with its own name so that no two are equal.
  blk=$(head -c 3072 /dev/urandom | base64 -w0)
  for ((d = 0; d < dirs; d++)); do
    printf -v dir '%s/base/tree/d%03d' "$src" "$d"
    mkdir -p "$dir"
    for ((f = 0; f < per_dir; f++)); do
      printf -v name 'd%03d/f%03d' "$d" "$f"
      printf '%-16s%s' "$name" "${blk:16}" >"$src/base/tree/$name"
    done
  done
  # The top layer changes f050 of every tenth directory and adds one file.
  for ((d = 0; d < dirs; d += 10)); do
    printf -v name 'd%03d/f050' "$d"
    mkdir -p "$src/top/tree/${name%/*}"
    printf '%-16s%s' "top:$name" "${blk:16}" >"$src/top/tree/$name"
  done
  echo "added by the top layer" >"$src/top/tree/added"
  tar -C "$src/base" -cf "$tmp/base.tar" .
  tar -C "$src/top" -cf "$tmp/top.tar" .
  rm -rf "$src"
}

# Each system must show the same union before anything is measured.
check_union() {
  local s r
  for s in "${systems[@]}"; do
    r=${RO[$s]}
    if [ "$(head -c 16 "$r/tree/d000/f050")" != "$(printf '%-16s' top:d000/f050)" ] ||
      [ "$(head -c 16 "$r/tree/d001/f050")" != "$(printf '%-16s' d001/f050)" ] ||
      [ "$(stat -c %s "$r/big/file.bin")" != "$big_bytes" ] || [ ! -f "$r/tree/added" ]; then
      echo "bench: $s does not show the expected union at $r" >&2
      exit 1
    fi
  done
}

# ---- the workloads ------------------------------------------------------------------------------

tar_tree() {
  # Through a pipe: GNU tar does not read file contents when the archive is /dev/null itself.
  tar -C "$1" -cf - tree | cat
}

find_tree() {
  find "$1/tree" -printf '%s\n'
}

create_files() {
  local dir=$1 blk i
  blk=$(printf '%4096s' '')
  mkdir "$dir"
  for ((i = 0; i < creates; i++)); do
    printf '%s' "$blk" >"$dir/f$i"
  done
}

# Appends one byte to every file of directories [first, first + count): a copy-up each.
append_lower() {
  local root=$1 first=$2 count=$3 d f name
  for ((d = first; d < first + count; d++)); do
    for ((f = 0; f < per_dir; f++)); do
      printf -v name '%s/tree/d%03d/f%03d' "$root" "$d" "$f"
      printf 'x' >>"$name"
    done
  done
}

# The systems in run i's order: a rotation, so none is always first after a drop or a sync.
order() {
  local i=$1 k n=${#systems[@]}
  for ((k = 0; k < n; k++)); do
    echo "${systems[$(((i - 1 + k) % n))]}"
  done
}

# One workload: measure NAME PREP FUNCTION, where PREP is cold (drop caches before each run), warm
# (one untimed run per system first) or sync (flush dirty pages before each run), and FUNCTION is
# called with the system's name and the run number and calls `timed` itself.
measure() {
  local name=$1 prep=$2 fn=$3
  echo "bench: $name" >&2
  if [ "$prep" = warm ]; then
    for sys in "${systems[@]}"; do
      run=0
      $fn "$sys" 0 >/dev/null
    done
  fi
  for ((run = 1; run <= runs; run++)); do
    for sys in $(order "$run"); do
      case "$prep" in
        cold) drop_caches ;;
        sync) sync ;;
      esac
      $fn "$sys" "$run"
    done
  done
}

w_read() { timed "$1" cat "${RO[$sys]}/big/file.bin"; }
w_read_cold() { w_read "$label_read, cold (drop_caches)"; }
w_read_warm() { w_read "$label_read, warm"; }
w_tar() { timed "tar -c $label_tree into a pipe, warm" tar_tree "${RO[$sys]}"; }
w_find_warm() { timed "find -printf %s $label_tree, warm" find_tree "${RO[$sys]}"; }
w_find_cold() { timed "find -printf %s $label_tree, cold (drop_caches)" find_tree "${RO[$sys]}"; }
w_create_rm() {
  local dir="${RW[$sys]}/bench-new-$2"
  timed "create $creates files of 4 KiB (upper/mutable)" create_files "$dir"
  sync
  timed "rm -rf those $creates files" rm -rf "$dir"
}
w_copy_up() {
  local count=$((copyups / per_dir))
  timed "append 1 byte to $copyups lower files (copy-up)" append_lower "${RW[$sys]}" $(((run - 1) * count)) "$count"
}

# The setup, N times from scratch: refcache import of both layers + first access (the lazy unpack),
# against tar -x of both layers into the lowerdirs (shared by overlayfs and fuse-overlayfs).
measure_setup() {
  local i
  for ((i = 1; i <= runs; i++)); do
    echo "bench: setup, run $i of $runs" >&2
    run=$i
    rc_stop
    rm -rf --one-file-system "$tmp/rc"
    rc_start
    sync
    sys=refcache
    local t0 t1 t2
    t0=$EPOCHREALTIME
    base_id=$(rc import "$tmp/base.tar")
    top_id=$(rc import --parent "$base_id" "$tmp/top.tar")
    t1=$EPOCHREALTIME
    RO[refcache]=$(rc path "$top_id")
    t2=$EPOCHREALTIME
    ls "${RO[refcache]}" >/dev/null # the first access: unpacks both layers
    local t3=$EPOCHREALTIME
    timed "setup: one refcache CLI call (refcache ls; import makes two)" rc ls
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v r="$i" 'BEGIN {
      printf "setup: import of both layers\trefcache\t%s\t%.4f\n", r, b - a
      printf "setup: first access (lazy unpack)\trefcache\t%s\t%.4f\n", r, d - c
      printf "setup: to a readable tree (refcache: import + unpack; overlays: tar -x)\trefcache\t%s\t%.4f\n", r, (b - a) + (d - c)
    }' >>"$tmp/results.tsv"

    rm -rf --one-file-system "$tmp/lower"
    mkdir -p "$tmp/lower/base" "$tmp/lower/top"
    sync
    t0=$EPOCHREALTIME
    tar -C "$tmp/lower/base" -xf "$tmp/base.tar"
    tar -C "$tmp/lower/top" -xf "$tmp/top.tar"
    t1=$EPOCHREALTIME
    for sys in overlayfs fuse-overlayfs; do
      awk -v a="$t0" -v b="$t1" -v r="$i" -v s="$sys" 'BEGIN {
        printf "setup: to a readable tree (refcache: import + unpack; overlays: tar -x)\t%s\t%s\t%.4f\n", s, r, b - a
      }' >>"$tmp/results.tsv"
    done
  done
}

mount_overlays() {
  local lower="$tmp/lower/top:$tmp/lower/base"
  mkdir -p "$tmp/ovl/upper" "$tmp/ovl/work" "$tmp/ovl/mnt" "$tmp/fovl/upper" "$tmp/fovl/work" "$tmp/fovl/mnt"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$tmp/ovl/upper,workdir=$tmp/ovl/work" "$tmp/ovl/mnt"
  fuse-overlayfs -o "lowerdir=$lower,upperdir=$tmp/fovl/upper,workdir=$tmp/fovl/work" "$tmp/fovl/mnt"
  RO[overlayfs]=$tmp/ovl/mnt
  RW[overlayfs]=$tmp/ovl/mnt
  RO[fuse-overlayfs]=$tmp/fovl/mnt
  RW[fuse-overlayfs]=$tmp/fovl/mnt
}

# The table: per workload (in the order measured) the median of each system and the two ratios, then
# every run's value.
report() {
  awk -F'\t' -v runs="$runs" '
    function median(list,    a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function cell(w, s) { return (w SUBSEP s) in v ? sprintf("%.3f", median(v[w, s])) : "-" }
    function ratio(w, s) {
      if (!((w SUBSEP "refcache") in v) || !((w SUBSEP s) in v)) return "-"
      return sprintf("%.2f", median(v[w, "refcache"]) / median(v[w, s]))
    }
    !($1 in seen) { seen[$1] = 1; order[++n] = $1 }
    { v[$1, $2] = (($1, $2) in v ? v[$1, $2] " " : "") $4 }
    END {
      printf "| workload (median of %d runs, seconds) | refcache | overlayfs | fuse-overlayfs | refcache / overlayfs | refcache / fuse-overlayfs |\n", runs
      print "|---|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        w = order[i]
        printf "| %s | %s | %s | %s | %s | %s |\n", w, cell(w, "refcache"), cell(w, "overlayfs"), cell(w, "fuse-overlayfs"), ratio(w, "overlayfs"), ratio(w, "fuse-overlayfs")
      }
      print ""
      print "Every run (seconds, in run order):"
      print ""
      for (i = 1; i <= n; i++) {
        w = order[i]
        printf "- %s: refcache %s; overlayfs %s; fuse-overlayfs %s\n", w, v[w, "refcache"], v[w, "overlayfs"], v[w, "fuse-overlayfs"]
      }
    }' "$tmp/results.tsv"
}

# Builds the jar (target-bench) and sets rc_jar, rc_java and rc_client for `rc` and `rc_start`.
build_cli() {
  echo "bench: building (target-bench)" >&2
  mvn -B -q -Dstyle.color=never -DtargetName=target-bench -Dmaven.test.skip=true package -pl fusefs -am >&2
  rc_jar=$(compgen -G "$repo/fusefs/target-bench/refcache-fusefs-*.jar" | grep -v -e '-sources' -e '-tests' | head -n 1)
  export LC_ALL=C.UTF-8 # as scripts/refcache: java.nio.file paths in UTF-8
  rc_java=(--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    -Dfile.encoding=ISO-8859-1
    -cp "$rc_jar:$repo/fusefs/target-bench/lib/*" org.refcache.cli.Main)
  rc_jsa="$repo/fusefs/target-bench/refcache-cli.jsa"
  rc_client=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+dynamic=off)
  java "${rc_client[@]}" -XX:ArchiveClassesAtExit="$rc_jsa" "${rc_java[@]}" \
    ls --socket "$repo/fusefs/target-bench/no-such-socket" >/dev/null 2>&1 || true
  [ -f "$rc_jsa" ] && rc_client+=(-XX:SharedArchiveFile="$rc_jsa")
}

# Parses [--runs N] [--small] into runs and small; checks root and fuse-overlayfs.
bench_options() {
  runs=5
  small=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs)
        [ $# -ge 2 ] || usage
        runs=$2
        shift 2
        ;;
      --small)
        small=1
        shift
        ;;
      *) usage ;;
    esac
  done
  if ! [[ $runs =~ ^[0-9]+$ ]] || [ "$runs" -lt 1 ] || [ "$runs" -gt 20 ]; then
    echo "bench: --runs must be 1..20 (each run's copy-up needs files no earlier run touched)" >&2
    exit 2
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: this benchmark needs root (kernel overlayfs, drop_caches, tar -x keeping owners)" >&2
    exit 1
  fi
  command -v fuse-overlayfs >/dev/null || {
    echo "bench: fuse-overlayfs is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
}

fs_bench() {
  bench_options "$@"

  # Full size: a 1 GiB file and 20 000 files of 4 KiB in 200 directories; --small: a tenth.
  if [ "$small" = 1 ]; then
    big_bytes=$(((1 << 30) / 10)) dirs=20 label_read="read a 102 MiB file"
  else
    big_bytes=$((1 << 30)) dirs=200 label_read="read a 1 GiB file"
  fi
  per_dir=100
  creates=$((dirs * 25))           # 5 000 (500)
  copyups=$((dirs / 20 * per_dir)) # 1 000 (100): whole directories, fresh ones each run
  label_tree="($((dirs * per_dir)) files of 4 KiB)"

  build_cli

  trap cleanup EXIT
  trap 'exit 130' INT TERM
  tmp=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/refcache-bench.XXXXXX")
  echo "bench: data in $tmp" >&2
  export REFCACHE_ROOT=$tmp/rc/root REFCACHE_MOUNTPOINT=$tmp/rc/mnt REFCACHE_SOCKET=$tmp/rc/refcache.sock
  local load_before
  load_before=$(uptime)

  make_data
  cat "$tmp/base.tar" "$tmp/top.tar" >/dev/null # every setup reads the tarballs from the page cache
  measure_setup
  RW[refcache]=$(rc path "$(rc new --parent "$top_id")")
  ls "${RW[refcache]}" >/dev/null
  mount_overlays
  check_union

  measure "$label_read, cold" cold w_read_cold
  measure "$label_read, warm" warm w_read_warm
  measure "tar c, warm" warm w_tar
  measure "find, warm" warm w_find_warm
  measure "find, cold" cold w_find_cold
  measure "create + rm -rf" sync w_create_rm
  measure "copy-up" sync w_copy_up

  echo
  echo "refcache $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?') ($rc_jar), $(fuse-overlayfs --version 2>/dev/null | grep -m1 '^fuse-overlayfs'), kernel $(uname -r), $(nproc) cores"
  echo "uptime before: $load_before"
  echo "uptime after:  $(uptime)"
  echo
  report
}

# ---- merge: refcache merge vs kernel overlayfs and fuse-overlayfs with both layers as lowerdirs ------
#
# Two layer tarballs of files_per_layer small files each (the same directories, different file names,
# so every directory of the union is merged from both) and two of one file. Once: a daemon on a fresh
# root imports all four and reads both big refs once (unpacking them: not what is measured), and the
# same tarballs are extracted into two lowerdirs. Then, N runs each:
#   create:     `refcache merge A B` against `refcache merge a b` of the one-file refs (a CLI call
#               each: the same time if creating a merge does not grow with the data);
#   first walk: find -printf %s of a merge made for that run (not timed) against a fresh kernel
#               overlayfs / fuse-overlayfs mount of lowerdir=B:A, after drop_caches, and again with
#               the page cache warm (the union's own caches cold: a new merge, a new mount);
#   walk again: the same merge / mount walked again, everything warm.

make_merge_data() {
  local src=$tmp/src d f name side
  for side in a b; do
    mkdir -p "$src/$side"
    for ((d = 0; d < merge_dirs; d++)); do
      printf -v name '%s/%s/tree/d%04d' "$src" "$side" "$d"
      mkdir -p "$name"
      for ((f = 0; f < 100; f++)); do
        printf '%s%03d of d%04d\n' "$side" "$f" "$d" >"$name/$side$f"
      done
    done
    tar -C "$src/$side" -cf "$tmp/$side.tar" .
  done
  mkdir -p "$src/one-a" "$src/one-b"
  echo a >"$src/one-a/a"
  echo b >"$src/one-b/b"
  tar -C "$src/one-a" -cf "$tmp/one-a.tar" .
  tar -C "$src/one-b" -cf "$tmp/one-b.tar" .
  rm -rf "$src"
}

find_all() {
  find "$1" -printf '%s\n'
}

ovl_mount() { # SYSTEM MOUNTPOINT
  mkdir -p "$2"
  if [ "$1" = overlayfs ]; then
    mount -t overlay overlay -o "lowerdir=$tmp/lower/b:$tmp/lower/a" "$2"
  else
    fuse-overlayfs -o "lowerdir=$tmp/lower/b:$tmp/lower/a" "$2"
  fi
}

ovl_umount() {
  umount "$1" 2>/dev/null || umount -l "$1"
}

w_merge_create() {
  [ "$sys" = refcache ] || return 0
  timed "create: refcache merge of two refs of $files_per_layer files" rc merge "$big_a" "$big_b"
  timed "create: refcache merge of two refs of one file" rc merge "$one_a" "$one_b"
}

w_first_walk() { # LABEL
  if [ "$sys" = refcache ]; then
    local m
    m=$(rc merge "$big_a" "$big_b")
    timed "$1" find_all "$(rc path "$m")"
    rc release "$m" >/dev/null
  else
    local mnt="$tmp/walk-$sys-$run"
    ovl_mount "$sys" "$mnt"
    timed "$1" find_all "$mnt"
    ovl_umount "$mnt"
  fi
}
w_first_walk_cold() { w_first_walk "first find of the union ($label_union), cold (drop_caches)"; }
w_first_walk_warm() { w_first_walk "first find of the union ($label_union), page cache warm"; }
w_walk_again() { timed "find of the union again ($label_union), warm" find_all "${RO[$sys]}"; }

merge_bench() {
  bench_options "$@"
  if [ "$small" = 1 ]; then
    merge_dirs=100
  else
    merge_dirs=1000
  fi
  files_per_layer=$((merge_dirs * 100))
  label_union="$((2 * files_per_layer)) files in $merge_dirs directories"
  build_cli

  trap cleanup EXIT
  trap 'exit 130' INT TERM
  tmp=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/refcache-bench.XXXXXX")
  echo "bench: data in $tmp" >&2
  export REFCACHE_ROOT=$tmp/rc/root REFCACHE_MOUNTPOINT=$tmp/rc/mnt REFCACHE_SOCKET=$tmp/rc/refcache.sock
  local load_before
  load_before=$(uptime)

  echo "bench: making two layers of $files_per_layer files" >&2
  make_merge_data
  rc_start
  big_a=$(rc import "$tmp/a.tar")
  big_b=$(rc import "$tmp/b.tar")
  one_a=$(rc import "$tmp/one-a.tar")
  one_b=$(rc import "$tmp/one-b.tar")
  echo "bench: unpacking both layers (refcache: reading each ref once; overlays: tar -x)" >&2
  find_all "$(rc path "$big_a")" >/dev/null
  find_all "$(rc path "$big_b")" >/dev/null
  mkdir -p "$tmp/lower/a" "$tmp/lower/b"
  tar -C "$tmp/lower/a" -xf "$tmp/a.tar"
  tar -C "$tmp/lower/b" -xf "$tmp/b.tar"
  sync

  RO[refcache]=$(rc path "$(rc merge "$big_a" "$big_b")")
  RO[overlayfs]=$tmp/ovl/mnt
  RO[fuse-overlayfs]=$tmp/fovl/mnt
  ovl_mount overlayfs "${RO[overlayfs]}"
  ovl_mount fuse-overlayfs "${RO[fuse-overlayfs]}"
  local expected=$((2 * files_per_layer + merge_dirs + 2)) s n
  for s in "${systems[@]}"; do
    n=$(find_all "${RO[$s]}" | wc -l)
    if [ "$n" != "$expected" ]; then
      echo "bench: $s shows $n entries in the union, not $expected" >&2
      exit 1
    fi
  done

  measure "create" none w_merge_create
  measure "first walk, cold" cold w_first_walk_cold
  measure "first walk, warm" none w_first_walk_warm
  measure "walk again" warm w_walk_again

  echo
  echo "refcache $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?') ($rc_jar), $(fuse-overlayfs --version 2>/dev/null | grep -m1 '^fuse-overlayfs'), kernel $(uname -r), $(nproc) cores"
  echo "uptime before: $load_before"
  echo "uptime after:  $(uptime)"
  echo
  report
}

what=${1:-refs}
shift || true
case "$what" in
  refs)
    # Build, and write each module's test classpath next to its classes.
    mvn -B -q -DtargetName=target-bench -pl cache-core -am test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile='${project.build.directory}/classpath.txt' >/dev/null
    cp="cache-core/target-bench/test-classes:cache-core/target-bench/classes:native/target-bench/classes"
    cp="$cp:$(cat cache-core/target-bench/classpath.txt)"
    exec java --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -Dfile.encoding=ISO-8859-1 \
      -Dlogback.configurationFile=config/logback-test.xml -Drefcache.testLogDir=cache-core/target-bench \
      -cp "$cp" org.openjdk.jmh.Main 'org.refcache.core.cache.RefManagerBenchmark' "$@"
    ;;
  prune)
    # Prune of RECORDS (default 100 000) records while readers use the mount; root only (it mounts).
    mvn -B -q -DtargetName=target-bench -pl fusefs -am test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile='${project.build.directory}/classpath.txt' >/dev/null
    cp="fusefs/target-bench/test-classes:fusefs/target-bench/classes:cache-core/target-bench/classes"
    cp="$cp:native/target-bench/classes:$(cat fusefs/target-bench/classpath.txt)"
    export LC_ALL=C.UTF-8
    exec java --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -Dfile.encoding=ISO-8859-1 \
      -Dlogback.configurationFile=config/logback-test.xml -Drefcache.testLogDir=fusefs/target-bench \
      -Drefcache.daemonJavaOptions="$repo/config/daemon-java.options" \
      -cp "$cp" org.refcache.daemon.PruneBenchmark "$@"
    ;;
  fs)
    fs_bench "$@"
    ;;
  merge)
    merge_bench "$@"
    ;;
  *)
    usage
    ;;
esac
