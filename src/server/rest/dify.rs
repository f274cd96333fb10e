//! `POST /api/dify/retrieval`: Dify's External Knowledge API (Dify appends
//! `/retrieval` to the endpoint it is given, `http://host:3000/api/dify`).
//! Errors are Dify's `{"error_code", "error_msg"}`, not `{"detail"}`:
//!
//! | error_code | HTTP | when |
//! |---|---|---|
//! | 1001 | 403 | no `Authorization` header, or not `Bearer <key>` |
//! | 1002 | 403 | the key is no datatrain token (unknown, revoked) |
//! | 2001 | 404 | no dataset of the token's user with that id, or never trained |
//! | 3001 | 400 (413) | the body is not a retrieval request (too large) |
//! | 5001 | 500 (503) | internal error (database unavailable) |
//!
//! Dify documents 1001, 1002 and 2001 and the statuses 403 (access denied)
//! and 500; 3001, 5001 and 404 are ours (Dify treats every non-200 alike).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::dto::{DifyErrorBody, DifyRecords, DifyRetrieval};
use crate::server::services::{DifyRefusal, Services};

#[utoipa::path(post, path = "/api/dify/retrieval", tag = "integrations", security(("token" = [])),
    request_body = DifyRetrieval,
    responses(
        (status = 200, description = "The records, best first", body = DifyRecords),
        (status = 400, description = "Not a retrieval request (error_code 3001)", body = DifyErrorBody),
        (status = 403, description = "Malformed Authorization header (1001) or failed authorization (1002)", body = DifyErrorBody),
        (status = 404, description = "No such knowledge base (2001)", body = DifyErrorBody),
        (status = 413, description = "The request body is over 1 MiB (3001)", body = DifyErrorBody),
        super::openapi::UnsupportedMediaType,
        (status = 503, description = "The database is unavailable (5001)", body = DifyErrorBody),
    ))]
pub async fn retrieval(
    State(s): State<Services>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match answer(&s, &headers, body).await {
        Ok(records) => axum::Json(records).into_response(),
        Err(refusal) => error(refusal),
    }
}

async fn answer(
    s: &Services,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<crate::domain::dto::DifyRecords, (DifyRefusal, StatusCode)> {
    let failed = |r: DifyRefusal| {
        let status = status_of(&r);
        (r, status)
    };
    // A header that is not visible ASCII is malformed like any other.
    let authorization = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let user = s.dify_caller(authorization).await.map_err(failed)?;
    let body = body.map_err(|e| {
        let status = e.status();
        (DifyRefusal::InvalidRequest(e.body_text()), status)
    })?;
    let mut de = serde_json::Deserializer::from_slice(&body);
    let req: DifyRetrieval = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        failed(DifyRefusal::InvalidRequest(format!(
            "invalid request body: {}: {}",
            e.path(),
            e.inner()
        )))
    })?;
    s.dify_retrieval(&user, &req).await.map_err(failed)
}

fn status_of(r: &DifyRefusal) -> StatusCode {
    match r {
        DifyRefusal::MalformedAuthorization | DifyRefusal::AuthorizationFailed => {
            StatusCode::FORBIDDEN
        }
        DifyRefusal::UnknownKnowledge => StatusCode::NOT_FOUND,
        DifyRefusal::InvalidRequest(_) => StatusCode::BAD_REQUEST,
        DifyRefusal::Failed(e) => {
            StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn error((refusal, status): (DifyRefusal, StatusCode)) -> Response {
    let (error_code, error_msg) = match refusal {
        DifyRefusal::MalformedAuthorization => (
            1001,
            "Invalid Authorization header format. Expected 'Bearer <api-key>' format.".into(),
        ),
        DifyRefusal::AuthorizationFailed => (
            1002,
            "Authorization failed: the API key is not a valid datatrain API token.".into(),
        ),
        DifyRefusal::UnknownKnowledge => (
            2001,
            "The knowledge does not exist: no trained dataset with this knowledge_id.".into(),
        ),
        DifyRefusal::InvalidRequest(why) => (3001, why),
        DifyRefusal::Failed(e) => (5001, e.to_string()),
    };
    (
        status,
        axum::Json(DifyErrorBody {
            error_code,
            error_msg,
        }),
    )
        .into_response()
}
