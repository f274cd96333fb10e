//! Training engine benchmarks (numbers printed, recorded in the README; no assertions).
//!
//! `cargo bench --features ssr --bench engine` (or `make bench`):
//! - full training time of Chinook (SQLite source and store), mean of 5;
//! - full training time and peak memory (VmHWM) of a generated 2,000-table SQLite schema;
//! - pause latency p50/p99 over 100 pauses at random points (pause request → the run's last write);
//! - checkpoint write transactions per run.
#![cfg(feature = "ssr")]

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use common::world::{Meta, World};
use datatrain::domain::dto::{CreateDataset, StartTraining};
use datatrain::domain::status::Status;
use datatrain::server::training::executor::ExecOutcome;
use sqlx::Executor;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// A SQLite source with `n` tables of 6 columns, a foreign key each and 3 rows each.
async fn generate_schema(path: &std::path::Path, n: usize) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let domains = [
        "sales", "billing", "crm", "hr", "stock", "web", "ops", "finance",
    ];
    let entities = [
        "orders",
        "invoices",
        "customers",
        "accounts",
        "items",
        "events",
        "tickets",
        "payments",
    ];
    let mut sql = String::from("BEGIN;");
    for i in 0..n {
        let name = format!(
            "{}_{}_{i}",
            domains[i % domains.len()],
            entities[(i / 8) % entities.len()]
        );
        let fk = if i == 0 {
            String::new()
        } else {
            let parent = format!(
                "{}_{}_{}",
                domains[(i - 1) % domains.len()],
                entities[((i - 1) / 8) % entities.len()],
                i - 1
            );
            format!(", parent_id INTEGER REFERENCES \"{parent}\"(id)")
        };
        sql.push_str(&format!(
            "CREATE TABLE \"{name}\" (id INTEGER PRIMARY KEY, amount REAL NOT NULL DEFAULT 0, status TEXT, \
             created_at DATE, note TEXT{fk});"
        ));
        for r in 0..3 {
            let parent = if i == 0 { String::new() } else { ", 1".into() };
            let parent_col = if i == 0 { "" } else { ", parent_id" };
            sql.push_str(&format!(
                "INSERT INTO \"{name}\" (id, amount, status, created_at, note{parent_col}) \
                 VALUES ({r}, {}.5, '{}', '202{}-01-0{}', 'n'{parent});",
                r * 10,
                ["open", "paid", "void"][r],
                r,
                r + 1
            ));
        }
    }
    sql.push_str("COMMIT;");
    pool.execute(sqlx::raw_sql(&sql)).await.unwrap();
    pool.close().await;
}

async fn table_names(path: &std::path::Path) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    names
}

async fn checkpoint_writes(w: &World, id: i64) -> String {
    let logs = w.services.logs(&w.user, id, 5).await.unwrap();
    logs.iter()
        .find(|l| l.content.starts_with("Training completed"))
        .map(|l| l.content.clone())
        .unwrap_or_default()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let w = World::new(Meta::Sqlite).await;

    // 2,000 tables first, so that the peak memory is this run's.
    let big = w.sources_dir.join("generated_2000.sqlite");
    let t = Instant::now();
    generate_schema(&big, 2000).await;
    println!(
        "generated a 2,000-table SQLite schema in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let tables = table_names(&big).await;
    let ds = w
        .services
        .create_dataset(
            &w.user,
            &CreateDataset {
                name: "big".into(),
                source_url: "sqlite://generated_2000.sqlite".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    let before = peak_rss_mb();
    let t = Instant::now();
    w.start(ds.id, tables.clone(), None).await;
    assert_eq!(w.work().await, ExecOutcome::Completed);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "2,000 tables: trained in {secs:.2} s; peak RSS {:.0} MB (before the run {before:.0} MB); {}",
        peak_rss_mb(),
        checkpoint_writes(&w, ds.id).await
    );

    // Chinook, mean of 5 full trainings.
    let id = w.chinook_dataset("chinook").await;
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        w.start(id, World::all_tables(), None).await;
        assert_eq!(w.work().await, ExecOutcome::Completed);
        times.push(t.elapsed().as_secs_f64());
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "Chinook (11 tables, 2 docs): full training mean {:.0} ms (min {:.0}, max {:.0}); {}",
        mean * 1000.0,
        times.iter().cloned().fold(f64::MAX, f64::min) * 1000.0,
        times.iter().cloned().fold(0.0, f64::max) * 1000.0,
        checkpoint_writes(&w, id).await
    );

    // Pause latency: 100 pauses at random points of throttled Chinook runs.
    let id = w.chinook_dataset("pauses").await;
    let mut latencies = Vec::new();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    while latencies.len() < 100 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = Duration::from_millis(20 + seed % 300);
        w.services
            .start_training(
                &w.user,
                id,
                &StartTraining {
                    table_names: Some(World::all_tables()),
                    max_items_per_sec: Some(150.0),
                },
            )
            .await
            .unwrap();
        let worker = {
            let runner = w.runner.clone();
            tokio::spawn(async move { runner.try_execute_next().await.unwrap().unwrap().1 })
        };
        tokio::time::sleep(wait).await;
        let t = Instant::now();
        let paused = w.services.pause_training(&w.user, id).await.is_ok();
        let outcome = worker.await.unwrap();
        let latency = t.elapsed().as_secs_f64() * 1000.0;
        if paused && outcome == ExecOutcome::Paused {
            latencies.push(latency);
        }
        if w.status(id).await == Status::Paused {
            w.services.cancel_training(&w.user, id).await.unwrap();
        }
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "pause latency over {} pauses: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap()
    );
    w.cleanup().await;
}
