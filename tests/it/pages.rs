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
/// Servers started (and stopped) while another one serves pages.
const STARTS: usize = 20;

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
    fetch_all_n(c, paths, ROUNDS).await
}

/// Fetches each path `rounds` times, [`AT_ONCE`] at a time; fails naming each that did not finish.
async fn fetch_all_n(c: &crate::common::app::Client, paths: Vec<String>, rounds: usize) {
    let jobs = (0..rounds).flat_map(|_| paths.iter().cloned());
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

/// Pages finish while other servers start in the same process. (Leptos marks
/// a route-list generation in a process-wide flag, and a resource first polled
/// while it is set never loads — leptos #4773 — so each start regenerating the
/// list would, now and then, stall a page another server is rendering.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_servers_start() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("olga").await;
    let starts = tokio::spawn(async {
        for _ in 0..STARTS {
            spawn_app(Meta::Sqlite).await.stop().await;
        }
    });
    let paths = vec![
        "/".to_string(),
        "/datasets/new".to_string(),
        "/account".to_string(),
    ];
    while !starts.is_finished() {
        fetch_all_n(&c, paths.clone(), 1).await;
    }
    starts.await.unwrap();
    app.stop().await;
}
