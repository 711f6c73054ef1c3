//! TranscodeVideo: a video's web rendition (`renditions/{id}/web.mp4`, H.264/AAC faststart
//! MP4; remuxed when the original already is one within the limits). Runs only for videos
//! (the state machine's Choice on the validated kind).

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
        let format = self.raw_format(&input.raw_key).await?;
        if format.kind() != media::MediaKind::Video {
            return Err(TaskError::new(
                ErrorName::UnsupportedMediaType,
                format!("{} is not a video", format.mime()),
            ));
        }
        // ffmpeg reads the store's own file where there is one (a folder), else a copy;
        // the polyglot check is the sibling branches' (a rendition of a refused file is
        // removed by Cleanup)
        let source = self.blobs.local_file(&input.raw_key).await?;
        let path = source.path().to_owned();
        let out_dir = tempfile::Builder::new()
            .prefix("rendition-")
            .tempdir()
            .map_err(|e| {
                TaskError::new(
                    ErrorName::StorageUnavailable,
                    format!("temporary folder: {e}"),
                )
            })?;
        let output = out_dir.path().join("web.mp4");
        let prepared = {
            let (spec, path, output) = (spec.clone(), path.clone(), output.clone());
            self.budget
                .run_files("probe", deadline, false, move || {
                    media::rendition::prepare(format, &path, &output, &spec, &limits)
                })
                .await?
        };
        // a re-encode is heavy and waits for a decode slot; a remux copies packets beside them
        let made = {
            let output = output.clone();
            self.budget
                .run_files("transcode", deadline, prepared.encodes(), move || {
                    media::rendition::make(prepared, &path, &output, &spec, &limits)
                })
                .await?
        };
        drop(source);

        let key = rendition_key(&input.id);
        self.blobs.put_file(&key, &output, "video/mp4").await?;
        drop(out_dir);
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
