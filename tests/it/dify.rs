//! Dify's External Knowledge API (`POST /api/dify/retrieval`), with the
//! requests Dify sends: its headers (`Content-Type: application/json`,
//! `Authorization: Bearer <API key>`) and its body, serialised the way Dify's
//! Python does (`json.dumps`: `", "` and `": "` separators, non-ASCII as `\uXXXX`,
//! `retrieval_setting` first, `score_threshold` 0.0 when the threshold is off).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::{Client, Meta, TestApp};
use crate::common::rest::{app, assert_keys, train};

on_both!(dify_records_follow_the_settings, dify_errors_follow_dify);

/// A new API token of the user: (id, token).
async fn token(c: &Client, scope: &str) -> (i64, String) {
    let (s, b) = c
        .post("/api/tokens", json!({"name": "dify", "scope": scope}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (
        b["id"].as_i64().unwrap(),
        b["token"].as_str().unwrap().to_string(),
    )
}

/// Dify's request: its headers, and the body as Python's `json.dumps` writes it.
async fn dify(
    app: &TestApp,
    authorization: Option<&str>,
    content_type: &str,
    body: &str,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/dify/retrieval", app.base))
        .header("content-type", content_type)
        .body(body.to_string());
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The body Dify sends, in Dify's key order and spacing.
fn body(knowledge_id: &str, query: &str, top_k: i64, threshold: f64, extra: &str) -> String {
    format!(
        r#"{{"retrieval_setting": {{"top_k": {top_k}, "score_threshold": {threshold:?}}}, "query": {}, "knowledge_id": {knowledge_id}{extra}}}"#,
        ascii_json(query)
    )
}

/// A JSON string with every non-ASCII character escaped (`ensure_ascii`).
fn ascii_json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

fn condition(c: Value) -> String {
    format!(", \"metadata_condition\": {c}")
}

/// The records of a 200 answer, each checked for Dify's shape.
#[track_caller]
fn records(got: &(StatusCode, Value), what: &str) -> Vec<Value> {
    let (s, b) = got;
    assert_eq!(*s, StatusCode::OK, "{what}: {b}");
    assert_keys(b, &["records"], what);
    let records = b["records"].as_array().unwrap().clone();
    for r in &records {
        assert_keys(r, &["content", "score", "title", "metadata"], what);
        assert!(r["content"].as_str().is_some_and(|c| !c.is_empty()), "{r}");
        assert!(r["title"].as_str().is_some_and(|t| !t.is_empty()), "{r}");
        let score = r["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{what}: {r}");
        let m = &r["metadata"];
        assert_keys(m, &["kind", "table_name", "question"], what);
        let kind = m["kind"].as_str().unwrap();
        assert!(["ddl", "sql", "documentation"].contains(&kind), "{r}");
        if kind != "documentation" {
            assert_eq!(r["title"], m["table_name"], "{r}");
        }
        assert_eq!(kind == "sql", m["question"].is_string(), "{r}");
    }
    let scores: Vec<f64> = records
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "{what}: best first: {scores:?}"
    );
    records
}

/// An error answer in Dify's format: `{"error_code", "error_msg"}` and nothing else.
#[track_caller]
fn dify_error(got: &(StatusCode, Value), status: StatusCode, code: i64, what: &str) {
    let (s, b) = got;
    assert_eq!(*s, status, "{what}: {b}");
    assert_keys(b, &["error_code", "error_msg"], what);
    assert_eq!(b["error_code"], code, "{what}: {b}");
    assert!(
        b["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {b}"
    );
}

fn kinds(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["metadata"]["kind"].as_str().unwrap())
        .collect()
}

const JSON: &str = "application/json";
const TRACKS: &str = "How many tracks are there?";

async fn dify_records_follow_the_settings(meta: Meta) {
    let app = app(meta).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;
    let (s, b) = alice
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "Album glossary", "content": "An album is a record of an artist: its tracks are sold together."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    train(&alice, id, &["Track", "Album", "Artist"]).await;
    let key = format!("Bearer {}", token(&alice, "read").await.1);
    let auth = Some(key.as_str());
    let kid = format!("\"{id}\"");
    let ask = |q: &'static str, top_k: i64, threshold: f64, extra: String| {
        let kid = kid.clone();
        let app = &app;
        async move { dify(app, auth, JSON, &body(&kid, q, top_k, threshold, &extra)).await }
    };

    // What Dify sends by default: a string id, top_k, the threshold off.
    let q = TRACKS;
    let got = ask(q, 5, 0.0, String::new()).await;
    let five = records(&got, "top_k 5");
    assert_eq!(five.len(), 5, "{five:?}");
    assert_eq!(five[0]["title"], "Track", "{five:?}");
    assert_eq!(five[0]["metadata"]["kind"], "ddl");
    assert!(
        five[0]["content"]
            .as_str()
            .unwrap()
            .contains("CREATE TABLE")
    );
    // The id as a JSON number, and the charset parameter, answer the same.
    let n = dify(
        &app,
        auth,
        "application/json; charset=utf-8",
        &body(&id.to_string(), q, 5, 0.0, ""),
    )
    .await;
    assert_eq!(n, got);

    // top_k bounds the count, never changes the order or the scores; 0 is nothing.
    let all = records(&ask(q, 100, 0.0, String::new()).await, "top_k 100");
    assert!(all.len() > 5 && all.len() <= 100, "{}", all.len());
    assert_eq!(all[..5], five[..]);
    assert_eq!(
        records(&ask(q, 2, 0.0, String::new()).await, "top_k 2"),
        five[..2]
    );
    let capped = records(&ask(q, 100_000, 0.0, String::new()).await, "top_k capped");
    assert_eq!(capped, all, "top_k is capped at 100");
    assert!(records(&ask(q, 0, 0.0, String::new()).await, "top_k 0").is_empty());

    // score_threshold drops what is below it, and only that.
    let scores: Vec<f64> = all.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    let t = scores[scores.len() / 2];
    let above = records(&ask(q, 100, t, String::new()).await, "threshold");
    let want: Vec<Value> = all
        .iter()
        .filter(|r| r["score"].as_f64().unwrap() >= t)
        .cloned()
        .collect();
    assert_eq!(above, want);
    assert!(above.len() < all.len(), "{t} {scores:?}");
    assert!(records(&ask(q, 100, 1.0, String::new()).await, "threshold 1").is_empty());
    // Dify's top_k with a threshold: the best 3 of those above it.
    assert_eq!(
        records(&ask(q, 3, t, String::new()).await, "both"),
        want[..3]
    );

    // metadata_condition, as Dify's model_dump() writes it, on a question that
    // finds every kind and table.
    let q = "How many tracks does each album of an artist have?";
    let all = records(&ask(q, 100, 0.0, String::new()).await, "broad");
    for table in ["Track", "Album", "Artist"] {
        assert!(
            all.iter().any(|r| r["metadata"]["table_name"] == table),
            "{table}: {all:?}"
        );
    }
    for kind in ["ddl", "sql", "documentation"] {
        assert!(kinds(&all).contains(&kind), "{kind}: {all:?}");
    }
    let only = |records: &[Value], field: &str, pass: &dyn Fn(&Value) -> bool| {
        assert!(!records.is_empty(), "{field}: nothing left");
        for r in records {
            assert!(pass(&r["metadata"][field]), "{field}: {r}");
        }
    };
    let c = |name: Value, op: &str, value: Value| json!({"name": name, "comparison_operator": op, "value": value});
    let filtered = |conditions: Value, logical: &str| {
        condition(json!({"logical_operator": logical, "conditions": conditions}))
    };
    let by =
        |conditions: Value, logical: &'static str| ask(q, 100, 0.0, filtered(conditions, logical));
    let got = records(
        &by(json!([c(json!("kind"), "is", json!("sql"))]), "and").await,
        "kind is sql",
    );
    only(&got, "kind", &|v| v == "sql");
    assert_eq!(
        got.len(),
        kinds(&all).iter().filter(|k| **k == "sql").count()
    );
    let got = records(
        &by(json!([c(json!("table_name"), "is", json!("Album"))]), "and").await,
        "table is Album",
    );
    only(&got, "table_name", &|v| v == "Album");
    for (op, value) in [
        ("is not", "Track"),
        ("contains", "lbu"),
        ("not contains", "rack"),
        ("start with", "Ar"),
        ("end with", "um"),
    ] {
        let got = records(
            &by(json!([c(json!("table_name"), op, json!(value))]), "and").await,
            op,
        );
        only(&got, "table_name", &|v| {
            let v = v.as_str().unwrap_or("");
            match op {
                "is not" => v != value,
                "contains" => v.contains(value),
                "not contains" => !v.contains(value),
                "start with" => v.starts_with(value),
                _ => v.ends_with(value),
            }
        });
    }
    let got = records(
        &by(
            json!([c(json!("question"), "not empty", Value::Null)]),
            "and",
        )
        .await,
        "question not empty",
    );
    only(&got, "kind", &|v| v == "sql");
    let got = records(
        &by(json!([c(json!("question"), "empty", Value::Null)]), "and").await,
        "question empty",
    );
    only(&got, "kind", &|v| v != "sql");
    // and / or, a list of names (older documentation), in.
    let two = json!([
        c(json!("kind"), "is", json!("ddl")),
        c(json!("kind"), "is", json!("documentation"))
    ]);
    let got = records(&by(two.clone(), "or").await, "or");
    only(&got, "kind", &|v| v == "ddl" || v == "documentation");
    assert!(kinds(&got).contains(&"ddl") && kinds(&got).contains(&"documentation"));
    assert!(records(&by(two, "and").await, "and").is_empty());
    let got = records(
        &by(
            json!([c(json!(["table_name"]), "in", json!(["Album", "Artist"]))]),
            "and",
        )
        .await,
        "in",
    );
    only(&got, "table_name", &|v| v == "Album" || v == "Artist");
    // Left out: unknown fields and operators, conditions null.
    for extra in [
        filtered(json!([c(json!("category"), "is", json!("finance"))]), "and"),
        filtered(json!([c(json!("kind"), ">", json!(3))]), "and"),
        condition(json!({"logical_operator": "and", "conditions": null})),
    ] {
        assert_eq!(
            records(&ask(q, 100, 0.0, extra.clone()).await, &extra),
            all,
            "{extra}"
        );
    }

    // A Chinese question, escaped as Dify's json.dumps does.
    let zh = records(
        &ask("每张专辑有多少首曲目？", 5, 0.0, String::new()).await,
        "zh",
    );
    assert!(!zh.is_empty());
    // A train token may read too.
    let train_key = format!("Bearer {}", token(&alice, "train").await.1);
    let got = dify(
        &app,
        Some(&train_key),
        JSON,
        &body(&kid, TRACKS, 5, 0.0, ""),
    )
    .await;
    assert_eq!(records(&got, "train token"), five);
    app.stop().await;
}

async fn dify_errors_follow_dify(meta: Meta) {
    let app = app(meta).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;
    train(&alice, id, &["Artist", "Album"]).await;
    let untrained = alice.chinook("untrained").await;
    let bob = app.user("bob").await;
    let bobs = bob.chinook("bobs").await;
    train(&bob, bobs, &["Artist", "Album"]).await;
    let real = token(&alice, "read").await.1;
    let key = format!("Bearer {real}");
    let good = body(&format!("\"{id}\""), "albums", 3, 0.0, "");
    records(
        &dify(&app, Some(&key), JSON, &good).await,
        "the good request",
    );

    // 1001: no header, or not `Bearer <key>`; checked before the body.
    for header in [
        None,
        Some("Basic YWxpY2U6cGFzcw=="),
        Some("Bearer"),
        Some("Bearer  "),
        Some(real.as_str()),
    ] {
        let got = dify(&app, header, JSON, &good).await;
        dify_error(&got, StatusCode::FORBIDDEN, 1001, &format!("{header:?}"));
    }
    dify_error(
        &dify(&app, None, JSON, "{").await,
        StatusCode::FORBIDDEN,
        1001,
        "auth first",
    );
    // The session cookie is no API key.
    let res = alice
        .http
        .post(format!("{}/api/dify/retrieval", app.base))
        .header("content-type", JSON)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.json::<Value>().await.unwrap()["error_code"], 1001);

    // 1002: a well-formed header whose key is no token of ours, or is revoked.
    let forged = format!("Bearer dt_{}", "A".repeat(43));
    for header in [
        forged.as_str(),
        "Bearer app-1234567890",
        "bearer sk-not-datatrain",
    ] {
        let got = dify(&app, Some(header), JSON, &good).await;
        dify_error(&got, StatusCode::FORBIDDEN, 1002, header);
    }
    let (doomed_id, doomed) = token(&alice, "read").await;
    let doomed = format!("Bearer {doomed}");
    records(
        &dify(&app, Some(&doomed), JSON, &good).await,
        "before revoking",
    );
    let (s, _) = alice.delete(&format!("/api/tokens/{doomed_id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    dify_error(
        &dify(&app, Some(&doomed), JSON, &good).await,
        StatusCode::FORBIDDEN,
        1002,
        "revoked",
    );

    // 2001: another user's dataset (trained), one never trained, none, not an id.
    for kid in [
        format!("\"{bobs}\""),
        bobs.to_string(),
        format!("\"{untrained}\""),
        "\"999999\"".into(),
        "\"chinook\"".into(),
        "\"\"".into(),
        "0".into(),
        "-1".into(),
        "1.5".into(),
    ] {
        let got = dify(&app, Some(&key), JSON, &body(&kid, "albums", 3, 0.0, "")).await;
        dify_error(&got, StatusCode::NOT_FOUND, 2001, &kid);
    }
    // Bob's own token reads his dataset.
    let bobs_key = format!("Bearer {}", token(&bob, "read").await.1);
    let got = dify(
        &app,
        Some(&bobs_key),
        JSON,
        &body(&bobs.to_string(), "albums", 3, 0.0, ""),
    )
    .await;
    assert!(!records(&got, "bob's own").is_empty());

    // 3001: not a retrieval request.
    let kid = format!("\"{id}\"");
    for bad in [
        "".to_string(),
        "{".to_string(),
        "[]".to_string(),
        r#"{"query": "albums", "retrieval_setting": {"top_k": 3, "score_threshold": 0.5}}"#
            .to_string(),
        format!(
            r#"{{"knowledge_id": {kid}, "retrieval_setting": {{"top_k": 3, "score_threshold": 0.5}}}}"#
        ),
        format!(r#"{{"knowledge_id": {kid}, "query": "albums"}}"#),
        body(&kid, "", 3, 0.0, ""),
        body(&kid, "   ", 3, 0.0, ""),
        body(&kid, &"x".repeat(2001), 3, 0.0, ""),
        format!(
            r#"{{"knowledge_id": {kid}, "query": "albums", "retrieval_setting": {{"top_k": "three"}}}}"#
        ),
        body(
            &kid,
            "albums",
            3,
            0.0,
            &condition(json!({"conditions": [{"name": "kind"}]})),
        ),
    ] {
        let got = dify(&app, Some(&key), JSON, &bad).await;
        dify_error(&got, StatusCode::BAD_REQUEST, 3001, &bad);
    }
    // Null settings (Dify sends them when none are stored) take the defaults.
    let nulls = format!(
        r#"{{"retrieval_setting": {{"top_k": null, "score_threshold": null}}, "query": "albums", "knowledge_id": {kid}, "metadata_condition": null}}"#
    );
    let got = records(&dify(&app, Some(&key), JSON, &nulls).await, "nulls");
    assert!(!got.is_empty() && got.len() <= 10, "{got:?}");
    // The /api rule for bodies still holds: not JSON is 415.
    let (s, _) = dify(&app, Some(&key), "text/plain", &good).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Another method is the API's 405.
    let res = reqwest::Client::new()
        .get(format!("{}/api/dify/retrieval", app.base))
        .header("authorization", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    app.stop().await;
}
