#!/usr/bin/env bash
# Runs the NIO.2 benchmark (io.veloq.bench.nio2.Nio2Bench): Tomcat's NIO2 connector on the JDK's provider
# and on Veloq's, Tomcat's NIO connector, under wrk; SSHD scp on both providers. Same run, interleaved.
#
#   veloq-bench/run-nio2-bench.sh [--rounds 3] [--seconds 10] [--warmup 5] [--connections 64] [--scp-mib 256] [--out DIR]
#
# Needs wrk and openssh-client (.ci/run installs both). Servers are pinned to CPU 0, clients to CPU 1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench-env.sh
source "$here/bench-env.sh"
bench_prepare run-nio2-bench io/veloq/bench/nio2/Nio2Bench.class "$here/target/bench-classpath.txt" runtime

exec "$java_cmd" "${jvm_opts[@]}" -Xms256m -Xmx256m -cp "$classpath" io.veloq.bench.nio2.Nio2Bench "$@"
