//! Curating the training data: items, exclusions, curated examples, export and import.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::access::{Reader, Trainer};
use super::extract::{Json, NDJSON, body_bytes, int_param, is_json, is_ndjson, parse_id};
use super::openapi::{self as doc, BodyErrors};
use crate::domain::dto::{
    ExampleView, ExclusionView, ImportSummary, ItemKind, ItemView, NewExample,
};
use crate::domain::error::AppError;
use crate::server::services::{ITEMS_DEFAULT, ItemQuery, Services};

type JsonResult<T> = Result<axum::Json<T>, AppError>;

#[utoipa::path(get, path = "/api/datasets/{id}/items", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("kind" = Option<ItemKind>, Query, description = "Only items of this kind"), ("q" = Option<String>, Query, description = "A case-insensitive substring of the table, question or content"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "How many (default 50)"), ("offset" = Option<i64>, Query, minimum = 0, description = "How many to skip")),
    responses((status = 200, description = "The live collection's items", body = Vec<ItemView>), doc::BadRequest, doc::Unauthorized, doc::NotFound, doc::Unprocessable, doc::Unavailable, doc::UriTooLong))]
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

#[utoipa::path(delete, path = "/api/datasets/{id}/items/{item_id}", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("item_id" = i64, Path, minimum = 1, example = 1, description = "The item's id")),
    responses((status = 204, description = "Removed, and kept out of later trainings"), doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Unavailable))]
pub async fn delete_item(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, item_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_item(&user, parse_id(&id)?, parse_id(&item_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/datasets/{id}/exclusions", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The items kept out of trainings", body = Vec<ExclusionView>), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn exclusions(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<ExclusionView>> {
    Ok(axum::Json(s.list_exclusions(&user, parse_id(&id)?).await?))
}

#[utoipa::path(delete, path = "/api/datasets/{id}/exclusions/{exclusion_id}", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("exclusion_id" = i64, Path, minimum = 1, example = 1, description = "The exclusion's id")),
    responses((status = 204, description = "Removed: the item comes back at the next training"), doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Unavailable))]
pub async fn delete_exclusion(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, exclusion_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_exclusion(&user, parse_id(&id)?, parse_id(&exclusion_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/datasets/{id}/examples", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The curated examples", body = Vec<ExampleView>), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn examples(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<ExampleView>> {
    Ok(axum::Json(s.list_examples(&user, parse_id(&id)?).await?))
}

#[utoipa::path(post, path = "/api/datasets/{id}/examples", tag = "curation", security(("session" = []), ("token" = [])), request_body = NewExample,
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 201, description = "The example; its SQL ran read-only on the source", body = ExampleView), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooManyRequests, doc::BadGateway, doc::Unavailable))]
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

#[utoipa::path(delete, path = "/api/datasets/{id}/examples/{example_id}", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("example_id" = i64, Path, minimum = 1, example = 1, description = "The example's id")),
    responses((status = 204, description = "Deleted"), doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Unavailable))]
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
#[utoipa::path(get, path = "/api/datasets/{id}/export", tag = "curation", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "One live item a line, in Vanna's shape", content_type = "application/x-ndjson", body = String), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
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
#[utoipa::path(post, path = "/api/datasets/{id}/import", tag = "curation", security(("session" = []), ("token" = [])),
    request_body(content = String, content_type = "application/x-ndjson", description = "Lines in the export's shape"),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "What was added, skipped and refused", body = ImportSummary), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::TooManyRequests, doc::BadGateway, doc::Unavailable))]
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
