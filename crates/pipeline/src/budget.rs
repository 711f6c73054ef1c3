//! The decode budget: how many decodes and transcodes run at once in this process, and the
//! deadline each one runs under.
//!
//! Each decode may use up to `Limits::max_alloc` bytes, so the number of slots is the
//! configured decode memory divided by that (at least one, at most the cores). A task
//! takes a slot *before* it reads the raw file into memory and keeps it until the decoder
//! thread has ended (even past the deadline), so peak memory follows the configuration,
//! not the number of uploads: executions queue here while uploads are still accepted.
//!
//! A decoder that panics is an `InternalError` (not the file's fault, not retried); one
//! that outlives its deadline is a `ProcessingTimeout` (the machine's trouble, not retried). Neither is a rejection, so
//! the raw file stays.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Semaphore;

use crate::error::{ErrorName, TaskError};
use crate::ports::StoreError;

/// Tasks admitted per decode slot (see [`DecodeBudget::admit`]).
pub const ADMISSIONS_PER_SLOT: usize = 2;

/// Slots for concurrent decodes and the deadline of each.
#[derive(Debug)]
pub struct DecodeBudget {
    slots: Arc<Semaphore>,
    /// room for the tasks that decode, taken by a runner before a task starts (see
    /// [`Self::admit`])
    admissions: Arc<Semaphore>,
    total: usize,
    deadline: Duration,
    waiting: AtomicUsize,
    /// Test-only fault: every decode panics.
    panic_injected: std::sync::atomic::AtomicBool,
}

impl DecodeBudget {
    /// `memory_bytes / per_decode_bytes` slots, at least one and at most `cores`.
    pub fn new(memory_bytes: u64, per_decode_bytes: u64, cores: usize, deadline: Duration) -> Self {
        let by_memory = memory_bytes / per_decode_bytes.max(1);
        let total = usize::try_from(by_memory)
            .unwrap_or(usize::MAX)
            .min(cores.max(1))
            .max(1);
        DecodeBudget {
            slots: Arc::new(Semaphore::new(total)),
            admissions: Arc::new(Semaphore::new(total.saturating_mul(ADMISSIONS_PER_SLOT))),
            total,
            deadline,
            waiting: AtomicUsize::new(0),
            panic_injected: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Sized from the settings and this machine's cores.
    pub fn from_settings(settings: &crate::Settings) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        DecodeBudget::new(
            settings.decode_memory_bytes,
            settings.limits.max_alloc,
            cores,
            Duration::from_millis(settings.decode_timeout_ms),
        )
    }

    /// How many decodes may run at once.
    pub fn slots(&self) -> usize {
        self.total
    }

    /// Room for one decoding task, held until it ends: a runner takes it before the task
    /// starts, so tasks queue *before* their clocks run (the local interpreter waits here
    /// between `TaskScheduled` and `TaskStarted`; `TimeoutSeconds` counts from the start).
    /// [`ADMISSIONS_PER_SLOT`] per slot: a remux or a probe (admitted, but taking no slot)
    /// runs beside the decodes, and an admitted task waits for a slot behind at most the
    /// decodes already admitted, never behind the whole queue. `None` when the budget is
    /// closed.
    pub async fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.admissions.clone().acquire_owned().await.ok()
    }

    /// How many tasks wait for a slot right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Fault injection for tests: make every decode panic, as a decoder bug would.
    #[doc(hidden)]
    pub fn inject_panics(&self, on: bool) {
        self.panic_injected.store(on, Ordering::SeqCst);
    }

    /// Take a slot, load the input (`load`, typically the raw file), then run `decode` on a
    /// blocking thread under the deadline.
    pub async fn run<T, L, F>(&self, what: &'static str, load: L, decode: F) -> Result<T, TaskError>
    where
        T: Send + 'static,
        L: Future<Output = Result<Bytes, StoreError>>,
        F: FnOnce(Bytes) -> Result<T, media::MediaError> + Send + 'static,
    {
        let permit = self.take_slot().await?;
        let data = load.await?;
        self.finish(what, self.deadline, Some(permit), move || decode(data))
            .await
    }

    /// Run `work` (which reads and writes files, not bytes held here) on a blocking thread
    /// under `deadline`. With `slot` it first takes a decode slot, as a re-encode must; a
    /// remux or a probe, which hold little memory, run beside the decodes without one.
    pub async fn run_files<T, F>(
        &self,
        what: &'static str,
        deadline: Duration,
        slot: bool,
        work: F,
    ) -> Result<T, TaskError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, media::MediaError> + Send + 'static,
    {
        let permit = if slot {
            Some(self.take_slot().await?)
        } else {
            None
        };
        self.finish(what, deadline, permit, work).await
    }

    async fn take_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, TaskError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.slots.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        permit.map_err(|_| TaskError::new(ErrorName::InternalError, "the decode budget was closed"))
    }

    /// Run `work` on a blocking thread holding `permit` until it ends (even past the
    /// deadline), and name what went wrong: a panic, the deadline, the work's own error.
    async fn finish<T, F>(
        &self,
        what: &'static str,
        deadline: Duration,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
        work: F,
    ) -> Result<T, TaskError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, media::MediaError> + Send + 'static,
    {
        let panic_injected = self.panic_injected.load(Ordering::SeqCst);
        let handle = tokio::task::spawn_blocking(move || {
            // the slot is given back when the decoder ends, not when we stop waiting for it
            let _slot = permit;
            if panic_injected {
                panic!("injected decoder panic");
            }
            work()
        });
        match tokio::time::timeout(deadline, handle).await {
            Err(_) => Err(TaskError::new(
                ErrorName::ProcessingTimeout,
                format!("{what} ran longer than {deadline:?}"),
            )),
            Ok(Err(join)) => {
                let detail = if join.is_panic() {
                    let payload = join.into_panic();
                    payload
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_owned())
                } else {
                    "cancelled".to_owned()
                };
                tracing::error!(what, %detail, "decoder panicked");
                Err(TaskError::new(
                    ErrorName::InternalError,
                    format!("{what} failed inside the decoder: {detail}"),
                ))
            }
            Ok(Ok(result)) => result.map_err(TaskError::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ok_load() -> Result<Bytes, StoreError> {
        Ok(Bytes::from_static(b"x"))
    }

    #[tokio::test]
    async fn two_tasks_are_admitted_per_slot_and_the_next_waits() {
        use futures_util::FutureExt;
        let mib = 1024 * 1024;
        let b = DecodeBudget::new(1024 * mib, 512 * mib, 8, Duration::ZERO);
        assert_eq!(b.slots(), 2);
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(b.admit().now_or_never().flatten().expect("room"));
        }
        assert!(b.admit().now_or_never().is_none(), "a fifth task waits");
        held.pop();
        assert!(
            b.admit().now_or_never().flatten().is_some(),
            "room again once one ends"
        );
    }

    #[test]
    fn slots_follow_memory_and_cores() {
        let mib = 1024 * 1024;
        assert_eq!(
            DecodeBudget::new(1024 * mib, 512 * mib, 8, Duration::ZERO).slots(),
            2
        );
        assert_eq!(
            DecodeBudget::new(4096 * mib, 512 * mib, 2, Duration::ZERO).slots(),
            2
        );
        assert_eq!(
            DecodeBudget::new(100 * mib, 512 * mib, 8, Duration::ZERO).slots(),
            1
        );
    }

    #[tokio::test]
    async fn a_panic_is_an_internal_error() {
        let b = DecodeBudget::new(1, 1, 1, Duration::from_secs(5));
        let e = b
            .run(
                "thumbnails",
                ok_load(),
                |_| -> Result<(), media::MediaError> { panic!("boom in the decoder") },
            )
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::InternalError);
        assert!(e.message.contains("boom in the decoder"), "{}", e.message);
        // the slot came back
        let ok = b.run("again", ok_load(), |d| Ok(d.len())).await.unwrap();
        assert_eq!(ok, 1);
    }

    #[tokio::test]
    async fn the_deadline_is_a_processing_timeout_and_keeps_the_slot_until_the_end() {
        let b = Arc::new(DecodeBudget::new(1, 1, 1, Duration::from_millis(50)));
        let e = b
            .run("slow", ok_load(), |_| {
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(e.name, ErrorName::ProcessingTimeout);
        assert!(!e.name.is_rejection());
        // the slow decoder still holds the only slot
        assert_eq!(b.slots.available_permits(), 0);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(b.slots.available_permits(), 1);
    }

    #[tokio::test]
    async fn decodes_queue_behind_the_slots() {
        let b = Arc::new(DecodeBudget::new(2, 1, 2, Duration::from_secs(5)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (b, running, peak) = (b.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                b.run("d", ok_load(), move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
