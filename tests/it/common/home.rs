//! An app whose folder and database outlive one server (a restart), with its
//! admin-flag, cookie and database-location settings under the test's control.

use std::path::PathBuf;

use datatrain::server::config::Config;
use datatrain::server::startup::Application;
use tokio_util::sync::CancellationToken;

use super::app::{Client, Meta};
use super::logs::captured_logs;
use super::sources::{Server, chinook_sqlite_copy, drop_database, pg_admin_url, unique_db_name};

pub struct Home {
    pub dir: tempfile::TempDir,
    pub sources: PathBuf,
    database_url: String,
    meta: Meta,
    pg_db: Option<String>,
}

pub struct Running {
    pub base: String,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Home {
    /// A fresh folder (with a Chinook copy in `sources/`) and database. With
    /// `db_in_sources` the SQLite metadata file lies inside the sources folder.
    pub fn new(meta: Meta, db_in_sources: bool) -> Home {
        captured_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let sources = dir.path().join("sources");
        std::fs::create_dir_all(&sources).unwrap();
        chinook_sqlite_copy(&sources);
        let (database_url, pg_db) = match meta {
            Meta::Sqlite => {
                let file = if db_in_sources {
                    sources.join("datatrain.db")
                } else {
                    dir.path().join("datatrain.db")
                };
                (format!("sqlite://{}", file.display()), None)
            }
            Meta::Postgres => {
                let name = unique_db_name().replace("dt_src_", "dt_api_");
                (format!("{}/{name}", pg_admin_url()), Some(name))
            }
        };
        Home {
            dir,
            sources,
            database_url,
            meta,
            pg_db,
        }
    }

    pub async fn boot(&self, signup_open: bool, secure_cookies: bool) -> Running {
        let config = Config {
            database_url: self.database_url.clone(),
            addr: "127.0.0.1:0".parse().unwrap(),
            key_file: self.dir.path().join("datatrain.key"),
            site_root: "target/site".into(),
            sources_dir: self.sources.clone(),
            workers: 2,
            throttle_items_per_sec: 0.0,
            signup_open,
            secure_cookies,
            embeddings: None,
            ..Config::default()
        };
        let app = Application::build(config).await.expect("the app builds");
        let base = format!("http://{}", app.local_addr());
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        Running {
            base,
            shutdown,
            server,
        }
    }

    /// (accounts, admins) as stored.
    pub async fn accounts(&self) -> (i64, i64) {
        use sqlx::Connection;
        const ALL: &str = "SELECT COUNT(*) FROM users";
        const ADMINS: &str = "SELECT COUNT(*) FROM users WHERE is_admin = 1";
        match self.meta {
            Meta::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.database_url)
                    .await
                    .unwrap();
                let all: i64 = sqlx::query_scalar(ALL).fetch_one(&mut c).await.unwrap();
                let admins: i64 = sqlx::query_scalar(ADMINS).fetch_one(&mut c).await.unwrap();
                (all, admins)
            }
            Meta::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.database_url)
                    .await
                    .unwrap();
                let all: i64 = sqlx::query_scalar(ALL).fetch_one(&mut c).await.unwrap();
                let admins: i64 = sqlx::query_scalar(ADMINS).fetch_one(&mut c).await.unwrap();
                (all, admins)
            }
        }
    }

    pub async fn cleanup(self) {
        if let Some(name) = &self.pg_db {
            drop_database(Server::Postgres, name).await;
        }
    }
}

impl Running {
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.server.await;
    }
}
