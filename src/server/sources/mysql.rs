//! MySQL and MariaDB sources: sessions made read-only after connecting,
//! catalog read from `information_schema` (tables of `DATABASE()`), the table
//! name bound.

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, MySqlConnection, MySqlPool, Row};

use super::{
    CONNECT_TIMEOUT, CancelVia, Canceller, ColumnSchema, ForeignKey, MAX_CONNECTIONS, QueryLimits,
    Resolved, Source, SourceError, SourceUrl, TableInfo, TableSchema, catalog_error, connect_error,
    endpoint, error_message, query_error,
};

const READ_ONLY: &str = "SET SESSION TRANSACTION READ ONLY";
/// MySQL's "Duplicate column name" (a derived table cannot have two columns of the same name).
const ER_DUP_FIELDNAME: u16 = 1060;

pub(super) async fn open(
    url: &SourceUrl,
    resolved: Option<Resolved>,
) -> Result<Source, SourceError> {
    let Some(u) = url.network_url() else {
        return Err(SourceError::Connect("not a MySQL URL".into()));
    };
    let at = endpoint(url, 3306);
    // Generated queries must behave as on the real server: keep `||` as OR.
    let mut opts = MySqlConnectOptions::from_url(u)
        .map_err(|e| connect_error(url, &e))?
        .pipes_as_concat(false);
    // Connect to the address the policy checked, not to the name again: DNS
    // rebinding cannot switch the target after the check. With a TLS mode that
    // verifies the server's host name (verify-full / VERIFY_IDENTITY) the driver
    // keeps the name; the certificate check then pins the server instead.
    if let Some(host) = resolved.and_then(|r| r.pin()) {
        opts = opts.host(&host);
    }
    // Connect once directly: the pool would retry a refused connection until its
    // timeout and then only report that it timed out.
    match tokio::time::timeout(CONNECT_TIMEOUT, opts.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
        Ok(Err(e)) => {
            return Err(match connect_error(url, &e) {
                SourceError::Connect(m) => SourceError::Connect(format!("{m} ({at})")),
                other => other,
            });
        }
        Err(_) => {
            return Err(SourceError::Connect(format!(
                "timed out after {CONNECT_TIMEOUT:?} ({at})"
            )));
        }
    }
    let canceller = Canceller::default();
    canceller.set_connect(CancelVia::Mysql(opts.clone()));
    let recorder = canceller.clone();
    let pool = MySqlPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(Duration::from_secs(120))
        .after_connect(move |conn, _meta| {
            let recorder = recorder.clone();
            Box::pin(async move {
                // Very old servers lack it; check_query still uses a read-only transaction.
                if let Err(e) = conn.execute(READ_ONLY).await {
                    tracing::warn!(error = %error_message(&e), "cannot make the MySQL session read-only");
                }
                let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                    .fetch_one(&mut *conn)
                    .await?;
                recorder.record(id);
                Ok(())
            })
        })
        .connect_lazy_with(opts);
    if let Err(e) = pool.acquire().await {
        pool.close().await;
        return Err(connect_error(url, &e));
    }
    Ok(Source::Mysql(pool, canceller))
}

pub(super) async fn list_tables(pool: &MySqlPool) -> Result<Vec<TableInfo>, SourceError> {
    let rows = sqlx::query(
        "SELECT CAST(t.TABLE_NAME AS CHAR), \
                (SELECT COUNT(*) FROM information_schema.COLUMNS c \
                  WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME) \
           FROM information_schema.TABLES t \
          WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
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

pub(super) async fn table_schema(pool: &MySqlPool, name: &str) -> Result<TableSchema, SourceError> {
    let comment: Option<String> = sqlx::query_scalar(
        "SELECT CAST(TABLE_COMMENT AS CHAR) FROM information_schema.TABLES \
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(catalog_error)?
    .ok_or_else(|| SourceError::UnknownTables(vec![name.to_string()]))?;

    let rows = sqlx::query(
        "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), \
                CAST(COLUMN_DEFAULT AS CHAR), CAST(COLUMN_COMMENT AS CHAR) \
           FROM information_schema.COLUMNS \
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
          ORDER BY ORDINAL_POSITION",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;
    let columns = rows
        .iter()
        .map(|r| {
            Ok(ColumnSchema {
                name: r.try_get(0)?,
                data_type: r.try_get(1)?,
                not_null: r.try_get::<String, _>(2)? == "NO",
                // MariaDB spells "no default" of a nullable column as the text NULL.
                default: r.try_get::<Option<String>, _>(3)?.filter(|d| d != "NULL"),
                comment: non_empty(r.try_get(4)?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(catalog_error)?;

    let primary_key = sqlx::query_scalar::<_, String>(
        "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
          ORDER BY ORDINAL_POSITION",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;

    let rows = sqlx::query(
        "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(REFERENCED_TABLE_NAME AS CHAR), \
                CAST(COLUMN_NAME AS CHAR), CAST(REFERENCED_COLUMN_NAME AS CHAR) \
           FROM information_schema.KEY_COLUMN_USAGE \
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
          ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;
    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    let mut last: Option<String> = None;
    for r in &rows {
        let constraint: String = r.try_get(0).map_err(catalog_error)?;
        if last.as_deref() != Some(constraint.as_str()) {
            foreign_keys.push(ForeignKey {
                columns: Vec::new(),
                ref_table: r.try_get(1).map_err(catalog_error)?,
                ref_columns: Vec::new(),
            });
            last = Some(constraint);
        }
        let fk = foreign_keys.last_mut().expect("pushed above");
        fk.columns.push(r.try_get(2).map_err(catalog_error)?);
        fk.ref_columns.push(r.try_get(3).map_err(catalog_error)?);
    }

    Ok(TableSchema {
        name: name.to_string(),
        comment: non_empty(comment),
        columns,
        primary_key,
        foreign_keys,
    })
}

/// Which statement-timeout variable the server knows.
#[derive(Clone, Copy)]
enum TimeoutVar {
    /// MariaDB, in seconds.
    MaxStatementTime,
    /// MySQL 5.7+, in milliseconds (applies to SELECT).
    MaxExecutionTime,
}

impl TimeoutVar {
    fn reset(self) -> &'static str {
        match self {
            TimeoutVar::MaxStatementTime => "SET SESSION max_statement_time = DEFAULT",
            TimeoutVar::MaxExecutionTime => "SET SESSION max_execution_time = DEFAULT",
        }
    }
}

/// Sets a session statement timeout, trying MariaDB's variable then MySQL's.
async fn set_timeout(conn: &mut MySqlConnection, timeout: Duration) -> Option<TimeoutVar> {
    let secs = format!("{:.3}", timeout.as_secs_f64().max(0.001));
    if conn
        .execute(format!("SET SESSION max_statement_time = {secs}").as_str())
        .await
        .is_ok()
    {
        return Some(TimeoutVar::MaxStatementTime);
    }
    let ms = timeout.as_millis().max(1);
    if conn
        .execute(format!("SET SESSION max_execution_time = {ms}").as_str())
        .await
        .is_ok()
    {
        return Some(TimeoutVar::MaxExecutionTime);
    }
    None
}

pub(super) async fn check_query(
    pool: &MySqlPool,
    wrapped: &str,
    body: &str,
    limits: QueryLimits,
) -> Result<(), SourceError> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| query_error(e, limits.timeout))?;
    let work = async {
        let var = set_timeout(&mut conn, limits.timeout).await;
        conn.execute("START TRANSACTION READ ONLY").await?;
        let mut res = sqlx::query(wrapped)
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
            .map(drop);
        if is_dup_column(&res) {
            // `SELECT a.Name, b.Name …` is fine on its own but not as a derived
            // table: run it unwrapped (still one prepared statement, in the
            // read-only transaction), limiting the rows with sql_select_limit.
            conn.execute(format!("SET SESSION sql_select_limit = {}", limits.max_rows).as_str())
                .await?;
            res = sqlx::query(body)
                .persistent(false)
                .fetch_all(&mut *conn)
                .await
                .map(drop);
            conn.execute("SET SESSION sql_select_limit = DEFAULT")
                .await?;
        }
        let mut clean = conn.execute("ROLLBACK").await.is_ok();
        if let Some(var) = var {
            clean &= conn.execute(var.reset()).await.is_ok();
        }
        Ok::<_, sqlx::Error>((res, clean))
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(Ok((res, clean))) => {
            if !clean {
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

fn is_dup_column(res: &Result<(), sqlx::Error>) -> bool {
    match res {
        Err(sqlx::Error::Database(db)) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .is_some_and(|e| e.number() == ER_DUP_FIELDNAME),
        _ => false,
    }
}

pub(super) async fn scalar_i64(
    pool: &MySqlPool,
    sql: &str,
    timeout: Duration,
) -> Result<i64, SourceError> {
    let mut conn = pool.acquire().await.map_err(|e| query_error(e, timeout))?;
    let work = async {
        let var = set_timeout(&mut conn, timeout).await;
        let res = sqlx::query_scalar::<_, i64>(sql)
            .persistent(false)
            .fetch_one(&mut *conn)
            .await;
        if let Some(var) = var {
            conn.execute(var.reset()).await?;
        }
        Ok::<_, sqlx::Error>(res)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(res)) => res.map_err(|e| query_error(e, timeout)),
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

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}
