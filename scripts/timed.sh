#!/usr/bin/env bash
# Runs a command and prints how long it took, so a slow phase of `make test` is visible.
set -euo pipefail
name=$1; shift
start=$(date +%s)
echo "==> ${name}"
"$@"
echo "==> ${name}: $(( $(date +%s) - start )) s"
