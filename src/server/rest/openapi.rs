//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the REST API, generated
//! from the handlers' `#[utoipa::path(...)]` and the DTOs' `ToSchema`.
//!
//! To document a new route: put `#[utoipa::path(...)]` on its handler (its
//! responses use the error responses below, e.g. `NotFound`) and add the handler
//! to `paths(...)` of [`ApiDoc`], one line. The test `openapi::` fails for a
//! route of the router that the document lacks.

use std::collections::BTreeMap;

use axum::Json;
use serde::Serialize;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::{auth, curation, datasets, dify, events, health, tokens, training};
use crate::server::http::SESSION_COOKIE;

/// The name of the session-cookie security scheme.
pub const SESSION: &str = "session";
/// The name of the API-token security scheme (`Authorization: Bearer dt_…`).
pub const TOKEN: &str = "token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "datatrain",
        description = "Train the knowledge a text-to-SQL assistant needs, and watch and control \
            that training. JSON everywhere; every error is `{\"detail\": \"...\"}`; timestamps \
            are RFC 3339 UTC with milliseconds. Dataset routes take a session cookie or an API \
            token (`read` for reads and search, `train` for changes); account and token routes \
            take a session only."
    ),
    paths(
        health::health,
        openapi_json,
        auth::signup,
        auth::login,
        auth::logout,
        auth::me,
        tokens::list,
        tokens::create,
        tokens::revoke,
        datasets::list,
        datasets::create,
        datasets::get,
        datasets::patch,
        datasets::delete,
        datasets::tables,
        datasets::docs,
        datasets::add_doc,
        datasets::delete_doc,
        training::start,
        training::delete_data,
        training::progress,
        training::logs,
        events::dataset_events,
        events::all_events,
        training::pause,
        training::resume,
        training::cancel,
        training::runs,
        training::search,
        curation::items,
        curation::delete_item,
        curation::exclusions,
        curation::delete_exclusion,
        curation::examples,
        curation::add_example,
        curation::delete_example,
        curation::export,
        curation::import,
        dify::retrieval,
    ),
    components(schemas(ApiError)),
    modifiers(&Components),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "tokens", description = "API tokens (session only)"),
        (name = "datasets", description = "Datasets, their source tables and documents"),
        (name = "training", description = "Training runs, progress, logs and search"),
        (name = "curation", description = "The live collection's items, exclusions, curated examples, export and import"),
        (name = "integrations", description = "Assistants' protocols: Dify's External Knowledge API"),
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}

/// Every error body: `{"detail": "..."}`, in the API's words.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    /// What went wrong (never an internal cause, a password or a token).
    pub detail: String,
}

/// The security schemes and the shared error responses.
struct Components;

impl Modify for Components {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The session cookie set by POST /api/auth/login (state-changing requests \
                 from a browser must come from this origin).",
            ))),
        );
        components.add_security_scheme(
            TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("dt_…")
                    .description(Some(
                        "An API token from POST /api/tokens: `read` (reads and search) or \
                         `train` (also changes datasets and their training).",
                    ))
                    .build(),
            ),
        );
        for (status, name, description) in ERRORS {
            components
                .responses
                .insert((*name).to_string(), error_response(*status, description));
        }
    }
}

fn error_response(status: u16, description: &str) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ApiError")))
            .build(),
    );
    if status == 429 || status == 503 {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
                ))
                .description(Some("Seconds to wait"))
                .build(),
        );
    }
    RefOr::T(response.build())
}

/// Defines a type per error response, for `responses(...)` of `#[utoipa::path]`
/// (`responses((status = 200, body = X), NotFound, Unavailable)`), and their list
/// ([`ERRORS`]), which the document holds under `components/responses`.
macro_rules! error_responses {
    ($($name:ident = $status:literal: $description:literal,)*) => {
        /// The error responses: status, component name, description.
        const ERRORS: &[(u16, &str, &str)] = &[$(($status, stringify!($name), $description)),*];

        $(
            #[doc = concat!("The ", stringify!($status), " error response.")]
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
                    BTreeMap::from([(
                        stringify!($status).to_string(),
                        RefOr::Ref(Ref::from_response_name(stringify!($name))),
                    )])
                }
            }
        )*
    };
}

error_responses!(
    BadRequest = 400: "Malformed JSON, or a query parameter missing or out of range",
    Unauthorized = 401: "Not signed in, or an invalid or revoked API token",
    Forbidden = 403: "The API token's scope does not allow this, a token on a session-only \
        route, signup closed, or a cross-origin request with the session cookie",
    NotFound = 404: "No such dataset (or not the caller's), document or token",
    Conflict = 409: "The name is taken, or the dataset's status does not allow this now",
    PayloadTooLarge = 413: "The request body is over 1 MiB",
    UriTooLong = 414: "The request line is over 8 KiB",
    UnsupportedMediaType = 415: "A request body that is not application/json",
    Unprocessable = 422: "A field is missing, of the wrong type, or invalid",
    TooManyRequests = 429: "Rate limited; retry after `Retry-After` seconds",
    BadGateway = 502: "The source database could not be reached or answered with an error",
    Unavailable = 503: "The database is unavailable or the server is busy; retry after \
        `Retry-After` seconds",
);

/// 400, 413, 415 and 422: what a JSON body can be refused with.
pub struct BodyErrors;

impl IntoResponses for BodyErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let mut all = BadRequest::responses();
        all.extend(PayloadTooLarge::responses());
        all.extend(UnsupportedMediaType::responses());
        all.extend(Unprocessable::responses());
        all
    }
}
