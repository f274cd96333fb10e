use std::time::Instant;

use super::Services;
use crate::domain::dto::{Credentials, UserView};
use crate::domain::error::AppError;
use crate::server::auth::{CurrentUser, hash_password, verify_password};
use crate::server::store::StoreError;

pub const INVALID_LOGIN: &str = "Invalid username or password";

fn check_username(name: &str) -> Result<(), AppError> {
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AppError::Unprocessable(
            "username must be 3-64 characters of letters, digits, _ . -".into(),
        ))
    }
}

fn check_password(password: &str) -> Result<(), AppError> {
    if (8..=256).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(AppError::Unprocessable(
            "password must be 8-256 characters".into(),
        ))
    }
}

impl Services {
    /// Creates an account (the first one is admin). With signup closed, only the first account may sign up.
    pub async fn signup(&self, creds: &Credentials) -> Result<UserView, AppError> {
        check_username(&creds.username)?;
        check_password(&creds.password)?;
        if !self.inner.signup_open && self.inner.store.user_count().await? > 0 {
            return Err(AppError::Forbidden("Signup is closed".into()));
        }
        let hash = hash_password(creds.password.clone()).await.map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })?;
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

    /// Checks credentials; repeated failures for a username are slowed down.
    pub async fn login(&self, creds: &Credentials) -> Result<CurrentUser, AppError> {
        // The attempt counts before the password is checked, so that a burst of
        // simultaneous tries gets no more checks than the limit.
        if let Err(wait) = self
            .inner
            .limiter
            .begin_attempt(&creds.username, Instant::now())
        {
            return Err(AppError::TooManyRequests(format!(
                "Too many failed logins for this username; try again in {} s",
                wait.as_secs().max(1)
            )));
        }
        let user = if creds.username.len() <= 64 {
            self.inner.store.user_by_name(&creds.username).await?
        } else {
            None
        };
        let ok = verify_password(
            creds.password.clone(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await;
        match user {
            Some(user) if ok => {
                self.inner.limiter.record_success(&creds.username);
                Ok(CurrentUser {
                    id: user.id,
                    username: user.username,
                })
            }
            // The failure was counted by `begin_attempt`.
            _ => Err(AppError::Unauthorized(INVALID_LOGIN.into())),
        }
    }
}
