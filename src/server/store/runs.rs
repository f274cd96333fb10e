//! Training runs: every status write is one transaction whose first statement is
//! a conditional write (`… WHERE status = <expected>`), so a late or stale write
//! never lands, and SQLite takes its write lock before reading anything.
//! Worker writes also check `attempt`, the fencing token bumped by every claim.

use super::items::NewItem;
use super::logs::write_log;
use super::{Backend, Store, StoreError, now_ms, unique};
use crate::domain::progress::Cursor;
use crate::domain::status::{Event, RunStatus, Status, transition};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub dataset_id: i64,
    pub status: RunStatus,
    pub stage: i64,
    pub checkpoint: String,
    pub prev_status: Status,
    pub prev_process_rate: f64,
    pub prev_error: Option<String>,
    pub table_names: String,
    pub max_items_per_sec: Option<f64>,
    pub process_rate: f64,
    pub attempt: i64,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub claimed_at: Option<i64>,
    pub claimed_rate: f64,
    pub finished_at: Option<i64>,
    pub heartbeat_at: Option<i64>,
    pub item_count: Option<i64>,
    pub error: Option<String>,
    /// The instance that claimed the run last (None before its first claim).
    pub instance: Option<String>,
}

impl RunRow {
    pub fn cursor(&self) -> Cursor {
        serde_json::from_str(&self.checkpoint).unwrap_or_default()
    }

    pub fn table_list(&self) -> Vec<String> {
        serde_json::from_str(&self.table_names).unwrap_or_default()
    }
}

/// What the progress endpoint needs, in one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgressRow {
    pub status: Status,
    pub process_rate: f64,
    pub error_msg: Option<String>,
    pub last_train_at: Option<i64>,
    pub run_id: Option<i64>,
    pub run_status: Option<RunStatus>,
    pub stage: Option<i64>,
    pub queued_at: Option<i64>,
    pub claimed_at: Option<i64>,
    pub claimed_rate: Option<f64>,
    pub queue_ahead: Option<i64>,
}

/// What a worker's checkpoint write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushOutcome {
    /// Still training: go on.
    Continue,
    /// Paused meanwhile (maybe by another process): the write landed, stop now.
    Paused,
    /// Cancelled, failed, or claimed again by another worker: nothing was written, stop now.
    Gone,
}

const RUN_COLUMNS: &str = "id, dataset_id, status, stage, checkpoint, prev_status, prev_process_rate, prev_error, \
     table_names, max_items_per_sec, process_rate, attempt, queued_at, started_at, claimed_at, claimed_rate, \
     finished_at, heartbeat_at, item_count, error, instance";

/// Open runs are the ones the partial unique index allows once per dataset.
const OPEN: &str = "('queued', 'training', 'paused')";

pub struct StartRun<'a> {
    pub dataset_id: i64,
    /// The dataset as it was read when the start was decided.
    pub from: Status,
    pub from_process_rate: f64,
    pub from_error: Option<&'a str>,
    pub table_names_json: &'a str,
    pub max_items_per_sec: Option<f64>,
    /// Queued or training runs the dataset's owner may have at once.
    pub max_active_per_user: i64,
}

impl Store {
    /// Queues a new run. `Ok(None)`: the dataset changed since it was read (retry);
    /// `Err(StoreError::Unique)`: a run is already open.
    pub async fn start_run(&self, start: StartRun<'_>) -> Result<Option<i64>, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE datasets SET status = 'queued', process_rate = 0.0, error_msg = NULL, table_names = $2, \
             updated_at = $3 WHERE id = $1 AND status = $4",
        )
        .bind(start.dataset_id)
        .bind(start.table_names_json)
        .bind(now)
        .bind(start.from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        self.check_active_limit(&mut tx, start.dataset_id, start.max_active_per_user)
            .await?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO training_runs (dataset_id, status, stage, checkpoint, prev_status, prev_process_rate, \
             prev_error, table_names, max_items_per_sec, process_rate, queued_at) \
             VALUES ($1, 'queued', 1, $2, $3, $4, $5, $6, $7, 0.0, $8) RETURNING id",
        )
        .bind(start.dataset_id)
        .bind(serde_json::to_string(&Cursor::default()).unwrap_or_default())
        .bind(start.from.as_str())
        .bind(start.from_process_rate)
        .bind(start.from_error)
        .bind(start.table_names_json)
        // Never bind an `Option<f64>` None: sqlx's Any driver declares it as FLOAT4 on
        // PostgreSQL and the cached statement then rejects a real f64 later. 0 = no limit.
        .bind(start.max_items_per_sec.unwrap_or(0.0))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique)?;
        write_log(
            &mut tx,
            start.dataset_id,
            Some(run_id),
            "info",
            "Training queued",
        )
        .await?;
        tx.commit().await?;
        Ok(Some(run_id))
    }

    /// Refuses ([`StoreError::Limit`]) when the owner of `dataset_id` already has
    /// `max` queued or training runs on other datasets. Called inside the
    /// transaction that queues a run, after its first write (on PostgreSQL the
    /// owner's row is locked, so two simultaneous starts cannot both pass).
    async fn check_active_limit(
        &self,
        conn: &mut sqlx::AnyConnection,
        dataset_id: i64,
        max: i64,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query(
                "SELECT id FROM users WHERE id = (SELECT owner_id FROM datasets WHERE id = $1) FOR UPDATE",
            )
            .bind(dataset_id)
            .fetch_optional(&mut *conn)
            .await?;
        }
        let active: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM training_runs r JOIN datasets d ON d.id = r.dataset_id \
             WHERE r.status IN ('queued', 'training') AND r.dataset_id <> $1 \
             AND d.owner_id = (SELECT owner_id FROM datasets WHERE id = $1)",
        )
        .bind(dataset_id)
        .fetch_one(&mut *conn)
        .await?;
        if active >= max {
            return Err(StoreError::Limit);
        }
        Ok(())
    }

    /// Claims a queued run for a worker (queued → training) and bumps its attempt.
    /// Users take turns: the run of the user with the fewest runs training, then
    /// of the user served least recently, then the oldest, so one user's queue
    /// never holds back another user's run.
    ///
    /// The candidate is read first, then its dataset row is locked and the run
    /// claimed with a conditional write; when another worker (or a pause) took
    /// it meanwhile, the next candidate is tried.
    pub async fn claim_next_run(&self, instance: &str) -> Result<Option<RunRow>, StoreError> {
        // On PostgreSQL the candidate's dataset row is locked as it is picked, and
        // rows other workers hold are skipped (`SKIP LOCKED`): claims on several
        // instances spread over the queue instead of racing for its head. The
        // dataset row is the lock every status write takes first, so the order of
        // locks stays the same as for user requests.
        let pick = format!(
            "SELECT r.id, r.dataset_id FROM training_runs r JOIN datasets d ON d.id = r.dataset_id \
             WHERE r.status = 'queued' ORDER BY \
             (SELECT COUNT(*) FROM training_runs r2 JOIN datasets d2 ON d2.id = r2.dataset_id \
              WHERE r2.status = 'training' AND d2.owner_id = d.owner_id), \
             (SELECT COALESCE(MAX(r3.claimed_at), 0) FROM training_runs r3 JOIN datasets d3 ON d3.id = r3.dataset_id \
              WHERE d3.owner_id = d.owner_id), \
             r.queued_at, r.id LIMIT 1{}",
            if self.backend == Backend::Postgres {
                " FOR UPDATE OF d SKIP LOCKED"
            } else {
                ""
            }
        );
        let claim = format!(
            "UPDATE training_runs SET status = $3, attempt = attempt + 1, claimed_at = $1, \
             claimed_rate = process_rate, started_at = COALESCE(started_at, $1), heartbeat_at = {}, instance = $4 \
             WHERE id = $2 AND status = $5",
            self.db_now()
        );
        let to = transition(Status::Queued, Event::Claim)
            .map_err(|r| StoreError::Refused(r.message()))?;
        for _ in 0..8 {
            let now = now_ms();
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Sqlite {
                // The first statement writes, so SQLite takes its write lock before reading.
                sqlx::query("UPDATE training_runs SET status = status WHERE 0 = 1")
                    .execute(&mut *tx)
                    .await?;
            }
            let candidate: Option<(i64, i64)> =
                sqlx::query_as(&pick).fetch_optional(&mut *tx).await?;
            let Some((run_id, dataset_id)) = candidate else {
                return Ok(None);
            };
            let claimed = sqlx::query(&claim)
                .bind(now)
                .bind(run_id)
                .bind(to.as_str())
                .bind(instance)
                .bind(Status::Queued.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if claimed == 0 {
                continue;
            }
            sqlx::query(
                "UPDATE datasets SET status = $3, updated_at = $2 WHERE id = $1 AND status = $4",
            )
            .bind(dataset_id)
            .bind(now)
            .bind(to.as_str())
            .bind(Status::Queued.as_str())
            .execute(&mut *tx)
            .await?;
            let sql = format!("SELECT {RUN_COLUMNS} FROM training_runs WHERE id = $1");
            let run: RunRow = sqlx::query_as(&sql)
                .bind(run_id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Some(run));
        }
        Ok(None)
    }

    /// The database's clock in milliseconds since the epoch, as SQL: leases and
    /// heartbeats are compared on one clock, whatever the instances' clocks say.
    fn db_now(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
        }
    }

    /// Worker transactions start here: on PostgreSQL the dataset row is locked
    /// first, in the order user requests (pause, resume, cancel, delete) take
    /// their locks (they write `datasets` before `training_runs`), so the two
    /// sides can never wait on each other in a cycle (a deadlock, which
    /// PostgreSQL breaks by failing one of them). SQLite serializes writers:
    /// nothing to do, and the transaction's first statement stays a write.
    async fn lock_dataset(
        &self,
        conn: &mut sqlx::AnyConnection,
        dataset_id: i64,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM datasets WHERE id = $1 FOR UPDATE")
                .bind(dataset_id)
                .fetch_optional(conn)
                .await?;
        }
        Ok(())
    }

    /// A user's status change of the open run: pause (→ paused) or resume (→ queued).
    /// `Ok(None)` when the dataset was not in `from` any more (retry).
    pub async fn set_open_run_status(
        &self,
        dataset_id: i64,
        from: Status,
        to: Status,
        log: &str,
        max_active_per_user: i64,
    ) -> Result<Option<i64>, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE datasets SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4",
        )
        .bind(dataset_id)
        .bind(to.as_str())
        .bind(now)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        let requeue = to == Status::Queued;
        if requeue {
            self.check_active_limit(&mut tx, dataset_id, max_active_per_user)
                .await?;
        }
        let sql = format!(
            "UPDATE training_runs SET status = $2, queued_at = CASE WHEN $3 = 1 THEN $4 ELSE queued_at END \
             WHERE dataset_id = $1 AND status IN {OPEN} RETURNING id"
        );
        let run_id: Option<i64> = sqlx::query_scalar(&sql)
            .bind(dataset_id)
            .bind(to.as_str())
            .bind(i64::from(requeue))
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        write_log(&mut tx, dataset_id, run_id, "info", log).await?;
        tx.commit().await?;
        Ok(Some(run_id.unwrap_or(0)))
    }

    /// Cancels the open run: the dataset returns to `restore`, the run's partial
    /// collection version is deleted. `Ok(false)` when the dataset was not in `from` any more.
    pub async fn cancel_open_run(
        &self,
        dataset_id: i64,
        from: Status,
        run: &RunRow,
        restore: Status,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE datasets SET status = $2, process_rate = $3, error_msg = $4, updated_at = $5 \
             WHERE id = $1 AND status = $6",
        )
        .bind(dataset_id)
        .bind(restore.as_str())
        .bind(run.prev_process_rate)
        .bind(run.prev_error.as_deref())
        .bind(now)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        let sql = format!(
            "UPDATE training_runs SET status = 'cancelled', finished_at = $2, item_count = 0 \
             WHERE id = $1 AND status IN {OPEN}"
        );
        sqlx::query(&sql)
            .bind(run.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.delete_version(&mut tx, run.id).await?;
        write_log(
            &mut tx,
            dataset_id,
            Some(run.id),
            "warning",
            "Training cancelled; the run's partial data was discarded",
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes every collection version (the seed's delete_collection) and sets the
    /// dataset to pending. A paused run is cancelled in the same transaction.
    /// `Ok(false)` when the dataset was not in `from` any more.
    pub async fn delete_training_data(
        &self,
        dataset_id: i64,
        from: Status,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE datasets SET status = 'pending', process_rate = 0.0, error_msg = NULL, live_version = NULL, \
             last_train_at = NULL, updated_at = $2 WHERE id = $1 AND status = $3",
        )
        .bind(dataset_id)
        .bind(now)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE training_runs SET status = 'cancelled', finished_at = $2 WHERE dataset_id = $1 AND status = 'paused'",
        )
        .bind(dataset_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.delete_fts_of_dataset(&mut tx, dataset_id).await?;
        sqlx::query("DELETE FROM items WHERE dataset_id = $1")
            .bind(dataset_id)
            .execute(&mut *tx)
            .await?;
        write_log(
            &mut tx,
            dataset_id,
            None,
            "warning",
            "Training data deleted",
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A worker's checkpoint: cursor, progress and a batch of items, in one transaction,
    /// only while the run is still this worker's and training (or just paused).
    #[allow(clippy::too_many_arguments)]
    pub async fn flush_run(
        &self,
        run: &RunRow,
        cursor: Cursor,
        process_rate: f64,
        items: &[NewItem],
        logs: &[(&str, String)],
    ) -> Result<FlushOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        self.lock_dataset(&mut tx, run.dataset_id).await?;
        let sql = format!(
            "UPDATE training_runs SET checkpoint = $3, stage = $4, process_rate = $5, heartbeat_at = {} \
             WHERE id = $1 AND attempt = $2 AND status IN ('training', 'paused') RETURNING status",
            self.db_now()
        );
        let status: Option<String> = sqlx::query_scalar(&sql)
            .bind(run.id)
            .bind(run.attempt)
            .bind(serde_json::to_string(&cursor).unwrap_or_default())
            .bind(i64::from(cursor.stage))
            .bind(process_rate)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(status) = status else {
            return Ok(FlushOutcome::Gone);
        };
        // Once paused, the progress users see stays where it was when the pause was
        // answered; the run's own checkpoint (above) still records the items done.
        if status == "training" {
            sqlx::query(
                "UPDATE datasets SET process_rate = $2 WHERE id = $1 AND status = 'training'",
            )
            .bind(run.dataset_id)
            .bind(process_rate)
            .execute(&mut *tx)
            .await?;
        }
        if !items.is_empty() {
            self.insert_items(&mut tx, run.dataset_id, run.id, items)
                .await?;
        }
        for (level, line) in logs {
            write_log(&mut tx, run.dataset_id, Some(run.id), level, line).await?;
        }
        tx.commit().await?;
        Ok(if status == "paused" {
            FlushOutcome::Paused
        } else {
            FlushOutcome::Continue
        })
    }

    /// The run's last stage ended: the dataset switches to its version in one
    /// transaction and older versions are deleted. `Ok(false)` if the run was not
    /// this worker's training run any more.
    pub async fn finish_run(&self, run: &RunRow, log: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        self.lock_dataset(&mut tx, run.dataset_id).await?;
        let done = sqlx::query(
            "UPDATE training_runs SET status = 'completed', finished_at = $3, process_rate = 100.0, \
             checkpoint = $4, stage = 4, item_count = (SELECT COUNT(*) FROM items WHERE version = $1) \
             WHERE id = $1 AND attempt = $2 AND status = 'training'",
        )
        .bind(run.id)
        .bind(run.attempt)
        .bind(now)
        .bind(serde_json::to_string(&Cursor { stage: 4, next: usize::MAX >> 12 }).unwrap_or_default())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE datasets SET status = 'completed', process_rate = 100.0, live_version = $2, last_train_at = $3, \
             error_msg = NULL, updated_at = $3 WHERE id = $1 AND status = 'training'",
        )
        .bind(run.dataset_id)
        .bind(run.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.delete_versions_except(&mut tx, run.dataset_id, run.id)
            .await?;
        write_log(&mut tx, run.dataset_id, Some(run.id), "info", log).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The run hit an error: failed, partial version deleted, the live version kept.
    pub async fn fail_run(&self, run: &RunRow, error: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        self.lock_dataset(&mut tx, run.dataset_id).await?;
        let done = sqlx::query(
            "UPDATE training_runs SET status = 'failed', finished_at = $3, error = $4, item_count = 0 \
             WHERE id = $1 AND attempt = $2 AND status = 'training'",
        )
        .bind(run.id)
        .bind(run.attempt)
        .bind(now)
        .bind(error)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE datasets SET status = 'failed', error_msg = $2, updated_at = $3 WHERE id = $1 AND status = 'training'",
        )
        .bind(run.dataset_id)
        .bind(error)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.delete_version(&mut tx, run.id).await?;
        write_log(
            &mut tx,
            run.dataset_id,
            Some(run.id),
            "error",
            &format!("Training failed: {error}"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records which embeddings model the run's vectors come from (`None`: no
    /// vectors). Fenced like every worker write.
    pub async fn set_run_embedding_model(
        &self,
        run: &RunRow,
        model: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE training_runs SET embedding_model = $3 WHERE id = $1 AND attempt = $2")
            .bind(run.id)
            .bind(run.attempt)
            .bind(model)
            .execute(&self.pool)
            .await?;
        Ok(())
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

    /// A worker hands its run back to the queue (graceful shutdown).
    pub async fn requeue_run(&self, run: &RunRow, log: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        self.lock_dataset(&mut tx, run.dataset_id).await?;
        let done = sqlx::query(
            "UPDATE training_runs SET status = 'queued' WHERE id = $1 AND attempt = $2 AND status = 'training'",
        )
        .bind(run.id)
        .bind(run.attempt)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE datasets SET status = 'queued' WHERE id = $1 AND status = 'training'")
            .bind(run.dataset_id)
            .execute(&mut *tx)
            .await?;
        write_log(&mut tx, run.dataset_id, Some(run.id), "warning", log).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Re-queues training runs whose lease ran out: no heartbeat for `lease_ms`
    /// on the database's clock (their process died or lost the database).
    /// One transaction per run, taking its locks in the workers' order.
    pub async fn recover_stale_runs(&self, lease_ms: i64) -> Result<Vec<i64>, StoreError> {
        let expired = format!(
            "(heartbeat_at IS NULL OR heartbeat_at < {} - $1)",
            self.db_now()
        );
        let stale: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, dataset_id FROM training_runs WHERE status = 'training' AND {expired} ORDER BY id"
        ))
        .bind(lease_ms)
        .fetch_all(&self.pool)
        .await?;
        let to = transition(Status::Training, Event::Requeue)
            .map_err(|r| StoreError::Refused(r.message()))?;
        let mut ids = Vec::with_capacity(stale.len());
        for (run_id, dataset_id) in stale {
            let mut tx = self.pool.begin().await?;
            self.lock_dataset(&mut tx, dataset_id).await?;
            let requeued = sqlx::query(&format!(
                "UPDATE training_runs SET status = $3 WHERE id = $2 AND status = $4 AND {expired}"
            ))
            .bind(lease_ms)
            .bind(run_id)
            .bind(to.as_str())
            .bind(Status::Training.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if requeued == 0 {
                continue;
            }
            sqlx::query("UPDATE datasets SET status = $2 WHERE id = $1 AND status = $3")
                .bind(dataset_id)
                .bind(to.as_str())
                .bind(Status::Training.as_str())
                .execute(&mut *tx)
                .await?;
            write_log(
                &mut tx,
                dataset_id,
                Some(run_id),
                "warning",
                "Recovered: the worker stopped answering; the run is queued again and resumes from its checkpoint",
            )
            .await?;
            tx.commit().await?;
            ids.push(run_id);
        }
        Ok(ids)
    }

    /// The worker's heartbeat; `false` when the run is no longer this worker's training run.
    pub async fn heartbeat(&self, run: &RunRow) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE training_runs SET heartbeat_at = {} WHERE id = $1 AND attempt = $2 AND status = 'training'",
            self.db_now()
        );
        let n = sqlx::query(&sql)
            .bind(run.id)
            .bind(run.attempt)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

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

    /// The dataset's progress with its open run and queue position, in one read.
    pub async fn progress(
        &self,
        dataset_id: i64,
        owner_id: i64,
    ) -> Result<Option<ProgressRow>, StoreError> {
        let sql = format!(
            "SELECT d.status, d.process_rate, d.error_msg, d.last_train_at, r.id AS run_id, r.status AS run_status, \
             r.stage, r.queued_at, r.claimed_at, r.claimed_rate, \
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
}
