//! A small server-sent-events client over a real HTTP connection (reqwest):
//! parses `event:`, `id:` and `data:` fields and skips comment lines.

use std::time::Duration;

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

pub struct SseStream {
    pub response: reqwest::Response,
    buf: String,
    /// Comment lines (keep-alives) seen so far.
    pub comments: usize,
}

impl SseStream {
    /// Opens `url` with `http` (its cookies or default headers authenticate),
    /// sending `Last-Event-ID` when given. Panics unless the answer is 200.
    pub async fn open(http: &reqwest::Client, url: &str, last_event_id: Option<&str>) -> SseStream {
        let response = Self::request(http, url, last_event_id).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
        SseStream {
            response,
            buf: String::new(),
            comments: 0,
        }
    }

    /// The raw answer (for refusals).
    pub async fn request(
        http: &reqwest::Client,
        url: &str,
        last_event_id: Option<&str>,
    ) -> reqwest::Response {
        let mut req = http.get(url).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        req.send().await.expect("request")
    }

    /// The next event, or `None` when the stream ended or nothing came within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                match parse(&block) {
                    Some(e) => return Some(e),
                    None => {
                        self.comments += 1;
                        continue;
                    }
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buf
                .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        }
    }

    /// Events until one satisfies `stop` (included), bounded by `wait` per event.
    pub async fn until(
        &mut self,
        wait: Duration,
        stop: impl Fn(&SseEvent) -> bool,
    ) -> Vec<SseEvent> {
        let mut got = Vec::new();
        while let Some(e) = self.next(wait).await {
            let done = stop(&e);
            got.push(e);
            if done {
                return got;
            }
        }
        panic!("the stream ended or went quiet before the awaited event; got {got:#?}");
    }
}

/// One event block; `None` for a block of comments only.
fn parse(block: &str) -> Option<SseEvent> {
    let (mut event, mut id, mut data) = (String::from("message"), None, Vec::new());
    let mut any = false;
    for line in block.lines() {
        if line.starts_with(':') || line.is_empty() {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        any = true;
        match field {
            "event" => event = value.to_string(),
            "id" => id = Some(value.to_string()),
            "data" => data.push(value.to_string()),
            _ => {}
        }
    }
    any.then(|| SseEvent {
        event,
        id,
        data: serde_json::from_str(&data.join("\n")).unwrap_or(Value::Null),
    })
}
