//! What the API and the UI exchange: the JSON shapes of the REST API, shared
//! with the browser. Timestamps are RFC 3339 UTC strings with milliseconds.

use serde::{Deserialize, Serialize};

use super::status::Status;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetView {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The source URL with its password masked (`postgres://u:***@h/db`).
    pub source_url: String,
    pub table_names: Vec<String>,
    pub status: Status,
    pub process_rate: f64,
    pub error_msg: Option<String>,
    pub last_train_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub status: Status,
    pub process_rate: f64,
    pub error_msg: Option<String>,
    pub last_train_at: Option<String>,
    /// The open run's stage (1-4), `None` when no run is open.
    pub stage: Option<u8>,
    /// 1 = next to be claimed; `None` unless queued.
    pub queue_position: Option<i64>,
    /// `None` when unknown.
    pub eta_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    pub content: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    /// queued | training | paused | completed | failed | cancelled
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub items: i64,
    pub error: Option<String>,
    /// The instance that executed the run (null before its first claim).
    pub instance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocView {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableView {
    pub name: String,
    pub column_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchItem {
    pub kind: String,
    pub content: String,
    pub question: Option<String>,
    pub table_name: Option<String>,
    pub score: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub items: Vec<SearchItem>,
    /// The ranked table names the items point to (DDL items first, in their order).
    pub tables: Vec<String>,
}

/// What an assistant needs to write the SQL for a question: the DDL of the
/// tables that matter (best first), the documentation that matters and similar
/// question → SQL examples. Empty lists when the dataset was never trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuestionContext {
    /// Whether the dataset has a trained collection to search.
    pub trained: bool,
    pub tables: Vec<TableDdl>,
    pub documentation: Vec<DocSnippet>,
    pub examples: Vec<SqlExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDdl {
    pub table: String,
    pub ddl: String,
}

/// A trained piece of documentation (a chunk of a document), with the table it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSnippet {
    pub table: Option<String>,
    pub content: String,
}

/// A trained example: a question and the SQL that answers it (the SQL ran on the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlExample {
    pub table: Option<String>,
    pub question: Option<String>,
    pub sql: String,
}

/// Everything trained about one table: its DDL, the documentation that names
/// it and its examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableContext {
    pub table: String,
    pub ddl: String,
    pub documentation: Vec<DocSnippet>,
    pub examples: Vec<SqlExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub status: Status,
    pub run_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub message: String,
}

// ---- requests ----

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateDataset {
    pub name: String,
    pub source_url: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchDataset {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartTraining {
    /// `None` reuses the dataset's last list.
    #[serde(default)]
    pub table_names: Option<Vec<String>>,
    #[serde(default)]
    pub max_items_per_sec: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewDoc {
    #[serde(default)]
    pub title: String,
    pub content: String,
}

/// What an API token may do: `read` (reads, search, the assistant
/// integrations) or `train` (read, plus starting and controlling training and
/// writing documents and examples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    Train,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Train => "train",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        [TokenScope::Read, TokenScope::Train]
            .into_iter()
            .find(|t| t.as_str() == s)
    }

    /// Whether a token of this scope may do what `needed` allows.
    pub fn covers(self, needed: TokenScope) -> bool {
        self == TokenScope::Train || needed == TokenScope::Read
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub scope: TokenScope,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The answer to creating a token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub token: String,
    pub created_at: String,
}

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds and `Z`.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_millis_z() {
        assert_eq!(format_ms(1_795_875_909_123), "2026-11-28T14:25:09.123Z");
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
    }
}
