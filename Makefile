# datatrain — `make run` serves the app; `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run build dev check test setup-build setup-test services fmt-check clippy test-rust test-e2e bench bench-abuse bench-multi bench-retrieval bench-retrieval-scale bench-dense clean

## Installs the build tools that are missing (each step is skipped when already there).
setup-build:
	@scripts/setup.sh build

## Installs what the tests need on top of the build tools (chromium, npm packages) and starts the databases.
setup-test:
	@scripts/setup.sh test
	@scripts/services.sh

build: setup-build
	cargo leptos build --release

run: build
	@mkdir -p data/sources
	@# A demo source to train on: the Chinook database (MIT), as sqlite://chinook.sqlite.
	@[ -e data/sources/chinook.sqlite ] || cp tests/fixtures/sources/chinook.sqlite data/sources/
	./target/release/datatrain

## The fast loop: format, lints and the unit tests. No database, no WASM build.
check:
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo test --features ssr --lib

## Serves the app and rebuilds it (server and WASM) on every change.
dev: setup-build
	@mkdir -p data/sources
	@[ -e data/sources/chinook.sqlite ] || cp tests/fixtures/sources/chinook.sqlite data/sources/
	cargo leptos watch

fmt-check:
	cargo fmt --check

clippy:
	cargo clippy --features ssr --all-targets -- -D warnings

test-rust:
	cargo test --features ssr

test-e2e:
	scripts/e2e.sh

test: setup-test
	@scripts/timed.sh "format check" $(MAKE) --no-print-directory fmt-check
	@scripts/timed.sh "clippy" $(MAKE) --no-print-directory clippy
	@scripts/timed.sh "rust tests" $(MAKE) --no-print-directory test-rust
	@scripts/timed.sh "release build" cargo leptos build --release
	@scripts/timed.sh "playwright" $(MAKE) --no-print-directory test-e2e
	@scripts/timed.sh "schemathesis" scripts/schemathesis.sh
	@scripts/timed.sh "mcp client" scripts/test-mcp.sh target/release/datatrain
	@scripts/timed.sh "python client and vanna" scripts/test-python.sh

## Benchmarks print numbers (recorded in the README); they assert nothing.
bench: setup-test
	cargo bench --features ssr --bench engine
	scripts/bench-api.sh
	scripts/bench-login-flood.sh
	scripts/bench-sse.sh

## 128 concurrent failed logins: the server's memory and /api/health meanwhile (bounded hashing).
bench-abuse: build
	scripts/bench-login-flood.sh
	scripts/bench-sse.sh

## Several instances on one PostgreSQL: cross-instance pause latency, takeover after kill -9, throughput.
bench-multi: build
	scripts/bench-multi.sh

## Retrieval quality on 5 merged Spider dev databases (English and Chinese questions).
bench-retrieval:
	cargo bench --features ssr --bench retrieval

## Table retrieval at warehouse scale (719 tables, 1,297 questions) on both stores; needs PostgreSQL.
bench-retrieval-scale:
	cargo bench --features ssr --bench retrieval_scale

## The same with dense retrieval fused in: serves all-MiniLM-L6-v2 locally (from PyPI, on numpy).
bench-dense:
	scripts/bench-dense.sh

services:
	@scripts/services.sh

clean:
	cargo clean
