//! The event channel: "this dataset changed" (its status, progress or log),
//! said after the write committed, heard by every instance.
//!
//! On SQLite (one instance) it is an in-process broadcast. On PostgreSQL the
//! store sends `NOTIFY datatrain_events, '<dataset id>'` and every instance's
//! listener (started by [`Store::listen_changes`]) feeds the same broadcast, so
//! readers subscribe the same way on both stores. A change says only *which*
//! dataset moved; readers read what moved from the store (the store stays the
//! one truth, and a lost signal costs only latency, never data).

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::control::spawn_listener;
use super::{Backend, Store};

/// The channel every instance listens on for changes.
pub const EVENTS_CHANNEL: &str = "datatrain_events";

/// Signals buffered for slow subscribers before they lag (and resynchronise).
const BUFFER: usize = 4096;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// A dataset's status, progress or log.
    Dataset(i64),
    /// Signals may have been lost (the listener reconnected): re-read everything.
    Resync,
}

impl Changed {
    pub fn payload(&self) -> String {
        match self {
            Changed::Dataset(d) => d.to_string(),
            Changed::Resync => "resync".into(),
        }
    }

    pub fn parse(payload: &str) -> Option<Changed> {
        match payload {
            "resync" => Some(Changed::Resync),
            d => d.parse().ok().map(Changed::Dataset),
        }
    }
}

/// The sending side, shared by every clone of a [`Store`].
#[derive(Clone)]
pub(super) struct Changes(broadcast::Sender<Changed>);

impl Changes {
    pub(super) fn new() -> Self {
        Changes(broadcast::channel(BUFFER).0)
    }
}

impl Store {
    /// Says that `what` changed (call it after the commit). Best effort: a
    /// failure is logged; readers also catch up on their next signal.
    pub async fn changed(&self, what: Changed) {
        match self.backend {
            Backend::Sqlite => {
                // No subscriber yet is fine.
                let _ = self.changes.0.send(what);
            }
            Backend::Postgres => {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(EVENTS_CHANNEL)
                    .bind(what.payload())
                    .execute(&self.pool)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "cannot send a change signal");
                }
            }
        }
    }

    /// Commits `tx`, then says that the dataset changed.
    pub(crate) async fn commit_changed(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Any>,
        dataset_id: i64,
    ) -> Result<(), super::StoreError> {
        tx.commit().await?;
        self.changed(Changed::Dataset(dataset_id)).await;
        Ok(())
    }

    /// Every change signal from now on (from every instance once
    /// [`Store::listen_changes`] runs on PostgreSQL).
    pub fn subscribe_changes(&self) -> broadcast::Receiver<Changed> {
        self.changes.0.subscribe()
    }

    /// PostgreSQL: feeds the other instances' (and this one's) signals into
    /// [`Store::subscribe_changes`] until `stop`. Call it once per instance.
    /// Nothing to do on SQLite.
    pub fn listen_changes(&self, stop: CancellationToken) {
        if self.backend != Backend::Postgres {
            return;
        }
        let on_connect = self.changes.clone();
        let feed = self.changes.clone();
        spawn_listener(
            self.url.clone(),
            EVENTS_CHANNEL,
            stop,
            // After a (re)connection, what was said meanwhile is unknown.
            move || {
                let _ = on_connect.0.send(Changed::Resync);
            },
            move |payload| {
                if let Some(c) = Changed::parse(payload) {
                    let _ = feed.0.send(c);
                }
                true
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for c in [Changed::Dataset(42), Changed::Resync] {
            assert_eq!(Changed::parse(&c.payload()), Some(c));
        }
        assert_eq!(Changed::parse("x"), None);
    }
}
