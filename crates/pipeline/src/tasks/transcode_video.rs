//! TranscodeVideo: a video's web rendition (`renditions/{id}/web.mp4`, H.264/AAC faststart
//! MP4; remuxed when the original already is one within the limits). Runs only for videos
//! (the state machine's Choice on the validated kind).

use bytes::Bytes;

use super::{check_raw_key, MediaRef, Pipeline, VideoOutput};
use crate::error::{ErrorName, TaskError};
use crate::keys::rendition_key;
use crate::reel::{Status, VideoRef};

impl Pipeline {
    pub async fn transcode_video(&self, input: MediaRef) -> Result<VideoOutput, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        let data = self.blobs.get(&input.raw_key).await?;
        let spec = self.settings.video.clone();
        let limits = self.settings.limits;
        let (made, mp4) = tokio::task::spawn_blocking(move || {
            media::rendition::web_rendition_bytes(&data, &spec, &limits)
        })
        .await
        .map_err(|e| {
            TaskError::new(ErrorName::CorruptMedia, format!("transcoder stopped: {e}"))
        })??;

        let key = rendition_key(&input.id);
        self.blobs.put(&key, Bytes::from(mp4), "video/mp4").await?;
        // As for thumbnails: a sibling may have failed meanwhile and Cleanup swept already;
        // then the rendition goes too, or a FAILED record would leave it behind.
        if let Some(reel) = self.records.get(&input.id).await? {
            if reel.status == Status::Failed {
                self.blobs.delete(&key).await?;
                return Err(TaskError::new(
                    ErrorName::RecordConflict,
                    format!("record {} is FAILED; rendition withdrawn", input.id),
                ));
            }
        }
        tracing::info!(
            id = %input.id,
            width = made.width,
            height = made.height,
            bytes = made.bytes,
            transcoded = made.transcoded,
            "rendition written"
        );
        Ok(VideoOutput {
            video: VideoRef {
                key,
                width: made.width,
                height: made.height,
                duration: made.duration,
                bytes: made.bytes,
                codec: made.codec,
                transcoded: made.transcoded,
            },
        })
    }
}
