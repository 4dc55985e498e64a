#!/usr/bin/env bash
# The single test command: installs what is missing, then builds and runs every test of every module.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# A stale FUSE mount from an aborted earlier run would break the mount tests: clear ours.
awk '$3 ~ /^fuse/ && $2 ~ /refcache-test/ {print $2}' /proc/mounts | while read -r m; do
  fusermount -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
done
exec mvn -B -ntp verify "$@"
