//! Fault injection, for tests only: wrappers around a blob store and a record store that
//! fail chosen calls with `StorageUnavailable` and add latency, following a [`FaultPlan`].
//! Nothing wires them in unless a test (or `serve`'s hidden, test-only `--fault-plan`)
//! asks for them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use pipeline::{
    BlobStore, BlobStream, Completion, ListQuery, RecordStore, Reel, StoreError, Transition,
};
use serde::{Deserialize, Serialize};

/// Which calls fail and how slow every call is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPlan {
    /// The calls (1-based, counted over the store's every call) that fail.
    #[serde(default)]
    pub fail_calls: Vec<u64>,
    /// The share of calls that fail, in percent (0 to 100), drawn from `seed`.
    #[serde(default)]
    pub fail_percent: f64,
    /// Latency added before every call, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Seed of the draws for `fail_percent`.
    #[serde(default)]
    pub seed: u64,
}

/// The plans of both stores, and whether decoders panic (the shape of `--fault-plan`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreFaults {
    #[serde(default)]
    pub blobs: FaultPlan,
    #[serde(default)]
    pub records: FaultPlan,
    /// Every decode panics (to show what a decoder bug does).
    #[serde(default)]
    pub decoder_panic: bool,
}

/// A plan being applied: counts calls, draws failures, can be switched off.
#[derive(Debug)]
pub struct Faults {
    plan: FaultPlan,
    calls: AtomicU64,
    injected: AtomicU64,
    rng: Mutex<u64>,
    on: AtomicBool,
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Arc<Self> {
        let seed = plan.seed ^ 0x9E37_79B9_7F4A_7C15;
        Arc::new(Faults {
            plan,
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            rng: Mutex::new(seed.max(1)),
            on: AtomicBool::new(true),
        })
    }

    /// Stop injecting (the stores then behave as the wrapped ones).
    pub fn switch_off(&self) {
        self.on.store(false, Ordering::SeqCst);
    }

    /// How many calls were failed so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// xorshift64*: reproducible draws from the seed.
    fn draw(&self) -> f64 {
        let mut s = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let mut x = *s;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *s = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Called before each store call: waits the latency, then fails it or lets it run.
    async fn before(&self, op: &'static str) -> Result<(), StoreError> {
        if !self.on.load(Ordering::SeqCst) {
            return Ok(());
        }
        if self.plan.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.plan.latency_ms)).await;
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let fail = self.plan.fail_calls.contains(&n)
            || (self.plan.fail_percent > 0.0 && self.draw() * 100.0 < self.plan.fail_percent);
        if fail {
            self.injected.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Unavailable(format!(
                "injected fault: call {n} ({op})"
            )));
        }
        Ok(())
    }
}

/// A blob store that fails as its plan says.
pub struct FaultyBlobs {
    pub inner: Arc<dyn BlobStore>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl BlobStore for FaultyBlobs {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.faults.before("put").await?;
        self.inner.put(key, body, content_type).await
    }
    async fn put_stream(
        &self,
        key: &str,
        body: BlobStream<'_>,
        content_type: &str,
        max_bytes: u64,
    ) -> Result<u64, StoreError> {
        self.faults.before("put_stream").await?;
        self.inner
            .put_stream(key, body, content_type, max_bytes)
            .await
    }
    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        self.faults.before("get").await?;
        self.inner.get(key).await
    }
    async fn local_file(&self, key: &str) -> Result<pipeline::blob_files::LocalFile, StoreError> {
        self.faults.before("local_file").await?;
        self.inner.local_file(key).await
    }
    async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<u64, StoreError> {
        self.faults.before("put_file").await?;
        self.inner.put_file(key, path, content_type).await
    }
    async fn get_head(&self, key: &str, len: usize) -> Result<Bytes, StoreError> {
        self.faults.before("get_head").await?;
        self.inner.get_head(key, len).await
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        self.faults.before("size").await?;
        self.inner.size(key).await
    }
    async fn head(&self, key: &str) -> Result<Option<pipeline::ports::ObjectInfo>, StoreError> {
        self.faults.before("head").await?;
        self.inner.head(key).await
    }
    async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> Result<BlobStream<'static>, StoreError> {
        self.faults.before("get_range").await?;
        self.inner.get_range(key, start, len).await
    }
    async fn copy(&self, from: &str, to: &str, content_type: &str) -> Result<(), StoreError> {
        self.faults.before("copy").await?;
        self.inner.copy(from, to, content_type).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.faults.before("delete").await?;
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.faults.before("list").await?;
        self.inner.list(prefix).await
    }
    async fn sweep_partial_writes(&self, older_than: Duration) -> Result<usize, StoreError> {
        self.faults.before("sweep").await?;
        self.inner.sweep_partial_writes(older_than).await
    }
}

/// A record store that fails as its plan says.
pub struct FaultyRecords {
    pub inner: Arc<dyn RecordStore>,
    pub faults: Arc<Faults>,
}

#[async_trait]
impl RecordStore for FaultyRecords {
    async fn create(&self, reel: &Reel) -> Result<(), StoreError> {
        self.faults.before("create").await?;
        self.inner.create(reel).await
    }
    async fn get(&self, id: &str) -> Result<Option<Reel>, StoreError> {
        self.faults.before("get").await?;
        self.inner.get(id).await
    }
    async fn list(&self, query: &ListQuery) -> Result<Vec<Reel>, StoreError> {
        self.faults.before("list").await?;
        self.inner.list(query).await
    }
    async fn set_execution_arn(&self, id: &str, arn: &str) -> Result<(), StoreError> {
        self.faults.before("set_execution_arn").await?;
        self.inner.set_execution_arn(id, arn).await
    }
    async fn complete(&self, id: &str, completion: &Completion) -> Result<Transition, StoreError> {
        self.faults.before("complete").await?;
        self.inner.complete(id, completion).await
    }
    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.faults.before("delete").await?;
        self.inner.delete(id).await
    }
    async fn reopen(&self, id: &str) -> Result<Transition, StoreError> {
        self.faults.before("reopen").await?;
        self.inner.reopen(id).await
    }
    async fn refresh(
        &self,
        id: &str,
        thumbnails: &[pipeline::ThumbnailRef],
        metadata: Option<&serde_json::Value>,
        video: Option<&pipeline::VideoRef>,
    ) -> Result<Transition, StoreError> {
        self.faults.before("refresh").await?;
        self.inner.refresh(id, thumbnails, metadata, video).await
    }
    async fn review(&self, id: &str, review: &pipeline::Review) -> Result<Transition, StoreError> {
        self.faults.before("review").await?;
        self.inner.review(id, review).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Arc<dyn BlobStore>) {
        let dir = tempfile::tempdir().unwrap();
        let s: Arc<dyn BlobStore> = Arc::new(crate::FsBlobStore::new(dir.path()).unwrap());
        (dir, s)
    }

    #[tokio::test]
    async fn the_nth_call_fails_and_the_switch_turns_it_off() {
        let (_d, inner) = store();
        let faults = Faults::new(FaultPlan {
            fail_calls: vec![2],
            ..Default::default()
        });
        let s = FaultyBlobs {
            inner,
            faults: faults.clone(),
        };
        s.put("a/b/c", Bytes::from_static(b"1"), "x").await.unwrap();
        let e = s.get("a/b/c").await.unwrap_err();
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        assert_eq!(s.get("a/b/c").await.unwrap(), Bytes::from_static(b"1"));
        assert_eq!(faults.injected(), 1);
        faults.switch_off();
        assert!(s.get("a/b/c").await.is_ok());
    }

    #[tokio::test]
    async fn a_share_of_calls_fails_reproducibly() {
        let count = |seed| async move {
            let (_d, inner) = store();
            let faults = Faults::new(FaultPlan {
                fail_percent: 30.0,
                seed,
                ..Default::default()
            });
            let s = FaultyBlobs {
                inner,
                faults: faults.clone(),
            };
            let mut failed = 0;
            for _ in 0..1000 {
                if s.size("x/y/z").await.is_err() {
                    failed += 1;
                }
            }
            failed
        };
        let a = count(7).await;
        assert_eq!(a, count(7).await, "the same seed fails the same calls");
        assert!((220..380).contains(&a), "{a} of 1000 failed for 30 %");
        let plan: StoreFaults = serde_json::from_str(
            r#"{"blobs":{"failPercent":5,"latencyMs":1},"records":{"failCalls":[3]}}"#,
        )
        .unwrap();
        assert_eq!(plan.records.fail_calls, vec![3]);
    }
}
