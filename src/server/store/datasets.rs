//! Datasets and their documentation.

use super::{Store, StoreError, now_ms, unique};
use crate::domain::status::Status;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DatasetRow {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub description: String,
    /// The URL as shown: its password, if any, is masked (`***`) and kept in `source_secret`.
    pub source_url: String,
    /// The full URL, password included, encrypted (see `server::secrets`); None
    /// when the URL carries no secret and `source_url` is the URL to connect to.
    pub source_secret: Option<String>,
    /// JSON array of the last chosen table names.
    pub table_names: String,
    pub status: crate::domain::status::Status,
    pub process_rate: f64,
    pub error_msg: Option<String>,
    pub last_train_at: Option<i64>,
    pub live_version: Option<i64>,
    /// Where terminal changes are posted (see `store::webhooks`).
    pub webhook_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRow {
    pub id: i64,
    pub dataset_id: i64,
    pub title: String,
    pub content: String,
    pub created_at: i64,
}

/// A source URL as stored: shown (password masked) and, when it has a secret, encrypted in full.
#[derive(Clone, Default)]
pub struct StoredSource {
    pub shown: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for StoredSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StoredSource").field(&self.shown).finish()
    }
}

/// The fields a PATCH may change; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct DatasetPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub source_url: Option<StoredSource>,
}

const DATASET_COLUMNS: &str = "id, owner_id, name, description, source_url, source_secret, table_names, status, \
     process_rate, error_msg, last_train_at, live_version, webhook_url, created_at, updated_at";

impl Store {
    /// Creates a dataset, with its chosen tables and a first document, in one transaction.
    pub async fn insert_dataset(
        &self,
        owner_id: i64,
        name: &str,
        description: &str,
        source: &StoredSource,
        table_names_json: &str,
        doc: Option<(&str, &str)>,
    ) -> Result<DatasetRow, StoreError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO datasets (owner_id, name, description, source_url, source_secret, table_names, status, \
             process_rate, created_at, updated_at) VALUES ($1, $2, $3, $4, $7, $5, 'pending', 0.0, $6, $6) \
             RETURNING {DATASET_COLUMNS}"
        );
        let mut tx = self.pool.begin().await?;
        let row: DatasetRow = sqlx::query_as(&sql)
            .bind(owner_id)
            .bind(name)
            .bind(description)
            .bind(&source.shown)
            .bind(table_names_json)
            .bind(now)
            .bind(source.secret.as_deref())
            .fetch_one(&mut *tx)
            .await
            .map_err(unique)?;
        if let Some((title, content)) = doc {
            sqlx::query("INSERT INTO dataset_docs (dataset_id, title, content, created_at) VALUES ($1, $2, $3, $4)")
                .bind(row.id)
                .bind(title)
                .bind(content)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// The dataset if it exists and belongs to `owner_id`.
    pub async fn dataset_of(
        &self,
        id: i64,
        owner_id: i64,
    ) -> Result<Option<DatasetRow>, StoreError> {
        let sql = format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE id = $1 AND owner_id = $2");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .bind(owner_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn dataset(&self, id: i64) -> Result<Option<DatasetRow>, StoreError> {
        let sql = format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every dataset's id, owner and status (what the event hub starts from).
    pub async fn dataset_heads(&self) -> Result<Vec<(i64, i64, Status)>, StoreError> {
        Ok(sqlx::query_as("SELECT id, owner_id, status FROM datasets")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn datasets_of(&self, owner_id: i64) -> Result<Vec<DatasetRow>, StoreError> {
        let sql =
            format!("SELECT {DATASET_COLUMNS} FROM datasets WHERE owner_id = $1 ORDER BY id DESC");
        Ok(sqlx::query_as(&sql)
            .bind(owner_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Applies a patch. A new source URL is only written while no run is open
    /// (checked in the same statement): `Ok(None)` when the dataset does not exist
    /// or a run is open.
    pub async fn update_dataset(
        &self,
        id: i64,
        patch: &DatasetPatch,
    ) -> Result<Option<DatasetRow>, StoreError> {
        let sql = format!(
            "UPDATE datasets SET name = COALESCE($2, name), description = COALESCE($3, description), \
             source_url = CASE WHEN $6 = 1 THEN $4 ELSE source_url END, \
             source_secret = CASE WHEN $6 = 1 THEN $7 ELSE source_secret END, updated_at = $5 \
             WHERE id = $1 AND ($6 = 0 OR status NOT IN ('queued', 'training', 'paused')) \
             RETURNING {DATASET_COLUMNS}"
        );
        let source = patch.source_url.clone().unwrap_or_default();
        sqlx::query_as(&sql)
            .bind(id)
            .bind(patch.name.as_deref())
            .bind(patch.description.as_deref())
            .bind(source.shown)
            .bind(now_ms())
            .bind(i64::from(patch.source_url.is_some()))
            .bind(source.secret)
            .fetch_optional(&self.pool)
            .await
            .map_err(unique)
    }

    /// Datasets whose source URL is stored without encryption (to encrypt at start).
    pub async fn datasets_with_plain_sources(&self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, source_url FROM datasets WHERE source_secret IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Replaces a stored source URL by its masked form and its encryption,
    /// unless it changed meanwhile.
    pub async fn encrypt_source(
        &self,
        id: i64,
        plain: &str,
        source: &StoredSource,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE datasets SET source_url = $2, source_secret = $3 \
             WHERE id = $1 AND source_url = $4 AND source_secret IS NULL",
        )
        .bind(id)
        .bind(&source.shown)
        .bind(source.secret.as_deref())
        .bind(plain)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Deletes a dataset with everything it owns, unless a run is queued or training
    /// (checked in the same statement). Returns whether it was deleted.
    pub async fn delete_dataset(&self, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The full-text rows go first: deleting the dataset cascades to its items,
        // and the index rows are found through them (SQLite).
        if self.backend == super::Backend::Sqlite {
            // A plain write first, so SQLite takes its write lock (waiting its busy
            // timeout) before the virtual table's delete reads a snapshot that a
            // concurrent write could make stale (SQLITE_BUSY_SNAPSHOT).
            sqlx::query("UPDATE datasets SET status = status WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM items_fts WHERE rowid IN (SELECT i.id FROM items i JOIN datasets d ON d.id = i.dataset_id \
                 WHERE d.id = $1 AND d.status NOT IN ('queued', 'training'))",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let deleted = sqlx::query(
            "DELETE FROM datasets WHERE id = $1 AND status NOT IN ('queued', 'training')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted == 1 {
            sqlx::query("DELETE FROM items WHERE dataset_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM training_logs WHERE dataset_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM training_runs WHERE dataset_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for table in ["dataset_docs", "dataset_examples", "item_exclusions"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE dataset_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(deleted == 1)
    }

    pub async fn insert_doc(
        &self,
        dataset_id: i64,
        title: &str,
        content: &str,
    ) -> Result<DocRow, StoreError> {
        Ok(sqlx::query_as(
            "INSERT INTO dataset_docs (dataset_id, title, content, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, dataset_id, title, content, created_at",
        )
        .bind(dataset_id)
        .bind(title)
        .bind(content)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn docs(&self, dataset_id: i64) -> Result<Vec<DocRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, dataset_id, title, content, created_at FROM dataset_docs WHERE dataset_id = $1 ORDER BY id",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn delete_doc(&self, dataset_id: i64, doc_id: i64) -> Result<bool, StoreError> {
        let n = sqlx::query("DELETE FROM dataset_docs WHERE id = $1 AND dataset_id = $2")
            .bind(doc_id)
            .bind(dataset_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
