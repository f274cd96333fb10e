//! A test world for engine and service tests: a fresh metadata store (SQLite in
//! a temporary folder, or a fresh PostgreSQL database), a sources folder holding
//! a Chinook copy, a runner and the service layer, and a signed-up user.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use datatrain::domain::dto::{CreateDataset, NewDoc, Progress, StartTraining};
use datatrain::domain::status::Status;
use datatrain::server::auth::CurrentUser;
use datatrain::server::embeddings::Embedder;
use datatrain::server::secrets::Secrets;
use datatrain::server::services::{ServiceSettings, Services};
use datatrain::server::sources::SourcePolicy;
use datatrain::server::store::Store;
use datatrain::server::training::executor::{ExecEnv, ExecOutcome};
use datatrain::server::training::{Runner, RunnerConfig};

use super::sources::{Server, chinook_sqlite_copy, drop_database, pg_admin_url, unique_db_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    Sqlite,
    Postgres,
}

pub struct World {
    pub store: Store,
    pub runner: Runner,
    pub services: Services,
    pub user: CurrentUser,
    pub sources_dir: PathBuf,
    pub meta: Meta,
    pg_db: Option<String>,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn new(meta: Meta) -> World {
        World::with_embedder(meta, None).await
    }

    /// A world whose runs embed their items and whose search fuses dense hits.
    pub async fn with_embedder(meta: Meta, embedder: Option<Embedder>) -> World {
        World::build(meta, embedder, SourcePolicy::default()).await
    }

    /// A world whose runs check sources against `policy` when they connect, while
    /// the service layer lets every source in (as for URLs stored before the policy).
    pub async fn with_runner_policy(meta: Meta, policy: SourcePolicy) -> World {
        World::build(meta, None, policy).await
    }

    async fn build(meta: Meta, embedder: Option<Embedder>, policy: SourcePolicy) -> World {
        if std::env::var_os("DT_TEST_LOG").is_some() {
            datatrain::server::telemetry::init();
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let sources_dir = dir.path().join("sources");
        std::fs::create_dir_all(&sources_dir).unwrap();
        chinook_sqlite_copy(&sources_dir);
        let (url, pg_db) = match meta {
            Meta::Sqlite => (
                format!("sqlite://{}", dir.path().join("meta.db").display()),
                None,
            ),
            Meta::Postgres => {
                let name = unique_db_name().replace("dt_src_", "dt_meta_");
                (format!("{}/{}", pg_admin_url(), name), Some(name))
            }
        };
        let store = Store::connect(&url).await.expect("metadata store");
        let secrets = Secrets::ephemeral();
        let runner = Runner::new(
            store.clone(),
            RunnerConfig {
                concurrency: 2,
                env: ExecEnv {
                    sources_dir: sources_dir.clone(),
                    forbidden_paths: vec![],
                    throttle_items_per_sec: 0.0,
                    embedder: embedder.clone(),
                    secrets: secrets.clone(),
                    source_policy: policy,
                    ..ExecEnv::default()
                },
                ..RunnerConfig::default()
            },
        );
        let services = Services::new(
            store.clone(),
            runner.clone(),
            ServiceSettings {
                embedder,
                ..ServiceSettings::new(sources_dir.clone(), secrets)
            },
        );
        let user = store
            .insert_user(&format!("user{}", rand_suffix()), "not-a-real-hash")
            .await
            .unwrap();
        let user = CurrentUser {
            id: user.id,
            username: user.username,
        };
        World {
            store,
            runner,
            services,
            user,
            sources_dir,
            meta,
            pg_db,
            _dir: dir,
        }
    }

    /// A dataset on the Chinook copy, with documentation that splits into several chunks.
    pub async fn chinook_dataset(&self, name: &str) -> i64 {
        let ds = self
            .services
            .create_dataset(
                &self.user,
                &CreateDataset {
                    name: name.into(),
                    source_url: "sqlite://chinook.sqlite".into(),
                    description: None,
                },
            )
            .await
            .unwrap();
        let long: String = (0..5)
            .map(|i| {
                format!(
                    "Paragraph {i}: {}",
                    "Invoices record what customers bought and paid. ".repeat(12)
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        for (title, content) in [
            ("Sales glossary", long.as_str()),
            (
                "业务术语",
                "复购率：一个客户在一年内购买两次及以上的比例。\n\n客单价：发票总金额除以发票数量。",
            ),
        ] {
            self.services
                .add_doc(
                    &self.user,
                    ds.id,
                    &NewDoc {
                        title: title.into(),
                        content: content.into(),
                    },
                )
                .await
                .unwrap();
        }
        ds.id
    }

    /// Another account in the same store.
    pub async fn other_user(&self) -> CurrentUser {
        let user = self
            .store
            .insert_user(&format!("other{}", rand_suffix()), "not-a-real-hash")
            .await
            .unwrap();
        CurrentUser {
            id: user.id,
            username: user.username,
        }
    }

    /// A Chinook dataset (no documents) owned by `user`.
    pub async fn chinook_dataset_of(&self, user: &CurrentUser, name: &str) -> i64 {
        self.services
            .create_dataset(
                user,
                &CreateDataset {
                    name: name.into(),
                    source_url: "sqlite://chinook.sqlite".into(),
                    description: None,
                },
            )
            .await
            .unwrap()
            .id
    }

    /// Queues a run of two tables for `user`'s dataset.
    pub async fn start_of(&self, user: &CurrentUser, id: i64) -> i64 {
        self.services
            .start_training(
                user,
                id,
                &StartTraining {
                    table_names: Some(vec!["Album".into(), "Artist".into()]),
                    max_items_per_sec: None,
                },
            )
            .await
            .expect("start")
            .run_id
    }

    pub fn all_tables() -> Vec<String> {
        [
            "Album",
            "Artist",
            "Customer",
            "Employee",
            "Genre",
            "Invoice",
            "InvoiceLine",
            "MediaType",
            "Playlist",
            "PlaylistTrack",
            "Track",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    pub async fn start(&self, id: i64, tables: Vec<String>, rate: Option<f64>) -> i64 {
        self.services
            .start_training(
                &self.user,
                id,
                &StartTraining {
                    table_names: Some(tables),
                    max_items_per_sec: rate,
                },
            )
            .await
            .expect("start")
            .run_id
    }

    /// Claims and runs the next queued run in this task.
    pub async fn work(&self) -> ExecOutcome {
        self.runner
            .try_execute_next()
            .await
            .expect("claim")
            .expect("a queued run")
            .1
    }

    pub async fn progress(&self, id: i64) -> Progress {
        self.services.progress(&self.user, id).await.unwrap()
    }

    pub async fn status(&self, id: i64) -> Status {
        self.progress(id).await.status
    }

    /// Waits (polling the store, bounded) until `cond` holds for the dataset's progress.
    pub async fn wait_for(
        &self,
        id: i64,
        what: &str,
        cond: impl Fn(&Progress) -> bool,
    ) -> Progress {
        for _ in 0..3000 {
            let p = self.progress(id).await;
            if cond(&p) {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "timed out waiting for {what}: {:?}",
            self.progress(id).await
        );
    }

    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(name) = &self.pg_db {
            drop_database(Server::Postgres, name).await;
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    nanos * 1000 + N.fetch_add(1, Ordering::Relaxed)
}
