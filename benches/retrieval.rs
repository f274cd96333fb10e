//! Retrieval quality benchmark (numbers printed, recorded in the README; no assertions).
//!
//! `cargo bench --features ssr --bench retrieval` (or `make bench-retrieval`):
//! trains `tests/fixtures/bench/spider_merged.sqlite` (5 Spider dev databases
//! merged into one source, tables renamed `<db>__<table>`) through the real
//! engine, asks every question of `tests/fixtures/bench/spider_questions.jsonl`
//! through `Services::search`, and prints gold-table recall@1/3/5 and the
//! share of questions with all their gold tables in the top 5, for the English
//! and the Chinese questions. Only tables (DDL items) count.
//!
//! Rows printed per language:
//! - `plain BM25`: FTS5 bm25 over the raw DDL text (default `unicode61`
//!   tokenizer, no segmentation or expansion), question words OR-ed;
//! - `index, DDL only`: the trained index's DDL items in bm25 order (the
//!   indexed terms of this crate, no fusion);
//! - `search API`: `SearchResult.tables`, the ranking the service returns.
//!
//! With `DATATRAIN_EMBEDDINGS_URL` set (e.g. `make bench-dense`, which serves
//! all-MiniLM-L6-v2 locally), items and questions are embedded and the search
//! API row is the fusion of full-text and dense rankings.
//!
//! Another merged source and question file can be measured with
//! `DT_BENCH_SOURCE=/path/merged.sqlite DT_BENCH_QUESTIONS=/path/q.jsonl`
//! (see `tests/fixtures/bench/build_spider.py`).
#![cfg(feature = "ssr")]

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;
mod support;

use std::time::Instant;

use common::world::{Meta, World};
use datatrain::server::config::Config;
use datatrain::server::embeddings::Embedder;
use datatrain::server::search::text::query_terms;
use support::{
    Tally, Trained, missed, path_from_env, percentile, plain_baseline, read_jsonl, train_source,
};

#[derive(serde::Deserialize)]
struct Question {
    db_id: String,
    question: String,
    question_zh: String,
    gold_tables: Vec<String>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let source = path_from_env("DT_BENCH_SOURCE", "spider_merged.sqlite");
    let questions_path = path_from_env("DT_BENCH_QUESTIONS", "spider_questions.jsonl");
    let questions: Vec<Question> = read_jsonl(&questions_path);

    // Dense retrieval when DATATRAIN_EMBEDDINGS_URL (and _MODEL, _KEY) are set.
    let embeddings = Config::from_env()
        .expect("configuration from the environment")
        .embeddings;
    let dense = embeddings
        .as_ref()
        .map(|e| format!("dense on: {} ({})", e.model, e.endpoint_for_logs()))
        .unwrap_or_else(|| "dense off (set DATATRAIN_EMBEDDINGS_URL to fuse embeddings)".into());
    let w = World::with_embedder(Meta::Sqlite, embeddings.map(Embedder::new)).await;
    let Trained {
        dataset_id,
        version,
        tables,
        items,
        train_secs,
    } = train_source(&w, &source, "bench_merged.sqlite", "retrieval").await;
    let plain = plain_baseline(&w, dataset_id, version, &tables).await;
    println!(
        "retrieval: {} tables, {} questions ({}); trained {items} items in {train_secs:.2} s; {dense}",
        tables.len(),
        questions.len(),
        questions_path.display()
    );

    let mut latencies = Vec::new();
    for (lang, pick) in [
        (
            "English",
            (|q: &Question| q.question.clone()) as fn(&Question) -> String,
        ),
        ("Chinese", |q: &Question| q.question_zh.clone()),
    ] {
        let (mut base, mut index, mut api) = (Tally::default(), Tally::default(), Tally::default());
        let mut misses = Vec::new();
        for q in &questions {
            let text = pick(q);
            let gold: Vec<String> = q
                .gold_tables
                .iter()
                .map(|g| format!("{}__{}", q.db_id, g).to_lowercase())
                .collect();
            base.add(&plain.rank(&text).await, &gold);
            let ddl_only: Vec<String> = w
                .store
                .search_version(dataset_id, version, &query_terms(&text), 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|h| h.kind == datatrain::domain::dto::ItemKind::Ddl)
                .filter_map(|h| h.table_name)
                .collect();
            index.add(&ddl_only, &gold);
            let t = Instant::now();
            let result = w
                .services
                .search(&w.user, dataset_id, &text, 10)
                .await
                .unwrap();
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            api.add(&result.tables, &gold);
            if let Some(top) = missed(&result.tables, &gold) {
                misses.push(format!("  {text}\n    gold {gold:?}\n    got  {top:?}"));
            }
        }
        println!("\n{lang} ({} questions)", api.n);
        println!("| ranking                    |  R@1  |  R@3  |  R@5  | all@5 |");
        println!("|----------------------------|-------|-------|-------|-------|");
        println!("{}", base.row("plain BM25 (raw DDL)"));
        println!("{}", index.row("index, DDL only (bm25)"));
        println!("{}", api.row("search API (fused)"));
        if std::env::var_os("DT_BENCH_MISSES").is_some() {
            println!("misses (gold not all in top 5):\n{}", misses.join("\n"));
        }
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "\nsearch latency over {} questions: p50 {:.1} ms, p99 {:.1} ms",
        latencies.len(),
        percentile(&latencies, 50),
        percentile(&latencies, 99)
    );
    w.cleanup().await;
}
