//! Time source for Wait, Retry back-off, timeouts and timestamps; injectable so timing is
//! testable without sleeping ([`FakeClock`] advances instantly and records each sleep).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Duration;

#[async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    async fn sleep(&self, d: Duration);
}

/// The real clock (tokio timers).
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            tokio::time::sleep(d).await
        }
    }
}

/// A clock that never waits: `sleep` moves its time forward and remembers the duration.
pub struct FakeClock {
    inner: Mutex<(DateTime<Utc>, Vec<Duration>)>,
}

impl FakeClock {
    pub fn new(start: DateTime<Utc>) -> FakeClock {
        FakeClock {
            inner: Mutex::new((start, Vec::new())),
        }
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.inner.lock().map(|g| g.1.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.inner
            .lock()
            .map(|g| g.0)
            .unwrap_or_else(|_| Utc::now())
    }
    async fn sleep(&self, d: Duration) {
        if let Ok(mut g) = self.inner.lock() {
            g.0 += chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
            g.1.push(d);
        }
        tokio::task::yield_now().await;
    }
}

/// AWS's timestamp text (RFC 3339, milliseconds, `Z`).
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Seconds → Duration without panicking on negative, NaN or huge values (capped at ~100 years).
pub fn secs(s: f64) -> Duration {
    if s.is_nan() || s <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(s.min(3.2e9))
}

/// A UTC instant.
pub type Timestamp = DateTime<Utc>;

/// 2024-01-01T00:00:00Z, a fixed start for fake clocks.
pub fn epoch() -> Timestamp {
    DateTime::from_timestamp(1_704_067_200, 0).unwrap_or_default()
}
