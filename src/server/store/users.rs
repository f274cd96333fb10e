//! Accounts.

use super::{Backend, Store, StoreError, now_ms, unique};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_admin: i64,
}

impl Store {
    /// Creates an account; the first one becomes admin. `Err(StoreError::Unique)` if the name is taken.
    pub async fn insert_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<UserRow, StoreError> {
        self.insert_user_if(username, password_hash, false)
            .await?
            .ok_or(StoreError::Unique)
    }

    /// Creates an account; the first one becomes admin. With `only_first`, the
    /// account is created only if there is none yet (`Ok(None)` otherwise).
    /// `Err(StoreError::Unique)` if the name is taken.
    ///
    /// "Is there an account yet?" and the insert are one atomic step: SQLite
    /// runs the statement under its write lock; PostgreSQL takes a table lock
    /// that concurrent account creations wait for (readers are not blocked), so
    /// two simultaneous first signups cannot both become admin or both get in.
    pub async fn insert_user_if(
        &self,
        username: &str,
        password_hash: &str,
        only_first: bool,
    ) -> Result<Option<UserRow>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let row: Option<UserRow> = sqlx::query_as(
            "INSERT INTO users (username, password_hash, is_admin, created_at) \
             SELECT $1, $2, CASE WHEN EXISTS (SELECT 1 FROM users) THEN 0 ELSE 1 END, $3 \
             WHERE $4 = 0 OR NOT EXISTS (SELECT 1 FROM users) \
             RETURNING id, username, password_hash, is_admin",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now_ms())
        .bind(i64::from(only_first))
        .fetch_optional(&mut *tx)
        .await
        .map_err(unique)?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, username, password_hash, is_admin FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, username, password_hash, is_admin FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }
}
