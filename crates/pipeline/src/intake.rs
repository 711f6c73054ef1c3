//! Accepting an upload: check the form fields, sniff the file's first bytes (anything that
//! is not a photo or video the hub takes is refused here, before a byte is stored), stream
//! the raw file into the blob store under `raw/{id}/original.{ext}` (ext from the sniffed
//! type), write the PROCESSING record, then start the execution named by the id. Shared by
//! `media-hub serve` and the upload Lambda.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{stream, StreamExt};

use crate::declared::DeclaredType;
use crate::keys::raw_key;
use crate::ports::{BlobStore, BlobStream, RecordStore, StoreError, WorkflowStarter};
use crate::reel::{ExecutionInput, Reel, Status};
use crate::settings::Settings;

/// Why an upload was refused. Each maps to one HTTP status at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// 400: a missing or malformed field
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    /// 413
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// 415: the first bytes are not a photo or video the hub takes
    #[error("the file is not a photo or video this hub takes (it looks like {looks_like})")]
    UnsupportedType { looks_like: String },
    /// 404: no direct upload of that id was begun (or it expired)
    #[error("no upload {0} is waiting to complete")]
    UnknownUpload(String),
    /// 409: the direct upload's file has not reached storage yet
    #[error("the file of upload {0} has not reached storage")]
    Incomplete(String),
    /// 403: a delete without the reel's token or the admin token
    #[error("{0}")]
    Forbidden(String),
    /// 501: this backend signs no direct uploads
    #[error("direct uploads are not available on this server")]
    DirectUnavailable,
    /// 503 with `Retry-After`: too many executions wait for the decode budget
    #[error("the hub is busy with {in_flight} uploads; try again in {retry_after_secs} s")]
    Busy {
        in_flight: usize,
        retry_after_secs: u64,
    },
    /// 503 (transient) or 500
    #[error(transparent)]
    Storage(StoreError),
}

impl From<StoreError> for IntakeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::TooLarge { limit } => IntakeError::TooLarge { limit },
            other => IntakeError::Storage(other),
        }
    }
}

impl IntakeError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        IntakeError::InvalidField {
            field,
            message: message.into(),
        }
    }

    /// A stable machine-readable name for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::InvalidField { .. } => "InvalidField",
            IntakeError::TooLarge { .. } => "UploadTooLarge",
            IntakeError::UnsupportedType { .. } => "UnsupportedMediaType",
            IntakeError::UnknownUpload(_) => "NotFound",
            IntakeError::Incomplete(_) => "UploadIncomplete",
            IntakeError::DirectUnavailable => "DirectUploadUnavailable",
            IntakeError::Forbidden(_) => "AccessDenied",
            IntakeError::Busy { .. } => "Busy",
            IntakeError::Storage(StoreError::Unavailable(_)) => "StorageUnavailable",
            IntakeError::Storage(_) => "StorageError",
        }
    }
}

/// The text fields of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadFields {
    pub name: String,
    pub caption: String,
}

/// A raw file now in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRaw {
    pub key: String,
    pub size: u64,
    /// sniffed from the first bytes; `None` when unrecognised (ValidateFileType will reject)
    pub media_type: Option<String>,
    pub original_filename: String,
    pub declared_type: Option<String>,
}

/// What the first bytes of a file are, for a refusal: a type `infer` knows (`application/pdf`),
/// `text`, or `unknown data`.
pub fn looks_like(head: &[u8]) -> String {
    if head.is_empty() {
        return "an empty file".to_owned();
    }
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_owned();
    }
    // text: valid UTF-8 (a character cut at the end of the window allowed) without control
    // characters other than whitespace
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => "",
    };
    if !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
    {
        "text".to_owned()
    } else {
        "unknown data".to_owned()
    }
}

/// The real type of a file from its first bytes, or the refusal of it.
pub fn sniff_or_refuse(head: &[u8]) -> Result<media::Sniffed, IntakeError> {
    media::sniff(head).map_err(|_| IntakeError::UnsupportedType {
        looks_like: looks_like(head),
    })
}

/// A new delete token for an uploader and the hash the record keeps. The token is two random
/// UUIDs (244 random bits) in hex; only its SHA-256 is ever stored.
pub fn new_delete_token() -> (String, String) {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let hash = hash_delete_token(&token);
    (token, hash)
}

/// The SHA-256 of a delete token, hex.
pub fn hash_delete_token(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The upload use case over its ports.
#[derive(Clone)]
pub struct Intake {
    pub blobs: Arc<dyn BlobStore>,
    pub records: Arc<dyn RecordStore>,
    pub workflow: Arc<dyn WorkflowStarter>,
    pub settings: Arc<Settings>,
    /// Signs direct (presigned POST) uploads; `None` where the backend offers none.
    pub signer: Option<Arc<dyn crate::ports::UploadSigner>>,
}

/// A new media id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Intake {
    /// Refuse a new upload (before any of it is stored) while the queue of executions is
    /// full: the work it would add could not start soon, and the client may come back.
    pub fn admit(&self) -> Result<(), IntakeError> {
        let max = self.settings.max_queued_executions;
        match self.workflow.in_flight() {
            Some(in_flight) if max > 0 && in_flight >= max => Err(IntakeError::Busy {
                in_flight,
                retry_after_secs: 5,
            }),
            _ => Ok(()),
        }
    }

    /// Trim and bound the text fields (characters, not bytes).
    pub fn check_fields(&self, name: &str, caption: &str) -> Result<UploadFields, IntakeError> {
        let name = name.trim();
        let caption = caption.trim();
        if name.is_empty() {
            return Err(IntakeError::invalid("name", "is required"));
        }
        let max = self.settings.max_name_chars;
        if name.chars().count() > max {
            return Err(IntakeError::invalid(
                "name",
                format!("is longer than {max} characters"),
            ));
        }
        let max = self.settings.max_caption_chars;
        if caption.chars().count() > max {
            return Err(IntakeError::invalid(
                "caption",
                format!("is longer than {max} characters"),
            ));
        }
        if name
            .chars()
            .chain(caption.chars())
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(IntakeError::invalid("name", "contains control characters"));
        }
        Ok(UploadFields {
            name: name.to_owned(),
            caption: caption.to_owned(),
        })
    }

    /// Stream the file into `raw/{id}/original.{ext}`. Only the first [`media::SNIFF_LEN`]
    /// bytes are held to choose the extension; the rest flows straight through.
    pub async fn store_raw(
        &self,
        id: &str,
        original_filename: &str,
        part_type: Option<&str>,
        mut body: BlobStream<'_>,
    ) -> Result<StoredRaw, IntakeError> {
        let limit = self.settings.max_upload_bytes;
        let mut head = BytesMut::new();
        while head.len() < media::SNIFF_LEN {
            match body.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Err(IntakeError::invalid(
                        "file",
                        format!("upload interrupted: {e}"),
                    ))
                }
                None => break,
            }
            if head.len() as u64 > limit {
                return Err(IntakeError::TooLarge { limit });
            }
        }
        if head.is_empty() {
            return Err(IntakeError::invalid("file", "is empty"));
        }
        // The one decision for every path: the real type, before anything is stored.
        let sniffed = sniff_or_refuse(&head)?;
        let key = raw_key(id, &sniffed.ext);
        let head: Bytes = head.freeze();
        let whole: BlobStream<'_> = Box::pin(stream::once(async move { Ok(head) }).chain(body));
        let size = self
            .blobs
            .put_stream(&key, whole, &sniffed.mime, limit)
            .await?;
        let declared =
            DeclaredType::of_upload(original_filename, part_type).map(|d| d.mime().to_owned());
        Ok(StoredRaw {
            key,
            size,
            media_type: Some(sniffed.mime),
            original_filename: sanitize_filename(original_filename),
            declared_type: declared,
        })
    }

    /// Remove a raw file whose form turned out invalid (nothing was recorded for it).
    pub async fn discard(&self, stored: &StoredRaw) {
        if let Err(e) = self.blobs.delete(&stored.key).await {
            tracing::warn!(key = %stored.key, error = %e, "could not discard raw upload");
        }
    }

    /// Write the PROCESSING record (keeping the hash of the uploader's delete token), then
    /// start the execution named by the id.
    pub async fn register(
        &self,
        id: &str,
        fields: UploadFields,
        stored: StoredRaw,
        delete_token_hash: String,
    ) -> Result<Reel, IntakeError> {
        let now = now();
        let mut reel = Reel {
            id: id.to_owned(),
            name: fields.name,
            caption: fields.caption,
            status: Status::Processing,
            visibility: self.settings.moderation.initial_visibility(),
            moderation_token: None,
            media_type: stored.media_type,
            size: stored.size,
            original_filename: stored.original_filename,
            declared_type: stored.declared_type.clone(),
            delete_token_hash: Some(delete_token_hash),
            raw_key: stored.key.clone(),
            thumbnails: vec![],
            metadata: None,
            video: None,
            error: None,
            cause: None,
            execution_arn: None,
            created_at: now.clone(),
            updated_at: now,
        };
        match self.records.create(&reel).await {
            Ok(()) => {}
            // A second completion of the same direct upload (the browser and the S3 event
            // race): the first one registered it.
            Err(StoreError::AlreadyExists(_)) => {
                if let Some(existing) = self.records.get(id).await? {
                    return Ok(existing);
                }
                return Err(StoreError::AlreadyExists(id.to_owned()).into());
            }
            Err(e) => return Err(e.into()),
        }
        let input = ExecutionInput {
            id: id.to_owned(),
            raw_key: stored.key,
            declared_type: stored.declared_type,
            moderation: self.settings.moderation.input_for(reel.visibility),
        };
        // The record exists: if the start fails, the record stays PROCESSING and is
        // started again by the reconcile sweep (`crate::reconcile`).
        let started = self.workflow.start(&input).await?;
        self.records
            .set_execution_arn(id, &started.execution_arn)
            .await?;
        reel.execution_arn = Some(started.execution_arn);
        tracing::info!(
            id,
            already_started = started.already_started,
            "upload registered"
        );
        crate::metrics::global().upload_accepted();
        Ok(reel)
    }
}

/// Keep only the last path component of a client filename, without control characters.
pub fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    if cleaned.is_empty() {
        "upload".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_the_file_looks_like() {
        assert_eq!(looks_like(b"%PDF-1.7\n%\xe2\xe3"), "application/pdf");
        assert_eq!(looks_like("héllo, world\n".as_bytes()), "text");
        assert_eq!(looks_like(&"é".as_bytes()[..1]), "unknown data");
        assert_eq!(looks_like(b"ab\x00\x01\x02"), "unknown data");
        assert!(matches!(
            sniff_or_refuse(b"plain words"),
            Err(IntakeError::UnsupportedType { looks_like }) if looks_like == "text"
        ));
        assert_eq!(
            sniff_or_refuse(b"\xFF\xD8\xFF\xE0").unwrap().mime,
            "image/jpeg"
        );
    }

    #[test]
    fn delete_tokens_are_random_and_only_hashed() {
        let (a, ha) = new_delete_token();
        let (b, _) = new_delete_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_delete_token(&a), ha);
        assert_ne!(ha, a);
    }

    #[test]
    fn filenames_lose_their_paths() {
        assert_eq!(sanitize_filename("C:\\Users\\me\\IMG.JPG"), "IMG.JPG");
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename(""), "upload");
    }
}
