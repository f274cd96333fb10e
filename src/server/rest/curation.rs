//! Curating the training data: items, exclusions, curated examples, export and import.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::access::{Reader, Trainer};
use super::extract::{Json, NDJSON, body_bytes, int_param, is_json, is_ndjson, parse_id};
use crate::domain::dto::{ExampleView, ExclusionView, ImportSummary, ItemView, NewExample};
use crate::domain::error::AppError;
use crate::server::services::{ITEMS_DEFAULT, ItemQuery, Services};

type JsonResult<T> = Result<axum::Json<T>, AppError>;

pub async fn items(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> JsonResult<Vec<ItemView>> {
    let query = ItemQuery {
        kind: params.get("kind").map(String::as_str),
        q: params.get("q").map(String::as_str),
        limit: int_param(&params, "limit", ITEMS_DEFAULT)?,
        offset: int_param(&params, "offset", 0)?,
    };
    Ok(axum::Json(
        s.list_items(&user, parse_id(&id)?, &query).await?,
    ))
}

pub async fn delete_item(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, item_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_item(&user, parse_id(&id)?, parse_id(&item_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn exclusions(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<ExclusionView>> {
    Ok(axum::Json(s.list_exclusions(&user, parse_id(&id)?).await?))
}

pub async fn delete_exclusion(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, exclusion_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_exclusion(&user, parse_id(&id)?, parse_id(&exclusion_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn examples(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<ExampleView>> {
    Ok(axum::Json(s.list_examples(&user, parse_id(&id)?).await?))
}

pub async fn add_example(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
    Json(req): Json<NewExample>,
) -> Result<(StatusCode, axum::Json<ExampleView>), AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.add_example(&user, parse_id(&id)?, &req).await?),
    ))
}

pub async fn delete_example(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, example_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_example(&user, parse_id(&id)?, parse_id(&example_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live collection as `application/x-ndjson`, one item a line.
pub async fn export(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let lines = s.export_items(&user, parse_id(&id)?).await?;
    let mut body = String::new();
    for line in &lines {
        body.push_str(&serde_json::to_string(line).map_err(|_| AppError::Internal)?);
        body.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, NDJSON)], body).into_response())
}

/// Imports ndjson lines (`Content-Type: application/x-ndjson`; `application/json` is
/// accepted too); 413 over the body limit.
pub async fn import(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
    req: Request,
) -> JsonResult<ImportSummary> {
    let id = parse_id(&id)?;
    if !is_ndjson(req.headers()) && !is_json(req.headers()) {
        return Err(AppError::UnsupportedMediaType(format!(
            "expected a body with Content-Type: {NDJSON}"
        )));
    }
    let body = body_bytes(req, &()).await?;
    Ok(axum::Json(s.import_items(&user, id, &body).await?))
}
