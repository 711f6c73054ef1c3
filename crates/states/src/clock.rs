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

/// Real time, sped up: every sleep lasts `1/factor` of what was asked. For tests that run
/// real work through Retry back-off and timeouts without waiting for them in full.
pub struct ScaledClock {
    pub factor: u32,
}

#[async_trait]
impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, d: Duration) {
        let d = d / self.factor.max(1);
        if !d.is_zero() {
            tokio::time::sleep(d).await
        }
    }
}

/// A clock in virtual time: `sleep` never waits for real; concurrent sleeps finish in
/// deadline order (the earliest pending deadline moves time forward). Every requested
/// duration is remembered, so Retry/Wait/timeout timing is testable.
pub struct FakeClock {
    inner: Mutex<FakeState>,
}

struct FakeState {
    now: DateTime<Utc>,
    sleeps: Vec<Duration>,
    /// deadlines of the sleeps in progress, by ticket
    pending: Vec<(u64, DateTime<Utc>)>,
    next_ticket: u64,
}

impl FakeClock {
    pub fn new(start: DateTime<Utc>) -> FakeClock {
        FakeClock {
            inner: Mutex::new(FakeState {
                now: start,
                sleeps: Vec::new(),
                pending: Vec::new(),
                next_ticket: 0,
            }),
        }
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.inner
            .lock()
            .map(|g| g.sleeps.clone())
            .unwrap_or_default()
    }
}

/// Removes a sleep's deadline when it ends or is cancelled (a lost `select!` branch).
struct Ticket<'a> {
    clock: &'a FakeClock,
    id: u64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if let Ok(mut g) = self.clock.inner.lock() {
            g.pending.retain(|(t, _)| *t != self.id);
        }
    }
}

#[async_trait]
impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.inner
            .lock()
            .map(|g| g.now)
            .unwrap_or_else(|_| Utc::now())
    }

    async fn sleep(&self, d: Duration) {
        let Some((id, deadline)) = self.register(d) else {
            return;
        };
        let _ticket = Ticket { clock: self, id };
        loop {
            tokio::task::yield_now().await;
            if self.try_wake(deadline) {
                return;
            }
        }
    }
}

impl FakeClock {
    fn register(&self, d: Duration) -> Option<(u64, DateTime<Utc>)> {
        let mut g = self.inner.lock().ok()?;
        let deadline = g.now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
        let id = g.next_ticket;
        g.next_ticket += 1;
        g.pending.push((id, deadline));
        g.sleeps.push(d);
        Some((id, deadline))
    }

    /// Whether a sleep until `deadline` is over (moving time forward when it is the earliest).
    fn try_wake(&self, deadline: DateTime<Utc>) -> bool {
        let Ok(mut g) = self.inner.lock() else {
            return true;
        };
        if g.now >= deadline {
            return true;
        }
        let earliest = g.pending.iter().map(|(_, t)| *t).min();
        if earliest.is_none_or(|t| t >= deadline) {
            g.now = deadline;
            return true;
        }
        false
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
