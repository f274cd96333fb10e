#!/usr/bin/env bash
# Runs the Playwright suite against the release build, on a fresh temporary database.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/datatrain-e2e.XXXXXX)
port=${E2E_PORT:-3300}
export DATATRAIN_ADDR="127.0.0.1:${port}"
export DATATRAIN_DATABASE_URL="sqlite://${work}/datatrain.db"
export DATATRAIN_KEY_FILE="${work}/datatrain.key"
export DATATRAIN_SOURCES_DIR="${work}/sources"
export LEPTOS_SITE_ROOT=target/site
export RUST_LOG=${RUST_LOG:-info}
mkdir -p "${work}/sources"
cp -r tests/fixtures/sources/. "${work}/sources/" 2>/dev/null || true

./target/release/datatrain >"${work}/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "${status:-1}" != 0 ]; then
    echo "--- server log (${work}/server.log), last 40 lines ---"
    tail -n 40 "${work}/server.log" || true
  fi
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  if curl -fsS "http://${DATATRAIN_ADDR}/api/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "error: the server exited" >&2; status=1; exit 1; fi
  sleep 0.2
done

status=0
(cd end2end && BASE_URL="http://${DATATRAIN_ADDR}" E2E_SOURCES_DIR="${DATATRAIN_SOURCES_DIR}" npx playwright test "$@") || status=$?
exit $status
