//! The one error type of the service layer, shared by both doors: the REST API
//! turns it into an HTTP status with `{"detail": …}`, server functions send it to
//! the UI as a typed value. Internal causes are logged on the server and never
//! carried here.

use serde::{Deserialize, Serialize};
use server_fn_error::*;

/// Re-exports kept in one place so the rest of the crate does not depend on
/// server_fn's module layout.
mod server_fn_error {
    pub use leptos::server_fn::codec::JsonEncoding;
    pub use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 400
    #[error("{0}")]
    BadRequest(String),
    /// 401
    #[error("{0}")]
    Unauthorized(String),
    /// 403
    #[error("{0}")]
    Forbidden(String),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 409
    #[error("{0}")]
    Conflict(String),
    /// 413
    #[error("Request body too large")]
    PayloadTooLarge,
    /// 422
    #[error("{0}")]
    Unprocessable(String),
    /// 429
    #[error("{0}")]
    TooManyRequests(String),
    /// 502: a source database could not be reached or answered with an error.
    #[error("{0}")]
    BadGateway(String),
    /// 503
    #[error("{0}")]
    Unavailable(String),
    /// 500: the cause is in the server log, never here.
    #[error("Internal server error")]
    Internal,
    /// The server function call itself failed (network, decoding).
    #[error("{0}")]
    ServerFn(String),
}

impl AppError {
    pub fn not_found() -> Self {
        AppError::NotFound("Not found".into())
    }

    pub fn unauthenticated() -> Self {
        AppError::Unauthorized("Not authenticated".into())
    }

    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest(_) | AppError::ServerFn(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::PayloadTooLarge => 413,
            AppError::Unprocessable(_) => 422,
            AppError::TooManyRequests(_) => 429,
            AppError::BadGateway(_) => 502,
            AppError::Unavailable(_) => 503,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value.to_string())
    }
}
