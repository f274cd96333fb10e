#!/usr/bin/env bash
# Several instances on one PostgreSQL database (release binary, one worker each):
#  - cross-instance pause latency: a pause sent to the instance that does NOT run the training,
#    request → the run's last write (its final checkpoint, on the database's clock), 100 pauses;
#  - takeover time after kill -9 of the instance running a training;
#  - GET …/training/progress throughput through one instance vs two (wrk, 16 clients, 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
work=$(mktemp -d /tmp/datatrain-multi.XXXXXX)
db="dt_bench_multi_$$"
admin=${DT_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
psql "$admin/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
mkdir -p "$work/sources"
cp tests/fixtures/sources/chinook.sqlite "$work/sources/"
key=$(head -c 64 /dev/urandom | base64 -w0)
pids=()
start() { # name port
  DATATRAIN_ADDR="127.0.0.1:$2" DATATRAIN_DATABASE_URL="$admin/$db" DATATRAIN_KEY="$key" \
    DATATRAIN_INSTANCE="$1" DATATRAIN_WORKERS=1 DATATRAIN_SOURCES_DIR="$work/sources" RUST_LOG=warn \
    ./target/release/datatrain >"$work/$1.log" 2>&1 &
  echo $!
}
cleanup() {
  for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$admin/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$1/api/health" >/dev/null 2>&1 && return; sleep 0.1; done; echo "instance on $1 did not start" >&2; exit 1; }
a_pid=$(start a 3421); wait_up 3421
b_pid=$(start b 3422); wait_up 3422
python3 - "$admin/$db" "$work" <<'PY'
import json, http.cookiejar, statistics, subprocess, sys, time, urllib.request
dburl, work = sys.argv[1], sys.argv[2]
ports = {"a": 3421, "b": 3422}
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"content-type": "application/json"} if data else {})
    try:
        with opener.open(req, timeout=30) as r:
            t = r.read(); return r.status, (json.loads(t) if t else None)
    except urllib.error.HTTPError as e:
        return e.code, e.read()
def sql(q):
    return subprocess.run(["psql", dburl, "-Atc", q], capture_output=True, text=True, check=True).stdout.strip()
creds = {"username": "bench", "password": "train-Knowledge-42"}
call(3421, "POST", "/api/auth/signup", creds); call(3421, "POST", "/api/auth/login", creds)
s, d = call(3421, "POST", "/api/datasets", {"name": "bench", "source_url": "sqlite://chinook.sqlite"})
ds = d["id"]
tables = ["Album","Artist","Customer","Employee","Genre","Invoice","InvoiceLine","MediaType","Playlist","PlaylistTrack","Track"]
def runs(): return call(3421, "GET", f"/api/datasets/{ds}/training/runs")[1]
def wait_training():
    for _ in range(3000):
        r = runs()
        if r and r[0]["status"] == "training" and r[0]["instance"]:
            return r[0]
        if r and r[0]["status"] == "completed":
            call(3421, "POST", f"/api/datasets/{ds}/training", {"table_names": tables, "max_items_per_sec": 20})
        time.sleep(0.01)
    raise SystemExit("no training")
lat = []
s, st = call(3421, "POST", f"/api/datasets/{ds}/training", {"table_names": tables, "max_items_per_sec": 20})
run = st["run_id"]
for i in range(100):
    r = wait_training()
    run = r["id"]
    time.sleep(0.05 + (i % 7) * 0.03)  # land at different points of the item loop
    other = ports["b" if r["instance"] == "a" else "a"]
    t0 = int(sql("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint"))
    s, _ = call(other, "POST", f"/api/datasets/{ds}/training/pause")
    if s != 200:
        continue
    time.sleep(0.4)
    last = int(sql(f"SELECT heartbeat_at FROM training_runs WHERE id = {run}"))
    lat.append(max(0, last - t0))
    s, _ = call(other, "POST", f"/api/datasets/{ds}/training/resume")
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"| pause sent to the other instance → the run's last write, {len(lat)} pauses | p50 {p(0.5)} ms, p99 {p(0.99)} ms, max {lat[-1]} ms |")
call(3421, "POST", f"/api/datasets/{ds}/training/cancel")
with open(f"{work}/ds", "w") as f: f.write(str(ds))
with open(f"{work}/cookie", "w") as f:
    f.write("; ".join(f"{c.name}={c.value}" for c in jar))
PY
ds=$(cat "$work/ds"); cookie=$(cat "$work/cookie")
for port in 3421 3422; do
  curl -fsS -b "$cookie" -H 'content-type: application/json' -d '{"table_names":["Track","Album","Artist","InvoiceLine","Invoice"],"max_items_per_sec":1}' \
    "http://127.0.0.1:$port/api/datasets/$ds/training" >/dev/null 2>&1 || true
done
url_path="/api/datasets/$ds/training/progress"
one=$(wrk -t 2 -c 16 -d 10s -H "Cookie: $cookie" "http://127.0.0.1:3421$url_path" | awk '/Requests\/sec/ {print $2}')
two=$( (wrk -t 1 -c 8 -d 10s -H "Cookie: $cookie" "http://127.0.0.1:3421$url_path" | awk '/Requests\/sec/ {print $2}') & (wrk -t 1 -c 8 -d 10s -H "Cookie: $cookie" "http://127.0.0.1:3422$url_path" | awk '/Requests\/sec/ {print $2}'); wait)
two_sum=$(echo "$two" | awk '{s += $1} END {printf "%.0f", s}')
echo "| progress throughput, 16 clients, 10 s (wrk on the same 2 cores) | one instance $one req/s; two instances $two_sum req/s |"
# Takeover after kill -9 of the instance running a training.
python3 - "$admin/$db" "$ds" "$cookie" "$a_pid" "$b_pid" <<'PY'
import json, subprocess, sys, time, urllib.request, os, signal
dburl, ds, cookie, a_pid, b_pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
        headers={"cookie": cookie, **({"content-type": "application/json"} if data else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            t = r.read(); return r.status, (json.loads(t) if t else None)
    except urllib.error.HTTPError as e:
        return e.code, None
call(3421, "POST", f"/api/datasets/{ds}/training/cancel")
time.sleep(0.5)
call(3421, "POST", f"/api/datasets/{ds}/training", {"table_names": ["Track","Album","Artist","Invoice","InvoiceLine","Customer"], "max_items_per_sec": 5})
for _ in range(3000):
    s, r = call(3421, "GET", f"/api/datasets/{ds}/training/runs")
    if r and r[0]["status"] == "training" and r[0]["instance"]:
        break
    time.sleep(0.01)
victim = r[0]["instance"]
pid, survivor = (a_pid, 3422) if victim == "a" else (b_pid, 3421)
time.sleep(1.5)
os.kill(pid, signal.SIGKILL)
t = time.monotonic()
while True:
    s, r = call(survivor, "GET", f"/api/datasets/{ds}/training/runs")
    if r and r[0]["instance"] != victim and r[0]["status"] == "training":
        break
    if time.monotonic() - t > 60:
        raise SystemExit("no takeover within 60 s")
    time.sleep(0.02)
print(f"| takeover after kill -9 of the instance running the training (1 s heartbeat, 5 s lease) | {time.monotonic() - t:.1f} s |")
PY
