//! The one guarded write that applies every status change.
//!
//! A change names the status its decision was made from and the event; the
//! status it goes to is decided here by [`transition`] (and the run's by
//! [`run_status_after`]), never by the caller. The dataset row is written first
//! (`… WHERE id = $id AND status = $from`), then its run (`… AND status =
//! $run_from [AND attempt = $attempt]`). When either finds its row moved on, the
//! change reports [`None`] and the caller drops the transaction, so nothing of
//! a stale decision lands. Writing the dataset first also keeps one lock order
//! for users and workers on PostgreSQL, and makes the first statement of the
//! transaction a write on SQLite (its write lock is taken before any read).

use super::super::logs::write_log;
use super::super::webhooks::{queue_delivery, reported};
use super::super::{Store, StoreError};
use crate::domain::log::LogEvent;
use crate::domain::status::{Event, RunStatus, Status, run_status_after, transition};

/// A column's new value, besides the status.
pub(super) enum Value<'a> {
    Int(i64),
    Real(f64),
    Text(Option<&'a str>),
    /// An SQL expression built by the store itself (never user text).
    Sql(String),
}

/// Which run row the change moves along with its dataset.
pub(super) enum RunTarget {
    /// None: the dataset has no open run to change.
    None,
    /// The dataset's open run, in the status that follows the dataset's `from`.
    Open,
    /// One run; a worker's step names the attempt it holds (its fencing token).
    Id { id: i64, attempt: Option<i64> },
}

pub(super) struct Change<'a> {
    pub dataset_id: i64,
    pub from: Status,
    pub event: Event,
    pub dataset_set: Vec<(&'static str, Value<'a>)>,
    pub run: RunTarget,
    pub run_set: Vec<(&'static str, Value<'a>)>,
    /// A further condition on the run row (e.g. its lease ran out), built by the store.
    pub run_also: Option<String>,
    /// The line the change writes to the dataset's log when it lands.
    pub log: Option<LogEvent>,
}

impl<'a> Change<'a> {
    pub fn new(dataset_id: i64, from: Status, event: Event) -> Self {
        Change {
            dataset_id,
            from,
            event,
            dataset_set: Vec::new(),
            run: RunTarget::None,
            run_set: Vec::new(),
            run_also: None,
            log: None,
        }
    }

    pub fn set(mut self, column: &'static str, value: Value<'a>) -> Self {
        self.dataset_set.push((column, value));
        self
    }

    pub fn run(mut self, target: RunTarget) -> Self {
        self.run = target;
        self
    }

    pub fn set_run(mut self, column: &'static str, value: Value<'a>) -> Self {
        self.run_set.push((column, value));
        self
    }

    pub fn run_also(mut self, condition: String) -> Self {
        self.run_also = Some(condition);
        self
    }

    pub fn log(mut self, event: LogEvent) -> Self {
        self.log = Some(event);
        self
    }
}

impl Store {
    /// Applies `change` inside the caller's transaction and answers the status
    /// the dataset moved to. `Ok(None)`: the
    /// dataset, or the run, was not where the decision expected it; the
    /// caller must not commit.
    pub(super) async fn apply(
        &self,
        conn: &mut sqlx::AnyConnection,
        change: Change<'_>,
    ) -> Result<Option<Status>, StoreError> {
        let to =
            transition(change.from, change.event).map_err(|r| StoreError::Refused(r.message()))?;
        let dataset = Guarded {
            table: "datasets",
            key: ("id", change.dataset_id),
            from: change.from.as_str(),
            to: to.as_str(),
            attempt: None,
            also: None,
            set: &change.dataset_set,
        }
        .write(conn)
        .await?;
        if dataset.is_none() {
            return Ok(None);
        }
        let (key, attempt) = match change.run {
            RunTarget::None => return self.landed(conn, &change, to, None, None).await,
            RunTarget::Open => (("dataset_id", change.dataset_id), None),
            RunTarget::Id { id, attempt } => (("id", id), attempt),
        };
        let run_from = RunStatus::of(change.from)
            .filter(|_| change.from.has_open_run())
            .ok_or(StoreError::Refused("the dataset has no open run to change"))?;
        let run_to = run_status_after(change.event, to).ok_or(StoreError::Refused(
            "the change leaves the run without a status",
        ))?;
        let run_id = Guarded {
            table: "training_runs",
            key,
            from: run_from.as_str(),
            to: run_to.as_str(),
            attempt,
            also: change.run_also.as_deref(),
            set: &change.run_set,
        }
        .write(conn)
        .await?;
        // A named run that moved on (claimed again, paused, cancelled) stops the
        // whole change.
        if run_id.is_none() && matches!(change.run, RunTarget::Id { .. }) {
            return Ok(None);
        }
        self.landed(conn, &change, to, run_id.map(|id| (id, run_to)), run_id)
            .await
    }

    /// Both writes landed: the change's log line and its webhook delivery, in
    /// the same transaction.
    async fn landed(
        &self,
        conn: &mut sqlx::AnyConnection,
        change: &Change<'_>,
        to: Status,
        run: Option<(i64, RunStatus)>,
        run_id: Option<i64>,
    ) -> Result<Option<Status>, StoreError> {
        if let Some(event) = &change.log {
            write_log(conn, change.dataset_id, run_id, event).await?;
        }
        if let Some((id, status)) = run
            && reported(status)
        {
            queue_delivery(conn, change.dataset_id, id, status).await?;
        }
        Ok(Some(to))
    }
}

/// One row's guarded write:
/// `UPDATE <table> SET status = <to>, <set…> WHERE <key> = … AND status = <from>
/// [AND attempt = …] [AND <also>] RETURNING id`.
struct Guarded<'c> {
    table: &'static str,
    key: (&'static str, i64),
    from: &'static str,
    to: &'static str,
    attempt: Option<i64>,
    also: Option<&'c str>,
    set: &'c [(&'static str, Value<'c>)],
}

impl Guarded<'_> {
    /// The id of the row it changed; `None` when no row was still in `from`.
    async fn write(self, conn: &mut sqlx::AnyConnection) -> Result<Option<i64>, StoreError> {
        let mut sql = format!("UPDATE {} SET status = $1", self.table);
        let mut n = 1;
        for (column, value) in self.set {
            match value {
                Value::Sql(expr) => sql.push_str(&format!(", {column} = {expr}")),
                _ => {
                    n += 1;
                    sql.push_str(&format!(", {column} = ${n}"));
                }
            }
        }
        sql.push_str(&format!(
            " WHERE {} = ${} AND status = ${}",
            self.key.0,
            n + 1,
            n + 2
        ));
        if self.attempt.is_some() {
            sql.push_str(&format!(" AND attempt = ${}", n + 3));
        }
        if let Some(also) = self.also {
            sql.push_str(&format!(" AND {also}"));
        }
        sql.push_str(" RETURNING id");
        let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(self.to);
        for (_, value) in self.set {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Real(v) => query.bind(*v),
                Value::Text(v) => query.bind(*v),
                Value::Sql(_) => query,
            };
        }
        query = query.bind(self.key.1).bind(self.from);
        if let Some(attempt) = self.attempt {
            query = query.bind(attempt);
        }
        Ok(query.fetch_optional(conn).await?)
    }
}
