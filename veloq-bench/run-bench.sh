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
root="$(cd "$here/.." && pwd)"
mvn_cmd="${MVN:-mvn}"
cp_file="$here/target/bench-classpath.txt"

if [[ -n "${JAVA:-}" ]]; then
  java_cmd="$JAVA"
elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  java_cmd="$JAVA_HOME/bin/java"
else
  java_cmd="java"
fi

needs_build=0
if [[ "${VELOQ_BENCH_REBUILD:-0}" == 1 || ! -f "$here/target/classes/io/veloq/bench/BenchMain.class" || ! -s "$cp_file" ]]; then
  needs_build=1
elif [[ -n "$(find "$root"/*/src/main "$root"/*/pom.xml "$root/pom.xml" -newer "$cp_file" -print -quit 2>/dev/null)" ]]; then
  # sources of the bench or of a module it may depend on changed since the last build
  needs_build=1
fi
if [[ $needs_build == 1 ]]; then
  echo "run-bench: building veloq-bench ..." >&2
  # -am builds what the bench depends on; the relative outputFile is resolved per module, so the bench's
  # own class path lands in veloq-bench/target.
  (cd "$root" && "$mvn_cmd" -B -q -pl veloq-bench -am package dependency:build-classpath -DskipTests \
      -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime) 2>&1 \
      | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2  # Debian's Maven 3.8.7 prints colour resets even with -B
  touch "$cp_file" # the plugin leaves an unchanged file alone; mark this build as done
fi

# JDK feature version: "17.0.15" -> 17, "25" -> 25, "1.8.0_x" -> 8
version_line="$("$java_cmd" -version 2>&1 | head -n 1)"
version="$(sed -E 's/.*version "([^"]*)".*/\1/' <<<"$version_line")"
major="${version%%[.+-]*}"
if [[ "$major" == 1 ]]; then
  major="$(cut -d. -f2 <<<"$version")"
fi
if ! [[ "$major" =~ ^[0-9]+$ ]]; then
  echo "run-bench: cannot tell the Java version from: $version_line" >&2
  exit 2
fi
if (( major < 17 )); then
  echo "run-bench: needs Java 17 or newer, $java_cmd is $version" >&2
  exit 2
fi

jvm_opts=(-Xms512m -Xmx512m -XX:+UseSerialGC)
if (( major >= 22 )); then
  # JDK 22+ warns (and later refuses) when class-path code loads native libraries without this flag.
  jvm_opts+=(--enable-native-access=ALL-UNNAMED)
fi
# shellcheck disable=SC2206
jvm_opts+=(${BENCH_JVM_OPTS:-})

classpath="$here/target/classes:$(cat "$cp_file")"

pin=()
if command -v taskset >/dev/null 2>&1 && [[ "$(nproc --all 2>/dev/null || echo 1)" -ge 2 ]]; then
  skip_pin=0
  for a in "$@"; do [[ "$a" == "--no-pin" ]] && skip_pin=1; done
  if [[ $skip_pin == 0 ]]; then
    pin=(taskset -c 1)
  fi
fi

exec "${pin[@]}" "$java_cmd" "${jvm_opts[@]}" -cp "$classpath" io.veloq.bench.BenchMain "$@"
