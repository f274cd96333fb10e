//! Configuration from the environment. Every variable is documented in the README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::auth::parse_trusted_proxies;
use super::embeddings::{DEFAULT_MODEL, EmbeddingsConfig};
pub use super::secrets::SecretKey;
use super::secrets::decode_key;
use super::sources::SourcePolicy;
use super::training::stages::EXAMPLES_TABLE_BUDGET;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATATRAIN_DATABASE_URL`: the metadata store (SQLite or PostgreSQL).
    pub database_url: String,
    /// `DATATRAIN_ADDR` (wins over `LEPTOS_SITE_ADDR`).
    pub addr: SocketAddr,
    /// `DATATRAIN_KEY_FILE`: the session/encryption key, created on first start.
    pub key_file: PathBuf,
    /// `LEPTOS_SITE_ROOT`: where cargo-leptos put the site (WASM, JS, CSS, public files).
    pub site_root: String,
    /// `DATATRAIN_SOURCES_DIR`: SQLite sources must resolve inside this folder.
    pub sources_dir: PathBuf,
    /// `DATATRAIN_WORKERS`: runs that train at once.
    pub workers: usize,
    /// `DATATRAIN_THROTTLE_ITEMS_PER_SEC`: items per second for every run (0 = unlimited).
    pub throttle_items_per_sec: f64,
    /// `DATATRAIN_SIGNUP`: `open` (default) or `closed` (only the first account may sign up).
    pub signup_open: bool,
    /// `DATATRAIN_PUBLIC_URL`: when it starts with `https://`, session cookies are `Secure`.
    pub secure_cookies: bool,
    /// `DATATRAIN_EMBEDDINGS_URL`, `_MODEL`, `_KEY`: optional dense retrieval (off when the URL is unset).
    pub embeddings: Option<EmbeddingsConfig>,
    /// `DATATRAIN_KEY`: the 64-byte key as base64; wins over the key file.
    pub key: Option<SecretKey>,
    /// `DATATRAIN_PUBLIC_URL`: the origin browsers reach this server at (`https://dt.example.com`).
    pub public_origin: Option<String>,
    /// `DATATRAIN_HASH_CONCURRENCY`: password hashes at once (default: the number of CPU cores).
    pub hash_concurrency: usize,
    /// `DATATRAIN_TRUSTED_PROXIES`: proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `DATATRAIN_MAX_ACTIVE_RUNS_PER_USER`: queued or training runs per user (default 3).
    pub max_active_runs_per_user: i64,
    /// `DATATRAIN_MAX_RUN_SECONDS`: a run that trains longer fails (default 21600, 6 hours).
    pub max_run_seconds: u64,
    /// `DATATRAIN_WEBHOOK_BACKOFF_MS`: the wait before a webhook's first retry,
    /// doubled for each further one (default 1000: 1, 2, 4, 8, 16 s).
    pub webhook_backoff_ms: u64,
    /// `DATATRAIN_INSTANCE`: this instance's name (default `<hostname>-<pid>`).
    pub instance: String,
    /// `DATATRAIN_HEARTBEAT_MS`: how often a running task renews its lease (default 1000).
    pub heartbeat: Duration,
    /// `DATATRAIN_LEASE_MS`: a run without a heartbeat this long is taken over (default 5000).
    pub lease: Duration,
    /// `DATATRAIN_SOURCE_ALLOW` / `DATATRAIN_SOURCE_DENY`: which network sources may be
    /// opened. [`Config::from_lookup`] also refuses the metadata store's own PostgreSQL
    /// database; `Application::build` adds that rule to any policy it is given.
    pub source_policy: SourcePolicy,
    /// `DATATRAIN_EXAMPLES_TABLE_SECONDS`: stage 4's time budget per table (default 30 s).
    pub examples_table_budget: Duration,
}

impl Default for Config {
    /// The configuration with no variable set.
    fn default() -> Self {
        Config::from_lookup(|_| None).expect("the defaults are valid")
    }
}

/// A positive integer variable within `range`, or its default.
fn number<T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| ConfigError::Invalid {
                name,
                reason: format!(
                    "{v:?} is not a number from {} to {}",
                    range.start(),
                    range.end()
                ),
            }),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/datatrain.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_KEY_FILE: &str = "data/datatrain.key";
pub const DEFAULT_SOURCES_DIR: &str = "data/sources";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url =
            get("DATATRAIN_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "DATATRAIN_DATABASE_URL",
                reason: "expected sqlite://… or postgres://…".into(),
            });
        }
        let (addr_name, addr_text) = match get("DATATRAIN_ADDR") {
            Some(v) => ("DATATRAIN_ADDR", v),
            None => match get("LEPTOS_SITE_ADDR") {
                Some(v) => ("LEPTOS_SITE_ADDR", v),
                None => ("DATATRAIN_ADDR", DEFAULT_ADDR.into()),
            },
        };
        let addr = addr_text.trim().parse().map_err(|_| ConfigError::Invalid {
            name: addr_name,
            reason: format!("{addr_text:?} is not host:port"),
        })?;
        let workers = match get("DATATRAIN_WORKERS") {
            None => 2,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "DATATRAIN_WORKERS",
                    reason: format!("{v:?} is not a number from 1 to 64"),
                })?,
        };
        let throttle_items_per_sec = match get("DATATRAIN_THROTTLE_ITEMS_PER_SEC") {
            None => 0.0,
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "DATATRAIN_THROTTLE_ITEMS_PER_SEC",
                    reason: format!("{v:?} is not a number ≥ 0"),
                })?,
        };
        let signup_open = match get("DATATRAIN_SIGNUP").as_deref().map(str::trim) {
            None | Some("open") => true,
            Some("closed") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "DATATRAIN_SIGNUP",
                    reason: format!("{other:?} is neither open nor closed"),
                });
            }
        };
        let embeddings = match get("DATATRAIN_EMBEDDINGS_URL") {
            None => None,
            Some(url) => {
                let url = url.trim().to_string();
                if !(url.starts_with("http://") || url.starts_with("https://"))
                    || url::Url::parse(&url).is_err()
                {
                    return Err(ConfigError::Invalid {
                        name: "DATATRAIN_EMBEDDINGS_URL",
                        reason: "expected an http:// or https:// URL".into(),
                    });
                }
                Some(EmbeddingsConfig {
                    url,
                    model: get("DATATRAIN_EMBEDDINGS_MODEL")
                        .map(|m| m.trim().to_string())
                        .unwrap_or_else(|| DEFAULT_MODEL.into()),
                    key: get("DATATRAIN_EMBEDDINGS_KEY").map(|k| k.trim().to_string()),
                })
            }
        };
        let key = get("DATATRAIN_KEY")
            .map(|k| {
                decode_key(&k)
                    .map(SecretKey)
                    .map_err(|reason| ConfigError::Invalid {
                        name: "DATATRAIN_KEY",
                        reason: format!("expected the base64 of 64 random bytes: {reason}"),
                    })
            })
            .transpose()?;
        let public_origin = match get("DATATRAIN_PUBLIC_URL") {
            None => None,
            Some(u) => Some(
                url::Url::parse(u.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .map(|u| u.origin().ascii_serialization())
                    .ok_or_else(|| ConfigError::Invalid {
                        name: "DATATRAIN_PUBLIC_URL",
                        reason: "expected an http:// or https:// URL".into(),
                    })?,
            ),
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let hash_concurrency = number(&get, "DATATRAIN_HASH_CONCURRENCY", cores, 1..=256)?;
        let trusted_proxies = match get("DATATRAIN_TRUSTED_PROXIES") {
            None => vec![],
            Some(list) => parse_trusted_proxies(&list).map_err(|reason| ConfigError::Invalid {
                name: "DATATRAIN_TRUSTED_PROXIES",
                reason,
            })?,
        };
        let max_active_runs_per_user =
            number(&get, "DATATRAIN_MAX_ACTIVE_RUNS_PER_USER", 3i64, 1..=10_000)?;
        let max_run_seconds = number(&get, "DATATRAIN_MAX_RUN_SECONDS", 21_600u64, 1..=31_536_000)?;
        let webhook_backoff_ms =
            number(&get, "DATATRAIN_WEBHOOK_BACKOFF_MS", 1000u64, 1..=3_600_000)?;
        let list =
            |name: &'static str| -> Result<Vec<crate::server::sources::HostRule>, ConfigError> {
                crate::server::sources::HostRule::parse_list(get(name).as_deref().unwrap_or(""))
                    .map_err(|reason| ConfigError::Invalid { name, reason })
            };
        let source_policy = SourcePolicy::new(
            list("DATATRAIN_SOURCE_ALLOW")?,
            list("DATATRAIN_SOURCE_DENY")?,
        )
        .with_own_database(&database_url);
        let examples_table_budget = match get("DATATRAIN_EXAMPLES_TABLE_SECONDS") {
            None => EXAMPLES_TABLE_BUDGET,
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0 && *n <= 86_400.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "DATATRAIN_EXAMPLES_TABLE_SECONDS",
                    reason: format!("{v:?} is not a number of seconds > 0 (at most 86400)"),
                })?,
        };
        let instance = match get("DATATRAIN_INSTANCE") {
            None => crate::server::training::runner::default_instance(),
            Some(name) => {
                let name = name.trim().to_string();
                if name.len() > 100 || name.chars().any(char::is_control) {
                    return Err(ConfigError::Invalid {
                        name: "DATATRAIN_INSTANCE",
                        reason: "expected a name of at most 100 characters".into(),
                    });
                }
                name
            }
        };
        let heartbeat_ms = number(&get, "DATATRAIN_HEARTBEAT_MS", 1_000u64, 50..=600_000)?;
        let lease_ms = number(&get, "DATATRAIN_LEASE_MS", 5_000u64, 100..=3_600_000)?;
        if lease_ms <= 2 * heartbeat_ms {
            return Err(ConfigError::Invalid {
                name: "DATATRAIN_LEASE_MS",
                reason: format!(
                    "{lease_ms} must be more than twice DATATRAIN_HEARTBEAT_MS ({heartbeat_ms})"
                ),
            });
        }
        Ok(Config {
            instance,
            heartbeat: Duration::from_millis(heartbeat_ms),
            lease: Duration::from_millis(lease_ms),
            key,
            public_origin,
            hash_concurrency,
            trusted_proxies,
            max_active_runs_per_user,
            max_run_seconds,
            webhook_backoff_ms,
            source_policy,
            examples_table_budget,
            embeddings,
            sources_dir: PathBuf::from(
                get("DATATRAIN_SOURCES_DIR").unwrap_or_else(|| DEFAULT_SOURCES_DIR.into()),
            ),
            workers,
            throttle_items_per_sec,
            signup_open,
            secure_cookies: get("DATATRAIN_PUBLIC_URL")
                .is_some_and(|u| u.trim().starts_with("https://")),
            database_url,
            addr,
            key_file: PathBuf::from(
                get("DATATRAIN_KEY_FILE").unwrap_or_else(|| DEFAULT_KEY_FILE.into()),
            ),
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
        })
    }
}

impl Config {
    /// The metadata store's own SQLite file, which no source may point at.
    pub fn database_file(&self) -> Option<PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next()?;
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.key_file, PathBuf::from(DEFAULT_KEY_FILE));
        assert_eq!(c.site_root, "target/site");
        assert_eq!(c.sources_dir, PathBuf::from(DEFAULT_SOURCES_DIR));
        assert_eq!(c.workers, 2);
        assert_eq!(c.throttle_items_per_sec, 0.0);
        assert!(c.signup_open);
        assert!(!c.secure_cookies);
        assert!(c.embeddings.is_none());
        assert!(c.key.is_none() && c.public_origin.is_none());
        assert!(c.hash_concurrency >= 1);
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.max_active_runs_per_user, 3);
        assert_eq!(c.max_run_seconds, 21_600);
        assert!(c.instance.ends_with(&format!("-{}", std::process::id())));
        assert_eq!(c.heartbeat, Duration::from_secs(1));
        assert_eq!(c.lease, Duration::from_secs(5));
        assert_eq!(c.source_policy, SourcePolicy::default());
        assert_eq!(c.examples_table_budget, Duration::from_secs(30));
    }

    #[test]
    fn hardening_variables() {
        let key = "A".repeat(86) + "==";
        let c = config(&[
            ("DATATRAIN_KEY", &key),
            ("DATATRAIN_PUBLIC_URL", "https://dt.example.com/app/"),
            ("DATATRAIN_HASH_CONCURRENCY", "3"),
            ("DATATRAIN_TRUSTED_PROXIES", "10.0.0.0/8,::1"),
            ("DATATRAIN_MAX_ACTIVE_RUNS_PER_USER", "5"),
            ("DATATRAIN_MAX_RUN_SECONDS", "60"),
            ("DATATRAIN_INSTANCE", "web-1"),
            ("DATATRAIN_HEARTBEAT_MS", "200"),
            ("DATATRAIN_LEASE_MS", "1000"),
        ])
        .unwrap();
        assert_eq!(c.key.as_ref().unwrap().bytes(), &[0u8; 64][..]);
        assert!(!format!("{c:?}").contains(&key));
        assert_eq!(c.public_origin.as_deref(), Some("https://dt.example.com"));
        assert_eq!(c.hash_concurrency, 3);
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.max_active_runs_per_user, 5);
        assert_eq!(c.max_run_seconds, 60);
        assert_eq!(c.instance, "web-1");
        assert_eq!(c.lease, Duration::from_secs(1));
        for (name, value) in [
            ("DATATRAIN_KEY", "c2hvcnQ="),
            ("DATATRAIN_PUBLIC_URL", "dt.example.com"),
            ("DATATRAIN_HASH_CONCURRENCY", "0"),
            ("DATATRAIN_TRUSTED_PROXIES", "proxy.example.com"),
            ("DATATRAIN_MAX_ACTIVE_RUNS_PER_USER", "-1"),
            ("DATATRAIN_MAX_RUN_SECONDS", "x"),
            ("DATATRAIN_HEARTBEAT_MS", "10"),
            ("DATATRAIN_LEASE_MS", "1500"),
        ] {
            let e = config(&[(name, value)]).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn source_policy_and_examples_budget() {
        let c = config(&[
            ("DATATRAIN_SOURCE_ALLOW", "db.example.com, 10.0.0.0/8:5432"),
            ("DATATRAIN_SOURCE_DENY", "*.internal, [::1]:3306"),
            ("DATATRAIN_EXAMPLES_TABLE_SECONDS", "0.5"),
        ])
        .unwrap();
        let shown = |r: &[crate::server::sources::HostRule]| {
            r.iter().map(|r| r.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            shown(c.source_policy.allow_list()),
            ["db.example.com", "10.0.0.0/8:5432"]
        );
        assert_eq!(
            shown(c.source_policy.deny_list()),
            ["*.internal", "[::1/128]:3306"]
        );
        assert_eq!(c.examples_table_budget, Duration::from_millis(500));
        for (name, value) in [
            ("DATATRAIN_SOURCE_ALLOW", "db example.com"),
            ("DATATRAIN_SOURCE_DENY", "10.0.0.0/40"),
            ("DATATRAIN_EXAMPLES_TABLE_SECONDS", "0"),
            ("DATATRAIN_EXAMPLES_TABLE_SECONDS", "soon"),
        ] {
            let e = config(&[(name, value)]).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn embeddings_are_off_unless_a_url_is_given() {
        let c = config(&[
            ("DATATRAIN_EMBEDDINGS_URL", "http://127.0.0.1:8088/v1"),
            ("DATATRAIN_EMBEDDINGS_KEY", "sk-secret"),
        ])
        .unwrap();
        let e = c.embeddings.clone().unwrap();
        assert_eq!(e.model, DEFAULT_MODEL);
        assert_eq!(e.key.as_deref(), Some("sk-secret"));
        assert!(!format!("{c:?}").contains("sk-secret"));
        let c = config(&[("DATATRAIN_EMBEDDINGS_MODEL", "m")]).unwrap();
        assert!(c.embeddings.is_none());
        let e = config(&[("DATATRAIN_EMBEDDINGS_URL", "ftp://x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("DATATRAIN_EMBEDDINGS_URL"), "{e}");
    }

    #[test]
    fn datatrain_addr_wins_over_leptos_site_addr() {
        let c = config(&[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
            ("DATATRAIN_ADDR", "127.0.0.1:5000"),
        ])
        .unwrap();
        assert_eq!(c.addr.port(), 5000);
        let c = config(&[("LEPTOS_SITE_ADDR", "127.0.0.1:4000")]).unwrap();
        assert_eq!(c.addr.port(), 4000);
    }

    #[test]
    fn bad_values_are_named() {
        let e = config(&[("DATATRAIN_ADDR", "nope")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("DATATRAIN_ADDR"), "{e}");
        let e = config(&[("DATATRAIN_DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("DATATRAIN_DATABASE_URL"), "{e}");
        for (name, value) in [
            ("DATATRAIN_WORKERS", "0"),
            ("DATATRAIN_THROTTLE_ITEMS_PER_SEC", "-1"),
            ("DATATRAIN_SIGNUP", "maybe"),
        ] {
            let e = config(&[(name, value)]).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        let c = config(&[
            ("DATATRAIN_SIGNUP", "closed"),
            ("DATATRAIN_PUBLIC_URL", "https://x.example"),
        ])
        .unwrap();
        assert!(!c.signup_open && c.secure_cookies);
    }
}
