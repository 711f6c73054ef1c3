//! ExtractMetadata: dimensions, EXIF and container fields of the raw file.

use super::{check_raw_key, MediaRef, MetadataOutput, Pipeline};
use crate::error::{ErrorName, TaskError};

impl Pipeline {
    pub async fn extract_metadata(&self, input: MediaRef) -> Result<MetadataOutput, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        let limits = self.settings.limits;
        let meta = self
            .budget
            .run("metadata", self.blobs.get(&input.raw_key), move |data| {
                media::metadata(&data, &limits)
            })
            .await?;
        let metadata = serde_json::to_value(meta)
            .map_err(|e| TaskError::new(ErrorName::InvalidPayload, format!("metadata: {e}")))?;
        Ok(MetadataOutput { metadata })
    }
}
