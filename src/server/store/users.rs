//! Accounts.

use super::{Store, StoreError, now_ms, unique};

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
        sqlx::query_as(
            "INSERT INTO users (username, password_hash, is_admin, created_at) \
             VALUES ($1, $2, CASE WHEN EXISTS (SELECT 1 FROM users) THEN 0 ELSE 1 END, $3) \
             RETURNING id, username, password_hash, is_admin",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(unique)
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
