#!/usr/bin/env bash
# Throughput and p99 latency of GET …/training/progress with 8, 16 and 64 concurrent keep-alive
# clients for 10 s each while one training runs, with the session and ownership checks on, and the
# server's memory meanwhile. Needs the release build (`cargo leptos build --release`) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

work=$(mktemp -d /tmp/datatrain-bench.XXXXXX)
port=${BENCH_PORT:-3400}
base="http://127.0.0.1:${port}"
mkdir -p "$work/sources"
cp tests/fixtures/sources/chinook.sqlite "$work/sources/"
DATATRAIN_ADDR="127.0.0.1:${port}" DATATRAIN_DATABASE_URL="sqlite://${work}/datatrain.db" \
  DATATRAIN_KEY_FILE="${work}/datatrain.key" DATATRAIN_SOURCES_DIR="${work}/sources" RUST_LOG=warn \
  ./target/release/datatrain >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "$base/api/health" >/dev/null 2>&1 && break; sleep 0.1; done

jar="$work/cookies"
curl -fsS -c "$jar" -b "$jar" -H 'content-type: application/json' -d '{"username":"bench","password":"train-Knowledge-42"}' "$base/api/auth/signup" >/dev/null
curl -fsS -c "$jar" -b "$jar" -H 'content-type: application/json' -d '{"username":"bench","password":"train-Knowledge-42"}' "$base/api/auth/login" >/dev/null
cookie=$(awk '$6 == "datatrain_session" {print $6"="$7}' "$jar")
id=$(curl -fsS -b "$jar" -H 'content-type: application/json' \
  -d '{"name":"bench","source_url":"sqlite://chinook.sqlite"}' "$base/api/datasets" | sed -E 's/.*"id":([0-9]+).*/\1/')
# A slow run (1 item a second) keeps training during the whole benchmark.
curl -fsS -b "$jar" -H 'content-type: application/json' -d '{"table_names":["Album","Artist","Customer","Employee","Genre","Invoice","InvoiceLine","MediaType","Playlist","PlaylistTrack","Track"],"max_items_per_sec":1}' \
  "$base/api/datasets/$id/training" >/dev/null
url="$base/api/datasets/$id/training/progress"
curl -fsS -b "$jar" "$url"; echo

echo "| clients | requests/s | p99 latency | non-2xx | server RSS |"
echo "|---|---|---|---|---|"
for c in 8 16 64; do
  out=$(wrk -t 2 -c "$c" -d 10s --latency -H "Cookie: $cookie" "$url")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  rss=$(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$server/status")
  echo "| $c | $rps | $p99 | ${errors:-0} | $rss |"
done
echo "status during the benchmark: $(curl -fsS -b "$jar" "$url")"
