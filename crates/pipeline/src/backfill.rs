//! Backfill: a READY reel processed again with the current settings (thumbnail sizes,
//! metadata, and a video's web rendition), one item of the backfill state machine's distributed Map
//! (`statemachine/backfill.asl.json`). The new thumbnails (and a video's rendition,
//! `renditions/{id}/web.mp4`, with the current video settings) are written first, then the
//! record is refreshed with a conditional READY → READY write, then the thumbnails of sizes
//! no longer made are deleted, so the record never names an object storage doesn't hold.
//! A FAILED reel is reprocessed instead (`crate::reprocess`).

use serde::{Deserialize, Serialize};

use crate::error::{ErrorName, TaskError};
use crate::keys::thumbnail_prefix;
use crate::ports::Transition;
use crate::reel::{Status, VideoRef};
use crate::tasks::{MediaRef, Pipeline};

/// One backfill item: a reel id, or an object of the `raw/` listing (`Key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, rename = "Key", skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillOutput {
    pub id: String,
    /// the sizes the reel has now
    pub sizes: Vec<u32>,
    /// thumbnails of sizes no longer made, deleted
    pub removed: Vec<String>,
    /// a video's web rendition, made again
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoRef>,
}

impl BackfillItem {
    /// The reel id the item names (`raw/{id}/original.{ext}` for a listed object).
    pub fn reel_id(&self) -> Result<String, TaskError> {
        let id = match (&self.id, &self.key) {
            (Some(id), _) => id.clone(),
            (None, Some(key)) => key
                .strip_prefix("raw/")
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_default()
                .to_owned(),
            (None, None) => String::new(),
        };
        if crate::keys::is_valid_id(&id) {
            Ok(id)
        } else {
            Err(TaskError::new(
                ErrorName::InvalidPayload,
                format!("the backfill item {self:?} names no reel"),
            ))
        }
    }
}

impl Pipeline {
    /// Process the READY reel an item names again with the current settings.
    pub async fn backfill_reel(&self, item: BackfillItem) -> Result<BackfillOutput, TaskError> {
        let id = item.reel_id()?;
        let reel = self
            .records
            .get(&id)
            .await?
            .ok_or_else(|| TaskError::new(ErrorName::NotFound, format!("no reel {id}")))?;
        if reel.status != Status::Ready {
            return Err(TaskError::new(
                ErrorName::RecordConflict,
                format!(
                    "reel {id} is {}: a backfill processes READY reels (a FAILED one is reprocessed)",
                    reel.status
                ),
            ));
        }
        let media = MediaRef {
            id: id.clone(),
            raw_key: reel.raw_key.clone(),
            declared_type: None,
        };
        let is_video = reel.video.is_some()
            || reel
                .media_type
                .as_deref()
                .is_some_and(|m| m.starts_with("video/"));
        let thumbs = self.generate_thumbnails(media.clone()).await?;
        let metadata = self.extract_metadata(media.clone()).await?;
        let video = if is_video {
            Some(self.transcode_video(media).await?.video)
        } else {
            None
        };
        match self
            .records
            .refresh(
                &id,
                &thumbs.thumbnails,
                Some(&metadata.metadata),
                video.as_ref(),
            )
            .await?
        {
            Transition::Applied => {}
            Transition::Unchanged(status) => {
                return Err(TaskError::new(
                    ErrorName::RecordConflict,
                    format!("reel {id} became {status} during its backfill; left as it is"),
                ))
            }
        }
        let keep: Vec<&str> = thumbs.thumbnails.iter().map(|t| t.key.as_str()).collect();
        let mut removed = Vec::new();
        for key in self.blobs.list(&thumbnail_prefix(&id)).await? {
            if !keep.contains(&key.as_str()) {
                self.blobs.delete(&key).await?;
                removed.push(key);
            }
        }
        tracing::info!(id = %id, removed = removed.len(), video = video.is_some(), "reel backfilled");
        Ok(BackfillOutput {
            id,
            sizes: thumbs.thumbnails.iter().map(|t| t.size).collect(),
            removed,
            video,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_name_a_reel_by_id_or_raw_key() {
        let id = "01a22c22-ef25-7700-8524-041a58d4d92d";
        let by_key = BackfillItem {
            id: None,
            key: Some(format!("raw/{id}/original.jpg")),
        };
        assert_eq!(by_key.reel_id().unwrap(), id);
        let bad = BackfillItem {
            id: None,
            key: Some("thumbnails/x".into()),
        };
        assert!(bad.reel_id().is_err());
    }
}
