#!/usr/bin/env bash
# A local cluster of 3 real Elasticsearch nodes (npm run es:cluster / es:cluster:stop), for the fault tests
# and benchmarks. Each node is start.sh's node with its own work folder, data folder, heap and ports; they
# find each other over the transport layer (discovery.seed_hosts) and elect a master among all three.
#
#   bash cluster.sh start            starts the nodes that are not running, waits for 3 nodes and green
#   bash cluster.sh stop             stops every node and deletes the cluster's data
#   bash cluster.sh urls             the HTTP addresses, comma-separated (what ELASTICSEARCH_URL takes)
#   bash cluster.sh kill <n>         SIGKILLs node n (1-3), as a crash would; its data stays
#   bash cluster.sh node-start <n>   starts node n again on its data and waits until it has joined
#   bash cluster.sh master           the number of the elected master node
#
#   ES_CLUSTER_DIR=/tmp/lookalike-es-cluster3  ES_CLUSTER_HTTP_PORT=9241 (9241-9243)
#   ES_CLUSTER_TRANSPORT_PORT=9341 (9341-9343)  ES_CLUSTER_HEAP=512m (per node)  ES_VERSION, ES_JAVA_HOME as start.sh
#   ES_CLUSTER_NAME=lookalike-cluster (a second cluster on the same machine, e.g. for benchmarks, takes its own
#   name, folder and ports, so the two never join)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${ES_CLUSTER_DIR:-/tmp/lookalike-es-cluster3}"
HTTP_PORT="${ES_CLUSTER_HTTP_PORT:-9241}"
TRANSPORT_PORT="${ES_CLUSTER_TRANSPORT_PORT:-9341}"
HEAP="${ES_CLUSTER_HEAP:-512m}"
NAME="${ES_CLUSTER_NAME:-lookalike-cluster}"
NODES=(1 2 3)

say() { printf '[es:cluster] %s\n' "$*"; }
die() { printf '[es:cluster] ERROR: %s\n' "$*" >&2; exit 1; }

http_port() { echo $((HTTP_PORT + $1 - 1)); }
url() { echo "http://127.0.0.1:$(http_port "$1")"; }
urls() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("$(url "$n")"); done
  (IFS=,; echo "${out[*]}")
}
check_node() { case "${1:-}" in 1 | 2 | 3) ;; *) die "node must be 1, 2 or 3, got '${1:-}'" ;; esac; }

# start.sh runs each node; these variables make it node n of this cluster.
node_env() {
  local n="$1"
  echo "ES_WORK_DIR=$DIR/node-$n" "ES_DATA_DIR=$DIR/node-$n/data" "ES_CACHE_DIR=$DIR/cache" \
    "ES_PORT=$(http_port "$n")" "ES_HEAP=$HEAP"
}
node_settings() {
  local n="$1" m seeds=() names=()
  for m in "${NODES[@]}"; do
    seeds+=("127.0.0.1:$((TRANSPORT_PORT + m - 1))")
    names+=("es-$m")
  done
  # initial_master_nodes only matters for the very first election; a restarted node reads its data instead.
  echo "cluster.name=$NAME" "node.name=es-$n" "discovery.type=multi-node" \
    "transport.port=$((TRANSPORT_PORT + n - 1))" \
    "discovery.seed_hosts=$(IFS=,; echo "${seeds[*]}")" \
    "cluster.initial_master_nodes=$(IFS=,; echo "${names[*]}")"
}
start_node() {
  local n="$1"
  mkdir -p "$DIR/node-$n"
  # shellcheck disable=SC2046
  env $(node_env "$n") bash "$HERE/start.sh" $(node_settings "$n") 2>&1 | sed "s/^/[node $n] /"
}
node_pid() {
  local f="$DIR/node-$1/es.pid" p
  [ -f "$f" ] || return 1
  p="$(cat "$f")"
  kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q LocalNode || return 1
  echo "$p"
}

# Waits until every node answers, the cluster counts all of them and its indices are green.
wait_cluster() {
  local n t0=$SECONDS timeout="${ES_START_TIMEOUT:-180}"
  until curl -fsS -o /dev/null --max-time 5 \
    "$(url 1)/_cluster/health?wait_for_nodes=${#NODES[@]}&wait_for_status=green&timeout=2s" 2>/dev/null; do
    [ $((SECONDS - t0)) -lt "$timeout" ] || die "the cluster did not reach ${#NODES[@]} nodes and green in $timeout s"
    sleep 0.5
  done
}

cmd="${1:-start}"
case "$cmd" in
  start)
    mkdir -p "$DIR"
    pids=()
    for n in "${NODES[@]}"; do
      # together: the first election waits for a majority of the three
      start_node "$n" &
      pids+=($!)
    done
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    [ "$failed" = 0 ] || die "a node did not start (logs: $DIR/node-*/es.log)"
    wait_cluster
    say "3 nodes, green: $(urls)"
    ;;
  stop)
    for n in "${NODES[@]}"; do
      [ -d "$DIR/node-$n" ] && ES_WORK_DIR="$DIR/node-$n" bash "$HERE/stop.sh" | sed "s/^/[node $n] /"
    done
    rm -rf -- "$DIR"/node-*/data
    say "stopped; data removed"
    ;;
  urls) urls ;;
  kill)
    check_node "${2:-}"
    pid="$(node_pid "$2")" || die "node $2 is not running"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    say "node $2 killed (pid $pid)"
    ;;
  node-start)
    check_node "${2:-}"
    start_node "$2"
    ;;
  master)
    name="$(curl -fsS --max-time 5 "$(url "${2:-1}")/_cat/master?h=node")"
    echo "${name#es-}"
    ;;
  *) die "unknown command '$cmd' (start, stop, urls, kill <n>, node-start <n>, master)" ;;
esac
