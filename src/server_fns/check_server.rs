use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::error::AppError;

/// What the home page's "Check server" button shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerCheck {
    pub version: String,
    pub database_ok: bool,
}

/// Asks the server for its version and whether its database answers.
#[server(prefix = "/sfn", endpoint = "check_server")]
pub async fn check_server() -> Result<ServerCheck, AppError> {
    let state = expect_context::<crate::server::state::AppState>();
    let database_ok = state.store.ping().await.is_ok();
    Ok(ServerCheck {
        version: env!("CARGO_PKG_VERSION").to_string(),
        database_ok,
    })
}
