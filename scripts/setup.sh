#!/usr/bin/env bash
# Installs what building (`setup.sh build`) or testing (`setup.sh test`) needs, skipping what is there.
# Versions are pinned by what works with rustc 1.95 here (see README, "First build").
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}
TOOLS="$PWD/.tools"
export PATH="$TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132.0.0
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)

step() { echo "--> $*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  # Not --locked: the locked set pulls a yanked crate.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! "$TOOLS/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "${BINARYEN_VERSION%%.*}"; then
  step "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into .tools"
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
fi

if [ "$what" = test ]; then
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei
  fi
  # The protocol clients (schemathesis, the MCP SDK, Vanna) run in Python venvs.
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    step "installing Debian's python3-venv"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    step "installing the end2end npm packages"
    (cd end2end && npm ci --silent --no-audit --no-fund)
  fi
fi

# The debug test build and the release build need a few GiB; say how much room there is.
avail_kb=$(df -Pk . | awk 'NR==2 {print $4}')
step "$((avail_kb / 1024 / 1024)) GiB free on the build disk"
if [ "$avail_kb" -lt $((6 * 1024 * 1024)) ]; then
  echo "warning: under 6 GiB free; the builds may fail to link (try: make clean)" >&2
fi
