//! Optional dense retrieval: item and question vectors from an OpenAI-compatible
//! embeddings endpoint (`POST {DATATRAIN_EMBEDDINGS_URL}/embeddings`).
//!
//! Off unless `DATATRAIN_EMBEDDINGS_URL` is set. When on, training embeds every
//! item it stores (in the checkpoint's batch, so items and vectors are written
//! in one transaction) and search fuses the nearest items with the full-text
//! hits (reciprocal rank fusion, [`crate::server::search::rank::fuse`]).
//! The key is sent as a bearer token and never logged or shown.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Inputs per request (OpenAI accepts up to 2048; local servers like smaller batches).
const BATCH: usize = 64;
/// Attempts per batch when the endpoint cannot be reached, answers 429 or 5xx.
const ATTEMPTS: u32 = 3;
/// How long a training batch and a search question may take.
const BATCH_TIMEOUT: Duration = Duration::from_secs(120);
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Characters of an item's text that are embedded (models truncate anyway).
const MAX_CHARS: usize = 4000;

pub const DEFAULT_MODEL: &str = "text-embedding-3-small";

#[derive(Clone, PartialEq)]
pub struct EmbeddingsConfig {
    /// `DATATRAIN_EMBEDDINGS_URL`: the API base (`…/v1`) or the full `…/embeddings` URL.
    pub url: String,
    /// `DATATRAIN_EMBEDDINGS_MODEL` (default [`DEFAULT_MODEL`]).
    pub model: String,
    /// `DATATRAIN_EMBEDDINGS_KEY`: sent as `Authorization: Bearer …`.
    pub key: Option<String>,
}

impl fmt::Debug for EmbeddingsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddingsConfig")
            .field("url", &self.endpoint_for_logs())
            .field("model", &self.model)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .finish()
    }
}

impl EmbeddingsConfig {
    /// The URL requests go to: `/embeddings` added to the path unless it is
    /// there (a query such as `?api-version=…` is kept).
    pub fn endpoint(&self) -> String {
        let Ok(mut u) = url::Url::parse(self.url.trim()) else {
            return self.url.clone();
        };
        let path = u.path().trim_end_matches('/').to_string();
        if !path.ends_with("/embeddings") {
            u.set_path(&format!("{path}/embeddings"));
        }
        u.to_string()
    }

    /// The endpoint without user info or query (which could hold a secret).
    pub fn endpoint_for_logs(&self) -> String {
        match url::Url::parse(&self.endpoint()) {
            Ok(mut u) => {
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.set_query(None);
                u.to_string()
            }
            Err(_) => "(not a URL)".into(),
        }
    }
}

/// Why the endpoint gave no vectors. The texts say nothing secret: they end up
/// in a failed run's `error_msg`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    #[error("the embeddings endpoint cannot be reached")]
    Unreachable,
    #[error("the embeddings endpoint answered HTTP {0}")]
    Status(u16),
    #[error("the embeddings endpoint gave an unexpected answer: {0}")]
    BadAnswer(String),
}

/// A client of one embeddings endpoint and model.
#[derive(Clone, Debug)]
pub struct Embedder {
    config: Arc<EmbeddingsConfig>,
    client: reqwest::Client,
}

#[derive(serde::Deserialize)]
struct Answer {
    data: Vec<Datum>,
}

#[derive(serde::Deserialize)]
struct Datum {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

impl Embedder {
    pub fn new(config: EmbeddingsConfig) -> Embedder {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("a TLS-capable HTTP client");
        Embedder {
            config: Arc::new(config),
            client,
        }
    }

    pub fn model(&self) -> &str {
        &self.config.model
    }

    pub fn config(&self) -> &EmbeddingsConfig {
        &self.config
    }

    /// The unit-length vector of a search question: one attempt, at most
    /// [`QUERY_TIMEOUT`] (search falls back to full text rather than wait).
    pub async fn embed_query(&self, question: &str) -> Result<Vec<f32>, EmbedError> {
        let mut v = self
            .embed_batch(&[question.to_string()], 1, QUERY_TIMEOUT)
            .await?;
        Ok(v.pop().unwrap_or_default())
    }

    /// Unit-length vectors of `texts`, in order (training: retried, patient).
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            let vectors = self.embed_batch(batch, ATTEMPTS, BATCH_TIMEOUT).await?;
            if let (Some(first), Some(v)) = (out.first().map(Vec::len), vectors.first())
                && first != v.len()
            {
                return Err(EmbedError::BadAnswer("vectors of different lengths".into()));
            }
            out.extend(vectors);
        }
        Ok(out)
    }

    async fn embed_batch(
        &self,
        batch: &[String],
        attempts: u32,
        timeout: Duration,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let input: Vec<&str> = batch.iter().map(|t| clip(t, MAX_CHARS)).collect();
        let body = serde_json::json!({ "model": self.config.model, "input": input });
        let mut last = EmbedError::Unreachable;
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            let mut request = self
                .client
                .post(self.config.endpoint())
                .timeout(timeout)
                .json(&body);
            if let Some(key) = &self.config.key {
                request = request.bearer_auth(key);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(endpoint = %self.config.endpoint_for_logs(), error = %e.without_url(), "embeddings request failed");
                    last = EmbedError::Unreachable;
                    continue;
                }
            };
            let status = response.status();
            if status.as_u16() == 429 || status.is_server_error() {
                last = EmbedError::Status(status.as_u16());
                continue;
            }
            if !status.is_success() {
                return Err(EmbedError::Status(status.as_u16()));
            }
            let answer: Answer = response
                .json()
                .await
                .map_err(|_| EmbedError::BadAnswer("not the OpenAI embeddings JSON".into()))?;
            return order_and_normalize(answer, batch.len());
        }
        Err(last)
    }
}

fn order_and_normalize(answer: Answer, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    if answer.data.len() != expected {
        return Err(EmbedError::BadAnswer(format!(
            "{} vectors for {expected} texts",
            answer.data.len()
        )));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (i, d) in answer.data.into_iter().enumerate() {
        let at = d.index.unwrap_or(i);
        if at >= expected || slots[at].is_some() {
            return Err(EmbedError::BadAnswer("vector indexes do not match".into()));
        }
        slots[at] = Some(d.embedding);
    }
    let vectors: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    let dim = vectors.first().map_or(0, Vec::len);
    if dim == 0 || vectors.iter().any(|v| v.len() != dim) {
        return Err(EmbedError::BadAnswer("empty or uneven vectors".into()));
    }
    Ok(vectors.into_iter().map(normalized).collect())
}

/// At most `max` characters of `text`, cut on a character boundary.
fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// `v` scaled to unit length (a zero vector stays zero).
pub fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Little-endian f32s: how vectors are stored.
pub fn encode(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// The vectors of one collection version, one row per item, for brute-force search.
#[derive(Debug, Default)]
pub struct VectorIndex {
    pub dim: usize,
    pub ids: Vec<i64>,
    data: Vec<f32>,
}

impl VectorIndex {
    /// Rows whose vector has another length than the first are left out.
    pub fn build(rows: Vec<(i64, Vec<f32>)>) -> VectorIndex {
        let dim = rows.first().map_or(0, |(_, v)| v.len());
        let mut index = VectorIndex {
            dim,
            ids: Vec::with_capacity(rows.len()),
            data: Vec::with_capacity(rows.len() * dim),
        };
        for (id, v) in rows {
            if v.len() == dim {
                index.ids.push(id);
                index.data.extend(v);
            }
        }
        index
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Ids of the `k` rows nearest to `query` (dot product of unit vectors =
    /// cosine), best first, leaving out rows at a right angle or more (nothing
    /// in common); empty if the query has another length.
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<i64> {
        if query.len() != self.dim || self.dim == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(f32, usize)> = self
            .data
            .chunks_exact(self.dim)
            .enumerate()
            .map(|(i, row)| (row.iter().zip(query).map(|(a, b)| a * b).sum::<f32>(), i))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .filter(|(score, _)| *score > 0.0)
            .map(|(_, i)| self.ids[i])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let c = |url: &str| EmbeddingsConfig {
            url: url.into(),
            model: "m".into(),
            key: Some("sk-secret".into()),
        };
        assert_eq!(
            c("https://api.openai.com/v1").endpoint(),
            "https://api.openai.com/v1/embeddings"
        );
        assert_eq!(
            c("http://127.0.0.1:8088/v1/").endpoint(),
            "http://127.0.0.1:8088/v1/embeddings"
        );
        assert_eq!(
            c("http://h/v1/embeddings").endpoint(),
            "http://h/v1/embeddings"
        );
        assert_eq!(
            c("https://user:pw@h/v1?api-key=x").endpoint_for_logs(),
            "https://h/v1/embeddings"
        );
        assert_eq!(
            c("https://h/openai/deployments/d?api-version=2024-02-01").endpoint(),
            "https://h/openai/deployments/d/embeddings?api-version=2024-02-01"
        );
        let shown = format!("{:?}", c("https://user:pw@h/v1"));
        assert!(
            !shown.contains("sk-secret") && !shown.contains("pw"),
            "{shown}"
        );
    }

    #[test]
    fn vectors_round_trip_and_normalize() {
        let v = normalized(vec![3.0, 4.0]);
        assert_eq!(v, vec![0.6, 0.8]);
        assert_eq!(decode(&encode(&v)), Some(v));
        assert_eq!(decode(&[1, 2, 3]), None);
        assert_eq!(normalized(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn answers_are_put_in_order_and_checked() {
        let answer = |data: Vec<(Vec<f32>, Option<usize>)>| Answer {
            data: data
                .into_iter()
                .map(|(embedding, index)| Datum { embedding, index })
                .collect(),
        };
        let ok = order_and_normalize(
            answer(vec![(vec![0.0, 2.0], Some(1)), (vec![5.0, 0.0], Some(0))]),
            2,
        )
        .unwrap();
        assert_eq!(ok, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert!(order_and_normalize(answer(vec![(vec![1.0], None)]), 2).is_err());
        assert!(
            order_and_normalize(
                answer(vec![(vec![1.0], Some(0)), (vec![1.0, 2.0], Some(1))]),
                2
            )
            .is_err()
        );
        assert!(
            order_and_normalize(answer(vec![(vec![1.0], Some(0)), (vec![1.0], Some(0))]), 2)
                .is_err()
        );
    }

    #[test]
    fn nearest_rows_come_first() {
        let index = VectorIndex::build(vec![
            (10, normalized(vec![1.0, 0.0])),
            (11, normalized(vec![0.0, 1.0])),
            (12, normalized(vec![1.0, 1.0])),
            (13, vec![1.0, 0.0, 0.0]),
        ]);
        assert_eq!(index.len(), 3);
        assert_eq!(index.nearest(&normalized(vec![1.0, 0.2]), 2), vec![10, 12]);
        assert_eq!(index.nearest(&[0.0, 1.0], 10), vec![11, 12]);
        assert_eq!(index.nearest(&[-1.0, 0.0], 10), Vec::<i64>::new());
        assert!(index.nearest(&[1.0, 0.0, 0.0], 3).is_empty());
    }

    #[test]
    fn clipping_keeps_characters_whole() {
        assert_eq!(clip("歌手表", 2), "歌手");
        assert_eq!(clip("abc", 10), "abc");
    }
}
