//! ValidateFileType: the real type from the magic bytes and the size limit. What the client
//! declared (its filename's extension or part type) does not decide anything: supported
//! media with a lying name go on under their real type (the record keeps the claim as
//! `declaredType`); a disagreement is only logged.

use super::{check_raw_key, MediaRef, Pipeline, Validated};
use crate::declared::{declared_matches, DeclaredType};
use crate::error::{ErrorName, TaskError};

impl Pipeline {
    pub async fn validate_type(&self, input: MediaRef) -> Result<Validated, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        let size = self.blobs.size(&input.raw_key).await?.ok_or_else(|| {
            TaskError::new(ErrorName::NotFound, format!("no object {}", input.raw_key))
        })?;
        let limit = self.settings.max_upload_bytes;
        if size > limit {
            return Err(TaskError::new(
                ErrorName::MediaTooLarge,
                format!("{size} bytes is over the limit of {limit} bytes"),
            ));
        }
        if size == 0 {
            return Err(TaskError::new(
                ErrorName::UnsupportedMediaType,
                "the file is empty",
            ));
        }
        let head = self
            .blobs
            .get_head(&input.raw_key, media::SNIFF_LEN)
            .await?;
        let sniffed = media::sniff(&head)?;
        if let Some(declared) = input
            .declared_type
            .as_deref()
            .and_then(DeclaredType::from_mime)
        {
            if !declared_matches(declared, &sniffed.mime) {
                tracing::info!(
                    id = %input.id,
                    declared = declared.mime(),
                    real = %sniffed.mime,
                    "declared type differs: going on under the real type"
                );
            }
        }
        tracing::info!(id = %input.id, mime = %sniffed.mime, size, "validated");
        Ok(Validated {
            media_type: sniffed.mime,
            kind: sniffed.kind,
            ext: sniffed.ext,
            size,
        })
    }
}
