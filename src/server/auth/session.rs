//! The signed-in user of a session: where a session starts (login, either door)
//! and ends (logout), and how a request finds its user.

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

/// Signs `user` in on this session (a new session id, against fixation).
pub async fn start_session(session: &Session, user: &CurrentUser) -> Result<(), AppError> {
    let stored = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER, user).await
    };
    stored.await.map_err(|e| {
        tracing::error!(error = %e, "cannot store the session");
        AppError::Internal
    })
}

/// Signs out: the session and its stored record are deleted.
pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(|e| {
        tracing::error!(error = %e, "cannot delete the session");
        AppError::Internal
    })
}
