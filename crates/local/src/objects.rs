//! The `states` object store port over the blob store: a distributed Map's `ItemReader`
//! (`s3:listObjectsV2`, `s3:getObject`) and `ResultWriter` (`s3:putObject`) read and write
//! the same objects the pipeline does, under one bucket name.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use pipeline::{BlobStore, StoreError};
use states::storage::{ObjectEntry, ObjectError, ObjectStore};

/// The bucket name a local definition uses for the blob store (`${MediaBucketName}`).
pub const LOCAL_BUCKET: &str = "media-hub-local";

pub struct BlobObjects {
    blobs: Arc<dyn BlobStore>,
    bucket: String,
}

impl BlobObjects {
    pub fn new(blobs: Arc<dyn BlobStore>, bucket: impl Into<String>) -> BlobObjects {
        BlobObjects {
            blobs,
            bucket: bucket.into(),
        }
    }

    fn check(&self, bucket: &str) -> Result<(), ObjectError> {
        if bucket == self.bucket {
            Ok(())
        } else {
            Err(ObjectError::new(
                "NoSuchBucket",
                format!("The specified bucket does not exist: {bucket}"),
            ))
        }
    }
}

fn object_error(e: StoreError) -> ObjectError {
    match e {
        StoreError::NotFound(k) => ObjectError::new(
            "NoSuchKey",
            format!("The specified key does not exist: {k}"),
        ),
        StoreError::Unavailable(m) => ObjectError::new("ServiceUnavailable", m),
        other => ObjectError::new("InvalidRequest", other.to_string()),
    }
}

#[async_trait]
impl ObjectStore for BlobObjects {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
        self.check(bucket)?;
        self.blobs
            .get(key)
            .await
            .map(|b| b.to_vec())
            .map_err(object_error)
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectEntry>, ObjectError> {
        self.check(bucket)?;
        let keys = self.blobs.list(prefix).await.map_err(object_error)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            // an object deleted since the listing is simply not listed
            let Some(size) = self.blobs.size(&key).await.map_err(object_error)? else {
                continue;
            };
            out.push(ObjectEntry {
                etag: format!("\"{size:x}-{}\"", key.len()),
                key,
                size,
                last_modified: chrono::Utc::now().timestamp(),
            });
        }
        Ok(out)
    }

    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), ObjectError> {
        self.check(bucket)?;
        let content_type = if key.ends_with(".json") {
            "application/json"
        } else {
            "application/octet-stream"
        };
        self.blobs
            .put(key, Bytes::from(body), content_type)
            .await
            .map_err(object_error)
    }
}
