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
# shellcheck source=bench-env.sh
source "$here/bench-env.sh"
bench_prepare run-jmh META-INF/BenchmarkList "$here/target/jmh-classpath.txt" test
# shellcheck disable=SC2206
jvm_opts+=(${JMH_JVM_OPTS:-})

exec "$java_cmd" "${jvm_opts[@]}" -cp "$classpath" org.openjdk.jmh.Main "$@"
