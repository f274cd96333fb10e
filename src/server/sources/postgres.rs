//! PostgreSQL sources: sessions made read-only after connecting, catalog read
//! from `pg_catalog`, names bound.
//!
//! A source's relations are the tables (partitioned ones as one table, their
//! partitions left out), views and materialized views of the URL's
//! `schemas=a,b`, or without it of every schema but the system ones (`pg_*`:
//! `pg_catalog`, `pg_toast`, `pg_temp_*`; `information_schema`) and those whose
//! name holds a dot. Only what the source's user may read is listed (`USAGE`
//! on the schema, `SELECT` on the relation or one of its columns), and not the
//! relations an extension owns (PostGIS's `spatial_ref_sys`, …). A relation
//! outside `public` is named `schema.table` ([`pg_table_name`]).
use futures::future::BoxFuture;
use sqlx::postgres::PgConnectOptions;
use sqlx::postgres::types::Oid;
use sqlx::{ConnectOptions, Executor, PgConnection, PgPool, Postgres, Row};

use super::{
    Canceller, Check, ColumnSchema, DISTINCT_TIMEOUT, Dialect, Network, Opening, SourceDriver,
    SourceError, TableInfo, TableSchema, acquire, catalog_error, fetch_texts, fold_foreign_keys,
    kind_from_catalog, open_network, pg_split, pg_table_name, rolled_back, settle, stop_each,
};

/// A PostgreSQL source: its pool and the schemas of the URL's `schemas=`.
pub struct PgSource {
    pool: PgPool,
    /// `None`: every non-system schema the user may read.
    schemas: Option<Vec<String>>,
}

impl PgSource {
    /// The pool (read-only sessions).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether a relation of `schema` may be a source relation (the
    /// privileges and the system schemas are the catalog's to check).
    fn in_scope(&self, schema: &str) -> bool {
        self.schemas
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == schema))
    }
}

/// The relations of the source: rows (schema, relation, column count, relkind).
/// `$1` is the URL's schemas, or NULL for every non-system schema.
const RELATIONS: &str = "SELECT n.nspname::text, c.relname::text, \
            (SELECT count(*) FROM pg_attribute a \
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), \
            c.relkind::text \
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition \
        AND CASE WHEN $1::text[] IS NULL \
                 THEN n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' \
                      AND strpos(n.nspname, '.') = 0 \
                 ELSE n.nspname = ANY($1::text[]) END \
        AND has_schema_privilege(n.oid, 'USAGE') \
        AND has_any_column_privilege(c.oid, 'SELECT') \
        AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                           AND d.deptype = 'e')";

/// Of the URL's schemas (`$1`), those that do not exist or lack `USAGE`, in order.
const MISSING_SCHEMAS: &str = "SELECT s.name FROM unnest($1::text[]) WITH ORDINALITY AS s(name, ord) \
      WHERE NOT EXISTS (SELECT 1 FROM pg_namespace n \
                         WHERE n.nspname = s.name AND has_schema_privilege(n.oid, 'USAGE')) \
      ORDER BY s.ord";

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

impl SourceDriver for PgSource {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn open(from: &Opening<'_>) -> Result<Self, SourceError> {
        Ok(PgSource {
            pool: open_network(from, &NETWORK).await?,
            schemas: from.url.schemas().map(<[String]>::to_vec),
        })
    }

    async fn list_tables(&self) -> Result<Vec<TableInfo>, SourceError> {
        if let Some(schemas) = &self.schemas {
            let missing: Vec<String> = sqlx::query_scalar(MISSING_SCHEMAS)
                .bind(schemas)
                .fetch_all(&self.pool)
                .await
                .map_err(catalog_error)?;
            if !missing.is_empty() {
                return Err(SourceError::UnknownSchemas(missing));
            }
        }
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(RELATIONS)
            .bind(&self.schemas)
            .fetch_all(&self.pool)
            .await
            .map_err(catalog_error)?;
        Ok(rows
            .into_iter()
            .map(|(schema, table, column_count, kind)| TableInfo {
                name: pg_table_name(&schema, &table),
                kind: kind_from_catalog(&kind),
                column_count,
            })
            .collect())
    }

    async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError> {
        let (schema, table) = pg_split(name);
        let unknown = || SourceError::UnknownTables(vec![name.to_string()]);
        if !self.in_scope(schema) {
            return Err(unknown());
        }
        let row = sqlx::query(
            "SELECT c.oid, obj_description(c.oid, 'pg_class'), c.relkind::text, \
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
          WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm')",
        )
        .bind(schema)
        .bind(table)
        .fetch_optional(&self.pool)
        .await
        .map_err(catalog_error)?;
        let Some(row) = row else {
            return Err(unknown());
        };
        let oid: Oid = row.try_get(0).map_err(catalog_error)?;
        let comment: Option<String> = row.try_get(1).map_err(catalog_error)?;
        let kind = kind_from_catalog(&row.try_get::<String, _>(2).map_err(catalog_error)?);
        let definition: Option<String> = row.try_get(3).map_err(catalog_error)?;

        let rows: Vec<ColumnRow> = sqlx::query_as(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum) \
           FROM pg_attribute a \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
          ORDER BY a.attnum",
        )
        .bind(oid)
        .fetch_all(&self.pool)
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
        .fetch_all(&self.pool)
        .await
        .map_err(catalog_error)?;

        // The referenced table may be in another schema: (constraint, schema, table, column, ref column).
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT con.conname::text, rn.nspname::text, rc.relname::text, a.attname::text, \
                    ra.attname::text \
               FROM pg_constraint con \
               JOIN pg_class rc ON rc.oid = con.confrelid \
               JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
               CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
               JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refnum \
              WHERE con.conrelid = $1 AND con.contype = 'f' \
              ORDER BY con.conname, k.ord",
        )
        .bind(oid)
        .fetch_all(&self.pool)
        .await
        .map_err(catalog_error)?;
        let rows = rows
            .into_iter()
            .map(|(con, schema, table, column, ref_column)| {
                (con, pg_table_name(&schema, &table), column, ref_column)
            })
            .collect();
        Ok(TableSchema {
            name: name.to_string(),
            kind,
            definition,
            comment: comment.filter(|c| !c.is_empty()),
            columns,
            primary_key,
            foreign_keys: fold_foreign_keys(rows),
        })
    }

    async fn check_query(&self, query: &Check<'_>) -> Result<(), SourceError> {
        let timeout = query.limits.timeout;
        let mut conn = acquire(&self.pool, timeout).await?;
        let ms = timeout.as_millis().max(1);
        let setup = format!("SET LOCAL statement_timeout = {ms}");
        let work =
            rolled_back::<Postgres>(&mut conn, "BEGIN READ ONLY", Some(&setup), query.wrapped);
        // On a timeout the server's statement_timeout ends the query; the connection is not reused.
        settle(tokio::time::timeout(timeout, work).await, conn, timeout)
    }

    async fn fetch_texts(
        &self,
        sql: &str,
        _canceller: &Canceller,
    ) -> Result<Vec<String>, SourceError> {
        let timeout = DISTINCT_TIMEOUT;
        let mut conn = acquire(&self.pool, timeout).await?;
        let ms = timeout.as_millis().max(1);
        let work = async {
            conn.execute(format!("SET statement_timeout = {ms}").as_str())
                .await?;
            let res = fetch_texts::<Postgres>(&mut conn, sql).await;
            conn.execute("SET statement_timeout = DEFAULT").await?;
            Ok::<_, sqlx::Error>((res, true))
        };
        settle(tokio::time::timeout(timeout, work).await, conn, timeout)
    }

    async fn cancel(&self, ids: Vec<u64>) -> Result<(), sqlx::Error> {
        stop_each(&self.pool, ids, |conn, id| {
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
        self.pool.close().await
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
