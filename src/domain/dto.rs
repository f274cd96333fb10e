//! What the API and the UI exchange: the JSON shapes of the REST API, shared
//! with the browser. Timestamps are RFC 3339 UTC strings with milliseconds.

use serde::{Deserialize, Serialize};

use super::status::Status;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: i64,
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// Where terminal changes of its runs are posted (`null`: none).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The webhook's signing secret: only in the answer that first set the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Progress {
    pub status: Status,
    pub process_rate: f64,
    pub error_msg: Option<String>,
    pub last_train_at: Option<String>,
    /// The open run's stage (1-4), `None` when no run is open.
    pub stage: Option<u8>,
    /// 1 = next to be claimed; `None` unless queued.
    pub queue_position: Option<i64>,
    /// Seconds until the run is done: while training, from each stage's own
    /// measured speed (and the previous run's stage times); while queued, also
    /// the wait for the runs ahead. `None` when paused, when no run is open, or
    /// when there is nothing to estimate from yet.
    pub eta_seconds: Option<i64>,
}

/// A line of a run's log. `content` is the English text; `code` and `params`
/// say what happened as data, so that a page can show the line in its own
/// language (`null` for lines stored before codes existed: show `content`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: i64,
    /// The line in English.
    #[cfg_attr(
        feature = "ssr",
        schema(example = "Stage 2/4 started: Training DDL (11 items)")
    )]
    pub content: String,
    /// `info`, `warning` or `error`.
    pub level: String,
    /// What happened (`stage_started`, `training_paused`, …).
    #[cfg_attr(feature = "ssr", schema(example = "stage_started"))]
    pub code: Option<String>,
    /// The code's parameters, an object (`{}` when it has none). Text from a
    /// source (an error message, a table name) is a parameter, as it was.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>, example = json!({"stage": 2, "total": 11})))]
    pub params: Option<serde_json::Value>,
    pub created_at: String,
}

impl LogEntry {
    /// The line in `lang` (as stored when it has no code this build knows).
    pub fn text(&self, lang: super::i18n::Lang) -> String {
        super::log::render(
            self.code.as_deref(),
            self.params.as_ref(),
            &self.content,
            lang,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// The outcome of the run's last webhook delivery: `pending`, `delivered`
    /// or `failed` (null: no webhook was sent for it).
    #[serde(default)]
    pub webhook_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocView {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TableView {
    /// `table`, or `schema.table` for a PostgreSQL relation outside `public`.
    pub name: String,
    /// Older clients may leave it out: a table.
    #[serde(default)]
    pub kind: TableKind,
    pub column_count: i64,
}

/// What a source relation is. Views and materialized views are trained like
/// tables (DDL items, search, example queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    #[default]
    Table,
    View,
    /// PostgreSQL only.
    MaterializedView,
}

/// What a collection item is: a table's DDL, a piece of documentation, or a
/// question → SQL example. Stored and sent as `ddl`, `documentation`, `sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExampleView {
    pub id: i64,
    pub question: String,
    pub sql: String,
    pub created_at: String,
}

/// One line of `GET …/export` (and of an import): Vanna's training data shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportAdded {
    pub documentation: u64,
    pub sql: u64,
}

/// A line an import refused (1-based line number) and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportRefusal {
    pub line: u64,
    pub detail: String,
}

/// The answer to `POST …/import`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub added: ImportAdded,
    /// DDL lines (DDL comes from the source).
    pub skipped: u64,
    pub refused: Vec<ImportRefusal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchItem {
    pub kind: ItemKind,
    pub content: String,
    pub question: Option<String>,
    pub table_name: Option<String>,
    pub score: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResult {
    pub items: Vec<SearchItem>,
    /// The ranked table names the items point to (DDL items first, in their order).
    pub tables: Vec<String>,
}

/// What an assistant needs to write the SQL for a question: the DDL of the
/// tables that matter (best first), the documentation that matters and similar
/// question → SQL examples. Empty lists when the dataset was never trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuestionContext {
    /// Whether the dataset has a trained collection to search.
    pub trained: bool,
    pub tables: Vec<TableDdl>,
    pub documentation: Vec<DocSnippet>,
    pub examples: Vec<SqlExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TableDdl {
    pub table: String,
    pub ddl: String,
}

/// A trained piece of documentation (a chunk of a document), with the table it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocSnippet {
    pub table: Option<String>,
    pub content: String,
}

/// A trained example: a question and the SQL that answers it (the SQL ran on the source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SqlExample {
    pub table: Option<String>,
    pub question: Option<String>,
    pub sql: String,
}

/// Everything trained about one table: its DDL, the documentation that names
/// it and its examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TableContext {
    pub table: String,
    pub ddl: String,
    pub documentation: Vec<DocSnippet>,
    pub examples: Vec<SqlExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Started {
    pub status: Status,
    pub run_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Message {
    pub message: String,
}

// ---- requests ----

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// 3-64 characters of ASCII letters, digits, `_ . -`.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = "^[A-Za-z0-9_.-]{3,64}$", example = "ada")
    )]
    pub username: String,
    /// 8-256 characters, not only whitespace, no control characters.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 8, max_length = 256, example = "train-Knowledge-42")
    )]
    pub password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreateDataset {
    /// 1-100 characters, unique among the caller's datasets.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 100, example = "chinook")
    )]
    pub name: String,
    /// `sqlite://file.sqlite` (inside the sources folder), `postgres://…` or `mysql://…`.
    #[cfg_attr(feature = "ssr", schema(example = "sqlite://chinook.sqlite"))]
    pub source_url: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PatchDataset {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub source_url: Option<String>,
    /// An `http(s)` URL to post terminal changes to; `null` removes it, absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub webhook_url: Option<Option<String>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StartTraining {
    /// `None` reuses the dataset's last list.
    #[serde(default)]
    pub table_names: Option<Vec<String>>,
    #[serde(default)]
    pub max_items_per_sec: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewDoc {
    #[serde(default)]
    pub title: String,
    pub content: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewExample {
    pub question: String,
    pub sql: String,
}

/// What an API token may do: `read` (reads, search, the assistant
/// integrations) or `train` (read, plus starting and controlling training and
/// writing documents and examples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub name: String,
    pub scope: TokenScope,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The answer to creating a token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub token: String,
    pub created_at: String,
}

/// `POST /api/dify/retrieval`: a request of Dify's External Knowledge API
/// (unknown fields are ignored, as Dify may add some; a missing or `null`
/// `Option` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyRetrieval {
    /// The dataset id: Dify sends the "External Knowledge ID" as a string.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "1"))]
    pub knowledge_id: DifyKnowledgeId,
    pub query: String,
    pub retrieval_setting: DifyRetrievalSetting,
    pub metadata_condition: Option<DifyMetadataCondition>,
}

/// A dataset id as a string (`"12"`, what Dify sends) or a JSON number (`12`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DifyKnowledgeId {
    Text(String),
    Number(serde_json::Number),
}

impl DifyKnowledgeId {
    /// The dataset id it names, if it is a positive integer.
    pub fn dataset_id(&self) -> Option<i64> {
        match self {
            DifyKnowledgeId::Text(s) => s.trim().parse::<i64>().ok(),
            DifyKnowledgeId::Number(n) => n.as_i64(),
        }
        .filter(|id| *id > 0)
    }
}

/// Both are required by Dify's specification; `null` (which Dify sends for a
/// setting it has not stored) takes the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyRetrievalSetting {
    pub top_k: Option<i64>,
    pub score_threshold: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyMetadataCondition {
    /// `and` (the default) or `or`.
    pub logical_operator: Option<String>,
    pub conditions: Option<Vec<DifyCondition>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyCondition {
    /// One field name (Dify's own model), or a list of them (older documentation).
    pub name: DifyNames,
    pub comparison_operator: String,
    /// A string, a number or a list of strings; absent for `empty` / `not empty`.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub value: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum DifyNames {
    One(String),
    Many(Vec<String>),
}

/// The answer: `{"records": [...]}`, best first (empty when nothing matches).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyRecords {
    pub records: Vec<DifyRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyRecord {
    pub content: String,
    /// 0..1, in the order of the search ranking.
    pub score: f64,
    pub title: String,
    /// Always an object (Dify's pipeline fails on `null`).
    pub metadata: DifyRecordMetadata,
}

/// What `metadata_condition` can filter on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyRecordMetadata {
    /// `ddl`, `sql` (an example question → SQL) or `documentation`.
    pub kind: ItemKind,
    pub table_name: Option<String>,
    /// The example's question (English), for `sql` items.
    pub question: Option<String>,
}

/// Dify's error body: `{"error_code": 1001, "error_msg": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DifyErrorBody {
    pub error_code: u16,
    pub error_msg: String,
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
