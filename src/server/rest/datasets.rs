use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::access::{Reader, Trainer};
use super::extract::{Json, parse_id};
use crate::domain::dto::{CreateDataset, DatasetView, DocView, NewDoc, PatchDataset, TableView};
use crate::domain::error::AppError;
use crate::server::services::Services;

type JsonResult<T> = Result<axum::Json<T>, AppError>;

pub async fn list(State(s): State<Services>, Reader(user): Reader) -> JsonResult<Vec<DatasetView>> {
    Ok(axum::Json(s.list_datasets(&user).await?))
}

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

pub async fn get(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<DatasetView> {
    Ok(axum::Json(s.get_dataset(&user, parse_id(&id)?).await?))
}

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

pub async fn delete(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    s.delete_dataset(&user, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn tables(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<TableView>> {
    Ok(axum::Json(s.source_tables(&user, parse_id(&id)?).await?))
}

pub async fn docs(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
) -> JsonResult<Vec<DocView>> {
    Ok(axum::Json(s.list_docs(&user, parse_id(&id)?).await?))
}

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

pub async fn delete_doc(
    State(s): State<Services>,
    Trainer(user): Trainer,
    Path((id, doc_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    s.delete_doc(&user, parse_id(&id)?, parse_id(&doc_id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
