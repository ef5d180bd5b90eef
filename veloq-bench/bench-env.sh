# Shared by run-bench.sh and run-jmh.sh (sourced, not run): picks the JDK, builds veloq-bench with the
# class path a runner needs, and sets the JVM flags every bench JVM gets.
#
#   bench_prepare NAME MARKER CP_FILE SCOPE   ->  sets java_cmd, major, classpath, jvm_opts
#
# NAME prefixes messages; MARKER is a file under target/classes that a finished build leaves; CP_FILE
# receives `mvn dependency:build-classpath` of SCOPE. Environment: JAVA (default $JAVA_HOME/bin/java,
# else java on PATH), MVN (default mvn), VELOQ_BENCH_REBUILD=1 (always rebuild).

bench_prepare() {
  local name=$1 marker=$2 cp_file=$3 scope=$4
  local here root mvn_cmd version_line version
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  root="$(cd "$here/.." && pwd)"
  mvn_cmd="${MVN:-mvn}"

  if [[ -n "${JAVA:-}" ]]; then
    java_cmd="$JAVA"
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    java_cmd="$JAVA_HOME/bin/java"
  else
    java_cmd="java"
  fi

  # JDK feature version: "17.0.15" -> 17, "25" -> 25, "1.8.0_x" -> 8
  version_line="$("$java_cmd" -version 2>&1 | head -n 1)"
  version="$(sed -E 's/.*version "([^"]*)".*/\1/' <<<"$version_line")"
  major="${version%%[.+-]*}"
  [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
  if ! [[ "$major" =~ ^[0-9]+$ ]] || (( major < 17 )); then
    echo "$name: needs Java 17 or newer, $java_cmd says: $version_line" >&2
    exit 2
  fi

  # Build when asked, when never built, or when sources of the bench or a module it depends on changed.
  if [[ "${VELOQ_BENCH_REBUILD:-0}" == 1 || ! -f "$here/target/classes/$marker" || ! -s "$cp_file" \
        || -n "$(find "$root"/*/src/main "$root"/*/pom.xml "$root/pom.xml" -newer "$cp_file" -print -quit 2>/dev/null)" ]]; then
    echo "$name: building veloq-bench ..." >&2
    # -am builds what the bench depends on; the relative outputFile is resolved per module, so the bench's
    # own class path lands in veloq-bench/target.
    # Maven 3.8's own Guava calls sun.misc.Unsafe, which JDK 24+ warns about: Maven's noise, not ours.
    local maven_opts=${MAVEN_OPTS:-}
    if (( major >= 24 )); then maven_opts="$maven_opts --sun-misc-unsafe-memory-access=allow"; fi
    (cd "$root" && MAVEN_OPTS="$maven_opts" "$mvn_cmd" -B -q -pl veloq-bench -am package dependency:build-classpath -DskipTests \
        -Dmdep.outputFile="target/$(basename "$cp_file")" -Dmdep.includeScope="$scope") 2>&1 \
        | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2  # Debian's Maven 3.8.7 prints colour resets even with -B
    touch "$cp_file" # the plugin leaves an unchanged file alone; mark this build as done
  fi
  classpath="$here/target/classes:$(cat "$cp_file")"

  jvm_opts=()
  if (( major >= 22 )); then
    # JDK 22+ warns (and later refuses) when class-path code loads native libraries without this flag.
    jvm_opts+=(--enable-native-access=ALL-UNNAMED)
  fi
}
