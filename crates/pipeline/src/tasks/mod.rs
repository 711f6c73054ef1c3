//! The task handlers the state machine calls, one module each, and the dispatch from a
//! task name to its handler (used by the local interpreter, `media-hub invoke` and the
//! Lambda binaries alike).

mod cleanup;
mod commit;
mod extract_metadata;
mod generate_thumbnails;
mod payload;
mod raw_format;
mod transcode_video;
mod validate_type;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::budget::DecodeBudget;
use crate::error::{ErrorName, TaskError};
use crate::ports::{BlobStore, RecordStore};
use crate::settings::Settings;

pub use payload::*;

/// The task functions of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    ValidateType,
    GenerateThumbnails,
    ExtractMetadata,
    TranscodeVideo,
    CommitRecord,
    Cleanup,
    /// moderation: keep an AwaitModeration task's token on the record, or publish the reel
    Moderation,
}

impl Task {
    pub const ALL: [Task; 7] = [
        Task::ValidateType,
        Task::GenerateThumbnails,
        Task::ExtractMetadata,
        Task::TranscodeVideo,
        Task::CommitRecord,
        Task::Cleanup,
        Task::Moderation,
    ];

    /// Whether the task decodes or transcodes (takes the decode budget's slots), so a
    /// runner admits it through [`crate::budget::DecodeBudget::admit`].
    pub fn decodes(self) -> bool {
        matches!(
            self,
            Task::GenerateThumbnails | Task::ExtractMetadata | Task::TranscodeVideo
        )
    }

    /// The function's name: its folder under `functions/` and its `media-hub invoke` name.
    pub fn function_name(self) -> &'static str {
        match self {
            Task::ValidateType => "validate-type",
            Task::GenerateThumbnails => "generate-thumbnails",
            Task::ExtractMetadata => "extract-metadata",
            Task::TranscodeVideo => "transcode-video",
            Task::CommitRecord => "commit-record",
            Task::Cleanup => "cleanup",
            Task::Moderation => "moderation",
        }
    }

    /// The ASL placeholder SAM fills with the function's ARN (`${ValidateTypeFunctionArn}`).
    pub fn arn_placeholder(self) -> &'static str {
        match self {
            Task::ValidateType => "ValidateTypeFunctionArn",
            Task::GenerateThumbnails => "GenerateThumbnailsFunctionArn",
            Task::ExtractMetadata => "ExtractMetadataFunctionArn",
            Task::TranscodeVideo => "TranscodeVideoFunctionArn",
            Task::CommitRecord => "CommitRecordFunctionArn",
            Task::Cleanup => "CleanupFunctionArn",
            Task::Moderation => "ModerationFunctionArn",
        }
    }

    pub fn from_function_name(name: &str) -> Option<Task> {
        Task::ALL.into_iter().find(|t| t.function_name() == name)
    }

    /// Accepts `${ValidateTypeFunctionArn}`, `ValidateTypeFunctionArn`, or an ARN / name
    /// ending in the function name (`...:function:media-hub-validate-type`).
    pub fn from_function_ref(reference: &str) -> Option<Task> {
        let bare = reference
            .trim()
            .trim_start_matches("${")
            .trim_end_matches('}');
        Task::ALL.into_iter().find(|t| {
            bare == t.arn_placeholder()
                || bare == t.function_name()
                || bare.ends_with(&format!("-{}", t.function_name()))
                || bare.ends_with(&format!(":{}", t.function_name()))
        })
    }
}

/// The handlers over their ports.
#[derive(Clone)]
pub struct Pipeline {
    pub blobs: Arc<dyn BlobStore>,
    pub records: Arc<dyn RecordStore>,
    pub settings: Arc<Settings>,
    /// Every decode and transcode takes a slot of this budget (shared by all executions
    /// of the process).
    pub budget: Arc<DecodeBudget>,
}

impl Pipeline {
    pub fn new(
        blobs: Arc<dyn BlobStore>,
        records: Arc<dyn RecordStore>,
        settings: Settings,
    ) -> Self {
        Pipeline {
            blobs,
            records,
            budget: Arc::new(DecodeBudget::from_settings(&settings)),
            settings: Arc::new(settings),
        }
    }

    /// Run one task on a JSON payload, as a Lambda would receive it.
    pub async fn dispatch(&self, task: Task, payload: Value) -> Result<Value, TaskError> {
        let span = tracing::info_span!("task", task = task.function_name());
        let _enter = span.enter();
        match task {
            Task::ValidateType => respond(self.validate_type(parse(payload)?).await),
            Task::GenerateThumbnails => respond(self.generate_thumbnails(parse(payload)?).await),
            Task::ExtractMetadata => respond(self.extract_metadata(parse(payload)?).await),
            Task::TranscodeVideo => respond(self.transcode_video(parse(payload)?).await),
            Task::CommitRecord => respond(self.commit_record(parse(payload)?).await),
            Task::Cleanup => respond(self.cleanup(parse(payload)?).await),
            Task::Moderation => respond(self.moderation(parse(payload)?).await),
        }
    }
}

fn parse<T: DeserializeOwned>(payload: Value) -> Result<T, TaskError> {
    serde_json::from_value(payload)
        .map_err(|e| TaskError::new(ErrorName::InvalidPayload, format!("payload: {e}")))
}

fn respond<T: Serialize>(result: Result<T, TaskError>) -> Result<Value, TaskError> {
    let out = result?;
    serde_json::to_value(out)
        .map_err(|e| TaskError::new(ErrorName::InvalidPayload, format!("response: {e}")))
}

/// Refuse ids that are not ours before they reach a key or a query.
pub(crate) fn check_id(id: &str) -> Result<(), TaskError> {
    if crate::keys::is_valid_id(id) {
        Ok(())
    } else {
        Err(TaskError::new(
            ErrorName::InvalidPayload,
            format!("invalid media id {id:?}"),
        ))
    }
}

/// The raw key must be this id's, so a payload cannot point a task at another object.
fn check_raw_key(id: &str, raw_key: &str) -> Result<(), TaskError> {
    check_id(id)?;
    let prefix = crate::keys::raw_prefix(id);
    let rest = raw_key.strip_prefix(&prefix).unwrap_or("");
    if rest.starts_with("original.") && !rest.contains('/') {
        Ok(())
    } else {
        Err(TaskError::new(
            ErrorName::InvalidPayload,
            format!("rawKey {raw_key:?} is not under {prefix}"),
        ))
    }
}

#[cfg(test)]
pub(crate) mod testkit;
