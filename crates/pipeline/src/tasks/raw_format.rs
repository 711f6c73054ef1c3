//! What the raw upload really is, from its first bytes, for the tasks that treat a video
//! differently from a picture (a video is handed to ffmpeg as a file, never held in memory).

use std::path::Path;

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

    /// Run `work` on the raw object as a file (the store's own, or a streamed copy, removed
    /// afterwards) on a blocking thread under the budget's deadline; with `slot`, it first
    /// takes a decode slot.
    pub(super) async fn on_raw_file<T, F>(
        &self,
        raw_key: &str,
        what: &'static str,
        slot: bool,
        work: F,
    ) -> Result<T, TaskError>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> Result<T, media::MediaError> + Send + 'static,
    {
        let source = self.blobs.local_file(raw_key).await?;
        let path = source.path().to_owned();
        let out = self
            .budget
            .run_files(what, self.budget.deadline(), slot, move || work(&path))
            .await;
        drop(source);
        out
    }
}
