//! Server-rendered pages always finish: every page, many times and concurrently,
//! on the runtimes a server runs (a current-thread one included), ends its HTML
//! stream. (Leptos 0.8 leaves a streamed response open for good when a page
//! built inside a `Suspend` is rebuilt mid-fetch: see `RequireUser`.)

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;

use crate::common::app::{Meta, TestApp, spawn_app};

/// How many times each page is fetched, and how many at once.
const ROUNDS: usize = 100;
const AT_ONCE: usize = 8;

async fn pages_always_finish(app: &TestApp) {
    // A new account (the empty list, with the demo offer), then one with a dataset.
    let newcomer = app.user("nora").await;
    fetch_all(
        &newcomer,
        vec!["/".to_string(), "/datasets/new".to_string()],
    )
    .await;
    let c = app.user("paula").await;
    let id = c.chinook("chinook").await;
    c.train_four(id).await;
    // A source that refuses the login: its page shows the error, and finishes.
    let (s, b) = c
        .post(
            "/api/datasets",
            serde_json::json!({"name": "refused", "source_url": "mysql://u:pa ss@127.0.0.1:3306/db"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let refused = b["id"].as_i64().unwrap();
    let paths = vec![
        "/".to_string(),
        format!("/datasets/{id}"),
        format!("/datasets/{refused}"),
        "/datasets/new".to_string(),
        "/account".to_string(),
        "/login".to_string(),
    ];
    fetch_all(&c, paths).await;
}

async fn fetch_all(c: &crate::common::app::Client, paths: Vec<String>) {
    let jobs = (0..ROUNDS).flat_map(|_| paths.iter().cloned());
    let unfinished: Vec<String> = futures::stream::iter(jobs)
        .map(|path| {
            async move {
                let fetch = async {
                    let res = c.http.get(format!("{}{path}", c.base)).send().await?;
                    let status = res.status();
                    let body = res.text().await?;
                    Ok::<_, reqwest::Error>((status, body))
                };
                // Far beyond any render here (a few ms): only a stream left open reaches it.
                match tokio::time::timeout(Duration::from_secs(20), fetch).await {
                    Ok(Ok((status, body))) => {
                        assert_eq!(status, StatusCode::OK, "{path}");
                        assert!(body.contains("</html>"), "{path}: {body}");
                        None
                    }
                    Ok(Err(e)) => Some(format!("{path}: {e}")),
                    Err(_) => Some(format!("{path}: never finished")),
                }
            }
        })
        .buffer_unordered(AT_ONCE)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    assert!(unfinished.is_empty(), "{unfinished:#?}");
}

#[tokio::test]
async fn pages_always_finish_on_a_current_thread_runtime() {
    let app = spawn_app(Meta::Sqlite).await;
    pages_always_finish(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_always_finish_on_a_multi_thread_runtime() {
    let app = spawn_app(Meta::Sqlite).await;
    pages_always_finish(&app).await;
    app.stop().await;
}
