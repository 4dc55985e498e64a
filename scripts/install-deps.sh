#!/usr/bin/env bash
# Installs the system packages refcache and its tests need, only when they are missing.
# Idempotent and quiet when everything is present. Needs root (or sudo) to install.
set -euo pipefail

# package -> a file that proves it is installed
declare -A wanted=(
  # fuse3 provides fusermount (Debian's fuse v2 package conflicts with fuse3, which fuse-overlayfs needs);
  # libfuse2 is the library jnr-fuse binds.
  [fuse3]=/usr/bin/fusermount3
  [libfuse2]=/usr/lib/x86_64-linux-gnu/libfuse.so.2
  [fuse-overlayfs]=/usr/bin/fuse-overlayfs
  [docker-registry]=/usr/bin/docker-registry
  # The registry client's interoperability tests push and read images with skopeo.
  [skopeo]=/usr/bin/skopeo
  [attr]=/usr/bin/getfattr
  # Tools no one here wrote that read and write OCI image layouts (interop tests of core.oci).
  [skopeo]=/usr/bin/skopeo
  [umoci]=/usr/bin/umoci
  [maven]=/usr/bin/mvn
  # Debian's maven pulls in only a JRE; the build needs javac.
  [openjdk-17-jdk-headless]=/usr/lib/jvm/java-17-openjdk-amd64/bin/javac
)

missing=()
for pkg in "${!wanted[@]}"; do
  if [ ! -e "${wanted[$pkg]}" ] && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# The FUSE device and the fuse module must be usable for the integration tests.
if [ ! -e /dev/fuse ]; then
  modprobe fuse 2>/dev/null || true
fi
# FUSE over io_uring (Linux 6.14+) is off until root turns the module parameter on; the tests of
# that transport (FuseOverIoUringTest, REFCACHE_TEST_URING=1) need it. Mounts that do not ask for
# it are not affected.
if [ -w /sys/module/fuse/parameters/enable_uring ]; then
  echo 1 > /sys/module/fuse/parameters/enable_uring || true
fi
