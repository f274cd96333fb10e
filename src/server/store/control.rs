//! The control channel between instances: PostgreSQL `NOTIFY` on one channel,
//! with small payloads (`pause:<dataset>`, `cancel:<dataset>`, `wake`), read by
//! a dedicated listener connection that reconnects by itself. On SQLite (one
//! instance) there is no channel: the process signals its own tasks.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Backend, Store};

/// The one channel every instance listens on.
pub const CHANNEL: &str = "datatrain_control";

/// What one instance tells the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// The dataset's run was paused: stop it after its current item.
    Pause(i64),
    /// The dataset's run was cancelled.
    Cancel(i64),
    /// A run was queued or resumed: look for work.
    Wake,
}

impl Control {
    pub fn payload(&self) -> String {
        match self {
            Control::Pause(d) => format!("pause:{d}"),
            Control::Cancel(d) => format!("cancel:{d}"),
            Control::Wake => "wake".into(),
        }
    }

    pub fn parse(payload: &str) -> Option<Control> {
        match payload.split_once(':') {
            None if payload == "wake" => Some(Control::Wake),
            Some(("pause", d)) => d.parse().ok().map(Control::Pause),
            Some(("cancel", d)) => d.parse().ok().map(Control::Cancel),
            _ => None,
        }
    }
}

impl Store {
    /// Tells every instance (itself included). Best effort: a failure is logged,
    /// the polling fallback still delivers the change.
    pub async fn notify(&self, control: Control) {
        if self.backend != Backend::Postgres {
            return;
        }
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(control.payload())
            .execute(&self.pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot send a control signal");
        }
    }

    /// The signals sent by every instance, until `stop` (None on SQLite).
    pub async fn control_signals(
        &self,
        stop: CancellationToken,
    ) -> Option<mpsc::Receiver<Control>> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let (tx, rx) = mpsc::channel(256);
        let wake = tx.clone();
        spawn_listener(
            self.url.clone(),
            CHANNEL,
            stop,
            // Signals sent while the listener was away are lost; the running
            // tasks' checkpoints and the claim loop's polling catch up.
            move || {
                let _ = wake.try_send(Control::Wake);
            },
            move |payload| match Control::parse(payload) {
                Some(c) => tx.try_send(c).is_ok() || !tx.is_closed(),
                None => true,
            },
        );
        Some(rx)
    }
}

/// Listens on `channel` with a dedicated connection that reconnects by itself,
/// until `stop`: `connected` runs on every (re)connection, `handle` on every
/// payload (returning `false` ends the listener).
pub(super) fn spawn_listener(
    url: std::sync::Arc<str>,
    channel: &'static str,
    stop: CancellationToken,
    connected: impl Fn() + Send + 'static,
    handle: impl Fn(&str) -> bool + Send + 'static,
) {
    tokio::spawn(async move {
        loop {
            let listener = async {
                let mut l = PgListener::connect(&url).await?;
                l.listen(channel).await?;
                Ok::<_, sqlx::Error>(l)
            };
            let mut listener = tokio::select! {
                _ = stop.cancelled() => return,
                l = listener => match l {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, channel, "cannot listen; retrying");
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        }
                    }
                },
            };
            connected();
            loop {
                let got = tokio::select! {
                    _ = stop.cancelled() => return,
                    n = listener.try_recv() => n,
                };
                match got {
                    Ok(Some(n)) => {
                        if !handle(n.payload()) {
                            return;
                        }
                    }
                    // The connection was lost: reconnect.
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, channel, "listener failed; reconnecting");
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for c in [Control::Pause(12), Control::Cancel(7), Control::Wake] {
            assert_eq!(Control::parse(&c.payload()), Some(c));
        }
        assert_eq!(Control::parse("pause:x"), None);
        assert_eq!(Control::parse("other"), None);
    }
}
