//! What every HTTP answer goes through: the cross-origin rule for requests a
//! browser sends with the session cookie, a bound on the request line, and the
//! security headers (CSP with the page's nonce, framing, sniffing, referrer,
//! caching).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::error::AppError;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "datatrain_session";
/// Request lines (path and query) longer than this are refused with 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
pub const CROSS_ORIGIN: &str = "Cross-origin request refused";

/// The origins a browser may send state-changing requests from, besides the
/// one the request names in `Host`.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// `DATATRAIN_PUBLIC_URL`'s origin (`https://dt.example.com`).
    pub public: Option<String>,
}

fn carries_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
}

/// The cross-origin rule (Go 1.25's `CrossOriginProtection`, applied to
/// requests authenticated by the session cookie): refused when `Origin` is
/// present and is neither this server's own (its host is the request's `Host`)
/// nor `DATATRAIN_PUBLIC_URL`, or when `Sec-Fetch-Site` says `cross-site` or
/// `same-site` without such an `Origin`. Neither header: not a browser; it passes.
pub fn cross_origin_refused(method: &Method, headers: &HeaderMap, origins: &Origins) -> bool {
    let state_changing = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !state_changing || !carries_session_cookie(headers) {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let trusted_origin = origin.is_some_and(|o| {
        let own = url::Url::parse(o).ok().is_some_and(|u| {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_string(),
            };
            host.is_some_and(|h| h.eq_ignore_ascii_case(&authority))
        });
        own || origins.public.as_deref() == Some(o.trim_end_matches('/'))
    });
    if origin.is_some() && !trusted_origin {
        return true;
    }
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    matches!(fetch_site.as_deref(), Some("cross-site" | "same-site")) && !trusted_origin
}

/// Refuses cross-origin requests and over-long request lines, and adds the
/// security headers to every answer.
pub async fn guard(State(origins): State<Origins>, req: Request, next: Next) -> Response {
    let uri_len = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().len())
        .unwrap_or(0);
    let path = req.uri().path().to_string();
    let mut response = if uri_len > MAX_URI_BYTES {
        AppError::UriTooLong.into_response()
    } else if cross_origin_refused(req.method(), req.headers(), &origins) {
        tracing::warn!(method = %req.method(), path = %path, "cross-origin request refused");
        AppError::Forbidden(CROSS_ORIGIN.into()).into_response()
    } else {
        next.run(req).await
    };
    secure_headers(&path, response.headers_mut());
    response
}

/// How long a page or server function may take to start answering.
pub const PAGE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// A page (or server function) that has not started answering within
/// `deadline` ([`PAGE_DEADLINE`]) answers 503 instead of holding its connection
/// for good (defence in depth: the two ways Leptos 0.8 left a page waiting
/// forever here, a page rebuilt inside a boundary and a route list generated
/// while another server rendered, are fixed); the error is logged with the path.
pub async fn page_deadline(
    State(deadline): State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(path = %path, "the page did not render within {deadline:?}");
            AppError::Unavailable("The page could not be rendered; try again".into())
                .into_response()
        }
    }
}

/// Server functions answer every error with 500; this gives the answer the
/// status its error carries (`{"status": 404, "detail": …}`), and the
/// `Retry-After` of a 429 or 503. Plain form posts (JavaScript off) are
/// redirects and pass unchanged.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_sfn = req.uri().path().starts_with("/sfn/");
    let response = next.run(req).await;
    if !is_sfn || response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::Internal.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
        if let Some(secs) = error.retry_after() {
            parts.headers.insert(header::RETRY_AFTER, secs.into());
        }
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn secure_headers(path: &str, headers: &mut HeaderMap) {
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        // A page rendered without a nonce (the error fallback): no inline script runs.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(None)).expect("an ASCII header"),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages and API answers hold the user's data: never kept by caches. The
    // built assets (/pkg, public files) stay cacheable.
    let dynamic = html || path.starts_with("/api") || path.starts_with("/sfn");
    if dynamic {
        let stream = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
        // An event stream is also never transformed (compressed, buffered) on its way.
        let value = if stream {
            "no-cache, no-store, no-transform"
        } else {
            "no-store"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
}

/// The page's Content-Security-Policy: scripts only from this origin and with
/// the page's nonce (the hydration script), WebAssembly allowed, no plugins,
/// never framed. Style attributes stay allowed (the progress bar's width).
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; style-src-attr 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_page_that_never_answers_is_503_at_the_deadline() {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/never",
                axum::routing::get(std::future::pending::<&'static str>),
            )
            .route("/fast", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                std::time::Duration::from_millis(50),
                page_deadline,
            ));
        let get = |path: &str| {
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let fast = app.clone().oneshot(get("/fast")).await.unwrap();
        assert_eq!(fast.status(), 200);
        let never = app.oneshot(get("/never")).await.unwrap();
        assert_eq!(never.status(), 503);
        let body = axum::body::to_bytes(never.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("try again")),
            "{body}"
        );
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_cross_origin_rule() {
        let origins = Origins {
            public: Some("https://dt.example.com".into()),
        };
        let cookie = ("cookie", "a=b; datatrain_session=xyz");
        let host = ("host", "127.0.0.1:3000");
        let refused =
            |m: Method, h: &[(&str, &str)]| cross_origin_refused(&m, &headers(h), &origins);
        // Same origin, by Origin or by Sec-Fetch-Site.
        assert!(!refused(
            Method::POST,
            &[cookie, host, ("origin", "http://127.0.0.1:3000")]
        ));
        assert!(!refused(
            Method::POST,
            &[cookie, host, ("sec-fetch-site", "same-origin")]
        ));
        assert!(!refused(
            Method::POST,
            &[cookie, host, ("sec-fetch-site", "none")]
        ));
        // The public URL, even behind a proxy that rewrote Host.
        assert!(!refused(
            Method::DELETE,
            &[
                cookie,
                host,
                ("origin", "https://dt.example.com"),
                ("sec-fetch-site", "cross-site")
            ]
        ));
        // Another port of the same host, another site, a null origin.
        assert!(refused(
            Method::POST,
            &[cookie, host, ("origin", "http://127.0.0.1:4000")]
        ));
        assert!(refused(
            Method::PATCH,
            &[cookie, host, ("origin", "https://evil.example")]
        ));
        assert!(refused(Method::POST, &[cookie, host, ("origin", "null")]));
        assert!(refused(
            Method::POST,
            &[
                cookie,
                host,
                ("origin", "http://127.0.0.1:4000"),
                ("sec-fetch-site", "same-origin")
            ]
        ));
        assert!(refused(
            Method::PUT,
            &[cookie, host, ("sec-fetch-site", "same-site")]
        ));
        assert!(refused(
            Method::POST,
            &[cookie, host, ("sec-fetch-site", "cross-site")]
        ));
        // Not a browser (no Origin, no Sec-Fetch-Site), a safe method, or no session cookie.
        assert!(!refused(Method::POST, &[cookie, host]));
        assert!(!refused(
            Method::GET,
            &[cookie, host, ("origin", "https://evil.example")]
        ));
        assert!(!refused(
            Method::POST,
            &[host, ("origin", "https://evil.example")]
        ));
        assert!(!refused(
            Method::POST,
            &[
                ("cookie", "datatrain_session_x=1"),
                host,
                ("origin", "https://evil.example")
            ]
        ));
    }

    #[test]
    fn the_policy_names_the_nonce() {
        let p = content_security_policy(Some("abc"));
        assert!(p.contains("'nonce-abc'") && p.contains("frame-ancestors 'none'"));
        assert!(p.contains("object-src 'none'") && !p.contains(" 'unsafe-eval'"));
        assert!(!content_security_policy(None).contains("nonce"));
    }
}
