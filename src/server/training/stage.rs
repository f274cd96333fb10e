//! A stage of training, and what a run carries from stage to stage.

use crate::domain::dto::ItemKind;
use crate::domain::log::LogEvent;
use crate::domain::progress::StageInfo;
use crate::server::embeddings::EmbedError;
use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::server::search::text::index_terms;
use crate::server::sources::{Source, SourceError, SourcePolicy, TableSchema};
use crate::server::store::{DatasetRow, ExampleRow, NewItem, RunRow, Store, StoreError};
use std::collections::{HashMap, HashSet};

/// One step of training. A stage first plans its items (deterministically, so a
/// stored cursor `{stage, next}` stays valid across pause, resume and crashes),
/// then does them one at a time; the executor checkpoints between items.
#[async_trait]
pub trait Stage: Send + Sync {
    /// The stage's entry in [`crate::domain::progress::STAGES`]: its number,
    /// progress band, titles and resume rule.
    fn info(&self) -> &'static StageInfo;
    /// Prepares the stage and returns how many items it has.
    async fn plan(&self, ctx: &mut RunContext) -> Result<usize, StageError>;
    /// Does item `index` (0-based); collection items go to [`RunContext::emit`].
    async fn run_item(&self, ctx: &mut RunContext, index: usize) -> Result<(), StageError>;
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// Shown to the user as the run's `error_msg`: must never hold a password.
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Invalid(String),
    #[error("database error")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Embeddings(#[from] EmbedError),
}

/// What a run carries between stages. Built fresh for every attempt: stage 1
/// always runs (it only reads), later stages skip what the cursor says is done.
pub struct RunContext {
    pub store: Store,
    pub run: RunRow,
    pub dataset: DatasetRow,
    pub sources_dir: std::path::PathBuf,
    pub forbidden_paths: Vec<std::path::PathBuf>,
    /// Checked when stage 1 opens the source.
    pub source_policy: SourcePolicy,
    /// Stage 4's time budget per table.
    pub examples_table_budget: std::time::Duration,
    pub source: Option<Source>,
    /// The requested tables, in order.
    pub table_names: Vec<String>,
    /// Filled by stage 1.
    pub schemas: Vec<TableSchema>,
    /// Filled by stage 2: the number of distinct values of each (table, column)
    /// it read the values of, counted up to `LOW_CARDINALITY + 1`; stage 4 reads
    /// it instead of counting again.
    pub distinct_counts: HashMap<(String, String), u64>,
    /// Filled by stage 3's plan: (title, chunk).
    pub doc_chunks: Vec<(String, String)>,
    /// Filled by stage 4's plan: the user's curated examples, indexed first.
    pub curated: Vec<ExampleRow>,
    /// Content hashes of the items the user deleted: never emitted (loaded at the start of the run).
    pub excluded: HashSet<String>,
    /// Items produced since the last checkpoint.
    pub(crate) buffer: Vec<NewItem>,
    /// Run log lines written with the next checkpoint.
    pub(crate) logs: Vec<LogEvent>,
    /// When false (re-running an already finished stage after a resume), emitted items are dropped.
    pub(crate) emitting: bool,
}

impl RunContext {
    pub fn source(&self) -> Result<&Source, StageError> {
        self.source
            .as_ref()
            .ok_or_else(|| StageError::Invalid("the source is not open".into()))
    }

    /// Adds a line to the run's log (written with the next checkpoint; dropped,
    /// like items, when re-running an already finished stage after a resume).
    /// The line is shown to the user: it must never hold a password.
    pub fn log(&mut self, event: LogEvent) {
        if self.emitting {
            self.logs.push(event);
        }
    }

    /// Adds an item to the collection (written at the next checkpoint), unless
    /// the user deleted it from an earlier collection (its hash is excluded).
    pub fn emit(
        &mut self,
        kind: ItemKind,
        table_name: Option<&str>,
        question: Option<&str>,
        content: String,
        extra_terms: &str,
    ) {
        if !self.emitting {
            return;
        }
        let mut hasher = Sha256::new();
        for part in [
            kind.as_str(),
            table_name.unwrap_or(""),
            question.unwrap_or(""),
            content.as_str(),
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let content_hash = hex(&hasher.finalize());
        if self.excluded.contains(&content_hash) {
            return;
        }
        let mut text = String::with_capacity(content.len() + extra_terms.len() + 64);
        if let Some(t) = table_name {
            text.push_str(t);
            text.push(' ');
        }
        if let Some(q) = question {
            text.push_str(q);
            text.push(' ');
        }
        text.push_str(extra_terms);
        text.push(' ');
        text.push_str(&content);
        self.buffer.push(NewItem {
            kind,
            table_name: table_name.map(str::to_string),
            question: question.map(str::to_string),
            content,
            content_hash,
            terms: index_terms(&text),
            vector: None,
        });
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
