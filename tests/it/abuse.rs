//! The abuse suite: what an attacker without an account, or a careless user,
//! tries against the real app (login floods, throttling, secrets, cross-origin
//! requests, framing, fair use, honest errors). Scenarios that depend on the
//! metadata store (shared counters, locks) run on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use crate::common::app::{Client, Meta, Options, TestApp, spawn_app, spawn_app_with};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

on_both!(
    failed_logins_are_counted_per_name_and_client,
    failed_logins_are_counted_per_client,
    invalid_usernames_cost_nothing,
    a_login_flood_is_bounded_and_health_answers,
    source_passwords_are_masked_and_encrypted,
    active_runs_per_user_are_limited,
    users_take_turns_in_the_queue,
);

const PASSWORD: &str = "train-Knowledge-42";

fn proxied() -> Options {
    Options {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap(), "::1/128".parse().unwrap()],
        ..Options::default()
    }
}

async fn signup(c: &Client, name: &str) {
    let (s, b) = c
        .post(
            "/api/auth/signup",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// A login as `name` from `client` (sent as X-Forwarded-For).
async fn login_from(
    c: &Client,
    name: &str,
    password: &str,
    client: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = c
        .http
        .post(format!("{}/api/auth/login", c.base))
        .json(&json!({"username": name, "password": password}));
    if let Some(ip) = client {
        req = req.header("x-forwarded-for", ip);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn store_rows(app: &TestApp, sql: &str) -> Vec<sqlx::any::AnyRow> {
    let pool = app.store_pool().await;
    let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows
}

async fn failed_logins_are_counted_per_name_and_client(meta: Meta) {
    let app = spawn_app_with(Options { meta, ..proxied() }).await;
    let c = app.client();
    signup(&c, "alice").await;
    for i in 0..10 {
        let (s, _, b) = login_from(&c, "alice", "wrong-password", Some("203.0.113.7")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {b}");
    }
    // The 11th from that address is refused, even with the right password...
    let (s, h, b) = login_from(&c, "alice", PASSWORD, Some("203.0.113.7")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .contains("Too many failed logins")
    );
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // ...but the right password from another address still logs in: nobody can lock alice out.
    let (s, _, b) = login_from(&c, "alice", PASSWORD, Some("198.51.100.20")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Another name from the throttled address is not throttled by alice's count.
    signup(&c, "bob").await;
    let (s, _, b) = login_from(&c, "bob", PASSWORD, Some("203.0.113.7")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app.stop().await;

    // Without trusted proxies, X-Forwarded-For is ignored: changing it escapes nothing.
    let app = spawn_app_with(Options {
        meta,
        ..Options::default()
    })
    .await;
    let c = app.client();
    signup(&c, "carol").await;
    for i in 0..10 {
        let fake = format!("10.0.0.{i}");
        let (s, _, _) = login_from(&c, "carol", "wrong-password", Some(&fake)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = login_from(&c, "carol", PASSWORD, Some("10.9.9.9")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

async fn failed_logins_are_counted_per_client(meta: Meta) {
    let app = spawn_app_with(Options { meta, ..proxied() }).await;
    let c = app.client();
    signup(&c, "dave").await;
    for i in 0..30 {
        let (s, _, b) = login_from(
            &c,
            &format!("user{i}"),
            "wrong-password",
            Some("203.0.113.9"),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {b}");
    }
    let (s, h, _) = login_from(&c, "user99", "wrong-password", Some("203.0.113.9")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key("retry-after"));
    let (s, _, _) = login_from(&c, "dave", PASSWORD, Some("203.0.113.9")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = login_from(&c, "dave", PASSWORD, Some("203.0.113.10")).await;
    assert_eq!(s, StatusCode::OK);
    // The counters hold no raw usernames, only bucket keys of bounded length.
    let rows = store_rows(&app, "SELECT bucket FROM throttle_events").await;
    assert!(!rows.is_empty());
    for r in rows {
        let bucket: String = r.get(0);
        assert!(bucket.len() < 64 + 64, "{bucket}");
    }
    app.stop().await;
}

async fn invalid_usernames_cost_nothing(meta: Meta) {
    let app = spawn_app(meta).await;
    let c = app.client();
    let huge = "a".repeat(1_000_000);
    for name in [
        huge.as_str(),
        "ab",
        "no spaces",
        "\u{0}admin",
        &"x".repeat(65),
    ] {
        for _ in 0..15 {
            let (s, _, b) = login_from(&c, name, "wrong-password", None).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
            assert_eq!(b["detail"], "Invalid username or password");
        }
    }
    let rows = store_rows(&app, "SELECT COUNT(*) FROM throttle_events").await;
    let n: i64 = rows[0].get(0);
    assert_eq!(n, 0, "invalid names are not counted");
    app.stop().await;
}

async fn a_login_flood_is_bounded_and_health_answers(meta: Meta) {
    let app = spawn_app_with(Options { meta, ..proxied() }).await;
    let c = app.client();
    signup(&c, "erin").await;
    let started = Instant::now();
    let mut flood = Vec::new();
    for i in 0..128 {
        let c = c.clone();
        flood.push(tokio::spawn(async move {
            let ip = format!("198.18.{}.{}", i / 200, i % 200 + 1);
            login_from(&c, "erin", "wrong-password", Some(&ip)).await
        }));
    }
    // Health answers while the hashes queue up.
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let t = Instant::now();
        let (s, b) = c.get("/api/health").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        slowest = slowest.max(t.elapsed());
    }
    let mut statuses = Vec::new();
    for f in flood {
        let (s, h, b) = f.await.unwrap();
        if s == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(b["detail"], "Server busy, try again");
            assert!(h.contains_key("retry-after"));
        } else {
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        }
        statuses.push(s);
    }
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED));
    // Reported, not asserted on time: the memory bound is measured by `make bench-abuse`.
    eprintln!(
        "128 logins in {:?}; slowest health {slowest:?}; {} busy",
        started.elapsed(),
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
            .count()
    );
    app.stop().await;
}

#[tokio::test]
async fn new_passwords_follow_the_rule() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.client();
    for (pw, why) in [
        ("password1", "most common"),
        ("Iloveyou", "most common"),
        ("          ", "whitespace"),
        ("tab\tinside-password", "control"),
        ("short", "8-256"),
    ] {
        let (s, b) = c
            .post(
                "/api/auth/signup",
                json!({"username": "frank", "password": pw}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{pw:?}: {b}");
        assert!(b["detail"].as_str().unwrap().contains(why), "{pw:?}: {b}");
    }
    let (s, _) = c
        .post(
            "/api/auth/signup",
            json!({"username": "frank", "password": "a perfectly fine passphrase"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.stop().await;
}

async fn source_passwords_are_masked_and_encrypted(meta: Meta) {
    let app = spawn_app(meta).await;
    let c = app.user("grace").await;
    // Each password is given raw where the URL allows it, and percent-encoded.
    let cases = [
        ("mysql://u:pa ss1@127.0.0.1:3306/db", "pa ss1"),
        ("mysql://u:pa%20ss2@127.0.0.1:3306/db", "pa ss2"),
        ("postgres://u:it's\"3<x>@127.0.0.1:5432/db", "it's\"3<x>"),
        (
            "postgres://u:p%40ss%3A4%2F%25%23%3F@127.0.0.1:5432/db",
            "p@ss:4/%#?",
        ),
    ];
    let mut ids = Vec::new();
    for (i, (url, secret)) in cases.iter().enumerate() {
        let (s, b) = c
            .post(
                "/api/datasets",
                json!({"name": format!("secret{i}"), "source_url": url}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{url}: {b}");
        let shown = b["source_url"].as_str().unwrap();
        assert!(shown.contains("***"), "{shown}");
        for part in [*secret, "ss1", "ss2", "3<x>", "p@ss", "%40ss"] {
            if secret.contains(part) {
                assert!(!shown.contains(part), "{shown} shows {part}");
            }
        }
        ids.push(b["id"].as_i64().unwrap());
    }
    // Pages and the stored rows hold no password either.
    let home = c.http.get(format!("{}/", c.base)).send().await.unwrap();
    let home = home.text().await.unwrap();
    let mut pages = vec![home];
    for id in &ids {
        let page = c
            .http
            .get(format!("{}/datasets/{id}", c.base))
            .send()
            .await
            .unwrap();
        pages.push(page.text().await.unwrap());
    }
    let rows = store_rows(&app, "SELECT source_url, source_secret FROM datasets").await;
    assert_eq!(rows.len(), cases.len());
    let stored: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            let url: String = r.get(0);
            let secret: Option<String> = r.get(1);
            assert!(secret.as_deref().is_some_and(|s| s.starts_with("v1:")));
            [url, secret.unwrap_or_default()]
        })
        .collect();
    for (_, secret) in cases {
        for text in pages.iter().chain(stored.iter()) {
            assert!(!text.contains(secret), "{secret} found");
            let escaped = secret
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            assert!(!text.contains(&escaped), "{escaped} found");
        }
    }
    app.stop().await;
}

/// A browser request with the session cookie from `origin` (and/or `fetch_site`).
async fn browser_post(
    c: &Client,
    path: &str,
    origin: Option<&str>,
    fetch_site: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = c.http.post(format!("{}{path}", c.base)).json(&body);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(f) = fetch_site {
        req = req.header("sec-fetch-site", f);
    }
    let res = req.send().await.unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn cross_origin_requests_are_refused() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("heidi").await;
    let id = c.chinook("chinook").await;
    let docs = format!("/api/datasets/{id}/docs");
    let doc = json!({"title": "t", "content": "Revenue means invoice totals"});
    let own = c.base.clone();
    for (origin, site) in [
        (Some("http://127.0.0.1:1"), None),
        (Some("https://evil.example"), Some("cross-site")),
        (Some("null"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
    ] {
        let (s, b) = browser_post(&c, &docs, origin, site, doc.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{origin:?} {site:?}");
        assert_eq!(b, json!({"detail": "Cross-origin request refused"}));
    }
    let (s, b) = browser_post(&c, &docs, Some(&own), Some("same-origin"), doc.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // curl and scripts send neither header.
    let (s, _) = c.post(&docs, doc.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    // The server function door too.
    let res = c
        .http
        .post(format!("{}/sfn/add_doc", c.base))
        .header("origin", "http://127.0.0.1:1")
        .form(&[
            ("id", id.to_string()),
            ("title", "x".into()),
            ("content", "y".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, list) = c.get(&docs).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    // A text/plain form cannot start a training.
    let res = c
        .http
        .post(format!("{}/api/datasets/{id}/training", c.base))
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"table_names":["Album"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let b: Value = res.json().await.unwrap();
    assert!(b["detail"].is_string());
    // An empty body stays allowed where the body is optional.
    let (s, b) = c
        .request(
            Method::POST,
            &format!("/api/datasets/{id}/training/pause"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("ivan").await;
    let res = c.http.get(format!("{}/", c.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    let html = res.text().await.unwrap();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    for part in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "script-src 'self' 'nonce-",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap();
    assert!(nonce.len() >= 16);
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the nonce"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cache-control"], "no-store");
    // A second page gets a fresh nonce.
    let again = c.http.get(format!("{}/", c.base)).send().await.unwrap();
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
    // API answers are never cached; the 404 page has a policy too.
    let res = c
        .http
        .get(format!("{}/api/auth/me", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let res = c
        .http
        .get(format!("{}/no/such/page", c.base))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("content-security-policy"));
    app.stop().await;
}

#[tokio::test]
async fn server_functions_answer_honest_statuses() {
    let app = spawn_app(Meta::Sqlite).await;
    let anon = app.client();
    let owner = app.user("judy").await;
    let other = app.user("mallory").await;
    let id = owner.chinook("mine").await;
    let add_doc = |c: &Client, id: String, title: String| {
        let c = c.clone();
        async move {
            let res = c
                .http
                .post(format!("{}/sfn/add_doc", c.base))
                .form(&[("id", id), ("title", title), ("content", "text".into())])
                .send()
                .await
                .unwrap();
            let s = res.status();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, b) = add_doc(&anon, id.to_string(), "t".into()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(b["detail"], "Not authenticated");
    let (s, b) = add_doc(&other, id.to_string(), "t".into()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["detail"], "Not found");
    let (s, b) = add_doc(&owner, id.to_string(), "bad\u{0}title".into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = add_doc(&owner, "not-a-number".into(), "t".into()).await;
    assert!(s.is_client_error(), "{s} {b}");
    let (s, _) = add_doc(&owner, id.to_string(), "fine".into()).await;
    assert!(s.is_success());
    // Control characters in names: 422 on the REST door too.
    let (s, b) = owner
        .post(
            "/api/datasets",
            json!({"name": "bad\u{1}name", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // A too-long request line: 414 in the API's format.
    let long = format!("/api/datasets?q={}", "x".repeat(20_000));
    let (s, b) = owner.get(&long).await;
    assert_eq!(s, StatusCode::URI_TOO_LONG, "{b}");
    assert!(b["detail"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn speed_limits_must_be_sensible() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("ken").await;
    let id = c.chinook("chinook").await;
    for rate in [1e-9, 0.05, -1.0] {
        let (s, b) = c
            .post(
                &format!("/api/datasets/{id}/training"),
                json!({"table_names": ["Album"], "max_items_per_sec": rate}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{rate}: {b}");
    }
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": ["Album"], "max_items_per_sec": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    app.stop().await;
}

async fn active_runs_per_user_are_limited(meta: Meta) {
    let app = spawn_app_with(Options {
        meta,
        max_active_runs_per_user: 2,
        ..Options::default()
    })
    .await;
    let c = app.user("leo").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(c.chinook(&format!("d{i}")).await);
    }
    let slow = json!({"table_names": ["Album", "Artist", "Track"], "max_items_per_sec": 0.5});
    for id in &ids[..2] {
        let (s, b) = c
            .post(&format!("/api/datasets/{id}/training"), slow.clone())
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    }
    let (s, b) = c
        .post(&format!("/api/datasets/{}/training", ids[2]), slow.clone())
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    // Another user is not held back by leo's runs.
    let other = app.user("mia").await;
    let oid = other.chinook("hers").await;
    let (s, b) = other
        .post(&format!("/api/datasets/{oid}/training"), slow.clone())
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    // A paused run does not count; resuming it while two others run does.
    let (s, b) = c
        .post_empty(&format!("/api/datasets/{}/training/pause", ids[0]))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .post(&format!("/api/datasets/{}/training", ids[2]), slow.clone())
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let (s, b) = c
        .post_empty(&format!("/api/datasets/{}/training/resume", ids[0]))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    for id in &ids {
        let _ = c
            .post_empty(&format!("/api/datasets/{id}/training/cancel"))
            .await;
    }
    let _ = other
        .post_empty(&format!("/api/datasets/{oid}/training/cancel"))
        .await;
    app.stop().await;
}

async fn users_take_turns_in_the_queue(meta: Meta) {
    use crate::common::world::World;
    let w = World::new(meta).await;
    let alice = w.user.clone();
    let bob = w.other_user().await;
    let mut a = Vec::new();
    for i in 0..3 {
        a.push(w.chinook_dataset_of(&alice, &format!("a{i}")).await);
    }
    let b = w.chinook_dataset_of(&bob, "b0").await;
    for id in &a {
        w.start_of(&alice, *id).await;
    }
    w.start_of(&bob, b).await;
    // Alice queued first and nobody was served: her oldest run goes first.
    let first = w.store.claim_next_run("test").await.unwrap().unwrap();
    assert_eq!(first.dataset_id, a[0]);
    // Alice has a run training: Bob's single run is next, not her queue.
    let second = w.store.claim_next_run("test").await.unwrap().unwrap();
    assert_eq!(second.dataset_id, b);
    // Both ended; Alice was served before Bob, so... Alice again (Bob has nothing queued).
    assert!(w.store.fail_run(&first, "test").await.unwrap());
    assert!(w.store.fail_run(&second, "test").await.unwrap());
    let third = w.store.claim_next_run("test").await.unwrap().unwrap();
    assert_eq!(third.dataset_id, a[1]);
    w.cleanup().await;
}

#[tokio::test]
async fn runs_longer_than_the_limit_fail() {
    let app = spawn_app_with(Options {
        max_run_seconds: 1,
        ..Options::default()
    })
    .await;
    let c = app.user("nina").await;
    let id = c.chinook("chinook").await;
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/training"),
            json!({"table_names": ["Album", "Artist", "Track", "Genre"], "max_items_per_sec": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let p = c
        .wait_progress(id, "the run to fail", |p| p["status"] == "failed")
        .await;
    assert!(
        p["error_msg"]
            .as_str()
            .unwrap()
            .contains("DATATRAIN_MAX_RUN_SECONDS"),
        "{p}"
    );
    app.stop().await;
}

fn config_in(dir: &std::path::Path, key: Option<&[u8]>) -> datatrain::server::config::Config {
    use base64::Engine;
    let sources = dir.join("sources");
    std::fs::create_dir_all(&sources).unwrap();
    datatrain::server::config::Config {
        database_url: format!("sqlite://{}", dir.join("datatrain.db").display()),
        addr: "127.0.0.1:0".parse().unwrap(),
        key_file: dir.join("datatrain.key"),
        sources_dir: sources,
        key: key.map(|k| {
            datatrain::server::config::SecretKey(
                datatrain::server::secrets::decode_key(
                    &base64::engine::general_purpose::STANDARD.encode(k),
                )
                .unwrap(),
            )
        }),
        ..datatrain::server::config::Config::default()
    }
}

/// Builds the app, serves, and stops it (which releases the store).
async fn start_and_stop(
    config: datatrain::server::config::Config,
) -> Result<(), datatrain::server::startup::StartupError> {
    let app = datatrain::server::startup::Application::build(config).await?;
    let stop = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    stop.cancel();
    let _ = server.await;
    Ok(())
}

#[tokio::test]
async fn another_key_refuses_to_start_and_plain_passwords_get_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    // A store written before encryption at rest: a password in clear.
    let store = datatrain::server::store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("datatrain.db").display()
    ))
    .await
    .unwrap();
    let user = store.insert_user("olga", "not-a-real-hash").await.unwrap();
    sqlx::query(
        "INSERT INTO datasets (owner_id, name, source_url, created_at, updated_at) \
         VALUES ($1, 'old', 'postgres://u:old pass@127.0.0.1:5432/db', 0, 0)",
    )
    .bind(user.id)
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;

    start_and_stop(config_in(dir.path(), Some(&[3u8; 64])))
        .await
        .expect("first start");
    let store = datatrain::server::store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("datatrain.db").display()
    ))
    .await
    .unwrap();
    let (url, secret): (String, Option<String>) =
        sqlx::query_as("SELECT source_url, source_secret FROM datasets")
            .fetch_one(store.pool())
            .await
            .unwrap();
    store.close().await;
    assert_eq!(url, "postgres://u:***@127.0.0.1:5432/db");
    let secret = secret.expect("encrypted");
    assert!(!secret.contains("old pass"));
    let secrets = datatrain::server::secrets::Secrets::from_master_key(&[3u8; 64]);
    assert_eq!(
        secrets.decrypt(&secret).unwrap(),
        "postgres://u:old pass@127.0.0.1:5432/db"
    );

    // The same key starts again; another one is refused, naming the variable.
    start_and_stop(config_in(dir.path(), Some(&[3u8; 64])))
        .await
        .expect("same key");
    let err = match start_and_stop(config_in(dir.path(), Some(&[4u8; 64]))).await {
        Ok(_) => panic!("another key must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("DATATRAIN_KEY"), "{err}");
}

#[tokio::test]
async fn expired_sessions_are_deleted_by_the_periodic_job() {
    use datatrain::server::startup::Application;
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path(), None);
    let url = config.database_url.clone();
    let store = datatrain::server::store::Store::connect(&url)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    for (id, expiry) in [("expired", now - 10), ("live", now + 3600)] {
        sqlx::query("INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(b"{}".to_vec())
            .bind(expiry)
            .execute(store.pool())
            .await
            .unwrap();
    }
    let app = Application::build(config).await.unwrap();
    let stop = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    // The job runs at start, then every minute: wait (bounded) for it.
    let mut left: Vec<String> = vec![];
    for _ in 0..200 {
        left = sqlx::query_scalar("SELECT id FROM sessions ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap();
        if left == ["live"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(left, ["live"]);
    stop.cancel();
    let _ = server.await;
    store.close().await;
}

#[tokio::test]
async fn source_connections_are_limited_per_user() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("quinn").await;
    let id = c.chinook("chinook").await;
    for i in 0..30 {
        let (s, b) = c.get(&format!("/api/datasets/{id}/tables")).await;
        assert_eq!(s, StatusCode::OK, "connection {i}: {b}");
    }
    let res = c
        .http
        .get(format!("{}/api/datasets/{id}/tables", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // Another user is not held back.
    let other = app.user("ruth").await;
    let oid = other.chinook("hers").await;
    let (s, _) = other.get(&format!("/api/datasets/{oid}/tables")).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_second_instance_on_one_sqlite_store_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = config_in(dir.path(), None);
    first.instance = "first-instance".into();
    let app = datatrain::server::startup::Application::build(first)
        .await
        .expect("first");
    let stop = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    let mut second = config_in(dir.path(), None);
    second.instance = "second-instance".into();
    let err = match datatrain::server::startup::Application::build(second.clone()).await {
        Ok(_) => panic!("a second instance must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("first-instance"), "{err}");
    assert!(err.contains("PostgreSQL"), "{err}");
    stop.cancel();
    let _ = server.await;
    // Once the first stopped, the second starts.
    start_and_stop(second)
        .await
        .expect("second after the first");
}

#[tokio::test]
async fn a_stored_status_that_does_not_parse_is_an_error_not_a_default() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.user("tess").await;
    let id = c.chinook("chinook").await;
    let pool = app.store_pool().await;
    sqlx::query("UPDATE datasets SET status = 'weird' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (s, b) = c.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{b}");
    assert_eq!(b, json!({"detail": "Internal server error"}));
    app.stop().await;
}
