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
        let url = self.url.clone();
        tokio::spawn(async move {
            loop {
                let listener = async {
                    let mut l = PgListener::connect(&url).await?;
                    l.listen(CHANNEL).await?;
                    Ok::<_, sqlx::Error>(l)
                };
                let mut listener = tokio::select! {
                    _ = stop.cancelled() => return,
                    l = listener => match l {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot listen for control signals; retrying");
                            tokio::select! {
                                _ = stop.cancelled() => return,
                                _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                            }
                        }
                    },
                };
                // Signals sent while the listener was away are lost; the running
                // tasks' checkpoints and the claim loop's polling catch up.
                let _ = tx.send(Control::Wake).await;
                loop {
                    let got = tokio::select! {
                        _ = stop.cancelled() => return,
                        n = listener.try_recv() => n,
                    };
                    match got {
                        Ok(Some(n)) => {
                            if let Some(c) = Control::parse(n.payload())
                                && tx.send(c).await.is_err()
                            {
                                return;
                            }
                        }
                        // The connection was lost: reconnect.
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "control listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
        });
        Some(rx)
    }
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
