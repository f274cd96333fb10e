//! The MCP server at `/mcp`: a third door beside the REST API and the server
//! functions, for assistants (Claude Desktop, IDEs, agents) that write SQL with
//! what a dataset learned. Streamable HTTP (rmcp), **stateless**: every POST is
//! answered on its own with a JSON body, no `Mcp-Session-Id`, nothing kept in
//! memory between requests, so any instance behind a load balancer can answer
//! any request. Only API tokens get in (`Authorization: Bearer dt_…`, any
//! scope: the tools only read); the token's user reaches the tools through the
//! request's extensions, and every tool calls one method of
//! [`Services`](crate::server::services::Services), which checks ownership.

mod tools;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::auth::CurrentUser;
use super::rest::BODY_LIMIT;
use super::rest::access::bearer;
use super::services::Services;
use super::state::AppState;
use crate::domain::dto::TokenScope;
use crate::domain::error::AppError;

pub use tools::Datatrain;

/// Where the MCP endpoint is.
pub const PATH: &str = "/mcp";

/// The user an API token named, put into the request's extensions for the tools.
#[derive(Debug, Clone)]
pub struct McpUser(pub CurrentUser);

/// The `/mcp` route. `shutdown` ends requests in flight when the server stops.
pub fn router(services: Services, shutdown: CancellationToken) -> Router<AppState> {
    let config = StreamableHttpServerConfig::default()
        // Stateless: nothing per client lives in one instance's memory.
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(BODY_LIMIT)
        .with_cancellation_token(shutdown)
        // rmcp checks `Host` against loopback names by default, against DNS
        // rebinding of unauthenticated local servers. Every request here needs
        // a bearer token, which a rebinding page does not have, and datatrain
        // is served under any name (DATATRAIN_PUBLIC_URL, a balancer).
        .disable_allowed_hosts();
    let tools = services.clone();
    let service = StreamableHttpService::new(
        move || Ok(Datatrain::new(tools.clone())),
        NeverSessionManager::default().into(),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn_with_state(
            services,
            require_token,
        ))
}

/// 401 unless the request carries a valid API token; its user goes into the
/// request's extensions. Sessions (cookies) are not accepted here.
async fn require_token(State(services): State<Services>, mut req: Request, next: Next) -> Response {
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        return unauthorized(AppError::Unauthorized(
            "An API token is required: Authorization: Bearer dt_…".into(),
        ));
    };
    match bearer(header, &services).await {
        Ok((user, scope)) if scope.covers(TokenScope::Read) => {
            req.extensions_mut().insert(McpUser(user));
            next.run(req).await
        }
        Ok(_) => AppError::Forbidden("This API token cannot read".into()).into_response(),
        Err(e @ AppError::Unauthorized(_)) => unauthorized(e),
        Err(e) => e.into_response(),
    }
}

fn unauthorized(e: AppError) -> Response {
    let mut response = e.into_response();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"datatrain\""),
    );
    response
}
