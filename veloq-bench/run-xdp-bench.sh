#!/usr/bin/env bash
# The AF_XDP bench (root): 64-byte UDP echo on a veth pair, Veloq's AF_XDP reflector vs JDK NIO vs Netty
# epoll, one Veloq AF_XDP generator in the peer namespace. Options: --rounds N --warmup S --seconds S
# --window N --servers nio,netty-epoll,veloq-xdp,veloq-xdp-native
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/bench-env.sh"
bench_prepare run-xdp-bench io/veloq/bench/xdp/XdpBench.class "$here/target/bench-classpath.txt" runtime
exec "$java_cmd" "${jvm_opts[@]}" -cp "$classpath" io.veloq.bench.xdp.XdpBench "$@"
