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
    mvn -B -q -DskipTests -pl cache-core -am install -Dmaven.install.skip=false >/dev/null
    mvn -B -q -pl cache-core test-compile >/dev/null
    cp=$(mvn -B -q -pl cache-core dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
    exec java --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -cp "cache-core/target/test-classes:cache-core/target/classes:$cp" org.openjdk.jmh.Main \
      'org.refcache.core.cache.RefManagerBenchmark' "$@"
    ;;
  *)
    echo "usage: scripts/bench.sh refs [JMH args...]" >&2
    exit 2
    ;;
esac
