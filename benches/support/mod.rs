//! What the retrieval benchmarks share: training a merged source, the recall
//! tally and the plain BM25 baseline (numbers are printed, never asserted).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::world::World;
use datatrain::domain::dto::CreateDataset;
use datatrain::server::training::executor::ExecOutcome;

/// A merged source trained through the real engine.
pub struct Trained {
    pub dataset_id: i64,
    pub version: i64,
    /// Every table and view of the source, by name.
    pub tables: Vec<String>,
    pub items: i64,
    pub train_secs: f64,
}

/// Copies the SQLite file `source` into the world's sources folder as `file`,
/// creates a dataset `name` over it with all its tables and views, and trains it.
pub async fn train_source(w: &World, source: &Path, file: &str, name: &str) -> Trained {
    let copy = w.sources_dir.join(file);
    std::fs::copy(source, &copy).expect("copy the source");
    let src = sqlx::SqlitePool::connect(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&src)
    .await
    .unwrap();
    src.close().await;
    let ds = w
        .services
        .create_dataset(
            &w.user,
            &CreateDataset {
                name: name.into(),
                source_url: format!("sqlite://{file}"),
                description: None,
            },
        )
        .await
        .unwrap();
    let t = Instant::now();
    w.start(ds.id, tables.clone(), None).await;
    assert_eq!(w.work().await, ExecOutcome::Completed);
    let train_secs = t.elapsed().as_secs_f64();
    let row = w.store.dataset(ds.id).await.unwrap().unwrap();
    let version = row.live_version.expect("a trained version");
    let items = w.store.version_item_count(version).await.unwrap();
    Trained {
        dataset_id: ds.id,
        version,
        tables,
        items,
        train_secs,
    }
}

/// The plain BM25 baseline over the raw DDL texts of a trained version's `tables`.
pub async fn plain_baseline(
    w: &World,
    dataset_id: i64,
    version: i64,
    tables: &[String],
) -> PlainBm25 {
    let ddl = w
        .store
        .ddl_items(dataset_id, version, tables)
        .await
        .unwrap();
    PlainBm25::new(
        &ddl.iter()
            .map(|h| (h.table_name.clone().unwrap_or_default(), h.content.clone()))
            .collect::<Vec<_>>(),
    )
    .await
}

/// The top 5 of `ranked` (lowercase) when it misses one of the `gold` tables (lowercase).
pub fn missed(ranked: &[String], gold: &[String]) -> Option<Vec<String>> {
    let top: Vec<String> = ranked.iter().take(5).map(|t| t.to_lowercase()).collect();
    (!gold.iter().all(|g| top.contains(g))).then_some(top)
}

/// Sums of the metrics over questions.
#[derive(Default)]
pub struct Tally {
    pub n: usize,
    pub r1: f64,
    pub r3: f64,
    pub r5: f64,
    pub r10: f64,
    pub all5: usize,
}

impl Tally {
    /// Adds one question: `ranked` tables best first, `gold` lowercase.
    pub fn add(&mut self, ranked: &[String], gold: &[String]) {
        let top: Vec<String> = ranked.iter().take(10).map(|t| t.to_lowercase()).collect();
        let hit = |k: usize| {
            gold.iter()
                .filter(|g| top.iter().take(k).any(|t| t == *g))
                .count()
        };
        let g = gold.len().max(1) as f64;
        self.n += 1;
        self.r1 += hit(1) as f64 / g;
        self.r3 += hit(3) as f64 / g;
        self.r5 += hit(5) as f64 / g;
        self.r10 += hit(10) as f64 / g;
        if hit(5) == gold.len() {
            self.all5 += 1;
        }
    }

    fn mean(&self, v: f64) -> f64 {
        v / self.n.max(1) as f64
    }

    /// `| label | R@1 | R@3 | R@5 | all@5 |`
    pub fn row(&self, label: &str) -> String {
        format!(
            "| {label:<26} | {:>5.3} | {:>5.3} | {:>5.3} | {:>5.3} |",
            self.mean(self.r1),
            self.mean(self.r3),
            self.mean(self.r5),
            self.mean(self.all5 as f64)
        )
    }

    /// `| label | R@1 | R@5 | R@10 | all@5 |`
    pub fn row10(&self, label: &str) -> String {
        format!(
            "| {label:<34} | {:>5.3} | {:>5.3} | {:>5.3} | {:>5.3} |",
            self.mean(self.r1),
            self.mean(self.r5),
            self.mean(self.r10),
            self.mean(self.all5 as f64)
        )
    }
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bench")
        .join(name)
}

/// The path in environment variable `var`, else the fixture `default`.
pub fn path_from_env(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| fixture(default))
}

/// The JSON lines of a file, blank lines skipped.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Vec<T> {
    std::fs::read_to_string(path)
        .expect("questions file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("question line"))
        .collect()
}

/// Plain BM25 over the raw DDL texts: an in-memory FTS5 table with the
/// default tokenizer, the question's words OR-ed.
pub struct PlainBm25 {
    pool: sqlx::SqlitePool,
}

impl PlainBm25 {
    pub async fn new(docs: &[(String, String)]) -> PlainBm25 {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE VIRTUAL TABLE ddl USING fts5(name UNINDEXED, body)")
            .execute(&pool)
            .await
            .unwrap();
        for (name, body) in docs {
            sqlx::query("INSERT INTO ddl (name, body) VALUES (?, ?)")
                .bind(name)
                .bind(body)
                .execute(&pool)
                .await
                .unwrap();
        }
        PlainBm25 { pool }
    }

    pub async fn rank(&self, question: &str) -> Vec<String> {
        let words: Vec<String> = question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{w}\""))
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        sqlx::query_scalar("SELECT name FROM ddl WHERE ddl MATCH ? ORDER BY bm25(ddl) LIMIT 10")
            .bind(words.join(" OR "))
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}

/// Percentile `p` (0-100) of sorted values.
pub fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// The process's peak resident set (VmHWM) in MiB, from `/proc/self/status`.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Resets the peak resident set to the current one (Linux: `5` into
/// `/proc/self/clear_refs`), so the next [`peak_rss_mib`] measures from here.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
