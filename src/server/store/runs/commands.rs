//! Users' commands on a dataset's training: start, pause, resume, cancel, delete
//! the trained data. Each is decided from the status the service read; when
//! the dataset moved on meanwhile the command reports it (`Ok(None)` /
//! `Ok(false)`) and the service reads again.

use super::change::{Change, RunTarget, Value};
use super::{RunRow, json};
use crate::domain::log::LogEvent;
use crate::domain::progress::Cursor;
use crate::domain::status::{Event, Status};
use crate::server::store::logs::write_log;
use crate::server::store::{Backend, Store, StoreError, now_ms, unique};

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
        let change = Change::new(start.dataset_id, start.from, Event::Start)
            .set("process_rate", Value::Real(0.0))
            .set("error_msg", Value::Text(None))
            .set("table_names", Value::Text(Some(start.table_names_json)))
            .set("updated_at", Value::Int(now));
        let Some(to) = self.apply(&mut tx, change).await? else {
            return Ok(None);
        };
        self.check_active_limit(&mut tx, start.dataset_id, start.max_active_per_user)
            .await?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO training_runs (dataset_id, status, stage, checkpoint, prev_status, prev_process_rate, \
             prev_error, table_names, max_items_per_sec, process_rate, queued_at) \
             VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, 0.0, $9) RETURNING id",
        )
        .bind(start.dataset_id)
        .bind(to.as_str())
        .bind(json(&Cursor::default()))
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
            &LogEvent::TrainingQueued,
        )
        .await?;
        self.commit_changed(tx, start.dataset_id).await?;
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

    /// Pause (→ paused) or resume (→ queued, back in the queue) of the open run.
    /// `Ok(false)` when the dataset was not in `from` any more (retry).
    pub async fn change_open_run(
        &self,
        dataset_id: i64,
        from: Status,
        event: Event,
        log: LogEvent,
        max_active_per_user: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let mut change = Change::new(dataset_id, from, event)
            .set("updated_at", Value::Int(now))
            .run(RunTarget::Open)
            .log(log);
        if event == Event::Resume {
            change = change.set_run("queued_at", Value::Int(now));
        }
        let Some(to) = self.apply(&mut tx, change).await? else {
            return Ok(false);
        };
        if to == Status::Queued {
            self.check_active_limit(&mut tx, dataset_id, max_active_per_user)
                .await?;
        }
        self.commit_changed(tx, dataset_id).await?;
        Ok(true)
    }

    /// Cancels the open run `run`: the dataset returns to the status, progress
    /// and error it had before the run, and the run's partial collection version
    /// is deleted. `Ok(false)` when the dataset was not in `from` any more.
    pub async fn cancel_open_run(
        &self,
        dataset_id: i64,
        from: Status,
        run: &RunRow,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let event = Event::Cancel {
            before_run: run.prev_status,
        };
        let change = Change::new(dataset_id, from, event)
            .set("process_rate", Value::Real(run.prev_process_rate))
            .set("error_msg", Value::Text(run.prev_error.as_deref()))
            .set("updated_at", Value::Int(now))
            .run(RunTarget::Id {
                id: run.id,
                attempt: None,
            })
            .set_run("finished_at", Value::Int(now))
            .set_run("item_count", Value::Int(0))
            .log(LogEvent::TrainingCancelled);
        if self.apply(&mut tx, change).await?.is_none() {
            return Ok(false);
        }
        self.delete_version(&mut tx, run.id).await?;
        self.commit_changed(tx, dataset_id).await?;
        Ok(true)
    }

    /// Deletes every collection version and sets the dataset to pending; a
    /// paused run is cancelled in the same transaction. `Ok(false)` when the
    /// dataset was not in `from` any more.
    pub async fn delete_training_data(
        &self,
        dataset_id: i64,
        from: Status,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let change = Change::new(dataset_id, from, Event::DeleteData)
            .set("process_rate", Value::Real(0.0))
            .set("error_msg", Value::Text(None))
            .set("live_version", Value::Sql("NULL".into()))
            .set("last_train_at", Value::Sql("NULL".into()))
            .set("updated_at", Value::Int(now))
            .run(if from.has_open_run() {
                RunTarget::Open
            } else {
                RunTarget::None
            })
            .set_run("finished_at", Value::Int(now))
            .log(LogEvent::TrainingDataDeleted);
        if self.apply(&mut tx, change).await?.is_none() {
            return Ok(false);
        }
        self.delete_fts_of_dataset(&mut tx, dataset_id).await?;
        sqlx::query("DELETE FROM items WHERE dataset_id = $1")
            .bind(dataset_id)
            .execute(&mut *tx)
            .await?;
        self.commit_changed(tx, dataset_id).await?;
        Ok(true)
    }
}
