//! SQLite sources: opened read-only (and `query_only`), catalog read through
//! the `pragma_*` table-valued functions with the table name bound.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, Sqlite, SqlitePool};

use super::{
    CONNECT_TIMEOUT, Canceller, Check, ColumnSchema, DISTINCT_TIMEOUT, Dialect, MAX_CONNECTIONS,
    Opening, SourceDriver, SourceError, TableInfo, TableKind, TableSchema, acquire, catalog_error,
    error_message, fetch_texts, fold_foreign_keys, kind_from_catalog, query_error, rolled_back,
    settle,
};

/// How many SQLite VM instructions run between two checks of the deadline.
const PROGRESS_OPS: i32 = 10_000;

impl SourceDriver for SqlitePool {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn open(from: &Opening<'_>) -> Result<Self, SourceError> {
        let url = from.url;
        let Some(path) = url.sqlite_path() else {
            return Err(SourceError::Connect("not a SQLite URL".into()));
        };
        // Never show the server path: only the file name.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hide_path = |msg: String| msg.replace(&*path.to_string_lossy(), &name);
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            .pragma("query_only", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(opts)
            .await
            .map_err(|e| SourceError::Connect(hide_path(error_message(&e))))?;
        // Opening is lazy about the file format: read the schema to check it is a database.
        if let Err(e) = sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .fetch_one(&pool)
            .await
        {
            pool.close().await;
            return Err(SourceError::Connect(format!(
                "{name}: {}",
                hide_path(error_message(&e))
            )));
        }
        Ok(pool)
    }

    async fn list_tables(&self) -> Result<Vec<TableInfo>, SourceError> {
        super::list_tables(
            self,
            "SELECT m.name, (SELECT COUNT(*) FROM pragma_table_info(m.name)) AS n, m.type \
               FROM sqlite_master AS m \
              WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .await
    }

    async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError> {
        let (kind, sql): (String, Option<String>) = sqlx::query_as(
            "SELECT type, sql FROM sqlite_master WHERE name = ?1 AND type IN ('table', 'view')",
        )
        .bind(name)
        .fetch_optional(self)
        .await
        .map_err(catalog_error)?
        .ok_or_else(|| SourceError::UnknownTables(vec![name.to_string()]))?;
        let kind = kind_from_catalog(&kind);
        let definition = match kind {
            TableKind::Table => None,
            _ => sql.as_deref().and_then(view_body).map(str::to_string),
        };
        let rows = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid",
        )
        .bind(name)
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;
        let mut columns = Vec::with_capacity(rows.len());
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in &rows {
            let col: String = r.try_get(0).map_err(catalog_error)?;
            let pos: i64 = r.try_get(4).map_err(catalog_error)?;
            if pos > 0 {
                pk.push((pos, col.clone()));
            }
            columns.push(ColumnSchema {
                name: col,
                data_type: r
                    .try_get::<Option<String>, _>(1)
                    .map_err(catalog_error)?
                    .unwrap_or_default(),
                not_null: r.try_get::<i64, _>(2).map_err(catalog_error)? != 0,
                default: r.try_get(3).map_err(catalog_error)?,
                comment: None,
            });
        }
        pk.sort();
        let primary_key: Vec<String> = pk.into_iter().map(|(_, c)| c).collect();

        // SQLite lists foreign keys last-declared first: `id DESC` restores declaration order.
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id DESC, seq",
        )
        .bind(name)
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;
        let mut foreign_keys = fold_foreign_keys(rows);
        // `REFERENCES t` without columns means t's primary key.
        for fk in foreign_keys
            .iter_mut()
            .filter(|fk| fk.ref_columns.len() != fk.columns.len())
        {
            fk.ref_columns = sqlx::query_scalar(
                "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk",
            )
            .bind(&fk.ref_table)
            .fetch_all(self)
            .await
            .map_err(catalog_error)?;
        }

        Ok(TableSchema {
            name: name.to_string(),
            kind,
            definition,
            comment: None,
            columns,
            primary_key,
            foreign_keys,
        })
    }

    async fn check_query(&self, query: &Check<'_>) -> Result<(), SourceError> {
        let limits = query.limits;
        let mut conn = interruptible(self, limits.timeout, query.canceller).await?;
        let work = rolled_back::<Sqlite>(&mut conn, "BEGIN", None, query.wrapped);
        let outcome = match tokio::time::timeout(limits.timeout, work).await {
            Ok(Ok((res, rolled_back))) => Ok(Ok((
                res,
                rolled_back && remove_progress_handler(&mut conn).await,
            ))),
            other => other,
        };
        settle(outcome, conn, limits.timeout)
    }

    async fn fetch_texts(
        &self,
        sql: &str,
        canceller: &Canceller,
    ) -> Result<Vec<String>, SourceError> {
        let timeout = DISTINCT_TIMEOUT;
        let mut conn = interruptible(self, timeout, canceller).await?;
        let work = fetch_texts::<Sqlite>(&mut conn, sql);
        let outcome = match tokio::time::timeout(timeout, work).await {
            Ok(res) => Ok(Ok((res, remove_progress_handler(&mut conn).await))),
            Err(elapsed) => Err(elapsed),
        };
        settle(outcome, conn, timeout)
    }

    /// SQLite stops its queries through the progress handler they run with.
    async fn cancel(&self, _ids: Vec<u64>) -> Result<(), sqlx::Error> {
        Ok(())
    }

    async fn close(&self) {
        sqlx::Pool::close(self).await
    }
}

/// A connection of the pool whose statements SQLite interrupts once `timeout`
/// has passed or `canceller` cancels.
async fn interruptible(
    pool: &SqlitePool,
    timeout: Duration,
    canceller: &Canceller,
) -> Result<sqlx::pool::PoolConnection<Sqlite>, SourceError> {
    let mut conn = acquire(pool, timeout).await?;
    let deadline = Instant::now() + timeout;
    let cancel = canceller.flag();
    conn.lock_handle()
        .await
        .map_err(|e| query_error(e, timeout))?
        .set_progress_handler(PROGRESS_OPS, move || {
            Instant::now() < deadline && !cancel.cancelled.load(Ordering::SeqCst)
        });
    Ok(conn)
}

/// Removes the deadline check; false if the connection is unusable.
async fn remove_progress_handler(conn: &mut sqlx::SqliteConnection) -> bool {
    match conn.lock_handle().await {
        Ok(mut h) => {
            h.remove_progress_handler();
            true
        }
        Err(_) => false,
    }
}

/// The query of a `CREATE VIEW … AS <query>` statement: what follows the first
/// `AS` keyword outside quotes, brackets, parentheses and comments (the view's
/// name and column list come before it).
fn view_body(sql: &str) -> Option<&str> {
    let b = sql.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    while i < b.len() {
        if let Some(last) = super::skip_quoted(b, i) {
            i = last + 1;
            continue;
        }
        match b[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            c if word(c) => {
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                if depth == 0 && sql[start..i].eq_ignore_ascii_case("as") {
                    let body = sql[i..].trim();
                    return (!body.is_empty()).then_some(body);
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::view_body;

    #[test]
    fn view_bodies() {
        assert_eq!(view_body("CREATE VIEW v AS SELECT 1"), Some("SELECT 1"));
        assert_eq!(
            view_body(
                "CREATE VIEW IF NOT EXISTS \"as \"\"x\"\"\" (\"as\", [as]) -- as\n /* as */ as\n  SELECT a AS b FROM t"
            ),
            Some("SELECT a AS b FROM t")
        );
        assert_eq!(
            view_body("CREATE VIEW `a`\nAS\tWITH x AS (SELECT 1) SELECT * FROM x"),
            Some("WITH x AS (SELECT 1) SELECT * FROM x")
        );
        assert_eq!(
            view_body("CREATE VIEW alias_v AS SELECT 2"),
            Some("SELECT 2")
        );
        assert_eq!(view_body("CREATE VIEW v"), None);
        assert_eq!(view_body("CREATE VIEW v AS   "), None);
    }
}
