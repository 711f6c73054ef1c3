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
        let spec = self.settings.video.clone();
        let limits = self.settings.limits;
        // ffmpeg kills itself at its own deadline; this one only backs it up
        let deadline = std::time::Duration::from_secs(spec.timeout_secs.saturating_add(30));
        let (made, mp4) = self
            .budget
            .run_within(
                "transcode",
                deadline,
                self.blobs.get(&input.raw_key),
                move |data| media::rendition::web_rendition_bytes(&data, &spec, &limits),
            )
            .await?;

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
