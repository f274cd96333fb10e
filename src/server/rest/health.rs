use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::server::state::Instance;
use crate::server::store::Store;

/// `GET /api/health`: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/api/health", tag = "meta",
    responses((status = 200, description = "The database answers", body = Health), (status = 503, description = "The database does not answer", body = Health)))]
pub async fn health(
    State(store): State<Store>,
    State(Instance(instance)): State<Instance>,
) -> (StatusCode, Json<Health>) {
    let up = store.ping().await;
    if let Err(e) = &up {
        tracing::warn!(error = %e, "health check: database unavailable");
    }
    let (status, overall, database) = match up {
        Ok(()) => (StatusCode::OK, "ok", "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "degraded", "unavailable"),
    };
    let health = Health {
        status: overall,
        version: env!("CARGO_PKG_VERSION"),
        database,
        instance: instance.to_string(),
    };
    (status, Json(health))
}

/// The answer of `GET /api/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// datatrain's version.
    pub version: &'static str,
    /// `ok` or `unavailable`.
    pub database: &'static str,
    /// The instance that answered (`DATATRAIN_INSTANCE`).
    pub instance: String,
}
