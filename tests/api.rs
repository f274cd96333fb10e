//! The REST API over HTTP against the real app on a free port, with a fresh
//! SQLite database (and the same suite on PostgreSQL).
#![cfg(feature = "ssr")]

mod common;

use common::app::{Meta, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_answers() {
    let app = spawn_app(Meta::Sqlite).await;
    let (s, b) = app.client().get("/api/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        b,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok"})
    );
    app.stop().await;
}

#[tokio::test]
async fn train_chinook_over_http() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": ["Track", "Album"]}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["status"], "queued");
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(p["process_rate"], 100.0);
    let (s, b) = c
        .get(&format!(
            "/api/datasets/{id}/search?q=How%20many%20tracks%20are%20there%3F"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["tables"][0], "Track", "{b}");
    app.stop().await;
}
