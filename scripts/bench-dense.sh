#!/usr/bin/env bash
# The retrieval benchmark with dense retrieval on: starts the local embeddings server
# (scripts/embeddings-server.sh), runs `cargo bench --bench retrieval` against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${DT_EMBEDDINGS_PORT:-8088}
scripts/embeddings-server.sh --port "$PORT" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"input":["ready?"]}' "http://127.0.0.1:$PORT/v1/embeddings" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server" 2>/dev/null; then echo "error: the embeddings server stopped" >&2; exit 1; fi
  sleep 0.5
done
DATATRAIN_EMBEDDINGS_URL="http://127.0.0.1:$PORT/v1" DATATRAIN_EMBEDDINGS_MODEL=all-MiniLM-L6-v2 \
  cargo bench --features ssr --bench retrieval
