//! `BlobStore` over S3.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use pipeline::{BlobStore, BlobStream, StoreError};

use crate::error::{classify, code};

/// Bodies up to this size go up in one PutObject; larger ones as a multipart upload of
/// parts this big (S3's minimum part size is 5 MiB). One part is in memory at a time.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Raw uploads and thumbnails in one S3 bucket.
#[derive(Clone, Debug)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    part_size: usize,
    /// what presigned POSTs are signed with (from the SDK configuration)
    signing: Option<Signing>,
}

/// Credentials, region and endpoint for presigned POSTs.
#[derive(Clone, Debug)]
pub(crate) struct Signing {
    pub credentials: aws_credential_types::provider::SharedCredentialsProvider,
    pub region: String,
    pub endpoint: Option<String>,
}

/// The S3 client configuration for media-hub: path-style addressing when a custom
/// endpoint is configured (moto, LocalStack and MinIO answer on one host).
pub fn client_config(sdk: &SdkConfig) -> aws_sdk_s3::config::Builder {
    let builder = aws_sdk_s3::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        builder.force_path_style(true)
    } else {
        builder
    }
}

impl S3BlobStore {
    pub fn new(sdk: &SdkConfig, bucket: &str) -> Self {
        Self::from_client(Client::from_conf(client_config(sdk).build()), bucket).with_signing(sdk)
    }

    pub fn from_client(client: Client, bucket: &str) -> Self {
        S3BlobStore {
            client,
            bucket: bucket.to_owned(),
            part_size: PART_SIZE,
            signing: None,
        }
    }

    /// Sign presigned POSTs with this configuration's credentials, region and endpoint.
    pub fn with_signing(mut self, sdk: &SdkConfig) -> Self {
        self.signing = sdk.credentials_provider().map(|credentials| Signing {
            credentials,
            region: sdk
                .region()
                .map_or_else(|| "us-east-1".to_owned(), |r| r.as_ref().to_owned()),
            endpoint: sdk.endpoint_url().map(str::to_owned),
        });
        self
    }

    /// A presigned GetObject URL for `key` (SigV4 query string), valid for `expires_in`.
    pub async fn presigned_get(
        &self,
        key: &str,
        expires_in: std::time::Duration,
    ) -> Result<String, StoreError> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(expires_in)
            .map_err(|e| StoreError::Invalid(format!("presigning: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| classify("GetObject (presign)", e))?;
        Ok(request.uri().to_owned())
    }

    pub(crate) fn signing(&self) -> Option<&Signing> {
        self.signing.as_ref()
    }

    /// Use smaller parts (at least 5 MiB; S3 refuses smaller non-final parts).
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(5 * 1024 * 1024);
        self
    }

    /// Create the bucket if it does not exist (hybrid mode against a fresh endpoint; on
    /// AWS, template.yaml creates it).
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    code(&e),
                    Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("CreateBucket", e)),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn put_whole(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_cache_control(cache_control(key).map(str::to_owned))
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| classify("PutObject", e))?;
        Ok(())
    }

    /// The multipart path: `first` is the first full part, `body` the rest of the stream.
    async fn put_multipart(
        &self,
        key: &str,
        first: Bytes,
        mut body: BlobStream<'_>,
        content_type: &str,
        max_bytes: u64,
    ) -> Result<u64, StoreError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| classify("CreateMultipartUpload", e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| {
                StoreError::Invalid("CreateMultipartUpload returned no upload id".into())
            })?
            .to_owned();

        let result = self
            .upload_parts(key, &upload_id, first, &mut body, max_bytes)
            .await;
        match result {
            Ok((parts, total)) => {
                let done = self
                    .client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(parts))
                            .build(),
                    )
                    .send()
                    .await;
                if let Err(e) = done {
                    self.abort(key, &upload_id).await;
                    return Err(classify("CompleteMultipartUpload", e));
                }
                Ok(total)
            }
            Err(e) => {
                self.abort(key, &upload_id).await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        first: Bytes,
        body: &mut BlobStream<'_>,
        max_bytes: u64,
    ) -> Result<(Vec<CompletedPart>, u64), StoreError> {
        let mut parts = Vec::new();
        let mut total = first.len() as u64;
        let mut pending = Some(first);
        let mut buffer = BytesMut::with_capacity(self.part_size);
        let mut finished = false;
        loop {
            if let Some(part) = pending.take() {
                let number = i32::try_from(parts.len() + 1)
                    .map_err(|_| StoreError::TooLarge { limit: max_bytes })?;
                let out = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .body(ByteStream::from(part))
                    .send()
                    .await
                    .map_err(|e| classify("UploadPart", e))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .build(),
                );
            }
            if finished {
                return Ok((parts, total));
            }
            // Fill the next part.
            while buffer.len() < self.part_size {
                match body.next().await {
                    Some(Ok(chunk)) => {
                        total += chunk.len() as u64;
                        if total > max_bytes {
                            return Err(StoreError::TooLarge { limit: max_bytes });
                        }
                        buffer.extend_from_slice(&chunk);
                    }
                    Some(Err(e)) => return Err(StoreError::Invalid(format!("upload body: {e}"))),
                    None => {
                        finished = true;
                        break;
                    }
                }
            }
            if buffer.is_empty() {
                return Ok((parts, total));
            }
            pending = Some(buffer.split().freeze());
        }
    }

    async fn abort(&self, key: &str, upload_id: &str) {
        let aborted = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
        if let Err(e) = aborted {
            // The bucket's lifecycle rule removes incomplete uploads that linger.
            tracing::warn!(key, upload_id, error = %crate::error::describe(&e), "could not abort multipart upload");
        }
    }
}

/// The `Cache-Control` an object is stored with, which S3 sends with every GET of it:
/// derived media (thumbnails, renditions) are cached by browsers for a day, like the
/// local server's; raw uploads and staging objects are never served to browsers.
pub fn cache_control(key: &str) -> Option<&'static str> {
    (key.starts_with("thumbnails/") || key.starts_with("renditions/"))
        .then_some("public, max-age=86400")
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.put_whole(key, body, content_type).await
    }

    async fn put_stream(
        &self,
        key: &str,
        mut body: BlobStream<'_>,
        content_type: &str,
        max_bytes: u64,
    ) -> Result<u64, StoreError> {
        // Read up to one part: a small body goes up whole, a large one in parts.
        let mut first = BytesMut::new();
        let mut ended = false;
        while first.len() < self.part_size {
            match body.next().await {
                Some(Ok(chunk)) => {
                    first.extend_from_slice(&chunk);
                    if first.len() as u64 > max_bytes {
                        return Err(StoreError::TooLarge { limit: max_bytes });
                    }
                }
                Some(Err(e)) => return Err(StoreError::Invalid(format!("upload body: {e}"))),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            let size = first.len() as u64;
            self.put_whole(key, first.freeze(), content_type).await?;
            return Ok(size);
        }
        let size = self
            .put_multipart(key, first.freeze(), body, content_type, max_bytes)
            .await?;
        tracing::debug!(key, size, "multipart upload complete");
        Ok(size)
    }

    async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| match code(&e) {
                Some("NoSuchKey") | Some("NotFound") => StoreError::NotFound(key.to_owned()),
                _ => classify("GetObject", e),
            })?;
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(format!("GetObject body of {key}: {e}")))?;
        Ok(data.into_bytes())
    }

    async fn get_head(&self, key: &str, len: usize) -> Result<Bytes, StoreError> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", len - 1))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            // An empty object has no byte 0.
            Err(e) if code(&e) == Some("InvalidRange") => return Ok(Bytes::new()),
            Err(e) => {
                return Err(match code(&e) {
                    Some("NoSuchKey") | Some("NotFound") => StoreError::NotFound(key.to_owned()),
                    _ => classify("GetObject", e),
                })
            }
        };
        let mut data = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(format!("GetObject body of {key}: {e}")))?
            .into_bytes();
        // A server that ignores Range sends the whole object; keep the promise anyway.
        data.truncate(len);
        Ok(data)
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.head(key).await?.map(|info| info.size))
    }

    async fn head(&self, key: &str) -> Result<Option<pipeline::ObjectInfo>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(pipeline::ObjectInfo {
                size: out.content_length().unwrap_or(0).max(0) as u64,
                etag: out.e_tag().map(str::to_owned),
                last_modified: out
                    .last_modified()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
            })),
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|s| s.is_not_found())
                    || matches!(code(&e), Some("NotFound") | Some("NoSuchKey"))
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                if missing {
                    Ok(None)
                } else {
                    Err(classify("HeadObject", e))
                }
            }
        }
    }

    /// GetObject with `Range: bytes=start-end`, its body streamed as it arrives.
    async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> Result<BlobStream<'static>, StoreError> {
        if len == 0 {
            return Ok(Box::pin(futures::stream::empty()));
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{}", start + len - 1))
            .send()
            .await
            .map_err(|e| match code(&e) {
                Some("NoSuchKey") | Some("NotFound") => StoreError::NotFound(key.to_owned()),
                _ => classify("GetObject", e),
            })?;
        Ok(Box::pin(futures::stream::unfold(
            out.body,
            |mut body| async move {
                body.next()
                    .await
                    .map(|r| (r.map_err(std::io::Error::other), body))
            },
        )))
    }

    async fn copy(&self, from: &str, to: &str, content_type: &str) -> Result<(), StoreError> {
        // Keys are ours (ids and fixed names), so the copy source needs no escaping.
        let copied = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{from}", self.bucket))
            .key(to)
            .content_type(content_type)
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .send()
            .await;
        match copied {
            Ok(_) => Ok(()),
            Err(e) if matches!(code(&e), Some("NoSuchKey") | Some("NotFound")) => {
                Err(StoreError::NotFound(from.to_owned()))
            }
            Err(e) => Err(classify("CopyObject", e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify("DeleteObject", e))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListObjectsV2", e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        keys.sort();
        Ok(keys)
    }
}
