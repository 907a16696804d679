#!/usr/bin/env bash
# Checks a running node (start.sh) for what lookalike needs: dense_vector with int8_hnsw and bbq_hnsw,
# _bulk, top-level knn with a filter, a point-in-time read with vectors, force merge and an atomic alias swap.
# Usage: bash scripts/elasticsearch/smoke.sh [url]   (default http://127.0.0.1:${ES_PORT:-9200})
# Creates indices named smoke-lookalike-<pid>-* and deletes them at the end. Exits non-zero on the first failed check.
set -euo pipefail

URL="${1:-http://127.0.0.1:${ES_PORT:-9200}}"
P="smoke-lookalike-$$"
pass=0
fail=0

req() { # method path [body] -> prints the response body; fails on HTTP >= 400
  local method="$1" path="$2" body="${3:-}" ctype="application/json"
  [[ "$path" == *_bulk* ]] && ctype="application/x-ndjson"
  if [ -n "$body" ]; then
    curl -sS --fail-with-body -X "$method" "$URL$path" -H "Content-Type: $ctype" --data-binary "$body"
  else
    curl -sS --fail-with-body -X "$method" "$URL$path"
  fi
}
check() { # name, expected substring, actual
  if [[ "$3" == *"$2"* ]]; then
    pass=$((pass + 1))
    echo "ok   $1"
  else
    fail=$((fail + 1))
    echo "FAIL $1: expected '$2' in: ${3:0:400}"
  fi
}
# wildcard deletes are refused (action.destructive_requires_name defaults to true): name each index
cleanup() { curl -s -o /dev/null -X DELETE "$URL/$P-int8,$P-bbq,$P-int8-v2?ignore_unavailable=true" || true; }
trap cleanup EXIT

vec() { # dims seed -> JSON array
  awk -v n="$1" -v s="$2" 'BEGIN { srand(s); printf "["; for (i = 0; i < n; i++) printf "%s%.4f", (i ? "," : ""), rand() * 2 - 1; printf "]" }'
}

check "root info (GET /)" '"tagline"' "$(req GET /)"

int8_index='{
  "settings": {"number_of_shards": 1, "number_of_replicas": 0},
  "mappings": {"properties": {
    "tenant": {"type": "keyword"},
    "image_embedding": {"type": "dense_vector", "dims": 4, "index": true, "similarity": "cosine",
                        "index_options": {"type": "int8_hnsw"}}}}}'
check "int8_hnsw index" '"acknowledged":true' "$(req PUT "/$P-int8" "$int8_index")"
check "bbq_hnsw index (dims 64)" '"acknowledged":true' "$(req PUT "/$P-bbq" '{
  "settings": {"number_of_shards": 1, "number_of_replicas": 0},
  "mappings": {"properties": {
    "tenant": {"type": "keyword"},
    "image_embedding": {"type": "dense_vector", "dims": 64, "index": true, "similarity": "cosine",
                        "index_options": {"type": "bbq_hnsw"}}}}}')"
check "bbq_hnsw mapping kept" '"bbq_hnsw"' "$(req GET "/$P-bbq/_mapping")"

bulk=""
for i in 1 2 3 4 5 6; do
  t=a
  [ $((i % 2)) -eq 0 ] && t=b
  bulk+="{\"index\":{\"_index\":\"$P-int8\",\"_id\":\"$i\"}}"$'\n'"{\"tenant\":\"$t\",\"image_embedding\":$(vec 4 "$i")}"$'\n'
  bulk+="{\"index\":{\"_index\":\"$P-bbq\",\"_id\":\"$i\"}}"$'\n'"{\"tenant\":\"$t\",\"image_embedding\":$(vec 64 "$i")}"$'\n'
done
check "_bulk" '"errors":false' "$(req POST "/_bulk?refresh=true" "$bulk")"

knn() { # index dims
  req POST "/$1/_search" "{\"knn\": {\"field\": \"image_embedding\", \"query_vector\": $(vec "$2" 99), \"k\": 2,
    \"num_candidates\": 10, \"filter\": {\"term\": {\"tenant\": \"a\"}}}, \"_source\": [\"tenant\"]}"
}
r="$(knn "$P-int8" 4)"
check "knn + filter on int8_hnsw (2 hits)" '"total":{"value":2' "$r"
[[ "$r" != *'"tenant":"b"'* ]] && check "knn filter keeps tenant b out (int8)" x x || check "knn filter keeps tenant b out (int8)" no-b "$r"
r="$(knn "$P-bbq" 64)"
check "knn + filter on bbq_hnsw (2 hits)" '"total":{"value":2' "$r"
[[ "$r" != *'"tenant":"b"'* ]] && check "knn filter keeps tenant b out (bbq)" x x || check "knn filter keeps tenant b out (bbq)" no-b "$r"

check "alias add" '"acknowledged":true' "$(req POST /_aliases "{\"actions\":[{\"add\":{\"index\":\"$P-int8\",\"alias\":\"$P-live\"}}]}")"
# A rebuild: a new index behind its own alias (the body is int8_index with "aliases" added before its last
# brace), filled by reading the old one page by page over a point in time.
check "new index for the copy, with its rebuild alias" '"acknowledged":true' "$(req PUT "/$P-int8-v2" "${int8_index%\}}, \"aliases\": {\"$P-int8-v2-rebuilding\": {}}}")"
pit="$(req POST "/$P-int8/_pit?keep_alive=1m")"
check "open a point in time" '"id":"' "$pit"
pit_id="$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$pit")"
page="$(req POST /_search "{\"pit\":{\"id\":\"$pit_id\",\"keep_alive\":\"1m\"},\"size\":4,\"sort\":[\"_shard_doc\"],\"_source\":{\"exclude_vectors\":false},\"track_total_hits\":false}")"
check "page over the point in time, vectors included" '"image_embedding":[' "$page"
after="$(grep -o '"sort":\[[0-9]*\]' <<<"$page" | tail -n1 | sed 's/"sort"://')"
check "search_after the last _shard_doc" '"_id":"' "$(req POST /_search "{\"pit\":{\"id\":\"$pit_id\"},\"size\":4,\"sort\":[\"_shard_doc\"],\"search_after\":$after,\"_source\":false,\"track_total_hits\":false}")"
check "close the point in time" '"succeeded":true' "$(req DELETE /_pit "{\"id\":\"$pit_id\"}")"
copy=""
for i in 1 2 3 4 5 6; do
  copy+="{\"index\":{\"_index\":\"$P-int8-v2-rebuilding\",\"_id\":\"$i\"}}"$'\n'"{\"tenant\":\"a\",\"image_embedding\":$(vec 4 "$i")}"$'\n'
done
check "_bulk through the rebuild alias (require_alias)" '"errors":false' "$(req POST "/_bulk?require_alias=true" "$copy")"
check "force merge to one segment" '"failed":0' "$(req POST "/$P-int8-v2/_forcemerge?max_num_segments=1")"
req POST "/$P-int8-v2/_refresh" >/dev/null
check "one segment left" '[segments: 1]' "[segments: $(req GET "/_cat/segments/$P-int8-v2?h=segment" | wc -l | tr -d ' ')]"
check "atomic alias swap, rebuild alias removed" '"acknowledged":true' "$(req POST /_aliases "{\"actions\":[{\"remove\":{\"index\":\"$P-int8\",\"alias\":\"$P-live\",\"must_exist\":true}},{\"add\":{\"index\":\"$P-int8-v2\",\"alias\":\"$P-live\"}},{\"remove\":{\"index\":\"$P-int8-v2\",\"alias\":\"$P-int8-v2-rebuilding\",\"must_exist\":true}}]}")"
check "alias points at the new index" "\"$P-int8-v2\"" "$(req GET "/_alias/$P-live")"
check "count through the alias" '"count":6' "$(req GET "/$P-live/_count")"
check "knn through the alias on the merged copy" '"total":{"value":2' "$(knn "$P-live" 4)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
