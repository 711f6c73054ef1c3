//! ExtractMetadata: dimensions, EXIF and container fields of the raw file.

use super::{check_raw_key, MediaRef, MetadataOutput, Pipeline};
use crate::error::{ErrorName, TaskError};

impl Pipeline {
    pub async fn extract_metadata(&self, input: MediaRef) -> Result<MetadataOutput, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        let data = self.blobs.get(&input.raw_key).await?;
        let limits = self.settings.limits;
        let meta = tokio::task::spawn_blocking(move || media::metadata(&data, &limits))
            .await
            .map_err(|e| {
                TaskError::new(ErrorName::CorruptMedia, format!("reader stopped: {e}"))
            })??;
        let metadata = serde_json::to_value(meta)
            .map_err(|e| TaskError::new(ErrorName::InvalidPayload, format!("metadata: {e}")))?;
        Ok(MetadataOutput { metadata })
    }
}
