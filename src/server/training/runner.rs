//! The worker pool: claims queued runs (users in turn), runs them with a
//! heartbeat, re-queues runs whose lease ran out (their process died), listens
//! for control signals from other instances (PostgreSQL `LISTEN`), and stops
//! gracefully.
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
use crate::server::store::{Control, RunRow, Store, StoreError};

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// How many runs train at once (`DATATRAIN_WORKERS`, default 2).
    pub concurrency: usize,
    pub env: ExecEnv,
    /// `DATATRAIN_HEARTBEAT_MS`: how often a running task renews its lease.
    pub heartbeat_every: Duration,
    /// `DATATRAIN_LEASE_MS`: a training run whose heartbeat is older than this
    /// (on the database's clock) is taken over.
    pub lease: Duration,
    /// How often expired leases are looked for.
    pub recovery_every: Duration,
    /// `DATATRAIN_INSTANCE`: recorded on every run this instance claims.
    pub instance: String,
}

/// The heartbeat and lease defaults: a dead instance's run continues elsewhere within ~6 s.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(1);
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            concurrency: 2,
            env: ExecEnv::default(),
            heartbeat_every: DEFAULT_HEARTBEAT,
            lease: DEFAULT_LEASE,
            recovery_every: DEFAULT_HEARTBEAT,
            instance: default_instance(),
        }
    }
}

/// `<hostname>-<pid>`.
pub fn default_instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "datatrain".into());
    format!("{host}-{}", std::process::id())
}

/// The running tasks of this process, by dataset. A task removes only its own
/// entry: after a fast pause → resume the new task's signal stays reachable
/// even when the old task ends after the new one started.
#[derive(Default)]
struct ActiveRuns {
    by_dataset: HashMap<i64, RunSignal>,
}

impl ActiveRuns {
    fn insert(&mut self, dataset_id: i64, signal: RunSignal) {
        self.by_dataset.insert(dataset_id, signal);
    }

    fn remove(&mut self, dataset_id: i64, signal: &RunSignal) {
        if self
            .by_dataset
            .get(&dataset_id)
            .is_some_and(|s| s.same(signal))
        {
            self.by_dataset.remove(&dataset_id);
        }
    }

    fn get(&self, dataset_id: i64) -> Option<&RunSignal> {
        self.by_dataset.get(&dataset_id)
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
    active: Mutex<ActiveRuns>,
    wake: Notify,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Runner {
    /// How many runs this instance trains at once.
    pub fn concurrency(&self) -> usize {
        self.inner.config.concurrency.max(1)
    }

    pub fn new(store: Store, config: RunnerConfig) -> Self {
        Runner {
            inner: Arc::new(Inner {
                store,
                config,
                active: Mutex::new(ActiveRuns::default()),
                wake: Notify::new(),
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }),
        }
    }

    /// Starts the claim loop, the recovery loop and (PostgreSQL) the control listener.
    pub fn start(&self) {
        let this = self.clone();
        self.inner
            .tasks
            .spawn(async move { this.claim_loop().await });
        let this = self.clone();
        self.inner
            .tasks
            .spawn(async move { this.recovery_loop().await });
        let this = self.clone();
        self.inner
            .tasks
            .spawn(async move { this.control_loop().await });
    }

    /// The name this instance records on the runs it claims.
    pub fn instance(&self) -> &str {
        &self.inner.config.instance
    }

    /// A run was queued here: look for work now (and tell the other instances).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
        let store = self.inner.store.clone();
        tokio::spawn(async move { store.notify(Control::Wake).await });
    }

    /// Asks the task running `dataset_id`'s run to stop after its current item,
    /// here and, through the store's control channel, on every other instance.
    /// Call it after the status is written to the database.
    pub fn interrupt(&self, dataset_id: i64, why: Interrupt) {
        self.interrupt_here(dataset_id, why);
        let control = match why {
            Interrupt::Pause => Some(Control::Pause(dataset_id)),
            Interrupt::Cancel => Some(Control::Cancel(dataset_id)),
            Interrupt::Shutdown | Interrupt::Lost => None,
        };
        if let Some(control) = control {
            let store = self.inner.store.clone();
            tokio::spawn(async move { store.notify(control).await });
        }
    }

    fn interrupt_here(&self, dataset_id: i64, why: Interrupt) {
        if let Some(signal) = self.active().get(dataset_id) {
            signal.interrupt(why);
        }
    }

    /// The active-run map; a poisoned lock (a panic elsewhere) must not stop pauses.
    fn active(&self) -> std::sync::MutexGuard<'_, ActiveRuns> {
        self.inner
            .active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops claiming, asks running tasks to checkpoint and re-queue, and waits for them.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        for signal in self.active().by_dataset.values() {
            signal.interrupt(Interrupt::Shutdown);
        }
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// One step: claims the next queued run and runs it to its end in this task.
    pub async fn try_execute_next(&self) -> Result<Option<(i64, ExecOutcome)>, StoreError> {
        let Some(run) = self
            .inner
            .store
            .claim_next_run(&self.inner.config.instance)
            .await?
        else {
            return Ok(None);
        };
        let id = run.id;
        Ok(Some((id, self.run_claimed(run).await)))
    }

    async fn run_claimed(&self, run: RunRow) -> ExecOutcome {
        let signal = RunSignal::default();
        let dataset_id = run.dataset_id;
        self.active().insert(dataset_id, signal.clone());
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
            instance = %self.inner.config.instance,
            "run started"
        );
        let outcome = execute(
            self.inner.store.clone(),
            run.clone(),
            signal.clone(),
            &self.inner.config.env,
        )
        .await;
        heartbeat_stop.cancel();
        let _ = heartbeat.await;
        self.active().remove(dataset_id, &signal);
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
            match self
                .inner
                .store
                .claim_next_run(&self.inner.config.instance)
                .await
            {
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

    /// Control signals from every instance (PostgreSQL only; SQLite is one
    /// instance). A lost signal costs only time: the running task also sees a
    /// pause or cancel at its next checkpoint, and the claim loop polls.
    async fn control_loop(self) {
        let Some(mut signals) = self
            .inner
            .store
            .control_signals(self.inner.shutdown.clone())
            .await
        else {
            return;
        };
        loop {
            let control = tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                c = signals.recv() => c,
            };
            match control {
                Some(Control::Pause(d)) => self.interrupt_here(d, Interrupt::Pause),
                Some(Control::Cancel(d)) => self.interrupt_here(d, Interrupt::Cancel),
                Some(Control::Wake) => self.inner.wake.notify_one(),
                None => return,
            }
        }
    }

    /// Re-queues runs whose lease ran out; returns their ids.
    pub async fn recover_stale(&self) -> Vec<i64> {
        let lease_ms = self.inner.config.lease.as_millis() as i64;
        match self.inner.store.recover_stale_runs(lease_ms).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_task_does_not_remove_the_new_tasks_signal() {
        // A fast pause → resume: the new task registers before the old one ends.
        let mut active = ActiveRuns::default();
        let old = RunSignal::default();
        let new = RunSignal::default();
        active.insert(7, old.clone());
        active.insert(7, new.clone());
        active.remove(7, &old);
        let reached = active.get(7).expect("the new task's signal stays");
        reached.interrupt(Interrupt::Pause);
        assert_eq!(new.check(), Some(Interrupt::Pause));
        assert_eq!(old.check(), None);
        active.remove(7, &new);
        assert!(active.get(7).is_none());
    }
}
