use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::access::{Reader, Trainer};
use super::extract::{OptionalJson, int_param, parse_id};
use super::openapi::{self as doc, BodyErrors};
use crate::domain::dto::{
    LogEntry, Message, Progress, RunView, SearchResult, StartTraining, Started,
};
use crate::domain::error::AppError;
use crate::server::services::{LOGS_DEFAULT, SEARCH_K_DEFAULT, Services};

type JsonResult<T> = Result<axum::Json<T>, AppError>;

/// Starts training; the body is optional (no body: the last table list).
#[utoipa::path(post, path = "/api/datasets/{id}/training", tag = "training", security(("session" = []), ("token" = [])), request_body = Option<StartTraining>,
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 202, description = "Queued", body = Started), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::TooManyRequests, doc::Unavailable))]
pub async fn start(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<StartTraining>,
) -> Result<(StatusCode, axum::Json<Started>), AppError> {
    let req = body.unwrap_or_default();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(s.start_training(&user, parse_id(&id)?, &req).await?),
    ))
}

/// The training's progress.
#[utoipa::path(get, path = "/api/datasets/{id}/training/progress", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The progress", body = Progress), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn progress(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Progress> {
    Ok(axum::Json(s.progress(&user, parse_id(&id)?).await?))
}

/// The training's most recent log lines, newest first.
#[utoipa::path(get, path = "/api/datasets/{id}/training/logs", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "How many lines (default 50)")),
    responses((status = 200, description = "The log lines", body = Vec<LogEntry>), doc::BadRequest, doc::Unauthorized, doc::NotFound, doc::Unavailable, doc::UriTooLong))]
pub async fn logs(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> JsonResult<Vec<LogEntry>> {
    let limit = int_param(&params, "limit", LOGS_DEFAULT)?;
    Ok(axum::Json(s.logs(&user, parse_id(&id)?, limit).await?))
}

/// Pauses the training at its next checkpoint.
#[utoipa::path(post, path = "/api/datasets/{id}/training/pause", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "Paused", body = Message), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::Unavailable))]
pub async fn pause(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(s.pause_training(&user, parse_id(&id)?).await?))
}

/// Resumes a paused training from its checkpoint.
#[utoipa::path(post, path = "/api/datasets/{id}/training/resume", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "Queued again", body = Message), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::TooManyRequests, doc::Unavailable))]
pub async fn resume(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(s.resume_training(&user, parse_id(&id)?).await?))
}

/// Cancels the training; the previous collection stays the one searched.
#[utoipa::path(post, path = "/api/datasets/{id}/training/cancel", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "Cancelled", body = Message), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::Unavailable))]
pub async fn cancel(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(s.cancel_training(&user, parse_id(&id)?).await?))
}

/// Deletes the trained data; the dataset is pending again.
#[utoipa::path(delete, path = "/api/datasets/{id}/training", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "Deleted", body = Message), doc::BadRequest, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::Unavailable))]
pub async fn delete_data(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(
        s.delete_training_data(&user, parse_id(&id)?).await?,
    ))
}

/// The dataset's training runs, newest first.
#[utoipa::path(get, path = "/api/datasets/{id}/training/runs", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The runs", body = Vec<RunView>), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn runs(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<RunView>> {
    Ok(axum::Json(s.runs(&user, parse_id(&id)?).await?))
}

/// Searches the last completed collection: items and the ranked tables.
#[utoipa::path(get, path = "/api/datasets/{id}/search", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("q" = String, Query, min_length = 1, max_length = 2000, description = "The question"), ("k" = Option<i64>, Query, minimum = 1, maximum = 50, description = "How many items (default 10)")),
    responses((status = 200, description = "The hits (none before a completed training)", body = SearchResult), doc::BadRequest, doc::Unauthorized, doc::NotFound, doc::Unavailable, doc::UriTooLong))]
pub async fn search(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> JsonResult<SearchResult> {
    let k = int_param(&params, "k", SEARCH_K_DEFAULT)?;
    let q = params.get("q").map(String::as_str).unwrap_or("");
    Ok(axum::Json(s.search(&user, parse_id(&id)?, q, k).await?))
}
