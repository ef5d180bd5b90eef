#!/usr/bin/env bash
# Runs the Veloq benchmark (io.veloq.bench.BenchMain) on the class path.
#
#   veloq-bench/run-bench.sh [--quick] [--servers nio,netty-epoll,netty-uring,veloq] [--out DIR] ...
#   veloq-bench/run-bench.sh --help
#
# Builds the module (and what it depends on) when its classes or class path file are missing or older than
# its sources, computes the class path with `mvn dependency:build-classpath`, and starts the JVM pinned to
# CPU 1 when taskset exists (BenchMain pins the servers to CPU 0). Output goes to target/bench relative to
# the current directory unless --out says otherwise.
#
# Environment: JAVA (java launcher; default $JAVA_HOME/bin/java, else java on PATH),
#              MVN (default mvn), VELOQ_BENCH_REBUILD=1 (always rebuild), BENCH_JVM_OPTS (extra JVM flags).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench-env.sh
source "$here/bench-env.sh"
bench_prepare run-bench io/veloq/bench/BenchMain.class "$here/target/bench-classpath.txt" runtime

jvm_opts+=(-Xms512m -Xmx512m -XX:+UseSerialGC)
# shellcheck disable=SC2206
jvm_opts+=(${BENCH_JVM_OPTS:-})

pin=()
if command -v taskset >/dev/null 2>&1 && [[ "$(nproc --all 2>/dev/null || echo 1)" -ge 2 ]]; then
  skip_pin=0
  for a in "$@"; do [[ "$a" == "--no-pin" ]] && skip_pin=1; done
  if [[ $skip_pin == 0 ]]; then
    pin=(taskset -c 1)
  fi
fi

exec "${pin[@]}" "$java_cmd" "${jvm_opts[@]}" -cp "$classpath" io.veloq.bench.BenchMain "$@"
