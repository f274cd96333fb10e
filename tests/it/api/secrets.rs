//! A source's password never comes back: not in any answer, not in the
//! server's log.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::Meta;
use crate::common::logs::captured_logs;
use crate::common::rest::app;

on_both!(source_password_never_leaks,);

async fn source_password_never_leaks(meta: Meta) {
    const SECRET: &str = "s3cretPW";
    let app = app(meta).await;
    let c = app.user("alice").await;
    let mut seen = Vec::new();
    let mut check = |what: &str, got: (StatusCode, Value)| -> (StatusCode, Value) {
        let text = got.1.to_string();
        assert!(!text.contains(SECRET), "{what}: {text}");
        assert!(!text.contains("s3cret@PW"), "{what}: {text}");
        seen.push(what.to_string());
        got
    };
    let url = format!("postgres://u:{SECRET}@127.0.0.1:1/db");
    let (s, d) = check(
        "create",
        c.post("/api/datasets", json!({"name": "shop", "source_url": url}))
            .await,
    );
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["source_url"], "postgres://u:***@127.0.0.1:1/db");
    let id = d["id"].as_i64().unwrap();
    let p = |suffix: &str| format!("/api/datasets/{id}{suffix}");
    check("list", c.get("/api/datasets").await);
    check("get", c.get(&p("")).await);
    let (s, _) = check(
        "patch",
        c.patch(&p(""), json!({"description": "the shop", "name": "shop2"}))
            .await,
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _) = check("tables", c.get(&p("/tables")).await);
    assert_eq!(s, StatusCode::BAD_GATEWAY);
    check(
        "add doc",
        c.post(&p("/docs"), json!({"title": "t", "content": "orders"}))
            .await,
    );
    check("docs", c.get(&p("/docs")).await);
    let (s, b) = check(
        "start",
        c.post(&p("/training"), json!({"table_names": ["orders"]}))
            .await,
    );
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let failed = c
        .wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    check("progress", (StatusCode::OK, failed.clone()));
    assert!(
        failed["error_msg"].as_str().unwrap().contains("connect"),
        "{failed}"
    );
    check("progress again", c.get(&p("/training/progress")).await);
    check("logs", c.get(&p("/training/logs?limit=500")).await);
    check("runs", c.get(&p("/training/runs")).await);
    check("search", c.get(&p("/search?q=orders")).await);
    check("pause", c.post_empty(&p("/training/pause")).await);
    // A new URL with a password that needs decoding; the source cannot change into a leak.
    let (s, b) = check(
        "patch url",
        c.patch(
            &p(""),
            json!({"source_url": "postgres://u:s3cret%40PW@127.0.0.1:1/db"}),
        )
        .await,
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["source_url"], "postgres://u:***@127.0.0.1:1/db");
    check("tables again", c.get(&p("/tables")).await);
    check("restart", c.post(&p("/training"), json!({})).await);
    c.wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    check("logs again", c.get(&p("/training/logs")).await);
    check("runs again", c.get(&p("/training/runs")).await);
    // A password given as a query parameter never comes back either.
    let (s, b) = check(
        "create with ?password=",
        c.post(
            "/api/datasets",
            json!({"name": "q", "source_url": format!("postgres://u@127.0.0.1:1/db?password={SECRET}")}),
        )
        .await,
    );
    assert!(
        s == StatusCode::CREATED || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s} {b}"
    );
    // Refused URLs holding the password: the detail does not echo it.
    for bad in [
        format!("postgres://u:{SECRET}@/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:99999/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:1"),
        format!("mysql://u:{SECRET}@127.0.0.1:1/a/b"),
        format!("redis://u:{SECRET}@127.0.0.1:1/db"),
    ] {
        let (s, b) = check(
            "refused url",
            c.post("/api/datasets", json!({"name": "bad", "source_url": bad}))
                .await,
        );
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        let (s, _) = check(
            "refused patch",
            c.patch(&p(""), json!({"source_url": bad})).await,
        );
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    check("list again", c.get("/api/datasets").await);
    check("delete data", c.delete(&p("/training")).await);
    check("delete", c.delete(&p("")).await);
    assert!(seen.len() > 20);

    let logs = captured_logs().text();
    assert!(
        logs.contains("dataset created"),
        "the log capture works: {} bytes",
        logs.len()
    );
    for secret in [SECRET, "s3cret@PW", "s3cret%40PW"] {
        if let Some(at) = logs.find(secret) {
            let from = logs[..at].rfind('\n').map_or(0, |i| i + 1);
            let to = logs[at..].find('\n').map_or(logs.len(), |i| at + i);
            panic!("the password is in the server log: {}", &logs[from..to]);
        }
    }
    app.stop().await;
}
