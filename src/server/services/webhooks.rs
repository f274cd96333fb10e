//! Webhooks: a dataset's `webhook_url` hears of every terminal change of its
//! runs (completed, failed, paused, cancelled).
//!
//! The change writes its delivery to an outbox in its own transaction
//! (`store::webhooks`); a deliverer on every instance claims due deliveries and
//! POSTs them, signed `X-Datatrain-Signature: sha256=<hex HMAC-SHA256 of the
//! body, keyed with the secret>`, retrying a failure up to 5 times with
//! exponential backoff. Hosts obey the source policy (checked after DNS, and
//! the connection is pinned to the checked address; no redirects).

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

use super::Services;
use crate::domain::dto::{DatasetView, PatchDataset};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::store::{Attempt, DueDelivery, now_ms};

/// Retries after the first attempt.
pub const RETRIES: i64 = 5;
/// How often the deliverer looks for due deliveries.
const POLL: Duration = Duration::from_millis(250);
/// One attempt's time limit.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const URL_MAX: usize = 2048;

/// The signature header's value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The wait before retry `n` (1-based): `base`, 2 × `base`, 4 × `base`, …
pub fn backoff(base: Duration, n: i64) -> Duration {
    base.saturating_mul(1u32 << (n.clamp(1, 16) - 1))
}

/// Checks a webhook URL: `http` or `https`, a host, no credentials, ≤ 2048 characters.
pub fn parse_webhook_url(raw: &str) -> Result<url::Url, AppError> {
    let raw = raw.trim();
    let bad = |why: &str| AppError::Unprocessable(format!("webhook_url {why}"));
    if raw.len() > URL_MAX {
        return Err(bad("is longer than 2048 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("needs a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    Ok(url)
}

/// What a patch did to the webhook: its URL now, and the secret when it was new.
pub(super) struct WebhookSet {
    pub url: Option<String>,
    pub secret: Option<String>,
}

impl WebhookSet {
    pub fn show(self, view: &mut DatasetView) {
        view.webhook_url = self.url;
        view.webhook_secret = self.secret;
    }
}

fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut bytes[..]);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

impl Services {
    /// Applies a patch's `webhook_url` (present: set, or remove with `null`).
    /// The answer that first sets it carries the new secret, once.
    pub(super) async fn patch_webhook(
        &self,
        user: &CurrentUser,
        id: i64,
        req: &PatchDataset,
    ) -> Result<Option<WebhookSet>, AppError> {
        let Some(wanted) = &req.webhook_url else {
            return Ok(None);
        };
        let row = self.owned(user, id).await?;
        let url = match wanted.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => {
                let url = parse_webhook_url(raw)?;
                let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
                let port = url.port_or_known_default().unwrap_or(443);
                self.inner
                    .source_policy
                    .check_host(host, port, false)
                    .await
                    .map_err(|e| AppError::Unprocessable(format!("webhook_url: {e}")))?;
                Some(url.to_string())
            }
        };
        let secret = match (&url, &row.webhook_url) {
            (Some(_), None) => Some(new_secret()),
            _ => None,
        };
        let stored = secret.as_deref().map(|s| self.inner.secrets.encrypt(s));
        if !self
            .inner
            .store
            .set_webhook(id, url.as_deref(), stored.as_deref())
            .await?
        {
            return Err(AppError::not_found());
        }
        Ok(Some(WebhookSet { url, secret }))
    }

    /// Runs this instance's deliverer until `stop`.
    pub fn start_webhooks(&self, backoff_base: Duration, stop: CancellationToken) {
        let services = self.clone();
        tokio::spawn(async move {
            loop {
                loop {
                    match services.inner.store.claim_delivery().await {
                        Ok(Some(d)) => services.deliver(d, backoff_base).await,
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot claim a webhook delivery");
                            break;
                        }
                    }
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        });
    }

    async fn deliver(&self, d: DueDelivery, backoff_base: Duration) {
        let outcome = self.attempt(&d).await;
        let attempt = match &outcome {
            Ok(code) => Attempt::Delivered(*code),
            Err((code, error)) if d.attempts <= RETRIES && d.webhook_url.is_some() => {
                Attempt::Retry {
                    code: *code,
                    error,
                    at: now_ms() + backoff(backoff_base, d.attempts).as_millis() as i64,
                }
            }
            Err((code, error)) => Attempt::Failed { code: *code, error },
        };
        match &outcome {
            Ok(code) => tracing::info!(
                dataset = d.dataset_id,
                delivery = d.id,
                code,
                "webhook delivered"
            ),
            Err((code, error)) => tracing::warn!(
                dataset = d.dataset_id,
                delivery = d.id,
                attempt = d.attempts,
                ?code,
                error,
                "webhook delivery failed"
            ),
        }
        if let Err(e) = self.inner.store.record_attempt(d.id, attempt).await {
            tracing::warn!(error = %e, "cannot record a webhook attempt");
        }
    }

    /// One POST: the status code of a 2xx answer, or the code and reason of a failure.
    async fn attempt(&self, d: &DueDelivery) -> Result<i64, (Option<i64>, String)> {
        let (Some(raw), Some(stored)) = (&d.webhook_url, &d.webhook_secret) else {
            return Err((None, "the webhook was removed".into()));
        };
        let secret = self
            .inner
            .secrets
            .decrypt(stored)
            .map_err(|_| (None, "the webhook secret cannot be read".to_string()))?;
        let url = parse_webhook_url(raw).map_err(|e| (None, e.to_string()))?;
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let addr = self
            .inner
            .source_policy
            .check_host(&host, port, true)
            .await
            .map_err(|e| (None, e.to_string()))?
            .ok_or((None, "the host does not resolve".to_string()))?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .resolve(&host, std::net::SocketAddr::new(addr, port))
            .build()
            .map_err(|e| (None, e.to_string()))?;
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("datatrain/", env!("CARGO_PKG_VERSION")),
            )
            .header(
                "x-datatrain-signature",
                signature(&secret, d.body.as_bytes()),
            )
            .header("x-datatrain-delivery", d.id.to_string())
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| {
                (
                    None,
                    format!("cannot reach the webhook: {}", e.without_url()),
                )
            })?;
        let code = i64::from(sent.status().as_u16());
        if sent.status().is_success() {
            Ok(code)
        } else {
            Err((Some(code), format!("the webhook answered HTTP {code}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles() {
        let base = Duration::from_secs(1);
        let waits: Vec<u64> = (1..=5).map(|n| backoff(base, n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16]);
    }

    #[test]
    fn webhook_urls_are_checked() {
        assert!(parse_webhook_url("https://hooks.example.com/datatrain?x=1").is_ok());
        for bad in [
            "ftp://x/y",
            "not a url",
            "http://user:pw@h/",
            "file:///etc/passwd",
        ] {
            assert!(parse_webhook_url(bad).is_err(), "{bad}");
        }
    }
}
