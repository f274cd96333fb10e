//! The state every handler and server function reaches: through axum's `State`
//! (REST) or Leptos context (server functions).

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use super::services::Services;
use super::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub services: Services,
}
