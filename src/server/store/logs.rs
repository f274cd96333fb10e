//! Training logs: the lines a run writes as it goes, each as a code with its
//! parameters next to its English text.

use sqlx::AnyConnection;

use super::{Store, StoreError, now_ms};
use crate::domain::i18n::Lang;
use crate::domain::log::LogEvent;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub id: i64,
    pub run_id: Option<i64>,
    pub level: String,
    /// The English text.
    pub content: String,
    /// `None` for lines stored before codes existed.
    pub code: Option<String>,
    /// The code's parameters as JSON.
    pub params: Option<String>,
    pub created_at: i64,
}

impl Store {
    /// Newest first.
    pub async fn recent_logs(
        &self,
        dataset_id: i64,
        limit: i64,
    ) -> Result<Vec<LogRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, run_id, level, content, code, params, created_at FROM training_logs \
             WHERE dataset_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(dataset_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn append_log(
        &self,
        dataset_id: i64,
        run_id: Option<i64>,
        event: &LogEvent,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        write_log(&mut conn, dataset_id, run_id, event).await
    }
}

/// Writes one log line on a connection or inside a transaction: its level,
/// English text, code and parameters.
pub(crate) async fn write_log(
    conn: &mut AnyConnection,
    dataset_id: i64,
    run_id: Option<i64>,
    event: &LogEvent,
) -> Result<(), StoreError> {
    let (code, params) = event.parts();
    sqlx::query(
        "INSERT INTO training_logs (dataset_id, run_id, level, content, code, params, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(dataset_id)
    .bind(run_id)
    .bind(event.level())
    .bind(event.text(Lang::En))
    .bind(code)
    .bind(params.to_string())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}
