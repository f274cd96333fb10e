//! The REST API under `/api`: thin handlers over [`Services`](crate::server::services::Services).
//! Every error is `{"detail": "..."}`.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};

use super::state::AppState;

pub(crate) mod auth;
mod datasets;
mod extract;
mod health;
mod training;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health::health))
        .route("/api/auth/signup", post(auth::signup))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/me", get(auth::me))
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
        .route("/api/datasets/{id}/training/pause", post(training::pause))
        .route("/api/datasets/{id}/training/resume", post(training::resume))
        .route("/api/datasets/{id}/training/cancel", post(training::cancel))
        .route("/api/datasets/{id}/training/runs", get(training::runs))
        .route("/api/datasets/{id}/search", get(training::search))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn not_found() -> crate::domain::error::AppError {
    crate::domain::error::AppError::NotFound("No such API route".into())
}
