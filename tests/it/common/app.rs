//! `spawn_app()`: the real application on a free port with a fresh database
//! (SQLite in a temporary folder, or a fresh PostgreSQL database), and a typed
//! HTTP client with its own cookie jar.
#![allow(dead_code)]

use std::path::PathBuf;

use datatrain::server::config::Config;
use datatrain::server::embeddings::EmbeddingsConfig;
use datatrain::server::sources::SourcePolicy;
use datatrain::server::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::sources::{Server, chinook_sqlite_copy, drop_database, pg_admin_url, unique_db_name};
pub use super::world::Meta;

/// Far beyond anything a test waits for here: a response that sends nothing for
/// this long (SSE streams send a keep-alive every 15 s) has stalled, and the test
/// fails instead of hanging the suite.
pub const STALLED: std::time::Duration = std::time::Duration::from_secs(120);

pub struct TestApp {
    pub base: String,
    /// The metadata store's URL (to look at what is stored).
    pub database_url: String,
    pub sources_dir: PathBuf,
    pub db_file: Option<PathBuf>,
    pub dir: tempfile::TempDir,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    pg_db: Option<String>,
}

pub struct Options {
    pub meta: Meta,
    pub signup_open: bool,
    pub throttle_items_per_sec: f64,
    pub embeddings: Option<EmbeddingsConfig>,
    pub max_active_runs_per_user: i64,
    pub max_run_seconds: u64,
    pub public_origin: Option<String>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub hash_concurrency: usize,
    pub workers: usize,
    /// Allow/deny lists (the app adds the rule refusing its own database).
    pub source_policy: SourcePolicy,
    /// Stage 4's time budget per table.
    pub examples_table_budget: std::time::Duration,
    /// Another instance's database: the app joins it (and does not drop it).
    pub shared_database: Option<String>,
    /// `DATATRAIN_KEY` (instances of one store share it).
    pub key: Option<Vec<u8>>,
    /// `DATATRAIN_INSTANCE`.
    pub instance: Option<String>,
    /// `DATATRAIN_WEBHOOK_BACKOFF_MS`.
    pub webhook_backoff_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            meta: Meta::Sqlite,
            signup_open: true,
            throttle_items_per_sec: 0.0,
            embeddings: None,
            max_active_runs_per_user: 3,
            max_run_seconds: 21_600,
            public_origin: None,
            trusted_proxies: vec![],
            hash_concurrency: 2,
            workers: 2,
            source_policy: SourcePolicy::default(),
            examples_table_budget: std::time::Duration::from_secs(30),
            shared_database: None,
            key: None,
            instance: None,
            webhook_backoff_ms: 1000,
        }
    }
}

pub async fn spawn_app(meta: Meta) -> TestApp {
    spawn_app_with(Options {
        meta,
        ..Options::default()
    })
    .await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let sources_dir = dir.path().join("sources");
    std::fs::create_dir_all(&sources_dir).unwrap();
    chinook_sqlite_copy(&sources_dir);
    let (database_url, pg_db, db_file) = match (&options.shared_database, options.meta) {
        (Some(url), _) => (url.clone(), None, None),
        (None, meta) => match meta {
            Meta::Sqlite => {
                let file = dir.path().join("datatrain.db");
                (format!("sqlite://{}", file.display()), None, Some(file))
            }
            Meta::Postgres => {
                let name = unique_db_name().replace("dt_src_", "dt_app_");
                (format!("{}/{}", pg_admin_url(), name), Some(name), None)
            }
        },
    };
    let config = Config {
        database_url: database_url.clone(),
        addr: "127.0.0.1:0".parse().unwrap(),
        key_file: dir.path().join("datatrain.key"),
        site_root: "target/site".into(),
        sources_dir: sources_dir.clone(),
        workers: options.workers,
        hash_concurrency: options.hash_concurrency,
        throttle_items_per_sec: options.throttle_items_per_sec,
        signup_open: options.signup_open,
        secure_cookies: false,
        embeddings: options.embeddings,
        source_policy: options.source_policy,
        examples_table_budget: options.examples_table_budget,
        max_active_runs_per_user: options.max_active_runs_per_user,
        max_run_seconds: options.max_run_seconds,
        webhook_backoff_ms: options.webhook_backoff_ms,
        public_origin: options.public_origin,
        trusted_proxies: options.trusted_proxies,
        key: options.key.map(datatrain::server::config::SecretKey),
        instance: options
            .instance
            .unwrap_or_else(|| Config::default().instance),
        ..Config::default()
    };
    let app = Application::build(config).await.expect("the app builds");
    let base = format!("http://{}", app.local_addr());
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        database_url,
        sources_dir,
        db_file,
        dir,
        shutdown,
        server,
        pg_db,
    }
}

impl TestApp {
    /// The name of the app's own PostgreSQL store database (`Meta::Postgres` only).
    pub fn pg_database(&self) -> Option<&str> {
        self.pg_db.as_deref()
    }

    /// A pool on the app's own store, to look at (or damage) what it holds. On
    /// SQLite it waits for the app's writes (busy timeout) instead of failing.
    pub async fn store_pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let sqlite = self.database_url.starts_with("sqlite:");
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::Executor::execute(&mut *conn, "PRAGMA busy_timeout = 30000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&self.database_url)
            .await
            .expect("the test opens the app's store")
    }

    /// A client with its own cookie jar (one browser).
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client without cookies that sends `Authorization: Bearer <token>`.
    pub fn bearer(&self, token: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .read_timeout(STALLED)
                .build()
                .unwrap(),
        }
    }

    /// A client signed up and logged in as `username` (password `train-Knowledge-42`).
    pub async fn user(&self, username: &str) -> Client {
        let c = self.client();
        let (s, b) = c
            .post(
                "/api/auth/signup",
                serde_json::json!({"username": username, "password": "train-Knowledge-42"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, b) = c
            .post(
                "/api/auth/login",
                serde_json::json!({"username": username, "password": "train-Knowledge-42"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        c
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        // A response that never ends keeps a graceful shutdown waiting: fail, naming the test.
        if tokio::time::timeout(STALLED, self.server).await.is_err() {
            panic!("the app did not stop within {STALLED:?}: a response never finished");
        }
        if let Some(name) = &self.pg_db {
            drop_database(Server::Postgres, name).await;
        }
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    /// A client of the server at `base` with its own cookie jar (one browser).
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .read_timeout(STALLED)
                .build()
                .unwrap(),
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::POST, path, None).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, None).await
    }

    /// Creates a dataset on the Chinook copy and returns its id.
    pub async fn chinook(&self, name: &str) -> i64 {
        let (s, b) = self
            .post(
                "/api/datasets",
                serde_json::json!({"name": name, "source_url": "sqlite://chinook.sqlite"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["id"].as_i64().unwrap()
    }

    /// Starts training four Chinook tables (Artist, Album, Genre, Track): 202.
    pub async fn train_four(&self, id: i64) {
        let (s, b) = self
            .post(
                &format!("/api/datasets/{id}/training"),
                serde_json::json!({"table_names": ["Artist", "Album", "Genre", "Track"]}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    }

    /// Polls progress (bounded) until `cond` holds.
    pub async fn wait_progress(&self, id: i64, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..2000 {
            let (s, p) = self
                .get(&format!("/api/datasets/{id}/training/progress"))
                .await;
            assert_eq!(s, StatusCode::OK, "{p}");
            if cond(&p) {
                return p;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

/// A free TCP port on loopback (for server processes started by a test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until the server behind `client` answers `/api/health` with 200.
pub async fn wait_healthy(client: &Client) {
    for _ in 0..600 {
        if let Ok(r) = client
            .http
            .get(format!("{}/api/health", client.base))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}
