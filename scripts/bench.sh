#!/usr/bin/env bash
# Benchmarks. Performance is measured here, never by timed tests.
#   scripts/bench.sh refs [JMH args...]   in-process ref manager benchmarks (JMH): create+commit+release,
#                                         get among 100 000 records
#   scripts/bench.sh prune [RECORDS]      prune of 100 000 records while readers use the mount: the
#                                         readers' latency percentiles (root only)
#   scripts/bench.sh fs [--runs N] [--small]
#                                         the filesystem, in one run on the same data: refcache vs kernel
#                                         overlayfs vs fuse-overlayfs; medians of N runs (default 5) and
#                                         ratios, the daemon's RSS and requests per opcode. Root only.
#                                         --small scales the data down 10x (quick check). A real package
#                                         tree (node_modules, installed once with npm and kept as a
#                                         tarball in BENCH_TMPDIR/refcache-bench-cache) and a real build
#                                         (mvn -o package of this project) run in both sizes
#                                         (BENCH_NO_BUILD=1 leaves the build out).
#                                         BENCH_TMPDIR (default /var/tmp) holds the data: about 8 GiB full
#                                         size; use a disk, not a tmpfs.
#   scripts/bench.sh merge [--runs N] [--small]
#                                         refcache merge of two refs of 100 000 files each: creating it
#                                         (against a merge of two one-file refs) and walking it, against
#                                         kernel overlayfs and fuse-overlayfs with both layers as lowerdirs.
#                                         Root only; --small: 10 000 files each. About 1.6 GiB full size.
#   scripts/bench.sh export [FILES...]  refcache export of a built ref of FILES files each (default 5000 50000;
#                                         1 KiB each, 100 per directory): the first export (the layer blob
#                                         made: tar, gzip, store), a second (blob reused), a zstd one (the
#                                         blob converted), against tar -c | gzip and tar -c | zstd of the
#                                         same tree, with the daemon's RSS growth. Root only.
#   scripts/bench.sh pull [--runs N] [--small]
#                                         time from `refcache pull` of a ~200 MiB image (a local
#                                         docker-registry on loopback) to the first byte of a file in its
#                                         top layer, against `skopeo copy` + `umoci unpack` of the whole
#                                         image; then reading the rest. Root only; --small: ~20 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export LC_ALL=C # EPOCHREALTIME and printf with a decimal point

usage() {
  echo "usage: scripts/bench.sh refs [JMH args...]" >&2
  echo "       scripts/bench.sh prune [RECORDS]" >&2
  echo "       scripts/bench.sh fs [--runs N] [--small]" >&2
  echo "       scripts/bench.sh merge [--runs N] [--small]" >&2
  echo "       scripts/bench.sh export [FILES...]" >&2
  echo "       scripts/bench.sh pull [--runs N] [--small]" >&2
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
counting=0
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
  java "${rc_client[@]}" "${rc_client_java[@]}" "$@"
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
  for m in "$tmp/fovl/mnt" "$tmp/ovl/mnt" "$tmp"/bovl-*/mnt; do
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
  if [ "$run" = 0 ] || [ "$counting" = 1 ]; then # priming or counting requests: not measured
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

# A real package tree: a few big development tools from the npm registry, pinned (about 13 000 files,
# 150 MB in node_modules). npm installs them once (no install scripts run) and the tree is kept as a
# tarball in BENCH_TMPDIR/refcache-bench-cache for later runs. Without npm or the registry, the
# package tree's rows are left out and the bench says so.
npm_packages=(@babel/core@7.29.17 @babel/preset-env@7.29.17 eslint@10.16.0 jest@30.5.2 lodash@4.18.1
  moment@2.31.0 typescript@7.0.2 webpack@5.113.0 webpack-cli@7.3.1)

# Sets npm_tar to the cached tarball of node_modules (installing it first if needed), or to "".
fetch_npm_tree() {
  local cache="${BENCH_TMPDIR:-/var/tmp}/refcache-bench-cache" key work
  key=$(printf '%s\n' "${npm_packages[@]}" | sha256sum | cut -c1-12)
  npm_tar="$cache/node_modules-$key.tar"
  [ -f "$npm_tar" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "bench: npm is missing: NO PACKAGE TREE in this run (its rows are left out)" >&2
    npm_tar=""
    return 0
  fi
  mkdir -p "$cache"
  work="$cache/npm-install.$$"
  rm -rf "$work"
  mkdir -p "$work"
  echo '{"name":"refcache-bench-tree","version":"1.0.0","private":true}' >"$work/package.json"
  echo "bench: installing the package tree once (npm install ${npm_packages[*]})" >&2
  if ! (cd "$work" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    --fetch-retries=1 "${npm_packages[@]}" >&2); then
    echo "bench: npm install failed (registry unreachable?): NO PACKAGE TREE in this run (its rows are left out)" >&2
    rm -rf "$work"
    npm_tar=""
    return 0
  fi
  tar -C "$work" -cf "$npm_tar.part" node_modules
  mv "$npm_tar.part" "$npm_tar"
  rm -rf "$work"
}

# $tmp/npm.tar: the package tree as one layer (node_modules at its root); --small keeps
# node_modules/@babel alone (about a tenth). Sets npm_files and label_npm.
make_npm_data() {
  [ -n "$npm_tar" ] || return 0
  local src=$tmp/npm-src
  mkdir -p "$src"
  if [ "$small" = 1 ]; then
    tar -C "$src" -xf "$npm_tar" node_modules/@babel
  else
    tar -C "$src" -xf "$npm_tar"
  fi
  tar -C "$src" -cf "$tmp/npm.tar" node_modules
  npm_files=$(find "$src" -type f | wc -l)
  label_npm="(node_modules: $npm_files files, $(du -sm "$src" | cut -f1) MB)"
  rm -rf "$src"
}

make_data() {
  local src=$tmp/src d f dir name blk
  mkdir -p "$src/base/big" "$src/top"
  # The package tree is in the base layer too, read through the union like the synthetic tree.
  if [ -f "$tmp/npm.tar" ]; then
    mkdir -p "$src/base/npm"
    tar -C "$src/base/npm" -xf "$tmp/npm.tar"
  fi
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
      [ "$(stat -c %s "$r/big/file.bin")" != "$big_bytes" ] || [ ! -f "$r/tree/added" ] ||
      { [ -f "$tmp/npm.tar" ] && [ ! -d "$r/npm/node_modules/@babel/core" ]; }; then
      echo "bench: $s does not show the expected union at $r" >&2
      exit 1
    fi
  done
}

# ---- the workloads ------------------------------------------------------------------------------

tar_tree() { # ROOT [DIR]
  # Through a pipe: GNU tar does not read file contents when the archive is /dev/null itself.
  tar -C "$1" -cf - "${2:-tree}" | cat
}

find_tree() { # ROOT [DIR]
  find "$1/${2:-tree}" -printf '%s\n'
}

untar_sync() { # DIR: the package tree extracted into DIR, then everything flushed
  mkdir "$1"
  tar -C "$1" -xf "$tmp/npm.tar"
  sync
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
w_npm_tar() { timed "tar -c $label_npm into a pipe, warm" tar_tree "${RO[$sys]}/npm" node_modules; }
w_npm_tar_cold() { timed "tar -c $label_npm into a pipe, cold (drop_caches)" tar_tree "${RO[$sys]}/npm" node_modules; }
w_npm_find_warm() { timed "find -printf %s $label_npm, warm" find_tree "${RO[$sys]}/npm" node_modules; }
w_npm_find_cold() { timed "find -printf %s $label_npm, cold (drop_caches)" find_tree "${RO[$sys]}/npm" node_modules; }
# refcache: into a new mutable ref of its own (no parent); the overlays: into their upper.
w_npm_untar() {
  local dir="${RW[$sys]}/bench-untar-$2" ref=""
  if [ "$sys" = refcache ]; then
    ref=$(rc new)
    dir="$(rc path "$ref")/bench-untar"
  fi
  timed "tar -x $label_npm into a new mutable ref (overlays: upper), then sync" untar_sync "$dir"
  [ -z "$ref" ] || rc release "$ref" >/dev/null
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
    [ ! -f "$tmp/npm.tar" ] || measure_lazy_import
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

# One run of: refcache import of the package tree + the first find of the new ref (which unpacks
# it), against tar -x of it into a fresh ext4 directory + sync + find.
measure_lazy_import() {
  local label="import + first find of a lazy ref $label_npm (overlays: tar -x + sync + find on ext4)"
  local t0 t1 t2 t3 id dir=$tmp/ext4-npm
  t0=$EPOCHREALTIME
  id=$(rc import "$tmp/npm.tar")
  t1=$EPOCHREALTIME
  local p
  p=$(rc path "$id")
  t2=$EPOCHREALTIME
  find "$p" -printf '%s\n' >/dev/null
  t3=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v r="$run" -v l="$label" 'BEGIN {
    printf "%s\trefcache\t%s\t%.4f\n", l, r, (b - a) + (d - c) }' >>"$tmp/results.tsv"
  rm -rf "$dir"
  mkdir -p "$dir"
  sync
  t0=$EPOCHREALTIME
  tar -C "$dir" -xf "$tmp/npm.tar"
  sync
  find "$dir" -printf '%s\n' >/dev/null
  t1=$EPOCHREALTIME
  rm -rf "$dir"
  for sys in overlayfs fuse-overlayfs; do
    awk -v a="$t0" -v b="$t1" -v r="$run" -v s="$sys" -v l="$label" 'BEGIN {
      printf "%s\t%s\t%s\t%.4f\n", l, s, r, b - a }' >>"$tmp/results.tsv"
  done
  sys=refcache
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

# ---- a real build: mvn -o package of this project inside a mutable ref ----------------------------
#
# The toolchain's inputs as one read-only layer: this project's sources at HEAD (git archive) and the
# local Maven repository (everything an offline build reads) as m2/. refcache imports it once and
# builds in a new mutable ref over it each run; kernel overlayfs mounts it, extracted once, as the
# lowerdir of a fresh upper each run. Full size builds the whole project (mvn -o package
# -DskipTests, median of up to 3 runs), --small the native module alone (one run).
make_build_data() {
  local m2=${BENCH_M2_REPOSITORY:-$HOME/.m2/repository}
  build_tar=""
  if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
    echo "bench: BENCH_NO_BUILD=1: NO BUILD in this run" >&2
    return 0
  fi
  if [ ! -d "$m2" ] || ! command -v mvn >/dev/null; then
    echo "bench: no mvn or no local Maven repository at $m2: NO BUILD in this run" >&2
    return 0
  fi
  mkdir -p "$tmp/build-src"
  git -C "$repo" archive --prefix=src/ HEAD | tar -x -C "$tmp/build-src"
  tar -cf "$tmp/build.tar" -C "$tmp/build-src" src -C "$(dirname "$m2")" --transform 's,^repository,m2,' \
    "$(basename "$m2")"
  rm -rf "$tmp/build-src"
  build_tar=$tmp/build.tar
}

mvn_build() { # ROOT: the ref or mount holding src/ and m2/
  mvn -B -q -o -Dstyle.color=never -Dmaven.repo.local="$1/m2" -f "$1/src/pom.xml" package -DskipTests \
    "${build_modules[@]}"
  compgen -G "$1/src/native/target/refcache-native-*.jar" >/dev/null || {
    echo "bench: the build in $1 made no jar" >&2
    exit 1
  }
}

w_build() {
  local root ref="" o=$tmp/bovl-$2
  case "$sys" in
    refcache)
      ref=$(rc new --parent "$build_id")
      root=$(rc path "$ref")
      ;;
    overlayfs)
      mkdir -p "$o/upper" "$o/work" "$o/mnt"
      mount -t overlay overlay -o "lowerdir=$tmp/build-lower,upperdir=$o/upper,workdir=$o/work" "$o/mnt"
      root=$o/mnt
      ;;
    *) return 0 ;; # kernel overlayfs only: the build is long
  esac
  timed "build: $label_build in a new mutable ref over the toolchain's ref (overlayfs: a new upper)" \
    mvn_build "$root"
  if [ -n "$ref" ]; then
    rc release "$ref" >/dev/null
  else
    umount "$o/mnt"
    rm -rf "$o"
  fi
}

measure_build() {
  [ -n "$build_tar" ] || return 0
  echo "bench: the build's toolchain ref (import, and tar -x for overlayfs)" >&2
  build_id=$(rc import "$build_tar")
  mkdir -p "$tmp/build-lower"
  tar -C "$tmp/build-lower" -xf "$build_tar"
  local saved=$runs
  runs=$build_runs
  measure "build" sync w_build
  runs=$saved
}

# Requests per opcode of one untimed pass of workload FUNCTION (refcache alone), from a daemon
# started for it (the daemon logs what its session served when it ends). Writable workloads get a
# new mutable ref over the top layer.
count_requests() { # LABEL FUNCTION
  local label=$1 fn=$2 line
  rc_stop
  rc_start
  RW[refcache]=$(rc path "$(rc new --parent "$top_id")")
  counting=1
  sys=refcache
  run=1
  $fn refcache 1
  counting=0
  rc_stop
  line=$(grep 'requests served' "$tmp/daemon.log" | tail -n 1 | sed 's/.*requests served: //')
  printf -- '- %s: %s\n' "$label" "$line" >>"$tmp/counts.md"
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

# Builds the jar (target-bench) and sets rc_jar, rc_java (the service's), rc_client_java and rc_client
# (the client's) for `rc_start` and `rc`.
build_cli() {
  echo "bench: building (target-bench)" >&2
  mvn -B -q -Dstyle.color=never -DtargetName=target-bench -DskipTests package -pl fusefs -am >&2
  rc_jar=$(compgen -G "$repo/fusefs/target-bench/refcache-fusefs-*.jar" | grep -v -e '-sources' -e '-tests' | head -n 1)
  export LC_ALL=C.UTF-8 # as scripts/refcache: java.nio.file paths in UTF-8
  rc_java=(--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    -Dfile.encoding=ISO-8859-1
    -cp "$rc_jar:$repo/fusefs/target-bench/lib/*" org.refcache.cli.Main)
  # Client commands on the class path scripts/refcache gives them (the service's classes are not on it).
  local lib="$repo/fusefs/target-bench/lib"
  rc_client_java=("${rc_java[@]}")
  rc_client_java[${#rc_java[@]} - 2]="$rc_jar:$(compgen -G "$lib/refcache-native-[0-9]*.jar" | head -n 1):$(compgen -G \
    "$lib/jackson-core-[0-9]*.jar" | head -n 1):$(compgen -G "$lib/picocli-[0-9]*.jar" | head -n 1)"
  rc_jsa="$repo/fusefs/target-bench/refcache-cli.jsa"
  rc_client=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+dynamic=off)
  java "${rc_client[@]}" -XX:ArchiveClassesAtExit="$rc_jsa" "${rc_client_java[@]}" \
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
  if [ "$small" = 1 ]; then
    build_modules=(-pl native) label_build="mvn -o package of the native module" build_runs=1
  else
    build_modules=() label_build="mvn -o package -DskipTests of refcache" build_runs=$((runs < 3 ? runs : 3))
  fi

  build_cli

  trap cleanup EXIT
  trap 'exit 130' INT TERM
  tmp=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/refcache-bench.XXXXXX")
  echo "bench: data in $tmp" >&2
  export REFCACHE_ROOT=$tmp/rc/root REFCACHE_MOUNTPOINT=$tmp/rc/mnt REFCACHE_SOCKET=$tmp/rc/refcache.sock
  local load_before
  load_before=$(uptime)

  fetch_npm_tree
  make_npm_data
  make_data
  make_build_data
  cat "$tmp"/*.tar >/dev/null # every setup reads the tarballs from the page cache
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
  if [ -f "$tmp/npm.tar" ]; then
    measure "package tree: tar c, warm" warm w_npm_tar
    measure "package tree: find, warm" warm w_npm_find_warm
    measure "package tree: find, cold" cold w_npm_find_cold
    measure "package tree: tar c, cold" cold w_npm_tar_cold
    measure "package tree: tar x + sync" sync w_npm_untar
  fi
  measure_build
  local rss
  rss=$(awk '/^VmRSS|^VmHWM/ { printf "%s%s %d MiB", sep, $1, $2 / 1024; sep = ", " }' "/proc/$rc_pid/status")

  echo "bench: requests per opcode (one pass each, a daemon of its own)" >&2
  : >"$tmp/counts.md"
  count_requests "create $creates files of 4 KiB, then rm -rf them" w_create_rm
  count_requests "append 1 byte to $copyups lower files (copy-up)" w_copy_up
  [ ! -f "$tmp/npm.tar" ] || count_requests "tar -x $label_npm into a new mutable ref, then sync" w_npm_untar
  [ -z "$build_tar" ] || count_requests "build: $label_build" w_build

  echo
  echo "refcache $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?') ($rc_jar), $(fuse-overlayfs --version 2>/dev/null | grep -m1 '^fuse-overlayfs'), kernel $(uname -r), $(nproc) cores"
  echo "uptime before: $load_before"
  echo "uptime after:  $(uptime)"
  echo "daemon after the timed workloads (the last setup's daemon): $rss"
  [ -f "$tmp/npm.tar" ] || echo "NO PACKAGE TREE in this run (npm or its registry missing): its rows are left out"
  [ -n "$build_tar" ] || echo "NO BUILD in this run (BENCH_NO_BUILD=1, or mvn or the local Maven repository missing)"
  echo
  report
  echo
  echo "Requests per opcode, refcache (one untimed pass each, from a daemon of its own; includes the"
  echo "few requests of starting it and of refcache new/path):"
  echo
  cat "$tmp/counts.md"
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
#               the page cache warm (the union's own caches cold: a new merge, a new mount;
#               one untimed walk of each first, so every system's layers are in the page cache);
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
  # Primed once first (not timed): the cold runs end with drop_caches before the last overlay's
  # walk, which then warms the lowerdirs that kernel overlayfs reads, but not refcache's layers.
  measure "first walk, warm" warm w_first_walk_warm
  measure "walk again" warm w_walk_again

  echo
  echo "refcache $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?') ($rc_jar), $(fuse-overlayfs --version 2>/dev/null | grep -m1 '^fuse-overlayfs'), kernel $(uname -r), $(nproc) cores"
  echo "uptime before: $load_before"
  echo "uptime after:  $(uptime)"
  echo
  report
}

# ---- export: what writing a built ref as an OCI layout costs -----------------------------------------

# Seconds taken by a command (output to /dev/null).
seconds() {
  local t0 t1
  t0=$EPOCHREALTIME
  "$@" >/dev/null
  t1=$EPOCHREALTIME
  echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
}

rss_kib() {
  awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"
}

export_one() {
  local n=$1 src=$tmp/src-$n
  echo "bench: $n files" >&2
  python3 - "$src" "$n" <<'PY'
import os, sys, random
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(n)
words = [("w%d" % i) for i in range(500)]
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%06d" % i), "w") as f:
        f.write(" ".join(rnd.choice(words) for _ in range(256))[:1024])
PY
  tar -C "$src" -cf "$tmp/src-$n.tar" .
  local work built t_tar_gz t_tar_zstd t_first t_again t_zstd rss0 hwm gz_size blob_size
  work=$(rc new)
  tar -C "$(rc path "$work")" -xf "$tmp/src-$n.tar"
  built=$(rc commit "$work")
  sync
  t_tar_gz=$(seconds bash -c "tar -C '$src' -c . | gzip -6 > '$tmp/tar-$n.tar.gz'")
  t_tar_zstd=$(seconds bash -c "tar -C '$src' -c . | zstd -q -3 > '$tmp/tar-$n.tar.zst'")
  gz_size=$(stat -c %s "$tmp/tar-$n.tar.gz")
  echo 5 >"/proc/$rc_pid/clear_refs" # resets the peak RSS
  rss0=$(rss_kib "$rc_pid" VmRSS)
  t_first=$(seconds rc export "$built" "$tmp/layout-$n")
  hwm=$(rss_kib "$rc_pid" VmHWM)
  t_again=$(seconds rc export "$built" "$tmp/layout2-$n")
  t_zstd=$(seconds rc export --compression zstd "$built" "$tmp/layout3-$n")
  blob_size=$(find "$tmp/layout-$n/blobs/sha256" -type f -size +4k -printf '%s\n' | sort -n | tail -n 1)
  printf '| %s | %s s | %s s (%s) | %s s | %s s | %s s (%s) | %s MiB | %s / %s |\n' "$n" \
    "$t_tar_gz" "$t_first" "$(awk -v a="$t_first" -v b="$t_tar_gz" 'BEGIN { printf "%.2fx", a / b }')" \
    "$t_again" "$t_tar_zstd" "$t_zstd" "$(awk -v a="$t_zstd" -v b="$t_tar_zstd" 'BEGIN { printf "%.2fx", a / b }')" \
    "$(( (hwm - rss0) / 1024 ))" "$blob_size" "$gz_size"
  rc release "$built" >/dev/null
  rm -rf "$src" "$tmp/src-$n.tar" "$tmp"/layout*-"$n" "$tmp"/tar-"$n".*
}

export_bench() {
  [ "$(id -u)" = 0 ] || { echo "bench: export needs root (it mounts)" >&2; exit 2; }
  local sizes=("$@")
  [ ${#sizes[@]} -gt 0 ] || sizes=(5000 50000)
  build_cli
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  tmp=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/refcache-bench.XXXXXX")
  echo "bench: data in $tmp" >&2
  export REFCACHE_ROOT=$tmp/rc/root REFCACHE_MOUNTPOINT=$tmp/rc/mnt REFCACHE_SOCKET=$tmp/rc/refcache.sock
  local load_before rows=() n
  load_before=$(uptime)
  rc_start
  for n in "${sizes[@]}"; do
    rows+=("$(export_one "$n")")
  done
  echo
  echo "refcache $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), kernel $(uname -r), $(nproc) cores"
  echo "uptime before: $load_before"
  echo "uptime after:  $(uptime)"
  echo
  echo "| files | tar -c \| gzip -6 | export (gzip blob made) | export again | tar -c \| zstd -3 | export --compression zstd | daemon RSS growth | blob / tar.gz bytes |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
}

# ---- pull: refcache pull, first byte of a top-layer file vs skopeo copy + umoci unpack ---------------
#
# Once: an image built by umoci (a base layer of incompressible files, big_mib MiB in all, and a top
# layer of one small file), pushed by skopeo to a docker-registry on a loopback port with its own
# storage. Then N runs, each from nothing local (a fresh daemon root; a fresh layout and bundle):
#   refcache:     `refcache pull IMAGE`, then `head -c 1` of the top layer's file through the mount
#                 (fetches and unpacks only the top layer), then `cat` of every base file (the rest);
#   skopeo+umoci: `skopeo copy docker://IMAGE oci:DIR:TAG`, `umoci unpack`, `head -c 1` of the same file.
# The registry's storage stays in the page cache for both.

reg_pid=""

reg_stop() {
  [ -n "$reg_pid" ] || return 0
  kill -TERM "$reg_pid" 2>/dev/null || true
  wait "$reg_pid" 2>/dev/null || true
  reg_pid=""
}

pull_cleanup() {
  local status=$?
  reg_stop
  (exit "$status")
  cleanup
}

reg_start() {
  local i port
  for ((i = 0; i < 5; i++)); do
    port=$((20000 + RANDOM % 40000))
    mkdir -p "$tmp/registry/storage"
    printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$tmp/registry/storage" "$port" >"$tmp/registry/config.yml"
    docker-registry serve "$tmp/registry/config.yml" >>"$tmp/registry/access.log" 2>>"$tmp/registry/registry.log" &
    reg_pid=$!
    local j
    for ((j = 0; j < 100; j++)); do
      if curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
        registry=127.0.0.1:$port
        return 0
      fi
      kill -0 "$reg_pid" 2>/dev/null || break
      sleep 0.1
    done
    reg_stop # the port was taken, or it did not answer: another one
  done
  echo "bench: docker-registry did not start; its log:" >&2
  tail -n 20 "$tmp/registry/registry.log" >&2
  exit 1
}

make_image() {
  local layout=$tmp/image bundle=$tmp/bundle-build f
  umoci init --layout "$layout"
  umoci new --image "$layout:v1"
  umoci unpack --image "$layout:v1" "$bundle" >/dev/null
  mkdir -p "$bundle/rootfs/base"
  for ((f = 0; f < 4; f++)); do
    head -c $((big_mib / 4))M /dev/urandom >"$bundle/rootfs/base/part$f.bin"
  done
  umoci repack --refresh-bundle --image "$layout:v1" "$bundle"
  echo "in the top layer" >"$bundle/rootfs/top.txt"
  umoci repack --refresh-bundle --image "$layout:v1" "$bundle"
  rm -rf --one-file-system "$bundle"
  skopeo --insecure-policy copy --quiet --dest-tls-verify=false "oci:$layout:v1" "docker://$registry/bench/app:v1"
  image=$registry/bench/app:v1
  # Another image of one small layer: each run's fresh daemon pulls and reads it first (not timed), as a
  # long-running service has its registry code loaded and compiled; it shares no blob with the image.
  umoci new --image "$layout:warm"
  umoci unpack --image "$layout:warm" "$bundle" >/dev/null
  echo "warm-up" >"$bundle/rootfs/warm.txt"
  umoci repack --refresh-bundle --image "$layout:warm" "$bundle"
  rm -rf --one-file-system "$bundle"
  skopeo --insecure-policy copy --quiet --dest-tls-verify=false "oci:$layout:warm" "docker://$registry/bench/warm:v1"
}

warm_up() {
  local id
  id=$(rc pull "$registry/bench/warm:v1")
  cat "$REFCACHE_MOUNTPOINT/refs/$id/warm.txt" >/dev/null
}

w_refcache_pull() {
  local t0 t1 t2 id
  t0=$EPOCHREALTIME
  id=$(rc pull "$image")
  [ "$(head -c 1 "$REFCACHE_MOUNTPOINT/refs/$id/top.txt")" = "i" ] || { echo "bench: wrong top.txt" >&2; exit 1; }
  t1=$EPOCHREALTIME
  cat "$REFCACHE_MOUNTPOINT/refs/$id"/base/* | wc -c >/dev/null
  t2=$EPOCHREALTIME
  rc ls >/dev/null
  local t3=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v r="$run" 'BEGIN {
    printf "pull to the first byte of a top-layer file\trefcache\t%s\t%.4f\n", r, b - a
    printf "then the rest (first read of every base file)\trefcache\t%s\t%.4f\n", r, c - b
    printf "for scale: one refcache CLI call (refcache ls; the pull is one)\trefcache\t%s\t%.4f\n", r, d - c
  }' >>"$tmp/results.tsv"
}

w_skopeo_umoci() {
  local t0 t1
  rm -rf --one-file-system "$tmp/copy" "$tmp/bundle"
  t0=$EPOCHREALTIME
  skopeo --insecure-policy copy --quiet --src-tls-verify=false "docker://$image" "oci:$tmp/copy:v1"
  umoci unpack --image "$tmp/copy:v1" "$tmp/bundle" >/dev/null
  [ "$(head -c 1 "$tmp/bundle/rootfs/top.txt")" = "i" ] || { echo "bench: wrong top.txt" >&2; exit 1; }
  t1=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" -v r="$run" 'BEGIN {
    printf "pull to the first byte of a top-layer file\tskopeo+umoci\t%s\t%.4f\n", r, b - a
  }' >>"$tmp/results.tsv"
}

pull_report() {
  awk -F'\t' -v runs="$runs" '
    function median(list,    a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function cell(w, s) { return (w SUBSEP s) in v ? sprintf("%.3f", median(v[w, s])) : "-" }
    !($1 in seen) { seen[$1] = 1; order[++n] = $1 }
    { v[$1, $2] = (($1, $2) in v ? v[$1, $2] " " : "") $4 }
    END {
      printf "| workload (median of %d runs, seconds) | refcache | skopeo copy + umoci unpack | refcache / skopeo+umoci |\n", runs
      print "|---|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        w = order[i]
        r = ((w SUBSEP "refcache") in v && (w SUBSEP "skopeo+umoci") in v) ? sprintf("%.3f", median(v[w, "refcache"]) / median(v[w, "skopeo+umoci"])) : "-"
        printf "| %s | %s | %s | %s |\n", w, cell(w, "refcache"), cell(w, "skopeo+umoci"), r
      }
      print ""
      print "Every run (seconds, in run order):"
      print ""
      for (i = 1; i <= n; i++) {
        w = order[i]
        printf "- %s: refcache %s; skopeo+umoci %s\n", w, v[w, "refcache"], v[w, "skopeo+umoci"]
      }
    }' "$tmp/results.tsv"
}

pull_bench() {
  runs=3
  small=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
      --small) small=1; shift ;;
      *) usage ;;
    esac
  done
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: this benchmark needs root (the daemon mounts; umoci unpack keeps owners)" >&2
    exit 1
  fi
  local t
  for t in docker-registry skopeo umoci curl; do
    command -v "$t" >/dev/null || { echo "bench: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
  done
  if [ "$small" = 1 ]; then big_mib=20; else big_mib=200; fi

  build_cli
  trap pull_cleanup EXIT
  trap 'exit 130' INT TERM
  tmp=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/refcache-bench.XXXXXX")
  echo "bench: data in $tmp" >&2
  export REFCACHE_ROOT=$tmp/rc/root REFCACHE_MOUNTPOINT=$tmp/rc/mnt REFCACHE_SOCKET=$tmp/rc/refcache.sock
  local load_before
  load_before=$(uptime)
  reg_start
  make_image
  echo "bench: image $image ($big_mib MiB base layer + a one-file top layer)" >&2

  for ((run = 1; run <= runs; run++)); do
    echo "bench: run $run of $runs" >&2
    rc_stop
    rm -rf --one-file-system "$tmp/rc"
    rc_start
    warm_up
    if ((run % 2)); then w_refcache_pull; w_skopeo_umoci; else w_skopeo_umoci; w_refcache_pull; fi
  done

  echo
  echo "refcache $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), $(skopeo --version), $(umoci --version), kernel $(uname -r), $(nproc) cores"
  echo "uptime before: $load_before"
  echo "uptime after:  $(uptime)"
  echo
  pull_report
  echo
  echo "The service's log of the last run (pull, each fetch with its size and time):"
  grep -E "pulled|fetched|fetching" "$tmp/daemon.log" | tail -n 6 | sed 's/^/    /'
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
    # The readers run in this JVM: a concurrent collector keeps the instrument's own pauses (G1's
    # young pauses reached 50-110 ms here) out of the latencies it measures.
    exec java --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -XX:+UseShenandoahGC -Xmx1g \
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
  export)
    export_bench "$@"
    ;;
  pull)
    pull_bench "$@"
    ;;
  *)
    usage
    ;;
esac
