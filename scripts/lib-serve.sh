# Sourced by the scripts that test a protocol against the release binary:
#   start_datatrain [PORT] starts $DT_BIN (default target/release/datatrain) on a
#                          fresh temporary database and sources folder (PORT, or a
#                          free one), waits until it answers, and stops it when the
#                          calling script exits, printing the end of its log if
#                          that script failed (sets DT_URL, DT_WORK, DT_PID);
#   dt_token NAME SCOPE    signs up (once) and logs in user NAME, prints a new API token;
#   dt_train_chinook TOKEN creates a dataset on the Chinook fixture, trains it to
#                          completion and prints its id.

start_datatrain() {
  local port=${1:-0} bin=${DT_BIN:-target/release/datatrain}
  [ -x "$bin" ] || { echo "error: $bin missing; build it with: cargo leptos build --release" >&2; return 1; }
  if [ "$port" = 0 ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  fi
  DT_WORK=$(mktemp -d /tmp/datatrain-serve.XXXXXX)
  DT_URL="http://127.0.0.1:${port}"
  mkdir -p "${DT_WORK}/sources"
  cp -r tests/fixtures/sources/. "${DT_WORK}/sources/"
  DATATRAIN_ADDR="127.0.0.1:${port}" \
  DATATRAIN_DATABASE_URL="sqlite://${DT_WORK}/datatrain.db" \
  DATATRAIN_KEY_FILE="${DT_WORK}/datatrain.key" \
  DATATRAIN_SOURCES_DIR="${DT_WORK}/sources" \
  LEPTOS_SITE_ROOT=target/site RUST_LOG=${RUST_LOG:-warn} \
    "$bin" >"${DT_WORK}/server.log" 2>&1 &
  DT_PID=$!
  trap 'status=$?; kill "$DT_PID" 2>/dev/null; wait "$DT_PID" 2>/dev/null;
        if [ $status != 0 ]; then echo "--- server log, last 40 lines ---"; tail -n 40 "${DT_WORK}/server.log"; fi' EXIT
  for _ in $(seq 1 150); do
    curl -fsS "${DT_URL}/api/health" >/dev/null 2>&1 && return 0
    kill -0 "$DT_PID" 2>/dev/null || { echo "error: the server exited" >&2; return 1; }
    sleep 0.2
  done
  echo "error: the server did not answer" >&2
  return 1
}

dt_token() {
  local name=$1 scope=$2 jar="${DT_WORK}/cookies-$1"
  local creds="{\"username\":\"${name}\",\"password\":\"train-Knowledge-42\"}"
  # The account may exist already (a second token of the same user).
  curl -sS -o /dev/null -H 'content-type: application/json' -d "$creds" "${DT_URL}/api/auth/signup"
  curl -fsS -o /dev/null -c "$jar" -H 'content-type: application/json' -d "$creds" "${DT_URL}/api/auth/login"
  curl -fsS -b "$jar" -H 'content-type: application/json' -H "origin: ${DT_URL}" \
    -d "{\"name\":\"${name} test\",\"scope\":\"${scope}\"}" "${DT_URL}/api/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

dt_train_chinook() {
  local auth="authorization: Bearer $1" id status
  id=$(curl -fsS -H "$auth" -H 'content-type: application/json' \
    -d '{"name":"chinook","source_url":"sqlite://chinook.sqlite"}' "${DT_URL}/api/datasets" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -fsS -o /dev/null -H "$auth" -H 'content-type: application/json' \
    -d '{"table_names":["Artist","Album","Track","Genre","MediaType","Customer","Employee","Invoice","InvoiceLine","Playlist","PlaylistTrack"]}' \
    "${DT_URL}/api/datasets/${id}/training"
  for _ in $(seq 1 600); do
    status=$(curl -fsS -H "$auth" "${DT_URL}/api/datasets/${id}/training/progress" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    case $status in
      completed) echo "$id"; return 0 ;;
      failed) echo "error: training failed" >&2; return 1 ;;
    esac
    sleep 0.2
  done
  echo "error: training did not finish" >&2
  return 1
}
