//! The metadata store: the only module that holds SQL.
//!
//! One `AnyPool` serves SQLite (default) and PostgreSQL. Queries use `$1`-style
//! placeholders, which both accept; the few statements that differ (full-text
//! search) branch on [`Backend`]. Timestamps are stored as integer milliseconds
//! since the Unix epoch and formatted at the edge.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::MigrateDatabase;
use sqlx::{Any, AnyPool, Executor};
use std::time::Duration;

mod codec;
mod control;
mod curation;
mod datasets;
mod events;
mod fts;
mod items;
mod logs;
mod runs;
mod sessions;
mod throttle;
mod tokens;
mod users;
mod webhooks;

pub use control::Control;
pub use curation::{ExampleRow, ExclusionRow, ItemFilter, ItemRow};
pub use datasets::{DatasetPatch, DatasetRow, DocRow, StoredSource};
pub use events::{Changed, EVENTS_CHANNEL};
pub use items::{ItemTerms, NewItem, SearchHit};
pub use logs::{LogRow, LogScope};
pub use runs::{FlushOutcome, ProgressRow, RunLength, RunRow, StartRun};
pub use throttle::Limit;
pub use tokens::{TokenOwner, TokenRow};
pub use users::UserRow;
pub use webhooks::{Attempt, DueDelivery};

/// Which database the pool talks to: only the store ever needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The URL it was opened with (the control listener opens its own connection).
    url: std::sync::Arc<str>,
    /// Says which dataset changed, to this instance's readers (see [`events`]).
    changes: events::Changes,
    /// SQLite: the OS lock that keeps a second instance off this database.
    _instance_lock: Option<std::sync::Arc<std::fs::File>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot prepare the database file: {0}")]
    Io(#[from] std::io::Error),
    /// A unique constraint refused the write (a taken name, a second active run).
    #[error("unique constraint violated")]
    Unique,
    /// A per-user limit refused the write (too many active runs).
    #[error("limit reached")]
    Limit,
    /// Another instance holds this SQLite database.
    #[error(
        "another datatrain instance ({0}) uses this SQLite database; SQLite serves one instance: \
         stop it, or use a PostgreSQL store (DATATRAIN_DATABASE_URL) for several instances"
    )]
    InUse(String),
    /// The state machine refused a worker's step.
    #[error("transition refused: {0}")]
    Refused(&'static str),
}

/// Turns unique-constraint violations into [`StoreError::Unique`]; everything else stays a database error.
pub(crate) fn unique(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Unique,
        _ => StoreError::Db(e),
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Connects (creating an SQLite file and its folder if needed) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Store::connect_as(url, None).await
    }

    /// Connects as the instance `instance`: on SQLite, which serves one
    /// instance only, an OS lock on `<file>.lock` (released when the process
    /// ends, however it ends) refuses a second instance, naming the first.
    pub async fn connect_as(url: &str, instance: Option<&str>) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        if backend == Backend::Sqlite
            && let Some(dir) = sqlite_file(url).and_then(|p| p.parent().map(|d| d.to_path_buf()))
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let instance_lock = match (backend, instance, sqlite_file(url)) {
            (Backend::Sqlite, Some(name), Some(file)) => {
                Some(std::sync::Arc::new(lock_instance(&file, name)?))
            }
            _ => None,
        };
        if !Any::database_exists(url).await.unwrap_or(false) {
            Any::create_database(url).await?;
        }
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        let options = match backend {
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            url: url.into(),
            changes: events::Changes::new(),
            _instance_lock: instance_lock,
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A cheap round trip, for `/api/health`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(Duration::from_secs(2), ping).await {
            Ok(result) => result.map(|_| ()).map_err(StoreError::from),
            Err(_) => Err(StoreError::Db(sqlx::Error::PoolTimedOut)),
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(lock) = &self._instance_lock {
            let _ = lock.unlock();
        }
    }
}

/// Takes the instance lock of a SQLite database file, or says who holds it.
fn lock_instance(db: &std::path::Path, instance: &str) -> Result<std::fs::File, StoreError> {
    use std::io::{Read, Seek, Write};
    let path = db.with_extension(match db.extension() {
        Some(e) => format!("{}.lock", e.to_string_lossy()),
        None => "lock".into(),
    });
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(instance.as_bytes())?;
            file.flush()?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            Err(StoreError::InUse(holder.trim().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Io(e)),
    }
}

/// The file path of an `sqlite:` URL, without its query string.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.into())
    }
}
