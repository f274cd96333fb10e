//! Server-sent events over real HTTP connections: a training's events as they
//! happen, replay after `Last-Event-ID`, the stream of all datasets, who may
//! follow what, and events that cross instances on one PostgreSQL store.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::{Client, Meta, Options, spawn_app_with};
use crate::common::sse::{SseEvent, SseStream};

on_both!(
    a_training_streams_its_events,
    a_reconnect_gets_what_it_missed,
    every_dataset_stream_and_who_may_follow,
);

/// Events are expected well within this (the wait only bounds a failing test).
const WAIT: Duration = Duration::from_secs(20);

async fn slow_app(meta: Meta) -> crate::common::app::TestApp {
    spawn_app_with(Options {
        meta,
        throttle_items_per_sec: 40.0,
        ..Options::default()
    })
    .await
}

fn url(c: &Client, path: &str) -> String {
    format!("{}{}", c.base, path)
}

fn completed(e: &SseEvent) -> bool {
    e.event == "status" && e.data["status"] == "completed"
}

async fn logs(c: &Client, id: i64) -> Vec<Value> {
    let (s, b) = c
        .get(&format!("/api/datasets/{id}/training/logs?limit=500"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut lines = b.as_array().unwrap().clone();
    lines.reverse();
    lines
}

async fn a_training_streams_its_events(meta: Meta) {
    let app = slow_app(meta).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;
    let path = format!("/api/datasets/{id}/training/events");
    let mut stream = SseStream::open(&alice.http, &url(&alice, &path), None).await;
    let headers = stream.response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"),
        "{headers:?}"
    );
    assert_eq!(headers["x-accel-buffering"], "no");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-cache")
    );

    // First the current progress, exactly as the progress endpoint shows it.
    let first = stream.next(WAIT).await.expect("the current progress");
    assert_eq!(first.event, "progress");
    let (_, now) = alice
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(first.data, now);
    assert_eq!(first.data["status"], "pending");

    // Paced (about 1 s in all), so that checkpoints are apart even on a loaded machine:
    // the hub coalesces changes it reads together.
    let (s, b) = alice
        .post(
            &format!("/api/datasets/{id}/training"),
            serde_json::json!({"table_names": ["Artist", "Album", "Genre", "Track"], "max_items_per_sec": 40}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "{b}");
    let events = stream.until(WAIT, completed).await;
    for e in &events {
        assert!(
            e.id.as_deref().is_some_and(|i| i.parse::<i64>().is_ok()),
            "{e:?}"
        );
    }
    let statuses: Vec<&str> = events
        .iter()
        .filter(|e| e.event == "status")
        .map(|e| e.data["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"training"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"completed"));
    for e in events.iter().filter(|e| e.event == "status") {
        assert_eq!(e.data["dataset_id"], id, "{e:?}");
        assert!(e.data["previous_status"].is_string(), "{e:?}");
    }
    // Progress rises, and many checkpoints are pushed, not just the ends.
    let rates: Vec<f64> = events
        .iter()
        .filter(|e| e.event == "progress")
        .map(|e| e.data["process_rate"].as_f64().unwrap())
        .collect();
    assert!(rates.len() >= 5, "{rates:?}");
    assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");
    // Every log line the run wrote came as a `log` event, in order, as the logs endpoint shows it.
    let streamed: Vec<Value> = events
        .iter()
        .filter(|e| e.event == "log")
        .map(|e| e.data.clone())
        .collect();
    // The completion's log line is written with the status change, before its status event.
    assert_eq!(streamed, logs(&alice, id).await);
    for e in events.iter().filter(|e| e.event == "log") {
        assert_eq!(e.id.as_deref().unwrap(), e.data["id"].to_string());
    }
    // The last progress after completion is the endpoint's.
    let last = stream.next(WAIT).await.expect("the final progress");
    assert_eq!(last.event, "progress");
    let (_, now) = alice
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(last.data, now);
    assert_eq!(last.data["process_rate"], 100.0);
    app.stop().await;
}

async fn a_reconnect_gets_what_it_missed(meta: Meta) {
    let app = slow_app(meta).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;
    alice.train_four(id).await;
    alice
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    let lines = logs(&alice, id).await;
    assert!(lines.len() >= 4, "{lines:?}");
    let path = url(&alice, &format!("/api/datasets/{id}/training/events"));

    // From the beginning: every line, then the progress.
    let mut all = SseStream::open(&alice.http, &path, Some("0")).await;
    let got = all.until(WAIT, |e| e.event == "progress").await;
    let replayed: Vec<Value> = got[..got.len() - 1]
        .iter()
        .map(|e| e.data.clone())
        .collect();
    assert_eq!(replayed, lines);
    assert_eq!(got.last().unwrap().data["status"], "completed");
    assert_eq!(
        got.last().unwrap().id.as_deref(),
        Some(lines.last().unwrap()["id"].to_string().as_str())
    );

    // After the second line: the rest only.
    let after = lines[1]["id"].to_string();
    let mut rest = SseStream::open(&alice.http, &path, Some(&after)).await;
    let got = rest.until(WAIT, |e| e.event == "progress").await;
    let replayed: Vec<Value> = got[..got.len() - 1]
        .iter()
        .map(|e| e.data.clone())
        .collect();
    assert_eq!(replayed, lines[2..].to_vec());

    // Without Last-Event-ID (or with an unreadable one): nothing old, just the progress.
    for header in [None, Some("not-a-number")] {
        let mut fresh = SseStream::open(&alice.http, &path, header).await;
        let e = fresh.next(WAIT).await.unwrap();
        assert_eq!(e.event, "progress", "{header:?}");
    }
    app.stop().await;
}

async fn every_dataset_stream_and_who_may_follow(meta: Meta) {
    let app = slow_app(meta).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a1 = alice.chinook("one").await;
    let a2 = alice.chinook("two").await;
    let b1 = bob.chinook("bob's").await;

    // Who may follow what.
    let path = format!("/api/datasets/{a1}/training/events");
    let refused = SseStream::request(&bob.http, &url(&bob, &path), None).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let body: Value = refused.json().await.unwrap();
    assert!(body["detail"].is_string(), "{body}");
    let anonymous = app.client();
    for p in [path.as_str(), "/api/events"] {
        let r = SseStream::request(&anonymous.http, &url(&anonymous, p), None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{p}");
    }
    let bad = SseStream::request(
        &alice.http,
        &url(&alice, "/api/datasets/x/training/events"),
        None,
    )
    .await;
    assert_eq!(bad.status(), StatusCode::NOT_FOUND);
    // A read token follows.
    let (s, t) = alice
        .post("/api/tokens", json!({"name": "follower", "scope": "read"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let reader = app.bearer(t["token"].as_str().unwrap());
    let mut by_token = SseStream::open(&reader.http, &url(&reader, &path), None).await;
    assert_eq!(by_token.next(WAIT).await.unwrap().event, "progress");

    // The stream of all of alice's datasets: both trainings, each event named.
    let mut mine = SseStream::open(&alice.http, &url(&alice, "/api/events"), None).await;
    let mut bobs = SseStream::open(&bob.http, &url(&bob, "/api/events"), None).await;
    let initial: Vec<SseEvent> = vec![
        mine.next(WAIT).await.unwrap(),
        mine.next(WAIT).await.unwrap(),
    ];
    let mut named: Vec<i64> = initial
        .iter()
        .map(|e| {
            assert_eq!(e.event, "progress");
            e.data["dataset_id"].as_i64().unwrap()
        })
        .collect();
    named.sort();
    assert_eq!(named, vec![a1, a2]);
    alice.train_four(a1).await;
    alice.train_four(a2).await;
    let mut done = std::collections::HashSet::new();
    while done.len() < 2 {
        let e = mine.next(WAIT).await.expect("alice's events");
        let d = e.data["dataset_id"]
            .as_i64()
            .expect("every event names its dataset");
        assert!(d == a1 || d == a2, "{e:?}");
        if completed(&e) {
            done.insert(d);
        }
    }
    // Bob's stream carries only bob's dataset: his initial progress, then his own training.
    bob.train_four(b1).await;
    let got = bobs.until(WAIT, completed).await;
    for e in &got {
        assert_eq!(e.data["dataset_id"], b1, "{e:?}");
    }
    app.stop().await;
}

/// Two instances on one PostgreSQL store: a stream on instance b follows runs
/// that a user starts through instance a (the start is written by a, so its
/// "Training queued" line reaches b only through the event channel), and that
/// either instance executes. (Statuses a claim passes through within the hub's
/// read are seen as one change: queued may not show as its own status event.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_instances() {
    let (a, b) = crate::multi::two_instances().await;
    let alice = a.user("alice").await;
    let on_b = crate::multi::via(&alice, &b);
    let mut ids = Vec::new();
    for n in 0..2 {
        ids.push(alice.chinook(&format!("d{n}")).await);
    }
    let mut streams = Vec::new();
    for id in &ids {
        let path = format!("/api/datasets/{id}/training/events");
        let mut s = SseStream::open(&on_b.http, &url(&on_b, &path), None).await;
        assert_eq!(s.next(WAIT).await.unwrap().event, "progress");
        streams.push(s);
    }
    for id in &ids {
        alice.train_four(*id).await;
    }
    for s in &mut streams {
        let got = s.until(WAIT, completed).await;
        assert!(
            got.iter()
                .any(|e| e.event == "log" && e.data["content"] == "Training queued"),
            "{got:?}"
        );
    }
    a.stop().await;
    b.stop().await;
}
