"""N concurrent SSE streams on one dataset while it trains: every `log` event's
delay from the line's created_at (server clock, same machine) to its arrival,
over all streams. Standard library only (asyncio sockets)."""
import asyncio, json, sys, time
from datetime import datetime

host, port, token, dataset, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
delays, done = [], []
opened = asyncio.Event()
count = 0

async def stream():
    global count
    r, w = await asyncio.open_connection(host, port)
    w.write((f"GET /api/datasets/{dataset}/training/events HTTP/1.1\r\nHost: {host}\r\n"
             f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], head
    count += 1
    if count == n:
        opened.set()
    event = None
    while True:
        line = await r.readline()
        if not line:
            return
        line = line.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event:
            now = time.time()
            try:
                data = json.loads(line[5:])
            except ValueError:
                continue  # a chunk-size line of the chunked encoding, not data
            if event == "log":
                at = datetime.fromisoformat(data["created_at"].replace("Z", "+00:00")).timestamp()
                delays.append((now - at) * 1000)
            if event == "status" and data.get("status") == "completed":
                done.append(1)
                w.close()
                return

async def main():
    tasks = [asyncio.create_task(stream()) for _ in range(n)]
    await asyncio.wait_for(opened.wait(), 60)
    print("opened", flush=True)
    # The caller starts the training now and waits for us.
    await asyncio.wait_for(asyncio.gather(*tasks), 300)
    delays.sort()
    q = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))]
    print(json.dumps({"streams": n, "completed": len(done), "log_events": len(delays),
                      "p50_ms": round(q(0.5), 1), "p99_ms": round(q(0.99), 1), "max_ms": round(delays[-1], 1)}))

asyncio.run(main())
