#!/usr/bin/env bash
# The single test command: installs what is missing, then builds and runs every test of every module.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The locale the service runs in (scripts/refcache): java.nio.file paths in UTF-8.
export LC_ALL=C.UTF-8
# A stale FUSE mount from an aborted earlier run would break the mount tests: clear ours.
awk '$3 ~ /^fuse/ && $2 ~ /refcache-test/ {print $2}' /proc/mounts | while read -r m; do
  fusermount -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
done
exec mvn -B -ntp verify "$@"
