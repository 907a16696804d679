#!/usr/bin/env bash
# Starts one local Elasticsearch node for tests and development (npm run es:start).
# Jars come from Maven Central through Maven (cached in ~/.m2); see README.md beside this file.
#
#   ES_PORT=9200  ES_HEAP=1g  ES_WORK_DIR=/tmp/lookalike-es  ES_VERSION=9.5.3  ES_START_TIMEOUT=180
#   ES_JAVA_HOME=<jdk 21+; 17+ for 8.x>  ES_JAVA_OPTS="..."  extra node settings as arguments: key=value ...
#   ES_DATA_DIR=<folder kept across restarts, as a cluster node needs; default a fresh temporary one>
# ES_VERSION=8.x (e.g. 8.19.21) builds the node from v8/ instead: its own launcher and shim for the 8.x APIs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ES_VERSION="${ES_VERSION:-9.5.3}"
ES_PORT="${ES_PORT:-9200}"
ES_HEAP="${ES_HEAP:-1g}"
ES_WORK_DIR="${ES_WORK_DIR:-/tmp/lookalike-es}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-180}"
ES_CACHE_DIR="${ES_CACHE_DIR:-$ES_WORK_DIR/cache}"
case "$ES_VERSION" in
  8.*) SRC="$HERE/v8" MIN_JAVA=17 ;; # 8.x: launcher, shim and pom in v8/; Java 17 or newer
  *) SRC="$HERE" MIN_JAVA=21 ;;      # Elasticsearch 9.x needs Java 21 or newer
esac

PID_FILE="$ES_WORK_DIR/es.pid"
LOG_FILE="$ES_WORK_DIR/es.log"
DATA_REF="$ES_WORK_DIR/data-dir"
URL_REF="$ES_WORK_DIR/url"

say() { printf '[es:start] %s\n' "$*"; }
die() { printf '[es:start] ERROR: %s\n' "$*" >&2; exit 1; }

case "$ES_PORT" in '' | *[!0-9]*) die "ES_PORT must be a port number, got '$ES_PORT'" ;; esac
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
mkdir -p "$ES_WORK_DIR" "$ES_CACHE_DIR"

# One start/stop at a time (parallel test runners may all call es:start).
if command -v flock >/dev/null; then
  exec 9>"$ES_WORK_DIR/.lock"
  flock -w 300 9 || die "another es:start/es:stop holds $ES_WORK_DIR/.lock"
fi

# Our node: the pid in the pid file is alive and is this launcher.
node_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'LocalNode' || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Only the temporary folders this script made are removed; an ES_DATA_DIR belongs to the caller.
remove_data_dir() {
  if [ -f "$DATA_REF" ]; then
    local d
    d="$(cat "$DATA_REF")"
    case "$(basename "$d")" in lookalike-es-data.*) rm -rf -- "$d" ;; esac
    rm -f "$DATA_REF"
  fi
}

if pid="$(node_pid)"; then
  say "already running (pid $pid) at $(cat "$URL_REF" 2>/dev/null || echo "http://127.0.0.1:$ES_PORT")"
  exit 0
fi
# A pid file without a live node is left from a crash or a reboot: clear it.
rm -f "$PID_FILE" "$URL_REF"
remove_data_dir

if port_in_use "$ES_PORT"; then
  die "port $ES_PORT on 127.0.0.1 is already in use by another process; stop it or set ES_PORT"
fi

# ---- Java 21+ -------------------------------------------------------------------------------------
java_major() {
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  v="${v#1.}"
  echo "${v%%[.+-]*}"
}
find_java() {
  local c m
  for c in ${ES_JAVA_HOME:+"$ES_JAVA_HOME/bin/java"} ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" \
    $(ls -d /usr/lib/jvm/*/bin/java /opt/java/*/bin/java 2>/dev/null | sort -rV); do
    [ -n "$c" ] && [ -x "$c" ] || continue
    m="$(java_major "$c")"
    if [ -n "$m" ] && [ "$m" -ge "$MIN_JAVA" ] 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
if [ -n "${ES_JAVA_HOME:-}" ]; then
  m="$(java_major "$ES_JAVA_HOME/bin/java" 2>/dev/null || true)"
  [ -n "$m" ] && [ "$m" -ge "$MIN_JAVA" ] 2>/dev/null || die "ES_JAVA_HOME=$ES_JAVA_HOME is not a Java $MIN_JAVA+ JDK"
fi
JAVA="$(find_java)" || die "Elasticsearch $ES_VERSION needs Java $MIN_JAVA or newer; none found (set ES_JAVA_HOME)"
JAVA_BIN="$(dirname "$(readlink -f "$JAVA")")"
[ -x "$JAVA_BIN/javac" ] && [ -x "$JAVA_BIN/jar" ] || die "$JAVA_BIN is a JRE; a JDK (javac, jar) is needed"
JAVA_MAJOR="$(java_major "$JAVA")"

# ---- jars and launcher, cached per version + sources ------------------------------------------------
key="$( (echo "$ES_VERSION $JAVA_MAJOR"; cat "$HERE/pom.xml" "$SRC/pom.xml" "$SRC/LocalNode.java" "$HERE/start.sh"; find "$SRC/shim" -name '*.java' | sort | xargs cat) | sha256sum | cut -c1-12)"
CACHE="$ES_CACHE_DIR/$ES_VERSION-$key"

cache_ok() {
  [ -f "$CACHE/ready" ] || return 1
  local j
  for j in $(tr ':' ' ' <"$CACHE/server.cp"); do [ -f "$j" ] || return 1; done
}

build_cache() {
  command -v mvn >/dev/null || die "mvn (Maven) is needed to fetch the Elasticsearch jars"
  local t mvn_args j
  t="$(mktemp -d "$ES_CACHE_DIR/.build.XXXXXX")"
  mvn_args=(-B -q -Dstyle.color=never -f "$SRC/pom.xml" -Des.version="$ES_VERSION")
  say "resolving the Elasticsearch $ES_VERSION jars with Maven (the first run downloads ~70 MB from Maven Central into ~/.m2)"
  local t0=$SECONDS
  resolve() {
    mvn "${mvn_args[@]}" "$@" -Pserver dependency:build-classpath -Dmdep.outputFile="$t/server.cp" >"$t/mvn.log" 2>&1 &&
      mvn "${mvn_args[@]}" "$@" -Ptransport-netty4 dependency:build-classpath -Dmdep.outputFile="$t/netty.cp" >>"$t/mvn.log" 2>&1
  }
  # offline first: after the first run everything is in the local repository
  resolve -o || resolve ||
    { cat "$t/mvn.log" >&2; rm -rf "$t"; die "Maven could not resolve Elasticsearch $ES_VERSION"; }
  say "resolved in $((SECONDS - t0)) s"

  # transport-netty4 (HTTP + transport) is a module: its own folder with its descriptor and the jars
  # the server does not already have.
  local netty="$t/home/modules/transport-netty4" shim="$t/home/modules/lookalike-dev-shim"
  mkdir -p "$netty" "$shim" "$t/classes" "$t/shim-classes" "$t/x"
  for j in $(tr ':' ' ' <"$t/netty.cp"); do
    tr ':' '\n' <"$t/server.cp" | grep -qxF "$j" || cp "$j" "$netty/"
  done
  (cd "$t/x" && "$JAVA_BIN/jar" xf "$netty/transport-netty4-$ES_VERSION.jar" "META-INF/es-plugins/transport-netty4/plugin-descriptor.properties")
  mv "$t/x/META-INF/es-plugins/transport-netty4/plugin-descriptor.properties" "$netty/"

  local mp
  mp="$(cat "$t/server.cp")"
  "$JAVA_BIN/javac" -nowarn -d "$t/classes" --module-path "$mp" --add-modules ALL-MODULE-PATH "$SRC/LocalNode.java" ||
    die "could not compile LocalNode.java against Elasticsearch $ES_VERSION"
  # shellcheck disable=SC2046
  "$JAVA_BIN/javac" -nowarn -d "$t/shim-classes" --module-path "$mp" --add-modules ALL-MODULE-PATH \
    $(find "$SRC/shim" -name '*.java') 2>&1 | grep -v '^Note:' >&2 || true
  [ -f "$t/shim-classes/lookalike/esdev/DevShimPlugin.class" ] ||
    die "could not compile the dev shim (shim/) against Elasticsearch $ES_VERSION"
  "$JAVA_BIN/jar" cf "$shim/lookalike-dev-shim.jar" -C "$t/shim-classes" .
  cat >"$shim/plugin-descriptor.properties" <<EOF
name=lookalike-dev-shim
description=stand-ins for REST endpoints of modules not on Maven Central, for the local development node
version=1
classname=lookalike.esdev.DevShimPlugin
java.version=$MIN_JAVA
elasticsearch.version=$ES_VERSION
EOF
  rm -rf "$t/x" "$t/shim-classes"
  touch "$t/ready"
  # older builds (other versions or sources) are cheap to make again from ~/.m2: keep only this one
  find "$ES_CACHE_DIR" -mindepth 1 -maxdepth 1 -type d ! -name '.build.*' -exec rm -rf {} +
  mv "$t" "$CACHE"
}

# Cluster nodes share one cache and start together: one of them builds it, the others wait and reuse it.
exec 8>"$ES_CACHE_DIR/.build.lock"
command -v flock >/dev/null && flock -w 300 8
cache_ok || build_cache
exec 8>&-

# ---- start ------------------------------------------------------------------------------------------
to_mb() {
  local v="${1,,}"
  case "$v" in
    *g) echo $((${v%g} * 1024)) ;;
    *m) echo "${v%m}" ;;
    *) die "ES_HEAP must look like 1g or 768m, got '$1'" ;;
  esac
}
heap_mb="$(to_mb "$ES_HEAP")"
xms_mb=$((heap_mb < 512 ? heap_mb : 512))

if [ -n "${ES_DATA_DIR:-}" ]; then
  DATA_DIR="$ES_DATA_DIR"
  mkdir -p "$DATA_DIR"
else
  DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/lookalike-es-data.XXXXXX")"
fi
echo "$DATA_DIR" >"$DATA_REF"
mkdir -p "$DATA_DIR/tmp"

jvm_opts=(
  "-Xms${xms_mb}m" "-Xmx${heap_mb}m"
  -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow
  "-Des.path.home=$CACHE/home" "-Djava.io.tmpdir=$DATA_DIR/tmp" -Dfile.encoding=UTF-8 -Djava.locale.providers=CLDR
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
  --add-modules=jdk.incubator.vector
  --enable-native-access=ALL-UNNAMED,org.elasticsearch.nativeaccess,org.elasticsearch.foreign,org.apache.lucene.core
)
# shellcheck disable=SC2206
[ -n "${ES_JAVA_OPTS:-}" ] && jvm_opts+=($ES_JAVA_OPTS)

URL="http://127.0.0.1:$ES_PORT"
t0=$SECONDS
nohup "$JAVA" "${jvm_opts[@]}" \
  --module-path "$(cat "$CACHE/server.cp")" --add-modules ALL-MODULE-PATH -cp "$CACHE/classes" \
  LocalNode "$CACHE/home" "$DATA_DIR/data" "$ES_PORT" "$@" </dev/null >"$LOG_FILE" 2>&1 9>&- &
pid=$!
echo "$pid" >"$PID_FILE"
echo "$URL" >"$URL_REF"

give_up() {
  say "$1; last lines of $LOG_FILE:" >&2
  tail -n 60 "$LOG_FILE" >&2 || true
  kill "$pid" 2>/dev/null && sleep 2 && kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE" "$URL_REF"
  remove_data_dir
  exit 1
}
trap 'give_up "interrupted"' INT TERM

say "starting Elasticsearch $ES_VERSION (pid $pid, Java $JAVA_MAJOR, heap ${heap_mb}m, log $LOG_FILE)"
until curl -fsS -o /dev/null --max-time 5 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || give_up "the node exited during start"
  [ $((SECONDS - t0)) -lt "$ES_START_TIMEOUT" ] || give_up "not healthy after $ES_START_TIMEOUT s"
  sleep 0.5
done
trap - INT TERM
say "ready in $((SECONDS - t0)) s: $URL"
