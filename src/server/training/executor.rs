//! Runs one claimed run through the stages, item by item.
//!
//! After every item the interrupt is checked and progress advances in memory;
//! the cursor, progress and produced items are written together at most every
//! [`CHECKPOINT_EVERY`] and at every stage boundary, so a run's writes grow with
//! stages and batches, not with items.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::stage::{RunContext, StageError};
use super::stages;
use crate::domain::eta::RunTimes;
use crate::domain::log::LogEvent;
use crate::domain::progress::{Cursor, overall};
use crate::server::embeddings::{EmbedError, Embedder};
use crate::server::sources::SourcePolicy;
use crate::server::store::{FlushOutcome, NewItem, RunRow, Store, now_ms};

pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Why a running task is asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Interrupt {
    Pause = 1,
    Cancel = 2,
    /// The server is shutting down: checkpoint and hand the run back to the queue.
    Shutdown = 3,
    /// The heartbeat found the run is not this worker's any more.
    Lost = 4,
}

/// The in-process signal to a running task (the database status is written first;
/// this only makes the task stop after its current item instead of at its next checkpoint).
#[derive(Clone, Default)]
pub struct RunSignal {
    reason: Arc<AtomicU8>,
    wake: Arc<tokio::sync::Notify>,
}

impl RunSignal {
    pub fn interrupt(&self, why: Interrupt) {
        let _ = self
            .reason
            .compare_exchange(0, why as u8, Ordering::SeqCst, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    pub fn check(&self) -> Option<Interrupt> {
        match self.reason.load(Ordering::SeqCst) {
            1 => Some(Interrupt::Pause),
            2 => Some(Interrupt::Cancel),
            3 => Some(Interrupt::Shutdown),
            4 => Some(Interrupt::Lost),
            _ => None,
        }
    }

    /// Forgets a spurious interrupt: [`RunSignal::cancelled`] waits again (so
    /// the speed limit keeps working for the rest of the run).
    pub fn clear(&self) {
        self.reason.store(0, Ordering::SeqCst);
    }

    /// Resolves once an interrupt is pending (at once if one already is).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.check().is_some() {
                return;
            }
            notified.await;
        }
    }

    /// Whether both are the same task's signal.
    pub fn same(&self, other: &RunSignal) -> bool {
        Arc::ptr_eq(&self.reason, &other.reason)
    }
}

/// How a run's execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutcome {
    Completed,
    Failed(String),
    /// Paused: the cursor is stored; resume continues from it.
    Paused,
    /// Cancelled, or taken over: this task wrote nothing more.
    Gone,
    /// Handed back to the queue at shutdown.
    Requeued,
    /// The metadata store failed; the run is left to stale-run recovery.
    StoreFailed,
}

/// Where the engine finds sources and what it must never open.
#[derive(Debug, Clone)]
pub struct ExecEnv {
    pub sources_dir: std::path::PathBuf,
    pub forbidden_paths: Vec<std::path::PathBuf>,
    /// Items per second for every run (0 = unlimited); a run's own limit wins.
    pub throttle_items_per_sec: f64,
    /// Dense retrieval: every stored item is embedded (None = off).
    pub embedder: Option<Embedder>,
    /// Decrypts the stored source URL.
    pub secrets: crate::server::secrets::Secrets,
    /// An attempt that trains longer fails (`DATATRAIN_MAX_RUN_SECONDS`).
    pub max_run: Duration,
    /// Which network sources may be opened (checked when stage 1 connects).
    pub source_policy: SourcePolicy,
    /// Stage 4's time budget per table (`DATATRAIN_EXAMPLES_TABLE_SECONDS`).
    pub examples_table_budget: Duration,
}

impl Default for ExecEnv {
    fn default() -> Self {
        ExecEnv {
            sources_dir: std::path::PathBuf::from("data/sources"),
            forbidden_paths: Vec::new(),
            throttle_items_per_sec: 0.0,
            embedder: None,
            secrets: crate::server::secrets::Secrets::ephemeral(),
            max_run: DEFAULT_MAX_RUN,
            source_policy: SourcePolicy::default(),
            examples_table_budget: stages::EXAMPLES_TABLE_BUDGET,
        }
    }
}

/// `DATATRAIN_MAX_RUN_SECONDS`'s default: 6 hours.
pub const DEFAULT_MAX_RUN: Duration = Duration::from_secs(6 * 3600);

/// The run's `error_msg` when it trained past its time limit.
fn too_long(limit: Duration) -> StageError {
    StageError::Invalid(format!(
        "the run took longer than the limit of {} s (DATATRAIN_MAX_RUN_SECONDS) and was stopped",
        limit.as_secs()
    ))
}

pub async fn execute(store: Store, run: RunRow, signal: RunSignal, env: &ExecEnv) -> ExecOutcome {
    match execute_inner(&store, &run, &signal, env).await {
        Ok(outcome) => outcome,
        Err(StageError::Store(e)) => {
            tracing::error!(run = run.id, error = %e, "store error during a run");
            ExecOutcome::StoreFailed
        }
        Err(e) => {
            let message = e.to_string();
            match store.fail_run(&run, &message).await {
                Ok(true) => ExecOutcome::Failed(message),
                Ok(false) => ExecOutcome::Gone,
                Err(e) => {
                    tracing::error!(run = run.id, error = %e, "cannot record a failed run");
                    ExecOutcome::StoreFailed
                }
            }
        }
    }
}

struct Checkpointer<'a> {
    store: &'a Store,
    embedder: Option<&'a Embedder>,
    run: &'a RunRow,
    logs: Vec<LogEvent>,
    last: Instant,
    /// Checkpoint transactions written by this attempt.
    writes: u64,
    /// The run's stage times, written with every checkpoint.
    times: RunTimes,
    /// The stage whose items are being done now.
    clock: Option<StageClock>,
}

/// Times the items of one stage in this attempt, on top of earlier attempts'.
struct StageClock {
    stage: u8,
    item_ms_before: u64,
    since: Instant,
}

impl StageClock {
    fn start(times: &RunTimes, stage: u8) -> StageClock {
        StageClock {
            stage,
            item_ms_before: times.stage(stage).map_or(0, |s| s.item_ms),
            since: Instant::now(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Checkpointer<'_> {
    async fn flush(
        &mut self,
        ctx: &mut RunContext,
        cursor: Cursor,
        rate: f64,
    ) -> Result<FlushOutcome, StageError> {
        if let Some(embedder) = self.embedder {
            embed_buffer(embedder, &mut ctx.buffer).await?;
        }
        // The executor's lines, then those the stages wrote.
        let logs: Vec<LogEvent> = self.logs.drain(..).chain(ctx.logs.drain(..)).collect();
        if let Some(clock) = &self.clock {
            self.times.stage_mut(clock.stage).item_ms =
                clock.item_ms_before + millis(clock.since.elapsed());
        }
        self.times.at = now_ms();
        self.writes += 1;
        let outcome = self
            .store
            .flush_run(self.run, cursor, rate, &self.times, &ctx.buffer, &logs)
            .await?;
        if outcome != FlushOutcome::Gone {
            ctx.buffer.clear();
        }
        self.last = Instant::now();
        Ok(outcome)
    }
}

/// Embeds the buffered items that have no vector yet (one request per 64 items).
async fn embed_buffer(embedder: &Embedder, buffer: &mut [NewItem]) -> Result<(), EmbedError> {
    let todo: Vec<usize> = (0..buffer.len())
        .filter(|&i| buffer[i].vector.is_none())
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    let texts: Vec<String> = todo
        .iter()
        .map(|&i| buffer[i].embedding_text().to_string())
        .collect();
    let vectors = embedder.embed(&texts).await?;
    for (i, v) in todo.into_iter().zip(vectors) {
        buffer[i].vector = Some(v);
    }
    Ok(())
}

async fn execute_inner(
    store: &Store,
    run: &RunRow,
    signal: &RunSignal,
    env: &ExecEnv,
) -> Result<ExecOutcome, StageError> {
    let Some(mut dataset) = store.dataset(run.dataset_id).await? else {
        return Ok(ExecOutcome::Gone);
    };
    // The stages connect with the full URL; it stays in this run's memory only.
    dataset.source_url = env
        .secrets
        .reveal(&dataset.source_url, dataset.source_secret.as_deref())
        .map_err(|e| StageError::Invalid(e.to_string()))?;
    let resume = run.cursor();
    let excluded = store
        .exclusion_hashes(dataset.id)
        .await?
        .into_iter()
        .collect();
    let mut ctx = RunContext {
        store: store.clone(),
        run: run.clone(),
        dataset,
        sources_dir: env.sources_dir.clone(),
        forbidden_paths: env.forbidden_paths.clone(),
        source_policy: env.source_policy.clone(),
        examples_table_budget: env.examples_table_budget,
        source: None,
        table_names: run.table_list(),
        schemas: Vec::new(),
        distinct_counts: HashMap::new(),
        doc_chunks: Vec::new(),
        curated: Vec::new(),
        excluded,
        buffer: Vec::new(),
        logs: Vec::new(),
        emitting: true,
    };
    let rate_limit = run
        .max_items_per_sec
        .filter(|r| *r > 0.0)
        .unwrap_or(env.throttle_items_per_sec);
    let pause_between = (rate_limit > 0.0).then(|| Duration::from_secs_f64(1.0 / rate_limit));
    store
        .set_run_embedding_model(run, env.embedder.as_ref().map(Embedder::model))
        .await?;
    let mut cp = Checkpointer {
        store,
        embedder: env.embedder.as_ref(),
        run,
        logs: Vec::new(),
        last: Instant::now(),
        writes: 0,
        times: run.times(),
        clock: None,
    };
    if run.attempt > 1 || resume != Cursor::default() {
        cp.logs.push(LogEvent::ResumedAt {
            stage: resume.stage,
            item: resume.next as u64 + 1,
        });
    }
    let mut cursor = resume;
    let mut progress = run.process_rate;
    // Each attempt (claim) may train for `max_run`; paused time does not count.
    let deadline = tokio::time::Instant::now() + env.max_run;

    for stage in stages::all() {
        let info = stage.info();
        let n = info.number;
        // Stages before the cursor are done: the ones that re-run on resume run
        // again from their first item (emitting nothing), the others are skipped.
        let finished_before = n < resume.stage;
        if finished_before && !info.reruns_on_resume {
            continue;
        }
        ctx.emitting = !finished_before;
        let planning = Instant::now();
        let total = tokio::select! {
            planned = stage.plan(&mut ctx) => planned?,
            _ = tokio::time::sleep_until(deadline) => return Err(too_long(env.max_run)),
        };
        // A stage that re-runs on resume always starts from its first item: what
        // it builds in memory must be whole.
        let start = if n == resume.stage && !info.reruns_on_resume {
            resume.next.min(total)
        } else {
            0
        };
        if !finished_before {
            // Every attempt's planning counts; the items go on from the cursor.
            let t = cp.times.stage_mut(n);
            t.plan_ms += millis(planning.elapsed());
            t.total = total as u64;
            t.done = start as u64;
            if start == 0 {
                // The stage starts over (it re-runs whole): so does its item time.
                t.item_ms = 0;
            }
            cp.clock = Some(StageClock::start(&cp.times, n));
        }
        if !finished_before && start == 0 {
            cp.logs.push(LogEvent::StageStarted {
                stage: n,
                total: total as u64,
            });
        }
        for index in start..total {
            // An interrupt stops the item itself, not only the loop: the item's
            // future (and with it the next source query) is dropped, and the query
            // in flight is cancelled on the source. The item runs again on resume.
            loop {
                if let Some(why) = signal.check() {
                    match stop(&mut cp, &mut ctx, cursor, progress, why).await? {
                        Some(outcome) => return Ok(outcome),
                        None => {
                            signal.clear();
                            if let Some(source) = &ctx.source {
                                source.resume_queries();
                            }
                        }
                    }
                }
                let finished = tokio::select! {
                    biased;
                    done = stage.run_item(&mut ctx, index) => {
                        done?;
                        true
                    }
                    _ = signal.cancelled() => false,
                    _ = tokio::time::sleep_until(deadline) => return Err(too_long(env.max_run)),
                };
                if finished {
                    break;
                }
                if let Some(source) = &ctx.source {
                    source.cancel_queries().await;
                }
            }
            if finished_before {
                continue;
            }
            cursor = Cursor {
                stage: n,
                next: index + 1,
            };
            cp.times.stage_mut(n).done = index as u64 + 1;
            progress = progress.max(overall(n, index + 1, total));
            if cp.last.elapsed() >= CHECKPOINT_EVERY {
                match cp.flush(&mut ctx, cursor, progress).await? {
                    FlushOutcome::Continue => {}
                    FlushOutcome::Paused => return Ok(ExecOutcome::Paused),
                    FlushOutcome::Gone => return Ok(ExecOutcome::Gone),
                }
            }
            if let Some(pause) = pause_between {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = signal.cancelled() => {}
                }
            }
        }
        if finished_before {
            continue;
        }
        cursor = Cursor::after_stage(n, total);
        progress = progress.max(overall(n, total, total));
        cp.logs.push(LogEvent::StageDone { stage: n });
        cp.times.stage_mut(n).done = total as u64;
        let outcome = cp.flush(&mut ctx, cursor, progress).await?;
        cp.clock = None;
        match outcome {
            FlushOutcome::Continue => {}
            FlushOutcome::Paused => return Ok(ExecOutcome::Paused),
            FlushOutcome::Gone => return Ok(ExecOutcome::Gone),
        }
    }
    if let Some(source) = &ctx.source {
        source.close().await;
    }
    let items = store.version_item_count(run.id).await?;
    let log = LogEvent::TrainingCompleted {
        items: u64::try_from(items).unwrap_or(0),
        checkpoint_writes: cp.writes + 1,
    };
    if store.finish_run(run, log).await? {
        Ok(ExecOutcome::Completed)
    } else {
        Ok(ExecOutcome::Gone)
    }
}

/// Checkpoints at an interrupt. `None`: the interrupt was spurious (the run is
/// still training and nobody asked it to stop in the database): go on.
async fn stop(
    cp: &mut Checkpointer<'_>,
    ctx: &mut RunContext,
    cursor: Cursor,
    progress: f64,
    why: Interrupt,
) -> Result<Option<ExecOutcome>, StageError> {
    let outcome = match cp.flush(ctx, cursor, progress).await? {
        FlushOutcome::Paused => ExecOutcome::Paused,
        FlushOutcome::Gone => ExecOutcome::Gone,
        FlushOutcome::Continue if why == Interrupt::Shutdown => {
            let handed_back = cp.store.requeue_run(cp.run).await?;
            if handed_back {
                ExecOutcome::Requeued
            } else {
                ExecOutcome::Gone
            }
        }
        FlushOutcome::Continue => return Ok(None),
    };
    if let Some(source) = &ctx.source {
        source.close().await;
    }
    Ok(Some(outcome))
}

#[cfg(test)]
mod signal_tests {
    use super::*;

    #[tokio::test]
    async fn a_cleared_interrupt_waits_again() {
        let s = RunSignal::default();
        s.interrupt(Interrupt::Pause);
        assert_eq!(s.check(), Some(Interrupt::Pause));
        tokio::time::timeout(Duration::from_millis(100), s.cancelled())
            .await
            .expect("a pending interrupt resolves at once");
        // Spurious: cleared, so the speed limit's wait must not end early any more.
        s.clear();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), s.cancelled())
                .await
                .is_err(),
            "after clear() the wait goes on"
        );
        // A later interrupt still wakes a waiter.
        let waiter = {
            let s = s.clone();
            tokio::spawn(async move { s.cancelled().await })
        };
        tokio::task::yield_now().await;
        s.interrupt(Interrupt::Cancel);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert!(s.same(&s.clone()) && !s.same(&RunSignal::default()));
    }
}
