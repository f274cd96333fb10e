#!/usr/bin/env bash
# The hardening benchmark: 128 concurrent failed logins (64 at a time), each from its own client
# address (X-Forwarded-For through a trusted proxy, so that the per-client throttle does not stop
# them before they are hashed), against the release binary; prints the server's peak and final RSS
# and the slowest /api/health answer meanwhile. Needs the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/datatrain-flood.XXXXXX)
port=${BENCH_PORT:-3410}
base="http://127.0.0.1:${port}"
mkdir -p "$work/sources"
DATATRAIN_ADDR="127.0.0.1:${port}" DATATRAIN_DATABASE_URL="sqlite://${work}/datatrain.db" \
  DATATRAIN_KEY_FILE="${work}/datatrain.key" DATATRAIN_SOURCES_DIR="${work}/sources" \
  DATATRAIN_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn \
  ./target/release/datatrain >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fsS "$base/api/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS -H 'content-type: application/json' -d '{"username":"victim","password":"train-Knowledge-42"}' \
  "$base/api/auth/signup" >/dev/null
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$server/status"; }
echo "server RSS before: $(rss_mb) MB"
python3 - "$base" "$server" <<'PY'
import concurrent.futures, json, sys, threading, time, urllib.request, urllib.error
base, pid = sys.argv[1], sys.argv[2]
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
def login(i):
    req = urllib.request.Request(f"{base}/api/auth/login", method="POST",
        data=json.dumps({"username": "victim", "password": f"wrong-{i}"}).encode(),
        headers={"content-type": "application/json", "x-forwarded-for": f"198.18.{i // 200}.{i % 200 + 1}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
done = threading.Event(); peak = [0]; health = []
def watch():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        t = time.monotonic()
        try:
            urllib.request.urlopen(f"{base}/api/health", timeout=10).read()
            health.append(time.monotonic() - t)
        except Exception:
            health.append(float("inf"))
        time.sleep(0.05)
w = threading.Thread(target=watch); w.start()
t0 = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(64) as pool:
    codes = list(pool.map(login, range(128)))
elapsed = time.monotonic() - t0
done.set(); w.join()
counts = {c: codes.count(c) for c in sorted(set(codes))}
print(f"128 failed logins in {elapsed:.1f} s; answers {counts}")
print(f"peak server RSS during the flood: {peak[0]} MB; slowest /api/health: {max(health)*1000:.0f} ms over {len(health)} checks")
time.sleep(2)
print(f"server RSS 2 s after: {rss()} MB")
PY
