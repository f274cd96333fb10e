use std::net::IpAddr;

use super::Services;
use crate::domain::dto::{Credentials, UserView};
use crate::domain::error::AppError;
use crate::server::auth::{CurrentUser, check_new_password};
use crate::server::store::{Limit, StoreError};

pub const INVALID_LOGIN: &str = "Invalid username or password";

/// Failed logins counted per (username, client) and per client, in this window.
pub const LOGIN_WINDOW_MS: i64 = 60_000;
/// Failed logins a minute for one username from one client address.
pub const LOGIN_MAX_PER_NAME_AND_CLIENT: i64 = 10;
/// Failed logins a minute from one client address, across usernames.
pub const LOGIN_MAX_PER_CLIENT: i64 = 30;

/// The signup rule for usernames: 3-64 characters of ASCII letters, digits, `_ . -`.
pub fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn check_username(name: &str) -> Result<(), AppError> {
    if valid_username(name) {
        Ok(())
    } else {
        Err(AppError::Unprocessable(
            "username must be 3-64 characters of letters, digits, _ . -".into(),
        ))
    }
}

fn pair_bucket(username: &str, client: IpAddr) -> String {
    format!("login:{}|{client}", username.to_ascii_lowercase())
}

fn client_bucket(client: IpAddr) -> String {
    format!("login-client:{client}")
}

impl Services {
    /// Creates an account (the first one is admin). With signup closed, only the first account may sign up.
    pub async fn signup(&self, creds: &Credentials) -> Result<UserView, AppError> {
        check_username(&creds.username)?;
        check_new_password(&creds.password).map_err(AppError::Unprocessable)?;
        if !self.inner.signup_open && self.inner.store.user_count().await? > 0 {
            return Err(AppError::Forbidden("Signup is closed".into()));
        }
        let hash = self.inner.passwords.hash(creds.password.clone()).await?;
        let only_first = !self.inner.signup_open;
        match self
            .inner
            .store
            .insert_user_if(&creds.username, &hash, only_first)
            .await
        {
            Ok(None) => Err(AppError::Forbidden("Signup is closed".into())),
            Ok(Some(user)) => {
                tracing::info!(
                    user = user.id,
                    admin = user.is_admin == 1,
                    "account created"
                );
                Ok(UserView {
                    id: user.id,
                    username: user.username,
                })
            }
            Err(StoreError::Unique) => Err(AppError::Conflict("Username is already taken".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks credentials. A name that breaks the signup rule is refused before
    /// anything is hashed or counted; failures are counted per (username, client)
    /// and per client in the store (shared by every instance), and a burst past
    /// either limit is refused with 429.
    pub async fn login(
        &self,
        creds: &Credentials,
        client: IpAddr,
    ) -> Result<CurrentUser, AppError> {
        if !valid_username(&creds.username) {
            return Err(AppError::Unauthorized(INVALID_LOGIN.into()));
        }
        let pair = pair_bucket(&creds.username, client);
        let limits = [
            Limit {
                bucket: pair.clone(),
                max: LOGIN_MAX_PER_NAME_AND_CLIENT,
            },
            Limit {
                bucket: client_bucket(client),
                max: LOGIN_MAX_PER_CLIENT,
            },
        ];
        // The attempt counts before the password is checked, so that a burst of
        // simultaneous tries gets no more checks than the limit.
        let counted = match self
            .inner
            .store
            .throttle_hit(&limits, LOGIN_WINDOW_MS)
            .await?
        {
            Ok(ids) => ids,
            Err(wait_ms) => {
                let secs = (wait_ms as u64).div_ceil(1000).max(1);
                return Err(AppError::TooManyRequests(
                    format!("Too many failed logins; try again in {secs} s"),
                    secs,
                ));
            }
        };
        let checked = async {
            let user = self.inner.store.user_by_name(&creds.username).await?;
            let ok = self
                .inner
                .passwords
                .verify(
                    creds.password.clone(),
                    user.as_ref().map(|u| u.password_hash.clone()),
                )
                .await?;
            Ok::<_, AppError>((user, ok))
        }
        .await;
        match checked {
            Ok((Some(user), true)) => {
                // A success is not a failure, and clears the failures of this name and client.
                self.inner.store.throttle_forget(&counted).await?;
                self.inner.store.throttle_clear(&pair).await?;
                Ok(CurrentUser {
                    id: user.id,
                    username: user.username,
                })
            }
            // The failure stays counted.
            Ok(_) => Err(AppError::Unauthorized(INVALID_LOGIN.into())),
            // Not checked (busy, database down): not a failure of the user's.
            Err(e) => {
                let _ = self.inner.store.throttle_forget(&counted).await;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["abc", "a.b-c_d", &"x".repeat(64)] {
            assert!(valid_username(ok), "{ok}");
        }
        for bad in ["ab", "", "a b", "é-user", "a\u{0}b", &"x".repeat(65)] {
            assert!(!valid_username(bad), "{bad}");
        }
    }
}
