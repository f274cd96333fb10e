//! Server-sent events: a dataset's training as it happens, or every dataset's.
//!
//! `progress` (the progress endpoint's JSON), `log` (each new line, as the logs
//! endpoint shows it) and `status` (`{"dataset_id","status","previous_status"}`)
//! events, each with an `id:`; a client that reconnects with `Last-Event-ID`
//! gets the lines it missed, then the current progress. On `/api/events` every
//! `progress` and `log` event also names its `dataset_id`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::{HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use tokio::sync::mpsc;

use super::access::Reader;
use super::extract::parse_id;
use super::openapi as doc;
use crate::domain::error::AppError;
use crate::server::services::{Services, StreamEvent, StreamScope};

/// A comment line every 15 s keeps idle connections (and proxies) open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One dataset's training events.
#[utoipa::path(get, path = "/api/datasets/{id}/training/events", tag = "training", security(("session" = []), ("token" = [])),
    params(("id" = i64, Path, minimum = 1, example = 1, description = "The dataset's id"),
        ("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event received: the log lines after it are sent first")),
    responses((status = 200, description = "`text/event-stream`: `progress`, `log` and `status` events", content_type = "text/event-stream", body = String),
        doc::BadRequest, doc::Unauthorized, doc::NotFound, doc::Unavailable))]
pub async fn dataset_events(
    State(s): State<Services>,
    Reader(user): Reader,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let scope = StreamScope::Dataset(parse_id(&id)?);
    let rx = s
        .open_event_stream(&user, scope, last_event_id(&headers))
        .await?;
    Ok(sse(rx))
}

/// The training events of every dataset of the caller.
#[utoipa::path(get, path = "/api/events", tag = "training", security(("session" = []), ("token" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event received: the log lines after it are sent first")),
    responses((status = 200, description = "`text/event-stream`: `progress`, `log` and `status` events, each naming its `dataset_id`", content_type = "text/event-stream", body = String),
        doc::Unauthorized, doc::Unavailable))]
pub async fn all_events(
    State(s): State<Services>,
    Reader(user): Reader,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let rx = s
        .open_event_stream(&user, StreamScope::All, last_event_id(&headers))
        .await?;
    Ok(sse(rx))
}

/// A missing or unreadable `Last-Event-ID` starts from now.
fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|id| *id >= 0)
}

fn sse(rx: mpsc::Receiver<StreamEvent>) -> Response {
    let mut response = Sse::new(events(rx))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    let headers = response.headers_mut();
    // nginx and the proxies that follow it: pass every event on at once.
    headers.insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}

fn events(rx: mpsc::Receiver<StreamEvent>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(rx, |mut rx| async move {
        let e = rx.recv().await?;
        let event = Event::default()
            .event(e.kind)
            .id(e.id.to_string())
            .data(e.data.to_string());
        Some((Ok(event), rx))
    })
}
