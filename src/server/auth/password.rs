//! Passwords: argon2id hashes (OWASP's minimum: 19 MiB, 2 iterations), computed
//! on blocking threads, at most `DATATRAIN_HASH_CONCURRENCY` at once so that a
//! burst of logins cannot take the server's memory; and the rule a new password
//! must follow.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::error::AppError;

/// How long a request waits for a free hashing slot before it is told to come back (503).
pub const HASH_WAIT: Duration = Duration::from_secs(5);
pub const BUSY: &str = "Server busy, try again";

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params"),
    )
}

/// Hashes and checks passwords, a bounded number at a time, on a fixed set
/// of threads of its own: each thread reuses its memory from one hash to the
/// next, so the memory in use stays near `concurrency` × 19 MiB however many
/// logins arrive (short-lived blocking threads would each keep their own).
#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    wait: Duration,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

impl Passwords {
    /// At most `concurrency` hashes at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(concurrency);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..concurrency {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    loop {
                        let job = {
                            let queue = queue.lock().unwrap_or_else(|p| p.into_inner());
                            queue.recv()
                        };
                        match job {
                            Ok(job) => job(),
                            // Every sender is gone: the service stopped.
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Passwords {
            slots: Arc::new(Semaphore::new(concurrency)),
            wait: HASH_WAIT,
            jobs,
        }
    }

    /// Runs `work` on a hashing thread once a slot is free; 503 after waiting [`HASH_WAIT`].
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit =
            match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                _ => return Err(AppError::Unavailable(BUSY.into())),
            };
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        // A slot is held: at most `concurrency` jobs are queued or running, so
        // the queue (of that size) has room.
        self.jobs.try_send(job).map_err(|e| {
            tracing::error!(error = %e, "cannot hand a password to the hashing threads");
            AppError::Internal
        })?;
        result.await.map_err(|_| {
            tracing::error!("password hashing task failed");
            AppError::Internal
        })
    }

    /// Hashes a password with argon2id (PHC string).
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
    }

    /// Checks a password against a stored hash. With no hash (unknown username) it
    /// still spends the same time on a dummy hash, so names cannot be told apart by timing.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        self.run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| {
                DUMMY
                    .get_or_init(|| {
                        let salt = SaltString::generate(&mut OsRng);
                        argon2()
                            .hash_password(b"not a password", &salt)
                            .map(|h| h.to_string())
                            .unwrap_or_default()
                    })
                    .clone()
            });
            let matches = PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            known && matches
        })
        .await
    }
}

static DUMMY: OnceLock<String> = OnceLock::new();

/// The 10,000 most used passwords (zxcvbn's list, MIT: see `data/LICENSE-zxcvbn.txt`).
const COMMON: &str = include_str!("data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// The rule for a new password (signup, and any password change): 8-256
/// characters, not only whitespace, no control characters, not one of the
/// 10,000 most common passwords (compared without case).
pub fn check_new_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if !(8..=256).contains(&n) {
        return Err("password must be 8-256 characters".into());
    }
    if password.trim().is_empty() {
        return Err("password must not be only whitespace".into());
    }
    if password.chars().any(char::is_control) {
        return Err("password must not contain control characters".into());
    }
    let set = common_passwords();
    if set.contains(password) || set.contains(password.to_lowercase().as_str()) {
        return Err("password is one of the most common passwords; choose another".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(2);
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            p.verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!p.verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!p.verify("not a password".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_hasher_answers_busy() {
        let mut p = Passwords::new(1);
        p.wait = Duration::from_millis(50);
        let held = p.slots.clone().acquire_owned().await.unwrap();
        assert_eq!(
            p.hash("some long password".into()).await,
            Err(AppError::Unavailable(BUSY.into()))
        );
        drop(held);
        assert!(p.hash("some long password".into()).await.is_ok());
    }

    #[test]
    fn the_password_rule() {
        assert!(check_new_password("train-Knowledge-42").is_ok());
        assert!(check_new_password("年年有余，岁岁平安").is_ok());
        assert!(check_new_password(&"x".repeat(256)).is_ok());
        for bad in [
            "short",
            "1234567",
            "        ",
            "\t\t\t\t\t\t\t\t\t",
            "password1",
            "Password123",
            "iloveyou",
            "12345678",
            "qwertyuiop",
            "with\u{0}nul-char",
            "with\nnewline!",
            "with\u{7f}delete",
        ] {
            assert!(check_new_password(bad).is_err(), "{bad:?}");
        }
        assert!(check_new_password(&"x".repeat(257)).is_err());
        assert_eq!(common_passwords().len(), 10_000);
    }
}
