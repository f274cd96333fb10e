//! Training runs: the start rules and the run history, pause and resume
//! (also racing the workers), cancel, and deleting the training data.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::Meta;
use crate::common::rest::{
    app, assert_error, assert_keys, assert_ts, get_dataset, progress, rate, runs, start, train,
};

on_both!(
    training_start_rules_and_runs,
    pause_and_resume_a_throttled_run,
    pause_resume_storm_never_fails,
    cancel_and_delete_training_data,
);

async fn training_start_rules_and_runs(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let path = format!("/api/datasets/{id}/training");

    // Nothing to reuse yet, or an empty list: 400.
    assert_error(
        &c.post(&path, json!({})).await,
        StatusCode::BAD_REQUEST,
        "omitted list, never trained",
    );
    assert_error(
        &c.post_empty(&path).await,
        StatusCode::BAD_REQUEST,
        "no body, never trained",
    );
    assert_error(
        &c.post(&path, json!({"table_names": []})).await,
        StatusCode::BAD_REQUEST,
        "empty list",
    );
    assert!(runs(&c, id).await.is_empty());

    // A throttled run is still open on the next requests.
    let run1 = start(
        &c,
        id,
        json!({"table_names": ["Track", "Album"], "max_items_per_sec": 20}),
    )
    .await;
    let conflict = c.post(&path, json!({"table_names": ["Track"]})).await;
    assert_error(&conflict, StatusCode::CONFLICT, "second start");
    assert_error(
        &c.delete(&format!("/api/datasets/{id}")).await,
        StatusCode::CONFLICT,
        "delete dataset while training",
    );
    assert_error(
        &c.delete(&path).await,
        StatusCode::CONFLICT,
        "delete training data while training",
    );
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(rate(&p), 100.0);
    assert_ts(&p["last_train_at"], "last_train_at");
    let d = get_dataset(&c, id).await;
    assert_eq!(d["table_names"], json!(["Track", "Album"]));
    assert_eq!(d["status"], "completed");

    // An omitted list reuses the last one.
    let run2 = start(&c, id, json!({})).await;
    assert!(run2 > run1);
    c.wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["id"], run2, "newest first");
    assert_eq!(r[1]["id"], run1);
    for run in &r {
        assert_keys(
            run,
            &[
                "id",
                "status",
                "started_at",
                "finished_at",
                "items",
                "error",
                "instance",
                "webhook_status",
            ],
            "run",
        );
        assert_eq!(run["status"], "completed");
        assert!(
            run["instance"].as_str().is_some_and(|i| !i.is_empty()),
            "{run}"
        );
        assert_ts(&run["started_at"], "started_at");
        assert_ts(&run["finished_at"], "finished_at");
        assert_eq!(run["error"], Value::Null);
    }
    assert_eq!(
        r[0]["items"], r[1]["items"],
        "the same tables give the same items"
    );
    assert!(r[0]["items"].as_i64().unwrap() > 2);

    // Unknown table names: the run fails, naming them; the collection stays searchable.
    let run3 = start(
        &c,
        id,
        json!({"table_names": ["Track", "NoSuchTable", "Nope_2"]}),
    )
    .await;
    let p = c
        .wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    let msg = p["error_msg"].as_str().expect("error_msg");
    assert!(
        msg.contains("NoSuchTable") && msg.contains("Nope_2"),
        "{msg}"
    );
    assert!(!msg.contains("Track,"), "{msg}");
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["id"], run3);
    assert_eq!(r[0]["status"], "failed");
    assert_eq!(r[0]["items"], 0);
    assert!(r[0]["error"].as_str().unwrap().contains("NoSuchTable"));
    let (s, found) = c
        .get(&format!(
            "/api/datasets/{id}/search?q=How%20many%20tracks%20are%20there%3F"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["tables"][0], "Track", "{found}");

    // From failed a new start is allowed; an omitted list reuses the failed run's list.
    start(&c, id, json!({})).await;
    let p = c
        .wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    assert!(p["error_msg"].as_str().unwrap().contains("NoSuchTable"));
    start(&c, id, json!({"table_names": ["Track", "Album"]})).await;
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(p["error_msg"], Value::Null);
    let (s, b) = c.delete(&format!("/api/datasets/{id}")).await;
    assert!(s.is_success(), "{s} {b}");
    // Nothing of the deleted dataset stays behind in the full-text index.
    if let Some(file) = &app.db_file {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items_fts")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "full-text rows of a deleted dataset");
    }
    app.stop().await;
}

async fn pause_and_resume_a_throttled_run(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let base = format!("/api/datasets/{id}/training");

    // Pausing a dataset that is not training: 400 with exactly this detail.
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b, json!({"detail": "Dataset is not training"}));
    assert_error(
        &c.post_empty(&format!("{base}/resume")).await,
        StatusCode::BAD_REQUEST,
        "resume pending",
    );
    assert_error(
        &c.post_empty(&format!("{base}/cancel")).await,
        StatusCode::BAD_REQUEST,
        "cancel pending",
    );

    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    c.wait_progress(id, "training with progress", |p| {
        p["status"] == "training" && rate(p) > 0.0
    })
    .await;
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "pause");
    assert!(b["message"].is_string());
    let paused = progress(&c, id).await;
    assert_eq!(paused["status"], "paused");
    assert!(rate(&paused) > 0.0 && rate(&paused) < 100.0, "{paused}");
    // Later reads: the rate stays put (the stopping task must not move it).
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let p = progress(&c, id).await;
        assert_eq!(p["status"], "paused");
        assert_eq!(rate(&p), rate(&paused), "{p} after {paused}");
    }
    assert_eq!(rate(&get_dataset(&c, id).await), rate(&paused));
    // Paused is not training; a paused run blocks a new start.
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b, json!({"detail": "Dataset is not training"}));
    assert_error(
        &c.post(&base, json!({"table_names": ["Track"]})).await,
        StatusCode::CONFLICT,
        "start while paused",
    );

    let (s, b) = c.post_empty(&format!("{base}/resume")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "resume");
    let status = progress(&c, id).await["status"].clone();
    assert!(status == "queued" || status == "training", "{status}");
    assert_error(
        &c.post_empty(&format!("{base}/resume")).await,
        StatusCode::BAD_REQUEST,
        "resume twice",
    );
    let p = c
        .wait_progress(id, "completed", |p| {
            p["status"] == "completed" || p["status"] == "failed"
        })
        .await;
    assert_eq!(p["status"], "completed", "{p}");
    assert_eq!(rate(&p), 100.0);
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["status"], "completed");
    assert!(r[0]["items"].as_i64().unwrap() > 0, "{r:?}");
    let (_, logs) = c.get(&format!("{base}/logs?limit=500")).await;
    let text: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["content"].as_str().unwrap())
        .collect();
    assert!(text.iter().any(|l| l.contains("paused")), "{text:?}");
    assert!(text.iter().any(|l| l.contains("resumed")), "{text:?}");
    // Completed is not training either.
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Dataset is not training"})
        )
    );
    app.stop().await;
}

/// Pauses and resumes racing the workers' claims and checkpoints: every answer
/// is 200 or 400 (no 500 from the two sides locking in opposite orders), and
/// each dataset still ends with one completed run.
async fn pause_resume_storm_never_fails(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let tables = [
        "Track",
        "Album",
        "Artist",
        "Genre",
        "Invoice",
        "InvoiceLine",
        "Customer",
        "Employee",
    ];
    let mut ids = Vec::new();
    for i in 0..2 {
        let id = c.chinook(&format!("storm{i}")).await;
        start(
            &c,
            id,
            json!({"table_names": tables, "max_items_per_sec": 200}),
        )
        .await;
        ids.push(id);
    }
    for round in 0..60 {
        for &id in &ids {
            for action in ["pause", "resume"] {
                let (s, b) = c
                    .post_empty(&format!("/api/datasets/{id}/training/{action}"))
                    .await;
                assert!(
                    s == StatusCode::OK || s == StatusCode::BAD_REQUEST,
                    "round {round}, {action}: {s} {b}"
                );
            }
        }
    }
    for &id in &ids {
        if progress(&c, id).await["status"] == "paused" {
            let (s, b) = c
                .post_empty(&format!("/api/datasets/{id}/training/resume"))
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        let p = c
            .wait_progress(id, "completed", |p| {
                p["status"] == "completed" || p["status"] == "failed"
            })
            .await;
        assert_eq!(p["status"], "completed", "{p}");
        let r = runs(&c, id).await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0]["status"], "completed");
        assert!(r[0]["items"].as_i64().unwrap() > 0);
    }
    app.stop().await;
}

async fn cancel_and_delete_training_data(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let base = format!("/api/datasets/{id}/training");
    let done = train(&c, id, &["Track", "Album"]).await;
    let items = runs(&c, id).await[0]["items"].clone();
    let search = format!("/api/datasets/{id}/search?q=tracks%20album");

    // Cancel a training run: back to completed, its partial data dropped.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    c.wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    let (s, b) = c.post_empty(&format!("{base}/cancel")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "cancel");
    let p = progress(&c, id).await;
    assert_eq!(p["status"], "completed");
    assert_eq!(rate(&p), 100.0);
    assert_eq!(p["last_train_at"], done["last_train_at"]);
    assert_error(
        &c.post_empty(&format!("{base}/cancel")).await,
        StatusCode::BAD_REQUEST,
        "cancel twice",
    );
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["status"], "cancelled");
    assert_eq!(r[0]["items"], 0);
    assert_eq!(r[1]["items"], items);
    let (_, found) = c.get(&search).await;
    assert!(!found["items"].as_array().unwrap().is_empty());

    // Cancel a paused run.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    c.wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    assert_eq!(
        c.post_empty(&format!("{base}/pause")).await.0,
        StatusCode::OK
    );
    let (s, b) = c.post_empty(&format!("{base}/cancel")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(progress(&c, id).await["status"], "completed");

    // Delete the training data: refused while training, allowed when paused.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    assert_error(
        &c.delete(&base).await,
        StatusCode::CONFLICT,
        "delete data while queued/training",
    );
    assert_eq!(
        c.post_empty(&format!("{base}/pause")).await.0,
        StatusCode::OK
    );
    let (s, b) = c.delete(&base).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "delete data");
    let p = progress(&c, id).await;
    assert_eq!(p["status"], "pending");
    assert_eq!(rate(&p), 0.0);
    assert_eq!(p["last_train_at"], Value::Null);
    let (s, found) = c.get(&search).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found, json!({"items": [], "tables": []}));
    let r = runs(&c, id).await;
    assert!(r.iter().all(|r| r["status"] != "paused"), "{r:?}");
    // Nothing left to resume.
    assert_error(
        &c.post_empty(&format!("{base}/resume")).await,
        StatusCode::BAD_REQUEST,
        "resume after delete",
    );
    // Deleting again (pending) is fine.
    assert_eq!(c.delete(&base).await.0, StatusCode::OK);
    // And it trains again from scratch.
    train(&c, id, &["Album"]).await;
    let (_, found) = c.get(&search).await;
    assert!(!found["items"].as_array().unwrap().is_empty());
    app.stop().await;
}
