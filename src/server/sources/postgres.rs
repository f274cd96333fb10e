//! PostgreSQL sources: sessions made read-only after connecting, catalog read
//! from `pg_catalog` (tables of `current_schema()`), the table name bound.

use std::time::Duration;

use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgPool, Row};

use super::{
    CONNECT_TIMEOUT, CancelVia, Canceller, ColumnSchema, ForeignKey, MAX_CONNECTIONS, QueryLimits,
    Resolved, Source, SourceError, SourceUrl, TableInfo, TableSchema, catalog_error, connect_error,
    endpoint, query_error,
};

const READ_ONLY: &str = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY";

pub(super) async fn open(
    url: &SourceUrl,
    resolved: Option<Resolved>,
) -> Result<Source, SourceError> {
    let Some(u) = url.network_url() else {
        return Err(SourceError::Connect("not a PostgreSQL URL".into()));
    };
    let at = endpoint(url, 5432);
    let mut opts = PgConnectOptions::from_url(u)
        .map_err(|e| connect_error(url, &e))?
        .application_name("datatrain");
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
    canceller.set_connect(CancelVia::Postgres(opts.clone()));
    let recorder = canceller.clone();
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(Duration::from_secs(120))
        .after_connect(move |conn, _meta| {
            let recorder = recorder.clone();
            Box::pin(async move {
                conn.execute(READ_ONLY).await?;
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await?;
                recorder.record(pid as u64);
                Ok(())
            })
        })
        .connect_lazy_with(opts);
    // Check the read-only setup works (and warm up one connection).
    if let Err(e) = pool.acquire().await {
        pool.close().await;
        return Err(connect_error(url, &e));
    }
    Ok(Source::Postgres(pool, canceller))
}

pub(super) async fn list_tables(pool: &PgPool) -> Result<Vec<TableInfo>, SourceError> {
    let rows = sqlx::query(
        "SELECT c.relname::text, \
                (SELECT count(*) FROM pg_attribute a \
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
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

pub(super) async fn table_schema(pool: &PgPool, name: &str) -> Result<TableSchema, SourceError> {
    let row = sqlx::query(
        "SELECT c.oid, obj_description(c.oid, 'pg_class') \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(catalog_error)?;
    let Some(row) = row else {
        return Err(SourceError::UnknownTables(vec![name.to_string()]));
    };
    let oid: Oid = row.try_get(0).map_err(catalog_error)?;
    let comment: Option<String> = row.try_get(1).map_err(catalog_error)?;

    let rows = sqlx::query(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum) \
           FROM pg_attribute a \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
          ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;
    let columns = rows
        .iter()
        .map(|r| {
            Ok(ColumnSchema {
                name: r.try_get(0)?,
                data_type: r.try_get(1)?,
                not_null: r.try_get(2)?,
                default: r.try_get(3)?,
                comment: r.try_get::<Option<String>, _>(4)?.filter(|c| !c.is_empty()),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(catalog_error)?;

    let primary_key = sqlx::query_scalar::<_, String>(
        "SELECT a.attname::text \
           FROM pg_constraint con \
           CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
          WHERE con.conrelid = $1 AND con.contype = 'p' \
          ORDER BY k.ord",
    )
    .bind(oid)
    .fetch_all(pool)
    .await
    .map_err(catalog_error)?;

    let rows = sqlx::query(
        "SELECT con.conname::text, rc.relname::text, a.attname::text, ra.attname::text \
           FROM pg_constraint con \
           JOIN pg_class rc ON rc.oid = con.confrelid \
           CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
           JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum \
          WHERE con.conrelid = $1 AND con.contype = 'f' \
          ORDER BY con.conname, k.ord",
    )
    .bind(oid)
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
        comment: comment.filter(|c| !c.is_empty()),
        columns,
        primary_key,
        foreign_keys,
    })
}

pub(super) async fn check_query(
    pool: &PgPool,
    wrapped: &str,
    limits: QueryLimits,
) -> Result<(), SourceError> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| query_error(e, limits.timeout))?;
    let ms = limits.timeout.as_millis().max(1);
    let work = async {
        conn.execute("BEGIN READ ONLY").await?;
        let res = async {
            conn.execute(format!("SET LOCAL statement_timeout = {ms}").as_str())
                .await?;
            sqlx::query(wrapped)
                .persistent(false)
                .fetch_all(&mut *conn)
                .await
                .map(drop)
        }
        .await;
        let rolled_back = conn.execute("ROLLBACK").await.is_ok();
        Ok::<_, sqlx::Error>((res, rolled_back))
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(Ok((res, rolled_back))) => {
            if !rolled_back {
                drop(conn.detach());
            }
            res.map_err(|e| query_error(e, limits.timeout))
        }
        Ok(Err(e)) => {
            drop(conn.detach());
            Err(query_error(e, limits.timeout))
        }
        Err(_) => {
            // The server's statement_timeout ends the query; do not reuse the connection.
            drop(conn.detach());
            Err(SourceError::Timeout(limits.timeout))
        }
    }
}

pub(super) async fn scalar_i64(
    pool: &PgPool,
    sql: &str,
    timeout: Duration,
) -> Result<i64, SourceError> {
    let mut conn = pool.acquire().await.map_err(|e| query_error(e, timeout))?;
    let ms = timeout.as_millis().max(1);
    let work = async {
        conn.execute(format!("SET statement_timeout = {ms}").as_str())
            .await?;
        let res = sqlx::query_scalar::<_, i64>(sql)
            .persistent(false)
            .fetch_one(&mut *conn)
            .await;
        conn.execute("SET statement_timeout = DEFAULT").await?;
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
