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

/// On the wire (server functions) an error is `{"status": 404, "detail": "Not found"}`
/// (plus `"retry_after"` in seconds for 429), the same words as the REST API's
/// `{"detail"}` bodies; the HTTP status of the answer is `status` too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// 429, with the seconds to wait (sent as `Retry-After`).
    #[error("{0}")]
    TooManyRequests(String, u64),
    /// 502: a source database could not be reached or answered with an error.
    #[error("{0}")]
    BadGateway(String),
    /// 503 (sent with `Retry-After`).
    #[error("{0}")]
    Unavailable(String),
    /// 414
    #[error("Request URI too long")]
    UriTooLong,
    /// 415
    #[error("{0}")]
    UnsupportedMediaType(String),
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
            AppError::TooManyRequests(..) => 429,
            AppError::UriTooLong => 414,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::BadGateway(_) => 502,
            AppError::Unavailable(_) => 503,
            AppError::Internal => 500,
        }
    }

    /// Seconds a client should wait before trying again (`Retry-After`).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests(_, secs) => Some((*secs).max(1)),
            AppError::Unavailable(_) => Some(RETRY_AFTER_UNAVAILABLE),
            _ => None,
        }
    }

    /// Rebuilds an error from its status and detail (what the wire carries).
    pub fn from_status(status: u16, detail: String, retry_after: Option<u64>) -> Self {
        match status {
            401 => AppError::Unauthorized(detail),
            403 => AppError::Forbidden(detail),
            404 => AppError::NotFound(detail),
            409 => AppError::Conflict(detail),
            413 => AppError::PayloadTooLarge,
            414 => AppError::UriTooLong,
            415 => AppError::UnsupportedMediaType(detail),
            422 => AppError::Unprocessable(detail),
            429 => AppError::TooManyRequests(detail, retry_after.unwrap_or(60)),
            502 => AppError::BadGateway(detail),
            503 => AppError::Unavailable(detail),
            500 => AppError::Internal,
            _ => AppError::BadRequest(detail),
        }
    }
}

/// `Retry-After` of a 503 (a busy server or an unavailable database).
pub const RETRY_AFTER_UNAVAILABLE: u64 = 5;

#[derive(Serialize, Deserialize)]
struct WireError {
    status: u16,
    detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireError {
            status: self.status_code(),
            detail: self.to_string(),
            retry_after: self.retry_after(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let w = WireError::deserialize(deserializer)?;
        Ok(AppError::from_status(w.status, w.detail, w.retry_after))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request's arguments did not decode: bad input, like a REST 422.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                AppError::Unprocessable(format!("invalid arguments: {m}"))
            }
            other => AppError::ServerFn(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_the_wire_with_their_status() {
        for e in [
            AppError::unauthenticated(),
            AppError::Forbidden("no".into()),
            AppError::not_found(),
            AppError::Conflict("c".into()),
            AppError::PayloadTooLarge,
            AppError::UriTooLong,
            AppError::Unprocessable("u".into()),
            AppError::TooManyRequests("slow down".into(), 42),
            AppError::Unavailable("busy".into()),
            AppError::Internal,
        ] {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["status"], e.status_code());
            assert_eq!(json["detail"], e.to_string());
            let back: AppError = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
        assert_eq!(
            serde_json::to_value(AppError::TooManyRequests("x".into(), 7)).unwrap()["retry_after"],
            7
        );
    }
}
