use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use tower_sessions::Session;

use super::extract::Json;
use super::openapi::{self as doc, BodyErrors};
use crate::domain::dto::{Credentials, UserView};
use crate::domain::error::AppError;
use crate::server::auth::{CurrentUser, end_session, start_session};
use crate::server::services::Services;

/// Creates an account (when signup is open).
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", request_body = Credentials,
    responses((status = 201, description = "The new user", body = UserView), BodyErrors, doc::Forbidden, doc::Conflict, doc::Unavailable))]
pub async fn signup(
    State(services): State<Services>,
    Json(creds): Json<Credentials>,
) -> Result<(StatusCode, axum::Json<UserView>), AppError> {
    let user = services.signup(&creds).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// Signs in: sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, description = "Signed in; the answer sets the session cookie", body = UserView), BodyErrors, doc::Unauthorized, doc::Forbidden, doc::TooManyRequests, doc::Unavailable))]
pub async fn login(
    State(services): State<Services>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Json(creds): Json<Credentials>,
) -> Result<axum::Json<UserView>, AppError> {
    let client = services.client_ip(peer.ip(), &headers);
    let user = services.login(&creds, client).await?;
    start_session(&session, &user).await?;
    Ok(axum::Json(UserView {
        id: user.id,
        username: user.username,
    }))
}

/// Signs out: the session ends (also without one).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), doc::Forbidden, doc::Unavailable))]
pub async fn logout(session: Session) -> Result<StatusCode, AppError> {
    end_session(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("session" = [])),
    responses((status = 200, description = "The signed-in user", body = UserView), doc::Unauthorized, doc::Unavailable))]
pub async fn me(user: CurrentUser) -> axum::Json<UserView> {
    axum::Json(UserView {
        id: user.id,
        username: user.username,
    })
}
