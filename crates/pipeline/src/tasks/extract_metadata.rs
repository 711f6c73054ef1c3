//! ExtractMetadata: dimensions, EXIF and container fields of the raw file (a video's by
//! ffprobe on the file itself).

use super::{check_raw_key, MediaRef, MetadataOutput, Pipeline};
use crate::error::{ErrorName, TaskError};

impl Pipeline {
    pub async fn extract_metadata(&self, input: MediaRef) -> Result<MetadataOutput, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        let limits = self.settings.limits;
        let format = self.raw_format(&input.raw_key).await?;
        let meta = if format.kind() == media::MediaKind::Video {
            // ffprobe reads the store's own file (or a streamed copy); a probe takes no slot
            self.on_raw_file(&input.raw_key, "metadata", false, move |path| {
                media::video_metadata(format, path, &limits)
            })
            .await?
        } else {
            self.budget
                .run("metadata", self.blobs.get(&input.raw_key), move |data| {
                    media::metadata(&data, &limits)
                })
                .await?
        };
        let metadata = serde_json::to_value(meta)
            .map_err(|e| TaskError::new(ErrorName::InvalidPayload, format!("metadata: {e}")))?;
        Ok(MetadataOutput { metadata })
    }
}
