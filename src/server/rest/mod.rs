//! The REST API under `/api`: thin handlers over [`Services`](crate::server::services::Services).
//! Every error is `{"detail": "..."}`, except Dify's endpoint (`dify.rs`),
//! which answers in Dify's format. Every route is documented in
//! `GET /api/openapi.json` (a new one: its handler in `paths(...)` of `openapi::ApiDoc`).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};

use super::state::AppState;
use crate::domain::error::AppError;

pub(crate) mod access;
pub(crate) mod auth;
mod curation;
mod datasets;
mod dify;
mod events;
mod extract;
mod health;
mod openapi;
mod tokens;
mod training;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api/auth/signup", post(auth::signup))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/me", get(auth::me))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", delete(tokens::revoke))
        .route("/api/datasets", get(datasets::list).post(datasets::create))
        .route(
            "/api/datasets/{id}",
            get(datasets::get)
                .patch(datasets::patch)
                .delete(datasets::delete),
        )
        .route("/api/datasets/{id}/tables", get(datasets::tables))
        .route(
            "/api/datasets/{id}/docs",
            get(datasets::docs).post(datasets::add_doc),
        )
        .route(
            "/api/datasets/{id}/docs/{doc_id}",
            delete(datasets::delete_doc),
        )
        .route(
            "/api/datasets/{id}/training",
            post(training::start).delete(training::delete_data),
        )
        .route(
            "/api/datasets/{id}/training/progress",
            get(training::progress),
        )
        .route("/api/datasets/{id}/training/logs", get(training::logs))
        .route(
            "/api/datasets/{id}/training/events",
            get(events::dataset_events),
        )
        .route("/api/events", get(events::all_events))
        .route("/api/datasets/{id}/training/pause", post(training::pause))
        .route("/api/datasets/{id}/training/resume", post(training::resume))
        .route("/api/datasets/{id}/training/cancel", post(training::cancel))
        .route("/api/datasets/{id}/training/runs", get(training::runs))
        .route("/api/datasets/{id}/search", get(training::search))
        .route("/api/dify/retrieval", post(dify::retrieval))
        .route("/api/datasets/{id}/items", get(curation::items))
        .route(
            "/api/datasets/{id}/items/{item_id}",
            delete(curation::delete_item),
        )
        .route("/api/datasets/{id}/exclusions", get(curation::exclusions))
        .route(
            "/api/datasets/{id}/exclusions/{exclusion_id}",
            delete(curation::delete_exclusion),
        )
        .route(
            "/api/datasets/{id}/examples",
            get(curation::examples).post(curation::add_example),
        )
        .route(
            "/api/datasets/{id}/examples/{example_id}",
            delete(curation::delete_example),
        )
        .route("/api/datasets/{id}/export", get(curation::export))
        .route("/api/datasets/{id}/import", post(curation::import))
        // Unknown paths under /api answer in the API's format (the app's own
        // fallback serves the UI's HTML page), whatever the method.
        .route("/api", any(not_found))
        .route("/api/", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(axum::middleware::from_fn(refuse_non_json_bodies))
        .layer(axum::middleware::from_fn(refuse_large_bodies))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn not_found() -> AppError {
    AppError::NotFound("No such API route".into())
}

async fn method_not_allowed() -> Response {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(serde_json::json!({"detail": "Method not allowed on this route"})),
    )
        .into_response()
}

/// The API takes JSON only: a request with a body of another type is refused
/// with 415 before any handler runs (a `text/plain` form cannot start a run).
/// A request without a body passes (pause, resume and start take none). The
/// import of training data alone takes `application/x-ndjson` too.
async fn refuse_non_json_bodies(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let has_body = headers.contains_key(axum::http::header::TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    if has_body && !extract::is_json(headers) && !(is_import(&req) && extract::is_ndjson(headers)) {
        return AppError::UnsupportedMediaType(extract::JSON_ONLY.into()).into_response();
    }
    next.run(req).await
}

/// Whether the request is `POST /api/datasets/{id}/import`.
fn is_import(req: &Request) -> bool {
    let segments: Vec<&str> = req.uri().path().split('/').collect();
    req.method() == axum::http::Method::POST
        && matches!(segments.as_slice(), ["", "api", "datasets", _, "import"])
}

/// 413 for a declared body over the limit on every route, also those that do
/// not read their body (the extractors enforce the limit on bodies they read).
async fn refuse_large_bodies(req: Request, next: Next) -> Response {
    let too_large = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > BODY_LIMIT as u64);
    if too_large {
        return AppError::PayloadTooLarge.into_response();
    }
    next.run(req).await
}
