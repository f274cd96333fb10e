//! The MCP tools: each parses its arguments, finds the caller the token named
//! and calls one method of [`Services`]. An error of the service (another
//! user's dataset is "Not found", a bad `k`) is a tool error the assistant
//! reads (`isError: true`), never a protocol error. Every answer comes twice:
//! as text for the model, and as `structuredContent` (JSON) for programs.

use std::fmt::Write;

use axum::http::request::Parts;
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::schemars::JsonSchema;
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};

use super::McpUser;
use crate::domain::dto::{DatasetView, Progress, QuestionContext, SqlExample, TableContext};
use crate::domain::error::AppError;
use crate::domain::progress::{self, STAGE_COUNT};
use crate::server::auth::CurrentUser;
use crate::server::services::{CONTEXT_K_DEFAULT, Services};

/// The MCP server of one request (stateless: a new one per request).
#[derive(Clone)]
pub struct Datatrain {
    services: Services,
}

impl Datatrain {
    pub fn new(services: Services) -> Self {
        Datatrain { services }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct DatasetArgs {
    /// The dataset's id, as `list_datasets` gives it.
    pub dataset_id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct SearchArgs {
    /// The dataset's id, as `list_datasets` gives it.
    pub dataset_id: i64,
    /// The user's question, in English or Chinese (1-2000 characters).
    pub question: String,
    /// How many tables, pieces of documentation and examples at most, each (1-20, default 5).
    #[serde(default)]
    pub k: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct TableArgs {
    /// The dataset's id, as `list_datasets` gives it.
    pub dataset_id: i64,
    /// The table's name (compared without case).
    pub table: String,
}

/// A dataset as the tools list it.
#[derive(Debug, Serialize)]
struct DatasetEntry {
    id: i64,
    name: String,
    description: String,
    status: String,
    process_rate: f64,
    last_train_at: Option<String>,
    tables: Vec<String>,
}

impl From<DatasetView> for DatasetEntry {
    fn from(d: DatasetView) -> Self {
        DatasetEntry {
            id: d.id,
            name: d.name,
            description: d.description,
            status: d.status.as_str().to_string(),
            process_rate: d.process_rate,
            last_train_at: d.last_train_at,
            tables: d.table_names,
        }
    }
}

#[derive(Debug, Serialize)]
struct DatasetList {
    datasets: Vec<DatasetEntry>,
}

#[tool_router]
impl Datatrain {
    #[tool(
        description = "List your datasets (the databases datatrain trained knowledge for): id, name, status and when each was last trained. Use an id with the other tools.",
        annotations(title = "List datasets", read_only_hint = true)
    )]
    async fn list_datasets(&self, Caller(user): Caller) -> CallToolResult {
        let found = self
            .services
            .list_datasets(&user)
            .await
            .map(|list| DatasetList {
                datasets: list.into_iter().map(DatasetEntry::from).collect(),
            });
        reply(found, datasets_text)
    }

    #[tool(
        description = "Everything needed to write the SQL that answers a question on a dataset: the DDL of the tables that matter (best first), the documentation that matters and similar question → SQL examples that ran on the database.",
        annotations(title = "Search the context of a question", read_only_hint = true)
    )]
    async fn search_context(
        &self,
        Caller(user): Caller,
        Parameters(args): Parameters<SearchArgs>,
    ) -> CallToolResult {
        let k = args.k.unwrap_or(CONTEXT_K_DEFAULT);
        let found = self
            .services
            .question_context(&user, args.dataset_id, &args.question, k)
            .await;
        reply(found, context_text)
    }

    #[tool(
        description = "One table of a dataset as trained: its DDL (CREATE TABLE with keys), the documentation that names it and its question → SQL examples.",
        annotations(title = "Describe a table", read_only_hint = true)
    )]
    async fn describe_table(
        &self,
        Caller(user): Caller,
        Parameters(args): Parameters<TableArgs>,
    ) -> CallToolResult {
        let found = self
            .services
            .table_context(&user, args.dataset_id, &args.table)
            .await;
        reply(found, table_text)
    }

    #[tool(
        description = "The training progress of a dataset: status (pending, queued, training, paused, completed, failed, cancelled), percent done, stage, queue position, ETA, error and when it was last trained.",
        annotations(title = "Training status", read_only_hint = true)
    )]
    async fn training_status(
        &self,
        Caller(user): Caller,
        Parameters(args): Parameters<DatasetArgs>,
    ) -> CallToolResult {
        let found = self.services.progress(&user, args.dataset_id).await;
        reply(found, progress_text)
    }
}

#[tool_handler(
    name = "datatrain",
    instructions = "datatrain holds what was learned from your databases (table DDL, documentation, question → SQL examples). Call list_datasets, then search_context with the user's question before writing SQL; describe_table gives one table in full."
)]
impl ServerHandler for Datatrain {}

/// The user the request's token named (put into the request's extensions by
/// the `/mcp` middleware), taken by the tools like an argument.
struct Caller(CurrentUser);

impl<C: AsRequestContext> FromContextPart<C> for Caller {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        context
            .as_request_context()
            .extensions
            .get::<Parts>()
            .and_then(|parts| parts.extensions.get::<McpUser>())
            .map(|u| Caller(u.0.clone()))
            .ok_or_else(|| {
                ErrorData::internal_error("the request has no authenticated caller", None)
            })
    }
}

/// A service's answer as a tool result: text and structured content, or a
/// tool error with the service's words.
fn reply<T: Serialize>(found: Result<T, AppError>, text: fn(&T) -> String) -> CallToolResult {
    match found {
        Ok(value) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(text(&value))]);
            result.structured_content = serde_json::to_value(&value).ok();
            result
        }
        Err(e) => CallToolResult::error(vec![ContentBlock::text(e.to_string())]),
    }
}

fn datasets_text(list: &DatasetList) -> String {
    if list.datasets.is_empty() {
        return "You have no datasets yet.".into();
    }
    let mut out = String::new();
    for d in &list.datasets {
        let trained = d.last_train_at.as_deref().unwrap_or("never");
        let _ = writeln!(
            out,
            "- {} (id {}): {}, last trained {trained}",
            d.name, d.id, d.status
        );
    }
    out
}

fn context_text(c: &QuestionContext) -> String {
    if !c.trained {
        return "This dataset has not been trained yet: there is nothing to search (see training_status).".into();
    }
    if c.tables.is_empty() && c.documentation.is_empty() && c.examples.is_empty() {
        return "Nothing trained matches this question.".into();
    }
    let mut out = String::new();
    if !c.tables.is_empty() {
        out.push_str("## Tables\n\n");
        for t in &c.tables {
            let _ = writeln!(
                out,
                "### {}\n\n```sql\n{}\n```\n",
                t.table,
                t.ddl.trim_end()
            );
        }
    }
    docs_section(&mut out, c.documentation.iter().map(|d| d.content.as_str()));
    examples_section(&mut out, &c.examples);
    out
}

fn table_text(t: &TableContext) -> String {
    let mut out = format!("## {}\n\n```sql\n{}\n```\n\n", t.table, t.ddl.trim_end());
    docs_section(&mut out, t.documentation.iter().map(|d| d.content.as_str()));
    examples_section(&mut out, &t.examples);
    out
}

fn docs_section<'a>(out: &mut String, docs: impl Iterator<Item = &'a str>) {
    let mut docs = docs.peekable();
    if docs.peek().is_none() {
        return;
    }
    out.push_str("## Documentation\n\n");
    for d in docs {
        let _ = writeln!(out, "{}\n", d.trim_end());
    }
}

fn examples_section(out: &mut String, examples: &[SqlExample]) {
    if examples.is_empty() {
        return;
    }
    out.push_str("## Examples\n\n");
    for e in examples {
        let question = e.question.as_deref().unwrap_or("(no question)");
        let _ = writeln!(
            out,
            "Question: {question}\n```sql\n{}\n```\n",
            e.sql.trim_end()
        );
    }
}

fn progress_text(p: &Progress) -> String {
    let mut out = format!("status: {}, {:.0}% done", p.status.as_str(), p.process_rate);
    if let Some(stage) = p.stage {
        let _ = write!(
            out,
            ", stage {stage} of {STAGE_COUNT} ({})",
            progress::stage(stage).title_en
        );
    }
    if let Some(n) = p.queue_position {
        let _ = write!(out, ", position {n} in the queue");
    }
    if let Some(s) = p.eta_seconds {
        let _ = write!(out, ", about {s} s left");
    }
    let _ = write!(
        out,
        "; last trained {}",
        p.last_train_at.as_deref().unwrap_or("never")
    );
    if let Some(e) = &p.error_msg {
        let _ = write!(out, "; error: {e}");
    }
    out
}
