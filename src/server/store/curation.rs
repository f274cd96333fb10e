//! Curation of a dataset's collection: listing the live items, deleting one
//! (kept out of later trainings by an exclusion), and the curated examples.

use super::{Backend, Store, StoreError, now_ms};
use crate::domain::dto::ItemKind;

/// An item of the collection as listed and exported.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub kind: ItemKind,
    pub table_name: Option<String>,
    pub question: Option<String>,
    pub content: String,
}

/// An item deleted from the collection, kept out of later trainings.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExclusionRow {
    pub id: i64,
    pub content_hash: String,
    pub kind: ItemKind,
    pub table_name: Option<String>,
    pub question: Option<String>,
    pub content: String,
    pub created_at: i64,
}

/// A question → SQL example written by the user.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExampleRow {
    pub id: i64,
    pub question: String,
    pub sql: String,
    pub created_at: i64,
}

/// Which live items to list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter<'a> {
    pub kind: Option<ItemKind>,
    /// A case-insensitive substring of the table name, question or content.
    pub contains: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

/// `%text%` for `LIKE … ESCAPE '\'`, lower-cased, with `%`, `_` and `\` escaped.
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

const ITEM_COLUMNS: &str = "id, kind, table_name, question, content";
const EXCLUSION_COLUMNS: &str = "id, content_hash, kind, table_name, question, content, created_at";

impl Store {
    /// Items of one version, in id order, filtered and paged.
    pub async fn list_items(
        &self,
        dataset_id: i64,
        version: i64,
        filter: &ItemFilter<'_>,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE dataset_id = $1 AND version = $2 \
             AND ($3 IS NULL OR kind = $3) \
             AND ($4 IS NULL OR LOWER(COALESCE(table_name, '')) LIKE $4 ESCAPE '\\' \
                  OR LOWER(COALESCE(question, '')) LIKE $4 ESCAPE '\\' \
                  OR LOWER(content) LIKE $4 ESCAPE '\\') \
             ORDER BY id LIMIT $5 OFFSET $6"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .bind(version)
            .bind(filter.kind.map(ItemKind::as_str))
            .bind(filter.contains.map(like_pattern))
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every item of one version, in id order (export).
    pub async fn version_items(
        &self,
        dataset_id: i64,
        version: i64,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE dataset_id = $1 AND version = $2 ORDER BY id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .bind(version)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Deletes an item of one version (and its full-text row) and records its
    /// exclusion, in one transaction. `false` when the item is not in that version.
    pub async fn exclude_item(
        &self,
        dataset_id: i64,
        version: i64,
        item_id: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO item_exclusions (dataset_id, content_hash, kind, table_name, question, content, created_at) \
             SELECT dataset_id, content_hash, kind, table_name, question, content, $4 FROM items \
             WHERE id = $1 AND dataset_id = $2 AND version = $3 \
             ON CONFLICT (dataset_id, content_hash) DO NOTHING",
        )
        .bind(item_id)
        .bind(dataset_id)
        .bind(version)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if self.backend == Backend::Sqlite {
            sqlx::query(
                "DELETE FROM items_fts WHERE rowid IN \
                 (SELECT id FROM items WHERE id = $1 AND dataset_id = $2 AND version = $3)",
            )
            .bind(item_id)
            .bind(dataset_id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        let deleted =
            sqlx::query("DELETE FROM items WHERE id = $1 AND dataset_id = $2 AND version = $3")
                .bind(item_id)
                .bind(dataset_id)
                .bind(version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    pub async fn exclusions(&self, dataset_id: i64) -> Result<Vec<ExclusionRow>, StoreError> {
        let sql = format!(
            "SELECT {EXCLUSION_COLUMNS} FROM item_exclusions WHERE dataset_id = $1 ORDER BY id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(dataset_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The content hashes a training of this dataset must not emit.
    pub async fn exclusion_hashes(&self, dataset_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT content_hash FROM item_exclusions WHERE dataset_id = $1")
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn delete_exclusion(&self, dataset_id: i64, id: i64) -> Result<bool, StoreError> {
        self.delete_row_of("item_exclusions", dataset_id, id).await
    }

    /// Deletes row `id` of `table` if it belongs to the dataset; whether it did.
    async fn delete_row_of(
        &self,
        table: &'static str,
        dataset_id: i64,
        id: i64,
    ) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {table} WHERE id = $1 AND dataset_id = $2");
        let n = sqlx::query(&sql)
            .bind(id)
            .bind(dataset_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn insert_example(
        &self,
        dataset_id: i64,
        question: &str,
        sql: &str,
    ) -> Result<ExampleRow, StoreError> {
        Ok(sqlx::query_as(
            "INSERT INTO dataset_examples (dataset_id, question, sql, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, question, sql, created_at",
        )
        .bind(dataset_id)
        .bind(question)
        .bind(sql)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// A dataset's curated examples, oldest first (the order stage 4 indexes them in).
    pub async fn examples(&self, dataset_id: i64) -> Result<Vec<ExampleRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, question, sql, created_at FROM dataset_examples WHERE dataset_id = $1 ORDER BY id",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn delete_example(&self, dataset_id: i64, id: i64) -> Result<bool, StoreError> {
        self.delete_row_of("dataset_examples", dataset_id, id).await
    }

    /// Adds documents (title, content) and examples (question, SQL) in one transaction.
    pub async fn import_curated(
        &self,
        dataset_id: i64,
        docs: &[(String, String)],
        examples: &[(String, String)],
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for (title, content) in docs {
            sqlx::query("INSERT INTO dataset_docs (dataset_id, title, content, created_at) VALUES ($1, $2, $3, $4)")
                .bind(dataset_id)
                .bind(title)
                .bind(content)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for (question, sql) in examples {
            sqlx::query("INSERT INTO dataset_examples (dataset_id, question, sql, created_at) VALUES ($1, $2, $3, $4)")
                .bind(dataset_id)
                .bind(question)
                .bind(sql)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards_and_ignore_case() {
        assert_eq!(like_pattern("Track"), "%track%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
