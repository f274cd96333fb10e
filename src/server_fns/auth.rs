use leptos::prelude::*;

use crate::domain::dto::UserView;
use crate::domain::error::AppError;
use crate::domain::i18n::Lang;

/// The signed-in user, or `None`.
#[server(prefix = "/sfn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    match super::session_user().await {
        Ok((_, user)) => Ok(Some(UserView {
            id: user.id,
            username: user.username,
        })),
        Err(AppError::Unauthorized(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[server(prefix = "/sfn", endpoint = "signup")]
pub async fn signup(username: String, password: String) -> Result<(), AppError> {
    use crate::domain::dto::Credentials;
    let state = expect_context::<crate::server::state::AppState>();
    let creds = Credentials { username, password };
    let result = match state.services.signup(&creds).await {
        Ok(_) => login_with(&state.services, &creds).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) => super::back_to_form(Err(e)).await,
    }
}

#[server(prefix = "/sfn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    let state = expect_context::<crate::server::state::AppState>();
    let result = login_with(
        &state.services,
        &crate::domain::dto::Credentials { username, password },
    )
    .await;
    match result {
        Ok(()) => Ok(()),
        Err(e) => super::back_to_form(Err(e)).await,
    }
}

#[cfg(feature = "ssr")]
async fn login_with(
    services: &crate::server::services::Services,
    creds: &crate::domain::dto::Credentials,
) -> Result<(), AppError> {
    let axum::extract::ConnectInfo(peer) =
        leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .map_err(|_| AppError::Internal)?;
    let headers: axum::http::HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    let client = services.client_ip(peer.ip(), &headers);
    let user = services.login(creds, client).await?;
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    crate::server::auth::start_session(&session, &user).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Internal)?;
    crate::server::auth::end_session(&session).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Keeps the chosen language in a cookie for a year.
#[server(prefix = "/sfn", endpoint = "set_lang")]
pub async fn set_lang(lang: Lang) -> Result<(), AppError> {
    use axum::http::{HeaderValue, header};
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(header::SET_COOKIE, value);
    }
    Ok(())
}
