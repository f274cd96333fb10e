//! Which language a page renders in. It follows the `lang` cookie (set by the
//! switch), else Accept-Language; the server writes it into `<html lang>`, and
//! the browser reads it back from there, so both render the same text.

use leptos::prelude::*;

use crate::domain::i18n::Lang;

/// The language of the current request (server) or page (browser).
pub fn detect_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use axum::http::header;
        let Some(parts) = use_context::<axum::http::request::Parts>() else {
            return Lang::En;
        };
        let from_cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.split(';')
                    .find_map(|kv| kv.trim().strip_prefix("lang=").and_then(Lang::from_code))
            });
        from_cookie
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|c| Lang::from_code(&c))
            .unwrap_or_default()
    }
}

/// The language in context (provided by `App`).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}
