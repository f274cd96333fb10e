//! The UI's doors onto the service layer, all under the `/sfn` prefix, apart from
//! the REST API under `/api`. Grouped by resource, one function per operation;
//! each checks the session (and, in the service, ownership), calls the same
//! service function as the REST handler, and returns `AppError`.

pub mod auth;
pub mod check_server;
pub mod datasets;
pub mod examples;
pub mod tokens;
pub mod training;

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

/// This request's session.
#[cfg(feature = "ssr")]
pub(crate) async fn session() -> Result<tower_sessions::Session, crate::domain::error::AppError> {
    leptos_axum::extract()
        .await
        .map_err(|_| crate::domain::error::AppError::unauthenticated())
}

/// After a plain form post (JavaScript off) the browser goes back to the page
/// it came from: with `?error=…` saying what went wrong, or without a stale
/// `error` when all went well. Calls made by the hydrated app (which do not
/// ask for HTML) and explicit redirects (`leptos_axum::redirect`) are left
/// alone: call this last, and only when the result does not redirect itself.
#[cfg(feature = "ssr")]
pub(crate) async fn back_to_form<T>(
    result: Result<T, crate::domain::error::AppError>,
) -> Result<T, crate::domain::error::AppError> {
    use axum::http::{HeaderMap, HeaderValue, header};
    let Ok(headers) = leptos_axum::extract::<HeaderMap>().await else {
        return result;
    };
    let plain_form = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    if let (true, Some(referer)) = (plain_form, referer)
        && let Some(location) = form_location(referer, result.as_ref().err().map(|e| e.to_string()))
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        let response = leptos::prelude::expect_context::<leptos_axum::ResponseOptions>();
        response.insert_header(header::LOCATION, value);
    }
    result
}

/// The path and query of `referer` (never another origin), its `error`
/// parameter replaced by `error` or removed.
#[cfg(feature = "ssr")]
fn form_location(referer: &str, error: Option<String>) -> Option<String> {
    let mut url = url::Url::parse(referer).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "error")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() || error.is_some() {
        let mut q = url.query_pairs_mut();
        q.extend_pairs(kept);
        if let Some(e) = error {
            q.append_pair("error", &e);
        }
    }
    // `//host/…` would leave the origin: keep one leading slash.
    let path = format!("/{}", url.path().trim_start_matches('/'));
    Some(match url.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::form_location;

    #[test]
    fn form_locations() {
        assert_eq!(
            form_location("http://h:3000/datasets/5", Some("No tables chosen".into())).as_deref(),
            Some("/datasets/5?error=No+tables+chosen")
        );
        assert_eq!(
            form_location("http://h/datasets/5?tab=logs&error=old", None).as_deref(),
            Some("/datasets/5?tab=logs")
        );
        assert_eq!(
            form_location("http://h/datasets/5?error=old", None).as_deref(),
            Some("/datasets/5")
        );
        assert_eq!(
            form_location("https://evil.example/x?error=a", Some("b".into())).as_deref(),
            Some("/x?error=b")
        );
        assert_eq!(
            form_location("http://h//evil.example/x", None).as_deref(),
            Some("/evil.example/x")
        );
        assert_eq!(form_location("not a url", None), None);
    }
}
