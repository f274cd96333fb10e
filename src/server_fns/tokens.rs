//! The account page's API tokens. Creating one keeps it, encrypted, in the
//! session until the page has shown it once: with JavaScript off the form post
//! comes back through a redirect, and the token must survive it without ever
//! sitting in the database in clear.

use leptos::prelude::*;

use crate::domain::dto::{CreatedToken, TokenView};
use crate::domain::error::AppError;

/// The session key of the token created last, until it is shown.
#[cfg(feature = "ssr")]
const NEW_TOKEN: &str = "new_token";

#[server(prefix = "/sfn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.tokens(&user).await
}

#[server(prefix = "/sfn", endpoint = "create_token")]
pub async fn create_token(name: String, scope: String) -> Result<(), AppError> {
    use crate::domain::dto::{NewToken, TokenScope};
    let result = async {
        let scope = TokenScope::parse(&scope)
            .ok_or_else(|| AppError::Unprocessable("scope must be read or train".into()))?;
        let (services, user) = super::session_user().await?;
        let created = services
            .create_token(&user, &NewToken { name, scope })
            .await?;
        let session = super::session().await?;
        let sealed = services.seal(&serde_json::to_string(&created).unwrap_or_default());
        session
            .insert(NEW_TOKEN, sealed)
            .await
            .map_err(|_| AppError::Internal)?;
        Ok(())
    }
    .await;
    super::back_to_form(result).await
}

/// What this request took from the session: a page may read the new token more
/// than once while it renders, and every read must see it (provided per request).
#[cfg(feature = "ssr")]
#[derive(Clone, Default)]
pub struct TakenToken(std::sync::Arc<std::sync::Mutex<Option<Option<CreatedToken>>>>);

/// The token created last, once: it is forgotten as it is read (by this request).
#[server(prefix = "/sfn", endpoint = "take_new_token")]
pub async fn take_new_token() -> Result<Option<CreatedToken>, AppError> {
    let (services, _user) = super::session_user().await?;
    let taken = use_context::<TakenToken>().unwrap_or_default();
    if let Some(seen) = taken.0.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return Ok(seen);
    }
    let session = super::session().await?;
    let sealed: Option<String> = session
        .remove(NEW_TOKEN)
        .await
        .map_err(|_| AppError::Internal)?;
    let token: Option<CreatedToken> = sealed
        .and_then(|s| services.unseal(&s))
        .and_then(|json| serde_json::from_str(&json).ok());
    *taken.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
    Ok(token)
}

#[server(prefix = "/sfn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.revoke_token(&user, id).await
    }
    .await;
    super::back_to_form(result).await
}
