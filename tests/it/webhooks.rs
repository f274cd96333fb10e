//! Webhooks against a real local receiver (an HTTP server on loopback): set by
//! PATCH with the secret shown once and stored encrypted, signed deliveries of
//! every terminal change, retries with backoff, the outcome in the run
//! history, and the source policy for webhook hosts.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::app::{Client, Meta, Options, TestApp, spawn_app_with};
use datatrain::server::sources::SourcePolicy;

on_both!(
    terminal_changes_are_posted_signed,
    failed_deliveries_are_retried_then_given_up,
    webhook_urls_are_checked,
);

/// What the receiver got, and the status codes it answers with (then 200).
#[derive(Default)]
struct Inbox {
    got: Vec<(HeaderMap, String)>,
    answers: Vec<u16>,
}

struct Receiver {
    url: String,
    inbox: Arc<Mutex<Inbox>>,
}

async fn receiver(answers: Vec<u16>) -> Receiver {
    let inbox = Arc::new(Mutex::new(Inbox {
        got: vec![],
        answers,
    }));
    let state = inbox.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut inbox = state.lock().unwrap();
                inbox.got.push((headers, body));
                let code = if inbox.answers.is_empty() {
                    200
                } else {
                    inbox.answers.remove(0)
                };
                AxumStatus::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, inbox }
}

impl Receiver {
    fn bodies(&self) -> Vec<(HeaderMap, String)> {
        self.inbox.lock().unwrap().got.clone()
    }

    /// Waits (bounded) until `n` requests came.
    async fn wait_for(&self, n: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..3000 {
            let got = self.bodies();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.bodies().len());
    }
}

fn signed(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

async fn app(meta: Meta, policy: SourcePolicy) -> TestApp {
    spawn_app_with(Options {
        meta,
        throttle_items_per_sec: 40.0,
        webhook_backoff_ms: 20,
        source_policy: policy,
        ..Options::default()
    })
    .await
}

async fn set_hook(c: &Client, id: i64, url: Value) -> (StatusCode, Value) {
    c.patch(
        &format!("/api/datasets/{id}"),
        json!({ "webhook_url": url }),
    )
    .await
}

async fn webhook_status(c: &Client, id: i64, want: &str) -> Value {
    for _ in 0..3000 {
        let (_, runs) = c.get(&format!("/api/datasets/{id}/training/runs")).await;
        if runs[0]["webhook_status"] == want {
            return runs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("webhook_status never became {want}");
}

async fn terminal_changes_are_posted_signed(meta: Meta) {
    let app = app(meta, SourcePolicy::default()).await;
    let hook = receiver(vec![]).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;

    let (s, set) = set_hook(&alice, id, json!(hook.url)).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["webhook_url"], hook.url);
    let secret = set["webhook_secret"]
        .as_str()
        .expect("shown once")
        .to_string();
    assert!(secret.len() >= 32, "{secret}");
    // Never again: not on a read, not on a change of URL.
    let (_, read) = alice.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(read["webhook_url"], hook.url);
    assert!(read.get("webhook_secret").is_none(), "{read}");
    let (s, again) = set_hook(&alice, id, json!(format!("{}?v=2", hook.url))).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert!(again.get("webhook_secret").is_none(), "{again}");
    // Stored encrypted.
    let pool = app.store_pool().await;
    let stored: String = sqlx::query_scalar("SELECT webhook_secret FROM datasets WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(!stored.contains(&secret), "the secret is stored in clear");

    // train → pause → resume → complete: two terminal changes.
    alice.train_four(id).await;
    alice
        .wait_progress(id, "training", |p| {
            p["status"] == "training" && p["process_rate"].as_f64().unwrap() > 0.0
        })
        .await;
    let (s, b) = alice
        .post_empty(&format!("/api/datasets/{id}/training/pause"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let paused = hook.wait_for(1).await;
    let (s, b) = alice
        .post_empty(&format!("/api/datasets/{id}/training/resume"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    alice
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    let got = hook.wait_for(2).await;
    assert_eq!(got[0].1, paused[0].1);
    let (_, runs) = alice
        .get(&format!("/api/datasets/{id}/training/runs"))
        .await;
    let run_id = runs[0]["id"].as_i64().unwrap();
    let mut statuses = Vec::new();
    for (headers, body) in &got {
        assert_eq!(
            headers["x-datatrain-signature"],
            signed(&secret, body).as_str()
        );
        assert_eq!(headers["content-type"], "application/json");
        let v: Value = serde_json::from_str(body).unwrap();
        for key in [
            "event",
            "dataset_id",
            "run_id",
            "status",
            "process_rate",
            "error_msg",
            "at",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
        assert_eq!(v["dataset_id"], id);
        assert_eq!(v["run_id"], run_id);
        statuses.push(v["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, vec!["paused", "completed"]);
    let last: Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(last["process_rate"], 100.0);
    assert_eq!(last["error_msg"], Value::Null);
    webhook_status(&alice, id, "delivered").await;

    // Removed: the next run posts nothing.
    let (s, b) = set_hook(&alice, id, Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["webhook_url"], Value::Null);
    alice.train_four(id).await;
    alice
        .wait_progress(id, "completed again", |p| {
            p["status"] == "completed" && p["last_train_at"] != read["last_train_at"]
        })
        .await;
    let (_, runs) = alice
        .get(&format!("/api/datasets/{id}/training/runs"))
        .await;
    assert_eq!(runs[0]["webhook_status"], Value::Null, "{runs}");
    app.stop().await;
}

async fn failed_deliveries_are_retried_then_given_up(meta: Meta) {
    let app = app(meta, SourcePolicy::default()).await;
    let alice = app.user("alice").await;
    // Fails twice, then takes it.
    let flaky = receiver(vec![500, 503]).await;
    let id = alice.chinook("flaky").await;
    let (s, b) = set_hook(&alice, id, json!(flaky.url)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    alice.train_four(id).await;
    webhook_status(&alice, id, "delivered").await;
    let got = flaky.bodies();
    assert_eq!(got.len(), 3, "two failures, then the delivery");
    assert!(
        got.windows(2).all(|w| w[0].1 == w[1].1),
        "the same body each time"
    );

    // Always failing: the first attempt and 5 retries, then failed.
    let broken = receiver(vec![500; 100]).await;
    let id = alice.chinook("broken").await;
    let (s, b) = set_hook(&alice, id, json!(broken.url)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    alice.train_four(id).await;
    webhook_status(&alice, id, "failed").await;
    assert_eq!(broken.bodies().len(), 6);
    app.stop().await;
}

async fn webhook_urls_are_checked(meta: Meta) {
    let app = app(
        meta,
        SourcePolicy::from_lists(None, Some("127.0.0.0/8")).unwrap(),
    )
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let id = alice.chinook("chinook").await;
    for bad in [
        json!("ftp://example.com/x"),
        json!("no url"),
        json!("http://u:p@example.com/"),
        json!(42),
    ] {
        let (s, b) = set_hook(&alice, id, bad.clone()).await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::BAD_REQUEST,
            "{bad}: {s} {b}"
        );
        assert!(b["detail"].is_string(), "{b}");
    }
    // The source policy applies: loopback is denied here.
    let (s, b) = set_hook(&alice, id, json!("http://127.0.0.1:9/hook")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .contains("DATATRAIN_SOURCE_DENY"),
        "{b}"
    );
    // Not theirs: 404, nothing set.
    let (s, _) = set_hook(&bob, id, json!("https://example.com/hook")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, read) = alice.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(read["webhook_url"], Value::Null);
    app.stop().await;
}
