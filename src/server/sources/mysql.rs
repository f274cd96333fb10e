//! MySQL and MariaDB sources: sessions made read-only after connecting,
//! catalog read from `information_schema` (the tables and views of
//! `DATABASE()`, the URL's database), the table name bound.

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};
use sqlx::{ConnectOptions, Executor, MySql, MySqlConnection, MySqlPool, Row};

use super::{
    Canceller, Check, ColumnSchema, DISTINCT_TIMEOUT, Dialect, Network, Opening, QueryLimits,
    SourceDriver, SourceError, TableInfo, TableKind, TableSchema, acquire, catalog_error,
    error_message, fetch_texts, fold_foreign_keys, kind_from_catalog, open_network, settle,
    stop_each,
};

const READ_ONLY: &str = "SET SESSION TRANSACTION READ ONLY";
/// MySQL's "Duplicate column name" (a derived table cannot have two columns of the same name).
const ER_DUP_FIELDNAME: u16 = 1060;

const NETWORK: Network<MySql> = Network {
    name: "MySQL",
    default_port: 3306,
    // Generated queries must behave as on the real server: keep `||` as OR.
    options: |u| Ok(MySqlConnectOptions::from_url(u)?.pipes_as_concat(false)),
    host: MySqlConnectOptions::host,
    set_up,
};

impl SourceDriver for MySqlPool {
    const DIALECT: Dialect = Dialect::Mysql;

    async fn open(from: &Opening<'_>) -> Result<Self, SourceError> {
        open_network(from, &NETWORK).await
    }

    async fn list_tables(&self) -> Result<Vec<TableInfo>, SourceError> {
        super::list_tables(
            self,
            "SELECT CAST(t.TABLE_NAME AS CHAR), \
                (SELECT COUNT(*) FROM information_schema.COLUMNS c \
                  WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME), \
                CAST(t.TABLE_TYPE AS CHAR) \
           FROM information_schema.TABLES t \
          WHERE t.TABLE_SCHEMA = DATABASE() \
            AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')",
        )
        .await
    }

    async fn table_schema(&self, name: &str) -> Result<TableSchema, SourceError> {
        let row: Option<(Option<String>, String)> = sqlx::query_as(
            "SELECT CAST(TABLE_COMMENT AS CHAR), CAST(TABLE_TYPE AS CHAR) \
               FROM information_schema.TABLES \
              WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        )
        .bind(name)
        .fetch_optional(self)
        .await
        .map_err(catalog_error)?;
        let (comment, kind) =
            row.ok_or_else(|| SourceError::UnknownTables(vec![name.to_string()]))?;
        let kind = kind_from_catalog(&kind);
        let (comment, definition) = if kind == TableKind::View {
            // MySQL gives views the comment "VIEW"; VIEW_DEFINITION is empty
            // unless the user may SHOW VIEW (or defined it).
            let definition: Option<String> = sqlx::query_scalar(
                "SELECT CAST(VIEW_DEFINITION AS CHAR) FROM information_schema.VIEWS \
                  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            )
            .bind(name)
            .fetch_optional(self)
            .await
            .map_err(catalog_error)?
            .flatten();
            (comment.filter(|c| c != "VIEW"), non_empty(definition))
        } else {
            (comment, None)
        };

        let rows = sqlx::query(
            "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), \
                    CAST(COLUMN_DEFAULT AS CHAR), CAST(COLUMN_COMMENT AS CHAR) \
               FROM information_schema.COLUMNS \
              WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
              ORDER BY ORDINAL_POSITION",
        )
        .bind(name)
        .fetch_all(self)
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
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;

        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT CAST(CONSTRAINT_NAME AS CHAR), CAST(REFERENCED_TABLE_NAME AS CHAR), \
                CAST(COLUMN_NAME AS CHAR), CAST(REFERENCED_COLUMN_NAME AS CHAR) \
           FROM information_schema.KEY_COLUMN_USAGE \
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
          ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
        )
        .bind(name)
        .fetch_all(self)
        .await
        .map_err(catalog_error)?;
        Ok(TableSchema {
            name: name.to_string(),
            kind,
            definition,
            comment: non_empty(comment),
            columns,
            primary_key,
            foreign_keys: fold_foreign_keys(rows),
        })
    }

    async fn check_query(&self, query: &Check<'_>) -> Result<(), SourceError> {
        let QueryLimits { max_rows, timeout } = query.limits;
        let mut conn = acquire(self, timeout).await?;
        let work = async {
            let var = set_timeout(&mut conn, timeout).await;
            conn.execute("START TRANSACTION READ ONLY").await?;
            let mut res = sqlx::query(query.wrapped)
                .persistent(false)
                .fetch_all(&mut *conn)
                .await
                .map(drop);
            if is_dup_column(&res) {
                // `SELECT a.Name, b.Name …` is fine on its own but not as a derived
                // table: run it unwrapped (still one prepared statement, in the
                // read-only transaction), limiting the rows with sql_select_limit.
                conn.execute(format!("SET SESSION sql_select_limit = {max_rows}").as_str())
                    .await?;
                res = sqlx::query(query.body)
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
        settle(tokio::time::timeout(timeout, work).await, conn, timeout)
    }

    async fn fetch_texts(
        &self,
        sql: &str,
        _canceller: &Canceller,
    ) -> Result<Vec<String>, SourceError> {
        let timeout = DISTINCT_TIMEOUT;
        let mut conn = acquire(self, timeout).await?;
        let work = async {
            let var = set_timeout(&mut conn, timeout).await;
            let res = fetch_texts::<MySql>(&mut conn, sql).await;
            if let Some(var) = var {
                conn.execute(var.reset()).await?;
            }
            Ok::<_, sqlx::Error>((res, true))
        };
        settle(tokio::time::timeout(timeout, work).await, conn, timeout)
    }

    async fn cancel(&self, ids: Vec<u64>) -> Result<(), sqlx::Error> {
        stop_each(self, ids, |conn, id| {
            Box::pin(async move {
                // Unknown ids (a closed connection) are an error: go on with the others.
                let _ = sqlx::query(&format!("KILL QUERY {id}")).execute(conn).await;
                Ok(())
            })
        })
        .await
    }

    async fn close(&self) {
        sqlx::Pool::close(self).await
    }
}

/// Makes the session read-only (very old servers lack it: check_query still
/// uses a read-only transaction); the connection's id is `CONNECTION_ID()`.
fn set_up(conn: &mut MySqlConnection) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(async move {
        if let Err(e) = conn.execute(READ_ONLY).await {
            tracing::warn!(error = %error_message(&e), "cannot make the MySQL session read-only");
        }
        sqlx::query_scalar("SELECT CONNECTION_ID()")
            .fetch_one(&mut *conn)
            .await
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

fn is_dup_column(res: &Result<(), sqlx::Error>) -> bool {
    match res {
        Err(sqlx::Error::Database(db)) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .is_some_and(|e| e.number() == ER_DUP_FIELDNAME),
        _ => false,
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}
