//! GenerateThumbnails: decode within the limits (a video's first frame, read by ffmpeg from
//! the raw file), write `thumbnails/{id}/{size}.jpg`.

use bytes::Bytes;

use super::{check_raw_key, MediaRef, Pipeline, ThumbnailsOutput};
use crate::error::{ErrorName, TaskError};
use crate::keys::thumbnail_key;
use crate::reel::{Status, ThumbnailRef};

impl Pipeline {
    pub async fn generate_thumbnails(
        &self,
        input: MediaRef,
    ) -> Result<ThumbnailsOutput, TaskError> {
        check_raw_key(&input.id, &input.raw_key)?;
        let sizes = self.settings.thumbnail_sizes.clone();
        let limits = self.settings.limits;
        let format = self.raw_format(&input.raw_key).await?;
        let thumbs = if format.kind() == media::MediaKind::Video {
            // ffmpeg decodes the first frame from the store's own file (or a streamed copy)
            self.on_raw_file(&input.raw_key, "thumbnails", true, move |path| {
                media::video_thumbnails(format, path, &sizes, &limits)
            })
            .await?
        } else {
            self.budget
                .run("thumbnails", self.blobs.get(&input.raw_key), move |data| {
                    media::thumbnails(&data, &sizes, &limits)
                })
                .await?
        };

        let mut refs = Vec::with_capacity(thumbs.len());
        for t in thumbs {
            let key = thumbnail_key(&input.id, t.size);
            let bytes = t.jpeg.len() as u64;
            self.blobs
                .put(&key, Bytes::from(t.jpeg), "image/jpeg")
                .await?;
            refs.push(ThumbnailRef {
                size: t.size,
                key,
                width: t.width,
                height: t.height,
                bytes,
            });
        }

        // A sibling branch may have failed while we decoded, and Cleanup may already have
        // marked the record FAILED and swept the prefix: then what we just wrote must go too,
        // or a FAILED record would leave thumbnails behind.
        if let Some(reel) = self.records.get(&input.id).await? {
            if reel.status == Status::Failed {
                for r in &refs {
                    self.blobs.delete(&r.key).await?;
                }
                return Err(TaskError::new(
                    ErrorName::RecordConflict,
                    format!("record {} is FAILED; thumbnails withdrawn", input.id),
                ));
            }
        }
        tracing::info!(id = %input.id, count = refs.len(), "thumbnails written");
        Ok(ThumbnailsOutput { thumbnails: refs })
    }
}
