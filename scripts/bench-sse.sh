#!/usr/bin/env bash
# 500 concurrent server-sent-event streams on one training dataset (release
# binary, SQLite store): the server's memory before and with the streams open,
# and each log event's latency from its write to its arrival (p50/p99).
# Usage: scripts/bench-sse.sh [STREAMS]   (make bench runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-serve.sh
streams=${1:-500}
ulimit -n 65536 2>/dev/null || ulimit -n 4096 || true
start_datatrain
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$DT_PID/status"; }
token=$(dt_token bench train)
auth="authorization: Bearer $token"
id=$(curl -fsS -H "$auth" -H 'content-type: application/json' \
  -d '{"name":"sse","source_url":"sqlite://chinook.sqlite"}' "${DT_URL}/api/datasets" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
before=$(rss_mb)
port=${DT_URL##*:}
fifo="${DT_WORK}/client.out"
python3 scripts/bench-sse.py 127.0.0.1 "$port" "$token" "$id" "$streams" >"$fifo" &
client=$!
for _ in $(seq 1 600); do grep -q opened "$fifo" 2>/dev/null && break; sleep 0.1; done
open=$(rss_mb)
# 20 items a second: a run of a few seconds with a log line per stage.
curl -fsS -o /dev/null -H "$auth" -H 'content-type: application/json' \
  -d '{"table_names":["Artist","Album","Track","Genre","MediaType","Customer","Employee","Invoice","InvoiceLine","Playlist","PlaylistTrack"],"max_items_per_sec":20}' \
  "${DT_URL}/api/datasets/${id}/training"
wait "$client"
peak=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$DT_PID/status")
result=$(tail -n 1 "$fifo")
echo "sse: ${streams} streams; server RSS ${before} MB before, ${open} MB with them open, peak ${peak} MB; ${result}"
