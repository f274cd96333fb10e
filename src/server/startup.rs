//! Building and running the application: bind first (port 0 works in tests),
//! then serve until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

use std::time::Duration;

use super::auth::{CurrentUser, DbSessionStore, SESSION_USER};
use super::config::Config;
use super::embeddings::Embedder;
use super::http;
use super::mcp;
use super::rest;
use super::secrets::Secrets;
use super::services::{ServiceSettings, Services};
use super::sources::SourcePolicy;
use super::sources::url::mask_source_url;
use super::state::AppState;
use super::store::Store;
use super::store::StoredSource;
use super::training::executor::ExecEnv;
use super::training::{Runner, RunnerConfig};
use crate::app::{App, shell};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    runner: Runner,
    shutdown: CancellationToken,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Store(#[from] super::store::StoreError),
    #[error("cannot read or create the key file {path}: {source}")]
    Key {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "this database's secrets were encrypted with another key: start with the same \
         DATATRAIN_KEY (or DATATRAIN_KEY_FILE) as the other instances"
    )]
    WrongKey,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let key = match &config.key {
            Some(key) => key.bytes().to_vec(),
            None => load_or_create_key(&config.key_file).map_err(|source| StartupError::Key {
                path: config.key_file.display().to_string(),
                source,
            })?,
        };
        let secrets = Secrets::from_master_key(&key);
        let store = Store::connect_as(&config.database_url, Some(&config.instance)).await?;
        let stored = store
            .setting_or_insert(KEY_FINGERPRINT, secrets.fingerprint())
            .await?;
        if stored != secrets.fingerprint() {
            return Err(StartupError::WrongKey);
        }
        encrypt_plain_sources(&store, &secrets).await?;
        let embedder = config.embeddings.clone().map(Embedder::new);
        if let Some(e) = &embedder {
            tracing::info!(endpoint = %e.config().endpoint_for_logs(), model = e.model(), "dense retrieval on");
        }
        let runner = Runner::new(
            store.clone(),
            runner_config(&config, embedder.clone(), secrets.clone()),
        );
        let services = Services::new(
            store.clone(),
            runner.clone(),
            ServiceSettings {
                sources_dir: config.sources_dir.clone(),
                forbidden: config.database_file().into_iter().collect(),
                signup_open: config.signup_open,
                embedder,
                hash_concurrency: config.hash_concurrency,
                trusted_proxies: config.trusted_proxies.clone(),
                max_active_runs_per_user: config.max_active_runs_per_user,
                secrets,
                source_policy: source_policy(&config),
            },
        );
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.addr,
            source,
        })?;

        let leptos_options = LeptosOptions::builder()
            .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "datatrain".into()))
            .site_root(config.site_root.clone())
            .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
            .site_addr(local_addr)
            .build();
        let state = AppState {
            instance: super::state::Instance(config.instance.clone().into()),
            leptos_options: leptos_options.clone(),
            store: store.clone(),
            services,
        };
        let store_for_housekeeping = store.clone();
        let shutdown = CancellationToken::new();
        let sessions = SessionManagerLayer::new(DbSessionStore::new(store))
            .with_name(http::SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(config.secure_cookies)
            .with_expiry(Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::days(7),
            ))
            .with_signed(Key::from(&key));

        let routes = route_list();
        let context_state = state.clone();
        let pages = Router::new()
            .leptos_routes_with_context(
                &state,
                routes,
                move || {
                    provide_context(context_state.clone());
                    provide_context(crate::server_fns::tokens::TakenToken::default());
                    // The page's scripts run by this request's nonce.
                    if let (Some(nonce), Some(response)) = (
                        leptos::nonce::use_nonce(),
                        use_context::<leptos_axum::ResponseOptions>(),
                    ) && let Ok(value) = axum::http::HeaderValue::from_str(
                        &http::content_security_policy(Some(&nonce)),
                    ) {
                        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
                    }
                },
                {
                    let options = leptos_options.clone();
                    move || shell(options.clone())
                },
            )
            .layer(axum::middleware::from_fn_with_state(
                http::PAGE_DEADLINE,
                http::page_deadline,
            ));
        let router = Router::new()
            .merge(rest::router())
            .merge(mcp::router(state.services.clone(), shutdown.child_token()))
            .merge(pages)
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
            .layer(axum::middleware::from_fn(touch_session))
            .layer(sessions)
            .layer(axum::middleware::from_fn(http::server_fn_status))
            .layer(axum::middleware::from_fn_with_state(
                http::Origins {
                    public: config.public_origin.clone(),
                },
                http::guard,
            ))
            .with_state(state.clone());
        runner.start();
        state.services.start_event_hub(shutdown.child_token());
        state.services.start_webhooks(
            std::time::Duration::from_millis(config.webhook_backoff_ms),
            shutdown.child_token(),
        );
        spawn_housekeeping(store_for_housekeeping, shutdown.clone());

        tracing::info!(addr = %local_addr, version = env!("CARGO_PKG_VERSION"), instance = %config.instance, "datatrain listening");
        Ok(Application {
            listener,
            router,
            state,
            runner,
            shutdown,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// A token that stops the server when cancelled (tests use it; signals cancel it too).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            listener,
            router,
            state,
            runner,
            shutdown,
        } = self;
        let signal_token = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received");
            signal_token.cancel();
        });
        let token = shutdown.clone();
        let result = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { token.cancelled().await })
        .await;
        // Running runs checkpoint and go back to the queue, not to failed.
        runner.shutdown().await;
        state.store.close().await;
        tracing::info!("datatrain stopped");
        result
    }
}

/// The configured policy, always with datatrain's own database refused.
fn source_policy(config: &Config) -> SourcePolicy {
    config
        .source_policy
        .clone()
        .with_own_database(&config.database_url)
}

fn runner_config(config: &Config, embedder: Option<Embedder>, secrets: Secrets) -> RunnerConfig {
    RunnerConfig {
        concurrency: config.workers,
        heartbeat_every: config.heartbeat,
        lease: config.lease,
        recovery_every: config.heartbeat,
        instance: config.instance.clone(),
        env: ExecEnv {
            max_run: Duration::from_secs(config.max_run_seconds),
            sources_dir: config.sources_dir.clone(),
            forbidden_paths: config.database_file().into_iter().collect(),
            throttle_items_per_sec: config.throttle_items_per_sec,
            embedder,
            secrets,
            source_policy: source_policy(config),
            examples_table_budget: config.examples_table_budget,
        },
    }
}

/// The setting holding the fingerprint of the key secrets are encrypted with.
const KEY_FINGERPRINT: &str = "key_fingerprint";

/// Source URLs stored with their password in clear (before encryption at rest
/// existed) are encrypted, and the stored URL masked.
async fn encrypt_plain_sources(store: &Store, secrets: &Secrets) -> Result<(), StartupError> {
    let mut encrypted = 0;
    for (id, url) in store.datasets_with_plain_sources().await? {
        let shown = mask_source_url(&url);
        if shown == url {
            continue;
        }
        let source = StoredSource {
            shown,
            secret: Some(secrets.encrypt(&url)),
        };
        if store.encrypt_source(id, &url, &source).await? {
            encrypted += 1;
        }
    }
    if encrypted > 0 {
        tracing::info!(datasets = encrypted, "encrypted stored source passwords");
    }
    Ok(())
}

/// Every minute: deletes expired sessions and rate-limit events past their window.
fn spawn_housekeeping(store: Store, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = chrono::Utc::now();
            if let Err(e) = store.delete_expired_sessions(now.timestamp()).await {
                tracing::warn!(error = %e, "cannot delete expired sessions");
            }
            let before = now.timestamp_millis() - THROTTLE_KEEP_MS;
            if let Err(e) = store.prune_throttle(before).await {
                tracing::warn!(error = %e, "cannot prune rate-limit events");
            }
        }
    });
}

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);
/// Rate-limit events are kept this long (the longest window is a minute).
const THROTTLE_KEEP_MS: i64 = 5 * 60 * 1000;

/// "7 days" of a session means 7 days without use: once an hour of use, the
/// session is marked touched, which saves it with a new expiry and sends the
/// cookie again (reads in between write nothing).
async fn touch_session(
    session: tower_sessions::Session,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let signed_in = matches!(session.get::<CurrentUser>(SESSION_USER).await, Ok(Some(_)));
    if signed_in {
        let hour = chrono::Utc::now().timestamp() / 3600;
        if session.get::<i64>(SESSION_TOUCHED).await.ok().flatten() != Some(hour) {
            let _ = session.insert(SESSION_TOUCHED, hour).await;
        }
    }
    next.run(req).await
}

const SESSION_TOUCHED: &str = "touched_hour";

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Reads the 64-byte key, or creates it (mode 0600) on first start.
pub fn load_or_create_key(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= 64 => return Ok(bytes[..64].to_vec()),
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the key file holds fewer than 64 bytes",
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut key = vec![0u8; 64];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut key[..]);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, &key)?;
    tracing::info!(path = %path.display(), "created a new key file");
    Ok(key)
}

/// The app's page routes, generated once per process. Generating them renders
/// the app with resource loading suppressed by a process-wide flag (leptos
/// #4773): a resource another server in the same process first polls meanwhile
/// never loads and its page never finishes. Once per process, before any server
/// of it serves, nothing renders during a generation.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
