//! SQLite sources: opened read-only (and `query_only`), catalog read through
//! the `pragma_*` table-valued functions with the table name bound.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Executor, Row, SqlitePool};

use super::{
    CONNECT_TIMEOUT, CancelInner, Canceller, ColumnSchema, ForeignKey, MAX_CONNECTIONS,
    QueryLimits, Source, SourceError, SourceUrl, TableInfo, TableSchema, catalog_error,
    error_message, query_error,
};

/// How many SQLite VM instructions run between two checks of the deadline.
const PROGRESS_OPS: i32 = 10_000;

pub(super) async fn open(url: &SourceUrl) -> Result<Source, SourceError> {
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
    Ok(Source::Sqlite(pool, Canceller::default()))
}

pub(super) async fn list_tables(pool: &SqlitePool) -> Result<Vec<TableInfo>, SourceError> {
    let rows = sqlx::query(
        "SELECT m.name, (SELECT COUNT(*) FROM pragma_table_info(m.name)) AS n \
         FROM sqlite_master AS m \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;
    rows.iter()
        .map(|r| {
            Ok(TableInfo {
                name: r.try_get(0).map_err(catalog_error)?,
                column_count: r.try_get(1).map_err(catalog_error)?,
            })
        })
        .collect()
}

pub(super) async fn table_schema(
    pool: &SqlitePool,
    name: &str,
) -> Result<TableSchema, SourceError> {
    let rows = sqlx::query(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid",
    )
    .bind(name)
    .fetch_all(pool)
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
    let rows = sqlx::query(
        "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id DESC, seq",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;
    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    let mut last_id: Option<i64> = None;
    let mut implicit: Vec<usize> = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get(0).map_err(catalog_error)?;
        let ref_table: String = r.try_get(1).map_err(catalog_error)?;
        let from: String = r.try_get(2).map_err(catalog_error)?;
        let to: Option<String> = r.try_get(3).map_err(catalog_error)?;
        if last_id != Some(id) {
            foreign_keys.push(ForeignKey {
                columns: Vec::new(),
                ref_table,
                ref_columns: Vec::new(),
            });
            last_id = Some(id);
        }
        let fk = foreign_keys.last_mut().expect("pushed above");
        fk.columns.push(from);
        match to {
            Some(to) => fk.ref_columns.push(to),
            None => {
                let i = foreign_keys.len() - 1;
                if !implicit.contains(&i) {
                    implicit.push(i);
                }
            }
        }
    }
    // `REFERENCES t` without columns means t's primary key.
    for i in implicit {
        let rows = sqlx::query("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")
            .bind(&foreign_keys[i].ref_table)
            .fetch_all(pool)
            .await
            .map_err(catalog_error)?;
        foreign_keys[i].ref_columns = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(catalog_error)?;
    }

    Ok(TableSchema {
        name: name.to_string(),
        comment: None,
        columns,
        primary_key,
        foreign_keys,
    })
}

pub(super) async fn check_query(
    pool: &SqlitePool,
    wrapped: &str,
    limits: QueryLimits,
    cancel: std::sync::Arc<CancelInner>,
) -> Result<(), SourceError> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| query_error(e, limits.timeout))?;
    // Interrupt the statement inside SQLite once the deadline has passed.
    let deadline = Instant::now() + limits.timeout;
    conn.lock_handle()
        .await
        .map_err(|e| query_error(e, limits.timeout))?
        .set_progress_handler(PROGRESS_OPS, move || {
            Instant::now() < deadline && !cancel.cancelled.load(Ordering::SeqCst)
        });
    let work = async {
        conn.execute("BEGIN").await?;
        let res = sqlx::query(wrapped)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
            .map(drop);
        let rolled_back = conn.execute("ROLLBACK").await.is_ok();
        Ok::<_, sqlx::Error>((res, rolled_back))
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(Ok((res, rolled_back))) => {
            if !(rolled_back && remove_progress_handler(&mut conn).await) {
                // The connection is in an unknown state: do not give it back to the pool.
                drop(conn.detach());
            }
            res.map_err(|e| query_error(e, limits.timeout))
        }
        Ok(Err(e)) => {
            drop(conn.detach());
            Err(query_error(e, limits.timeout))
        }
        Err(_) => {
            drop(conn.detach());
            Err(SourceError::Timeout(limits.timeout))
        }
    }
}

pub(super) async fn scalar_i64(
    pool: &SqlitePool,
    sql: &str,
    timeout: Duration,
    cancel: std::sync::Arc<CancelInner>,
) -> Result<i64, SourceError> {
    let mut conn = pool.acquire().await.map_err(|e| query_error(e, timeout))?;
    let deadline = Instant::now() + timeout;
    conn.lock_handle()
        .await
        .map_err(|e| query_error(e, timeout))?
        .set_progress_handler(PROGRESS_OPS, move || {
            Instant::now() < deadline && !cancel.cancelled.load(Ordering::SeqCst)
        });
    let res = tokio::time::timeout(
        timeout,
        sqlx::query_scalar::<_, i64>(sql)
            .persistent(false)
            .fetch_one(&mut *conn),
    )
    .await;
    match res {
        Ok(res) => {
            if !remove_progress_handler(&mut conn).await {
                drop(conn.detach());
            }
            res.map_err(|e| query_error(e, timeout))
        }
        Err(_) => {
            drop(conn.detach());
            Err(SourceError::Timeout(timeout))
        }
    }
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
