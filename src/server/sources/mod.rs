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
pub use postgres::PgSource;
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

pub use crate::domain::dto::TableKind;

/// A relation's kind from the catalog's spelling: PostgreSQL's `relkind` (`r`,
/// `p`, `v`, `m`), MySQL's `TABLE_TYPE`, SQLite's `type`; anything else is a table.
fn kind_from_catalog(kind: &str) -> TableKind {
    match kind {
        "v" | "VIEW" | "view" => TableKind::View,
        "m" => TableKind::MaterializedView,
        _ => TableKind::Table,
    }
}

/// A table's (or view's) structure, enough to render its DDL and to generate
/// example queries.
///
/// `name` is the name users see and select: the table's name, or for a
/// PostgreSQL relation outside `public` (and for a `public` one whose name
/// holds a dot) `schema.table` (see [`Dialect::quote_table`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub name: String,
    pub kind: TableKind,
    /// A view's query as the catalog gives it (`None` for tables, and for a
    /// view whose definition the source's user may not read).
    pub definition: Option<String>,
    pub comment: Option<String>,
    pub columns: Vec<ColumnSchema>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// A table as listed for the table picker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableInfo {
    pub name: String,
    pub kind: TableKind,
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

    /// Quotes a table name as [`TableSchema::name`] spells it: for PostgreSQL,
    /// `sales.orders` is `"sales"."orders"` (split at the first dot, see
    /// [`pg_split`]) and `orders` is `"orders"`; for SQLite and MySQL the name
    /// is one identifier, dots included.
    pub fn quote_table(self, name: &str) -> String {
        match self {
            Dialect::Postgres => match name.split_once('.') {
                Some((schema, table)) => format!("{}.{}", self.quote(schema), self.quote(table)),
                None => self.quote(name),
            },
            Dialect::Sqlite | Dialect::Mysql => self.quote(name),
        }
    }

    /// `expr` cast to text: `CAST(expr AS TEXT)`, `CAST(expr AS CHAR)` on MySQL.
    pub fn text_cast(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite | Dialect::Postgres => format!("CAST({expr} AS TEXT)"),
            Dialect::Mysql => format!("CAST({expr} AS CHAR)"),
        }
    }
}

/// The name of PostgreSQL relation `table` of `schema`, as users see it:
/// `table` in `public`, `schema.table` elsewhere, and `public.table` for a
/// `public` table whose name holds a dot, so that [`pg_split`] always finds
/// the schema back (schema names never hold a dot: such schemas are not
/// listed).
pub fn pg_table_name(schema: &str, table: &str) -> String {
    if schema == "public" && !table.contains('.') {
        table.to_string()
    } else {
        format!("{schema}.{table}")
    }
}

/// The schema and relation of a name made by [`pg_table_name`].
pub fn pg_split(name: &str) -> (&str, &str) {
    name.split_once('.').unwrap_or(("public", name))
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
    /// Schemas of the URL's `schemas=` that do not exist or that the source's
    /// user may not use.
    #[error("schemas= names schemas that do not exist in the source database or that its user may not read: {}", .0.join(", "))]
    UnknownSchemas(Vec<String>),
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

/// What a dialect provides, implemented by its pool type in a file of its own
/// and listed in [`drivers!`]. [`Source`] adds what all dialects share: the
/// table lookups, the wrapping and limits of generated queries, the
/// cancelling of queries in flight.
trait SourceDriver: Sized {
    const DIALECT: Dialect;

    /// The tables and views (no internal tables) in any order.
    async fn list_tables(&self) -> Result<Vec<TableInfo>, SourceError>;

    /// Connects read-only, a pool of at most [`MAX_CONNECTIONS`] connections
    /// within [`CONNECT_TIMEOUT`].
    async fn open(from: &Opening<'_>) -> Result<Self, SourceError>;

    /// The structure of one table; the name is bound, never spliced.
    async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError>;

    /// Runs the query read-only under its timeout and fetches its rows.
    async fn check_query(&self, query: &Check<'_>) -> Result<(), SourceError>;

    /// The first column of the rows `sql` returns (a query for distinct
    /// values or their count, its column cast to text), within
    /// [`DISTINCT_TIMEOUT`].
    async fn fetch_texts(
        &self,
        sql: &str,
        canceller: &Canceller,
    ) -> Result<Vec<String>, SourceError>;

    /// Stops the queries running on the connections `ids`, from a connection of its own.
    async fn cancel(&self, ids: Vec<u64>) -> Result<(), sqlx::Error>;

    async fn close(&self);
}

/// What [`SourceDriver::open`] opens a source from.
struct Opening<'a> {
    url: &'a SourceUrl,
    /// Checked first by network drivers.
    policy: &'a SourcePolicy,
    /// Records the ids of the pool's connections as they open.
    canceller: &'a Canceller,
}

/// A generated query as [`SourceDriver::check_query`] runs it.
struct Check<'a> {
    /// The query, trimmed, trailing semicolons removed.
    body: &'a str,
    /// `body` limited to `limits.max_rows` rows: what runs.
    wrapped: &'a str,
    limits: QueryLimits,
    canceller: &'a Canceller,
}

/// The registry of drivers, one line a dialect: the name of its [`SourceKind`]
/// (and of its [`Source`] variant) and the pool type that is its
/// [`SourceDriver`]. `drivers!(m!(args))` is `m!([the list] args)`: [`Source`],
/// [`Source::open`] and [`with_driver!`] are written from the list.
macro_rules! drivers {
    ($m:ident!($($args:tt)*)) => {
        $m! {[
            Sqlite(sqlx::SqlitePool),
            Postgres(postgres::PgSource),
            Mysql(sqlx::MySqlPool),
        ] $($args)*}
    };
}

macro_rules! define_source {
    ([$($kind:ident($pool:ty),)+]) => {
        /// An open connection (a small pool) to one source database: its
        /// driver's pool and the [`Canceller`] of the queries running on it.
        pub enum Source {
            $($kind($pool, Canceller),)+
        }
    };
}
drivers!(define_source!());

/// Opens `$url` with the driver of its kind.
macro_rules! open_driver {
    ([$($kind:ident($pool:ty),)+] $url:expr, $policy:expr) => {{
        let canceller = Canceller::default();
        let from = Opening {
            url: $url,
            policy: $policy,
            canceller: &canceller,
        };
        match $url.kind() {
            $(SourceKind::$kind => {
                let pool = <$pool as SourceDriver>::open(&from).await?;
                Source::$kind(pool, canceller)
            })+
        }
    }};
}

/// `with_driver!(source, |driver, canceller| body)`: `body` with the source's
/// pool (its [`SourceDriver`]) and canceller bound to the two names.
macro_rules! with_driver {
    ($source:expr, |$driver:ident, $canceller:ident| $body:expr) => {
        drivers!(match_driver!($source, $driver, $canceller, $body))
    };
}

macro_rules! match_driver {
    ([$($kind:ident($pool:ty),)+] $source:expr, $driver:ident, $canceller:ident, $body:expr) => {
        match $source {
            $(Source::$kind($driver, $canceller) => $body,)+
        }
    };
}

/// Stops the queries running on a source's connections, from outside them:
/// the driver cancels them by the ids of the pool's connections (recorded as
/// they open), SQLite through the progress handler every query runs with.
/// Once cancelled, SQLite queries stop at once until [`Canceller::resume`].
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

    async fn cancel(&self, driver: &impl SourceDriver) {
        self.inner
            .cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let ids: Vec<u64> = self
            .inner
            .ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if ids.is_empty() {
            return;
        }
        match tokio::time::timeout(CANCEL_TIMEOUT, driver.cancel(ids)).await {
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
/// How long [`Source::distinct_count`] and [`Source::distinct_values`] may take.
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
        Ok(drivers!(open_driver!(url, policy)))
    }

    pub fn dialect(&self) -> Dialect {
        with_driver!(self, |driver, _canceller| dialect_of(driver))
    }

    /// The tables, views and materialized views (no internal tables), sorted
    /// by name: SQLite's, the URL's MySQL database's, and for PostgreSQL those
    /// of the URL's `schemas=` or else of every non-system schema the user may
    /// read (see `postgres.rs`).
    pub async fn list_tables(&self) -> Result<Vec<TableInfo>, SourceError> {
        let mut tables = with_driver!(self, |driver, _canceller| driver.list_tables().await?);
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tables)
    }

    /// The named tables in request order, duplicates dropped. Names must match
    /// exactly; if any is unknown, [`SourceError::UnknownTables`] lists the
    /// missing ones in request order.
    pub async fn check_tables(&self, names: &[String]) -> Result<Vec<String>, SourceError> {
        let known: std::collections::HashSet<String> = self
            .list_tables()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !known.contains(*n))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(SourceError::UnknownTables(missing));
        }
        let mut seen = std::collections::HashSet::new();
        Ok(names
            .iter()
            .filter(|n| seen.insert(n.as_str()))
            .cloned()
            .collect())
    }

    /// The structure of one table known to exist (see [`Source::check_tables`]).
    /// The name is bound, never spliced.
    pub async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError> {
        with_driver!(self, |driver, _canceller| driver.table_schema(name).await)
    }

    /// Runs a generated SELECT read-only, as
    /// `SELECT * FROM (<sql>) AS q LIMIT <max_rows>` inside a read-only
    /// transaction that is always rolled back, under a statement timeout, and
    /// fetches its rows.
    pub async fn check_query(&self, sql: &str, limits: QueryLimits) -> Result<(), SourceError> {
        let body = query_body(sql, self.dialect())?;
        let wrapped = format!("SELECT * FROM (\n{body}\n) AS q LIMIT {}", limits.max_rows);
        with_driver!(self, |driver, canceller| {
            let query = Check {
                body,
                wrapped: &wrapped,
                limits,
                canceller,
            };
            driver.check_query(&query).await
        })
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
        let (t, c) = (d.quote_table(table), d.quote(column));
        let sql = format!(
            "SELECT {} FROM (SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT {cap}) AS d",
            d.text_cast("COUNT(*)")
        );
        let rows = with_driver!(self, |driver, canceller| {
            driver.fetch_texts(&sql, canceller).await?
        });
        Ok(rows
            .first()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0))
    }

    /// At most `cap` distinct non-null values of `table.column`, as text, in
    /// the order the source gives them.
    pub async fn distinct_values(
        &self,
        table: &str,
        column: &str,
        cap: u32,
    ) -> Result<Vec<String>, SourceError> {
        let d = self.dialect();
        let (t, c) = (d.quote_table(table), d.quote(column));
        let sql = format!(
            "SELECT DISTINCT {} FROM {t} WHERE {c} IS NOT NULL LIMIT {cap}",
            d.text_cast(&c)
        );
        Ok(with_driver!(self, |driver, canceller| {
            driver.fetch_texts(&sql, canceller).await?
        }))
    }

    /// Stops the queries in flight on this source (within [`CANCEL_TIMEOUT`]);
    /// SQLite queries keep stopping until [`Source::resume_queries`].
    pub async fn cancel_queries(&self) {
        with_driver!(self, |driver, canceller| canceller.cancel(driver).await)
    }

    pub fn resume_queries(&self) {
        with_driver!(self, |_driver, canceller| canceller.resume())
    }

    /// Closes all connections.
    pub async fn close(&self) {
        with_driver!(self, |driver, _canceller| SourceDriver::close(driver).await)
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
        if let Some(last) = skip_quoted(b, i) {
            i = last + 1;
            continue;
        }
        if b[i] == b';' {
            return true;
        }
        i += 1;
    }
    false
}

/// When a string, quoted identifier (`"…"`, `` `…` ``, `[…]`) or comment
/// starts at `i` (SQLite lexing), the index of its last byte (or the end).
pub(super) fn skip_quoted(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    match b[i] {
        q @ (b'\'' | b'"' | b'`') => {
            j += 1;
            while j < b.len() {
                if b[j] == q {
                    if b.get(j + 1) == Some(&q) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                j += 1;
            }
        }
        b'[' => {
            while j < b.len() && b[j] != b']' {
                j += 1;
            }
        }
        b'-' if b.get(i + 1) == Some(&b'-') => {
            while j < b.len() && b[j] != b'\n' {
                j += 1;
            }
        }
        b'/' if b.get(i + 1) == Some(&b'*') => {
            j += 2;
            while j < b.len() && !(b[j] == b'*' && b.get(j + 1) == Some(&b'/')) {
                j += 1;
            }
            j += 1;
        }
        _ => return None,
    }
    Some(j)
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

// The helpers the drivers share.

fn dialect_of<D: SourceDriver>(_: &D) -> Dialect {
    D::DIALECT
}

/// The tables a catalog query lists as rows `(name, column count, kind)`
/// (the kind as [`kind_from_catalog`] reads it).
async fn list_tables<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    sql: &'static str,
) -> Result<Vec<TableInfo>, SourceError>
where
    for<'r> (String, i64, String): sqlx::FromRow<'r, DB::Row>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let rows: Vec<(String, i64, String)> = sqlx::query_as(sql)
        .fetch_all(pool)
        .await
        .map_err(catalog_error)?;
    Ok(rows
        .into_iter()
        .map(|(name, column_count, kind)| TableInfo {
            name,
            kind: kind_from_catalog(&kind),
            column_count,
        })
        .collect())
}

/// Folds catalog rows `(constraint, referenced table, column, referenced
/// column)`, ordered by constraint and then column position, into one
/// [`ForeignKey`] per constraint. A referenced column may be missing (SQLite's
/// `REFERENCES t` without columns); the key then has fewer referenced columns
/// than columns.
fn fold_foreign_keys<K: PartialEq>(
    rows: Vec<(K, String, String, impl Into<Option<String>>)>,
) -> Vec<ForeignKey> {
    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    let mut last: Option<K> = None;
    for (constraint, ref_table, column, ref_column) in rows {
        if last.as_ref() != Some(&constraint) {
            foreign_keys.push(ForeignKey {
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
            });
            last = Some(constraint);
        }
        if let Some(fk) = foreign_keys.last_mut() {
            fk.columns.push(column);
            fk.ref_columns.extend(ref_column.into());
        }
    }
    foreign_keys
}

/// What a network driver makes each connection of its pool run as it opens:
/// the session made read-only, and the connection's id returned (recorded in
/// the [`Canceller`]).
type SetUp<DB> = for<'c> fn(
    &'c mut <DB as sqlx::Database>::Connection,
) -> futures::future::BoxFuture<'c, Result<u64, sqlx::Error>>;

/// How a network driver stops the query running on the connection of id
/// `id`, from another connection.
type Stop<DB> = for<'c> fn(
    &'c mut <DB as sqlx::Database>::Connection,
    u64,
) -> futures::future::BoxFuture<'c, Result<(), sqlx::Error>>;

/// Runs `stop` for each of `ids` on a connection of its own (the pool's
/// connections are the ones running the queries).
async fn stop_each<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    ids: Vec<u64>,
    stop: Stop<DB>,
) -> Result<(), sqlx::Error> {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = pool.connect_options().connect().await?;
    for id in ids {
        stop(&mut conn, id).await?;
    }
    conn.close().await
}

/// The connection options of a database.
type OptionsOf<DB> = <<DB as sqlx::Database>::Connection as sqlx::Connection>::Options;

/// How a network driver opens its sources, for [`open_network`].
struct Network<DB: sqlx::Database> {
    /// The database's name in error messages.
    name: &'static str,
    default_port: u16,
    /// The connection options for a URL.
    options: fn(&::url::Url) -> Result<OptionsOf<DB>, sqlx::Error>,
    /// The options with another host (the address the policy checked).
    host: fn(OptionsOf<DB>, &str) -> OptionsOf<DB>,
    set_up: SetUp<DB>,
}

/// Opens a network source: checks the URL against the policy, connects once
/// directly (see [`probe`]), then opens the pool, its connections running
/// `network.set_up`, and warms up one connection.
async fn open_network<DB: sqlx::Database>(
    from: &Opening<'_>,
    network: &Network<DB>,
) -> Result<sqlx::Pool<DB>, SourceError> {
    use sqlx::ConnectOptions;
    let url = from.url;
    let resolved = from.policy.resolve(url).await?;
    let Some(u) = url.network_url() else {
        return Err(SourceError::Connect(format!("not a {} URL", network.name)));
    };
    let at = endpoint(url, network.default_port);
    let mut opts = (network.options)(u).map_err(|e| connect_error(url, &e))?;
    // Connect to the address the policy checked, not to the name again: DNS
    // rebinding cannot switch the target after the check. With a TLS mode that
    // verifies the server's host name (verify-full / VERIFY_IDENTITY) the driver
    // keeps the name; the certificate check then pins the server instead.
    if let Some(host) = resolved.and_then(|r| r.pin()) {
        opts = (network.host)(opts, &host);
    }
    probe(url, &at, opts.connect()).await?;
    let recorder = from.canceller.clone();
    let set_up = network.set_up;
    let pool = sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(Duration::from_secs(120))
        .after_connect(move |conn, _meta| {
            let recorder = recorder.clone();
            Box::pin(async move {
                recorder.record(set_up(conn).await?);
                Ok(())
            })
        })
        .connect_lazy_with(opts);
    // Check the read-only setup works (and warm up one connection).
    if let Err(e) = pool.acquire().await {
        pool.close().await;
        return Err(connect_error(url, &e));
    }
    Ok(pool)
}

/// Connects once directly before the pool opens, so that a refused connection
/// is reported as such: the pool would retry it until its timeout and then only
/// report that it timed out. `at` (`host:port`) is added to connection errors.
async fn probe<C: sqlx::Connection>(
    url: &SourceUrl,
    at: &str,
    connect: impl Future<Output = Result<C, sqlx::Error>>,
) -> Result<(), SourceError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(match connect_error(url, &e) {
            SourceError::Connect(m) => SourceError::Connect(format!("{m} ({at})")),
            other => other,
        }),
        Err(_) => Err(SourceError::Connect(format!(
            "timed out after {CONNECT_TIMEOUT:?} ({at})"
        ))),
    }
}

/// A connection of `pool` for a query limited to `timeout`.
async fn acquire<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    timeout: Duration,
) -> Result<sqlx::pool::PoolConnection<DB>, SourceError> {
    pool.acquire().await.map_err(|e| query_error(e, timeout))
}

/// The work of a guarded query on a pooled connection, as its timeout left it:
/// the query's own result and whether the connection is clean to reuse (its
/// transaction rolled back, its session settings reset).
type Guarded<T> =
    Result<Result<(Result<T, sqlx::Error>, bool), sqlx::Error>, tokio::time::error::Elapsed>;

/// Ends a guarded query: the connection goes back to the pool only if the work
/// on it finished clean (a query cut off by `timeout` may still be running on
/// it), and errors become [`SourceError`]s.
fn settle<DB: sqlx::Database, T>(
    outcome: Guarded<T>,
    conn: sqlx::pool::PoolConnection<DB>,
    timeout: Duration,
) -> Result<T, SourceError> {
    match outcome {
        Ok(Ok((res, clean))) => {
            if !clean {
                drop(conn.detach());
            }
            res.map_err(|e| query_error(e, timeout))
        }
        Ok(Err(e)) => {
            drop(conn.detach());
            Err(query_error(e, timeout))
        }
        Err(_) => {
            drop(conn.detach());
            Err(SourceError::Timeout(timeout))
        }
    }
}

/// The number `sql`, a `SELECT COUNT(*)`, returns, prepared for this run only.
async fn fetch_texts<DB>(conn: &mut DB::Connection, sql: &str) -> Result<Vec<String>, sqlx::Error>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'r> (Option<String>,): sqlx::FromRow<'r, DB::Row>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let rows = sqlx::query_scalar::<DB, Option<String>>(sql)
        .persistent(false)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Runs `sql` in a transaction opened by `begin` (after `setup`, a statement
/// inside the transaction), fetching and dropping its rows, and always rolls
/// back: the query's result and whether the rollback worked.
async fn rolled_back<DB>(
    conn: &mut DB::Connection,
    begin: &str,
    setup: Option<&str>,
    sql: &str,
) -> Result<(Result<(), sqlx::Error>, bool), sqlx::Error>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    use sqlx::Executor;
    conn.execute(begin).await?;
    let res = async {
        if let Some(setup) = setup {
            conn.execute(setup).await?;
        }
        sqlx::query::<DB>(sql)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
            .map(drop)
    }
    .await;
    let rolled_back = conn.execute("ROLLBACK").await.is_ok();
    Ok((res, rolled_back))
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
