#!/usr/bin/env bash
# The MCP endpoint end to end with the official MCP Python SDK (clients/mcp-test/test_mcp.py):
# starts BINARY (default target/release/datatrain) on a free loopback port with a fresh SQLite
# store and the Chinook source, runs the client test against it, stops it. Builds nothing.
# Installs the SDK (clients/mcp-test/requirements.txt, pinned) into .tools/venv-mcp the first time.
#
#   scripts/test-mcp.sh [BINARY]        e.g. scripts/test-mcp.sh target/debug/datatrain
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-serve.sh
DT_BIN=${1:-target/release/datatrain}

venv=${MCP_TEST_VENV:-.tools/venv-mcp}
if ! "$venv/bin/python" -c "import mcp, sys; sys.exit(0 if __import__('importlib.metadata').metadata.version('mcp') == '2.3.0' else 1)" 2>/dev/null; then
  echo "--> installing the MCP Python SDK into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r clients/mcp-test/requirements.txt
fi

start_datatrain
base=$DT_URL

"$venv/bin/python" clients/mcp-test/test_mcp.py --base "$base"
