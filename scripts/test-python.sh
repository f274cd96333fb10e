#!/usr/bin/env bash
# The Python client and its Vanna adapters (clients/python) against the release
# binary: Vanna 2.0.2 from PyPI in a venv, a trained Chinook dataset, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-serve.sh

venv=.tools/venv-python
if [ ! -x "$venv/bin/pytest" ] || ! "$venv/bin/python" -c 'import vanna' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "vanna==2.0.2" "pytest==8.3.4"
fi
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./clients/python

start_datatrain "${PYTHON_TEST_PORT:-3320}"
DATATRAIN_URL=$DT_URL
DATATRAIN_TOKEN=$(dt_token vanna train)
DATATRAIN_READ_TOKEN=$(dt_token vanna read)
DATATRAIN_DATASET=$(dt_train_chinook "$DATATRAIN_TOKEN")
export DATATRAIN_URL DATATRAIN_TOKEN DATATRAIN_READ_TOKEN DATATRAIN_DATASET
"$venv/bin/pytest" -q -p no:cacheprovider clients/python/tests
