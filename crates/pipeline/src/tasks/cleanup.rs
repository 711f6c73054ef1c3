//! Cleanup: after a caught failure, mark the record FAILED with error and cause, delete
//! every derived object (thumbnails, the video rendition), and delete the raw file only for a rejection (a transient
//! failure keeps the upload to reprocess). Run twice, it changes nothing.

use super::{check_raw_key, CleanupInput, CleanupOutput, Pipeline};
use crate::error::{ErrorName, TaskError};
use crate::keys::{renditions_prefix, thumbnail_prefix};
use crate::ports::Transition;
use crate::reel::{Completion, Status};

impl Pipeline {
    pub async fn cleanup(&self, input: CleanupInput) -> Result<CleanupOutput, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        if input.error.error == crate::moderation::REJECTED {
            return self.cleanup_rejected(input).await;
        }
        if let Some(reel) = self.records.get(&input.id).await? {
            if reel.status == Status::Ready {
                // READY names its objects: deleting them would break the record.
                tracing::warn!(id = %input.id, "cleanup of a READY record: nothing done");
                return Ok(CleanupOutput {
                    id: input.id,
                    status: Some(Status::Ready),
                    deleted: vec![],
                    raw_deleted: false,
                    changed: false,
                });
            }
        }
        let cause = readable_cause(&input.error.cause);
        // FAILED first: a thumbnail task still running sees it and withdraws its output.
        let transition = match self
            .records
            .complete(
                &input.id,
                &Completion::Failed {
                    error: input.error.error.clone(),
                    cause,
                },
            )
            .await
        {
            Ok(t) => Some(t),
            // No record (the upload never wrote one): still sweep the objects.
            Err(crate::ports::StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };

        if transition == Some(Transition::Applied) {
            crate::metrics::global()
                .failed(&input.error.error, crate::metrics::since_upload(&input.id));
        }
        let mut deleted = Vec::new();
        for prefix in [thumbnail_prefix(&input.id), renditions_prefix(&input.id)] {
            for key in self.blobs.list(&prefix).await? {
                self.blobs.delete(&key).await?;
                deleted.push(key);
            }
        }
        let rejection = ErrorName::parse(&input.error.error).is_some_and(ErrorName::is_rejection);
        let mut raw_deleted = false;
        if rejection && self.blobs.size(&input.raw_key).await?.is_some() {
            self.blobs.delete(&input.raw_key).await?;
            raw_deleted = true;
        }
        tracing::info!(id = %input.id, error = %input.error.error, deleted = deleted.len(), raw_deleted, record = transition.is_some(), "cleaned up");
        Ok(CleanupOutput {
            id: input.id,
            status: transition.as_ref().map(|_| Status::Failed),
            changed: transition == Some(Transition::Applied) || !deleted.is_empty() || raw_deleted,
            deleted,
            raw_deleted,
        })
    }
}

/// Step Functions hands a Lambda error's cause as the JSON of `{errorMessage, errorType, ...}`;
/// the record keeps the message a person can read.
impl Pipeline {
    /// A moderator's rejection (or the timeout policy `reject`) of a READY reel still
    /// `pending`: the record ends REJECTED first (naming no object), then the raw file and
    /// every derived object go. A reel that is public already is left alone.
    async fn cleanup_rejected(&self, input: CleanupInput) -> Result<CleanupOutput, TaskError> {
        let reason = readable_cause(&input.error.cause);
        let transition =
            crate::moderation::reject_record(self.records.as_ref(), &input.id, &reason).await?;
        let status = match &transition {
            Some(Transition::Applied) => Some(Status::Rejected),
            Some(Transition::Unchanged(s)) => Some(*s),
            None => None,
        };
        if !matches!(status, None | Some(Status::Rejected)) {
            tracing::warn!(id = %input.id, status = ?status, "rejection of a reel not awaiting review: nothing done");
            return Ok(CleanupOutput {
                id: input.id,
                status,
                deleted: vec![],
                raw_deleted: false,
                changed: false,
            });
        }
        let mut deleted = Vec::new();
        for prefix in [thumbnail_prefix(&input.id), renditions_prefix(&input.id)] {
            for key in self.blobs.list(&prefix).await? {
                self.blobs.delete(&key).await?;
                deleted.push(key);
            }
        }
        let mut raw_deleted = false;
        if self.blobs.size(&input.raw_key).await?.is_some() {
            self.blobs.delete(&input.raw_key).await?;
            raw_deleted = true;
        }
        if transition == Some(Transition::Applied) {
            // counted by name; the wait for a moderator is no processing time
            crate::metrics::global().failed(crate::moderation::REJECTED, None);
        }
        tracing::info!(id = %input.id, deleted = deleted.len(), raw_deleted, "rejected by moderation, cleaned up");
        Ok(CleanupOutput {
            id: input.id,
            status,
            changed: transition == Some(Transition::Applied) || !deleted.is_empty() || raw_deleted,
            deleted,
            raw_deleted,
        })
    }
}

fn readable_cause(cause: &str) -> String {
    serde_json::from_str::<serde_json::Value>(cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| cause.to_owned())
}

#[cfg(test)]
mod tests {
    use super::readable_cause;

    #[test]
    fn lambda_causes_become_their_message() {
        assert_eq!(
            readable_cause(r#"{"errorMessage":"not an image","errorType":"UnsupportedMediaType"}"#),
            "not an image"
        );
        assert_eq!(readable_cause("plain words"), "plain words");
    }
}

#[cfg(test)]
mod handler_tests {
    use crate::ports::{BlobStore, RecordStore};
    use crate::tasks::testkit::{pipeline, processing_reel};
    use crate::tasks::{CaughtError, CleanupInput};
    use crate::Status;

    fn input(id: &str, error: &str) -> CleanupInput {
        CleanupInput {
            id: id.into(),
            raw_key: format!("raw/{id}/original.jpg"),
            error: CaughtError {
                error: error.into(),
                cause: r#"{"errorMessage":"bad bytes","errorType":"x"}"#.into(),
            },
        }
    }

    #[tokio::test]
    async fn rejection_removes_raw_and_derived_and_is_idempotent() {
        let (p, blobs, records) = pipeline();
        records.create(&processing_reel("c1")).await.unwrap();
        blobs
            .put("raw/c1/original.jpg", "raw".into(), "image/jpeg")
            .await
            .unwrap();
        blobs
            .put("thumbnails/c1/160.jpg", "t".into(), "image/jpeg")
            .await
            .unwrap();
        blobs
            .put("renditions/c1/web.mp4", "v".into(), "video/mp4")
            .await
            .unwrap();
        let out = p.cleanup(input("c1", "CorruptMedia")).await.unwrap();
        assert!(out.raw_deleted && out.changed);
        assert!(blobs.list("").await.unwrap().is_empty());
        let reel = records.get("c1").await.unwrap().unwrap();
        assert_eq!(reel.status, Status::Failed);
        assert_eq!(reel.error.as_deref(), Some("CorruptMedia"));
        assert_eq!(reel.cause.as_deref(), Some("bad bytes"));
        let again = p.cleanup(input("c1", "CorruptMedia")).await.unwrap();
        assert!(!again.changed);
    }

    /// A transient failure or a missing codec is not a verdict on the file: the raw file
    /// stays for a reprocess, derived objects go, the record says FAILED with the error.
    #[tokio::test]
    async fn non_rejections_keep_the_raw_file() {
        for (id, error) in [
            ("c2", "StorageUnavailable"),
            ("c4", "CodecUnavailable"),
            ("c5", "ProcessingTimeout"),
        ] {
            let (p, blobs, records) = pipeline();
            records.create(&processing_reel(id)).await.unwrap();
            let raw = format!("raw/{id}/original.jpg");
            blobs.put(&raw, "raw".into(), "image/jpeg").await.unwrap();
            blobs
                .put(
                    &format!("thumbnails/{id}/480.jpg"),
                    "t".into(),
                    "image/jpeg",
                )
                .await
                .unwrap();
            blobs
                .put(&format!("renditions/{id}/web.mp4"), "v".into(), "video/mp4")
                .await
                .unwrap();
            let out = p.cleanup(input(id, error)).await.unwrap();
            assert!(!out.raw_deleted, "{error}");
            assert_eq!(blobs.list("").await.unwrap(), vec![raw], "{error}");
            let reel = records.get(id).await.unwrap().unwrap();
            assert_eq!(reel.status, Status::Failed, "{error}");
            assert_eq!(reel.error.as_deref(), Some(error));
        }
    }

    #[tokio::test]
    async fn a_ready_record_is_left_alone() {
        let (p, blobs, records) = pipeline();
        let mut reel = processing_reel("c3");
        reel.status = Status::Ready;
        records.create(&reel).await.unwrap();
        blobs
            .put("thumbnails/c3/160.jpg", "t".into(), "image/jpeg")
            .await
            .unwrap();
        let out = p.cleanup(input("c3", "CorruptMedia")).await.unwrap();
        assert_eq!(out.status, Some(Status::Ready));
        assert_eq!(blobs.list("").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_missing_record_is_reported_as_missing() {
        let (p, blobs, records) = pipeline();
        // nothing at all: nothing done, and nothing claimed
        let out = p.cleanup(input("c4", "CorruptMedia")).await.unwrap();
        assert_eq!(
            (out.status, out.changed, out.raw_deleted, out.deleted.len()),
            (None, false, false, 0)
        );
        assert!(records.get("c4").await.unwrap().is_none());
        // a raw file without a record: swept, and the output says so and no more
        blobs
            .put("raw/c4/original.jpg", "raw".into(), "image/jpeg")
            .await
            .unwrap();
        let out = p.cleanup(input("c4", "CorruptMedia")).await.unwrap();
        assert_eq!(
            (out.status, out.changed, out.raw_deleted),
            (None, true, true)
        );
        assert!(records.get("c4").await.unwrap().is_none());
    }
}
