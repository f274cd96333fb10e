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

/// What a collection item is: a table's DDL, a piece of documentation, or a
/// question → SQL example. Stored and sent as `ddl`, `documentation`, `sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Ddl,
    Documentation,
    Sql,
}

impl ItemKind {
    pub const ALL: [ItemKind; 3] = [ItemKind::Ddl, ItemKind::Documentation, ItemKind::Sql];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Ddl => "ddl",
            ItemKind::Documentation => "documentation",
            ItemKind::Sql => "sql",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for ItemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item of the live collection, as listed by `GET …/items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: i64,
    pub kind: ItemKind,
    pub table_name: Option<String>,
    pub question: Option<String>,
    pub content: String,
}

/// An item deleted from the collection: later trainings do not emit it again
/// (it is recognised by `content_hash`) until the exclusion is removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExclusionView {
    pub id: i64,
    pub kind: ItemKind,
    pub table_name: Option<String>,
    pub question: Option<String>,
    pub content: String,
    pub content_hash: String,
    pub created_at: String,
}

/// A question → SQL example written by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleView {
    pub id: i64,
    pub question: String,
    pub sql: String,
    pub created_at: String,
}

/// One line of `GET …/export` (and of an import): Vanna's training data shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportLine {
    /// The item's id, as a string (Vanna's ids are strings).
    pub id: String,
    pub training_data_type: ItemKind,
    pub question: Option<String>,
    /// The DDL, the documentation text, or the SQL.
    pub content: String,
    pub table_name: Option<String>,
}

/// What an import added, per kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportAdded {
    pub documentation: u64,
    pub sql: u64,
}

/// A line an import refused (1-based line number) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRefusal {
    pub line: u64,
    pub detail: String,
}

/// The answer to `POST …/import`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub added: ImportAdded,
    /// DDL lines (DDL comes from the source).
    pub skipped: u64,
    pub refused: Vec<ImportRefusal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchItem {
    pub kind: ItemKind,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewExample {
    pub question: String,
    pub sql: String,
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
