//! Accounts and sessions: argon2id password hashes, sessions (tower-sessions) kept
//! in the app's database behind a small in-memory cache, the current user, and
//! who the client is (its address, behind trusted proxies).

mod client;
mod password;
mod session_store;
pub mod tokens;

pub use client::{client_ip, parse_trusted_proxies};
pub use password::{BUSY, Passwords, check_new_password};
pub use session_store::DbSessionStore;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::domain::error::AppError;

/// The session key holding the signed-in user.
pub const SESSION_USER: &str = "user";

/// The signed-in user, as stored in the session (no database read per request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
}

impl CurrentUser {
    /// The user of this session, or 401.
    pub async fn from_session(session: &Session) -> Result<CurrentUser, AppError> {
        match session.get::<CurrentUser>(SESSION_USER).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(AppError::unauthenticated()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the session");
                Err(AppError::unauthenticated())
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::unauthenticated())?;
        CurrentUser::from_session(&session).await
    }
}
