//! The UI's doors onto the service layer, all under the `/sfn` prefix, apart from
//! the REST API under `/api`. Grouped by resource, one function per operation;
//! each checks the session (and, in the service, ownership), calls the same
//! service function as the REST handler, and returns `AppError`.

pub mod auth;
pub mod check_server;
pub mod datasets;
pub mod training;

/// The URL prefix of every server function.
pub const PREFIX: &str = "/sfn";

/// The services and the signed-in user of this request, or 401.
#[cfg(feature = "ssr")]
pub(crate) async fn session_user() -> Result<
    (
        crate::server::services::Services,
        crate::server::auth::CurrentUser,
    ),
    crate::domain::error::AppError,
> {
    use crate::domain::error::AppError;
    let state = leptos::prelude::expect_context::<crate::server::state::AppState>();
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::unauthenticated())?;
    let user = crate::server::auth::CurrentUser::from_session(&session).await?;
    Ok((state.services, user))
}
