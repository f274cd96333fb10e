//! Webhook deliveries: an outbox written with the terminal change it reports,
//! claimed by any instance (a claim leases the row for a minute, so a crashed
//! deliverer's row is tried again), retried with backoff.

use sqlx::AnyConnection;

use super::{Backend, Store, StoreError, now_ms};
use crate::domain::dto::format_ms;
use crate::domain::status::RunStatus;

/// How long a claimed delivery is held before another instance may try it.
const LEASE_MS: i64 = 60_000;

/// A delivery to attempt now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: i64,
    pub dataset_id: i64,
    pub body: String,
    /// This attempt's number (1 = the first).
    pub attempts: i64,
    pub webhook_url: Option<String>,
    /// Encrypted.
    pub webhook_secret: Option<String>,
}

/// What an attempt came to.
pub enum Attempt<'a> {
    Delivered(i64),
    /// Try again at this time (ms).
    Retry {
        code: Option<i64>,
        error: &'a str,
        at: i64,
    },
    Failed {
        code: Option<i64>,
        error: &'a str,
    },
}

/// The run statuses a webhook hears of.
pub fn reported(status: RunStatus) -> bool {
    matches!(
        status,
        RunStatus::Completed | RunStatus::Failed | RunStatus::Paused | RunStatus::Cancelled
    )
}

/// Queues the delivery of a terminal change, inside its transaction, when the
/// dataset has a webhook. The body is the dataset as the change left it.
pub(crate) async fn queue_delivery(
    conn: &mut AnyConnection,
    dataset_id: i64,
    run_id: i64,
    status: RunStatus,
) -> Result<(), StoreError> {
    let row: Option<(f64, Option<String>)> = sqlx::query_as(
        "SELECT process_rate, error_msg FROM datasets WHERE id = $1 AND webhook_url IS NOT NULL",
    )
    .bind(dataset_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((process_rate, error_msg)) = row else {
        return Ok(());
    };
    let now = now_ms();
    let body = serde_json::json!({
        "event": format!("training.{}", status.as_str()),
        "dataset_id": dataset_id,
        "run_id": run_id,
        "status": status.as_str(),
        "process_rate": process_rate,
        "error_msg": error_msg,
        "at": format_ms(now),
    });
    sqlx::query(
        "INSERT INTO webhook_deliveries (dataset_id, run_id, body, next_at, created_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(dataset_id)
    .bind(run_id)
    .bind(body.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Sets (or with `None` removes) the dataset's webhook; a new secret
    /// (encrypted) replaces the old one, `None` keeps it. Removing the URL
    /// removes the secret.
    pub async fn set_webhook(
        &self,
        dataset_id: i64,
        url: Option<&str>,
        new_secret: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE datasets SET webhook_url = $2, \
             webhook_secret = CASE WHEN CAST($2 AS TEXT) IS NULL THEN NULL ELSE COALESCE(CAST($3 AS TEXT), webhook_secret) END, \
             updated_at = $4 WHERE id = $1",
        )
        .bind(dataset_id)
        .bind(url)
        .bind(new_secret)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims the next due delivery (leased for a minute), if any.
    pub async fn claim_delivery(&self) -> Result<Option<DueDelivery>, StoreError> {
        let now = now_ms();
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = $2 \
             WHERE id = (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_at <= $1 \
             ORDER BY next_at, id LIMIT 1{lock}) AND state = 'pending' RETURNING id"
        );
        let Some(id): Option<i64> = sqlx::query_scalar(&sql)
            .bind(now)
            .bind(now + LEASE_MS)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        Ok(sqlx::query_as(
            "SELECT w.id, w.dataset_id, w.body, w.attempts, d.webhook_url, d.webhook_secret \
             FROM webhook_deliveries w JOIN datasets d ON d.id = w.dataset_id WHERE w.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn record_attempt(&self, id: i64, attempt: Attempt<'_>) -> Result<(), StoreError> {
        let (state, code, error, at) = match attempt {
            Attempt::Delivered(code) => ("delivered", Some(code), None, None),
            Attempt::Retry { code, error, at } => ("pending", code, Some(error), Some(at)),
            Attempt::Failed { code, error } => ("failed", code, Some(error), None),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $2, last_code = $3, last_error = $4, \
             next_at = COALESCE($5, next_at) WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(code)
        .bind(error)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The state of the run's latest delivery (`None`: nothing was sent for it).
    pub async fn webhook_state(&self, run_id: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT state FROM webhook_deliveries WHERE run_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}
