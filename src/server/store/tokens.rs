//! API tokens: their SHA-256, never the token itself.

use super::{Store, StoreError, now_ms};
use crate::domain::dto::TokenScope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A token found by its hash, with its owner's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub scope: TokenScope,
    pub last_used_at: Option<i64>,
}

/// `last_used_at` is written at most this often per token (not on every request).
const TOUCH_EVERY_MS: i64 = 60_000;

const TOKEN_COLUMNS: &str = "id, user_id, name, scope, created_at, last_used_at";

impl Store {
    pub async fn insert_token(
        &self,
        user_id: i64,
        name: &str,
        scope: TokenScope,
        token_hash: &str,
    ) -> Result<TokenRow, StoreError> {
        let sql = format!(
            "INSERT INTO api_tokens (user_id, name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {TOKEN_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(name)
            .bind(scope.as_str())
            .bind(token_hash)
            .bind(now_ms())
            .fetch_one(&self.pool)
            .await?)
    }

    /// The user's tokens, newest first.
    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenRow>, StoreError> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC");
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Revokes one of the user's tokens; `false` if it has no such token.
    pub async fn delete_token(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let n = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The token with this hash and its owner. Read on every request (no cache),
    /// so a revoked token fails at once on every instance.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenOwner>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.id, t.user_id, u.username, t.scope, t.last_used_at FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a use of the token, at most once a minute.
    pub async fn touch_token(&self, token: &TokenOwner) -> Result<(), StoreError> {
        let now = now_ms();
        if token
            .last_used_at
            .is_some_and(|at| now - at < TOUCH_EVERY_MS)
        {
            return Ok(());
        }
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(token.id)
        .bind(now)
        .bind(now - TOUCH_EVERY_MS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
