//! Who is asking: a signed-in session, or an API token (`Authorization:
//! Bearer dt_…`) whose scope must cover the route. Handlers name what they
//! need by the extractor they take: [`Reader`] for reads, search and the
//! assistant integrations, [`Trainer`] for everything that changes a dataset,
//! [`SessionUser`] for account and token routes, which no token may use.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::domain::dto::TokenScope;
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::services::{Services, TokenRefusal};

/// The caller may read the datasets: a session, or any token.
pub struct Reader(pub CurrentUser);

/// The caller may change the datasets and their training: a session, or a `train` token.
pub struct Trainer(pub CurrentUser);

/// The caller is signed in with a session (tokens cannot manage tokens or accounts).
pub struct SessionUser(pub CurrentUser);

/// How a request authenticates.
pub enum Caller {
    Session(CurrentUser),
    Token(CurrentUser, TokenScope),
}

impl Caller {
    /// Reads the `Authorization` header first; without one, the session.
    pub async fn of(parts: &mut Parts, services: &Services) -> Result<Caller, AppError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            let user = CurrentUser::from_request_parts(parts, &()).await?;
            return Ok(Caller::Session(user));
        };
        let (user, scope) = bearer(header, services).await?;
        Ok(Caller::Token(user, scope))
    }

    /// The user, when the caller's access covers `needed`; 403 otherwise.
    pub fn with(self, needed: TokenScope) -> Result<CurrentUser, AppError> {
        match self {
            Caller::Session(user) => Ok(user),
            Caller::Token(user, scope) if scope.covers(needed) => Ok(user),
            Caller::Token(..) => Err(AppError::Forbidden(format!(
                "This API token's scope does not allow this request; it needs a {} token",
                needed.as_str()
            ))),
        }
    }
}

/// The user and scope of an `Authorization: Bearer dt_…` header; 401 when it
/// names nobody (malformed, unknown or revoked). The MCP endpoint uses it too.
pub(crate) async fn bearer(
    header: &HeaderValue,
    services: &Services,
) -> Result<(CurrentUser, TokenScope), AppError> {
    let header = header.to_str().map_err(|_| invalid_token())?;
    match services.token_caller(header).await? {
        Ok(found) => Ok(found),
        Err(TokenRefusal::Malformed | TokenRefusal::Unknown) => Err(invalid_token()),
    }
}

fn invalid_token() -> AppError {
    AppError::Unauthorized("Invalid or revoked API token".into())
}

/// An extractor for callers whose access covers `$scope`.
macro_rules! scoped {
    ($name:ident, $scope:expr) => {
        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            Services: FromRef<S>,
        {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                let caller = Caller::of(parts, &Services::from_ref(state)).await?;
                caller.with($scope).map($name)
            }
        }
    };
}

scoped!(Reader, TokenScope::Read);
scoped!(Trainer, TokenScope::Train);

impl<S> FromRequestParts<S> for SessionUser
where
    S: Send + Sync,
    Services: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Caller::of(parts, &Services::from_ref(state)).await? {
            Caller::Session(user) => Ok(SessionUser(user)),
            Caller::Token(..) => Err(AppError::Forbidden(
                "API tokens cannot manage accounts or tokens; sign in".into(),
            )),
        }
    }
}
