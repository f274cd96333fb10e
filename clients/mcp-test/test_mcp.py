#!/usr/bin/env python3
"""End-to-end test of datatrain's MCP endpoint with the official MCP Python SDK.

Against a running server (``--base http://127.0.0.1:PORT``, a fresh store whose
sources folder holds ``chinook.sqlite``): signs up two users over the REST API,
trains one dataset of each, makes a read token, then

- checks that ``/mcp`` answers 401 without a token and with a bad one;
- connects with the SDK's streamable HTTP client (``Authorization: Bearer``)
  through the initialize handshake, and again through the SDK's ``Client`` in
  its default ``auto`` mode (protocol discovery, falling back to the handshake);
- lists the tools and calls each one, checking text and structured content;
- checks that the other user's dataset is a tool error "Not found".

``scripts/test-mcp.sh BINARY`` starts a binary and runs this. Exit 0 when all passed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import httpx2
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

PASSWORD = "train-Knowledge-42"
TOOLS = {"list_datasets", "search_context", "describe_table", "training_status"}
passed = 0
failed = 0


def check(ok: bool, what: str) -> None:
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}")


class Rest:
    """A REST client with its own cookie jar (one signed-in user)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=30) as res:
                status, text = res.status, res.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        return status, (json.loads(text) if text else None)

    def must(self, method: str, path: str, body: Any = None) -> Any:
        status, value = self.call(method, path, body)
        if status >= 300:
            raise SystemExit(f"{method} {path}: {status} {value}")
        return value


def trained_user(base: str, name: str, doc: str | None) -> tuple[Rest, int]:
    """A signed-in user with one Chinook dataset trained on Artist and Album."""
    c = Rest(base)
    creds = {"username": name, "password": PASSWORD}
    c.must("POST", "/api/auth/signup", creds)
    c.must("POST", "/api/auth/login", creds)
    dataset = c.must("POST", "/api/datasets", {"name": f"{name}-chinook", "source_url": "sqlite://chinook.sqlite"})
    id = dataset["id"]
    if doc:
        c.must("POST", f"/api/datasets/{id}/docs", {"title": "Albums", "content": doc})
    c.must("POST", f"/api/datasets/{id}/training", {"table_names": ["Artist", "Album"]})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = c.must("GET", f"/api/datasets/{id}/training/progress")
        if progress["status"] == "completed":
            return c, id
        if progress["status"] in ("failed", "cancelled"):
            raise SystemExit(f"training {name}: {progress}")
        time.sleep(0.2)
    raise SystemExit(f"training {name} did not complete in 120 s")


def text_of(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def refused_without_token(url: str) -> None:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient() as http:
        for label, extra in [("no token", {}), ("a bad token", {"Authorization": "Bearer dt_nope"})]:
            r = await http.post(url, json=init, headers={**headers, **extra})
            check(r.status_code == 401, f"/mcp with {label} is 401 (got {r.status_code})")
            check("www-authenticate" in r.headers, f"/mcp with {label} says WWW-Authenticate")
    # The SDK itself cannot get in without a token.
    try:
        async with httpx2.AsyncClient() as http:
            async with streamable_http_client(url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await asyncio.wait_for(session.initialize(), 20)
        check(False, "the SDK without a token is refused")
    except Exception as e:  # the transport raises on the 401
        check(True, f"the SDK without a token is refused ({type(e).__name__})")


async def exercise(call: Any, list_tools: Any, mine: int, theirs: int, label: str) -> None:
    tools = await list_tools()
    names = {t.name for t in tools.tools}
    check(names == TOOLS, f"[{label}] tools/list names the four tools ({sorted(names)})")
    search = next((t for t in tools.tools if t.name == "search_context"), None)
    required = set((search.input_schema or {}).get("required", [])) if search else set()
    check({"dataset_id", "question"} <= required, f"[{label}] search_context requires dataset_id and question")

    r = await call("list_datasets", {})
    datasets = (r.structured_content or {}).get("datasets", [])
    check(not r.is_error and [d["id"] for d in datasets] == [mine], f"[{label}] list_datasets: the caller's dataset only")
    check(bool(datasets) and datasets[0]["status"] == "completed" and datasets[0]["last_train_at"], f"[{label}] list_datasets: status and last trained")

    r = await call("search_context", {"dataset_id": mine, "question": "how many albums does each artist have"})
    c = r.structured_content or {}
    tables = [t["table"] for t in c.get("tables", [])]
    check(not r.is_error and "Album" in tables, f"[{label}] search_context: the Album table ({tables})")
    check(any("CREATE TABLE" in t["ddl"] for t in c.get("tables", [])), f"[{label}] search_context: DDL")
    check(any("SELECT" in e["sql"] for e in c.get("examples", [])), f"[{label}] search_context: question → SQL examples")
    check("CREATE TABLE" in text_of(r) and "## Examples" in text_of(r), f"[{label}] search_context: as text too")

    r = await call("search_context", {"dataset_id": mine, "question": "albums", "k": 1})
    c = r.structured_content or {}
    check(not r.is_error and len(c.get("tables", [])) <= 1 and len(c.get("examples", [])) <= 1, f"[{label}] search_context: k bounds each kind")

    r = await call("describe_table", {"dataset_id": mine, "table": "album"})
    t = r.structured_content or {}
    check(not r.is_error and t.get("table") == "Album" and "ArtistId" in t.get("ddl", ""), f"[{label}] describe_table: the DDL")
    check(any("printed on the cover" in d["content"] for d in t.get("documentation", [])), f"[{label}] describe_table: the documentation")
    check(len(t.get("examples", [])) > 0, f"[{label}] describe_table: the examples")

    r = await call("training_status", {"dataset_id": mine})
    p = r.structured_content or {}
    check(not r.is_error and p.get("status") == "completed" and p.get("process_rate") == 100, f"[{label}] training_status: completed, 100%")
    check("completed" in text_of(r), f"[{label}] training_status: as text too")

    for tool, args in [
        ("training_status", {"dataset_id": theirs}),
        ("describe_table", {"dataset_id": theirs, "table": "Album"}),
        ("search_context", {"dataset_id": theirs, "question": "albums"}),
    ]:
        r = await call(tool, args)
        check(r.is_error and text_of(r) == "Not found", f"[{label}] {tool} on another user's dataset: tool error 'Not found'")
    r = await call("describe_table", {"dataset_id": mine, "table": "NoSuchTable"})
    check(r.is_error, f"[{label}] describe_table of an unknown table: tool error")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:3000")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    url = f"{base}/mcp"

    alice, mine = trained_user(base, "alice", "An Album is one record; its Title is the name printed on the cover.")
    _, theirs = trained_user(base, "bob", None)
    token = alice.must("POST", "/api/tokens", {"name": "mcp-test", "scope": "read"})["token"]
    auth = {"Authorization": f"Bearer {token}"}

    await refused_without_token(url)

    # 1. The initialize handshake, as most clients connect today.
    async with httpx2.AsyncClient(headers=auth, timeout=httpx2.Timeout(30, read=60)) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                init = await asyncio.wait_for(session.initialize(), 30)
                check(init.server_info.name == "datatrain", f"[handshake] server is datatrain ({init.server_info.name} {init.protocol_version})")
                await exercise(session.call_tool, session.list_tools, mine, theirs, "handshake")

    # 2. The SDK's Client in its default mode (discovery, else the handshake).
    async with httpx2.AsyncClient(headers=auth, timeout=httpx2.Timeout(30, read=60)) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            name = client.server_info.name if client.server_info else None
            check(name == "datatrain", f"[auto] server is datatrain ({name} {client.protocol_version})")
            await exercise(client.call_tool, client.list_tools, mine, theirs, "auto")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
