//! Source databases: parsing their URLs, connecting, listing tables, extracting
//! DDL from the catalog and running generated queries read-only.
//!
//! Identifiers are always quoted by [`Dialect::quote`]; user text is never
//! spliced into SQL (catalog queries bind the table name as a parameter).

pub mod policy;
pub mod url;

mod ddl;
mod mysql;
mod postgres;
mod sqlite;

pub use ddl::render_ddl;
pub use policy::{HostRule, Resolved, SourcePolicy};
pub use url::{SourceKind, SourceUrl, SourceUrlError, mask_source_url, url_has_password};

use std::time::Duration;

/// A column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSchema {
    pub name: String,
    /// The declared type as the database spells it (`INTEGER`, `character varying(120)`, `int(11)`).
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
}

/// A table's structure, enough to render its DDL and to generate example queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub name: String,
    pub comment: Option<String>,
    pub columns: Vec<ColumnSchema>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// A table as listed for the table picker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableInfo {
    pub name: String,
    pub column_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    /// Quotes an identifier: `"x"` (doubling `"`) for SQLite and PostgreSQL, `` `x` `` (doubling `` ` ``) for MySQL.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", ident.replace('"', "\"\"")),
            Dialect::Mysql => format!("`{}`", ident.replace('`', "``")),
        }
    }
}

/// Errors talking to a source. Messages are safe to show to the user: they
/// never contain the source's password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("cannot connect to the source database: {0}")]
    Connect(String),
    #[error("the source database refused the credentials: {0}")]
    Auth(String),
    #[error("unknown tables in the source database: {}", .0.join(", "))]
    UnknownTables(Vec<String>),
    #[error("query failed on the source database: {0}")]
    Query(String),
    #[error("the query took longer than {0:?}")]
    Timeout(Duration),
    /// The source went away while in use: unreachable, connection dropped,
    /// reset or closed, credentials refused, database dropped, server shutting
    /// down, no connection within the pool's timeout. Never a problem of one
    /// query's own SQL: a run that meets it fails.
    #[error("lost the connection to the source database: {0}")]
    Lost(String),
    /// The source policy (`DATATRAIN_SOURCE_ALLOW` / `_DENY`, datatrain's own
    /// database, unix sockets, connection parameters) refuses this source.
    #[error("this source is not allowed: {0}")]
    Refused(String),
}

impl SourceError {
    /// Whether the error is about one query's own SQL (syntax, unknown column,
    /// types, its timeout): the only errors a stage may skip past.
    pub fn is_query_error(&self) -> bool {
        matches!(self, SourceError::Query(_) | SourceError::Timeout(_))
    }
}

/// Limits for running generated queries against a source.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_rows: u32,
    pub timeout: Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_rows: 100,
            timeout: Duration::from_secs(5),
        }
    }
}

/// An open connection (a small pool) to one source database.
pub enum Source {
    Sqlite(sqlx::SqlitePool, Canceller),
    Postgres(sqlx::PgPool, Canceller),
    Mysql(sqlx::MySqlPool, Canceller),
}

/// Stops the queries running on a source's connections, from outside them:
/// PostgreSQL `pg_cancel_backend` and MySQL `KILL QUERY` on a separate
/// connection (the ids of the pool's connections are recorded as they open),
/// SQLite through the progress handler every query runs with. Once cancelled,
/// SQLite queries stop at once until [`Canceller::resume`].
#[derive(Clone, Default)]
pub struct Canceller {
    inner: std::sync::Arc<CancelInner>,
}

#[derive(Default)]
struct CancelInner {
    /// Backend pids (PostgreSQL) or connection ids (MySQL) of the pool's connections.
    ids: std::sync::Mutex<Vec<u64>>,
    /// Checked by SQLite's progress handler.
    cancelled: std::sync::atomic::AtomicBool,
    /// How to open the separate connection that cancels.
    connect: std::sync::Mutex<Option<CancelVia>>,
}

#[derive(Clone)]
enum CancelVia {
    Postgres(sqlx::postgres::PgConnectOptions),
    Mysql(sqlx::mysql::MySqlConnectOptions),
}

impl Canceller {
    fn record(&self, id: u64) {
        let mut ids = self
            .inner
            .ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    fn set_connect(&self, via: CancelVia) {
        *self
            .inner
            .connect
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(via);
    }

    /// The flag SQLite's progress handler reads.
    fn flag(&self) -> std::sync::Arc<CancelInner> {
        self.inner.clone()
    }

    /// Lets SQLite queries run again (after a spurious interrupt).
    pub fn resume(&self) {
        self.inner
            .cancelled
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    async fn cancel(&self) {
        use sqlx::{ConnectOptions, Connection};
        self.inner
            .cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let ids: Vec<u64> = self
            .inner
            .ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let via = self
            .inner
            .connect
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if ids.is_empty() {
            return;
        }
        let work = async {
            match via {
                Some(CancelVia::Postgres(opts)) => {
                    let mut conn = opts.connect().await?;
                    for id in ids {
                        sqlx::query("SELECT pg_cancel_backend($1)")
                            .bind(id as i32)
                            .execute(&mut conn)
                            .await?;
                    }
                    conn.close().await
                }
                Some(CancelVia::Mysql(opts)) => {
                    let mut conn = opts.connect().await?;
                    for id in ids {
                        // Unknown ids (a closed connection) are an error: go on with the others.
                        let _ = sqlx::query(&format!("KILL QUERY {id}"))
                            .execute(&mut conn)
                            .await;
                    }
                    conn.close().await
                }
                None => Ok(()),
            }
        };
        match tokio::time::timeout(CANCEL_TIMEOUT, work).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %error_message(&e), "cannot cancel the source's queries")
            }
            Err(_) => tracing::warn!("cancelling the source's queries timed out"),
        }
    }
}

/// How long cancelling the queries in flight may take.
pub const CANCEL_TIMEOUT: Duration = Duration::from_secs(1);

/// How long opening a source may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`Source::distinct_count`] may take.
pub const DISTINCT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per source pool.
const MAX_CONNECTIONS: u32 = 2;

impl Source {
    /// Connects to the source (a pool of at most two connections), read-only:
    /// SQLite files are opened read-only, PostgreSQL and MySQL sessions are made
    /// read-only after connecting.
    ///
    /// Network sources are first checked against `policy` after DNS resolution
    /// ([`SourcePolicy::resolve`]; a refusal is [`SourceError::Refused`]) and
    /// the driver connects to the checked address.
    pub async fn open(url: &SourceUrl, policy: &SourcePolicy) -> Result<Source, SourceError> {
        match url.kind() {
            SourceKind::Sqlite => sqlite::open(url).await,
            SourceKind::Postgres => {
                let resolved = policy.resolve(url).await?;
                postgres::open(url, resolved).await
            }
            SourceKind::Mysql => {
                let resolved = policy.resolve(url).await?;
                mysql::open(url, resolved).await
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Source::Sqlite(..) => Dialect::Sqlite,
            Source::Postgres(..) => Dialect::Postgres,
            Source::Mysql(..) => Dialect::Mysql,
        }
    }

    /// The base tables (no views, no internal tables), sorted by name.
    pub async fn list_tables(&self) -> Result<Vec<TableInfo>, SourceError> {
        let mut tables = match self {
            Source::Sqlite(pool, _) => sqlite::list_tables(pool).await?,
            Source::Postgres(pool, _) => postgres::list_tables(pool).await?,
            Source::Mysql(pool, _) => mysql::list_tables(pool).await?,
        };
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tables)
    }

    /// The structure of each named table, in request order (duplicates
    /// dropped). Names must match exactly; if any is unknown nothing is read
    /// and [`SourceError::UnknownTables`] lists the missing ones.
    pub async fn table_schemas(&self, names: &[String]) -> Result<Vec<TableSchema>, SourceError> {
        let known: std::collections::HashSet<String> = self
            .list_tables()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        let mut wanted: Vec<&String> = Vec::with_capacity(names.len());
        for n in names {
            if !wanted.contains(&n) {
                wanted.push(n);
            }
        }
        let missing: Vec<String> = wanted
            .iter()
            .filter(|n| !known.contains(n.as_str()))
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(SourceError::UnknownTables(missing));
        }
        let mut out = Vec::with_capacity(wanted.len());
        for name in wanted {
            out.push(self.table_schema(name).await?);
        }
        Ok(out)
    }

    /// The structure of one table known to exist (see [`Source::table_schemas`],
    /// which checks the names first). The name is bound, never spliced.
    pub async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError> {
        match self {
            Source::Sqlite(pool, _) => sqlite::table_schema(pool, name).await,
            Source::Postgres(pool, _) => postgres::table_schema(pool, name).await,
            Source::Mysql(pool, _) => mysql::table_schema(pool, name).await,
        }
    }

    /// Runs a generated SELECT read-only, as
    /// `SELECT * FROM (<sql>) AS q LIMIT <max_rows>` inside a read-only
    /// transaction that is always rolled back, under a statement timeout, and
    /// fetches its rows.
    pub async fn check_query(&self, sql: &str, limits: QueryLimits) -> Result<(), SourceError> {
        let body = query_body(sql, self.dialect())?;
        let wrapped = format!("SELECT * FROM (\n{body}\n) AS q LIMIT {}", limits.max_rows);
        match self {
            Source::Sqlite(pool, c) => sqlite::check_query(pool, &wrapped, limits, c.flag()).await,
            Source::Postgres(pool, _) => postgres::check_query(pool, &wrapped, limits).await,
            Source::Mysql(pool, _) => mysql::check_query(pool, &wrapped, body, limits).await,
        }
    }

    /// The number of distinct non-null values of `table.column`, counting at
    /// most `cap` of them.
    pub async fn distinct_count(
        &self,
        table: &str,
        column: &str,
        cap: u32,
    ) -> Result<u64, SourceError> {
        let d = self.dialect();
        let (t, c) = (d.quote(table), d.quote(column));
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT {cap}) AS d"
        );
        let n = match self {
            Source::Sqlite(pool, c) => {
                sqlite::scalar_i64(pool, &sql, DISTINCT_TIMEOUT, c.flag()).await?
            }
            Source::Postgres(pool, _) => postgres::scalar_i64(pool, &sql, DISTINCT_TIMEOUT).await?,
            Source::Mysql(pool, _) => mysql::scalar_i64(pool, &sql, DISTINCT_TIMEOUT).await?,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Stops the queries in flight on this source (within [`CANCEL_TIMEOUT`]);
    /// SQLite queries keep stopping until [`Source::resume_queries`].
    pub async fn cancel_queries(&self) {
        match self {
            Source::Sqlite(_, c) | Source::Postgres(_, c) | Source::Mysql(_, c) => c.cancel().await,
        }
    }

    pub fn resume_queries(&self) {
        match self {
            Source::Sqlite(_, c) | Source::Postgres(_, c) | Source::Mysql(_, c) => c.resume(),
        }
    }

    /// Closes all connections.
    pub async fn close(&self) {
        match self {
            Source::Sqlite(pool, _) => pool.close().await,
            Source::Postgres(pool, _) => pool.close().await,
            Source::Mysql(pool, _) => pool.close().await,
        }
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Source({:?})", self.dialect())
    }
}

/// The query to wrap: trimmed, trailing semicolons removed. For SQLite (whose
/// driver would run every statement of a string) it must be one statement.
fn query_body(sql: &str, dialect: Dialect) -> Result<&str, SourceError> {
    let body = sql
        .trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    if body.is_empty() {
        return Err(SourceError::Query("the query is empty".into()));
    }
    if dialect == Dialect::Sqlite && has_statement_separator(body) {
        return Err(SourceError::Query(
            "only a single SELECT statement is allowed".into(),
        ));
    }
    Ok(body)
}

/// Whether `sql` contains a `;` outside strings, quoted identifiers and comments (SQLite lexing).
fn has_statement_separator(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b';' => return true,
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// A message for the user from a driver error (database errors without their
/// driver prefix), with any URL password masked.
fn error_message(e: &sqlx::Error) -> String {
    let msg = match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_string(),
        other => other.to_string(),
    };
    url::mask_password(&msg)
}

/// Whether a driver error means the source itself is gone (see [`SourceError::Lost`]).
fn is_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
                // 1040 too many connections, 1044/1045 access denied, 1046 no database
                // selected (it was dropped), 1049 unknown database, 1053 server shutdown,
                // 1077-1080 shutdown in progress, 1152/1184 aborted connection, 1203/1226
                // too many connections for the user, 1927 connection killed, 2002/2003
                // cannot connect, 2006 gone away, 2013 lost during query, 4031 idle
                // timeout disconnect.
                return matches!(
                    my.number(),
                    1040 | 1044 | 1045 | 1046 | 1049 | 1053 | 1077
                        ..=1080
                            | 1152
                            | 1184
                            | 1203
                            | 1226
                            | 1927
                            | 2002
                            | 2003
                            | 2006
                            | 2013
                            | 4031
                );
            }
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // Class 08 connection exception, 28 invalid authorization, 3D invalid
                // catalog name (database gone), 53 insufficient resources, 57P01-57P03
                // admin/crash shutdown and cannot connect now.
                let code = db.code();
                let code = code.as_deref().unwrap_or("");
                return ["08", "28", "3D", "53"].iter().any(|c| code.starts_with(c))
                    || matches!(code, "57P01" | "57P02" | "57P03");
            }
            // SQLite: SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_IOERR (primary codes).
            let code = db.code();
            let primary = code
                .as_deref()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            matches!(primary, Some(10 | 14 | 26))
        }
        _ => false,
    }
}

/// Maps an error from running a query: a lost source becomes
/// [`SourceError::Lost`], timeouts (server-side statement timeouts, SQLite
/// interrupts) [`SourceError::Timeout`], anything else [`SourceError::Query`].
fn query_error(e: sqlx::Error, timeout: Duration) -> SourceError {
    if is_lost(&e) {
        return SourceError::Lost(error_message(&e));
    }
    if let sqlx::Error::Database(db) = &e {
        let code = db.code();
        let code = code.as_deref().unwrap_or("");
        // PostgreSQL query_canceled; SQLite SQLITE_INTERRUPT.
        let timed_out = match db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
            // MariaDB max_statement_time exceeded; MySQL max_execution_time exceeded.
            Some(my) => matches!(my.number(), 1969 | 3024),
            None => code == "57014" || code == "9",
        };
        if timed_out {
            return SourceError::Timeout(timeout);
        }
    }
    SourceError::Query(error_message(&e))
}

/// Maps an error from connecting: refused credentials become
/// [`SourceError::Auth`], anything else [`SourceError::Connect`]. The message
/// goes through [`SourceUrl::sanitize`].
fn connect_error(url: &SourceUrl, e: &sqlx::Error) -> SourceError {
    let msg = url.sanitize(&error_message(e));
    if let sqlx::Error::Database(db) = e {
        let sqlstate_auth = db.code().is_some_and(|c| c.starts_with("28"));
        let mysql_auth = db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|my| matches!(my.number(), 1044 | 1045 | 1698));
        if sqlstate_auth || mysql_auth {
            return SourceError::Auth(msg);
        }
    }
    SourceError::Connect(msg)
}

/// Maps an error from reading the catalog: a lost source becomes
/// [`SourceError::Lost`], anything else [`SourceError::Query`].
fn catalog_error(e: sqlx::Error) -> SourceError {
    if is_lost(&e) {
        SourceError::Lost(error_message(&e))
    } else {
        SourceError::Query(error_message(&e))
    }
}

/// `host:port` of a network source, for connection error messages.
fn endpoint(url: &SourceUrl, default_port: u16) -> String {
    match url.network_url() {
        Some(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or(""),
            u.port().unwrap_or(default_port)
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(Dialect::Sqlite.quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Mysql.quote("a`b"), "`a``b`");
    }

    #[test]
    fn query_bodies() {
        assert_eq!(
            query_body("  SELECT 1 ;; \n", Dialect::Sqlite).unwrap(),
            "SELECT 1"
        );
        assert!(matches!(
            query_body(" ; ", Dialect::Postgres),
            Err(SourceError::Query(_))
        ));
        assert!(query_body("SELECT 1) AS q; DELETE FROM t; SELECT (1", Dialect::Sqlite).is_err());
        assert!(
            query_body(
                "SELECT ';', \"a;b\", `c;`, [d;] -- x;\n FROM t /* ; */",
                Dialect::Sqlite
            )
            .is_ok()
        );
        assert!(query_body("SELECT 'it''s;' ; SELECT 2", Dialect::Sqlite).is_err());
        // Only SQLite needs the check: the other drivers prepare a single statement.
        assert!(query_body("SELECT 1; SELECT 2", Dialect::Postgres).is_ok());
    }
}
