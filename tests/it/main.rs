//! The integration tests, in one test binary (one link instead of four):
//!
//! - `abuse`: what an attacker or a careless user tries (throttling, secrets, CSRF, fair use);
//! - `api`: the REST API over HTTP against the real app on a free port, a module a resource;
//! - `engine`: the training engine on SQLite and PostgreSQL metadata stores;
//! - `sources`: source databases (SQLite, PostgreSQL, MariaDB) against real servers;
//! - `source_policy`: the source policy over HTTP, runs that lose their source, stage 4's budget;
//! - `dense`: dense retrieval through an embeddings endpoint;
//! - `dify`: Dify's External Knowledge API, with the requests Dify sends;
//! - `inflight`: a pause cancels the source query in flight (a sleeping PostgreSQL policy);
//! - `multi`: two instances on one PostgreSQL database (control, logout, takeover after kill -9);
//! - `openapi`: `/api/openapi.json` documents every route of the router;
//! - `tokens`: API tokens (bearer access, scopes, revocation);
//! - `mcp`: the MCP endpoint over raw JSON-RPC (token required, every tool, no leak);
//! - `curate`: curating the training data (items, exclusions, curated examples, export and import);
//! - `crash`: SIGKILL the server binary mid-run and check the recovery;
//! - `common`: the helpers they share (the benchmarks use them too).
//!
//! Run one group with `cargo test --features ssr --test it -- engine::`.
#![cfg(feature = "ssr")]

/// Runs each async scenario `name(meta)` once per metadata store: SQLite and PostgreSQL.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_meta { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Meta::Sqlite).await } )* }
        mod postgres_meta { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Meta::Postgres).await } )* }
    };
}

mod common;

mod abuse;
mod api;
mod crash;
mod curate;
mod dense;
mod dify;
mod engine;
mod events;
mod inflight;
mod mcp;
mod multi;
mod openapi;
mod pages;
mod source_policy;
mod sources;
mod tokens;
mod webhooks;
