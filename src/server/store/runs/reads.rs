//! Reads of runs: one run, a dataset's open run and history, and the progress
//! endpoint's single query.

use super::{OPEN, ProgressRow, RUN_COLUMNS, RunLength, RunRow};
use crate::server::store::{Store, StoreError};

impl Store {
    pub async fn run(&self, run_id: i64) -> Result<Option<RunRow>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM training_runs WHERE id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn open_run(&self, dataset_id: i64) -> Result<Option<RunRow>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM training_runs WHERE dataset_id = $1 AND status IN {OPEN}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Newest first.
    pub async fn runs_of(&self, dataset_id: i64, limit: i64) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM training_runs WHERE dataset_id = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The embeddings model of a run's vectors, if it stored any.
    pub async fn run_embedding_model(&self, run_id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT embedding_model FROM training_runs WHERE id = $1")
                .bind(run_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// The dataset's progress with its open run and queue position, in one read.
    pub async fn progress(
        &self,
        dataset_id: i64,
        owner_id: i64,
    ) -> Result<Option<ProgressRow>, StoreError> {
        let sql = format!(
            "SELECT d.status, d.process_rate, d.error_msg, d.last_train_at, \
             r.stage, r.claimed_at, r.stage_times, \
             (SELECT p.stage_times FROM training_runs p WHERE p.dataset_id = d.id AND p.status = 'completed' \
               ORDER BY p.id DESC LIMIT 1) AS previous_times, \
             CASE WHEN r.status = 'queued' THEN (SELECT COUNT(*) FROM training_runs q WHERE q.status = 'queued' \
               AND (q.queued_at < r.queued_at OR (q.queued_at = r.queued_at AND q.id < r.id))) END AS queue_ahead \
             FROM datasets d LEFT JOIN training_runs r ON r.dataset_id = d.id AND r.status IN {OPEN} \
             WHERE d.id = $1 AND d.owner_id = $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .bind(owner_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest `limit` completed runs of every dataset, for how long a run
    /// in the queue waits.
    pub async fn recent_run_lengths(&self, limit: i64) -> Result<Vec<RunLength>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT stage_times, started_at, finished_at FROM training_runs \
             WHERE status = 'completed' ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
