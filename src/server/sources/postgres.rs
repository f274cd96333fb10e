//! PostgreSQL sources: sessions made read-only after connecting, catalog read
//! from `pg_catalog` (tables of `current_schema()`), the table name bound.
use futures::future::BoxFuture;
use sqlx::postgres::PgConnectOptions;
use sqlx::postgres::types::Oid;
use sqlx::{ConnectOptions, Executor, PgConnection, PgPool, Postgres, Row};

use super::{
    Canceller, Check, ColumnSchema, DISTINCT_TIMEOUT, Dialect, Network, Opening, SourceDriver,
    SourceError, TableSchema, acquire, catalog_error, fetch_count, fold_foreign_keys, open_network,
    rolled_back, settle, stop_each,
};

/// A column as `pg_attribute` describes it: name, type, NOT NULL, default, comment.
type ColumnRow = (String, String, bool, Option<String>, Option<String>);

const READ_ONLY: &str = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY";

const NETWORK: Network<Postgres> = Network {
    name: "PostgreSQL",
    default_port: 5432,
    options: |u| Ok(PgConnectOptions::from_url(u)?.application_name("datatrain")),
    host: PgConnectOptions::host,
    set_up,
};

impl SourceDriver for PgPool {
    const DIALECT: Dialect = Dialect::Postgres;
    const TABLES: &'static str = "SELECT c.relname::text, \
                (SELECT count(*) FROM pg_attribute a \
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition";

    async fn open(from: &Opening<'_>) -> Result<Self, SourceError> {
        open_network(from, &NETWORK).await
    }

    async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError> {
        let row = sqlx::query(
            "SELECT c.oid, obj_description(c.oid, 'pg_class') \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')",
        )
        .bind(name)
        .fetch_optional(self)
        .await
        .map_err(catalog_error)?;
        let Some(row) = row else {
            return Err(SourceError::UnknownTables(vec![name.to_string()]));
        };
        let oid: Oid = row.try_get(0).map_err(catalog_error)?;
        let comment: Option<String> = row.try_get(1).map_err(catalog_error)?;

        let rows: Vec<ColumnRow> = sqlx::query_as(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum) \
           FROM pg_attribute a \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
          ORDER BY a.attnum",
        )
        .bind(oid)
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;
        let columns = rows
            .into_iter()
            .map(
                |(name, data_type, not_null, default, comment)| ColumnSchema {
                    comment: comment.filter(|c: &String| !c.is_empty()),
                    name,
                    data_type,
                    not_null,
                    default,
                },
            )
            .collect();

        let primary_key = sqlx::query_scalar::<_, String>(
            "SELECT a.attname::text \
           FROM pg_constraint con \
           CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
          WHERE con.conrelid = $1 AND con.contype = 'p' \
          ORDER BY k.ord",
        )
        .bind(oid)
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;

        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
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
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;
        Ok(TableSchema {
            name: name.to_string(),
            comment: comment.filter(|c| !c.is_empty()),
            columns,
            primary_key,
            foreign_keys: fold_foreign_keys(rows),
        })
    }

    async fn check_query(&self, query: &Check<'_>) -> Result<(), SourceError> {
        let timeout = query.limits.timeout;
        let mut conn = acquire(self, timeout).await?;
        let ms = timeout.as_millis().max(1);
        let setup = format!("SET LOCAL statement_timeout = {ms}");
        let work =
            rolled_back::<Postgres>(&mut conn, "BEGIN READ ONLY", Some(&setup), query.wrapped);
        // On a timeout the server's statement_timeout ends the query; the connection is not reused.
        settle(tokio::time::timeout(timeout, work).await, conn, timeout)
    }

    async fn distinct_count(&self, sql: &str, _canceller: &Canceller) -> Result<i64, SourceError> {
        let timeout = DISTINCT_TIMEOUT;
        let mut conn = acquire(self, timeout).await?;
        let ms = timeout.as_millis().max(1);
        let work = async {
            conn.execute(format!("SET statement_timeout = {ms}").as_str())
                .await?;
            let res = fetch_count::<Postgres>(&mut conn, sql).await;
            conn.execute("SET statement_timeout = DEFAULT").await?;
            Ok::<_, sqlx::Error>((res, true))
        };
        settle(tokio::time::timeout(timeout, work).await, conn, timeout)
    }

    async fn cancel(&self, ids: Vec<u64>) -> Result<(), sqlx::Error> {
        stop_each(self, ids, |conn, id| {
            Box::pin(async move {
                sqlx::query("SELECT pg_cancel_backend($1)")
                    .bind(id as i32)
                    .execute(conn)
                    .await
                    .map(drop)
            })
        })
        .await
    }

    async fn close(&self) {
        sqlx::Pool::close(self).await
    }
}

/// Makes the session read-only; the connection's id is its backend pid.
fn set_up(conn: &mut PgConnection) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(async move {
        conn.execute(READ_ONLY).await?;
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *conn)
            .await?;
        Ok(pid as u64)
    })
}
