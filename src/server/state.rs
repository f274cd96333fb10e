//! The state every handler and server function reaches: through axum's `State`
//! (REST) or Leptos context (server functions).

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use super::services::Services;
use super::store::Store;

/// This instance's name (`DATATRAIN_INSTANCE`).
#[derive(Clone, Debug)]
pub struct Instance(pub std::sync::Arc<str>);

#[derive(Clone, FromRef)]
pub struct AppState {
    pub instance: Instance,
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub services: Services,
}
