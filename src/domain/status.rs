//! Dataset statuses and the one function that decides every status change.
//!
//! The store applies a decision with a conditional write (`… WHERE status = <the
//! status the decision was made from>`), so a decision made on stale data never
//! lands.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Never trained, or training data deleted: at rest.
    Pending,
    /// Waiting for a worker.
    Queued,
    Training,
    Paused,
    Completed,
    Failed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Pending,
        Status::Queued,
        Status::Training,
        Status::Paused,
        Status::Completed,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Queued => "queued",
            Status::Training => "training",
            Status::Paused => "paused",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A run is in progress: the UI polls while this holds.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Queued | Status::Training)
    }

    /// A run exists that has not ended (it can be resumed or cancelled).
    pub fn has_open_run(self) -> bool {
        matches!(self, Status::Queued | Status::Training | Status::Paused)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A training run's status: a dataset's while it runs, and `cancelled` once a
/// user cancelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Training,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Training,
        RunStatus::Paused,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Training => "training",
            RunStatus::Paused => "paused",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The run's status for a dataset status the state machine decided.
    pub fn of(status: Status) -> Option<RunStatus> {
        match status {
            Status::Queued => Some(RunStatus::Queued),
            Status::Training => Some(RunStatus::Training),
            Status::Paused => Some(RunStatus::Paused),
            Status::Completed => Some(RunStatus::Completed),
            Status::Failed => Some(RunStatus::Failed),
            Status::Pending => None,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is asked of a dataset's training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A user starts training.
    Start,
    /// A worker claims the queued run.
    Claim,
    /// A user pauses.
    Pause,
    /// A user resumes a paused run.
    Resume,
    /// A user cancels: the dataset returns to the status it had before the run.
    Cancel { before_run: Status },
    /// The run's last stage ended.
    Finish,
    /// The run hit an error.
    Fail,
    /// A worker hands its run back (graceful shutdown, or a stale run recovered).
    Requeue,
    /// A user deletes the training data.
    DeleteData,
}

/// Why an event is refused; the REST layer maps `Conflict` to 409 and `Invalid` to 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request is fine but the current state blocks it (a run is in progress).
    Conflict(&'static str),
    /// The request makes no sense in the current state.
    Invalid(&'static str),
}

impl Refusal {
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::Conflict(m) | Refusal::Invalid(m) => m,
        }
    }
}

pub const MSG_ALREADY_TRAINING: &str = "Dataset is already queued or training";
pub const MSG_PAUSED_RUN: &str = "Dataset has a paused run: resume or cancel it first";
pub const MSG_NOT_TRAINING: &str = "Dataset is not training";
pub const MSG_NOT_PAUSED: &str = "Dataset is not paused";
pub const MSG_NOTHING_TO_CANCEL: &str = "Dataset has no training to cancel";
pub const MSG_DELETE_WHILE_TRAINING: &str = "Training is in progress: pause or cancel it first";
pub const MSG_WORKER_STALE: &str = "The run is no longer in the state this worker expected";

/// The status after `event` happens to a dataset in `from`, or why it cannot.
///
/// `DeleteData` on a paused dataset is allowed: the caller cancels the paused
/// run first, then the dataset is `pending`.
pub fn transition(from: Status, event: Event) -> Result<Status, Refusal> {
    use Event as E;
    use Status as S;
    match (event, from) {
        (E::Start, S::Pending | S::Completed | S::Failed) => Ok(S::Queued),
        (E::Start, S::Queued | S::Training) => Err(Refusal::Conflict(MSG_ALREADY_TRAINING)),
        (E::Start, S::Paused) => Err(Refusal::Conflict(MSG_PAUSED_RUN)),

        (E::Claim, S::Queued) => Ok(S::Training),
        (E::Pause, S::Queued | S::Training) => Ok(S::Paused),
        (E::Pause, _) => Err(Refusal::Invalid(MSG_NOT_TRAINING)),
        (E::Resume, S::Paused) => Ok(S::Queued),
        (E::Resume, _) => Err(Refusal::Invalid(MSG_NOT_PAUSED)),

        // A run only ever starts from pending, completed or failed, so only those can be restored.
        (E::Cancel { before_run }, S::Queued | S::Training | S::Paused)
            if matches!(before_run, S::Pending | S::Completed | S::Failed) =>
        {
            Ok(before_run)
        }
        (E::Cancel { .. }, _) => Err(Refusal::Invalid(MSG_NOTHING_TO_CANCEL)),

        (E::Finish, S::Training) => Ok(S::Completed),
        (E::Fail, S::Training) => Ok(S::Failed),
        (E::Requeue, S::Training) => Ok(S::Queued),
        (E::Claim | E::Finish | E::Fail | E::Requeue, _) => {
            Err(Refusal::Conflict(MSG_WORKER_STALE))
        }

        (E::DeleteData, S::Queued | S::Training) => {
            Err(Refusal::Conflict(MSG_DELETE_WHILE_TRAINING))
        }
        (E::DeleteData, S::Pending | S::Paused | S::Completed | S::Failed) => Ok(S::Pending),
    }
}

/// The status of the dataset's run once `event` moved the dataset to `to`: a
/// cancelled run, and the paused run whose data is deleted, end `cancelled`;
/// otherwise the run follows its dataset.
pub fn run_status_after(event: Event, to: Status) -> Option<RunStatus> {
    match event {
        Event::Cancel { .. } | Event::DeleteData => Some(RunStatus::Cancelled),
        _ => RunStatus::of(to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    /// The full table: every event against every status.
    #[test]
    fn transition_table() {
        let ok = |s| Ok::<Status, Refusal>(s);
        let conflict = |m| Err::<Status, Refusal>(Refusal::Conflict(m));
        let invalid = |m| Err::<Status, Refusal>(Refusal::Invalid(m));
        let c = Event::Cancel {
            before_run: Completed,
        };
        #[rustfmt::skip]
        let table: Vec<(Event, [Result<Status, Refusal>; 6])> = vec![
            //                  Pending,                       Queued,                            Training,                          Paused,                          Completed,                     Failed
            (Event::Start,      [ok(Queued),                   conflict(MSG_ALREADY_TRAINING),    conflict(MSG_ALREADY_TRAINING),    conflict(MSG_PAUSED_RUN),        ok(Queued),                    ok(Queued)]),
            (Event::Claim,      [conflict(MSG_WORKER_STALE),   ok(Training),                      conflict(MSG_WORKER_STALE),        conflict(MSG_WORKER_STALE),      conflict(MSG_WORKER_STALE),    conflict(MSG_WORKER_STALE)]),
            (Event::Pause,      [invalid(MSG_NOT_TRAINING),    ok(Paused),                        ok(Paused),                        invalid(MSG_NOT_TRAINING),       invalid(MSG_NOT_TRAINING),     invalid(MSG_NOT_TRAINING)]),
            (Event::Resume,     [invalid(MSG_NOT_PAUSED),      invalid(MSG_NOT_PAUSED),           invalid(MSG_NOT_PAUSED),           ok(Queued),                      invalid(MSG_NOT_PAUSED),       invalid(MSG_NOT_PAUSED)]),
            (c,                 [invalid(MSG_NOTHING_TO_CANCEL), ok(Completed),                   ok(Completed),                     ok(Completed),                   invalid(MSG_NOTHING_TO_CANCEL), invalid(MSG_NOTHING_TO_CANCEL)]),
            (Event::Finish,     [conflict(MSG_WORKER_STALE),   conflict(MSG_WORKER_STALE),        ok(Completed),                     conflict(MSG_WORKER_STALE),      conflict(MSG_WORKER_STALE),    conflict(MSG_WORKER_STALE)]),
            (Event::Fail,       [conflict(MSG_WORKER_STALE),   conflict(MSG_WORKER_STALE),        ok(Failed),                        conflict(MSG_WORKER_STALE),      conflict(MSG_WORKER_STALE),    conflict(MSG_WORKER_STALE)]),
            (Event::Requeue,    [conflict(MSG_WORKER_STALE),   conflict(MSG_WORKER_STALE),        ok(Queued),                        conflict(MSG_WORKER_STALE),      conflict(MSG_WORKER_STALE),    conflict(MSG_WORKER_STALE)]),
            (Event::DeleteData, [ok(Pending),                  conflict(MSG_DELETE_WHILE_TRAINING), conflict(MSG_DELETE_WHILE_TRAINING), ok(Pending),                 ok(Pending),                   ok(Pending)]),
        ];
        for (event, expected) in table {
            for (from, want) in Status::ALL.into_iter().zip(expected) {
                assert_eq!(transition(from, event), want, "{event:?} from {from:?}");
            }
        }
    }

    #[test]
    fn cancel_restores_the_status_before_the_run() {
        for before in [Pending, Completed, Failed] {
            for from in [Queued, Training, Paused] {
                assert_eq!(
                    transition(from, Event::Cancel { before_run: before }),
                    Ok(before)
                );
            }
        }
        // A corrupt "before" status is refused rather than restored.
        assert!(
            transition(
                Training,
                Event::Cancel {
                    before_run: Training
                }
            )
            .is_err()
        );
    }

    #[test]
    fn runs_follow_their_dataset_except_when_cancelled() {
        assert_eq!(
            run_status_after(Event::Claim, Training),
            Some(RunStatus::Training)
        );
        assert_eq!(
            run_status_after(Event::Finish, Completed),
            Some(RunStatus::Completed)
        );
        assert_eq!(
            run_status_after(Event::Requeue, Queued),
            Some(RunStatus::Queued)
        );
        let cancel = Event::Cancel { before_run: Failed };
        assert_eq!(run_status_after(cancel, Failed), Some(RunStatus::Cancelled));
        assert_eq!(
            run_status_after(Event::DeleteData, Pending),
            Some(RunStatus::Cancelled)
        );
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(Status::parse("Training"), None);
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RunStatus::parse("pending"), None);
        assert_eq!(RunStatus::of(Completed), Some(RunStatus::Completed));
        assert_eq!(RunStatus::of(Pending), None);
    }
}
