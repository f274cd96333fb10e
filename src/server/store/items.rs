//! The trained collection: items, their full-text index, versions and search.

use sqlx::{AnyConnection, Row};

use super::fts::{bag, fts5_match, pg_tsquery, tsvector_bag};
use super::{Backend, Store, StoreError};
use crate::domain::dto::ItemKind;
use crate::server::embeddings;

/// An item a stage produced, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub kind: ItemKind,
    pub table_name: Option<String>,
    pub question: Option<String>,
    pub content: String,
    /// sha256 of kind, table, question and content: a (version, hash) is stored once.
    pub content_hash: String,
    /// Pre-segmented, space-joined terms for the full-text index.
    pub terms: String,
    /// The item's embedding, when dense retrieval is on.
    pub vector: Option<Vec<f32>>,
}

/// An item with its indexed terms, each distinct term with its count.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemTerms {
    pub id: i64,
    pub kind: ItemKind,
    pub table_name: Option<String>,
    pub terms: Vec<(String, u32)>,
}

impl NewItem {
    /// The text that is embedded: an example's question, otherwise the content.
    pub fn embedding_text(&self) -> &str {
        self.question.as_deref().unwrap_or(&self.content)
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SearchHit {
    pub id: i64,
    pub kind: ItemKind,
    pub content: String,
    pub question: Option<String>,
    pub table_name: Option<String>,
    pub score: f64,
}

/// The columns of a [`SearchHit`] read outside a full-text search (score 0).
const HIT_COLUMNS: &str =
    "id, kind, content, question, table_name, CAST(0.0 AS DOUBLE PRECISION) AS score";

/// `$first, $first+1, …`: `n` numbered placeholders for an `IN (…)` list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per multi-row INSERT (9 parameters a row stays far below every bind limit).
const CHUNK: usize = 100;

impl Store {
    /// Inserts items of one version; duplicates (same version and hash) are skipped.
    /// Runs on the caller's connection, so it joins the caller's transaction.
    pub(crate) async fn insert_items(
        &self,
        conn: &mut AnyConnection,
        dataset_id: i64,
        version: i64,
        items: &[NewItem],
    ) -> Result<u64, StoreError> {
        let mut inserted = 0;
        for chunk in items.chunks(CHUNK) {
            let mut sql = String::from(
                "INSERT INTO items (dataset_id, version, kind, table_name, question, content, content_hash, vector",
            );
            sql.push_str(if self.backend == Backend::Postgres {
                ", terms) VALUES "
            } else {
                ") VALUES "
            });
            let per_row = if self.backend == Backend::Postgres {
                9
            } else {
                8
            };
            for (i, _) in chunk.iter().enumerate() {
                let b = i * per_row;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
                if self.backend == Backend::Postgres {
                    sql.push_str(&format!(", to_tsvector('simple', ${})", b + 9));
                }
                sql.push(')');
            }
            sql.push_str(
                " ON CONFLICT (version, content_hash) DO NOTHING RETURNING id, content_hash",
            );
            let mut query = sqlx::query(&sql);
            for item in chunk {
                query = query
                    .bind(dataset_id)
                    .bind(version)
                    .bind(item.kind.as_str())
                    .bind(item.table_name.as_deref())
                    .bind(item.question.as_deref())
                    .bind(&item.content)
                    .bind(&item.content_hash)
                    .bind(item.vector.as_deref().map(embeddings::encode));
                if self.backend == Backend::Postgres {
                    query = query.bind(&item.terms);
                }
            }
            let rows = query.fetch_all(&mut *conn).await?;
            inserted += rows.len() as u64;
            if self.backend == Backend::Sqlite && !rows.is_empty() {
                let mut fts = String::from("INSERT INTO items_fts (rowid, terms) VALUES ");
                let mut binds: Vec<(i64, &str)> = Vec::with_capacity(rows.len());
                for row in &rows {
                    let id: i64 = row.try_get("id")?;
                    let hash: String = row.try_get("content_hash")?;
                    if let Some(item) = chunk.iter().find(|i| i.content_hash == hash) {
                        binds.push((id, &item.terms));
                    }
                }
                for i in 0..binds.len() {
                    if i > 0 {
                        fts.push(',');
                    }
                    fts.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
                }
                let mut q = sqlx::query(&fts);
                for (id, terms) in binds {
                    q = q.bind(id).bind(terms);
                }
                q.execute(&mut *conn).await?;
            }
        }
        Ok(inserted)
    }

    /// Deletes one version of a dataset's collection.
    pub(crate) async fn delete_version(
        &self,
        conn: &mut AnyConnection,
        version: i64,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "DELETE FROM items_fts WHERE rowid IN (SELECT id FROM items WHERE version = $1)",
            )
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query("DELETE FROM items WHERE version = $1")
            .bind(version)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Deletes every version of a dataset except `keep`.
    pub(crate) async fn delete_versions_except(
        &self,
        conn: &mut AnyConnection,
        dataset_id: i64,
        keep: i64,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "DELETE FROM items_fts WHERE rowid IN (SELECT id FROM items WHERE dataset_id = $1 AND version <> $2)",
            )
            .bind(dataset_id)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query("DELETE FROM items WHERE dataset_id = $1 AND version <> $2")
            .bind(dataset_id)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_fts_of_dataset(
        &self,
        conn: &mut AnyConnection,
        dataset_id: i64,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "DELETE FROM items_fts WHERE rowid IN (SELECT id FROM items WHERE dataset_id = $1)",
            )
            .bind(dataset_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Number of items in one version.
    pub async fn version_item_count(&self, version: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE version = $1")
                .bind(version)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Content hashes of one version, sorted (tests compare collections with it).
    pub async fn version_hashes(&self, version: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT content_hash FROM items WHERE version = $1 ORDER BY content_hash",
        )
        .bind(version)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The DDL items of the named tables in one version.
    pub async fn ddl_items(
        &self,
        dataset_id: i64,
        version: i64,
        tables: &[String],
    ) -> Result<Vec<SearchHit>, StoreError> {
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {HIT_COLUMNS} FROM items \
             WHERE dataset_id = $1 AND version = $2 AND kind = 'ddl' AND table_name IN ({})",
            placeholders(3, tables.len())
        );
        let mut q = sqlx::query_as(&sql).bind(dataset_id).bind(version);
        for t in tables {
            q = q.bind(t);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Full-text search over one version for any of `terms` (normalised question
    /// terms), best first; no hits when no term can be searched for.
    pub async fn search_version(
        &self,
        dataset_id: i64,
        version: i64,
        terms: &[String],
        limit: i64,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let (sql, match_expr) = match self.backend {
            Backend::Sqlite => (
                "SELECT i.id, i.kind, i.content, i.question, i.table_name, -bm25(items_fts) AS score \
                 FROM items_fts JOIN items i ON i.id = items_fts.rowid \
                 WHERE items_fts MATCH $1 AND i.dataset_id = $2 AND i.version = $3 \
                 ORDER BY bm25(items_fts), i.id LIMIT $4",
                fts5_match(terms),
            ),
            Backend::Postgres => (
                "SELECT i.id, i.kind, i.content, i.question, i.table_name, \
                 CAST(ts_rank(i.terms, q) AS DOUBLE PRECISION) AS score \
                 FROM items i, to_tsquery('simple', $1) q \
                 WHERE i.terms @@ q AND i.dataset_id = $2 AND i.version = $3 \
                 ORDER BY score DESC, i.id LIMIT $4",
                pg_tsquery(terms),
            ),
        };
        let Some(match_expr) = match_expr else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_as(sql)
            .bind(match_expr)
            .bind(dataset_id)
            .bind(version)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The stored vectors of one version (items without one are left out).
    pub async fn version_vectors(
        &self,
        dataset_id: i64,
        version: i64,
    ) -> Result<Vec<(i64, Vec<f32>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, vector FROM items \
             WHERE dataset_id = $1 AND version = $2 AND vector IS NOT NULL ORDER BY id",
        )
        .bind(dataset_id)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let bytes: Vec<u8> = row.try_get("vector")?;
            if let Some(vector) = embeddings::decode(&bytes) {
                out.push((row.try_get("id")?, vector));
            }
        }
        Ok(out)
    }

    /// Every item of one version with its indexed terms, for ranking in
    /// memory: the FTS5 text on SQLite, the `tsvector` read
    /// back on PostgreSQL, both as (term, count) bags.
    pub async fn version_terms(
        &self,
        dataset_id: i64,
        version: i64,
    ) -> Result<Vec<ItemTerms>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            kind: ItemKind,
            table_name: Option<String>,
            terms: String,
        }
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT i.id, i.kind, i.table_name, f.terms FROM items i \
                 JOIN items_fts f ON f.rowid = i.id \
                 WHERE i.dataset_id = $1 AND i.version = $2 ORDER BY i.id"
            }
            Backend::Postgres => {
                "SELECT id, kind, table_name, CAST(terms AS TEXT) AS terms FROM items \
                 WHERE dataset_id = $1 AND version = $2 ORDER BY id"
            }
        };
        let rows: Vec<Row> = sqlx::query_as(sql)
            .bind(dataset_id)
            .bind(version)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ItemTerms {
                id: r.id,
                kind: r.kind,
                table_name: r.table_name,
                terms: match self.backend {
                    Backend::Sqlite => bag(&r.terms),
                    Backend::Postgres => tsvector_bag(&r.terms),
                },
            })
            .collect())
    }

    /// Every DDL item of one version: (table name, DDL text).
    pub async fn version_ddl(
        &self,
        dataset_id: i64,
        version: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT table_name, content FROM items \
             WHERE dataset_id = $1 AND version = $2 AND kind = 'ddl' AND table_name IS NOT NULL ORDER BY id",
        )
        .bind(dataset_id)
        .bind(version)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every item of one version linked to a table named `table` (compared
    /// without case): its DDL, the documentation that names it and its examples,
    /// in the order they were trained.
    pub async fn table_items(
        &self,
        dataset_id: i64,
        version: i64,
        table: &str,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let sql = format!(
            "SELECT {HIT_COLUMNS} FROM items \
             WHERE dataset_id = $1 AND version = $2 AND LOWER(table_name) = LOWER($3) ORDER BY id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .bind(version)
            .bind(table)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Items of one version by id (any order).
    pub async fn items_by_ids(
        &self,
        dataset_id: i64,
        version: i64,
        ids: &[i64],
    ) -> Result<Vec<SearchHit>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {HIT_COLUMNS} FROM items WHERE dataset_id = $1 AND version = $2 AND id IN ({})",
            placeholders(3, ids.len())
        );
        let mut q = sqlx::query_as(&sql).bind(dataset_id).bind(version);
        for id in ids {
            q = q.bind(id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}
