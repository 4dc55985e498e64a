#!/usr/bin/env bash
# Benchmarks. Performance is measured here, never by timed tests.
#   scripts/bench.sh refs [JMH args...]   in-process ref manager benchmarks (JMH): create+commit+release,
#                                         get among 100 000 records
set -euo pipefail
cd "$(dirname "$0")/.."
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
      -Dlogback.configurationFile=config/logback-test.xml -Drefcache.testLogDir=cache-core/target-bench \
      -cp "$cp" org.openjdk.jmh.Main 'org.refcache.core.cache.RefManagerBenchmark' "$@"
    ;;
  *)
    echo "usage: scripts/bench.sh refs [JMH args...]" >&2
    exit 2
    ;;
esac
