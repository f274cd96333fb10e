//! Training runs, split by who acts: users' commands ([`commands`]), workers'
//! steps ([`worker`]) and reads ([`reads`]). Every status change goes through
//! the one guarded write of [`change`]; worker steps also name their `attempt`,
//! the fencing token bumped by every claim, so a late or stale write never lands.

mod change;
mod commands;
mod reads;
mod worker;

pub use commands::StartRun;

use super::{Backend, Store};
use crate::domain::eta::RunTimes;
use crate::domain::progress::Cursor;
use crate::domain::status::{RunStatus, Status};

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
    /// JSON [`RunTimes`]: items and time per stage (None before its first checkpoint).
    pub stage_times: Option<String>,
}

impl RunRow {
    pub fn cursor(&self) -> Cursor {
        serde_json::from_str(&self.checkpoint).unwrap_or_default()
    }

    pub fn table_list(&self) -> Vec<String> {
        serde_json::from_str(&self.table_names).unwrap_or_default()
    }

    /// The stage times recorded so far (empty before the first checkpoint).
    pub fn times(&self) -> RunTimes {
        RunTimes::parse(self.stage_times.as_deref()).unwrap_or_default()
    }
}

/// What the progress endpoint needs, in one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgressRow {
    pub status: Status,
    pub process_rate: f64,
    pub error_msg: Option<String>,
    pub last_train_at: Option<i64>,
    pub stage: Option<i64>,
    pub claimed_at: Option<i64>,
    pub queue_ahead: Option<i64>,
    /// The open run's stage times (JSON [`RunTimes`]).
    pub stage_times: Option<String>,
    /// The stage times of the dataset's last completed run.
    pub previous_times: Option<String>,
}

/// How long a finished run took: its stage times, else its start and end.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunLength {
    pub stage_times: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl RunLength {
    /// Milliseconds of work (without pauses when the stage times are known).
    pub fn ms(&self) -> Option<u64> {
        RunTimes::parse(self.stage_times.as_deref())
            .map(|t| t.total_ms())
            .filter(|ms| *ms > 0)
            .or_else(|| {
                let (start, end) = (self.started_at?, self.finished_at?);
                u64::try_from(end - start).ok()
            })
    }
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
     finished_at, heartbeat_at, item_count, error, instance, stage_times";

/// Open runs are the ones the partial unique index allows once per dataset.
const OPEN: &str = "('queued', 'training', 'paused')";

impl Store {
    /// The database's clock in milliseconds since the epoch, as SQL: leases and
    /// heartbeats are compared on one clock, whatever the instances' clocks say.
    fn db_now(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
        }
    }
}

/// A cursor as stored with its run.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
