use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use tower_sessions::Session;

use super::extract::Json;
use crate::domain::dto::{Credentials, UserView};
use crate::domain::error::AppError;
use crate::server::auth::{CurrentUser, end_session, start_session};
use crate::server::services::Services;

pub async fn signup(
    State(services): State<Services>,
    Json(creds): Json<Credentials>,
) -> Result<(StatusCode, axum::Json<UserView>), AppError> {
    let user = services.signup(&creds).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

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

pub async fn logout(session: Session) -> Result<StatusCode, AppError> {
    end_session(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(user: CurrentUser) -> axum::Json<UserView> {
    axum::Json(UserView {
        id: user.id,
        username: user.username,
    })
}
