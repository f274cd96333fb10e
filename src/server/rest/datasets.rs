use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::access::{Reader, Trainer};
use super::extract::{Json, parse_id};
use super::openapi::{self as doc, BodyErrors};
use crate::domain::dto::{CreateDataset, DatasetView, DocView, NewDoc, PatchDataset, TableView};
use crate::domain::error::AppError;
use crate::server::services::Services;

type JsonResult<T> = Result<axum::Json<T>, AppError>;

/// The caller's datasets.
#[utoipa::path(get, path = "/api/datasets", tag = "datasets", security(("session" = []), ("token" = [])),
    responses((status = 200, description = "The datasets", body = Vec<DatasetView>), doc::Unauthorized, doc::Unavailable))]
pub async fn list(State(s): State<Services>, Reader(user): Reader) -> JsonResult<Vec<DatasetView>> {
    Ok(axum::Json(s.list_datasets(&user).await?))
}

/// Creates a dataset on a source database (its URL is checked, not connected to).
#[utoipa::path(post, path = "/api/datasets", tag = "datasets", security(("session" = []), ("token" = [])), request_body = CreateDataset,
    responses((status = 201, description = "The new dataset", body = DatasetView), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::Conflict, doc::Unavailable))]
pub async fn create(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Json(req): Json<CreateDataset>,
) -> Result<(StatusCode, axum::Json<DatasetView>), AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.create_dataset(&user, &req).await?),
    ))
}

/// A dataset.
#[utoipa::path(get, path = "/api/datasets/{id}", tag = "datasets", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The dataset", body = DatasetView), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn get(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<DatasetView> {
    Ok(axum::Json(s.get_dataset(&user, parse_id(&id)?).await?))
}

/// Changes a dataset's name, description or source (not while a run is open).
#[utoipa::path(patch, path = "/api/datasets/{id}", tag = "datasets", security(("session" = []), ("token" = [])), request_body = PatchDataset,
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The changed dataset", body = DatasetView), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::Unavailable))]
pub async fn patch(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
    Json(req): Json<PatchDataset>,
) -> JsonResult<DatasetView> {
    Ok(axum::Json(
        s.patch_dataset(&user, parse_id(&id)?, &req).await?,
    ))
}

/// Deletes a dataset and its training data (not while training).
#[utoipa::path(delete, path = "/api/datasets/{id}", tag = "datasets", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 204, description = "Deleted"), doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Conflict, doc::Unavailable))]
pub async fn delete(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    s.delete_dataset(&user, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The source database's tables, read live (30 source connections a minute).
#[utoipa::path(get, path = "/api/datasets/{id}/tables", tag = "datasets", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The tables", body = Vec<TableView>), doc::Unauthorized, doc::NotFound, doc::Unprocessable, doc::TooManyRequests, doc::BadGateway, doc::Unavailable))]
pub async fn tables(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<TableView>> {
    Ok(axum::Json(s.source_tables(&user, parse_id(&id)?).await?))
}

/// The dataset's documents.
#[utoipa::path(get, path = "/api/datasets/{id}/docs", tag = "datasets", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 200, description = "The documents", body = Vec<DocView>), doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn docs(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<DocView>> {
    Ok(axum::Json(s.list_docs(&user, parse_id(&id)?).await?))
}

/// Adds a document to the dataset.
#[utoipa::path(post, path = "/api/datasets/{id}/docs", tag = "datasets", security(("session" = []), ("token" = [])), request_body = NewDoc,
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id")),
    responses((status = 201, description = "The new document", body = DocView), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Unavailable))]
pub async fn add_doc(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
    Json(req): Json<NewDoc>,
) -> Result<(StatusCode, axum::Json<DocView>), AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.add_doc(&user, parse_id(&id)?, &req).await?),
    ))
}

/// Deletes a document.
#[utoipa::path(delete, path = "/api/datasets/{id}/docs/{doc_id}", tag = "datasets", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"), ("doc_id" = i64, Path, minimum = 1, example = 1, description = "The document's id")),
    responses((status = 204, description = "Deleted"), doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Unavailable))]
pub async fn delete_doc(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_doc(&user, parse_id(&id)?, parse_id(&doc_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
