//! Run events for push clients (server-sent events).
//!
//! One hub per instance hears the store's change signals (from every instance
//! on PostgreSQL), reads what moved once — the dataset's new log lines and its
//! progress — and fans it out to every open stream of this instance. A stream
//! replays what its client missed from the store (`Last-Event-ID`), then
//! follows the hub. Each stream has a bounded queue: a client that does not
//! take its events is dropped (it reconnects with `Last-Event-ID` and misses
//! nothing), never buffered without end.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::Services;
use super::training::log_entry;
use crate::domain::dto::{LogEntry, Progress};
use crate::domain::error::AppError;
use crate::domain::status::Status;
use crate::server::auth::CurrentUser;
use crate::server::store::{Changed, LogScope};

/// Hub messages kept for streams that fall behind (they then resynchronise
/// from the store).
const HUB_BUFFER: usize = 1024;
/// Events queued for one client; when it stays full for [`SLOW_CLIENT`], the
/// client is dropped.
pub const STREAM_QUEUE: usize = 256;
const SLOW_CLIENT: Duration = Duration::from_secs(10);
/// Log lines read at once (replay and hub).
const LOG_PAGE: i64 = 500;
/// Open streams per instance.
pub const STREAMS_MAX: usize = 4096;
/// A stream ends after this long; the client reconnects (and is authenticated
/// again: a revoked token or an ended session stops following).
pub const STREAM_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// What one dataset's change produced, read once by the hub.
#[derive(Debug)]
pub struct DatasetEvents {
    pub dataset_id: i64,
    pub owner_id: i64,
    /// New log lines, oldest first.
    pub logs: Vec<LogEntry>,
    /// `(from, to)` when the status moved since the hub's last look.
    pub status: Option<(Status, Status)>,
    /// `None`: the dataset was deleted.
    pub progress: Option<Progress>,
}

/// The hub's sending side (cheap to clone).
#[derive(Clone)]
pub(super) struct EventHub {
    tx: broadcast::Sender<Arc<DatasetEvents>>,
    streams: Arc<Semaphore>,
    /// Cancelled when the instance shuts down: every stream ends (a graceful
    /// shutdown waits for open responses).
    stop: CancellationToken,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            tx: broadcast::channel(HUB_BUFFER).0,
            streams: Arc::new(Semaphore::new(STREAMS_MAX)),
            stop: CancellationToken::new(),
        }
    }
}

/// Whose events a stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamScope {
    Dataset(i64),
    /// Every dataset of the caller.
    All,
}

/// One event as a stream sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// `progress`, `log` or `status`.
    pub kind: &'static str,
    /// The stream's cursor: the newest log line id it has sent.
    pub id: i64,
    pub data: serde_json::Value,
}

/// What the hub remembers of a dataset.
struct Seen {
    owner_id: i64,
    status: Status,
    last_log: i64,
    progress: Option<Progress>,
}

impl Services {
    /// Runs this instance's event hub until `stop`.
    pub fn start_event_hub(&self, stop: CancellationToken) {
        self.inner.store.listen_changes(stop.clone());
        // Subscribed before the snapshot is read, so nothing falls between them.
        let changes = self.inner.store.subscribe_changes();
        let services = self.clone();
        let streams_stop = self.inner.events.stop.clone();
        tokio::spawn(async move {
            services.hub_loop(changes, stop).await;
            streams_stop.cancel();
        });
    }

    async fn hub_loop(&self, mut changes: broadcast::Receiver<Changed>, stop: CancellationToken) {
        let mut seen = loop {
            match self.hub_snapshot().await {
                Ok(s) => break s,
                Err(e) => {
                    tracing::warn!(error = %e, "event hub cannot read the datasets; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        };
        loop {
            let first = tokio::select! {
                _ = stop.cancelled() => return,
                c = changes.recv() => c,
            };
            // Everything already waiting is read with the first: one read per
            // dataset however many signals it sent meanwhile.
            let mut pending: Vec<i64> = Vec::new();
            let mut all = false;
            let mut next = Some(first);
            while let Some(got) = next.take() {
                match got {
                    Ok(Changed::Dataset(d)) => {
                        if !pending.contains(&d) {
                            pending.push(d);
                        }
                    }
                    Ok(Changed::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => all = true,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
                next = match changes.try_recv() {
                    Ok(c) => Some(Ok(c)),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        Some(Err(broadcast::error::RecvError::Lagged(n)))
                    }
                    Err(_) => None,
                };
            }
            if all {
                match self.inner.store.dataset_heads().await {
                    Ok(heads) => pending = heads.into_iter().map(|(id, _, _)| id).collect(),
                    Err(e) => tracing::warn!(error = %e, "event hub cannot list the datasets"),
                }
            }
            for d in pending {
                if let Err(e) = self.hub_read(&mut seen, d).await {
                    tracing::warn!(error = %e, dataset = d, "event hub cannot read a change");
                }
            }
        }
    }

    async fn hub_snapshot(&self) -> Result<HashMap<i64, Seen>, AppError> {
        let store = &self.inner.store;
        let cursors: HashMap<i64, i64> = store.log_cursors().await?.into_iter().collect();
        Ok(store
            .dataset_heads()
            .await?
            .into_iter()
            .map(|(id, owner_id, status)| {
                let seen = Seen {
                    owner_id,
                    status,
                    last_log: cursors.get(&id).copied().unwrap_or(0),
                    progress: None,
                };
                (id, seen)
            })
            .collect())
    }

    /// Reads dataset `d`'s change and publishes it, if anything moved.
    async fn hub_read(&self, seen: &mut HashMap<i64, Seen>, d: i64) -> Result<(), AppError> {
        let store = &self.inner.store;
        let entry = match seen.entry(d) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                // Created after the snapshot: everything of it is new.
                let Some(row) = store.dataset(d).await? else {
                    return Ok(());
                };
                e.insert(Seen {
                    owner_id: row.owner_id,
                    status: Status::Pending,
                    last_log: 0,
                    progress: None,
                })
            }
        };
        let mut logs = Vec::new();
        loop {
            let page = store
                .logs_after(LogScope::Dataset(d), entry.last_log, LOG_PAGE)
                .await?;
            let full = page.len() as i64 == LOG_PAGE;
            if let Some(last) = page.last() {
                entry.last_log = last.id;
            }
            logs.extend(page.into_iter().map(log_entry));
            if !full {
                break;
            }
        }
        let progress = match self.progress_of(entry.owner_id, d).await {
            Ok(p) => Some(p),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let status = match &progress {
            Some(p) if p.status != entry.status => Some((entry.status, p.status)),
            _ => None,
        };
        if logs.is_empty() && status.is_none() && progress == entry.progress {
            return Ok(());
        }
        let owner_id = entry.owner_id;
        if let Some(p) = &progress {
            entry.status = p.status;
            entry.progress = Some(p.clone());
        } else {
            seen.remove(&d);
        }
        // No stream open is fine.
        let _ = self.inner.events.tx.send(Arc::new(DatasetEvents {
            dataset_id: d,
            owner_id,
            logs,
            status,
            progress,
        }));
        Ok(())
    }

    /// Opens an event stream for `user`: what it missed after `last_event_id`
    /// (log lines, then the current progress), then every event as it happens.
    /// 404 for a dataset that is not theirs; 503 when the instance has
    /// [`STREAMS_MAX`] streams open.
    pub async fn open_event_stream(
        &self,
        user: &CurrentUser,
        scope: StreamScope,
        last_event_id: Option<i64>,
    ) -> Result<mpsc::Receiver<StreamEvent>, AppError> {
        if let StreamScope::Dataset(id) = scope {
            self.owned(user, id).await?;
        }
        let permit = self
            .inner
            .events
            .streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::Unavailable("Too many event streams; try again".into()))?;
        // Subscribed before the replay is read, so nothing falls between them.
        let hub = self.inner.events.tx.subscribe();
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        let stream = Stream {
            services: self.clone(),
            stop: self.inner.events.stop.clone(),
            owner_id: user.id,
            scope,
            tx,
            cursor: last_event_id.unwrap_or(0).max(0),
            sent: HashMap::new(),
            base: last_event_id.unwrap_or(0).max(0),
        };
        tokio::spawn(async move {
            let _permit = permit;
            stream.run(hub, last_event_id.is_some()).await;
        });
        Ok(rx)
    }
}

/// One client's stream (its task owns it).
struct Stream {
    services: Services,
    stop: CancellationToken,
    owner_id: i64,
    scope: StreamScope,
    tx: mpsc::Sender<StreamEvent>,
    /// The newest log line id sent (or known when the stream opened).
    cursor: i64,
    /// Per dataset, the newest line sent; lines of different datasets can reach
    /// the hub out of id order, so each dataset is deduplicated on its own.
    sent: HashMap<i64, i64>,
    /// Lines up to this id were there before the stream (or its replay) began.
    base: i64,
}

/// The client is gone or too slow: the stream ends.
struct Dropped;

impl Stream {
    fn log_scope(&self) -> LogScope {
        match self.scope {
            StreamScope::Dataset(d) => LogScope::Dataset(d),
            StreamScope::All => LogScope::Owner(self.owner_id),
        }
    }

    fn follows(&self, e: &DatasetEvents) -> bool {
        match self.scope {
            StreamScope::Dataset(d) => e.dataset_id == d,
            StreamScope::All => e.owner_id == self.owner_id,
        }
    }

    async fn run(mut self, mut hub: broadcast::Receiver<Arc<DatasetEvents>>, replay: bool) {
        let ended = tokio::time::sleep(STREAM_LIFETIME);
        tokio::pin!(ended);
        if self.catch_up(replay).await.is_err() {
            return;
        }
        loop {
            let got = tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = &mut ended => return,
                _ = self.tx.closed() => return,
                e = hub.recv() => e,
            };
            let sent = match got {
                Ok(e) if self.follows(&e) => self.forward(&e).await,
                Ok(_) => Ok(()),
                // This task fell behind the hub (not the client): read again.
                Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up(true).await,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if sent.is_err() {
                return;
            }
        }
    }

    /// Log lines after the cursor (when `replay`), then every followed dataset's progress.
    async fn catch_up(&mut self, replay: bool) -> Result<(), Dropped> {
        let services = self.services.clone();
        let store = &services.inner.store;
        let scope = self.log_scope();
        if replay {
            loop {
                let Ok(page) = store.logs_after(scope, self.cursor, LOG_PAGE).await else {
                    return Err(Dropped);
                };
                let full = page.len() as i64 == LOG_PAGE;
                for line in page {
                    let dataset_id = line.dataset_id;
                    self.send_log(dataset_id, log_entry(line)).await?;
                }
                if !full {
                    break;
                }
            }
        } else {
            self.cursor = store.last_log_id(scope).await.map_err(|_| Dropped)?;
            self.base = self.cursor;
        }
        let ids = match self.scope {
            StreamScope::Dataset(d) => vec![d],
            StreamScope::All => match store.datasets_of(self.owner_id).await {
                Ok(rows) => rows.into_iter().rev().map(|r| r.id).collect(),
                Err(_) => return Err(Dropped),
            },
        };
        for d in ids {
            match services.progress_of(self.owner_id, d).await {
                Ok(p) => self.send_progress(d, &p).await?,
                // Deleted meanwhile: a dataset stream ends, the others go on.
                Err(AppError::NotFound(_)) if self.scope == StreamScope::All => {}
                Err(_) => return Err(Dropped),
            }
        }
        Ok(())
    }

    async fn forward(&mut self, e: &DatasetEvents) -> Result<(), Dropped> {
        let after = self.sent.get(&e.dataset_id).copied().unwrap_or(self.base);
        for line in &e.logs {
            if line.id > after {
                self.send_log(e.dataset_id, line.clone()).await?;
            }
        }
        if let Some((from, to)) = e.status {
            let data = serde_json::json!({
                "dataset_id": e.dataset_id,
                "status": to,
                "previous_status": from,
            });
            self.send("status", data).await?;
        }
        match &e.progress {
            Some(p) => self.send_progress(e.dataset_id, p).await,
            // The followed dataset was deleted: nothing more will come.
            None if self.scope == StreamScope::Dataset(e.dataset_id) => Err(Dropped),
            None => Ok(()),
        }
    }

    /// A log event's id is its line's id, so a client that reconnects gets
    /// again (rather than loses) a line that came out of order.
    async fn send_log(&mut self, dataset_id: i64, line: LogEntry) -> Result<(), Dropped> {
        let id = line.id;
        self.cursor = self.cursor.max(id);
        self.sent.insert(dataset_id, id);
        let data = self.with_dataset(dataset_id, serde_json::to_value(line).unwrap_or_default());
        self.send_with_id("log", id, data).await
    }

    async fn send_progress(&mut self, dataset_id: i64, p: &Progress) -> Result<(), Dropped> {
        let data = self.with_dataset(dataset_id, serde_json::to_value(p).unwrap_or_default());
        self.send("progress", data).await
    }

    /// The stream of all datasets names the dataset of each event; a dataset's
    /// own stream sends exactly the JSON of its REST counterpart.
    fn with_dataset(&self, dataset_id: i64, mut data: serde_json::Value) -> serde_json::Value {
        if self.scope == StreamScope::All
            && let Some(map) = data.as_object_mut()
        {
            map.insert("dataset_id".into(), dataset_id.into());
        }
        data
    }

    async fn send(&self, kind: &'static str, data: serde_json::Value) -> Result<(), Dropped> {
        self.send_with_id(kind, self.cursor, data).await
    }

    async fn send_with_id(
        &self,
        kind: &'static str,
        id: i64,
        data: serde_json::Value,
    ) -> Result<(), Dropped> {
        let event = StreamEvent { kind, id, data };
        self.tx
            .send_timeout(event, SLOW_CLIENT)
            .await
            .map_err(|_| Dropped)
    }
}
