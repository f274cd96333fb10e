//! Workers' steps: claim, checkpoint, heartbeat, finish, fail, hand back, and
//! the recovery of runs whose worker stopped answering. Every step after the
//! claim names the attempt it holds, so a worker that lost its run (another
//! instance took it over) can never write over the new holder.

use super::change::{Change, RunTarget, Value};
use super::{FlushOutcome, RUN_COLUMNS, RunRow, json};
use crate::domain::eta::RunTimes;
use crate::domain::log::LogEvent;
use crate::domain::progress::Cursor;
use crate::domain::status::{Event, RunStatus, Status};
use crate::server::store::items::NewItem;
use crate::server::store::logs::write_log;
use crate::server::store::{Backend, Store, StoreError, now_ms};

impl Store {
    /// Claims a queued run for a worker (queued → training) and bumps its attempt.
    /// Users take turns: the run of the user with the fewest runs training, then
    /// of the user served least recently, then the oldest, so one user's queue
    /// never holds back another user's run.
    ///
    /// The candidate is read first, then claimed with the guarded write; when
    /// another worker (or a pause) took it meanwhile, the next candidate is tried.
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
            let change = Change::new(dataset_id, Status::Queued, Event::Claim)
                .set("updated_at", Value::Int(now))
                .run(RunTarget::Id {
                    id: run_id,
                    attempt: None,
                })
                .set_run("attempt", Value::Sql("attempt + 1".into()))
                .set_run("claimed_at", Value::Int(now))
                .set_run("claimed_rate", Value::Sql("process_rate".into()))
                .set_run(
                    "started_at",
                    Value::Sql(format!("COALESCE(started_at, {now})")),
                )
                .set_run("heartbeat_at", Value::Sql(self.db_now().into()))
                .set_run("instance", Value::Text(Some(instance)));
            if self.apply(&mut tx, change).await?.is_none() {
                continue;
            }
            let sql = format!("SELECT {RUN_COLUMNS} FROM training_runs WHERE id = $1");
            let run: RunRow = sqlx::query_as(&sql)
                .bind(run_id)
                .fetch_one(&mut *tx)
                .await?;
            self.commit_changed(tx, dataset_id).await?;
            return Ok(Some(run));
        }
        Ok(None)
    }

    /// On PostgreSQL, locks the dataset row first, in the order user requests
    /// and status changes take their locks (`datasets` before `training_runs`),
    /// so the two sides never wait on each other in a cycle (a deadlock, which
    /// PostgreSQL breaks by failing one of them). SQLite serializes writers.
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

    /// A worker's checkpoint: cursor, progress and a batch of items, in one transaction,
    /// only while the run is still this worker's and training (or just paused).
    /// Not a status change: it records where the run is, in whichever of the two
    /// statuses it finds.
    pub async fn flush_run(
        &self,
        run: &RunRow,
        cursor: Cursor,
        process_rate: f64,
        times: &RunTimes,
        items: &[NewItem],
        logs: &[LogEvent],
    ) -> Result<FlushOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        self.lock_dataset(&mut tx, run.dataset_id).await?;
        let sql = format!(
            "UPDATE training_runs SET checkpoint = $3, stage = $4, process_rate = $5, stage_times = $8, \
             heartbeat_at = {} WHERE id = $1 AND attempt = $2 AND status IN ($6, $7) RETURNING status",
            self.db_now()
        );
        let status: Option<RunStatus> = sqlx::query_scalar(&sql)
            .bind(run.id)
            .bind(run.attempt)
            .bind(json(&cursor))
            .bind(i64::from(cursor.stage))
            .bind(process_rate)
            .bind(RunStatus::Training.as_str())
            .bind(RunStatus::Paused.as_str())
            .bind(json(times))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(status) = status else {
            return Ok(FlushOutcome::Gone);
        };
        // Once paused, the progress users see stays where it was when the pause was
        // answered; the run's own checkpoint (above) still records the items done.
        if status == RunStatus::Training {
            sqlx::query("UPDATE datasets SET process_rate = $2 WHERE id = $1 AND status = $3")
                .bind(run.dataset_id)
                .bind(process_rate)
                .bind(Status::Training.as_str())
                .execute(&mut *tx)
                .await?;
        }
        if !items.is_empty() {
            self.insert_items(&mut tx, run.dataset_id, run.id, items)
                .await?;
        }
        for event in logs {
            write_log(&mut tx, run.dataset_id, Some(run.id), event).await?;
        }
        self.commit_changed(tx, run.dataset_id).await?;
        Ok(if status == RunStatus::Paused {
            FlushOutcome::Paused
        } else {
            FlushOutcome::Continue
        })
    }

    /// A worker's status change of its training run (`Event::Finish`, `Fail` or
    /// `Requeue`), fenced by its attempt.
    fn worker_change<'a>(run: &RunRow, event: Event) -> Change<'a> {
        Change::new(run.dataset_id, Status::Training, event).run(RunTarget::Id {
            id: run.id,
            attempt: Some(run.attempt),
        })
    }

    /// The run's last stage ended: the dataset switches to its version in one
    /// transaction and older versions are deleted. `Ok(false)` if the run was not
    /// this worker's training run any more.
    pub async fn finish_run(&self, run: &RunRow, log: LogEvent) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = json(&Cursor::done());
        let mut tx = self.pool.begin().await?;
        let change = Self::worker_change(run, Event::Finish)
            .set("process_rate", Value::Real(100.0))
            .set("live_version", Value::Int(run.id))
            .set("last_train_at", Value::Int(now))
            .set("error_msg", Value::Text(None))
            .set("updated_at", Value::Int(now))
            .set_run("finished_at", Value::Int(now))
            .set_run("process_rate", Value::Real(100.0))
            .set_run("checkpoint", Value::Text(Some(&done)))
            .set_run("stage", Value::Int(i64::from(Cursor::done().stage)))
            .set_run(
                "item_count",
                Value::Sql(format!(
                    "(SELECT COUNT(*) FROM items WHERE version = {})",
                    run.id
                )),
            )
            .log(log);
        if self.apply(&mut tx, change).await?.is_none() {
            return Ok(false);
        }
        self.delete_versions_except(&mut tx, run.dataset_id, run.id)
            .await?;
        self.commit_changed(tx, run.dataset_id).await?;
        Ok(true)
    }

    /// The run hit an error: failed, partial version deleted, the live version kept.
    pub async fn fail_run(&self, run: &RunRow, error: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let change = Self::worker_change(run, Event::Fail)
            .set("error_msg", Value::Text(Some(error)))
            .set("updated_at", Value::Int(now))
            .set_run("finished_at", Value::Int(now))
            .set_run("error", Value::Text(Some(error)))
            .set_run("item_count", Value::Int(0))
            .log(LogEvent::TrainingFailed {
                error: error.to_string(),
            });
        if self.apply(&mut tx, change).await?.is_none() {
            return Ok(false);
        }
        self.delete_version(&mut tx, run.id).await?;
        self.commit_changed(tx, run.dataset_id).await?;
        Ok(true)
    }

    /// A worker hands its run back to the queue (graceful shutdown).
    pub async fn requeue_run(&self, run: &RunRow) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let change = Self::worker_change(run, Event::Requeue).log(LogEvent::RequeuedAtShutdown);
        if self.apply(&mut tx, change).await?.is_none() {
            return Ok(false);
        }
        self.commit_changed(tx, run.dataset_id).await?;
        Ok(true)
    }

    /// Re-queues training runs whose lease ran out: no heartbeat for `lease_ms`
    /// on the database's clock (their process died or lost the database).
    /// One transaction per run; the run is fenced by the attempt it was seen
    /// with and must still be expired when it is written.
    pub async fn recover_stale_runs(&self, lease_ms: i64) -> Result<Vec<i64>, StoreError> {
        let expired = format!(
            "(heartbeat_at IS NULL OR heartbeat_at < {} - {})",
            self.db_now(),
            lease_ms.max(0)
        );
        let stale: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, dataset_id, attempt FROM training_runs WHERE status = $1 AND {expired} ORDER BY id"
        ))
        .bind(RunStatus::Training.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut ids = Vec::with_capacity(stale.len());
        for (run_id, dataset_id, attempt) in stale {
            let mut tx = self.pool.begin().await?;
            let change = Change::new(dataset_id, Status::Training, Event::Requeue)
                .run(RunTarget::Id {
                    id: run_id,
                    attempt: Some(attempt),
                })
                .run_also(expired.clone())
                .log(LogEvent::Recovered);
            if self.apply(&mut tx, change).await?.is_none() {
                continue;
            }
            self.commit_changed(tx, dataset_id).await?;
            ids.push(run_id);
        }
        Ok(ids)
    }

    /// The worker's heartbeat; `false` when the run is no longer this worker's training run.
    pub async fn heartbeat(&self, run: &RunRow) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE training_runs SET heartbeat_at = {} WHERE id = $1 AND attempt = $2 AND status = $3",
            self.db_now()
        );
        let n = sqlx::query(&sql)
            .bind(run.id)
            .bind(run.attempt)
            .bind(RunStatus::Training.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
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
}
