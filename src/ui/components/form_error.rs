//! What a plain form post (JavaScript off) went back to the page with: the
//! server function put its error into `?error=` (see `server_fns::back_to_form`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The page's `?error=` text, if any.
pub fn query_error() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("error").filter(|e| !e.trim().is_empty()))
}
