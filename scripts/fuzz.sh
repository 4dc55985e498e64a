#!/usr/bin/env bash
# Fuzzes one of the fuzz tests for a while (mvn verify only replays their seeds and past findings).
#   scripts/fuzz.sh tar|files|unpack|control [SECONDS]      (default 600 s)
# A finding is written next to the seeds (src/test/resources/.../<Test>Inputs/<method>/crash-*), so
# the next mvn verify replays it; the inputs that reached new code are kept in <module>/.cifuzz-corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  tar)     module=cache-core; test='LayerTarFuzzTest#readingEntriesGivesThemOrAnIoException' ;;
  files)   module=cache-core; test='LayerTarFuzzTest#listingFilesGivesNamesOrAnIoException' ;;
  unpack)  module=cache-core; test='LayerUnpackerFuzzTest' ;;
  control) module=fusefs;     test='ControlProtocolFuzzTest' ;;
  *) echo "usage: $0 tar|files|unpack|control [SECONDS]" >&2; exit 2 ;;
esac
seconds=${2:-600}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "$0: SECONDS must be a number, not $seconds" >&2; exit 2; }
export LC_ALL=C.UTF-8
# Jazzer fuzzes (instead of replaying) when JAZZER_FUZZ is set, one fuzz test per run; its own build
# directory keeps the run apart from other builds of this checkout.
export JAZZER_FUZZ=1
exec mvn -B -ntp verify -DtargetName=target-fuzz -pl "$module" -am -Dtest="$test" \
  -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration="${seconds}s"
