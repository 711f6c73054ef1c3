//! CommitRecord: PROCESSING → READY with a conditional write, only once every object the
//! record will name exists. Run twice, it changes nothing.

use serde_json::Value;

use super::{check_id, CommitInput, CommitOutput, Pipeline};
use crate::error::{ErrorName, TaskError};
use crate::keys::{renditions_prefix, thumbnail_prefix};
use crate::ports::Transition;
use crate::reel::{Completion, Status, ThumbnailRef, VideoRef};

impl Pipeline {
    pub async fn commit_record(&self, input: CommitInput) -> Result<CommitOutput, TaskError> {
        check_id(&input.id)?;
        let Merged {
            thumbnails,
            metadata,
            video,
        } = merge_branches(&input.processed)?;
        let prefix = thumbnail_prefix(&input.id);
        for t in &thumbnails {
            if !t.key.starts_with(&prefix) {
                return Err(TaskError::new(
                    ErrorName::InvalidPayload,
                    format!("thumbnail key {} is not under {prefix}", t.key),
                ));
            }
            if self.blobs.size(&t.key).await?.is_none() {
                return Err(TaskError::new(
                    ErrorName::NotFound,
                    format!("thumbnail {} does not exist; refusing to name it", t.key),
                ));
            }
        }
        if let Some(v) = &video {
            let prefix = renditions_prefix(&input.id);
            if !v.key.starts_with(&prefix) {
                return Err(TaskError::new(
                    ErrorName::InvalidPayload,
                    format!("rendition key {} is not under {prefix}", v.key),
                ));
            }
            if self.blobs.size(&v.key).await?.is_none() {
                return Err(TaskError::new(
                    ErrorName::NotFound,
                    format!("rendition {} does not exist; refusing to name it", v.key),
                ));
            }
        }
        let completion = Completion::Ready {
            media_type: input.validated.media_type.clone(),
            size: input.validated.size,
            thumbnails,
            metadata,
            video,
        };
        match self.records.complete(&input.id, &completion).await? {
            Transition::Applied => {
                crate::metrics::global().ready(crate::metrics::since_upload(&input.id));
                Ok(CommitOutput {
                    id: input.id,
                    status: Status::Ready,
                    changed: true,
                })
            }
            Transition::Unchanged(Status::Ready) => Ok(CommitOutput {
                id: input.id,
                status: Status::Ready,
                changed: false,
            }),
            Transition::Unchanged(other) => Err(TaskError::new(
                ErrorName::RecordConflict,
                format!("record {} is {other}, not PROCESSING", input.id),
            )),
        }
    }
}

/// What the Parallel's branches produced, merged.
struct Merged {
    thumbnails: Vec<ThumbnailRef>,
    metadata: Option<Value>,
    video: Option<VideoRef>,
}

/// Merge the Parallel's branch outputs: `thumbnails`, `metadata` and `video` from whichever
/// branch produced them (an image's video branch produces none).
fn merge_branches(processed: &[Value]) -> Result<Merged, TaskError> {
    let mut thumbnails = Vec::new();
    let mut metadata = None;
    let mut video = None;
    for branch in processed {
        if let Some(t) = branch.get("thumbnails") {
            let mut refs: Vec<ThumbnailRef> = serde_json::from_value(t.clone()).map_err(|e| {
                TaskError::new(ErrorName::InvalidPayload, format!("thumbnails: {e}"))
            })?;
            thumbnails.append(&mut refs);
        }
        if let Some(m) = branch.get("metadata") {
            metadata = Some(m.clone());
        }
        if let Some(v) = branch.get("video").filter(|v| !v.is_null()) {
            video =
                Some(serde_json::from_value(v.clone()).map_err(|e| {
                    TaskError::new(ErrorName::InvalidPayload, format!("video: {e}"))
                })?);
        }
    }
    Ok(Merged {
        thumbnails,
        metadata,
        video,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::ports::{BlobStore, RecordStore};
    use crate::tasks::testkit::{pipeline, processing_reel};
    use crate::tasks::{CommitInput, Validated};
    use crate::{ErrorName, Status};

    fn input(id: &str) -> CommitInput {
        CommitInput {
            id: id.into(),
            validated: Validated {
                media_type: "image/jpeg".into(),
                kind: media::MediaKind::Image,
                ext: "jpg".into(),
                size: 3,
            },
            processed: vec![
                json!({"thumbnails": [{"size": 160, "key": format!("thumbnails/{id}/160.jpg"), "width": 160, "height": 120, "bytes": 2}]}),
                json!({"metadata": {"width": 4, "height": 3}}),
            ],
        }
    }

    #[tokio::test]
    async fn commit_is_conditional_and_idempotent() {
        let (p, blobs, records) = pipeline();
        records.create(&processing_reel("r1")).await.unwrap();
        blobs
            .put("thumbnails/r1/160.jpg", "xx".into(), "image/jpeg")
            .await
            .unwrap();
        let first = p.commit_record(input("r1")).await.unwrap();
        assert!(first.changed);
        let again = p.commit_record(input("r1")).await.unwrap();
        assert!(!again.changed);
        let reel = records.get("r1").await.unwrap().unwrap();
        assert_eq!(reel.status, Status::Ready);
        assert_eq!(reel.thumbnails.len(), 1);
        assert_eq!(reel.metadata, Some(json!({"width": 4, "height": 3})));
    }

    #[tokio::test]
    async fn a_video_commit_names_its_rendition_only_when_it_exists() {
        let (p, blobs, records) = pipeline();
        records.create(&processing_reel("v1")).await.unwrap();
        blobs
            .put("thumbnails/v1/160.jpg", "xx".into(), "image/jpeg")
            .await
            .unwrap();
        let mut i = input("v1");
        i.validated.kind = media::MediaKind::Video;
        let video = json!({"key": "renditions/v1/web.mp4", "width": 320, "height": 240, "duration": 2.0, "bytes": 5, "codec": "h264", "transcoded": false});
        i.processed.push(json!({ "video": video }));
        let err = p.commit_record(i.clone()).await.unwrap_err();
        assert_eq!(err.name, ErrorName::NotFound);
        blobs
            .put("renditions/v1/web.mp4", "mp4..".into(), "video/mp4")
            .await
            .unwrap();
        p.commit_record(i.clone()).await.unwrap();
        let reel = records.get("v1").await.unwrap().unwrap();
        let v = reel.video.expect("video named");
        assert_eq!((v.width, v.height, v.transcoded), (320, 240, false));

        // a key outside the reel's prefix is refused
        records.create(&processing_reel("v2")).await.unwrap();
        let mut other = input("v2");
        other.processed = vec![json!({ "video": video })];
        let err = p.commit_record(other).await.unwrap_err();
        assert_eq!(err.name, ErrorName::InvalidPayload);
    }

    #[tokio::test]
    async fn commit_refuses_to_name_missing_objects() {
        let (p, _blobs, records) = pipeline();
        records.create(&processing_reel("r2")).await.unwrap();
        let err = p.commit_record(input("r2")).await.unwrap_err();
        assert_eq!(err.name, ErrorName::NotFound);
        assert_eq!(
            records.get("r2").await.unwrap().unwrap().status,
            Status::Processing
        );
    }
}
