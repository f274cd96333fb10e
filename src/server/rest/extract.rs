//! Extractors that answer bad input in the app's error format (`{"detail": …}`).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::domain::error::AppError;

pub const JSON_ONLY: &str = "expected a JSON body with Content-Type: application/json";

/// Whether the request says its body is JSON (`application/json` or `…+json`).
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

/// `axum::Json`, with rejections as `AppError`: 413 for bodies over the limit,
/// 415 for a body that is not `application/json`, 400 for malformed JSON,
/// 422 for wrong types (the detail names the field).
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    match rejection {
        JsonRejection::JsonDataError(e) => {
            AppError::Unprocessable(format!("invalid request body: {}", e.body_text()))
        }
        JsonRejection::JsonSyntaxError(e) => {
            AppError::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => {
            AppError::UnsupportedMediaType(JSON_ONLY.into())
        }
        other => AppError::BadRequest(other.body_text()),
    }
}

/// A dataset or document id from the path: anything that is not a positive integer is 404.
pub fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(AppError::not_found)
}

/// An optional integer query parameter; anything unparsable is 400 naming it.
pub fn int_param(
    params: &std::collections::HashMap<String, String>,
    name: &str,
    default: i64,
) -> Result<i64, AppError> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest(format!("{name} must be an integer"))),
    }
}

/// The media type of newline-delimited JSON (export and import of training data).
pub const NDJSON: &str = "application/x-ndjson";

/// Whether the request says its body is newline-delimited JSON.
pub fn is_ndjson(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(NDJSON))
}

/// The whole body (within the body limit: 413 past it).
pub async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest(e.body_text())
            }
        })
}

/// Like [`Json`], but an empty body is `None` (for requests whose body is optional).
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !json {
            return Err(AppError::UnsupportedMediaType(JSON_ONLY.into()));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(&mut de) {
            Ok(v) => Ok(OptionalJson(Some(v))),
            Err(e) if e.inner().is_data() => Err(AppError::Unprocessable(format!(
                "invalid request body: {}: {}",
                e.path(),
                e.inner()
            ))),
            Err(e) => Err(AppError::BadRequest(format!(
                "malformed JSON: {}",
                e.inner()
            ))),
        }
    }
}
