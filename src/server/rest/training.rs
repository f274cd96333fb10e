use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::access::{Reader, Trainer};
use super::extract::{OptionalJson, int_param, parse_id};
use crate::domain::dto::{
    LogEntry, Message, Progress, RunView, SearchResult, StartTraining, Started,
};
use crate::domain::error::AppError;
use crate::server::services::{LOGS_DEFAULT, SEARCH_K_DEFAULT, Services};

type JsonResult<T> = Result<axum::Json<T>, AppError>;

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

pub async fn progress(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Progress> {
    Ok(axum::Json(s.progress(&user, parse_id(&id)?).await?))
}

pub async fn logs(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> JsonResult<Vec<LogEntry>> {
    let limit = int_param(&params, "limit", LOGS_DEFAULT)?;
    Ok(axum::Json(s.logs(&user, parse_id(&id)?, limit).await?))
}

pub async fn pause(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(s.pause_training(&user, parse_id(&id)?).await?))
}

pub async fn resume(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(s.resume_training(&user, parse_id(&id)?).await?))
}

pub async fn cancel(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(s.cancel_training(&user, parse_id(&id)?).await?))
}

pub async fn delete_data(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> JsonResult<Message> {
    Ok(axum::Json(
        s.delete_training_data(&user, parse_id(&id)?).await?,
    ))
}

pub async fn runs(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<RunView>> {
    Ok(axum::Json(s.runs(&user, parse_id(&id)?).await?))
}

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
