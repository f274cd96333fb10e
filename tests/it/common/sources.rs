//! Source databases for tests: Chinook loaded into a fresh PostgreSQL or
//! MariaDB database per call (dropped afterwards), or a copy of the SQLite file.
//!
//! The servers are the ones `scripts/services.sh` starts: PostgreSQL on
//! 127.0.0.1:5432 (user `postgres`, trust auth) and MariaDB on 127.0.0.1:3306
//! (user `root`, no password). `DT_TEST_PG_ADMIN_URL` / `DT_TEST_MYSQL_ADMIN_URL`
//! override the server URLs (without a database name).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use datatrain::server::sources::{Source, SourceError, TableSchema};
use sqlx::{Connection, Executor};

/// The structure of each named table, in request order without duplicates, read
/// as stage 1 reads them: the names checked first, then one table at a time.
pub async fn table_schemas(
    source: &Source,
    names: &[String],
) -> Result<Vec<TableSchema>, SourceError> {
    let mut out = Vec::new();
    for name in source.check_tables(names).await? {
        out.push(source.table_schema(&name).await?);
    }
    Ok(out)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sources")
}

pub fn pg_admin_url() -> String {
    std::env::var("DT_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn mysql_admin_url() -> String {
    std::env::var("DT_TEST_MYSQL_ADMIN_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A database name unique to this process and call: `dt_src_<pid>_<nanos>_<n>`.
pub fn unique_db_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "dt_src_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Postgres,
    Mysql,
}

/// A database created for one test; dropped by [`TempDb::cleanup`] or on drop.
#[derive(Debug)]
pub struct TempDb {
    /// The URL of the database (no password).
    pub url: String,
    pub name: String,
    pub server: Server,
    dropped: bool,
}

impl TempDb {
    /// Creates an empty database.
    pub async fn create(server: Server) -> TempDb {
        let name = unique_db_name();
        let (admin, url) = match server {
            Server::Postgres => (pg_admin_url(), format!("{}/{name}", pg_admin_url())),
            Server::Mysql => (mysql_admin_url(), format!("{}/{name}", mysql_admin_url())),
        };
        let sql = match server {
            Server::Postgres => format!("CREATE DATABASE {name}"),
            Server::Mysql => {
                format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            }
        };
        admin_execute(server, &admin, &sql).await;
        TempDb {
            url,
            name,
            server,
            dropped: false,
        }
    }

    /// Runs SQL (several statements allowed) in the database, outside any source.
    pub async fn execute(&self, sql: &str) {
        match self.server {
            Server::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                c.execute(sqlx::raw_sql(sql))
                    .await
                    .expect("run SQL in the test database");
                c.close().await.ok();
            }
            Server::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                c.execute(sqlx::raw_sql(sql))
                    .await
                    .expect("run SQL in the test database");
                c.close().await.ok();
            }
        }
    }

    /// Runs a query returning one integer (e.g. a `COUNT(*)`).
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        match self.server {
            Server::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("query the test database")
            }
            Server::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .expect("connect to the test database");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("query the test database")
            }
        }
    }

    /// Drops the database.
    pub async fn cleanup(mut self) {
        self.dropped = true;
        drop_database(self.server, &self.name).await;
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        let (server, name) = (self.server, self.name.clone());
        // Drop may run inside a runtime (or while panicking): use a thread with its own.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_database(server, &name));
            }
        })
        .join();
    }
}

/// Drops a test database (best effort; names come from [`unique_db_name`]).
pub async fn drop_database(server: Server, name: &str) {
    let (admin, sql) = match server {
        Server::Postgres => (
            pg_admin_url(),
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ),
        Server::Mysql => (mysql_admin_url(), format!("DROP DATABASE IF EXISTS {name}")),
    };
    admin_execute(server, &admin, &sql).await;
}

async fn admin_execute(server: Server, admin: &str, sql: &str) {
    match server {
        Server::Postgres => {
            let mut c = sqlx::PgConnection::connect(&format!("{admin}/postgres"))
                .await
                .expect("PostgreSQL must answer on 127.0.0.1:5432 (scripts/services.sh starts it)");
            c.execute(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            c.close().await.ok();
        }
        Server::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(admin)
                .await
                .expect("MariaDB must answer on 127.0.0.1:3306 (scripts/services.sh starts it)");
            c.execute(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            c.close().await.ok();
        }
    }
}

/// The Chinook script for `server` without its own `DROP/CREATE DATABASE` and
/// `\c` / `USE` lines (the caller loads it into its own database).
pub fn chinook_script(server: Server) -> String {
    let file = match server {
        Server::Postgres => "Chinook_PostgreSql.sql",
        Server::Mysql => "Chinook_MySql.sql",
    };
    let text = std::fs::read_to_string(fixtures().join(file)).expect("read the Chinook script");
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("DROP DATABASE")
                || t.starts_with("CREATE DATABASE")
                || t.starts_with("\\c ")
                || t.starts_with("USE "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn chinook(server: Server) -> TempDb {
    let db = TempDb::create(server).await;
    db.execute(&chinook_script(server)).await;
    db
}

/// Chinook (snake_case names: `album`, `invoice_line`, …) in a fresh PostgreSQL database.
pub async fn chinook_postgres() -> TempDb {
    chinook(Server::Postgres).await
}

/// Chinook (`Album`, `InvoiceLine`, …) in a fresh MariaDB database.
pub async fn chinook_mysql() -> TempDb {
    chinook(Server::Mysql).await
}

/// Copies the Chinook SQLite fixture into `dir` (as `chinook.sqlite`) and returns its path.
pub fn chinook_sqlite_copy(dir: &Path) -> PathBuf {
    let dest = dir.join("chinook.sqlite");
    std::fs::copy(fixtures().join("chinook.sqlite"), &dest)
        .expect("copy the Chinook SQLite fixture");
    dest
}
