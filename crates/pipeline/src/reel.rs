//! The `reels` record and the values that move it through its states.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `PROCESSING` → `READY` | `FAILED`; with moderation, a READY reel still `pending` may end
/// `REJECTED` (its objects removed, the reason as `cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Processing,
    Ready,
    Failed,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Processing => "PROCESSING",
            Status::Ready => "READY",
            Status::Failed => "FAILED",
            Status::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s.to_ascii_uppercase().as_str() {
            "PROCESSING" => Some(Status::Processing),
            "READY" => Some(Status::Ready),
            "FAILED" => Some(Status::Failed),
            "REJECTED" => Some(Status::Rejected),
            _ => None,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may see a reel: `public` (the default, and every record written before moderation
/// existed) or `pending` (moderation is on and no moderator approved it yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Pending,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Pending => "pending",
        }
    }
}

/// One stored thumbnail, as the record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbnailRef {
    pub size: u32,
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// A video's web rendition, as the record names it (`renditions/{id}/web.mp4`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoRef {
    pub key: String,
    /// displayed size (the rendition carries no rotation)
    pub width: u32,
    pub height: u32,
    /// seconds
    pub duration: f64,
    pub bytes: u64,
    /// `h264`
    pub codec: String,
    /// false when the original was remuxed as it is (the fast path)
    pub transcoded: bool,
}

/// A `reels` record (partition key `id`). Field names are docs/design.md's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reel {
    pub id: String,
    pub name: String,
    pub caption: String,
    pub status: Status,
    /// `public`, or `pending` while a moderator has not approved it (moderation on)
    #[serde(default)]
    pub visibility: Visibility,
    /// the task token of the AwaitModeration task waiting for a moderator (never shown to
    /// the public; cleared by the decision)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation_token: Option<String>,
    /// mime from magic bytes; `None` until known
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub size: u64,
    pub original_filename: String,
    /// the type the client claimed (filename extension or part type) when it had one; the
    /// sniffed `mediaType` decides, this only records the claim
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_type: Option<String>,
    /// SHA-256 (hex) of the delete token handed to the uploader; never the token itself
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_token_hash: Option<String>,
    pub raw_key: String,
    #[serde(default)]
    pub thumbnails: Vec<ThumbnailRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// a video's web rendition, once READY
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    /// RFC 3339
    pub created_at: String,
    pub updated_at: String,
}

/// The terminal state a task moves a PROCESSING record to.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Ready {
        media_type: String,
        size: u64,
        thumbnails: Vec<ThumbnailRef>,
        metadata: Option<Value>,
        video: Option<VideoRef>,
    },
    Failed {
        error: String,
        cause: String,
    },
}

impl Completion {
    pub fn status(&self) -> Status {
        match self {
            Completion::Ready { .. } => Status::Ready,
            Completion::Failed { .. } => Status::Failed,
        }
    }

    /// Apply the completion to a record in memory (the stores that rewrite the whole
    /// record: SQLite, tests), with the same condition as DynamoDB's: PROCESSING. `now` is
    /// the new `updatedAt`.
    pub fn apply(&self, reel: &mut Reel, now: &str) -> crate::ports::Transition {
        if reel.status != Status::Processing {
            return crate::ports::Transition::Unchanged(reel.status);
        }
        match self {
            Completion::Ready {
                media_type,
                size,
                thumbnails,
                metadata,
                video,
            } => {
                reel.media_type = Some(media_type.clone());
                reel.size = *size;
                reel.thumbnails = thumbnails.clone();
                reel.metadata = metadata.clone();
                reel.video = video.clone();
            }
            Completion::Failed { error, cause } => {
                reel.error = Some(error.clone());
                reel.cause = Some(cause.clone());
            }
        }
        reel.status = self.status();
        reel.updated_at = now.to_owned();
        crate::ports::Transition::Applied
    }
}

/// The execution input: small JSON naming the upload, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionInput {
    pub id: String,
    pub raw_key: String,
    /// the type the client claimed; ValidateFileType checks it against the magic bytes
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_type: Option<String>,
    /// present when the reel waits for a moderator after CommitRecord (the state machine's
    /// `ModerationOn` Choice); absent: it is published as it is
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation: Option<crate::moderation::ModerationInput>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_serialises_as_design_says() {
        assert_eq!(
            serde_json::to_string(&Status::Processing).unwrap(),
            "\"PROCESSING\""
        );
        assert_eq!(Status::parse("ready"), Some(Status::Ready));
        assert_eq!(Status::parse("nope"), None);
    }
}
