//! The worker pool: claims queued runs (oldest first), runs them with a heartbeat,
//! re-queues stale runs (their process died), and stops gracefully.
//!
//! [`Runner::try_execute_next`] is the one-step worker that tests call directly;
//! the loops only add the waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::executor::{ExecEnv, ExecOutcome, Interrupt, RunSignal, execute};
use crate::server::store::{RunRow, Store, StoreError, now_ms};

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// How many runs train at once (`DATATRAIN_WORKERS`, default 2).
    pub concurrency: usize,
    pub env: ExecEnv,
    pub heartbeat_every: Duration,
    /// A training run whose heartbeat is older than this is stale.
    pub stale_after: Duration,
    pub recovery_every: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            concurrency: 2,
            env: ExecEnv::default(),
            heartbeat_every: Duration::from_secs(2),
            stale_after: Duration::from_secs(30),
            recovery_every: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: RunnerConfig,
    /// Running tasks by dataset id.
    active: Mutex<HashMap<i64, RunSignal>>,
    wake: Notify,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Runner {
    pub fn new(store: Store, config: RunnerConfig) -> Self {
        Runner {
            inner: Arc::new(Inner {
                store,
                config,
                active: Mutex::new(HashMap::new()),
                wake: Notify::new(),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        }
    }

    /// Starts the claim loop and the recovery loop.
    pub fn start(&self) {
        let this = self.clone();
        self.inner
            .tasks
            .spawn(async move { this.claim_loop().await });
        let this = self.clone();
        self.inner
            .tasks
            .spawn(async move { this.recovery_loop().await });
    }

    /// A run was queued: look for work now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Asks the task running `dataset_id`'s run (if it runs in this process) to stop
    /// after its current item. Call it after the status is written to the database.
    pub fn interrupt(&self, dataset_id: i64, why: Interrupt) {
        if let Some(signal) = self
            .inner
            .active
            .lock()
            .expect("runner lock")
            .get(&dataset_id)
        {
            signal.interrupt(why);
        }
    }

    /// Stops claiming, asks running tasks to checkpoint and re-queue, and waits for them.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        for signal in self.inner.active.lock().expect("runner lock").values() {
            signal.interrupt(Interrupt::Shutdown);
        }
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// One step: claims the oldest queued run and runs it to its end in this task.
    pub async fn try_execute_next(&self) -> Result<Option<(i64, ExecOutcome)>, StoreError> {
        let Some(run) = self.inner.store.claim_next_run().await? else {
            return Ok(None);
        };
        let id = run.id;
        Ok(Some((id, self.run_claimed(run).await)))
    }

    async fn run_claimed(&self, run: RunRow) -> ExecOutcome {
        let signal = RunSignal::default();
        let dataset_id = run.dataset_id;
        self.inner
            .active
            .lock()
            .expect("runner lock")
            .insert(dataset_id, signal.clone());
        if self.inner.shutdown.is_cancelled() {
            signal.interrupt(Interrupt::Shutdown);
        }
        let heartbeat_stop = CancellationToken::new();
        let heartbeat = {
            let store = self.inner.store.clone();
            let run = run.clone();
            let signal = signal.clone();
            let stop = heartbeat_stop.clone();
            let every = self.inner.config.heartbeat_every;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(every) => {}
                    }
                    match store.heartbeat(&run).await {
                        Ok(true) => {}
                        Ok(false) => {
                            signal.interrupt(Interrupt::Lost);
                            break;
                        }
                        Err(e) => tracing::warn!(run = run.id, error = %e, "heartbeat failed"),
                    }
                }
            })
        };
        tracing::info!(
            run = run.id,
            dataset = dataset_id,
            attempt = run.attempt,
            "run started"
        );
        let outcome = execute(
            self.inner.store.clone(),
            run.clone(),
            signal,
            &self.inner.config.env,
        )
        .await;
        heartbeat_stop.cancel();
        let _ = heartbeat.await;
        self.inner
            .active
            .lock()
            .expect("runner lock")
            .remove(&dataset_id);
        tracing::info!(run = run.id, dataset = dataset_id, outcome = ?outcome, "run ended");
        outcome
    }

    async fn claim_loop(self) {
        let permits = Arc::new(Semaphore::new(self.inner.config.concurrency.max(1)));
        loop {
            let permit = tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            };
            match self.inner.store.claim_next_run().await {
                Ok(Some(run)) => {
                    let this = self.clone();
                    self.inner.tasks.spawn(async move {
                        let _permit = permit;
                        this.run_claimed(run).await;
                    });
                }
                Ok(None) => {
                    drop(permit);
                    tokio::select! {
                        _ = self.inner.shutdown.cancelled() => return,
                        _ = self.inner.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "cannot claim a run");
                    tokio::select! {
                        _ = self.inner.shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    async fn recovery_loop(self) {
        loop {
            self.recover_stale().await;
            tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.inner.config.recovery_every) => {}
            }
        }
    }

    /// Re-queues runs whose heartbeat is older than `stale_after`; returns their ids.
    pub async fn recover_stale(&self) -> Vec<i64> {
        let stale_before = now_ms() - self.inner.config.stale_after.as_millis() as i64;
        match self.inner.store.recover_stale_runs(stale_before).await {
            Ok(ids) => {
                if !ids.is_empty() {
                    tracing::warn!(runs = ?ids, "re-queued stale runs");
                    self.wake();
                }
                ids
            }
            Err(e) => {
                tracing::warn!(error = %e, "stale-run recovery failed");
                Vec::new()
            }
        }
    }
}
