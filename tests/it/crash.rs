//! Kill the server (SIGKILL) in the middle of a run, start it again: the run is
//! recovered, resumes from its checkpoint and ends with the same collection as
//! an uninterrupted run.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::app::{Client, free_port, wait_healthy};
use datatrain::server::store::Store;
use reqwest::StatusCode;
use serde_json::json;

fn start_server(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_datatrain"))
        .env("DATATRAIN_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATATRAIN_DATABASE_URL",
            format!("sqlite://{}", dir.join("datatrain.db").display()),
        )
        .env("DATATRAIN_KEY_FILE", dir.join("datatrain.key"))
        .env("DATATRAIN_SOURCES_DIR", dir.join("sources"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_after_restart_with_the_same_collection() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sources")).unwrap();
    crate::common::sources::chinook_sqlite_copy(&dir.path().join("sources"));
    let port = free_port();
    let mut server = start_server(dir.path(), port);
    let client = Client {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap(),
    };
    wait_healthy(&client).await;
    let creds = json!({"username": "crash", "password": "train-Knowledge-42"});
    assert_eq!(
        client.post("/api/auth/signup", creds.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        client.post("/api/auth/login", creds).await.0,
        StatusCode::OK
    );

    let reference = client.chinook("reference").await;
    let (s, started) = client
        .post(
            &format!("/api/datasets/{reference}/training"),
            json!({"table_names": crate::common::world::World::all_tables()}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let reference_run = started["run_id"].as_i64().unwrap();
    client
        .wait_progress(reference, "reference completed", |p| {
            p["status"] == "completed"
        })
        .await;

    let id = client.chinook("crashed").await;
    let (s, started) = client
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": crate::common::world::World::all_tables(), "max_items_per_sec": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let run = started["run_id"].as_i64().unwrap();
    client
        .wait_progress(id, "stage 2", |p| {
            p["process_rate"].as_f64().unwrap_or(0.0) > 15.0
        })
        .await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();

    let mut server = start_server(dir.path(), port);
    wait_healthy(&client).await;
    // The cookie survives the restart (sessions are in the database).
    let (s, p) = client
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert!(
        ["training", "queued", "completed"].contains(&p["status"].as_str().unwrap_or("")),
        "the dead worker's run is busy until its lease runs out, then queued and claimed again: {p}"
    );
    // Its lease runs out 5 s after the last heartbeat; recovery looks every second.
    for _ in 0..900 {
        let (_, p) = client
            .get(&format!("/api/datasets/{id}/training/progress"))
            .await;
        if p["status"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, p) = client
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(p["status"], "completed", "{p}");
    let (_, runs) = client
        .get(&format!("/api/datasets/{id}/training/runs"))
        .await;
    assert_eq!(
        runs.as_array().unwrap().len(),
        1,
        "recovery continues the same run: {runs}"
    );
    let (_, logs) = client
        .get(&format!("/api/datasets/{id}/training/logs?limit=500"))
        .await;
    assert!(logs.to_string().contains("Recovered"), "{logs}");
    server.kill().unwrap();
    server.wait().unwrap();

    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("datatrain.db").display()
    ))
    .await
    .unwrap();
    let expected = store.version_hashes(reference_run).await.unwrap();
    assert!(!expected.is_empty());
    assert_eq!(store.version_hashes(run).await.unwrap(), expected);
    store.close().await;
}
