//! Table retrieval at warehouse scale (numbers printed for the README; no assertions).
//!
//! `make bench-retrieval-scale` (`cargo bench --features ssr --bench retrieval_scale`):
//! trains `tests/fixtures/bench/warehouse/warehouse.sqlite` (142 Spider
//! databases merged into one SQLite source, 719 tables named `<db>__<table>`)
//! through the real engine, on the SQLite metadata store and on the
//! PostgreSQL one, then asks the 1,297 questions of `questions.jsonl` through
//! `Services::search` and prints, per question group (public dev in English,
//! the same in Chinese, train in English), gold-table R@1/R@5/R@10 and all@5
//! (the share of questions with every gold table in the top 5), beside a
//! plain BM25 over the raw DDL texts; then search latency p50/p99 and the
//! training's time and peak RSS per store.
//!
//! `DT_BENCH_STORES=sqlite` (or `postgres`) measures one store;
//! `DT_BENCH_SOURCE` / `DT_BENCH_QUESTIONS` another merged source and its
//! questions (same JSON lines); `DT_BENCH_MISSES=N` prints the first N
//! questions per group whose gold tables are not all in the top 5.
#![cfg(feature = "ssr")]

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;
mod support;

use std::path::Path;
use std::time::Instant;

use common::world::{Meta, World};
use support::{
    Tally, Trained, missed, path_from_env, peak_rss_mib, percentile, plain_baseline, read_jsonl,
    reset_peak_rss, train_source,
};

#[derive(serde::Deserialize)]
struct Question {
    question: String,
    #[serde(default)]
    question_zh: Option<String>,
    gold_tables: Vec<String>,
    split: String,
}

/// A question group: its label and the text asked of each question in it.
struct Group {
    label: &'static str,
    questions: Vec<(String, Vec<String>)>,
}

fn groups(questions: &[Question]) -> Vec<Group> {
    let gold = |q: &Question| q.gold_tables.iter().map(|g| g.to_lowercase()).collect();
    let public = |q: &&Question| q.split != "train";
    vec![
        Group {
            label: "public dev, English",
            questions: questions
                .iter()
                .filter(public)
                .map(|q| (q.question.clone(), gold(q)))
                .collect(),
        },
        Group {
            label: "public dev, Chinese",
            questions: questions
                .iter()
                .filter(public)
                .filter_map(|q| q.question_zh.clone().map(|z| (z, gold(q))))
                .collect(),
        },
        Group {
            label: "train, English",
            questions: questions
                .iter()
                .filter(|q| q.split == "train")
                .map(|q| (q.question.clone(), gold(q)))
                .collect(),
        },
    ]
}

/// What one store measured.
struct StoreRun {
    store: &'static str,
    tallies: Vec<Tally>,
    p50: f64,
    p99: f64,
    train_secs: f64,
    train_rss: f64,
    items: i64,
}

async fn measure(
    meta: Meta,
    source: &Path,
    groups: &[Group],
    misses: usize,
    plain: &mut Option<Vec<Tally>>,
) -> StoreRun {
    let w = World::new(meta).await;
    reset_peak_rss();
    let Trained {
        dataset_id,
        version,
        tables,
        items,
        train_secs,
    } = train_source(&w, source, "warehouse.sqlite", "warehouse").await;
    let train_rss = peak_rss_mib();

    if plain.is_none() {
        let bm25 = plain_baseline(&w, dataset_id, version, &tables).await;
        let mut tallies = Vec::new();
        for g in groups {
            let mut tally = Tally::default();
            for (q, gold) in &g.questions {
                tally.add(&bm25.rank(q).await, gold);
            }
            tallies.push(tally);
        }
        *plain = Some(tallies);
    }

    let store = match meta {
        Meta::Sqlite => "SQLite",
        Meta::Postgres => "PostgreSQL",
    };
    // One search first, so that loading the version's index is not in the latencies.
    w.services
        .search(&w.user, dataset_id, "warm up", 10)
        .await
        .unwrap();
    let mut latencies = Vec::new();
    let mut tallies = Vec::new();
    for g in groups {
        let mut tally = Tally::default();
        let mut shown = 0;
        for (q, gold) in &g.questions {
            let t = Instant::now();
            let result = w.services.search(&w.user, dataset_id, q, 10).await.unwrap();
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            tally.add(&result.tables, gold);
            if shown < misses
                && let Some(top) = missed(&result.tables, gold)
            {
                shown += 1;
                println!(
                    "miss [{store}, {}] {q}\n  gold {gold:?}\n  got  {top:?}",
                    g.label
                );
            }
        }
        tallies.push(tally);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    w.cleanup().await;
    StoreRun {
        store,
        tallies,
        p50: percentile(&latencies, 50),
        p99: percentile(&latencies, 99),
        train_secs,
        train_rss,
        items,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let source = path_from_env("DT_BENCH_SOURCE", "warehouse/warehouse.sqlite");
    let questions_path = path_from_env("DT_BENCH_QUESTIONS", "warehouse/questions.jsonl");
    let questions: Vec<Question> = read_jsonl(&questions_path);
    let groups = groups(&questions);
    let misses: usize = std::env::var("DT_BENCH_MISSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let stores = std::env::var("DT_BENCH_STORES").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut plain = None;
    let mut runs = Vec::new();
    for name in stores.split(',').map(str::trim) {
        let meta = match name {
            "sqlite" => Meta::Sqlite,
            "postgres" => Meta::Postgres,
            other => panic!("DT_BENCH_STORES: unknown store {other:?} (sqlite, postgres)"),
        };
        runs.push(measure(meta, &source, &groups, misses, &mut plain).await);
    }

    println!(
        "\nretrieval at scale: {} ({} questions: {})",
        source.display(),
        questions.len(),
        groups
            .iter()
            .map(|g| format!("{} {}", g.label, g.questions.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, g) in groups.iter().enumerate() {
        println!("\n{} ({} questions)", g.label, g.questions.len());
        println!("| ranking                            |  R@1  |  R@5  |  R@10 | all@5 |");
        println!("|------------------------------------|-------|-------|-------|-------|");
        if let Some(p) = &plain {
            println!("{}", p[i].row10("plain BM25 (raw DDL)"));
        }
        for r in &runs {
            println!(
                "{}",
                r.tallies[i].row10(&format!("datatrain, {} store", r.store))
            );
        }
    }
    println!("\n| store | items | training | training peak RSS | search p50 | search p99 |");
    println!("|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {} | {:.1} s | {:.0} MiB | {:.1} ms | {:.1} ms |",
            r.store, r.items, r.train_secs, r.train_rss, r.p50, r.p99
        );
    }
}
