use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::server::state::Instance;
use crate::server::store::Store;

/// `GET /api/health`: 200 when the database answers, 503 otherwise.
pub async fn health(
    State(store): State<Store>,
    State(Instance(instance)): State<Instance>,
) -> (StatusCode, Json<Value>) {
    let version = env!("CARGO_PKG_VERSION");
    match store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(
                json!({"status": "ok", "version": version, "database": "ok", "instance": &*instance}),
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "degraded", "version": version, "database": "unavailable", "instance": &*instance}),
                ),
            )
        }
    }
}
