#!/usr/bin/env bash
# The MCP endpoint end to end with the official MCP Python SDK (clients/mcp-test/test_mcp.py):
# starts BINARY (default target/release/datatrain) on a free loopback port with a fresh SQLite
# store and the Chinook source, runs the client test against it, stops it. Builds nothing.
# Installs the SDK (clients/mcp-test/requirements.txt, pinned) into .tools/venv-mcp the first time.
#
#   scripts/test-mcp.sh [BINARY]        e.g. scripts/test-mcp.sh target/debug/datatrain
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/datatrain}
[ -x "$binary" ] || { echo "no executable $binary: build it first (cargo leptos build --release)" >&2; exit 2; }

venv=${MCP_TEST_VENV:-.tools/venv-mcp}
if ! "$venv/bin/python" -c "import mcp, sys; sys.exit(0 if __import__('importlib.metadata').metadata.version('mcp') == '2.3.0' else 1)" 2>/dev/null; then
  echo "--> installing the MCP Python SDK into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r clients/mcp-test/requirements.txt
fi

work=$(mktemp -d /tmp/datatrain-mcp.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:${port}"
mkdir -p "$work/sources"
cp tests/fixtures/sources/chinook.sqlite "$work/sources/"
DATATRAIN_ADDR="127.0.0.1:${port}" DATATRAIN_DATABASE_URL="sqlite://${work}/datatrain.db" \
  DATATRAIN_KEY_FILE="${work}/datatrain.key" DATATRAIN_SOURCES_DIR="${work}/sources" RUST_LOG=warn \
  "$binary" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 200); do
  python3 -c "import urllib.request; urllib.request.urlopen('$base/api/health', timeout=1)" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

status=0
"$venv/bin/python" clients/mcp-test/test_mcp.py --base "$base" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ---" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
