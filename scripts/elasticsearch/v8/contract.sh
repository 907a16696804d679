#!/usr/bin/env bash
# Runs the store contract suite (test/store) against a real Elasticsearch 8.x node: starts one on its own
# port and work folder (never the shared 9.x node on 9200), runs `npx vitest run test/store`, stops the
# node again and exits with the tests' exit code. A node that was already up there is used and left up.
#
#   ES8_VERSION=8.19.21  ES8_PORT=9280  ES8_WORK_DIR=/tmp/lookalike-es8   (ES_HEAP, ES_JAVA_HOME as for start.sh)
#   bash scripts/elasticsearch/v8/contract.sh [more vitest arguments, e.g. -t 'reindex']
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
export ES_VERSION="${ES8_VERSION:-8.19.21}" ES_PORT="${ES8_PORT:-9280}" ES_WORK_DIR="${ES8_WORK_DIR:-/tmp/lookalike-es8}"
case "$ES_VERSION" in 8.*) ;; *) echo "[es8:contract] ES8_VERSION must be an 8.x version, got '$ES_VERSION'" >&2; exit 2 ;; esac
URL="http://127.0.0.1:$ES_PORT"

if curl -fsS -o /dev/null --max-time 3 "$URL/" 2>/dev/null; then
  echo "[es8:contract] using the node already at $URL; it stays up"
else
  trap 'bash "$HERE/../stop.sh"' EXIT
  bash "$HERE/../start.sh"
fi
version="$(curl -fsS --max-time 5 "$URL/" | sed -n 's/.*"number":"\([^"]*\)".*/\1/p')"
case "$version" in
  8.*) echo "[es8:contract] Elasticsearch $version at $URL" ;;
  *) echo "[es8:contract] $URL answers as Elasticsearch '$version', not 8.x" >&2; exit 1 ;;
esac

cd "$ROOT"
status=0
ELASTICSEARCH_URL="$URL" npx vitest run test/store "$@" || status=$?
exit "$status"
