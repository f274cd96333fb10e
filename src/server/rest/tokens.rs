//! `/api/tokens`: a signed-in user's API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::access::SessionUser;
use super::extract::{Json, parse_id};
use crate::domain::dto::{CreatedToken, NewToken, TokenView};
use crate::domain::error::AppError;
use crate::server::services::Services;

pub async fn create(
    State(s): State<Services>,
    SessionUser(user): SessionUser,
    Json(req): Json<NewToken>,
) -> Result<(StatusCode, axum::Json<CreatedToken>), AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(s.create_token(&user, &req).await?),
    ))
}

pub async fn list(
    State(s): State<Services>,
    SessionUser(user): SessionUser,
) -> Result<axum::Json<Vec<TokenView>>, AppError> {
    Ok(axum::Json(s.tokens(&user).await?))
}

pub async fn revoke(
    State(s): State<Services>,
    SessionUser(user): SessionUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    s.revoke_token(&user, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
