//! Rate-limit counters kept in the metadata store, so every instance sees the
//! same counts: one row per counted event in a named bucket.

use super::{Store, StoreError, now_ms};

/// A bucket and the most events it may hold within the window.
#[derive(Debug, Clone)]
pub struct Limit {
    pub bucket: String,
    pub max: i64,
}

impl Store {
    /// Counts one event in each bucket, then checks them: `Ok(ids)` (the rows
    /// written, for [`Store::throttle_forget`]) when every bucket holds at most
    /// its `max` events of the last `window_ms`, otherwise the rows are removed
    /// again and `Err(wait_ms)` says when the fullest bucket frees a place.
    ///
    /// The events are written before they are counted, and each write commits on
    /// its own: simultaneous attempts see each other, so no burst gets past the limit.
    pub async fn throttle_hit(
        &self,
        limits: &[Limit],
        window_ms: i64,
    ) -> Result<Result<Vec<i64>, i64>, StoreError> {
        let now = now_ms();
        let mut ids = Vec::with_capacity(limits.len());
        for limit in limits {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO throttle_events (bucket, at) VALUES ($1, $2) RETURNING id",
            )
            .bind(&limit.bucket)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
            ids.push(id);
        }
        let mut wait: Option<i64> = None;
        for limit in limits {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(at) FROM throttle_events WHERE bucket = $1 AND at > $2",
            )
            .bind(&limit.bucket)
            .bind(now - window_ms)
            .fetch_one(&self.pool)
            .await?;
            if count > limit.max {
                let frees_at = oldest.unwrap_or(now) + window_ms;
                wait = Some(wait.unwrap_or(0).max(frees_at - now));
            }
        }
        match wait {
            None => Ok(Ok(ids)),
            Some(wait) => {
                self.throttle_forget(&ids).await?;
                Ok(Err(wait.max(1)))
            }
        }
    }

    /// Removes counted events (an attempt that turned out not to count).
    pub async fn throttle_forget(&self, ids: &[i64]) -> Result<(), StoreError> {
        for id in ids {
            sqlx::query("DELETE FROM throttle_events WHERE id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Empties a bucket (the right password clears the failures of its name and client).
    pub async fn throttle_clear(&self, bucket: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM throttle_events WHERE bucket = $1")
            .bind(bucket)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes events older than `before_ms` (the periodic clean-up).
    pub async fn prune_throttle(&self, before_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM throttle_events WHERE at < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// A store-wide setting.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets a setting unless it is set; returns the value now stored.
    pub async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(self.setting(name).await?.unwrap_or_default())
    }
}
