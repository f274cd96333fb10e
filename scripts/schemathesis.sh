#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document (GET /api/openapi.json) with
# schemathesis: the release build on a fresh temporary database, a signed-up user,
# a `train` API token and a dataset on the Chinook fixture (dataset 1), then every
# operation with a bounded number of generated requests. Fails on a 5xx, a status
# or content type the document does not list, or a body that does not match its
# schema.
#
#   cargo leptos build --release && scripts/schemathesis.sh
#
# SCHEMATHESIS_MAX_EXAMPLES (default 20) bounds the requests per operation and phase;
# SCHEMATHESIS_PORT (default 3310) is the server's port; DATATRAIN_BIN (default
# target/release/datatrain) is the server binary; extra arguments go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=("$@")

SCHEMATHESIS_VERSION=4.32.5
venv=.tools/venv-schemathesis
if ! "${venv}/bin/schemathesis" --version 2>/dev/null | grep -q "${SCHEMATHESIS_VERSION}"; then
  python3 -m venv "${venv}"
  "${venv}/bin/pip" install --quiet "schemathesis==${SCHEMATHESIS_VERSION}"
fi

. scripts/lib-serve.sh
DT_BIN=${DATATRAIN_BIN:-target/release/datatrain}
start_datatrain "${SCHEMATHESIS_PORT:-3310}"
work=$DT_WORK
base=$DT_URL

# A user, a `train` token (token routes take the session) and a dataset on Chinook.
jar="${work}/cookies"
creds='{"username":"fuzzer","password":"train-Knowledge-42"}'
json=(-fsS -H 'Content-Type: application/json')
curl "${json[@]}" -o /dev/null -d "${creds}" "${base}/api/auth/signup"
curl "${json[@]}" -o /dev/null -c "${jar}" -d "${creds}" "${base}/api/auth/login"
session=$(awk '$6 == "datatrain_session" { print $6 "=" $7 }' "${jar}")
token=$(curl "${json[@]}" -b "${jar}" -d '{"name":"schemathesis","scope":"train"}' "${base}/api/tokens" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
curl "${json[@]}" -o /dev/null -H "Authorization: Bearer ${token}" \
  -d '{"name":"chinook","source_url":"sqlite://chinook.sqlite"}' "${base}/api/datasets"

fuzz() {
  "${venv}/bin/schemathesis" run "${base}/api/openapi.json" \
    --url "${base}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-20}" \
    --workers 2 \
    --request-timeout 30 \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --report junit --report-dir "${work}/report" \
    "$@"
}

status=0
# Every operation with the token (the session-only ones answer 403)... except the
# import, whose body is NDJSON: schemathesis cannot generate that media type
# (tests/it/curate.rs covers it), and the event streams, which never end by
# design (tests/it/events.rs follows them with a real SSE client).
fuzz --header "Authorization: Bearer ${token}" --exclude-path-regex '(/import|/events)$' "${extra[@]}" || status=$?
# ... then the session-only ones with the session cookie (not logout, which would end it).
fuzz --header "Cookie: ${session}" --include-path-regex '^/api/(tokens|auth/me)' "${extra[@]}" || status=$?
echo "report: ${work}/report"
exit $status
