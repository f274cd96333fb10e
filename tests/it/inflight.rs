//! A pause stops the work, not only the loop: the source query in flight is
//! cancelled on the source, and no new one starts. The source is a PostgreSQL
//! table whose row-level security policy sleeps for every row, read by a
//! role that is not a superuser (superusers bypass the policy).

use std::time::{Duration, Instant};

use crate::common::app::{Meta, spawn_app};
use crate::common::sources::{Server, TempDb, pg_admin_url};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, Executor};

/// Queries of `role` running now on the server (not idle), from pg_stat_activity.
async fn active_queries(role: &str) -> i64 {
    let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin_url()))
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE usename = $1 AND state = 'active'",
    )
    .bind(role)
    .fetch_one(&mut c)
    .await
    .unwrap();
    c.close().await.ok();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_cancels_the_source_query_in_flight() {
    let db = TempDb::create(Server::Postgres).await;
    let role = format!("{}_slow", db.name);
    db.execute(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN \
           CREATE ROLE {role} LOGIN; END IF; END $$;
         CREATE TABLE slow (id integer PRIMARY KEY, name text NOT NULL);
         INSERT INTO slow SELECT g, 'n' || g FROM generate_series(1, 40) g;
         CREATE FUNCTION nap() RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(0.25) IS NOT NULL';
         ALTER TABLE slow ENABLE ROW LEVEL SECURITY;
         CREATE POLICY sleepy ON slow FOR SELECT USING (nap());
         GRANT USAGE ON SCHEMA public TO {role};
         GRANT SELECT ON slow TO {role};"
    ))
    .await;
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("sam").await;
    let url = format!("postgres://{role}@127.0.0.1:5432/{}", db.name);
    let (s, b) = c
        .post("/api/datasets", json!({"name": "slow", "source_url": url}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": ["slow"]}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    // Stage 4's first example query (a row count) reads 40 rows at 0.25 s each.
    let mut running = false;
    for _ in 0..1500 {
        if active_queries(&role).await > 0 {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(running, "a slow source query runs");
    let t = Instant::now();
    let (s, m) = c
        .post_empty(&format!("/api/datasets/{id}/training/pause"))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    // The query in flight ends at once, not after its 10 s.
    let mut ended = None;
    for _ in 0..250 {
        if active_queries(&role).await == 0 {
            ended = Some(t.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ended = ended.expect("the query in flight was cancelled");
    eprintln!("source query cancelled {ended:?} after the pause");
    assert!(ended < Duration::from_secs(5), "{ended:?}");
    // And no new source query starts while paused.
    for _ in 0..40 {
        assert_eq!(
            active_queries(&role).await,
            0,
            "a query started after the pause"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (_, p) = c
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(p["status"], "paused", "{p}");
    let _ = c
        .post_empty(&format!("/api/datasets/{id}/training/cancel"))
        .await;
    app.stop().await;
    db.cleanup().await;
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin_url()))
        .await
        .unwrap();
    let _ = admin
        .execute(format!("DROP ROLE IF EXISTS {role}").as_str())
        .await;
    admin.close().await.ok();
}
