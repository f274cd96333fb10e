//! A small OpenAI-compatible embeddings server for tests: deterministic
//! "concept" vectors, so that a question and an item that share no word but
//! name the same concept (musician / artist) are near each other, as a real
//! model would place them. It can be switched to answer HTTP 500, and it keeps
//! the `Authorization` headers it saw.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use datatrain::server::embeddings::EmbeddingsConfig;
use serde_json::{Value, json};

/// Word groups that share a dimension; every other word is left out.
const CONCEPTS: &[&[&str]] = &[
    &["artist", "musician", "singer", "band", "performer"],
    &["album", "record"],
    &["track", "song", "tune"],
    &["customer", "client", "buyer", "shopper"],
    &["employee", "staff", "worker"],
    &["invoice", "bill", "receipt"],
    &["genre", "style"],
    &["playlist", "mix"],
];

#[derive(Default)]
pub struct Shared {
    pub failing: AtomicBool,
    pub requests: AtomicUsize,
    pub authorizations: Mutex<Vec<String>>,
}

pub struct FakeEmbeddings {
    pub url: String,
    pub shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeEmbeddings {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The concept vector of a text: a count per concept of the words in it
/// (lower-cased, split on anything but letters, a plural `s` dropped).
pub fn concept_vector(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; CONCEPTS.len()];
    for word in text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
    {
        let w = word.to_ascii_lowercase();
        let w = w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(&w);
        if let Some(i) = CONCEPTS.iter().position(|group| group.contains(&w)) {
            v[i] += 1.0;
        }
    }
    v
}

async fn embeddings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        shared.authorizations.lock().unwrap().push(a.to_string());
    }
    if shared.failing.load(Ordering::SeqCst) {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let inputs = body["input"].as_array().ok_or(StatusCode::BAD_REQUEST)?;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": concept_vector(t.as_str().unwrap_or(""))}))
        .collect();
    Ok(Json(
        json!({"object": "list", "data": data, "model": body["model"]}),
    ))
}

impl FakeEmbeddings {
    pub async fn start() -> FakeEmbeddings {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeEmbeddings {
            url,
            shared,
            server,
        }
    }

    pub fn config(&self) -> EmbeddingsConfig {
        EmbeddingsConfig {
            url: self.url.clone(),
            model: "concepts-v1".into(),
            key: Some("sk-test-secret-key".into()),
        }
    }

    pub fn fail(&self, failing: bool) {
        self.shared.failing.store(failing, Ordering::SeqCst);
    }
}
