//! In-memory ports for the unit tests of the handlers (the real adapters are tested in
//! their own crates and end to end).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::ports::*;
use crate::reel::{Completion, Reel, Status};
use crate::settings::Settings;
use crate::tasks::Pipeline;

#[derive(Default)]
pub struct MemBlobs(pub Mutex<BTreeMap<String, Bytes>>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl BlobStore for MemBlobs {
    async fn put(&self, key: &str, body: Bytes, _ct: &str) -> Result<(), StoreError> {
        lock(&self.0).insert(key.into(), body);
        Ok(())
    }
    async fn put_stream(
        &self,
        key: &str,
        mut body: BlobStream<'_>,
        _ct: &str,
        max: u64,
    ) -> Result<u64, StoreError> {
        let mut all = BytesMut::new();
        while let Some(c) = body.next().await {
            all.extend_from_slice(&c.map_err(|e| StoreError::Unavailable(e.to_string()))?);
            if all.len() as u64 > max {
                return Err(StoreError::TooLarge { limit: max });
            }
        }
        let n = all.len() as u64;
        lock(&self.0).insert(key.into(), all.freeze());
        Ok(n)
    }
    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        lock(&self.0)
            .get(key)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(key.into()))
    }
    async fn get_head(&self, key: &str, len: usize) -> Result<Bytes, StoreError> {
        let b = self.get(key).await?;
        Ok(b.slice(..len.min(b.len())))
    }
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(lock(&self.0).get(key).map(|b| b.len() as u64))
    }
    async fn copy(&self, from: &str, to: &str, _ct: &str) -> Result<(), StoreError> {
        let body = self.get(from).await?;
        lock(&self.0).insert(to.into(), body);
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.0).remove(key);
        Ok(())
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(lock(&self.0)
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

#[derive(Default)]
pub struct MemRecords(pub Mutex<BTreeMap<String, Reel>>);

#[async_trait]
impl RecordStore for MemRecords {
    async fn create(&self, reel: &Reel) -> Result<(), StoreError> {
        let mut m = lock(&self.0);
        if m.contains_key(&reel.id) {
            return Err(StoreError::AlreadyExists(reel.id.clone()));
        }
        m.insert(reel.id.clone(), reel.clone());
        Ok(())
    }
    async fn get(&self, id: &str) -> Result<Option<Reel>, StoreError> {
        Ok(lock(&self.0).get(id).cloned())
    }
    async fn list(&self, q: &ListQuery) -> Result<Vec<Reel>, StoreError> {
        let mut all: Vec<Reel> = lock(&self.0)
            .values()
            .filter(|r| q.status.is_none_or(|s| r.status == s))
            .filter(|r| q.visibility.is_none_or(|v| r.visibility == v))
            .filter(|r| q.before.as_ref().is_none_or(|b| r.created_at < *b))
            .filter(|r| {
                q.cursor
                    .as_ref()
                    .is_none_or(|c| c.admits(&r.created_at, &r.id))
            })
            .cloned()
            .collect();
        all.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
        let limit = if q.limit == 0 { all.len() } else { q.limit };
        let newer = q
            .cursor
            .as_ref()
            .is_some_and(|c| c.direction == crate::cursor::Direction::Newer);
        if newer {
            // the records just newer than the cursor: the end of the newest-first list
            let skip = all.len().saturating_sub(limit);
            all.drain(..skip);
        } else {
            all.truncate(limit);
        }
        Ok(all)
    }
    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.0).remove(id).is_some())
    }
    async fn set_execution_arn(&self, id: &str, arn: &str) -> Result<(), StoreError> {
        if let Some(r) = lock(&self.0).get_mut(id) {
            r.execution_arn = Some(arn.into());
        }
        Ok(())
    }
    async fn complete(&self, id: &str, c: &Completion) -> Result<Transition, StoreError> {
        let mut m = lock(&self.0);
        let r = m
            .get_mut(id)
            .ok_or_else(|| StoreError::NotFound(id.into()))?;
        let now = r.updated_at.clone();
        Ok(c.apply(r, &now))
    }
    async fn reopen(&self, id: &str) -> Result<Transition, StoreError> {
        let mut m = lock(&self.0);
        let r = m
            .get_mut(id)
            .ok_or_else(|| StoreError::NotFound(id.into()))?;
        if r.status != Status::Failed {
            return Ok(Transition::Unchanged(r.status));
        }
        r.status = Status::Processing;
        r.error = None;
        r.cause = None;
        Ok(Transition::Applied)
    }
    async fn review(
        &self,
        id: &str,
        review: &crate::moderation::Review,
    ) -> Result<Transition, StoreError> {
        let mut m = lock(&self.0);
        let r = m
            .get_mut(id)
            .ok_or_else(|| StoreError::NotFound(id.into()))?;
        Ok(review.apply(r, "2026-01-02T00:00:00.000Z"))
    }
}

/// Records every start; a second start of a name is `already_started`.
#[derive(Default)]
pub struct MemWorkflow(pub Mutex<Vec<crate::reel::ExecutionInput>>);

#[async_trait]
impl WorkflowStarter for MemWorkflow {
    async fn start(&self, input: &crate::reel::ExecutionInput) -> Result<Started, StoreError> {
        let mut started = lock(&self.0);
        let already_started = started.iter().any(|s| s.id == input.id);
        if !already_started {
            started.push(input.clone());
        }
        Ok(Started {
            execution_arn: format!("arn:test:execution:{}", input.id),
            already_started,
        })
    }
}

pub fn pipeline() -> (Pipeline, Arc<MemBlobs>, Arc<MemRecords>) {
    let blobs = Arc::new(MemBlobs::default());
    let records = Arc::new(MemRecords::default());
    (
        Pipeline::new(blobs.clone(), records.clone(), Settings::default()),
        blobs,
        records,
    )
}

pub fn processing_reel(id: &str) -> Reel {
    Reel {
        id: id.into(),
        name: "n".into(),
        caption: "c".into(),
        status: Status::Processing,
        visibility: Default::default(),
        moderation_token: None,
        media_type: None,
        size: 3,
        original_filename: "a.jpg".into(),
        declared_type: None,
        delete_token_hash: None,
        raw_key: format!("raw/{id}/original.jpg"),
        thumbnails: vec![],
        metadata: None,
        video: None,
        error: None,
        cause: None,
        execution_arn: None,
        created_at: "2026-01-01T00:00:00.000Z".into(),
        updated_at: "2026-01-01T00:00:00.000Z".into(),
    }
}
