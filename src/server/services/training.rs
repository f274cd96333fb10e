use super::{Services, status_of};
use crate::domain::dto::{LogEntry, Message, Progress, RunView, StartTraining, Started, format_ms};
use crate::domain::error::AppError;
use crate::domain::eta::{EtaInput, RunTimes, eta_seconds};
use crate::domain::log::LogEvent;
use crate::domain::status::{Event, Refusal, Status, transition};
use crate::server::auth::CurrentUser;
use crate::server::store::{LogRow, StartRun};
use crate::server::store::{StoreError, now_ms};
use crate::server::training::executor::Interrupt;

pub const LOGS_DEFAULT: i64 = 50;
pub const LOGS_MAX: i64 = 500;
/// Conditional writes retried this often when the dataset changes under them.
const RETRIES: usize = 5;
const TABLES_MAX: usize = 5000;
/// The slowest speed limit a run may ask for (items per second); 0 means no limit.
pub const MIN_ITEMS_PER_SEC: f64 = 0.1;
/// Completed runs whose median length is a queued run's expected wait per run ahead.
const RECENT_RUNS: i64 = 9;

fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::Conflict(m) => AppError::Conflict(m.into()),
        Refusal::Invalid(m) => AppError::BadRequest(m.into()),
    }
}

fn message(m: &str) -> Message {
    Message {
        message: m.to_string(),
    }
}

impl Services {
    fn too_many_active(&self) -> AppError {
        AppError::TooManyRequests(
            format!(
                "You already have {} runs queued or training; wait for one to finish",
                self.inner.max_active_runs_per_user
            ),
            30,
        )
    }

    /// Queues a run (pending|completed|failed → queued). The table names are
    /// checked against the source by the run itself (stage 1).
    pub async fn start_training(
        &self,
        user: &CurrentUser,
        id: i64,
        req: &StartTraining,
    ) -> Result<Started, AppError> {
        if let Some(rate) = req.max_items_per_sec
            && !(rate.is_finite() && (rate == 0.0 || rate >= MIN_ITEMS_PER_SEC))
        {
            return Err(AppError::Unprocessable(format!(
                "max_items_per_sec must be 0 (no limit) or at least {MIN_ITEMS_PER_SEC}"
            )));
        }
        for _ in 0..RETRIES {
            let row = self.owned(user, id).await?;
            let from = status_of(&row);
            transition(from, Event::Start).map_err(refused)?;
            let tables = match &req.table_names {
                Some(list) => list.clone(),
                None => serde_json::from_str::<Vec<String>>(&row.table_names).unwrap_or_default(),
            };
            if tables.is_empty() {
                return Err(AppError::BadRequest("table_names must not be empty".into()));
            }
            if tables.len() > TABLES_MAX || tables.iter().any(|t| t.is_empty() || t.len() > 512) {
                return Err(AppError::BadRequest(format!(
                    "table_names must hold 1-{TABLES_MAX} names of 1-512 characters"
                )));
            }
            let tables_json = serde_json::to_string(&tables).unwrap_or_else(|_| "[]".into());
            let start = StartRun {
                dataset_id: id,
                from,
                from_process_rate: row.process_rate,
                from_error: row.error_msg.as_deref(),
                table_names_json: &tables_json,
                max_items_per_sec: req.max_items_per_sec,
                max_active_per_user: self.inner.max_active_runs_per_user,
            };
            match self.inner.store.start_run(start).await {
                Ok(Some(run_id)) => {
                    self.inner.runner.wake();
                    tracing::info!(
                        dataset = id,
                        run = run_id,
                        tables = tables.len(),
                        "training queued"
                    );
                    return Ok(Started {
                        status: Status::Queued,
                        run_id,
                    });
                }
                Ok(None) => continue,
                Err(StoreError::Unique) => {
                    return Err(refused(Refusal::Conflict(
                        crate::domain::status::MSG_ALREADY_TRAINING,
                    )));
                }
                Err(StoreError::Limit) => return Err(self.too_many_active()),
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict(
            "The dataset changed meanwhile; try again".into(),
        ))
    }

    /// queued|training → paused. The status is written first (other processes see
    /// it), then the running task is told to stop after its current item.
    pub async fn pause_training(&self, user: &CurrentUser, id: i64) -> Result<Message, AppError> {
        self.change_open_run(user, id, Event::Pause, LogEvent::TrainingPaused)
            .await?;
        self.inner.runner.interrupt(id, Interrupt::Pause);
        Ok(message("Training paused"))
    }

    /// paused → queued: the same run continues from its checkpoint.
    pub async fn resume_training(&self, user: &CurrentUser, id: i64) -> Result<Message, AppError> {
        self.change_open_run(user, id, Event::Resume, LogEvent::TrainingResumed)
            .await?;
        self.inner.runner.wake();
        Ok(message("Training resumed"))
    }

    async fn change_open_run(
        &self,
        user: &CurrentUser,
        id: i64,
        event: Event,
        log: LogEvent,
    ) -> Result<(), AppError> {
        for _ in 0..RETRIES {
            let row = self.owned(user, id).await?;
            let from = status_of(&row);
            transition(from, event).map_err(refused)?;
            match self
                .inner
                .store
                .change_open_run(
                    id,
                    from,
                    event,
                    log.clone(),
                    self.inner.max_active_runs_per_user,
                )
                .await
            {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(StoreError::Limit) => return Err(self.too_many_active()),
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Conflict(
            "The dataset changed meanwhile; try again".into(),
        ))
    }

    /// queued|training|paused → the status before the run; the run's partial data is discarded.
    pub async fn cancel_training(&self, user: &CurrentUser, id: i64) -> Result<Message, AppError> {
        for _ in 0..RETRIES {
            let row = self.owned(user, id).await?;
            let from = status_of(&row);
            let Some(run) = self.inner.store.open_run(id).await? else {
                transition(
                    from,
                    Event::Cancel {
                        before_run: Status::Pending,
                    },
                )
                .map_err(refused)?;
                continue;
            };
            transition(
                from,
                Event::Cancel {
                    before_run: run.prev_status,
                },
            )
            .map_err(refused)?;
            if self.inner.store.cancel_open_run(id, from, &run).await? {
                self.inner.runner.interrupt(id, Interrupt::Cancel);
                return Ok(message("Training cancelled"));
            }
        }
        Err(AppError::Conflict(
            "The dataset changed meanwhile; try again".into(),
        ))
    }

    /// Deletes every collection version (refused while queued or training; a paused run is cancelled).
    pub async fn delete_training_data(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Message, AppError> {
        for _ in 0..RETRIES {
            let row = self.owned(user, id).await?;
            let from = status_of(&row);
            transition(from, Event::DeleteData).map_err(refused)?;
            if self.inner.store.delete_training_data(id, from).await? {
                if from == Status::Paused {
                    self.inner.runner.interrupt(id, Interrupt::Cancel);
                }
                return Ok(message("Training data deleted"));
            }
        }
        Err(AppError::Conflict(
            "The dataset changed meanwhile; try again".into(),
        ))
    }

    /// Status, rate, error and last training time, plus stage, queue position and
    /// ETA. One read, no write: it is polled every 2 s by every open page.
    pub async fn progress(&self, user: &CurrentUser, id: i64) -> Result<Progress, AppError> {
        self.progress_of(user.id, id).await
    }

    /// [`Services::progress`] for the owner's id (the event hub reads it so).
    pub(super) async fn progress_of(&self, owner_id: i64, id: i64) -> Result<Progress, AppError> {
        let p = self
            .inner
            .store
            .progress(id, owner_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let status = p.status;
        let stage = p
            .stage
            .and_then(|s| u8::try_from(s).ok())
            .filter(|_| status.has_open_run());
        let queue_position = p
            .queue_ahead
            .filter(|_| status == Status::Queued)
            .map(|n| n + 1);
        // Only a run that waits in the queue needs the lengths of recent runs.
        let recent_run_ms = if status == Status::Queued {
            let lengths = self.inner.store.recent_run_lengths(RECENT_RUNS).await?;
            median(lengths.iter().filter_map(|l| l.ms()).collect())
        } else {
            None
        };
        let run = RunTimes::parse(p.stage_times.as_deref());
        let previous = RunTimes::parse(p.previous_times.as_deref());
        let eta_seconds = eta_seconds(&EtaInput {
            status,
            stage,
            run: run.as_ref(),
            claimed_at: p.claimed_at,
            previous: previous.as_ref(),
            queue_position,
            recent_run_ms,
            workers: self.inner.runner.concurrency() as u64,
            now_ms: now_ms(),
        });
        Ok(Progress {
            status,
            process_rate: p.process_rate,
            error_msg: p.error_msg,
            last_train_at: p.last_train_at.map(format_ms),
            stage,
            queue_position,
            eta_seconds,
        })
    }

    pub async fn logs(
        &self,
        user: &CurrentUser,
        id: i64,
        limit: i64,
    ) -> Result<Vec<LogEntry>, AppError> {
        if !(1..=LOGS_MAX).contains(&limit) {
            return Err(AppError::BadRequest(format!("limit must be 1-{LOGS_MAX}")));
        }
        self.owned(user, id).await?;
        Ok(self
            .inner
            .store
            .recent_logs(id, limit)
            .await?
            .into_iter()
            .map(log_entry)
            .collect())
    }

    pub async fn runs(&self, user: &CurrentUser, id: i64) -> Result<Vec<RunView>, AppError> {
        self.owned(user, id).await?;
        let mut out = Vec::new();
        for run in self.inner.store.runs_of(id, 100).await? {
            let items = match run.item_count {
                Some(n) => n,
                None => self.inner.store.version_item_count(run.id).await?,
            };
            out.push(RunView {
                id: run.id,
                status: run.status.to_string(),
                started_at: run.started_at.map(format_ms),
                finished_at: run.finished_at.map(format_ms),
                items,
                error: run.error,
                instance: run.instance,
                webhook_status: self.inner.store.webhook_state(run.id).await?,
            });
        }
        Ok(out)
    }
}

/// A stored log line as the API shows it.
pub(super) fn log_entry(l: LogRow) -> LogEntry {
    LogEntry {
        id: l.id,
        // Lines stored before levels were unified said `warn`.
        level: if l.level == "warn" {
            "warning".into()
        } else {
            l.level
        },
        code: l.code,
        params: l.params.and_then(|p| serde_json::from_str(&p).ok()),
        content: l.content,
        created_at: format_ms(l.created_at),
    }
}
