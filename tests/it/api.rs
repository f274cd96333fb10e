//! The REST API over HTTP against the real app on a free port: every scenario
//! runs once on a SQLite metadata store and once on a PostgreSQL one.
//!
//! Most scenarios use `spawn_app`; the few that need to control the app's
//! folder, database or cookie settings (restart, admin flag, HTTPS cookies, own
//! database inside the sources folder) use [`Home`] below.
//! Every scenario installs (once per process) a tracing subscriber writing into
//! a shared buffer, so that the server's log output can be searched.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::common::app::{Client, Meta, TestApp, spawn_app};
use crate::common::sources::{
    Server, chinook_sqlite_copy, drop_database, pg_admin_url, unique_db_name,
};
use datatrain::server::config::Config;
use datatrain::server::startup::Application;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Runs an async scenario once per metadata backend.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_meta { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Meta::Sqlite).await } )* }
        mod postgres_meta { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Meta::Postgres).await } )* }
    };
}

on_both!(
    health_and_unknown_routes,
    signup_validates_input_and_refuses_taken_names,
    first_account_is_admin_and_closed_signup_refuses_the_rest,
    login_sets_a_session_cookie_and_logout_ends_it,
    session_cookies_are_secure_over_https,
    failed_logins_are_throttled,
    sessions_survive_a_restart,
    every_route_needs_a_session,
    datasets_crud,
    source_urls_are_checked_by_form_only,
    malformed_ids_are_400_or_404,
    other_users_datasets_are_404_everywhere,
    bodies_over_1_mib_are_413,
    malformed_json_names_the_field,
    failed_writes_change_nothing,
    tables_are_read_live,
    docs_crud,
    training_start_rules_and_runs,
    search_rules,
    progress_and_logs,
    pause_and_resume_a_throttled_run,
    pause_resume_storm_never_fails,
    cancel_and_delete_training_data,
    source_password_never_leaks,
);

// ---------------------------------------------------------------------------
// Log capture

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl LogBuf {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuf {
    type Writer = LogBuf;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The process-wide log buffer (the global subscriber is installed on first use).
fn captured_logs() -> &'static LogBuf {
    static LOGS: OnceLock<LogBuf> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = LogBuf::default();
        tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .try_init()
            .expect("the test log subscriber is the global default");
        buf
    })
}

async fn app(meta: Meta) -> TestApp {
    captured_logs();
    spawn_app(meta).await
}

// ---------------------------------------------------------------------------
// An app whose folder and database outlive one server (restart), with its
// settings under the test's control.

struct Home {
    dir: tempfile::TempDir,
    sources: PathBuf,
    database_url: String,
    meta: Meta,
    pg_db: Option<String>,
}

struct Running {
    base: String,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Home {
    /// A fresh folder (with a Chinook copy in `sources/`) and database. With
    /// `db_in_sources` the SQLite metadata file lies inside the sources folder.
    fn new(meta: Meta, db_in_sources: bool) -> Home {
        captured_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let sources = dir.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        chinook_sqlite_copy(&sources);
        let (database_url, pg_db) = match meta {
            Meta::Sqlite => {
                let file = if db_in_sources {
                    sources.join("datatrain.db")
                } else {
                    dir.path().join("datatrain.db")
                };
                (format!("sqlite://{}", file.display()), None)
            }
            Meta::Postgres => {
                let name = unique_db_name().replace("dt_src_", "dt_api_");
                (format!("{}/{name}", pg_admin_url()), Some(name))
            }
        };
        Home {
            dir,
            sources,
            database_url,
            meta,
            pg_db,
        }
    }

    async fn boot(&self, signup_open: bool, secure_cookies: bool) -> Running {
        let config = Config {
            database_url: self.database_url.clone(),
            addr: "127.0.0.1:0".parse().unwrap(),
            key_file: self.dir.path().join("datatrain.key"),
            site_root: "target/site".into(),
            sources_dir: self.sources.clone(),
            workers: 2,
            throttle_items_per_sec: 0.0,
            signup_open,
            secure_cookies,
            embeddings: None,
            ..Config::default()
        };
        let app = Application::build(config).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        Running {
            base,
            shutdown,
            server,
        }
    }

    /// (accounts, admins) as stored.
    async fn accounts(&self) -> (i64, i64) {
        use sqlx::Connection;
        const ALL: &str = "SELECT COUNT(*) FROM users";
        const ADMINS: &str = "SELECT COUNT(*) FROM users WHERE is_admin = 1";
        match self.meta {
            Meta::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.database_url)
                    .await
                    .unwrap();
                let all: i64 = sqlx::query_scalar(ALL).fetch_one(&mut c).await.unwrap();
                let admins: i64 = sqlx::query_scalar(ADMINS).fetch_one(&mut c).await.unwrap();
                (all, admins)
            }
            Meta::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.database_url)
                    .await
                    .unwrap();
                let all: i64 = sqlx::query_scalar(ALL).fetch_one(&mut c).await.unwrap();
                let admins: i64 = sqlx::query_scalar(ADMINS).fetch_one(&mut c).await.unwrap();
                (all, admins)
            }
        }
    }

    async fn cleanup(self) {
        if let Some(name) = &self.pg_db {
            drop_database(Server::Postgres, name).await;
        }
    }
}

impl Running {
    fn client(&self) -> Client {
        client_for(&self.base)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.server.await;
    }
}

fn client_for(base: &str) -> Client {
    Client {
        base: base.to_string(),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap(),
    }
}

const PASSWORD: &str = "train-Knowledge-42";

async fn signup(c: &Client, name: &str) -> Value {
    let (s, b) = c
        .post(
            "/api/auth/signup",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "signup {name}: {b}");
    b
}

async fn login(c: &Client, name: &str) -> Value {
    let (s, b) = c
        .post(
            "/api/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "login {name}: {b}");
    b
}

// ---------------------------------------------------------------------------
// Assertions

/// An error answer: `want` and a body that is exactly `{"detail": "<non-empty>"}`.
#[track_caller]
fn assert_error(got: &(StatusCode, Value), want: StatusCode, what: &str) -> String {
    let (s, b) = got;
    assert_eq!(*s, want, "{what}: {b}");
    assert_detail(b, what)
}

#[track_caller]
fn assert_detail(b: &Value, what: &str) -> String {
    let obj = b
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not a JSON object: {b}"));
    assert_eq!(obj.len(), 1, "{what}: {b}");
    let d = obj
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: no detail string: {b}"));
    assert!(!d.is_empty(), "{what}: empty detail");
    d.to_string()
}

/// RFC 3339 UTC with millisecond precision and `Z`: `2026-11-28T14:05:09.123Z`.
#[track_caller]
fn assert_ts(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a timestamp string: {v}"));
    let b = s.as_bytes();
    assert!(
        b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z',
        "{what}: {s}"
    );
    assert!(
        b[20..23].iter().all(u8::is_ascii_digit),
        "{what}: milliseconds in {s}"
    );
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{what}: {s}: {e}"));
}

#[track_caller]
fn assert_keys(v: &Value, keys: &[&str], what: &str) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {v}"));
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    got.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{what}: {v}");
}

#[track_caller]
fn assert_int_id(v: &Value, what: &str) -> i64 {
    assert!(
        v.is_i64() || v.is_u64(),
        "{what}: id is not an integer: {v}"
    );
    v.as_i64().unwrap()
}

fn rate(p: &Value) -> f64 {
    p["process_rate"].as_f64().expect("process_rate")
}

// ---------------------------------------------------------------------------
// Requests outside what `Client` offers

struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn raw(
    http: &reqwest::Client,
    method: Method,
    url: String,
    body: Option<(&str, Vec<u8>)>,
    cookie: Option<&str>,
) -> Raw {
    let mut req = http.request(method, url);
    if let Some((content_type, bytes)) = body {
        if !content_type.is_empty() {
            req = req.header(CONTENT_TYPE, content_type);
        }
        req = req.body(bytes);
    }
    if let Some(cookie) = cookie {
        req = req.header(COOKIE, cookie);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Raw {
        status,
        headers,
        body,
    }
}

/// The session cookie a response sets: (`name=value`, full header).
fn session_cookie(headers: &HeaderMap) -> (String, String) {
    let header = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find(|h| h.starts_with("datatrain_session="))
        .unwrap_or_else(|| panic!("no session cookie in {headers:?}"))
        .to_string();
    let pair = header.split(';').next().unwrap().trim().to_string();
    (pair, header)
}

/// Every route under `/api/datasets/{id}`, with a plausible body.
fn dataset_routes(id: &str, doc_id: &str) -> Vec<(Method, String, Option<Value>)> {
    let d = format!("/api/datasets/{id}");
    vec![
        (Method::GET, d.clone(), None),
        (Method::PATCH, d.clone(), Some(json!({"name": "hijacked"}))),
        (Method::GET, format!("{d}/tables"), None),
        (Method::GET, format!("{d}/docs"), None),
        (
            Method::POST,
            format!("{d}/docs"),
            Some(json!({"title": "t", "content": "injected"})),
        ),
        (Method::DELETE, format!("{d}/docs/{doc_id}"), None),
        (
            Method::POST,
            format!("{d}/training"),
            Some(json!({"table_names": ["Track"]})),
        ),
        (Method::POST, format!("{d}/training/pause"), None),
        (Method::POST, format!("{d}/training/resume"), None),
        (Method::POST, format!("{d}/training/cancel"), None),
        (Method::GET, format!("{d}/training/progress"), None),
        (Method::GET, format!("{d}/training/logs"), None),
        (Method::GET, format!("{d}/training/logs?limit=5"), None),
        (Method::GET, format!("{d}/training/runs"), None),
        (Method::GET, format!("{d}/search?q=track&k=5"), None),
        (Method::DELETE, format!("{d}/training"), None),
        (Method::DELETE, d, None),
    ]
}

async fn start(c: &Client, id: i64, body: Value) -> i64 {
    let (s, b) = c.post(&format!("/api/datasets/{id}/training"), body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "start: {b}");
    assert_keys(&b, &["status", "run_id"], "start");
    assert_eq!(b["status"], "queued");
    assert_int_id(&b["run_id"], "run_id")
}

async fn train(c: &Client, id: i64, tables: &[&str]) -> Value {
    start(c, id, json!({"table_names": tables})).await;
    let p = c
        .wait_progress(id, "completed", |p| {
            p["status"] == "completed" || p["status"] == "failed"
        })
        .await;
    assert_eq!(p["status"], "completed", "{p}");
    p
}

async fn progress(c: &Client, id: i64) -> Value {
    let (s, b) = c
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn runs(c: &Client, id: i64) -> Vec<Value> {
    let (s, b) = c.get(&format!("/api/datasets/{id}/training/runs")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b.as_array().expect("runs array").clone()
}

async fn get_dataset(c: &Client, id: i64) -> Value {
    let (s, b) = c.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

// ---------------------------------------------------------------------------
// Scenarios: accounts

async fn health_and_unknown_routes(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    let (s, b) = c.get("/api/health").await;
    assert_eq!(s, StatusCode::OK);
    let instance = b["instance"]
        .as_str()
        .expect("the instance's name")
        .to_string();
    assert!(!instance.is_empty());
    assert_eq!(
        b,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok", "instance": instance})
    );
    assert_error(
        &c.get("/api/no-such-route").await,
        StatusCode::NOT_FOUND,
        "unknown route",
    );
    // A known route with a method it does not answer is an error too: JSON detail.
    let got = c
        .request(Method::PUT, "/api/datasets", Some(json!({})))
        .await;
    assert_error(&got, StatusCode::METHOD_NOT_ALLOWED, "PUT /api/datasets");
    let got = c.get("/api/auth/login").await;
    assert_error(&got, StatusCode::METHOD_NOT_ALLOWED, "GET /api/auth/login");
    app.stop().await;
}

async fn signup_validates_input_and_refuses_taken_names(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    let (s, b) = c
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_keys(&b, &["id", "username"], "signup");
    assert_int_id(&b["id"], "user id");
    assert_eq!(b["username"], "alice");

    // Accepted edges: 3 and 64 characters of [A-Za-z0-9_.-]; 8 and 256 character passwords.
    let long_name = "a".repeat(64);
    for (user, pw) in [
        ("a.b", PASSWORD.to_string()),
        ("A_z-9", PASSWORD.to_string()),
        (long_name.as_str(), PASSWORD.to_string()),
        ("eight", "k9#Lm2qZ".to_string()),
        ("twofiftysix", "é".repeat(256)),
    ] {
        let (s, b) = c
            .post(
                "/api/auth/signup",
                json!({"username": user, "password": pw}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{user}: {b}");
    }
    // Refused: 422, and nothing is created (the name stays free).
    let too_long = "a".repeat(65);
    for (user, pw) in [
        ("ab", PASSWORD.to_string()),
        (too_long.as_str(), PASSWORD.to_string()),
        ("bad name", PASSWORD.to_string()),
        ("bad/name", PASSWORD.to_string()),
        ("ünïcode", PASSWORD.to_string()),
        ("", PASSWORD.to_string()),
        ("carol", "1234567".to_string()),
        ("carol", "x".repeat(257)),
        ("carol", String::new()),
    ] {
        let got = c
            .post(
                "/api/auth/signup",
                json!({"username": user, "password": pw}),
            )
            .await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("signup {user:?}"),
        );
    }
    let (s, b) = c
        .post(
            "/api/auth/login",
            json!({"username": "carol", "password": "1234567"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    signup(&c, "carol").await;

    // Taken.
    let got = c
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": "another-password"}),
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "taken name");
    // The original password still works.
    login(&c, "alice").await;
    app.stop().await;
}

async fn first_account_is_admin_and_closed_signup_refuses_the_rest(meta: Meta) {
    // Closed signup: of several simultaneous first signups exactly one gets in.
    let home = Home::new(meta, false);
    let run = home.boot(false, false).await;
    let c = run.client();
    let attempts = (0..4).map(|i| {
        let c = c.clone();
        async move {
            c.post(
                "/api/auth/signup",
                json!({"username": format!("first{i}"), "password": PASSWORD}),
            )
            .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for r in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_error(r, StatusCode::FORBIDDEN, "closed signup");
    }
    let got = c
        .post(
            "/api/auth/signup",
            json!({"username": "latecomer", "password": PASSWORD}),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "closed signup");
    assert_eq!(home.accounts().await, (1, 1));
    run.stop().await;
    home.cleanup().await;

    // Open signup: simultaneous signups all succeed, and exactly one is admin.
    let home = Home::new(meta, false);
    let run = home.boot(true, false).await;
    let c = run.client();
    let attempts = (0..4).map(|i| {
        let c = c.clone();
        async move {
            c.post(
                "/api/auth/signup",
                json!({"username": format!("user{i}"), "password": PASSWORD}),
            )
            .await
        }
    });
    for (s, b) in futures::future::join_all(attempts).await {
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert_eq!(home.accounts().await, (4, 1));
    run.stop().await;
    home.cleanup().await;
}

async fn login_sets_a_session_cookie_and_logout_ends_it(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    let created = signup(&c, "alice").await;
    // Signing up does not sign in.
    assert_error(
        &c.get("/api/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "me before login",
    );

    let r = raw(
        &c.http,
        Method::POST,
        format!("{}/api/auth/login", c.base),
        Some((
            "application/json",
            serde_json::to_vec(&json!({"username": "alice", "password": PASSWORD})).unwrap(),
        )),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, created);
    let (cookie, header) = session_cookie(&r.headers);
    let lower = header.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{header}");
    assert!(lower.contains("samesite=lax"), "{header}");
    assert!(!lower.contains("secure"), "plain http: {header}");

    let (s, b) = c.get("/api/auth/me").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, created);

    // Wrong password, unknown user: the same answer.
    for (user, pw) in [("alice", "wrong-password"), ("nobody", PASSWORD)] {
        let (s, b) = c
            .post("/api/auth/login", json!({"username": user, "password": pw}))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b, json!({"detail": "Invalid username or password"}));
    }
    // A failed login does not end the current session.
    assert_eq!(c.get("/api/auth/me").await.0, StatusCode::OK);

    let (s, b) = c.post_empty("/api/auth/logout").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(b, Value::Null);
    assert_error(
        &c.get("/api/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "me after logout",
    );
    // The old cookie is dead on the server, not only forgotten by the browser.
    let replay = raw(
        &reqwest::Client::new(),
        Method::GET,
        format!("{}/api/auth/me", c.base),
        None,
        Some(&cookie),
    )
    .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.body);
    assert_detail(&replay.body, "replayed cookie");
    // A forged cookie is no session either.
    let forged = raw(
        &reqwest::Client::new(),
        Method::GET,
        format!("{}/api/auth/me", c.base),
        None,
        Some("datatrain_session=forged"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn session_cookies_are_secure_over_https(meta: Meta) {
    let home = Home::new(meta, false);
    let run = home.boot(true, true).await;
    let c = run.client();
    signup(&c, "alice").await;
    let r = raw(
        &c.http,
        Method::POST,
        format!("{}/api/auth/login", c.base),
        Some((
            "application/json",
            serde_json::to_vec(&json!({"username": "alice", "password": PASSWORD})).unwrap(),
        )),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (_, header) = session_cookie(&r.headers);
    let lower = header.to_ascii_lowercase();
    assert!(lower.contains("secure"), "{header}");
    assert!(lower.contains("httponly"), "{header}");
    assert!(lower.contains("samesite=lax"), "{header}");
    run.stop().await;
    home.cleanup().await;
}

async fn failed_logins_are_throttled(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    for name in ["alice", "bob", "carol"] {
        signup(&c, name).await;
    }
    let wrong = |user: &str| json!({"username": user, "password": "wrong-password"});
    for i in 0..10 {
        let (s, b) = c.post("/api/auth/login", wrong("alice")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "try {i}: {b}");
    }
    // The 11th try is refused even with the right password.
    let got = c
        .post(
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_error(&got, StatusCode::TOO_MANY_REQUESTS, "11th login");
    let got = c.post("/api/auth/login", wrong("alice")).await;
    assert_error(&got, StatusCode::TOO_MANY_REQUESTS, "12th login");
    // Another username is not affected.
    login(&c, "bob").await;

    // A burst of simultaneous tries gets no more than 10 password checks either.
    let burst = (0..30).map(|_| {
        let c = c.clone();
        async move {
            c.post(
                "/api/auth/login",
                json!({"username": "carol", "password": "wrong-password"}),
            )
            .await
        }
    });
    let results = futures::future::join_all(burst).await;
    let checked = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 10, "{checked} password checks in a burst");
    for r in results
        .iter()
        .filter(|(s, _)| *s != StatusCode::UNAUTHORIZED)
    {
        assert_error(r, StatusCode::TOO_MANY_REQUESTS, "burst");
    }
    app.stop().await;
}

async fn sessions_survive_a_restart(meta: Meta) {
    let home = Home::new(meta, false);
    let first = home.boot(true, false).await;
    let c = first.client();
    let me = signup(&c, "alice").await;
    login(&c, "alice").await;
    let id = c.chinook("chinook").await;
    first.stop().await;

    let second = home.boot(true, false).await;
    // The same browser (cookie jar) against the new server (cookies ignore ports).
    let c = Client {
        base: second.base.clone(),
        http: c.http.clone(),
    };
    let (s, b) = c.get("/api/auth/me").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, me);
    assert_eq!(get_dataset(&c, id).await["name"], "chinook");
    let (s, _) = c.post_empty("/api/auth/logout").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(c.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
    second.stop().await;
    home.cleanup().await;
}

// ---------------------------------------------------------------------------
// Scenarios: access rules and request checks

async fn every_route_needs_a_session(meta: Meta) {
    let app = app(meta).await;
    let owner = app.user("alice").await;
    let id = owner.chinook("chinook").await;
    let anonymous = app.client();
    let mut routes = dataset_routes(&id.to_string(), "1");
    routes.push((Method::GET, "/api/datasets".into(), None));
    routes.push((
        Method::POST,
        "/api/datasets".into(),
        Some(json!({"name": "x", "source_url": "sqlite://chinook.sqlite"})),
    ));
    routes.push((Method::GET, "/api/auth/me".into(), None));
    for (method, path, body) in &routes {
        let got = anonymous.request(method.clone(), path, body.clone()).await;
        assert_error(&got, StatusCode::UNAUTHORIZED, &format!("{method} {path}"));
        // A forged cookie is no better.
        let forged = raw(
            &reqwest::Client::new(),
            method.clone(),
            format!("{}{path}", app.base),
            body.as_ref()
                .map(|b| ("application/json", serde_json::to_vec(b).unwrap())),
            Some("datatrain_session=AAAAAAAAAAAAAAAAAAAAAA.forged"),
        )
        .await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Nothing happened to the dataset.
    let d = get_dataset(&owner, id).await;
    assert_eq!(d["name"], "chinook");
    assert_eq!(d["status"], "pending");
    let (_, list) = owner.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn malformed_ids_are_400_or_404(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let bad = [
        "abc",
        "-1",
        "0",
        "1.5",
        "99999999999999999999",
        "9223372036854775807",
        "%20",
        "1e3",
        "0x10",
    ];
    for b in bad {
        for (method, path, body) in dataset_routes(b, "1") {
            let (s, v) = c.request(method.clone(), &path, body).await;
            assert!(
                s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
                "{method} {path}: {s} {v}"
            );
            assert_detail(&v, &format!("{method} {path}"));
        }
        let path = format!("/api/datasets/{id}/docs/{b}");
        let (s, v) = c.delete(&path).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
            "DELETE {path}: {s} {v}"
        );
        assert_detail(&v, &path);
    }
    assert_eq!(get_dataset(&c, id).await["name"], "chinook");
    app.stop().await;
}

async fn other_users_datasets_are_404_everywhere(meta: Meta) {
    let app = app(meta).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let id = alice.chinook("chinook").await;
    let (s, doc) = alice
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "Glossary", "content": "An invoice is a sale."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    let doc_id = doc["id"].as_i64().unwrap();
    train(&alice, id, &["Track", "Album"]).await;

    let snapshot = |c: Client| async move {
        let mut out = Vec::new();
        for path in [
            format!("/api/datasets/{id}"),
            format!("/api/datasets/{id}/docs"),
            format!("/api/datasets/{id}/training/progress"),
            format!("/api/datasets/{id}/training/logs?limit=500"),
            format!("/api/datasets/{id}/training/runs"),
            format!("/api/datasets/{id}/search?q=album%20tracks&k=50"),
            "/api/datasets".to_string(),
        ] {
            let (s, b) = c.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {b}");
            out.push(b);
        }
        out
    };
    let before = snapshot(alice.clone()).await;

    let (s, list) = bob.get("/api/datasets").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list, json!([]));
    for (method, path, body) in dataset_routes(&id.to_string(), &doc_id.to_string()) {
        let got = bob.request(method.clone(), &path, body).await;
        let detail = assert_error(&got, StatusCode::NOT_FOUND, &format!("bob {method} {path}"));
        assert!(!detail.contains("chinook"), "{detail}");
    }
    // Bob's own dataset cannot reach Alice's document either.
    let bobs = bob.chinook("bobs").await;
    let got = bob
        .delete(&format!("/api/datasets/{bobs}/docs/{doc_id}"))
        .await;
    assert_error(
        &got,
        StatusCode::NOT_FOUND,
        "bob deletes alice's doc via his dataset",
    );

    let after = snapshot(alice.clone()).await;
    assert_eq!(before, after, "alice's data changed");
    app.stop().await;
}

async fn bodies_over_1_mib_are_413(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let big = "a".repeat(1024 * 1024 + 16);
    let cases = [
        (
            Method::POST,
            "/api/auth/signup".to_string(),
            json!({"username": "bigbody", "password": big}),
        ),
        (
            Method::POST,
            "/api/auth/login".to_string(),
            json!({"username": "alice", "password": big}),
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": "big", "source_url": "sqlite://chinook.sqlite", "description": big}),
        ),
        (
            Method::PATCH,
            format!("/api/datasets/{id}"),
            json!({"description": big}),
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/docs"),
            json!({"title": "big", "content": big}),
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training"),
            json!({"table_names": [big]}),
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training/pause"),
            json!({"padding": big}),
        ),
    ];
    for (method, path, body) in cases {
        let got = c.request(method.clone(), &path, Some(body)).await;
        assert_error(
            &got,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("{method} {path}"),
        );
    }
    // Just under the limit is fine (the document itself is then refused for its length, not its size).
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "ok", "content": "b".repeat(100_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Nothing of the refused requests was stored.
    let d = get_dataset(&c, id).await;
    assert_eq!(d["description"], "");
    assert_eq!(d["status"], "pending");
    let (_, docs) = c.get(&format!("/api/datasets/{id}/docs")).await;
    assert_eq!(docs.as_array().unwrap().len(), 1);
    let (_, list) = c.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn malformed_json_names_the_field(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    // Wrong types and missing fields: the detail names the field.
    let cases = [
        (
            Method::POST,
            "/api/auth/signup".to_string(),
            json!({"username": 5, "password": PASSWORD}),
            "username",
        ),
        (
            Method::POST,
            "/api/auth/login".to_string(),
            json!({"username": "alice"}),
            "password",
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": ["x"], "source_url": "sqlite://chinook.sqlite"}),
            "name",
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": "x"}),
            "source_url",
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": "x", "source_url": "sqlite://chinook.sqlite", "description": 7}),
            "description",
        ),
        (
            Method::PATCH,
            format!("/api/datasets/{id}"),
            json!({"name": 3}),
            "name",
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/docs"),
            json!({"title": "t", "content": false}),
            "content",
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training"),
            json!({"table_names": "Track"}),
            "table_names",
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training"),
            json!({"table_names": ["Track"], "max_items_per_sec": "fast"}),
            "max_items_per_sec",
        ),
    ];
    for (method, path, body, field) in cases {
        let (s, b) = c.request(method.clone(), &path, Some(body)).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {s} {b}"
        );
        let detail = assert_detail(&b, &path);
        assert!(detail.contains(field), "{method} {path}: {detail}");
    }
    // Malformed JSON: 400 with a detail.
    for (method, path) in [
        (Method::POST, "/api/auth/signup".to_string()),
        (Method::POST, "/api/datasets".to_string()),
        (Method::PATCH, format!("/api/datasets/{id}")),
        (Method::POST, format!("/api/datasets/{id}/docs")),
        (Method::POST, format!("/api/datasets/{id}/training")),
    ] {
        let r = raw(
            &c.http,
            method.clone(),
            format!("{}{path}", c.base),
            Some(("application/json", b"{\"name\": \"x\",".to_vec())),
            None,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            r.body
        );
        assert_detail(&r.body, &path);
    }
    // Not JSON at all.
    let r = raw(
        &c.http,
        Method::POST,
        format!("{}/api/datasets", c.base),
        Some(("text/plain", b"name=x".to_vec())),
        None,
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_detail(&r.body, "text/plain body");
    // Nothing changed.
    let d = get_dataset(&c, id).await;
    assert_eq!(d["name"], "chinook");
    assert_eq!(d["status"], "pending");
    assert!(runs(&c, id).await.is_empty());
    app.stop().await;
}

async fn failed_writes_change_nothing(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let a = c.chinook("a").await;
    let b_id = c.chinook("b").await;
    let before = get_dataset(&c, a).await;
    let path = format!("/api/datasets/{a}");
    for (body, want) in [
        (
            json!({"name": "renamed", "source_url": "http://example.com/db"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "renamed", "description": "d".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"description": "new", "name": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"description": "new", "name": "x".repeat(101)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "b", "description": "new"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"name": "renamed", "source_url": "sqlite://../datatrain.db"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let got = c.patch(&path, body.clone()).await;
        assert_error(&got, want, &format!("PATCH {body}"));
        assert_eq!(get_dataset(&c, a).await, before, "after PATCH {body}");
    }
    // Creations that fail leave no dataset behind.
    for (body, want) in [
        (
            json!({"name": "c", "source_url": "ftp://x/y"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "a", "source_url": "sqlite://chinook.sqlite"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"name": "", "source_url": "sqlite://chinook.sqlite"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "c", "source_url": "sqlite://chinook.sqlite", "description": "d".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let got = c.post("/api/datasets", body.clone()).await;
        assert_error(&got, want, &format!("POST {body}"));
    }
    let (_, list) = c.get("/api/datasets").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    // A start refused for its rate (0 = no limit, else at least 0.1) queues nothing.
    for rate in [json!(1e-9), json!(0.05), json!(-1), json!(-0.5)] {
        let (s, b) = c
            .post(
                &format!("/api/datasets/{a}/training"),
                json!({"table_names": ["Track"], "max_items_per_sec": rate}),
            )
            .await;
        assert!(s.is_client_error(), "{s} {b}");
        assert_detail(&b, "bad rate");
    }
    assert_eq!(get_dataset(&c, a).await, before);
    assert!(runs(&c, a).await.is_empty());
    // A document refused for its content is not stored.
    let got = c
        .post(
            &format!("/api/datasets/{a}/docs"),
            json!({"title": "t", "content": "   "}),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "empty doc");
    let (_, docs) = c.get(&format!("/api/datasets/{a}/docs")).await;
    assert_eq!(docs, json!([]));

    // While a run is open the source cannot change, and the rest of the PATCH is not applied.
    start(
        &c,
        b_id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    let got = c
        .patch(
            &format!("/api/datasets/{b_id}"),
            json!({"name": "renamed", "description": "new", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "PATCH source while training");
    let b_after = get_dataset(&c, b_id).await;
    assert_eq!(b_after["name"], "b");
    assert_eq!(b_after["description"], "");
    let (s, m) = c
        .post_empty(&format!("/api/datasets/{b_id}/training/cancel"))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Scenarios: datasets

async fn datasets_crud(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let bob = app.user("bob").await;
    let (s, d) = c
        .post(
            "/api/datasets",
            json!({"name": "  Chinook  ", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_keys(
        &d,
        &[
            "id",
            "name",
            "description",
            "source_url",
            "table_names",
            "status",
            "process_rate",
            "error_msg",
            "last_train_at",
            "created_at",
            "updated_at",
        ],
        "dataset",
    );
    let id = assert_int_id(&d["id"], "dataset id");
    assert_eq!(d["name"], "Chinook");
    assert_eq!(d["description"], "");
    assert_eq!(d["source_url"], "sqlite://chinook.sqlite");
    assert_eq!(d["table_names"], json!([]));
    assert_eq!(d["status"], "pending");
    assert_eq!(rate(&d), 0.0);
    assert_eq!(d["error_msg"], Value::Null);
    assert_eq!(d["last_train_at"], Value::Null);
    assert_ts(&d["created_at"], "created_at");
    assert_ts(&d["updated_at"], "updated_at");

    let (s, d2) = c
        .post(
            "/api/datasets",
            json!({"name": "second", "source_url": "sqlite://chinook.sqlite", "description": "Music store"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d2}");
    assert_eq!(d2["description"], "Music store");
    let id2 = d2["id"].as_i64().unwrap();
    // Same name for another user is fine.
    bob.chinook("Chinook").await;
    let got = c
        .post(
            "/api/datasets",
            json!({"name": "Chinook", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "duplicate name");

    let (s, list) = c.get("/api/datasets").await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().expect("a JSON array").clone();
    let mut ids: Vec<i64> = list.iter().map(|d| d["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![id, id2]);
    assert_eq!(get_dataset(&c, id).await, d);

    let (s, p) = c
        .patch(
            &format!("/api/datasets/{id}"),
            json!({"name": "Renamed", "description": "Tracks and invoices"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["name"], "Renamed");
    assert_eq!(p["description"], "Tracks and invoices");
    assert_eq!(p["created_at"], d["created_at"]);
    assert_ts(&p["updated_at"], "updated_at");
    assert!(p["updated_at"].as_str() >= d["updated_at"].as_str());
    let (s, p) = c
        .patch(
            &format!("/api/datasets/{id}"),
            json!({"source_url": "postgres://reader:pw@127.0.0.1:1/shop"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["source_url"], "postgres://reader:***@127.0.0.1:1/shop");
    assert_eq!(p["name"], "Renamed");
    assert_eq!(get_dataset(&c, id).await, p);
    let got = c
        .patch(&format!("/api/datasets/{id}"), json!({"name": "second"}))
        .await;
    assert_error(&got, StatusCode::CONFLICT, "rename to a taken name");

    let (s, b) = c.delete(&format!("/api/datasets/{id}")).await;
    assert!(
        s == StatusCode::NO_CONTENT || s == StatusCode::OK,
        "{s} {b}"
    );
    assert_error(
        &c.get(&format!("/api/datasets/{id}")).await,
        StatusCode::NOT_FOUND,
        "deleted dataset",
    );
    assert_error(
        &c.delete(&format!("/api/datasets/{id}")).await,
        StatusCode::NOT_FOUND,
        "deleted twice",
    );
    let (_, list) = c.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = bob.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn source_urls_are_checked_by_form_only(meta: Meta) {
    // With a SQLite metadata store its file lies inside the sources folder here,
    // so that only the "own database" rule keeps it out.
    let home = Home::new(meta, true);
    let run = home.boot(true, false).await;
    let c = run.client();
    signup(&c, "alice").await;
    login(&c, "alice").await;
    let sources = home.sources.canonicalize().unwrap();
    let outside = home.dir.path().join("outside.sqlite");
    std::fs::copy(sources.join("chinook.sqlite"), &outside).unwrap();
    std::fs::create_dir_all(sources.join("sub")).unwrap();
    std::os::unix::fs::symlink(sources.join("chinook.sqlite"), sources.join("alias.db")).unwrap();
    std::os::unix::fs::symlink(&outside, sources.join("escape.db")).unwrap();
    std::os::unix::fs::symlink(home.dir.path(), sources.join("up")).unwrap();
    if meta == Meta::Sqlite {
        std::os::unix::fs::symlink(sources.join("datatrain.db"), sources.join("own.db")).unwrap();
    }

    let abs = format!("sqlite://{}", sources.join("chinook.sqlite").display());
    let accepted = [
        ("sqlite://chinook.sqlite", "sqlite://chinook.sqlite"),
        (abs.as_str(), abs.as_str()),
        (
            "sqlite://sub/../chinook.sqlite",
            "sqlite://sub/../chinook.sqlite",
        ),
        ("sqlite://alias.db", "sqlite://alias.db"),
        (
            "postgres://reader:pw@127.0.0.1:1/shop",
            "postgres://reader:***@127.0.0.1:1/shop",
        ),
        (
            "postgresql://reader@localhost/shop",
            "postgresql://reader@localhost/shop",
        ),
        (
            // A black-hole address: connecting would hang for seconds.
            "mysql://root:pw@10.255.255.1:3306/shop",
            "mysql://root:***@10.255.255.1:3306/shop",
        ),
        (
            "postgres://u:pw@10.255.255.1/db",
            "postgres://u:***@10.255.255.1/db",
        ),
    ];
    let mut first = 0;
    let t0 = Instant::now();
    for (i, (url, shown)) in accepted.iter().enumerate() {
        let (s, b) = c
            .post(
                "/api/datasets",
                json!({"name": format!("ok{i}"), "source_url": url}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{url}: {b}");
        assert_eq!(b["source_url"], *shown, "{url}");
        if i == 0 {
            first = b["id"].as_i64().unwrap();
        }
    }
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "creation must not connect ({:?})",
        t0.elapsed()
    );

    let root = home.dir.path().display().to_string();
    let mut refused = vec![
        String::new(),
        "chinook.sqlite".into(),
        "http://example.com/db".into(),
        "file:///etc/passwd".into(),
        "sqlserver://h/db".into(),
        "sqlite://".into(),
        "sqlite://missing.db".into(),
        "sqlite://sub".into(),
        "sqlite://.".into(),
        "sqlite://../outside.sqlite".into(),
        "sqlite://sub/../../outside.sqlite".into(),
        format!("sqlite://{}", outside.display()),
        "sqlite:///etc/passwd".into(),
        "sqlite://escape.db".into(),
        "sqlite://up/outside.sqlite".into(),
        "sqlite://../datatrain.key".into(),
        "postgres://".into(),
        "postgres:///db".into(),
        "postgres://host".into(),
        "postgres://host/".into(),
        "mysql://host".into(),
    ];
    if meta == Meta::Sqlite {
        refused.push("sqlite://datatrain.db".into());
        refused.push(format!(
            "sqlite://{}",
            sources.join("datatrain.db").display()
        ));
        refused.push("sqlite://own.db".into());
        refused.push("sqlite://sub/../datatrain.db".into());
    }
    for url in &refused {
        let got = c
            .post(
                "/api/datasets",
                json!({"name": "refused", "source_url": url}),
            )
            .await;
        let detail = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, url);
        assert!(
            !detail.contains(&root),
            "{url}: the detail shows a server path: {detail}"
        );
        // PATCH checks the same way.
        let got = c
            .patch(
                &format!("/api/datasets/{first}"),
                json!({"source_url": url}),
            )
            .await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("PATCH {url}"),
        );
    }
    let (_, list) = c.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), accepted.len(), "{list}");
    let (_, d) = c.get(&format!("/api/datasets/{first}")).await;
    assert_eq!(d["source_url"], "sqlite://chinook.sqlite");
    run.stop().await;
    home.cleanup().await;
}

async fn tables_are_read_live(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let (s, tables) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK, "{tables}");
    let tables = tables.as_array().unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    for want in ["Album", "Artist", "Invoice", "InvoiceLine", "Track"] {
        assert!(names.contains(&want), "{names:?}");
    }
    for t in tables {
        assert_keys(t, &["name", "column_count"], "table");
        assert!(t["column_count"].as_i64().unwrap() > 0, "{t}");
    }
    let track = tables.iter().find(|t| t["name"] == "Track").unwrap();
    assert_eq!(track["column_count"], 9);

    // Read live: a table created in the source after the dataset shows up.
    {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::SqliteConnection::connect(&format!(
            "sqlite://{}",
            app.sources_dir.join("chinook.sqlite").display()
        ))
        .await
        .unwrap();
        conn.execute("CREATE TABLE Review (id INTEGER PRIMARY KEY, body TEXT, stars INTEGER)")
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let (s, tables) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK);
    let review = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Review")
        .cloned();
    assert_eq!(review, Some(json!({"name": "Review", "column_count": 3})));

    // Unreachable: 502 with a clear detail.
    let (s, d) = c
        .post(
            "/api/datasets",
            json!({"name": "down", "source_url": "postgres://u:secret@127.0.0.1:1/db"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let down = d["id"].as_i64().unwrap();
    let got = c.get(&format!("/api/datasets/{down}/tables")).await;
    let detail = assert_error(&got, StatusCode::BAD_GATEWAY, "unreachable source");
    assert!(detail.contains("connect"), "{detail}");
    assert!(!detail.contains("secret"), "{detail}");

    // A SQLite file that disappeared after creation is unreachable too.
    std::fs::copy(
        app.sources_dir.join("chinook.sqlite"),
        app.sources_dir.join("gone.sqlite"),
    )
    .unwrap();
    let (s, d) = c
        .post(
            "/api/datasets",
            json!({"name": "gone", "source_url": "sqlite://gone.sqlite"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    std::fs::remove_file(app.sources_dir.join("gone.sqlite")).unwrap();
    let got = c.get(&format!("/api/datasets/{}/tables", d["id"])).await;
    assert_error(&got, StatusCode::BAD_GATEWAY, "vanished SQLite file");
    app.stop().await;
}

async fn docs_crud(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let other = c.chinook("other").await;
    let docs_path = format!("/api/datasets/{id}/docs");
    let (s, b) = c.get(&docs_path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!([]));

    let (s, d1) = c
        .post(
            &docs_path,
            json!({"title": "Glossary", "content": "A track belongs to an album."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d1}");
    assert_keys(&d1, &["id", "title", "content", "created_at"], "doc");
    let d1_id = assert_int_id(&d1["id"], "doc id");
    assert_eq!(d1["title"], "Glossary");
    assert_eq!(d1["content"], "A track belongs to an album.");
    assert_ts(&d1["created_at"], "doc created_at");
    let (s, d2) = c
        .post(
            &docs_path,
            json!({"content": "复购率：一年内购买两次及以上的客户比例。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d2}");
    assert_eq!(d2["title"], "");

    let (_, list) = c.get(&docs_path).await;
    assert_eq!(list, json!([d1, d2]));

    // A document is reached only through its own dataset.
    assert_error(
        &c.delete(&format!("/api/datasets/{other}/docs/{d1_id}"))
            .await,
        StatusCode::NOT_FOUND,
        "doc through another dataset",
    );
    let (s, b) = c.delete(&format!("{docs_path}/{d1_id}")).await;
    assert!(
        s == StatusCode::NO_CONTENT || s == StatusCode::OK,
        "{s} {b}"
    );
    assert_error(
        &c.delete(&format!("{docs_path}/{d1_id}")).await,
        StatusCode::NOT_FOUND,
        "deleted twice",
    );
    let (_, list) = c.get(&docs_path).await;
    assert_eq!(list, json!([d2]));
    let got = c
        .post(
            &docs_path,
            json!({"title": "t".repeat(201), "content": "x"}),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "long title");
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Scenarios: training

async fn training_start_rules_and_runs(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let path = format!("/api/datasets/{id}/training");

    // Nothing to reuse yet, or an empty list: 400.
    assert_error(
        &c.post(&path, json!({})).await,
        StatusCode::BAD_REQUEST,
        "omitted list, never trained",
    );
    assert_error(
        &c.post_empty(&path).await,
        StatusCode::BAD_REQUEST,
        "no body, never trained",
    );
    assert_error(
        &c.post(&path, json!({"table_names": []})).await,
        StatusCode::BAD_REQUEST,
        "empty list",
    );
    assert!(runs(&c, id).await.is_empty());

    // A throttled run is still open on the next requests.
    let run1 = start(
        &c,
        id,
        json!({"table_names": ["Track", "Album"], "max_items_per_sec": 20}),
    )
    .await;
    let conflict = c.post(&path, json!({"table_names": ["Track"]})).await;
    assert_error(&conflict, StatusCode::CONFLICT, "second start");
    assert_error(
        &c.delete(&format!("/api/datasets/{id}")).await,
        StatusCode::CONFLICT,
        "delete dataset while training",
    );
    assert_error(
        &c.delete(&path).await,
        StatusCode::CONFLICT,
        "delete training data while training",
    );
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(rate(&p), 100.0);
    assert_ts(&p["last_train_at"], "last_train_at");
    let d = get_dataset(&c, id).await;
    assert_eq!(d["table_names"], json!(["Track", "Album"]));
    assert_eq!(d["status"], "completed");

    // An omitted list reuses the last one.
    let run2 = start(&c, id, json!({})).await;
    assert!(run2 > run1);
    c.wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["id"], run2, "newest first");
    assert_eq!(r[1]["id"], run1);
    for run in &r {
        assert_keys(
            run,
            &[
                "id",
                "status",
                "started_at",
                "finished_at",
                "items",
                "error",
                "instance",
            ],
            "run",
        );
        assert_eq!(run["status"], "completed");
        assert!(
            run["instance"].as_str().is_some_and(|i| !i.is_empty()),
            "{run}"
        );
        assert_ts(&run["started_at"], "started_at");
        assert_ts(&run["finished_at"], "finished_at");
        assert_eq!(run["error"], Value::Null);
    }
    assert_eq!(
        r[0]["items"], r[1]["items"],
        "the same tables give the same items"
    );
    assert!(r[0]["items"].as_i64().unwrap() > 2);

    // Unknown table names: the run fails, naming them; the collection stays searchable.
    let run3 = start(
        &c,
        id,
        json!({"table_names": ["Track", "NoSuchTable", "Nope_2"]}),
    )
    .await;
    let p = c
        .wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    let msg = p["error_msg"].as_str().expect("error_msg");
    assert!(
        msg.contains("NoSuchTable") && msg.contains("Nope_2"),
        "{msg}"
    );
    assert!(!msg.contains("Track,"), "{msg}");
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["id"], run3);
    assert_eq!(r[0]["status"], "failed");
    assert_eq!(r[0]["items"], 0);
    assert!(r[0]["error"].as_str().unwrap().contains("NoSuchTable"));
    let (s, found) = c
        .get(&format!(
            "/api/datasets/{id}/search?q=How%20many%20tracks%20are%20there%3F"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["tables"][0], "Track", "{found}");

    // From failed a new start is allowed; an omitted list reuses the failed run's list.
    start(&c, id, json!({})).await;
    let p = c
        .wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    assert!(p["error_msg"].as_str().unwrap().contains("NoSuchTable"));
    start(&c, id, json!({"table_names": ["Track", "Album"]})).await;
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(p["error_msg"], Value::Null);
    let (s, b) = c.delete(&format!("/api/datasets/{id}")).await;
    assert!(s.is_success(), "{s} {b}");
    // Nothing of the deleted dataset stays behind in the full-text index.
    if let Some(file) = &app.db_file {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items_fts")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "full-text rows of a deleted dataset");
    }
    app.stop().await;
}

async fn search_rules(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let search = |q: &str| format!("/api/datasets/{id}/search?{q}");
    // Untrained: nothing found, no error.
    let (s, b) = c.get(&search("q=tracks")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"items": [], "tables": []}));

    train(&c, id, &["Track", "Album", "Artist"]).await;
    let (s, b) = c
        .get(&search("q=How%20many%20tracks%20are%20there%3F"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["items", "tables"], "search");
    assert_eq!(b["tables"][0], "Track", "{b}");
    let items = b["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 10, "default k is 10");
    for item in items {
        assert_keys(
            item,
            &["kind", "content", "question", "table_name", "score"],
            "item",
        );
        assert!(["ddl", "documentation", "sql"].contains(&item["kind"].as_str().unwrap()));
        assert!(item["score"].is_number());
    }
    assert!(b["tables"].as_array().unwrap().iter().all(Value::is_string));
    for k in [1, 3, 50] {
        let (s, b) = c.get(&search(&format!("q=album%20artist&k={k}"))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b["items"].as_array().unwrap().len() <= k, "k={k}: {b}");
    }
    for k in ["0", "51", "-1", "abc", "1.5", "", "99999999999999999999"] {
        let got = c.get(&search(&format!("q=album&k={k}"))).await;
        let detail = assert_error(&got, StatusCode::BAD_REQUEST, &format!("k={k}"));
        assert!(detail.starts_with("k "), "k={k}: {detail}");
    }
    app.stop().await;
}

async fn progress_and_logs(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let p = progress(&c, id).await;
    assert_eq!(
        p,
        json!({
            "status": "pending", "process_rate": 0.0, "error_msg": null, "last_train_at": null,
            "stage": null, "queue_position": null, "eta_seconds": null
        })
    );
    let logs_path = format!("/api/datasets/{id}/training/logs");
    let (s, b) = c.get(&logs_path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!([]));

    // While a throttled run trains, progress has its stage.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    let p = c
        .wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    assert_keys(
        &p,
        &[
            "status",
            "process_rate",
            "error_msg",
            "last_train_at",
            "stage",
            "queue_position",
            "eta_seconds",
        ],
        "progress",
    );
    let stage = p["stage"].as_i64().expect("a stage while training");
    assert!((1..=4).contains(&stage), "{p}");
    assert_eq!(p["queue_position"], Value::Null);
    assert!(p["eta_seconds"].is_null() || p["eta_seconds"].as_i64().unwrap() >= 0);
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(p["stage"], Value::Null);
    assert_eq!(p["eta_seconds"], Value::Null);
    assert_ts(&p["last_train_at"], "last_train_at");
    // Again, so that there are more logs.
    train(&c, id, &["Track"]).await;

    let (s, all) = c.get(&format!("{logs_path}?limit=500")).await;
    assert_eq!(s, StatusCode::OK);
    let all = all.as_array().unwrap().clone();
    assert!(all.len() > 5, "{all:?}");
    for entry in &all {
        assert_keys(entry, &["id", "content", "created_at"], "log");
        assert_int_id(&entry["id"], "log id");
        assert_ts(&entry["created_at"], "log created_at");
    }
    for pair in all.windows(2) {
        assert!(
            pair[0]["id"].as_i64() > pair[1]["id"].as_i64(),
            "newest first: {pair:?}"
        );
        assert!(pair[0]["created_at"].as_str() >= pair[1]["created_at"].as_str());
    }
    assert!(
        all[0]["content"].as_str().unwrap().contains("completed"),
        "{}",
        all[0]
    );
    let (_, one) = c.get(&format!("{logs_path}?limit=1")).await;
    assert_eq!(one, json!([all[0].clone()]));
    let (_, default) = c.get(&logs_path).await;
    let default = default.as_array().unwrap();
    assert_eq!(default.len(), all.len().min(50));
    assert_eq!(default[..], all[..default.len()]);
    for limit in ["0", "501", "-1", "abc", "1.5", "", "99999999999999999999"] {
        let got = c.get(&format!("{logs_path}?limit={limit}")).await;
        let detail = assert_error(&got, StatusCode::BAD_REQUEST, &format!("limit={limit}"));
        assert!(detail.contains("limit"), "limit={limit}: {detail}");
    }
    app.stop().await;
}

async fn pause_and_resume_a_throttled_run(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let base = format!("/api/datasets/{id}/training");

    // The seed's exact answer.
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b, json!({"detail": "Dataset is not training"}));
    assert_error(
        &c.post_empty(&format!("{base}/resume")).await,
        StatusCode::BAD_REQUEST,
        "resume pending",
    );
    assert_error(
        &c.post_empty(&format!("{base}/cancel")).await,
        StatusCode::BAD_REQUEST,
        "cancel pending",
    );

    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    c.wait_progress(id, "training with progress", |p| {
        p["status"] == "training" && rate(p) > 0.0
    })
    .await;
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "pause");
    assert!(b["message"].is_string());
    let paused = progress(&c, id).await;
    assert_eq!(paused["status"], "paused");
    assert!(rate(&paused) > 0.0 && rate(&paused) < 100.0, "{paused}");
    // Later reads: the rate stays put (the stopping task must not move it).
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let p = progress(&c, id).await;
        assert_eq!(p["status"], "paused");
        assert_eq!(rate(&p), rate(&paused), "{p} after {paused}");
    }
    assert_eq!(rate(&get_dataset(&c, id).await), rate(&paused));
    // Paused is not training; a paused run blocks a new start.
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b, json!({"detail": "Dataset is not training"}));
    assert_error(
        &c.post(&base, json!({"table_names": ["Track"]})).await,
        StatusCode::CONFLICT,
        "start while paused",
    );

    let (s, b) = c.post_empty(&format!("{base}/resume")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "resume");
    let status = progress(&c, id).await["status"].clone();
    assert!(status == "queued" || status == "training", "{status}");
    assert_error(
        &c.post_empty(&format!("{base}/resume")).await,
        StatusCode::BAD_REQUEST,
        "resume twice",
    );
    let p = c
        .wait_progress(id, "completed", |p| {
            p["status"] == "completed" || p["status"] == "failed"
        })
        .await;
    assert_eq!(p["status"], "completed", "{p}");
    assert_eq!(rate(&p), 100.0);
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["status"], "completed");
    assert!(r[0]["items"].as_i64().unwrap() > 0, "{r:?}");
    let (_, logs) = c.get(&format!("{base}/logs?limit=500")).await;
    let text: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["content"].as_str().unwrap())
        .collect();
    assert!(text.iter().any(|l| l.contains("paused")), "{text:?}");
    assert!(text.iter().any(|l| l.contains("resumed")), "{text:?}");
    // Completed is not training either.
    let (s, b) = c.post_empty(&format!("{base}/pause")).await;
    assert_eq!(
        (s, b),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail": "Dataset is not training"})
        )
    );
    app.stop().await;
}

/// Pauses and resumes racing the workers' claims and checkpoints: every answer
/// is 200 or 400 (no 500 from the two sides locking in opposite orders), and
/// each dataset still ends with one completed run.
async fn pause_resume_storm_never_fails(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let tables = [
        "Track",
        "Album",
        "Artist",
        "Genre",
        "Invoice",
        "InvoiceLine",
        "Customer",
        "Employee",
    ];
    let mut ids = Vec::new();
    for i in 0..2 {
        let id = c.chinook(&format!("storm{i}")).await;
        start(
            &c,
            id,
            json!({"table_names": tables, "max_items_per_sec": 200}),
        )
        .await;
        ids.push(id);
    }
    for round in 0..60 {
        for &id in &ids {
            for action in ["pause", "resume"] {
                let (s, b) = c
                    .post_empty(&format!("/api/datasets/{id}/training/{action}"))
                    .await;
                assert!(
                    s == StatusCode::OK || s == StatusCode::BAD_REQUEST,
                    "round {round}, {action}: {s} {b}"
                );
            }
        }
    }
    for &id in &ids {
        if progress(&c, id).await["status"] == "paused" {
            let (s, b) = c
                .post_empty(&format!("/api/datasets/{id}/training/resume"))
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        let p = c
            .wait_progress(id, "completed", |p| {
                p["status"] == "completed" || p["status"] == "failed"
            })
            .await;
        assert_eq!(p["status"], "completed", "{p}");
        let r = runs(&c, id).await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0]["status"], "completed");
        assert!(r[0]["items"].as_i64().unwrap() > 0);
    }
    app.stop().await;
}

async fn cancel_and_delete_training_data(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let base = format!("/api/datasets/{id}/training");
    let done = train(&c, id, &["Track", "Album"]).await;
    let items = runs(&c, id).await[0]["items"].clone();
    let search = format!("/api/datasets/{id}/search?q=tracks%20album");

    // Cancel a training run: back to completed, its partial data dropped.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    c.wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    let (s, b) = c.post_empty(&format!("{base}/cancel")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "cancel");
    let p = progress(&c, id).await;
    assert_eq!(p["status"], "completed");
    assert_eq!(rate(&p), 100.0);
    assert_eq!(p["last_train_at"], done["last_train_at"]);
    assert_error(
        &c.post_empty(&format!("{base}/cancel")).await,
        StatusCode::BAD_REQUEST,
        "cancel twice",
    );
    let r = runs(&c, id).await;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["status"], "cancelled");
    assert_eq!(r[0]["items"], 0);
    assert_eq!(r[1]["items"], items);
    let (_, found) = c.get(&search).await;
    assert!(!found["items"].as_array().unwrap().is_empty());

    // Cancel a paused run.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    c.wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    assert_eq!(
        c.post_empty(&format!("{base}/pause")).await.0,
        StatusCode::OK
    );
    let (s, b) = c.post_empty(&format!("{base}/cancel")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(progress(&c, id).await["status"], "completed");

    // Delete the training data: refused while training, allowed when paused.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    assert_error(
        &c.delete(&base).await,
        StatusCode::CONFLICT,
        "delete data while queued/training",
    );
    assert_eq!(
        c.post_empty(&format!("{base}/pause")).await.0,
        StatusCode::OK
    );
    let (s, b) = c.delete(&base).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["message"], "delete data");
    let p = progress(&c, id).await;
    assert_eq!(p["status"], "pending");
    assert_eq!(rate(&p), 0.0);
    assert_eq!(p["last_train_at"], Value::Null);
    let (s, found) = c.get(&search).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found, json!({"items": [], "tables": []}));
    let r = runs(&c, id).await;
    assert!(r.iter().all(|r| r["status"] != "paused"), "{r:?}");
    // Nothing left to resume.
    assert_error(
        &c.post_empty(&format!("{base}/resume")).await,
        StatusCode::BAD_REQUEST,
        "resume after delete",
    );
    // Deleting again (pending) is fine.
    assert_eq!(c.delete(&base).await.0, StatusCode::OK);
    // And it trains again from scratch.
    train(&c, id, &["Album"]).await;
    let (_, found) = c.get(&search).await;
    assert!(!found["items"].as_array().unwrap().is_empty());
    app.stop().await;
}

async fn source_password_never_leaks(meta: Meta) {
    const SECRET: &str = "s3cretPW";
    let app = app(meta).await;
    let c = app.user("alice").await;
    let mut seen = Vec::new();
    let mut check = |what: &str, got: (StatusCode, Value)| -> (StatusCode, Value) {
        let text = got.1.to_string();
        assert!(!text.contains(SECRET), "{what}: {text}");
        assert!(!text.contains("s3cret@PW"), "{what}: {text}");
        seen.push(what.to_string());
        got
    };
    let url = format!("postgres://u:{SECRET}@127.0.0.1:1/db");
    let (s, d) = check(
        "create",
        c.post("/api/datasets", json!({"name": "shop", "source_url": url}))
            .await,
    );
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["source_url"], "postgres://u:***@127.0.0.1:1/db");
    let id = d["id"].as_i64().unwrap();
    let p = |suffix: &str| format!("/api/datasets/{id}{suffix}");
    check("list", c.get("/api/datasets").await);
    check("get", c.get(&p("")).await);
    let (s, _) = check(
        "patch",
        c.patch(&p(""), json!({"description": "the shop", "name": "shop2"}))
            .await,
    );
    assert_eq!(s, StatusCode::OK);
    let (s, _) = check("tables", c.get(&p("/tables")).await);
    assert_eq!(s, StatusCode::BAD_GATEWAY);
    check(
        "add doc",
        c.post(&p("/docs"), json!({"title": "t", "content": "orders"}))
            .await,
    );
    check("docs", c.get(&p("/docs")).await);
    let (s, b) = check(
        "start",
        c.post(&p("/training"), json!({"table_names": ["orders"]}))
            .await,
    );
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let failed = c
        .wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    check("progress", (StatusCode::OK, failed.clone()));
    assert!(
        failed["error_msg"].as_str().unwrap().contains("connect"),
        "{failed}"
    );
    check("progress again", c.get(&p("/training/progress")).await);
    check("logs", c.get(&p("/training/logs?limit=500")).await);
    check("runs", c.get(&p("/training/runs")).await);
    check("search", c.get(&p("/search?q=orders")).await);
    check("pause", c.post_empty(&p("/training/pause")).await);
    // A new URL with a password that needs decoding; the source cannot change into a leak.
    let (s, b) = check(
        "patch url",
        c.patch(
            &p(""),
            json!({"source_url": "postgres://u:s3cret%40PW@127.0.0.1:1/db"}),
        )
        .await,
    );
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["source_url"], "postgres://u:***@127.0.0.1:1/db");
    check("tables again", c.get(&p("/tables")).await);
    check("restart", c.post(&p("/training"), json!({})).await);
    c.wait_progress(id, "failed", |p| p["status"] == "failed")
        .await;
    check("logs again", c.get(&p("/training/logs")).await);
    check("runs again", c.get(&p("/training/runs")).await);
    // A password given as a query parameter never comes back either.
    let (s, b) = check(
        "create with ?password=",
        c.post(
            "/api/datasets",
            json!({"name": "q", "source_url": format!("postgres://u@127.0.0.1:1/db?password={SECRET}")}),
        )
        .await,
    );
    assert!(
        s == StatusCode::CREATED || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s} {b}"
    );
    // Refused URLs holding the password: the detail does not echo it.
    for bad in [
        format!("postgres://u:{SECRET}@/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:99999/db"),
        format!("postgres://u:{SECRET}@127.0.0.1:1"),
        format!("mysql://u:{SECRET}@127.0.0.1:1/a/b"),
        format!("redis://u:{SECRET}@127.0.0.1:1/db"),
    ] {
        let (s, b) = check(
            "refused url",
            c.post("/api/datasets", json!({"name": "bad", "source_url": bad}))
                .await,
        );
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        let (s, _) = check(
            "refused patch",
            c.patch(&p(""), json!({"source_url": bad})).await,
        );
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    check("list again", c.get("/api/datasets").await);
    check("delete data", c.delete(&p("/training")).await);
    check("delete", c.delete(&p("")).await);
    assert!(seen.len() > 20);

    let logs = captured_logs().text();
    assert!(
        logs.contains("dataset created"),
        "the log capture works: {} bytes",
        logs.len()
    );
    for secret in [SECRET, "s3cret@PW", "s3cret%40PW"] {
        if let Some(at) = logs.find(secret) {
            let from = logs[..at].rfind('\n').map_or(0, |i| i + 1);
            let to = logs[at..].find('\n').map_or(logs.len(), |i| at + i);
            panic!("the password is in the server log: {}", &logs[from..to]);
        }
    }
    app.stop().await;
}
