//! Training logs: the lines a run writes as it goes, each as a code with its
//! parameters next to its English text.

use sqlx::AnyConnection;

use super::{Store, StoreError, now_ms};
use crate::domain::i18n::Lang;
use crate::domain::log::LogEvent;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub id: i64,
    pub dataset_id: i64,
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

const LOG_COLUMNS: &str = "id, dataset_id, run_id, level, content, code, params, created_at";

/// Whose log lines to read after a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogScope {
    Dataset(i64),
    /// Every dataset of this owner.
    Owner(i64),
}

impl LogScope {
    /// The SQL condition on `training_logs` and its one parameter (`$1`).
    fn filter(self) -> (&'static str, i64) {
        match self {
            LogScope::Dataset(d) => ("dataset_id = $1", d),
            LogScope::Owner(o) => (
                "dataset_id IN (SELECT id FROM datasets WHERE owner_id = $1)",
                o,
            ),
        }
    }
}

impl Store {
    /// The lines after `after_id` (oldest first), at most `limit`.
    pub async fn logs_after(
        &self,
        scope: LogScope,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<LogRow>, StoreError> {
        let (filter, key) = scope.filter();
        Ok(sqlx::query_as(&format!(
            "SELECT {LOG_COLUMNS} FROM training_logs WHERE {filter} AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(key)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The newest line's id in `scope` (0 when there is none).
    pub async fn last_log_id(&self, scope: LogScope) -> Result<i64, StoreError> {
        let (filter, key) = scope.filter();
        let id: Option<i64> =
            sqlx::query_scalar(&format!("SELECT MAX(id) FROM training_logs WHERE {filter}"))
                .bind(key)
                .fetch_one(&self.pool)
                .await?;
        Ok(id.unwrap_or(0))
    }

    /// Every dataset's newest log line id (datasets without lines are left out).
    pub async fn log_cursors(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT dataset_id, MAX(id) FROM training_logs GROUP BY dataset_id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Newest first.
    pub async fn recent_logs(
        &self,
        dataset_id: i64,
        limit: i64,
    ) -> Result<Vec<LogRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {LOG_COLUMNS} FROM training_logs WHERE dataset_id = $1 ORDER BY id DESC LIMIT $2"
        ))
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
        write_log(&mut conn, dataset_id, run_id, event).await?;
        drop(conn);
        self.changed(super::Changed::Dataset(dataset_id)).await;
        Ok(())
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
