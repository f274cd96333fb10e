//! The operations both doors (REST handlers and server functions) call. Every
//! function takes the signed-in user and checks that the dataset is theirs; a
//! dataset of another user is "not found".

mod accounts;
mod datasets;
mod search;
mod training;

use std::path::PathBuf;
use std::sync::Arc;

use search::SearchCache;

use crate::domain::dto::{DatasetView, format_ms};
use crate::domain::error::AppError;
use crate::domain::status::Status;
use crate::server::auth::{CurrentUser, LoginLimiter};
use crate::server::embeddings::Embedder;
use crate::server::sources::url::mask_source_url;
use crate::server::sources::{SourcePolicy, SourceUrl};
use crate::server::store::{DatasetRow, Store};
use crate::server::training::Runner;

pub use search::{SEARCH_K_DEFAULT, SEARCH_K_MAX};
pub use training::{LOGS_DEFAULT, LOGS_MAX};

#[derive(Clone)]
pub struct Services {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    runner: Runner,
    sources_dir: PathBuf,
    /// Files no source may point at (datatrain's own database).
    forbidden: Vec<PathBuf>,
    signup_open: bool,
    limiter: LoginLimiter,
    /// Dense retrieval (None = full-text only).
    embedder: Option<Embedder>,
    search_cache: SearchCache,
    /// Which network sources may be opened (checked on every connect).
    source_policy: SourcePolicy,
}

impl Services {
    pub fn new(
        store: Store,
        runner: Runner,
        sources_dir: PathBuf,
        forbidden: Vec<PathBuf>,
        signup_open: bool,
        embedder: Option<Embedder>,
        source_policy: SourcePolicy,
    ) -> Self {
        Services {
            inner: Arc::new(Inner {
                store,
                runner,
                sources_dir,
                forbidden,
                signup_open,
                limiter: LoginLimiter::default(),
                embedder,
                search_cache: SearchCache::default(),
                source_policy,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn runner(&self) -> &Runner {
        &self.inner.runner
    }

    /// The dataset if it belongs to `user`; otherwise 404 (its existence is not revealed).
    async fn owned(&self, user: &CurrentUser, id: i64) -> Result<DatasetRow, AppError> {
        self.inner
            .store
            .dataset_of(id, user.id)
            .await?
            .ok_or_else(AppError::not_found)
    }

    /// The policy sources are checked against.
    pub fn source_policy(&self) -> &SourcePolicy {
        &self.inner.source_policy
    }

    /// Checks the form of a source URL (422 when refused).
    fn parse_source(&self, url: &str) -> Result<SourceUrl, AppError> {
        SourceUrl::parse(url, &self.inner.sources_dir, &self.inner.forbidden)
            .map_err(|e| AppError::Unprocessable(e.message().to_string()))
    }

    /// Checks a source URL a user gives: its form, then the source policy
    /// (connection parameters, unix sockets, allow/deny lists, datatrain's own
    /// database); 422 when refused. A password given as a query parameter (which
    /// the drivers accept, and shown URLs would not mask) is refused too.
    async fn check_source(&self, url: &str) -> Result<SourceUrl, AppError> {
        let parsed = self.parse_source(url)?;
        self.inner
            .source_policy
            .check_given(&parsed)
            .await
            .map_err(|e| AppError::Unprocessable(e.to_string()))?;
        Ok(parsed)
    }
}

pub(crate) fn status_of(row: &DatasetRow) -> Status {
    Status::parse(&row.status).unwrap_or(Status::Failed)
}

pub(crate) fn dataset_view(row: &DatasetRow) -> DatasetView {
    DatasetView {
        id: row.id,
        name: row.name.clone(),
        description: row.description.clone(),
        source_url: mask_source_url(&row.source_url),
        table_names: serde_json::from_str(&row.table_names).unwrap_or_default(),
        status: status_of(row),
        process_rate: row.process_rate,
        error_msg: row.error_msg.clone(),
        last_train_at: row.last_train_at.map(format_ms),
        created_at: format_ms(row.created_at),
        updated_at: format_ms(row.updated_at),
    }
}
