use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Slows down repeated failed logins: at most `max` failures per username in a
/// sliding `window`; past that, logins for that name are refused until the
/// oldest failure leaves the window.
pub struct LoginLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::new(10, Duration::from_secs(60))
    }
}

impl LoginLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        LoginLimiter {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(wait)` when this username must wait before trying again.
    pub fn check(&self, username: &str, now: Instant) -> Option<Duration> {
        let mut map = self.failures.lock().expect("limiter lock");
        let entry = map.get_mut(&username.to_lowercase())?;
        while entry
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            entry.pop_front();
        }
        if entry.len() >= self.max {
            entry
                .front()
                .map(|oldest| self.window.saturating_sub(now.duration_since(*oldest)))
        } else {
            None
        }
    }

    /// Checks and counts one attempt in one step: `Err(wait)` when this username
    /// must wait, otherwise the attempt is counted as a failure right away (so that
    /// simultaneous attempts cannot all pass the check before any of them fails);
    /// [`LoginLimiter::record_success`] clears the count when the password matches.
    pub fn begin_attempt(&self, username: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().expect("limiter lock");
        if map.len() > 100_000 {
            map.retain(|_, v| {
                v.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let entry = map.entry(username.to_lowercase()).or_default();
        while entry
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            entry.pop_front();
        }
        if entry.len() >= self.max {
            let wait = entry
                .front()
                .map(|oldest| self.window.saturating_sub(now.duration_since(*oldest)))
                .unwrap_or(self.window);
            return Err(wait);
        }
        entry.push_back(now);
        Ok(())
    }

    pub fn record_failure(&self, username: &str, now: Instant) {
        let mut map = self.failures.lock().expect("limiter lock");
        if map.len() > 100_000 {
            map.retain(|_, v| {
                v.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        map.entry(username.to_lowercase())
            .or_default()
            .push_back(now);
    }

    pub fn record_success(&self, username: &str) {
        self.failures
            .lock()
            .expect("limiter lock")
            .remove(&username.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_a_minute_then_wait() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            assert_eq!(limiter.check("alice", t0 + Duration::from_secs(i)), None);
            limiter.record_failure("alice", t0 + Duration::from_secs(i));
        }
        let wait = limiter
            .check("Alice", t0 + Duration::from_secs(10))
            .expect("blocked");
        assert_eq!(wait, Duration::from_secs(50));
        assert_eq!(limiter.check("bob", t0), None);
        assert_eq!(limiter.check("alice", t0 + Duration::from_secs(61)), None);
        limiter.record_success("alice");
        assert_eq!(limiter.check("alice", t0 + Duration::from_secs(10)), None);
    }

    #[test]
    fn attempts_are_counted_before_they_end() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(limiter.begin_attempt("bob", t0), Ok(()));
        }
        assert_eq!(
            limiter.begin_attempt("BOB", t0 + Duration::from_secs(1)),
            Err(Duration::from_secs(59))
        );
        assert!(
            limiter
                .begin_attempt("bob", t0 + Duration::from_secs(60))
                .is_ok()
        );
        limiter.record_success("bob");
        assert_eq!(limiter.begin_attempt("bob", t0), Ok(()));
    }
}
