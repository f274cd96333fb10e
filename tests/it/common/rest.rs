//! Requests and assertions for the REST API tests: accounts, the error body,
//! timestamps, requests `Client` does not make, every dataset route, training.

use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::app::{Client, Meta, TestApp, spawn_app};
use super::logs::captured_logs;

/// [`spawn_app`] with the server's log captured.
pub async fn app(meta: Meta) -> TestApp {
    captured_logs();
    spawn_app(meta).await
}

pub const PASSWORD: &str = "train-Knowledge-42";

pub async fn signup(c: &Client, name: &str) -> Value {
    let (s, b) = c
        .post(
            "/api/auth/signup",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "signup {name}: {b}");
    b
}

pub async fn login(c: &Client, name: &str) -> Value {
    let (s, b) = c
        .post(
            "/api/auth/login",
            json!({"username": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "login {name}: {b}");
    b
}

/// An error answer: `want` and a body that is exactly `{"detail": "<non-empty>"}`.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), want: StatusCode, what: &str) -> String {
    let (s, b) = got;
    assert_eq!(*s, want, "{what}: {b}");
    assert_detail(b, what)
}

#[track_caller]
pub fn assert_detail(b: &Value, what: &str) -> String {
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
pub fn assert_ts(v: &Value, what: &str) {
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
pub fn assert_keys(v: &Value, keys: &[&str], what: &str) {
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
pub fn assert_int_id(v: &Value, what: &str) -> i64 {
    assert!(
        v.is_i64() || v.is_u64(),
        "{what}: id is not an integer: {v}"
    );
    v.as_i64().unwrap()
}

pub fn rate(p: &Value) -> f64 {
    p["process_rate"].as_f64().expect("process_rate")
}

pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn raw(
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
pub fn session_cookie(headers: &HeaderMap) -> (String, String) {
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
pub fn dataset_routes(id: &str, doc_id: &str) -> Vec<(Method, String, Option<Value>)> {
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

pub async fn start(c: &Client, id: i64, body: Value) -> i64 {
    let (s, b) = c.post(&format!("/api/datasets/{id}/training"), body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "start: {b}");
    assert_keys(&b, &["status", "run_id"], "start");
    assert_eq!(b["status"], "queued");
    assert_int_id(&b["run_id"], "run_id")
}

pub async fn train(c: &Client, id: i64, tables: &[&str]) -> Value {
    start(c, id, json!({"table_names": tables})).await;
    let p = c
        .wait_progress(id, "completed", |p| {
            p["status"] == "completed" || p["status"] == "failed"
        })
        .await;
    assert_eq!(p["status"], "completed", "{p}");
    p
}

pub async fn progress(c: &Client, id: i64) -> Value {
    let (s, b) = c
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

pub async fn runs(c: &Client, id: i64) -> Vec<Value> {
    let (s, b) = c.get(&format!("/api/datasets/{id}/training/runs")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b.as_array().expect("runs array").clone()
}

pub async fn get_dataset(c: &Client, id: i64) -> Value {
    let (s, b) = c.get(&format!("/api/datasets/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}
