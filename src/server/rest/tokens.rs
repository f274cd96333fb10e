//! `/api/tokens`: a signed-in user's API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::access::SessionUser;
use super::extract::{Json, parse_id};
use super::openapi::{self as doc, BodyErrors};
use crate::domain::dto::{CreatedToken, NewToken, TokenView};
use crate::domain::error::AppError;
use crate::server::services::Services;

/// Creates an API token; the answer is the only time its secret is shown.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens", security(("session" = [])), request_body = NewToken,
    responses((status = 201, description = "The new token, with its secret", body = CreatedToken), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::Unavailable))]
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

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "tokens", security(("session" = [])),
    responses((status = 200, description = "The tokens", body = Vec<TokenView>), doc::Unauthorized, doc::Forbidden, doc::Unavailable))]
pub async fn list(
    State(s): State<Services>,
    SessionUser(user): SessionUser,
) -> Result<axum::Json<Vec<TokenView>>, AppError> {
    Ok(axum::Json(s.tokens(&user).await?))
}

/// Revokes an API token: it stops working at once.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens", security(("session" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The token's id")),
    responses((status = 204, description = "Revoked"), doc::Unauthorized, doc::Forbidden, doc::NotFound, doc::Unavailable))]
pub async fn revoke(
    State(s): State<Services>,
    SessionUser(user): SessionUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    s.revoke_token(&user, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
