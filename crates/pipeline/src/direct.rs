//! Direct uploads: files larger than the API can carry go straight to the blob store with a
//! presigned POST, then join the same path as an upload through the API.
//!
//! 1. [`Intake::begin_direct`] checks the form fields and the declared size, sniffs the
//!    file's first bytes when the browser sends them (`head`, hex: a PDF is refused here,
//!    before anything is signed or stored), keeps the fields and the hash of the uploader's
//!    delete token in a ticket (`incoming/{id}/ticket.json`) and signs a POST for exactly
//!    `incoming/{id}/file`, one content type and at most the upload limit.
//! 2. The browser POSTs the file to the store (S3, or the local stand-in endpoint).
//! 3. [`Intake::complete_direct`] (called by the browser, and by the S3 Object Created event
//!    or the local endpoint, whichever comes first) sniffs the file's first bytes: a file that
//!    is not a photo or video is deleted and the ticket remembers the refusal, so both callers
//!    get `UnsupportedMediaType` and no record is written. Otherwise it moves the file to
//!    `raw/{id}/original.{ext}` with the sniffed ext, writes the PROCESSING record and starts
//!    the execution. Completing twice changes nothing.
//!
//! No record exists before the file does, so a record never names a file storage lacks; an
//! abandoned upload leaves only `incoming/` objects, which a bucket lifecycle rule expires.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::declared::DeclaredType;
use crate::intake::{
    new_delete_token, new_id, now, sanitize_filename, sniff_or_refuse, Intake, IntakeError,
    StoredRaw, UploadFields,
};
use crate::keys::{incoming_key, raw_key, raw_prefix, ticket_key};
use crate::ports::{PostConditions, PresignedPost, StoreError};
use crate::reel::Reel;

/// What the browser says of the file it is about to send straight to the store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectRequest {
    pub name: String,
    #[serde(default)]
    pub caption: String,
    pub filename: String,
    #[serde(default)]
    pub content_type: Option<String>,
    pub size: u64,
    /// the file's first bytes in hex (at least 16 where the file has them), so the real type
    /// is known before anything is signed; completion sniffs the stored file again anyway
    #[serde(default)]
    pub head: Option<String>,
}

/// A signed direct upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectUpload {
    pub id: String,
    pub upload: PresignedPost,
    /// lets the uploader delete the reel later; only its hash is kept
    pub delete_token: String,
}

/// The form fields of a direct upload, kept in the store until it completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ticket {
    name: String,
    caption: String,
    original_filename: String,
    #[serde(default)]
    declared_type: Option<String>,
    max_bytes: u64,
    created_at: String,
    #[serde(default)]
    delete_token_hash: String,
    /// set when completion found the file is not media: what it looked like
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
}

impl Intake {
    /// Check what the browser declares and sign a POST for its file.
    pub async fn begin_direct(&self, req: &DirectRequest) -> Result<DirectUpload, IntakeError> {
        let signer = self.signer.as_ref().ok_or(IntakeError::DirectUnavailable)?;
        self.admit()?;
        let fields = self.check_fields(&req.name, &req.caption)?;
        let limit = self.settings.max_upload_bytes;
        if req.size == 0 {
            return Err(IntakeError::invalid("size", "the file is empty"));
        }
        if req.size > limit {
            return Err(IntakeError::TooLarge { limit });
        }
        // The real type decides: from the first bytes when the browser sent them; the
        // claim (name, type) is only recorded. The signed content type is the best guess of
        // the two; completion sniffs the stored file whatever it was.
        let sniffed = match req.head.as_deref() {
            Some(hex) => {
                let head =
                    hex::decode(hex).map_err(|_| IntakeError::invalid("head", "is not hex"))?;
                Some(sniff_or_refuse(&head)?)
            }
            None => None,
        };
        let declared = DeclaredType::of_upload(&req.filename, req.content_type.as_deref())
            .map(|d| d.mime().to_owned());
        let content_type = sniffed
            .map(|s| s.mime)
            .or_else(|| declared.clone())
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let id = new_id();
        let (delete_token, delete_token_hash) = new_delete_token();
        let ticket = Ticket {
            name: fields.name,
            caption: fields.caption,
            original_filename: sanitize_filename(&req.filename),
            declared_type: declared,
            max_bytes: limit,
            created_at: now(),
            delete_token_hash,
            refused: None,
        };
        let body = serde_json::to_vec(&ticket)
            .map_err(|e| IntakeError::Storage(StoreError::Invalid(e.to_string())))?;
        self.blobs
            .put(&ticket_key(&id), Bytes::from(body), "application/json")
            .await?;
        let upload = signer
            .presign_post(&PostConditions {
                key: incoming_key(&id),
                content_type: content_type.clone(),
                min_bytes: 1,
                max_bytes: limit,
                expires_in: Duration::from_secs(self.settings.presign_expiry_secs),
            })
            .await?;
        tracing::info!(id, size = req.size, content_type, "direct upload signed");
        Ok(DirectUpload {
            id,
            upload,
            delete_token,
        })
    }

    /// Register a direct upload whose file has reached the store. Idempotent: a completed
    /// upload answers its record again.
    pub async fn complete_direct(&self, id: &str) -> Result<Reel, IntakeError> {
        if !crate::keys::is_valid_id(id) {
            return Err(IntakeError::UnknownUpload(id.to_owned()));
        }
        if let Some(reel) = self.records.get(id).await? {
            return Ok(reel);
        }
        let ticket: Ticket = match self.blobs.get(&ticket_key(id)).await {
            Ok(body) => serde_json::from_slice(&body).map_err(|e| {
                IntakeError::Storage(StoreError::Invalid(format!("ticket of {id}: {e}")))
            })?,
            Err(StoreError::NotFound(_)) => return Err(IntakeError::UnknownUpload(id.to_owned())),
            Err(e) => return Err(e.into()),
        };
        if let Some(looks_like) = ticket.refused {
            return Err(IntakeError::UnsupportedType { looks_like });
        }
        let stored = self.move_to_raw(id, &ticket).await?;
        let fields = UploadFields {
            name: ticket.name,
            caption: ticket.caption,
        };
        let reel = self
            .register(id, fields, stored, ticket.delete_token_hash)
            .await?;
        if let Err(e) = self.blobs.delete(&ticket_key(id)).await {
            tracing::warn!(id, error = %e, "could not remove the ticket of a completed upload");
        }
        Ok(reel)
    }

    /// Sniff `incoming/{id}/file` and move it to `raw/{id}/original.{ext}`. A completion
    /// interrupted after the move finds the raw file instead.
    async fn move_to_raw(&self, id: &str, ticket: &Ticket) -> Result<StoredRaw, IntakeError> {
        let incoming = incoming_key(id);
        let stored = |key: String, size: u64, media_type: Option<String>| StoredRaw {
            key,
            size,
            media_type,
            original_filename: ticket.original_filename.clone(),
            declared_type: ticket.declared_type.clone(),
        };
        let Some(size) = self.blobs.size(&incoming).await? else {
            // moved already by an interrupted completion?
            let moved = self.blobs.list(&raw_prefix(id)).await?;
            if let Some(key) = moved.into_iter().next() {
                let size = self.blobs.size(&key).await?.unwrap_or(0);
                let head = self.blobs.get_head(&key, media::SNIFF_LEN).await?;
                let media_type = media::sniff(&head).ok().map(|s| s.mime);
                return Ok(stored(key, size, media_type));
            }
            return Err(IntakeError::Incomplete(id.to_owned()));
        };
        if size > ticket.max_bytes {
            // S3 enforces the signed range; this guards a store that did not.
            self.blobs.delete(&incoming).await?;
            self.blobs.delete(&ticket_key(id)).await?;
            return Err(IntakeError::TooLarge {
                limit: ticket.max_bytes,
            });
        }
        let head = self.blobs.get_head(&incoming, media::SNIFF_LEN).await?;
        let sniffed = match sniff_or_refuse(&head) {
            Ok(s) => s,
            Err(refusal) => {
                // Not media: nothing of it stays, and the ticket remembers why for the
                // other completion (the browser's, or the store's event).
                self.blobs.delete(&incoming).await?;
                if let IntakeError::UnsupportedType { looks_like } = &refusal {
                    let refused = Ticket {
                        refused: Some(looks_like.clone()),
                        ..ticket.clone()
                    };
                    let body = serde_json::to_vec(&refused)
                        .map_err(|e| IntakeError::Storage(StoreError::Invalid(e.to_string())))?;
                    self.blobs
                        .put(&ticket_key(id), Bytes::from(body), "application/json")
                        .await?;
                }
                tracing::info!(id, error = %refusal, "direct upload refused");
                return Err(refusal);
            }
        };
        let key = raw_key(id, &sniffed.ext);
        self.blobs.copy(&incoming, &key, &sniffed.mime).await?;
        self.blobs.delete(&incoming).await?;
        Ok(stored(key, size, Some(sniffed.mime)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;
    use crate::ports::{BlobStore, RecordStore, UploadSigner};
    use crate::reel::Status;
    use crate::settings::Settings;
    use crate::tasks::testkit::{MemBlobs, MemRecords, MemWorkflow};

    struct FakeSigner;

    #[async_trait]
    impl UploadSigner for FakeSigner {
        async fn presign_post(&self, c: &PostConditions) -> Result<PresignedPost, StoreError> {
            let mut fields = BTreeMap::new();
            fields.insert("key".to_owned(), c.key.clone());
            fields.insert("Content-Type".to_owned(), c.content_type.clone());
            fields.insert("max".to_owned(), c.max_bytes.to_string());
            Ok(PresignedPost {
                url: "/store".into(),
                fields,
                expires_at: "later".into(),
            })
        }
    }

    fn intake() -> (Intake, Arc<MemBlobs>, Arc<MemRecords>, Arc<MemWorkflow>) {
        let blobs = Arc::new(MemBlobs::default());
        let records = Arc::new(MemRecords::default());
        let workflow = Arc::new(MemWorkflow::default());
        let intake = Intake {
            blobs: blobs.clone(),
            records: records.clone(),
            workflow: workflow.clone(),
            settings: Arc::new(Settings {
                max_upload_bytes: 1000,
                ..Settings::default()
            }),
            signer: Some(Arc::new(FakeSigner)),
        };
        (intake, blobs, records, workflow)
    }

    fn request(filename: &str, size: u64) -> DirectRequest {
        DirectRequest {
            name: "Ada".into(),
            caption: "big one".into(),
            filename: filename.into(),
            content_type: None,
            size,
            head: None,
        }
    }

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";

    #[tokio::test]
    async fn a_direct_upload_is_signed_then_registered_once() {
        let (intake, blobs, records, workflow) = intake();
        let d = intake
            .begin_direct(&request("clip.jpg", 500))
            .await
            .unwrap();
        assert_eq!(d.upload.fields["key"], format!("incoming/{}/file", d.id));
        assert_eq!(d.upload.fields["Content-Type"], "image/jpeg");
        assert_eq!(d.upload.fields["max"], "1000");
        // nothing is recorded before the file is there
        assert!(records.get(&d.id).await.unwrap().is_none());
        assert!(matches!(
            intake.complete_direct(&d.id).await,
            Err(IntakeError::Incomplete(_))
        ));

        blobs
            .put(&incoming_key(&d.id), Bytes::from_static(JPEG), "image/jpeg")
            .await
            .unwrap();
        let reel = intake.complete_direct(&d.id).await.unwrap();
        assert_eq!(reel.status, Status::Processing);
        assert_eq!(reel.raw_key, format!("raw/{}/original.jpg", d.id));
        assert_eq!(reel.name, "Ada");
        assert_eq!(reel.size, JPEG.len() as u64);
        assert_eq!(blobs.get(&reel.raw_key).await.unwrap().as_ref(), JPEG);
        assert!(blobs.list("incoming/").await.unwrap().is_empty());

        // the second completion (the S3 event after the browser) changes nothing
        let again = intake.complete_direct(&d.id).await.unwrap();
        assert_eq!(again.id, reel.id);
        let started = workflow.0.lock().unwrap().clone();
        assert_eq!(started.len(), 1);
        assert_eq!(started[0].declared_type.as_deref(), Some("image/jpeg"));
    }

    #[tokio::test]
    async fn the_raw_key_takes_the_sniffed_ext_not_the_declared_one() {
        let (intake, blobs, _, _) = intake();
        let d = intake
            .begin_direct(&request("holiday.png", 20))
            .await
            .unwrap();
        blobs
            .put(&incoming_key(&d.id), Bytes::from_static(JPEG), "image/png")
            .await
            .unwrap();
        let reel = intake.complete_direct(&d.id).await.unwrap();
        // the real type decides; the claim is kept
        assert_eq!(reel.raw_key, format!("raw/{}/original.jpg", d.id));
        assert_eq!(reel.media_type.as_deref(), Some("image/jpeg"));
        assert_eq!(reel.declared_type.as_deref(), Some("image/png"));
    }

    #[tokio::test]
    async fn a_file_that_is_not_media_is_refused_at_either_door() {
        let (intake, blobs, records, workflow) = intake();
        // the browser sent the first bytes: refused before anything is signed or stored
        let mut pdf = request("report.pdf", 500);
        pdf.head = Some("255044462d312e370a".into());
        assert!(matches!(
            intake.begin_direct(&pdf).await,
            Err(IntakeError::UnsupportedType { looks_like }) if looks_like == "application/pdf"
        ));
        assert!(blobs.list("").await.unwrap().is_empty());
        // a client that did not: refused at completion, the file deleted, no record, and the
        // second completion gives the same answer
        let d = intake
            .begin_direct(&request("notes.jpg", 20))
            .await
            .unwrap();
        assert_eq!(d.upload.fields["Content-Type"], "image/jpeg");
        blobs
            .put(
                &incoming_key(&d.id),
                Bytes::from_static(b"just some text here"),
                "image/jpeg",
            )
            .await
            .unwrap();
        for _ in 0..2 {
            assert!(matches!(
                intake.complete_direct(&d.id).await,
                Err(IntakeError::UnsupportedType { looks_like }) if looks_like == "text"
            ));
        }
        assert_eq!(blobs.list("").await.unwrap(), vec![ticket_key(&d.id)]);
        assert!(records.get(&d.id).await.unwrap().is_none());
        assert!(workflow.0.lock().unwrap().is_empty());
        // a lying name with honest bytes is signed as what the bytes are
        let mut renamed = request("holiday.png", 20);
        renamed.head = Some("ffd8ffe000104a464946".into());
        let d = intake.begin_direct(&renamed).await.unwrap();
        assert_eq!(d.upload.fields["Content-Type"], "image/jpeg");
    }

    #[tokio::test]
    async fn refusals_store_nothing() {
        let (intake, blobs, _, _) = intake();
        assert!(matches!(
            intake.begin_direct(&request("a.jpg", 1001)).await,
            Err(IntakeError::TooLarge { limit: 1000 })
        ));
        let mut bad_head = request("a.jpg", 10);
        bad_head.head = Some("zz".into());
        assert!(matches!(
            intake.begin_direct(&bad_head).await,
            Err(IntakeError::InvalidField { field: "head", .. })
        ));
        let mut no_name = request("a.jpg", 10);
        no_name.name = " ".into();
        assert!(matches!(
            intake.begin_direct(&no_name).await,
            Err(IntakeError::InvalidField { field: "name", .. })
        ));
        assert!(blobs.list("").await.unwrap().is_empty());
        assert!(matches!(
            intake.complete_direct("never-begun").await,
            Err(IntakeError::UnknownUpload(_))
        ));
        assert!(matches!(
            intake.complete_direct("../x").await,
            Err(IntakeError::UnknownUpload(_))
        ));
    }

    #[tokio::test]
    async fn an_oversize_file_the_store_let_through_is_refused_and_removed() {
        let (intake, blobs, records, _) = intake();
        let d = intake.begin_direct(&request("a.jpg", 10)).await.unwrap();
        blobs
            .put(
                &incoming_key(&d.id),
                Bytes::from(vec![0xFF; 1001]),
                "image/jpeg",
            )
            .await
            .unwrap();
        assert!(matches!(
            intake.complete_direct(&d.id).await,
            Err(IntakeError::TooLarge { .. })
        ));
        assert!(blobs.list("").await.unwrap().is_empty());
        assert!(records.get(&d.id).await.unwrap().is_none());
    }
}
