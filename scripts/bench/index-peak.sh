#!/usr/bin/env bash
# Peak RSS of `lookalike index` as users run it (one process, configured by environment), OCR on and off, with
# glibc's defaults and with the malloc settings of scripts/deploy/lookalike.service.
#   bash scripts/bench/index-peak.sh <model dir> <folder of photos>
set -euo pipefail
cd "$(dirname "$0")/../.."
model="$1" photos="$2"
for ocr in true false; do
  for malloc in default service; do
    data="$(mktemp -d)"
    settings=(LOOKALIKE_MODEL_DIR="$model" LOOKALIKE_DATA_DIR="$data" LOOKALIKE_STORE=embedded LOOKALIKE_OCR="$ocr" ELASTICSEARCH_URL=)
    [ "$malloc" = service ] && settings+=(MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=131072)
    env "${settings[@]}" /usr/bin/time -f %M -o "$data/peak" node bin/lookalike.js index "$photos" >"$data/out" 2>&1
    printf '| %s | %s | %d | %s | %s |\n' "$ocr" "$malloc" $(($(tail -1 "$data/peak") / 1024)) \
      "$(cut -d' ' -f1 /proc/loadavg)" "$(tail -1 "$data/out" | sed 's/^ *//')"
    rm -rf "$data"
  done
done
