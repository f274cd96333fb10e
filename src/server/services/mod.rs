//! The operations both doors (REST handlers and server functions) call. Every
//! function takes the signed-in user and checks that the dataset is theirs; a
//! dataset of another user is "not found".

mod accounts;
mod context;
mod curation;
mod datasets;
mod demo;
mod dify;
mod events;
mod search;
mod tokens;
mod training;
mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;

use search::SearchCache;

use crate::domain::dto::{DatasetView, format_ms};
use crate::domain::error::AppError;
use crate::domain::status::Status;
use crate::server::auth::{CurrentUser, Passwords};
use crate::server::embeddings::Embedder;
use crate::server::secrets::Secrets;
use crate::server::sources::url::mask_source_url;
use crate::server::sources::{SourcePolicy, SourceUrl};
use crate::server::store::{DatasetRow, Store, StoredSource};
use crate::server::training::Runner;

pub use context::{CONTEXT_K_DEFAULT, CONTEXT_K_MAX};
pub use curation::{IMPORT_LINES_MAX, ITEMS_DEFAULT, ITEMS_MAX, ItemQuery};
pub use demo::{DEMO_FILE, demo_name};
pub use dify::{DIFY_TOP_K_MAX, DifyRefusal};
pub use events::{DatasetEvents, STREAMS_MAX, StreamEvent, StreamScope};
pub use search::{SEARCH_K_DEFAULT, SEARCH_K_MAX};
pub use tokens::{TOKENS_MAX, TokenRefusal};
pub use training::{LOGS_DEFAULT, LOGS_MAX};

/// What the services are configured with (from [`Config`](crate::server::config::Config)).
#[derive(Clone)]
pub struct ServiceSettings {
    pub sources_dir: PathBuf,
    /// Files no source may point at (datatrain's own database).
    pub forbidden: Vec<PathBuf>,
    pub signup_open: bool,
    /// Dense retrieval (None = full-text only).
    pub embedder: Option<Embedder>,
    /// Password hashes computed at once.
    pub hash_concurrency: usize,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Queued or training runs a user may have at once.
    pub max_active_runs_per_user: i64,
    /// Encrypts source passwords at rest.
    pub secrets: Secrets,
    /// Which network sources may be opened.
    pub source_policy: SourcePolicy,
}

impl ServiceSettings {
    /// Defaults for `sources_dir` (tests and benchmarks).
    pub fn new(sources_dir: PathBuf, secrets: Secrets) -> Self {
        ServiceSettings {
            sources_dir,
            forbidden: vec![],
            signup_open: true,
            embedder: None,
            hash_concurrency: 2,
            trusted_proxies: vec![],
            max_active_runs_per_user: 3,
            secrets,
            source_policy: SourcePolicy::default(),
        }
    }
}

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
    passwords: Passwords,
    /// Dense retrieval (None = full-text only).
    embedder: Option<Embedder>,
    search_cache: SearchCache,
    trusted_proxies: Vec<ipnet::IpNet>,
    max_active_runs_per_user: i64,
    secrets: Secrets,
    /// Which network sources may be opened (checked on every connect).
    source_policy: SourcePolicy,
    /// This instance's event hub (see [`events`]).
    events: events::EventHub,
}

impl Services {
    pub fn new(store: Store, runner: Runner, settings: ServiceSettings) -> Self {
        Services {
            inner: Arc::new(Inner {
                store,
                runner,
                sources_dir: settings.sources_dir,
                forbidden: settings.forbidden,
                signup_open: settings.signup_open,
                passwords: Passwords::new(settings.hash_concurrency),
                embedder: settings.embedder,
                search_cache: SearchCache::default(),
                trusted_proxies: settings.trusted_proxies,
                max_active_runs_per_user: settings.max_active_runs_per_user,
                secrets: settings.secrets,
                source_policy: settings.source_policy,
                events: events::EventHub::default(),
            }),
        }
    }

    /// The address of the client of a request from `peer` (see [`client_ip`]).
    pub fn client_ip(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        crate::server::auth::client_ip(peer, headers, &self.inner.trusted_proxies)
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

impl Services {
    /// How a checked source URL is stored: a URL with a secret is shown masked
    /// and kept encrypted; one without is stored as it is.
    pub(crate) fn stored_source(&self, url: &SourceUrl) -> StoredSource {
        let shown = url.masked();
        if shown == url.as_str() {
            StoredSource {
                shown,
                secret: None,
            }
        } else {
            StoredSource {
                shown,
                secret: Some(self.inner.secrets.encrypt(url.as_str())),
            }
        }
    }

    /// The URL to connect to a dataset's source (decrypted).
    pub(crate) fn connect_url(&self, row: &DatasetRow) -> Result<String, AppError> {
        self.inner
            .secrets
            .reveal(&row.source_url, row.source_secret.as_deref())
            .map_err(|e| {
                tracing::error!(dataset = row.id, error = %e, "cannot decrypt a source URL");
                AppError::Internal
            })
    }
}

pub(crate) fn status_of(row: &DatasetRow) -> Status {
    row.status
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
        webhook_url: row.webhook_url.clone(),
        webhook_secret: None,
    }
}
