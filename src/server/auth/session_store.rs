use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::server::store::Store;

/// Sessions kept in the app's database (`sessions` table), so they survive restarts,
/// with a short-lived in-memory cache so that reading a session (every request)
/// costs no database round trip. Reads never write.
#[derive(Clone)]
pub struct DbSessionStore {
    store: Store,
    cache: std::sync::Arc<RwLock<HashMap<Id, (Record, Instant)>>>,
    ttl: Duration,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(store: Store) -> Self {
        DbSessionStore {
            store,
            cache: Default::default(),
            ttl: Duration::from_secs(1),
        }
    }

    // A panic while the cache is held poisons the lock. Every entry is written
    // whole, so the map is still sound: it is used on, and one panic never turns
    // every later session read into a database read.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<Id, (Record, Instant)>> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<Id, (Record, Instant)>> {
        self.cache.write().unwrap_or_else(|e| e.into_inner())
    }

    fn cached(&self, id: &Id) -> Option<Record> {
        let cache = self.read();
        let (record, at) = cache.get(id)?;
        (at.elapsed() < self.ttl).then(|| record.clone())
    }

    fn remember(&self, record: &Record) {
        let mut cache = self.write();
        if cache.len() > 50_000 {
            let ttl = self.ttl;
            cache.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        cache.insert(record.id, (record.clone(), Instant::now()));
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts a new record, drawing a new id while the drawn one is taken.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = |r: &Record| {
            serde_json::to_vec(r).map_err(|e| session_store::Error::Encode(e.to_string()))
        };
        for _ in 0..8 {
            let inserted = self
                .store
                .insert_session(
                    &record.id.to_string(),
                    &data(record)?,
                    record.expiry_date.unix_timestamp(),
                )
                .await
                .map_err(backend)?;
            if inserted {
                self.remember(record);
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(session_store::Error::Backend(
            "cannot draw a free session id".into(),
        ))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data =
            serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.store
            .save_session(
                &record.id.to_string(),
                &data,
                record.expiry_date.unix_timestamp(),
            )
            .await
            .map_err(backend)?;
        self.remember(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time_now();
        if let Some(record) = self.cached(id) {
            return Ok((record.expiry_date.unix_timestamp() > now).then_some(record));
        }
        let Some(data) = self
            .store
            .load_session(&id.to_string(), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let record: Record = serde_json::from_slice(&data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        self.remember(&record);
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.write().remove(id);
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}

fn time_now() -> i64 {
    chrono::Utc::now().timestamp()
}
