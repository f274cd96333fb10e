//! How the HTTP layer answers an [`AppError`], and how internal errors become one.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use crate::domain::error::AppError;
use crate::server::store::StoreError;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            Json(serde_json::json!({ "detail": self.to_string() })),
        )
            .into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Db(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed) = &e {
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable("Database unavailable".into());
        }
        if is_busy(&e) {
            // SQLite's write lock, contended past its busy timeout (or a read
            // snapshot that a concurrent write made stale): the request did not
            // happen and may simply be sent again.
            tracing::warn!(error = %e, "database busy");
            return AppError::Unavailable("Database busy, try again".into());
        }
        tracing::error!(error = %e, "store error");
        AppError::Internal
    }
}

/// SQLITE_BUSY (5) and its extended codes (517: a stale snapshot, 261: recovery…).
fn is_busy(e: &StoreError) -> bool {
    match e {
        StoreError::Db(sqlx::Error::Database(db)) => db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| c & 0xff == 5),
        _ => false,
    }
}
