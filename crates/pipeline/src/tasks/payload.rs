//! The JSON each task receives and returns (the Lambda payloads of the state machine).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::reel::{ThumbnailRef, VideoRef};

/// Input of ValidateFileType, GenerateThumbnails, ExtractMetadata: the execution input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaRef {
    pub id: String,
    pub raw_key: String,
    /// the type the client claimed (from its filename or part type); checked, never trusted
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_type: Option<String>,
}

/// What ValidateFileType found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validated {
    pub media_type: String,
    pub kind: media::MediaKind,
    pub ext: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThumbnailsOutput {
    pub thumbnails: Vec<ThumbnailRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetadataOutput {
    pub metadata: Value,
}

/// What TranscodeVideo made: the web rendition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoOutput {
    pub video: VideoRef,
}

/// Input of CommitRecord: the execution input plus what the earlier states produced.
/// `processed` is the Parallel's output, one object per branch; their keys are merged,
/// so a branch removed from the definition simply contributes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInput {
    pub id: String,
    pub validated: Validated,
    #[serde(default)]
    pub processed: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitOutput {
    pub id: String,
    pub status: crate::reel::Status,
    /// false when the record was READY already (a repeated commit changes nothing)
    pub changed: bool,
}

/// The caught error, as a Catch with `ResultPath: "$.error"` leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupInput {
    pub id: String,
    pub raw_key: String,
    pub error: CaughtError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupOutput {
    pub id: String,
    /// the record's status after the cleanup; `null` when there is no record of that id
    /// (the objects were still swept)
    pub status: Option<crate::reel::Status>,
    pub deleted: Vec<String>,
    pub raw_deleted: bool,
    pub changed: bool,
}
