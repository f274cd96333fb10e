//! API tokens: created and revoked by a signed-in user (a token cannot make
//! tokens), and the callers they identify.

use super::Services;
use crate::domain::dto::{CreatedToken, NewToken, TokenScope, TokenView, format_ms};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::auth::tokens::{BearerError, bearer_token, new_token, token_hash};

/// A user may hold this many tokens.
pub const TOKENS_MAX: usize = 50;
const TOKEN_NAME_MAX: usize = 100;

/// Why a bearer token identifies nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// The header is not `Bearer dt_…`.
    Malformed,
    /// No such token (never made, or revoked).
    Unknown,
}

impl From<BearerError> for TokenRefusal {
    fn from(_: BearerError) -> Self {
        TokenRefusal::Malformed
    }
}

impl Services {
    pub async fn create_token(
        &self,
        user: &CurrentUser,
        req: &NewToken,
    ) -> Result<CreatedToken, AppError> {
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > TOKEN_NAME_MAX {
            return Err(AppError::Unprocessable(format!(
                "name must be 1-{TOKEN_NAME_MAX} characters"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::Unprocessable(
                "name must not contain control characters".into(),
            ));
        }
        if self.inner.store.tokens_of(user.id).await?.len() >= TOKENS_MAX {
            return Err(AppError::Unprocessable(format!(
                "You already have {TOKENS_MAX} tokens; revoke one first"
            )));
        }
        let (token, hash) = new_token();
        let row = self
            .inner
            .store
            .insert_token(user.id, name, req.scope, &hash)
            .await?;
        tracing::info!(
            user = user.id,
            token = row.id,
            scope = row.scope.as_str(),
            "API token created"
        );
        Ok(CreatedToken {
            id: row.id,
            name: row.name,
            scope: row.scope,
            token,
            created_at: format_ms(row.created_at),
        })
    }

    pub async fn tokens(&self, user: &CurrentUser) -> Result<Vec<TokenView>, AppError> {
        Ok(self
            .inner
            .store
            .tokens_of(user.id)
            .await?
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                scope: t.scope,
                created_at: format_ms(t.created_at),
                last_used_at: t.last_used_at.map(format_ms),
            })
            .collect())
    }

    /// 404 for a token that is not the user's.
    pub async fn revoke_token(&self, user: &CurrentUser, id: i64) -> Result<(), AppError> {
        if self.inner.store.delete_token(user.id, id).await? {
            tracing::info!(user = user.id, token = id, "API token revoked");
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }

    /// Encrypts a secret that must pass through a place it may not sit in clear
    /// (a token on its way to the page that shows it once).
    pub fn seal(&self, secret: &str) -> String {
        self.inner.secrets.encrypt(secret)
    }

    pub fn unseal(&self, sealed: &str) -> Option<String> {
        self.inner.secrets.decrypt(sealed).ok()
    }

    /// The user and scope of an `Authorization` header's token.
    pub async fn token_caller(
        &self,
        authorization: &str,
    ) -> Result<Result<(CurrentUser, TokenScope), TokenRefusal>, AppError> {
        let token = match bearer_token(authorization) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e.into())),
        };
        let Some(found) = self.inner.store.token_by_hash(&token_hash(token)).await? else {
            return Ok(Err(TokenRefusal::Unknown));
        };
        if let Err(e) = self.inner.store.touch_token(&found).await {
            tracing::warn!(token = found.id, error = %e, "cannot record a token's use");
        }
        Ok(Ok((
            CurrentUser {
                id: found.user_id,
                username: found.username,
            },
            found.scope,
        )))
    }
}
