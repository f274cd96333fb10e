//! Two datatrain instances on one fresh PostgreSQL database: work spreads over
//! them, pause, resume and cancel reach the run wherever it runs, a logout is
//! seen by both, concurrent starts split over both make one run, and a killed
//! instance's run is taken over by the other with the same collection.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::app::{Client, Meta, Options, TestApp, free_port, spawn_app_with, wait_healthy};
use crate::common::sources::{Server, drop_database, pg_admin_url, unique_db_name};
use crate::common::world::World;
use datatrain::server::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: [u8; 64] = [42u8; 64];

/// Two instances (`a` and `b`, one worker each) on one new PostgreSQL database.
pub(crate) async fn two_instances() -> (TestApp, TestApp) {
    let a = spawn_app_with(Options {
        meta: Meta::Postgres,
        workers: 1,
        key: Some(KEY.to_vec()),
        instance: Some("a".into()),
        ..Options::default()
    })
    .await;
    let b = spawn_app_with(Options {
        meta: Meta::Postgres,
        workers: 1,
        key: Some(KEY.to_vec()),
        instance: Some("b".into()),
        shared_database: Some(a.database_url.clone()),
        ..Options::default()
    })
    .await;
    (a, b)
}

/// The same browser (cookies are per host, not per port) talking to `app`.
pub(crate) fn via(c: &Client, app: &TestApp) -> Client {
    Client {
        base: app.base.clone(),
        http: c.http.clone(),
    }
}

async fn runs(c: &Client, id: i64) -> Vec<Value> {
    let (s, r) = c.get(&format!("/api/datasets/{id}/training/runs")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r.as_array().unwrap().clone()
}

/// Waits (bounded) until the dataset's open run is claimed; returns its instance.
async fn running_on(c: &Client, id: i64) -> String {
    c.wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    for _ in 0..500 {
        if let Some(i) = runs(c, id).await[0]["instance"].as_str() {
            return i.to_string();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the run has no instance");
}

async fn checkpoint(app: &TestApp, run: i64) -> String {
    let pool = app.store_pool().await;
    let c: String = sqlx::query_scalar("SELECT checkpoint FROM training_runs WHERE id = $1")
        .bind(run)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_spreads_and_control_reaches_the_other_instance() {
    let (a, b) = two_instances().await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let da = alice.chinook("a").await;
    let db = bob.chinook("b").await;
    let slow = json!({"table_names": World::all_tables(), "max_items_per_sec": 4});
    let (s, started) = alice
        .post(&format!("/api/datasets/{da}/training"), slow.clone())
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let run = started["run_id"].as_i64().unwrap();
    let (s, _) = bob
        .post(&format!("/api/datasets/{db}/training"), slow.clone())
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // One worker each: the two runs train on the two instances.
    let mut on = vec![running_on(&alice, da).await, running_on(&bob, db).await];
    on.sort();
    assert_eq!(on, ["a", "b"]);

    // Pause alice's run through the instance that does not run it.
    let here = running_on(&alice, da).await;
    let other = if here == "a" { &b } else { &a };
    let remote = via(&alice, other);
    let t = Instant::now();
    let (s, m) = remote
        .post_empty(&format!("/api/datasets/{da}/training/pause"))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    // The task stops: its checkpoint stays put once the pause reached it.
    let mut last = checkpoint(&a, run).await;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = checkpoint(&a, run).await;
        if now == last {
            break;
        }
        last = now;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        checkpoint(&a, run).await,
        last,
        "the paused run still moves"
    );
    eprintln!(
        "pause through the other instance settled within {:?}",
        t.elapsed()
    );
    let p = remote
        .wait_progress(da, "paused", |p| p["status"] == "paused")
        .await;
    assert_eq!(p["status"], "paused");

    // Resume through the other instance again: the same run continues, then cancel it there.
    let (s, _) = remote
        .post_empty(&format!("/api/datasets/{da}/training/resume"))
        .await;
    assert_eq!(s, StatusCode::OK);
    running_on(&alice, da).await;
    let (s, _) = remote
        .post_empty(&format!("/api/datasets/{da}/training/cancel"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let p = alice
        .wait_progress(da, "cancelled", |p| p["status"] == "pending")
        .await;
    assert_eq!(p["status"], "pending");
    let r = runs(&alice, da).await;
    assert_eq!(r.len(), 1, "resume continued the same run: {r:?}");
    assert_eq!(r[0]["status"], "cancelled");
    let _ = bob
        .post_empty(&format!("/api/datasets/{db}/training/cancel"))
        .await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_is_seen_by_the_other_instance_and_starts_make_one_run() {
    let (a, b) = two_instances().await;
    let carol = a.user("carol").await;
    let on_b = via(&carol, &b);

    // 100 concurrent starts of one dataset, split over both instances: one run.
    let id = carol.chinook("c").await;
    let mut starts = Vec::new();
    for i in 0..100 {
        let c = if i % 2 == 0 {
            carol.clone()
        } else {
            on_b.clone()
        };
        starts.push(tokio::spawn(async move {
            c.post(
                &format!("/api/datasets/{id}/training"),
                json!({"table_names": ["Album"], "max_items_per_sec": 1}),
            )
            .await
            .0
        }));
    }
    let mut accepted = 0;
    for s in starts {
        match s.await.unwrap() {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(runs(&carol, id).await.len(), 1);
    let _ = carol
        .post_empty(&format!("/api/datasets/{id}/training/cancel"))
        .await;

    // A browser's session cookie, sent by hand to both instances.
    let plain = reqwest::Client::new();
    let res = plain
        .post(format!("{}/api/auth/login", a.base))
        .json(&json!({"username": "carol", "password": "train-Knowledge-42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("datatrain_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let me = |base: &str| {
        let req = plain
            .get(format!("{base}/api/auth/me"))
            .header("cookie", cookie.clone());
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(me(&b.base).await, StatusCode::OK);
    // Logout on a: b refuses the same cookie within about a second.
    let res = plain
        .post(format!("{}/api/auth/logout", a.base))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let t = Instant::now();
    let mut status = StatusCode::OK;
    while t.elapsed() < Duration::from_secs(3) {
        status = me(&b.base).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    eprintln!("logout seen on the other instance after {:?}", t.elapsed());
    b.stop().await;
    a.stop().await;
}

fn start_instance(dir: &std::path::Path, db: &str, name: &str, port: u16) -> Child {
    use base64::Engine;
    Command::new(env!("CARGO_BIN_EXE_datatrain"))
        .env("DATATRAIN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATATRAIN_DATABASE_URL", db)
        .env(
            "DATATRAIN_KEY",
            base64::engine::general_purpose::STANDARD.encode(KEY),
        )
        .env("DATATRAIN_INSTANCE", name)
        .env("DATATRAIN_WORKERS", "1")
        .env("DATATRAIN_SOURCES_DIR", dir.join("sources"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the instance starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instances_run_continues_on_the_other_with_the_same_collection() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sources")).unwrap();
    crate::common::sources::chinook_sqlite_copy(&dir.path().join("sources"));
    let name = unique_db_name().replace("dt_src_", "dt_multi_");
    let db = format!("{}/{name}", pg_admin_url());
    let ports = [free_port(), free_port()];
    let mut procs = [Some(start_instance(dir.path(), &db, "one", ports[0])), None];
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let clients: Vec<Client> = ports
        .iter()
        .map(|p| Client {
            base: format!("http://127.0.0.1:{p}"),
            http: http.clone(),
        })
        .collect();
    wait_healthy(&clients[0]).await;
    // The second starts once the first created the schema.
    procs[1] = Some(start_instance(dir.path(), &db, "two", ports[1]));
    wait_healthy(&clients[1]).await;
    let c = &clients[0];
    let creds = json!({"username": "kill", "password": "train-Knowledge-42"});
    assert_eq!(
        c.post("/api/auth/signup", creds.clone()).await.0,
        StatusCode::CREATED
    );
    assert_eq!(c.post("/api/auth/login", creds).await.0, StatusCode::OK);

    let reference = c.chinook("reference").await;
    let (s, started) = c
        .post(
            &format!("/api/datasets/{reference}/training"),
            json!({"table_names": World::all_tables()}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let reference_run = started["run_id"].as_i64().unwrap();
    c.wait_progress(reference, "reference", |p| p["status"] == "completed")
        .await;

    let id = c.chinook("killed").await;
    let (s, started) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": World::all_tables(), "max_items_per_sec": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let run = started["run_id"].as_i64().unwrap();
    c.wait_progress(id, "stage 2", |p| {
        p["process_rate"].as_f64().unwrap_or(0.0) > 15.0
    })
    .await;
    let victim = runs(c, id).await[0]["instance"]
        .as_str()
        .unwrap()
        .to_string();
    let (dead, alive) = if victim == "one" { (0, 1) } else { (1, 0) };
    let mut child = procs[dead].take().unwrap();
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let killed_at = Instant::now();
    let survivor = &clients[alive];
    // The survivor takes the run over once its lease runs out (5 s).
    let mut took_over = None;
    for _ in 0..3000 {
        let r = runs(survivor, id).await;
        if r[0]["instance"].as_str() != Some(victim.as_str()) {
            took_over = Some(killed_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took_over = took_over.expect("the run was taken over");
    eprintln!("taken over {took_over:?} after kill -9");
    assert!(took_over < Duration::from_secs(30), "{took_over:?}");
    survivor
        .wait_progress(id, "completed on the survivor", |p| {
            p["status"] == "completed"
        })
        .await;
    let r = runs(survivor, id).await;
    assert_eq!(r.len(), 1, "the same run continued: {r:?}");
    let (_, logs) = survivor
        .get(&format!("/api/datasets/{id}/training/logs?limit=500"))
        .await;
    assert!(logs.to_string().contains("Recovered"), "{logs}");

    let store = Store::connect(&db).await.unwrap();
    let expected = store.version_hashes(reference_run).await.unwrap();
    assert!(!expected.is_empty());
    assert_eq!(store.version_hashes(run).await.unwrap(), expected);
    let attempt: i64 = sqlx::query_scalar("SELECT attempt FROM training_runs WHERE id = $1")
        .bind(run)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(attempt >= 2, "the fencing counter went on: {attempt}");
    store.close().await;
    for p in procs.iter_mut().flatten() {
        let _ = p.kill();
        let _ = p.wait();
    }
    drop_database(Server::Postgres, &name).await;
}
