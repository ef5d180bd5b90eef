#!/usr/bin/env bash
# Runs the zero-copy send benchmark (io.veloq.bench.ZeroCopyBench): copying against zero-copy sends over
# loopback TCP, per message size, interleaved, median of rounds; writes target/bench/zero-copy.md.
#
#   veloq-bench/run-zc.sh [--sizes 4096,65536,262144,1048576] [--seconds 2] [--rounds 3] [--in-flight 8]
#
# Sender (a Veloq loop) and receiver (a JDK thread) share this JVM, unpinned: the figure is the sender's CPU
# per KiB (process CPU less the receiver thread's), which stays comparable when the machine is busy.
# Environment: JAVA, MVN, VELOQ_BENCH_REBUILD=1, BENCH_JVM_OPTS as for run-bench.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench-env.sh
source "$here/bench-env.sh"
bench_prepare run-zc io/veloq/bench/ZeroCopyBench.class "$here/target/bench-classpath.txt" runtime

jvm_opts+=(-Xms512m -Xmx512m -XX:+UseSerialGC)
# shellcheck disable=SC2206
jvm_opts+=(${BENCH_JVM_OPTS:-})

exec "$java_cmd" "${jvm_opts[@]}" -cp "$classpath" io.veloq.bench.ZeroCopyBench "$@"
