#!/usr/bin/env bash
# Stops the node started by start.sh (npm run es:stop) and removes its data folder. Exit 0 when none runs.
set -euo pipefail

ES_WORK_DIR="${ES_WORK_DIR:-/tmp/lookalike-es}"
ES_STOP_TIMEOUT="${ES_STOP_TIMEOUT:-30}"
PID_FILE="$ES_WORK_DIR/es.pid"
DATA_REF="$ES_WORK_DIR/data-dir"
URL_REF="$ES_WORK_DIR/url"

say() { printf '[es:stop] %s\n' "$*"; }

[ -d "$ES_WORK_DIR" ] || { say "not running"; exit 0; }
if command -v flock >/dev/null; then
  exec 9>"$ES_WORK_DIR/.lock"
  flock -w 300 9 || { say "another es:start/es:stop holds $ES_WORK_DIR/.lock" >&2; exit 1; }
fi

pid=""
if [ -f "$PID_FILE" ]; then
  p="$(cat "$PID_FILE" 2>/dev/null || true)"
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'LocalNode'; then
    pid="$p"
  fi
fi

if [ -n "$pid" ]; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((ES_STOP_TIMEOUT * 4))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "no exit after ${ES_STOP_TIMEOUT} s, killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  say "stopped (pid $pid)"
else
  say "not running"
fi

if [ -f "$DATA_REF" ]; then
  d="$(cat "$DATA_REF")"
  case "$(basename "$d")" in lookalike-es-data.*) rm -rf -- "$d" ;; esac
fi
rm -f "$PID_FILE" "$DATA_REF" "$URL_REF"
