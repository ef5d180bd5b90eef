#!/usr/bin/env bash
# Runs the JMH microbenchmarks of veloq-bench (io.veloq.bench.jmh) on the class path.
#
#   veloq-bench/run-jmh.sh                                   # every benchmark, JMH's defaults from the annotations
#   veloq-bench/run-jmh.sh NopBenchmark -prof gc -f 1 -wi 2 -i 3
#   veloq-bench/run-jmh.sh -l                                # list them; -h: JMH's own help
#
# Builds the module (and what it depends on) when its classes or class path file are missing or older than
# the sources, with the test-scope class path: the fake driver (veloq-testkit) is a test dependency that
# only the microbenchmarks use. Arguments go to org.openjdk.jmh.Main unchanged; forked JVMs inherit this
# JVM's flags (so --enable-native-access reaches them on JDK 22+).
#
# Environment: JAVA (java launcher; default $JAVA_HOME/bin/java, else java on PATH), MVN (default mvn),
#              VELOQ_BENCH_REBUILD=1 (always rebuild), JMH_JVM_OPTS (extra flags for the JMH JVM and its forks).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
mvn_cmd="${MVN:-mvn}"
cp_file="$here/target/jmh-classpath.txt"

if [[ -n "${JAVA:-}" ]]; then
  java_cmd="$JAVA"
elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  java_cmd="$JAVA_HOME/bin/java"
else
  java_cmd="java"
fi

needs_build=0
if [[ "${VELOQ_BENCH_REBUILD:-0}" == 1 || ! -f "$here/target/classes/META-INF/BenchmarkList" || ! -s "$cp_file" ]]; then
  needs_build=1
elif [[ -n "$(find "$root"/*/src/main "$root"/*/pom.xml "$root/pom.xml" -newer "$cp_file" -print -quit 2>/dev/null)" ]]; then
  needs_build=1
fi
if [[ $needs_build == 1 ]]; then
  echo "run-jmh: building veloq-bench ..." >&2
  (cd "$root" && "$mvn_cmd" -B -q -pl veloq-bench -am package dependency:build-classpath -DskipTests \
      -Dmdep.outputFile=target/jmh-classpath.txt -Dmdep.includeScope=test) 2>&1 \
      | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2  # Debian's Maven 3.8.7 prints colour resets even with -B
  touch "$cp_file"
fi

version_line="$("$java_cmd" -version 2>&1 | head -n 1)"
version="$(sed -E 's/.*version "([^"]*)".*/\1/' <<<"$version_line")"
major="${version%%[.+-]*}"
[[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
if ! [[ "$major" =~ ^[0-9]+$ ]] || (( major < 17 )); then
  echo "run-jmh: needs Java 17 or newer, $java_cmd says: $version_line" >&2
  exit 2
fi
jvm_opts=()
if (( major >= 22 )); then
  jvm_opts+=(--enable-native-access=ALL-UNNAMED)
fi
# shellcheck disable=SC2206
jvm_opts+=(${JMH_JVM_OPTS:-})

exec "$java_cmd" "${jvm_opts[@]}" -cp "$here/target/classes:$(cat "$cp_file")" org.openjdk.jmh.Main "$@"
