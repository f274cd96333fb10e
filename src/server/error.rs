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
        tracing::error!(error = %e, "store error");
        AppError::Internal
    }
}
