//! How long a run will take: from each stage's own measured speed, the
//! previous run's stage times, and the queue.
//!
//! A run records, per stage, how many items it planned and did and how long
//! it spent on them ([`RunTimes`], stored with the run at every checkpoint;
//! paused time is not counted). The estimate for the rest of a run is, stage by
//! stage:
//! - the current stage: its remaining items at its own measured time per item,
//!   blended with the previous run's time per item of that stage (the measured
//!   speed weighs more as more items are done);
//! - a later stage: the previous run's time for it, scaled by the run's size
//!   (stage 1's items, one per table); without a previous run, the time this
//!   run spent per point of the progress bar so far, times the stage's band.
//!
//! While queued, the run waits for the runs ahead of it:
//! `(queue position - 1) × recent run length / workers`, plus its own length.

use serde::{Deserialize, Serialize};

use super::progress::{STAGE_COUNT, stage as stage_info};
use super::status::Status;

/// One stage of one run: its items and the time it spent on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StageTime {
    pub stage: u8,
    /// Items planned.
    pub total: u64,
    /// Items done.
    pub done: u64,
    /// Milliseconds spent planning (every attempt's plan counts).
    pub plan_ms: u64,
    /// Milliseconds spent on items (speed-limit waits included, pauses not).
    pub item_ms: u64,
}

impl StageTime {
    pub fn ms(&self) -> u64 {
        self.plan_ms + self.item_ms
    }

    /// Milliseconds per item, once an item is done.
    fn per_item(&self) -> Option<f64> {
        (self.done > 0).then(|| self.item_ms as f64 / self.done as f64)
    }
}

/// A run's stage times, stored with the run as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunTimes {
    pub stages: Vec<StageTime>,
    /// When they were written (epoch ms): a reader adds the time since to the
    /// current stage.
    pub at: i64,
}

impl RunTimes {
    pub fn parse(json: Option<&str>) -> Option<RunTimes> {
        json.and_then(|j| serde_json::from_str(j).ok())
    }

    pub fn stage(&self, n: u8) -> Option<&StageTime> {
        self.stages.iter().find(|s| s.stage == n)
    }

    /// The stage's entry, added when missing.
    pub fn stage_mut(&mut self, n: u8) -> &mut StageTime {
        let i = match self.stages.iter().position(|s| s.stage == n) {
            Some(i) => i,
            None => {
                self.stages.push(StageTime {
                    stage: n,
                    ..StageTime::default()
                });
                self.stages.len() - 1
            }
        };
        &mut self.stages[i]
    }

    /// The whole run's time (of a finished run: its length without pauses).
    pub fn total_ms(&self) -> u64 {
        self.stages.iter().map(StageTime::ms).sum()
    }
}

/// What the estimate reads.
#[derive(Debug, Clone)]
pub struct EtaInput<'a> {
    pub status: Status,
    /// The open run's stage (its cursor), `None` without an open run.
    pub stage: Option<u8>,
    /// The open run's times as last written.
    pub run: Option<&'a RunTimes>,
    /// When a worker last claimed the open run (epoch ms): time before it
    /// (queued, paused) is not time spent on the current stage.
    pub claimed_at: Option<i64>,
    /// The dataset's previous completed run.
    pub previous: Option<&'a RunTimes>,
    /// 1 = next to be claimed; only while queued.
    pub queue_position: Option<i64>,
    /// How long recent runs took (ms), for the wait in the queue.
    pub recent_run_ms: Option<u64>,
    /// Runs that train at once.
    pub workers: u64,
    pub now_ms: i64,
}

/// Seconds until the run is done; `None` when there is no run to wait for
/// (pending, paused, completed, failed) or nothing to estimate from yet.
pub fn eta_seconds(input: &EtaInput) -> Option<i64> {
    let ms = match input.status {
        Status::Training => remaining_ms(input, true)?,
        Status::Queued => {
            let own = remaining_ms(input, false)
                .or_else(|| input.previous.map(|p| p.total_ms() as f64))
                .or(input.recent_run_ms.map(|r| r as f64))?;
            let ahead = (input.queue_position.unwrap_or(1) - 1).max(0) as f64;
            let wait = if ahead > 0.0 {
                ahead * input.recent_run_ms? as f64 / input.workers.max(1) as f64
            } else {
                0.0
            };
            own + wait
        }
        _ => return None,
    };
    Some((ms / 1000.0).ceil().max(0.0) as i64)
}

/// The rest of the open run, in ms. `running`: a worker is on it now, so the
/// time since the last write was spent on the current stage.
fn remaining_ms(input: &EtaInput, running: bool) -> Option<f64> {
    let current = input.stage?;
    let empty = RunTimes::default();
    let run = input.run.unwrap_or(&empty);
    let previous = input.previous;
    // The run's size against the previous run's: stage 1 has one item per table.
    let scale = match (run.stage(1), previous.and_then(|p| p.stage(1))) {
        (Some(now), Some(then)) if now.total > 0 && then.total > 0 => {
            now.total as f64 / then.total as f64
        }
        _ => 1.0,
    };
    let per_point = per_band_point(run, current);
    let mut total = 0.0;
    for n in current..=STAGE_COUNT {
        // A stage has an entry once it is planned.
        let mut part = match run.stage(n) {
            Some(s) if s.done >= s.total => 0.0,
            Some(s) => {
                let left = s.total.saturating_sub(s.done) as f64;
                let measured = s.per_item().map(|ms| ms * left);
                let history = previous
                    .and_then(|p| p.stage(n))
                    .and_then(StageTime::per_item)
                    .map(|ms| ms * left);
                let weight = s.done as f64 / s.total.max(1) as f64;
                match (measured, history) {
                    (Some(m), Some(h)) => weight * m + (1.0 - weight) * h,
                    (Some(m), None) => m,
                    (None, Some(h)) => h,
                    (None, None) => band(n)? * per_point?,
                }
            }
            None => match previous.and_then(|p| p.stage(n)) {
                Some(p) => p.ms() as f64 * scale,
                None => band(n)? * per_point?,
            },
        };
        if n == current && running {
            let since_write = run.at.max(input.claimed_at.unwrap_or(0));
            let since = (input.now_ms - since_write).max(0) as f64;
            part = (part - since).max(0.0);
        }
        total += part;
    }
    Some(total)
}

fn band(n: u8) -> Option<f64> {
    let (lo, hi) = stage_info(n).band;
    Some(hi - lo)
}

/// The time this run spent per point of the progress bar, over the stages
/// before `current` and the done part of `current`; `None` before any time was
/// measured.
fn per_band_point(run: &RunTimes, current: u8) -> Option<f64> {
    let mut ms = 0.0;
    let mut points = 0.0;
    for s in &run.stages {
        if s.stage > current {
            continue;
        }
        let fraction = if s.stage < current {
            1.0
        } else {
            s.done as f64 / s.total.max(1) as f64
        };
        if s.stage == current && s.done == 0 {
            continue;
        }
        ms += s.ms() as f64;
        points += band(s.stage).unwrap_or(0.0) * fraction;
    }
    (points > 0.0 && ms > 0.0).then(|| ms / points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(stage: u8, total: u64, done: u64, item_ms: u64) -> StageTime {
        StageTime {
            stage,
            total,
            done,
            plan_ms: 0,
            item_ms,
        }
    }

    fn times(stages: &[StageTime], at: i64) -> RunTimes {
        RunTimes {
            stages: stages.to_vec(),
            at,
        }
    }

    fn training<'a>(stage: u8, run: &'a RunTimes, previous: Option<&'a RunTimes>) -> EtaInput<'a> {
        EtaInput {
            status: Status::Training,
            stage: Some(stage),
            run: Some(run),
            claimed_at: Some(0),
            previous,
            queue_position: None,
            recent_run_ms: None,
            workers: 2,
            now_ms: run.at,
        }
    }

    /// A previous run of 10 tables: stage 1 1 s, stage 2 10 s, stage 3 20 s, stage 4 100 s.
    fn previous_run() -> RunTimes {
        times(
            &[
                st(1, 10, 10, 1_000),
                st(2, 10, 10, 10_000),
                st(3, 4, 4, 20_000),
                st(4, 10, 10, 100_000),
            ],
            0,
        )
    }

    #[test]
    fn a_slow_stage_after_a_fast_one_is_estimated_at_its_own_speed() {
        // Stage 1 took 1 s for 10 tables; stage 4 (the last) does 1 item per 10 s,
        // 2 of 10 done. The straight line over the bar would say ~1 s per point.
        let run = times(&[st(1, 10, 10, 1_000), st(4, 10, 2, 20_000)], 50_000);
        assert_eq!(eta_seconds(&training(4, &run, None)), Some(80));
        // 3 s after that write, the current item has been running 3 s.
        let mut later = training(4, &run, None);
        later.now_ms += 3_000;
        assert_eq!(eta_seconds(&later), Some(77));
    }

    #[test]
    fn without_history_later_stages_follow_the_bands_at_this_runs_pace() {
        // Stage 2 (band 30 points) half done in 15 s, stage 1 (10 points) took 5 s:
        // 20 s for 25 points = 0.8 s per point. Stage 2's rest: 5 items × 3 s;
        // stage 3 (40 points) 32 s; stage 4 (20 points) 16 s.
        let run = times(&[st(1, 10, 10, 5_000), st(2, 10, 5, 15_000)], 20_000);
        assert_eq!(eta_seconds(&training(2, &run, None)), Some(15 + 32 + 16));
        // Nothing measured yet at all: no estimate.
        let fresh = times(&[], 0);
        assert_eq!(eta_seconds(&training(1, &fresh, None)), None);
    }

    #[test]
    fn history_gives_later_stages_their_own_times_scaled_by_the_tables() {
        let previous = previous_run();
        // This run has 20 tables: stage 2 is just planned (nothing done), later
        // stages take twice the previous time.
        let run = times(&[st(1, 20, 20, 2_000), st(2, 20, 0, 0)], 2_000);
        // Stage 2: 20 items at the previous 1 s each; 3: 40 s; 4: 200 s.
        assert_eq!(
            eta_seconds(&training(2, &run, Some(&previous))),
            Some(20 + 40 + 200)
        );
        // Halfway through stage 2 at 2 s per item (slower than before): half
        // measured (10 × 2 s), half history (10 × 1 s) → 15 s.
        let run = times(&[st(1, 20, 20, 2_000), st(2, 20, 10, 20_000)], 22_000);
        assert_eq!(
            eta_seconds(&training(2, &run, Some(&previous))),
            Some(15 + 40 + 200)
        );
        // Before its stage 1 is planned, the previous run's times as they were.
        let run = times(&[], 0);
        assert_eq!(eta_seconds(&training(1, &run, Some(&previous))), Some(131));
    }

    #[test]
    fn queued_waits_for_the_runs_ahead() {
        let previous = previous_run();
        let input = |position, previous| EtaInput {
            status: Status::Queued,
            stage: Some(1),
            run: None,
            claimed_at: None,
            previous,
            queue_position: Some(position),
            recent_run_ms: Some(60_000),
            workers: 2,
            now_ms: 1_000_000,
        };
        // Next in line: its own previous length (131 s).
        assert_eq!(eta_seconds(&input(1, Some(&previous))), Some(131));
        // 4 runs ahead on 2 workers: 2 recent run lengths of waiting.
        assert_eq!(eta_seconds(&input(5, Some(&previous))), Some(131 + 120));
        // Never trained: a recent run's length for itself too.
        assert_eq!(eta_seconds(&input(3, None)), Some(60 + 60));
        // No run ever finished: nothing to go on.
        let mut unknown = input(3, None);
        unknown.recent_run_ms = None;
        assert_eq!(eta_seconds(&unknown), None);
        // Resumed after a pause, back in the queue: what is left of the run,
        // without counting the time it sat paused.
        let run = times(&[st(1, 10, 10, 1_000), st(4, 10, 5, 50_000)], 0);
        let mut resumed = input(1, Some(&previous));
        resumed.stage = Some(4);
        resumed.run = Some(&run);
        // 5 items: half measured (10 s each) half history (10 s each).
        assert_eq!(eta_seconds(&resumed), Some(50));
    }

    #[test]
    fn no_eta_unless_queued_or_training() {
        let previous = previous_run();
        let run = times(&[st(1, 10, 10, 1_000), st(2, 10, 5, 5_000)], 6_000);
        for status in [
            Status::Paused,
            Status::Pending,
            Status::Completed,
            Status::Failed,
        ] {
            let mut input = training(2, &run, Some(&previous));
            input.status = status;
            input.recent_run_ms = Some(10_000);
            input.queue_position = Some(1);
            assert_eq!(eta_seconds(&input), None, "{status:?}");
        }
    }

    #[test]
    fn paused_time_before_a_claim_is_not_stage_time() {
        // Written at 6 s, paused, claimed again at 100 s, now 101 s: only 1 s counts.
        let run = times(&[st(1, 10, 10, 1_000), st(4, 10, 5, 5_000)], 6_000);
        let mut input = training(4, &run, None);
        input.claimed_at = Some(100_000);
        input.now_ms = 101_000;
        assert_eq!(eta_seconds(&input), Some(4));
    }

    #[test]
    fn run_times_json() {
        let mut t = RunTimes::default();
        t.stage_mut(2).done = 3;
        t.stage_mut(2).total = 5;
        t.stage_mut(1).item_ms = 10;
        t.at = 7;
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(RunTimes::parse(Some(&json)), Some(t.clone()));
        assert_eq!(t.stage(2).map(|s| (s.done, s.total)), Some((3, 5)));
        assert_eq!(t.total_ms(), 10);
        assert_eq!(RunTimes::parse(Some("not json")), None);
        assert_eq!(RunTimes::parse(None), None);
    }
}
