//! What the raw upload really is, from its first bytes, for the tasks that treat a video
//! differently from a picture (a video is handed to ffmpeg as a file, never held in memory).

use super::Pipeline;
use crate::error::TaskError;

impl Pipeline {
    /// The raw object's real format (magic bytes of its first [`media::SNIFF_LEN`] bytes).
    pub(super) async fn raw_format(
        &self,
        raw_key: &str,
    ) -> Result<media::sniff::Format, TaskError> {
        let head = self.blobs.get_head(raw_key, media::SNIFF_LEN).await?;
        media::sniff::detect(&head).map_err(TaskError::from)
    }
}
