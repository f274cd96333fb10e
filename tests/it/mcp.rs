//! The MCP endpoint over raw HTTP JSON-RPC (streamable HTTP, stateless, JSON
//! answers): a bearer token is required, `initialize`, `tools/list` and every
//! tool answer, and another user's dataset is a tool error "Not found".
//! `scripts/test-mcp.sh` runs the official Python client against a binary.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::{Client, Meta, TestApp, spawn_app};

on_both!(mcp_tools_answer_for_the_tokens_user_only);

const PROTOCOL: &str = "2025-06-18";

/// Posts one JSON-RPC message to `/mcp` with `headers`; the answer's status,
/// headers and JSON body (`Null` when empty).
async fn post_mcp(
    app: &TestApp,
    token: Option<&str>,
    body: &Value,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/mcp", app.base))
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", PROTOCOL)
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, value)
}

/// A JSON-RPC request's `result`.
async fn rpc(app: &TestApp, token: &str, id: i64, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let (s, _, b) = post_mcp(app, Some(token), &body).await;
    assert_eq!(s, StatusCode::OK, "{method}: {b}");
    assert_eq!(b["id"], id, "{b}");
    assert!(b["error"].is_null(), "{method}: {b}");
    b["result"].clone()
}

async fn call(app: &TestApp, token: &str, tool: &str, arguments: Value) -> Value {
    rpc(
        app,
        token,
        7,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
    .await
}

/// The text of a tool result's single text block.
fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

async fn read_token(c: &Client) -> String {
    let (s, b) = c
        .post("/api/tokens", json!({"name": "mcp", "scope": "read"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["token"].as_str().unwrap().to_string()
}

async fn mcp_tools_answer_for_the_tokens_user_only(meta: Meta) {
    let app = spawn_app(meta).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;
    let bob = app.user("bob").await;
    let bobs = bob.chinook("bobs").await;
    let token = read_token(&alice).await;

    // No token, a bad one, or only a session cookie: 401 before any MCP.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {},
        "clientInfo": {"name": "it", "version": "1"}}});
    for bad in [None, Some("dt_not-a-real-token"), Some("nonsense")] {
        let (s, h, b) = post_mcp(&app, bad, &init).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad:?}: {b}");
        assert!(b["detail"].is_string(), "{b}");
        assert!(h.contains_key("www-authenticate"), "{h:?}");
    }
    let (s, _) = alice.post("/mcp", init.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Trained with a document, so that every kind of item exists.
    let (s, b) = alice
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "Albums", "content": "An Album is one record; its Title is the name printed on the cover."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = alice
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": ["Artist", "Album"]}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    alice
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;

    // The handshake: stateless, so no session id.
    let (s, h, b) = post_mcp(&app, Some(&token), &init).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(!h.contains_key("mcp-session-id"), "{h:?}");
    assert_eq!(b["result"]["serverInfo"]["name"], "datatrain", "{b}");
    assert!(b["result"]["capabilities"]["tools"].is_object(), "{b}");
    let (s, _, _) = post_mcp(
        &app,
        Some(&token),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);

    let tools = rpc(&app, &token, 2, "tools/list", json!({})).await;
    let mut names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "describe_table",
            "list_datasets",
            "search_context",
            "training_status"
        ]
    );
    let search = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "search_context")
        .unwrap();
    let required = search["inputSchema"]["required"].to_string();
    assert!(
        required.contains("dataset_id") && required.contains("question"),
        "{search}"
    );

    // list_datasets: alice's only.
    let r = call(&app, &token, "list_datasets", json!({})).await;
    assert_eq!(r["isError"], false, "{r}");
    let datasets = r["structuredContent"]["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), 1, "{r}");
    assert_eq!(datasets[0]["id"], id);
    assert_eq!(datasets[0]["status"], "completed");
    assert!(datasets[0]["last_train_at"].is_string(), "{r}");
    assert!(text(&r).contains("chinook"), "{r}");

    // search_context: DDL, documentation and examples, as text and as JSON.
    let r = call(
        &app,
        &token,
        "search_context",
        json!({"dataset_id": id, "question": "how many albums does each artist have", "k": 3}),
    )
    .await;
    assert_eq!(r["isError"], false, "{r}");
    let c = &r["structuredContent"];
    assert_eq!(c["trained"], true, "{c}");
    let tables: Vec<&str> = c["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert!(tables.contains(&"Album") && tables.len() <= 3, "{c}");
    assert!(
        c["tables"][0]["ddl"]
            .as_str()
            .unwrap()
            .contains("CREATE TABLE"),
        "{c}"
    );
    assert!(!c["examples"].as_array().unwrap().is_empty(), "{c}");
    assert!(
        c["examples"][0]["sql"].as_str().unwrap().contains("SELECT"),
        "{c}"
    );
    assert!(
        text(&r).contains("CREATE TABLE") && text(&r).contains("## Examples"),
        "{r}"
    );

    // describe_table, the name compared without case.
    let r = call(
        &app,
        &token,
        "describe_table",
        json!({"dataset_id": id, "table": "album"}),
    )
    .await;
    assert_eq!(r["isError"], false, "{r}");
    let t = &r["structuredContent"];
    assert_eq!(t["table"], "Album", "{t}");
    assert!(t["ddl"].as_str().unwrap().contains("ArtistId"), "{t}");
    assert!(!t["examples"].as_array().unwrap().is_empty(), "{t}");
    assert!(
        t["documentation"][0]["content"]
            .as_str()
            .unwrap()
            .contains("printed on the cover"),
        "{t}"
    );

    // training_status: the fields of GET …/training/progress.
    let r = call(&app, &token, "training_status", json!({"dataset_id": id})).await;
    assert_eq!(r["isError"], false, "{r}");
    let (_, progress) = alice
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(r["structuredContent"], progress);
    assert!(text(&r).contains("completed"), "{r}");

    // Bob's dataset, an unknown table, a bad k: tool errors, no leak.
    for (tool, args) in [
        ("training_status", json!({"dataset_id": bobs})),
        (
            "describe_table",
            json!({"dataset_id": bobs, "table": "Album"}),
        ),
        (
            "search_context",
            json!({"dataset_id": bobs, "question": "albums"}),
        ),
    ] {
        let r = call(&app, &token, tool, args).await;
        assert_eq!(r["isError"], true, "{tool}: {r}");
        assert_eq!(text(&r), "Not found", "{tool}: {r}");
        assert!(r.get("structuredContent").is_none(), "{r}");
    }
    let r = call(
        &app,
        &token,
        "describe_table",
        json!({"dataset_id": id, "table": "NoSuchTable"}),
    )
    .await;
    assert_eq!(r["isError"], true, "{r}");
    let r = call(
        &app,
        &token,
        "search_context",
        json!({"dataset_id": id, "question": "albums", "k": 0}),
    )
    .await;
    assert_eq!(r["isError"], true, "{r}");
    assert!(text(&r).contains("k must be"), "{r}");

    // A revoked token is refused at once.
    let (_, list) = alice.get("/api/tokens").await;
    let token_id = list[0]["id"].as_i64().unwrap();
    let (s, _) = alice.delete(&format!("/api/tokens/{token_id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = post_mcp(&app, Some(&token), &init).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
