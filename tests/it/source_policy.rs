//! The source policy through the real HTTP API (connection parameters, unix
//! sockets, datatrain's own database, allow and deny lists), no silent loss when
//! the source goes away during stage 4 (PostgreSQL and MariaDB), and stage 4's
//! time budget per table.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, Executor};

use crate::common::app::{Client, Meta, Options, TestApp, spawn_app_with};
use crate::common::sources::{
    Server, TempDb, chinook_mysql, chinook_postgres, mysql_admin_url, pg_admin_url, table_schemas,
};
use crate::common::world::World;
use datatrain::domain::dto::CreateDataset;
use datatrain::domain::status::Status;
use datatrain::server::sources::{Dialect, HostRule, Source, SourcePolicy, SourceUrl};
use datatrain::server::training::examples::candidates;
use datatrain::server::training::executor::ExecOutcome;

fn policy(allow: &str, deny: &str) -> SourcePolicy {
    SourcePolicy::new(
        HostRule::parse_list(allow).unwrap(),
        HostRule::parse_list(deny).unwrap(),
    )
}

async fn app_with(meta: Meta, source_policy: SourcePolicy) -> TestApp {
    spawn_app_with(Options {
        meta,
        source_policy,
        ..Options::default()
    })
    .await
}

/// POSTs a dataset; returns (status, body).
async fn create(c: &Client, name: &str, url: &str) -> (StatusCode, Value) {
    c.post("/api/datasets", json!({"name": name, "source_url": url}))
        .await
}

fn assert_refused(got: &(StatusCode, Value), needle: &str, what: &str) {
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", got.1);
    let detail = got.1["detail"].as_str().unwrap_or("");
    assert!(detail.contains(needle), "{what}: {detail}");
}

#[tokio::test]
async fn session_parameters_and_sockets_are_refused() {
    let app = app_with(Meta::Sqlite, SourcePolicy::default()).await;
    let c = app.user("alice").await;
    let db = chinook_postgres().await;
    let got = create(
        &c,
        "opts",
        &format!("{}?options=-c search_path=pg_catalog", db.url),
    )
    .await;
    assert_refused(&got, "\"options\"", "options=");
    let got = create(&c, "sock", &format!("{}?host=/var/run/postgresql", db.url)).await;
    assert_refused(&got, "\"host\"", "host=");
    let got = create(
        &c,
        "sock2",
        "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres",
    )
    .await;
    assert_refused(&got, "unix-socket", "socket host");
    let my = chinook_mysql().await;
    let got = create(
        &c,
        "mysock",
        &format!("{}?socket=/run/mysqld/mysqld.sock", my.url),
    )
    .await;
    assert_refused(&got, "\"socket\"", "socket=");
    // The allowed parameters pass, and the source is reachable.
    let (s, b) = create(&c, "ok", &format!("{}?sslmode=disable", db.url)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    // A refused parameter cannot come in by PATCH either.
    let got = c
        .patch(
            &format!("/api/datasets/{id}"),
            json!({"source_url": format!("{}?options=-c%20default_transaction_read_only%3Doff", db.url)}),
        )
        .await;
    assert_refused(&got, "\"options\"", "patch options=");
    let (s, t) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t.as_array().unwrap().len(), 11, "{t}");
    app.stop().await;
    db.cleanup().await;
    my.cleanup().await;
}

#[tokio::test]
async fn the_apps_own_postgres_database_is_refused() {
    let app = app_with(Meta::Postgres, SourcePolicy::default()).await;
    let c = app.user("alice").await;
    let own = app.pg_database().expect("a PostgreSQL store").to_string();
    let admin = pg_admin_url();
    let port = admin.rsplit(':').next().unwrap();
    for url in [
        format!("{admin}/{own}"),
        format!("postgres://postgres:anything@localhost:{port}/{own}"),
        format!("postgresql://postgres@127.0.0.1:{port}/{own}?sslmode=disable"),
    ] {
        let got = create(&c, "own", &url).await;
        assert_refused(&got, "own database", &url);
    }
    // Another database on the same server is fine.
    let db = chinook_postgres().await;
    let (s, b) = create(&c, "other", &db.url).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, t) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    app.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn deny_wins_and_the_allow_list_is_enforced() {
    let pg = chinook_postgres().await;
    let my = chinook_mysql().await;
    let app = app_with(Meta::Sqlite, policy("", "127.0.0.1:3306")).await;
    let c = app.user("alice").await;
    let got = create(&c, "maria", &my.url).await;
    assert_refused(&got, "DATATRAIN_SOURCE_DENY", "denied MariaDB");
    // Through a name that resolves to the denied address, too.
    let by_name = my.url.replace("127.0.0.1", "localhost");
    let got = create(&c, "maria2", &by_name).await;
    assert_refused(&got, "DATATRAIN_SOURCE_DENY", "denied MariaDB by name");
    let (s, b) = create(&c, "pg", &pg.url).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, t) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t.as_array().unwrap().len(), 11);
    app.stop().await;

    // An allow list without the host.
    let app = app_with(Meta::Sqlite, policy("db.example.com, 10.0.0.0/8", "")).await;
    let c = app.user("alice").await;
    let got = create(&c, "pg", &pg.url).await;
    assert_refused(&got, "DATATRAIN_SOURCE_ALLOW", "not allowed");
    let got = create(&c, "pg2", &pg.url.replace("127.0.0.1", "localhost")).await;
    assert_refused(&got, "DATATRAIN_SOURCE_ALLOW", "not allowed by name");
    app.stop().await;

    // An allow list with it: allowed.
    let app = app_with(Meta::Sqlite, policy("127.0.0.0/8:5432", "")).await;
    let c = app.user("alice").await;
    let (s, b) = create(&c, "pg", &pg.url).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let got = create(&c, "maria", &my.url).await;
    assert_refused(&got, "DATATRAIN_SOURCE_ALLOW", "other port");
    app.stop().await;
    pg.cleanup().await;
    my.cleanup().await;
}

#[tokio::test]
async fn a_source_refused_at_training_time_fails_the_run() {
    let my = chinook_mysql().await;
    // The URL was stored before the policy denied its host: the run's connect checks it again.
    let w = World::with_runner_policy(Meta::Sqlite, policy("", "127.0.0.1:3306")).await;
    let ds = w
        .services
        .create_dataset(
            &w.user,
            &CreateDataset {
                name: "maria".into(),
                source_url: my.url.clone(),
                description: None,
            },
        )
        .await
        .unwrap();
    w.start(ds.id, vec!["Album".into()], None).await;
    match w.work().await {
        ExecOutcome::Failed(msg) => {
            assert!(
                msg.contains("not allowed") && msg.contains("DATATRAIN_SOURCE_DENY"),
                "{msg}"
            )
        }
        other => panic!("expected a failed run, got {other:?}"),
    }
    let p = w.progress(ds.id).await;
    assert_eq!(p.status, Status::Failed);
    assert!(
        p.error_msg
            .as_deref()
            .unwrap_or("")
            .contains("127.0.0.1:3306"),
        "{p:?}"
    );
    w.cleanup().await;
    my.cleanup().await;
}

// ---------------------------------------------------------------------------
// No silent loss: the source goes away during stage 4.

async fn table_names(c: &Client, id: i64) -> Vec<String> {
    let (s, t) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// Polls progress (every 10 ms, at most `within`) until `cond` holds.
async fn wait(
    c: &Client,
    id: i64,
    within: Duration,
    what: &str,
    cond: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (s, p) = c
            .get(&format!("/api/datasets/{id}/training/progress"))
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        if cond(&p) {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {p}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn runs(c: &Client, id: i64) -> Vec<Value> {
    let (s, b) = c.get(&format!("/api/datasets/{id}/training/runs")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b.as_array().unwrap().clone()
}

async fn search(c: &Client, id: i64) -> Value {
    let (s, b) = c
        .get(&format!(
            "/api/datasets/{id}/search?q=album%20artist%20track&k=50"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// Kills the MariaDB connections that use database `name` (after it was dropped).
async fn kill_mysql_connections(ids: &[u64]) {
    let mut admin = sqlx::MySqlConnection::connect(&mysql_admin_url())
        .await
        .unwrap();
    for id in ids {
        // A connection may have closed by itself in between.
        let _ = admin.execute(format!("KILL {id}").as_str()).await;
    }
    admin.close().await.ok();
}

async fn mysql_connections(name: &str) -> Vec<u64> {
    let mut admin = sqlx::MySqlConnection::connect(&mysql_admin_url())
        .await
        .unwrap();
    let ids: Vec<u64> = sqlx::query_scalar(
        "SELECT CAST(ID AS UNSIGNED) FROM information_schema.PROCESSLIST \
          WHERE DB = ? AND ID <> CONNECTION_ID()",
    )
    .bind(name)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    admin.close().await.ok();
    ids
}

async fn drop_source(db: TempDb) {
    match db.server {
        Server::Postgres => db.cleanup().await,
        Server::Mysql => {
            let ids = mysql_connections(&db.name).await;
            assert!(!ids.is_empty(), "the run holds connections to the source");
            let name = db.name.clone();
            db.cleanup().await;
            kill_mysql_connections(&ids).await;
            // Connections opened between the listing and the drop.
            kill_mysql_connections(&mysql_connections(&name).await).await;
        }
    }
}

async fn source_lost_in_stage_4_fails_the_run(db: TempDb) {
    let app = app_with(Meta::Sqlite, SourcePolicy::default()).await;
    let c = app.user("alice").await;
    let (s, b) = create(&c, "shop", &db.url).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let tables = table_names(&c, id).await;
    assert_eq!(tables.len(), 11);

    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": tables}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let p = wait(&c, id, Duration::from_secs(60), "the first run", |p| {
        p["status"] == "completed" || p["status"] == "failed"
    })
    .await;
    assert_eq!(p["status"], "completed", "{p}");
    let first = runs(&c, id).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let items = first[0]["items"].as_i64().unwrap();
    // 11 DDL items and example SQL for most tables.
    assert!(items > 40, "{first:?}");
    let before = search(&c, id).await;
    assert!(!before["items"].as_array().unwrap().is_empty(), "{before}");

    // A slow second run; the source goes away once it is in stage 4.
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": tables, "max_items_per_sec": 4}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let p = wait(&c, id, Duration::from_secs(60), "stage 4", |p| {
        p["stage"] == 4 || p["status"] == "completed" || p["status"] == "failed"
    })
    .await;
    assert_eq!(p["stage"], 4, "the run must still be in stage 4: {p}");
    assert_eq!(p["status"], "training", "{p}");
    drop_source(db).await;

    let p = wait(&c, id, Duration::from_secs(60), "the end of the run", |p| {
        p["status"] == "completed" || p["status"] == "failed"
    })
    .await;
    assert_eq!(
        p["status"], "failed",
        "a lost source must fail the run: {p}"
    );
    let msg = p["error_msg"].as_str().expect("an error_msg");
    assert!(
        msg.contains("source") && msg.contains("connection"),
        "{msg}"
    );
    // The previous collection is still the live one.
    let after = runs(&c, id).await;
    assert_eq!(after.len(), 2, "{after:?}");
    let done: Vec<&Value> = after
        .iter()
        .filter(|r| r["status"] == "completed")
        .collect();
    assert_eq!(done.len(), 1, "{after:?}");
    assert_eq!(done[0]["items"].as_i64(), Some(items), "{after:?}");
    assert_eq!(search(&c, id).await, before);
    app.stop().await;
}

#[tokio::test]
async fn postgres_source_dropped_in_stage_4_fails_the_run() {
    source_lost_in_stage_4_fails_the_run(chinook_postgres().await).await;
}

#[tokio::test]
async fn mariadb_source_dropped_in_stage_4_fails_the_run() {
    source_lost_in_stage_4_fails_the_run(chinook_mysql().await).await;
}

// ---------------------------------------------------------------------------
// Stage 4's time budget per table.

#[tokio::test]
async fn a_table_over_its_examples_budget_skips_the_rest() {
    let db = chinook_postgres().await;
    // One microsecond: the first candidate of each table always takes longer.
    let app = spawn_app_with(Options {
        examples_table_budget: Duration::from_micros(1),
        ..Options::default()
    })
    .await;
    let c = app.user("alice").await;
    let (s, b) = create(&c, "shop", &db.url).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let tables = table_names(&c, id).await;
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": tables}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let p = wait(&c, id, Duration::from_secs(60), "the run", |p| {
        p["status"] == "completed" || p["status"] == "failed"
    })
    .await;
    assert_eq!(p["status"], "completed", "{p}");
    let (s, logs) = c
        .get(&format!("/api/datasets/{id}/training/logs?limit=500"))
        .await;
    assert_eq!(s, StatusCode::OK, "{logs}");
    let skipped: Vec<String> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["content"].as_str().unwrap().to_string())
        .filter(|l| l.contains("budget"))
        .collect();
    // Each table with more than one candidate ran only its first and says so.
    let source = Source::open(
        &SourceUrl::parse(&db.url, &app.sources_dir, &[]).unwrap(),
        &SourcePolicy::default(),
    )
    .await
    .unwrap();
    let schemas = table_schemas(&source, &tables).await.unwrap();
    source.close().await;
    let mut expected = Vec::new();
    for t in &schemas {
        let n = candidates(t, &schemas, Dialect::Postgres).len();
        if n > 1 {
            expected.push(format!(
                "Table {}: example SQL took longer than its 1µs budget; skipped {} of {n} candidates",
                t.name,
                n - 1
            ));
        }
    }
    assert!(expected.len() >= 8, "{expected:?}");
    let mut got = skipped.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // At most the first candidate of each table ran: 11 DDL + at most 11 examples.
    let items = runs(&c, id).await[0]["items"].as_i64().unwrap();
    assert!((11..=22).contains(&items), "{items}");
    app.stop().await;
    db.cleanup().await;
}
