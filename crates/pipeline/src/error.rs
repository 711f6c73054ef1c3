//! The error names tasks report (the Lambda `errorType`, matched by `ErrorEquals`).

use serde::{Deserialize, Serialize};

use crate::ports::StoreError;

/// docs/design.md's error names, plus the few that mean a bug or a broken request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorName {
    /// Rejection: the file is not a type we accept.
    UnsupportedMediaType,
    /// Rejection: the file claims a type but does not decode.
    CorruptMedia,
    /// Rejection: the file exceeds a limit.
    MediaTooLarge,
    /// Rejection: a video longer than the duration limit (3 minutes by default).
    MediaTooLong,
    /// Rejection by a moderator (moderation on): `SendTaskFailure` with this error and the
    /// reason as cause, or the timeout policy `reject`. The reel ends REJECTED.
    Rejected,
    /// Transient: storage could not be reached; retried by the state machine.
    StorageUnavailable,
    /// Deployment: a codec the function loads at run time (libheif) is missing, so the
    /// file could not be judged. Not a rejection: the raw file is kept for a reprocess
    /// once the codec is deployed. Not retried either (a retry finds the same image).
    CodecUnavailable,
    /// A codec run (ffmpeg) did not finish within its deadline. Not a rejection (the machine
    /// may have been busy; the raw file is kept for a reprocess) and not retried (a retry of
    /// the same long work would most likely time out again).
    ProcessingTimeout,
    /// A bug: a decoder panicked. Not the file's fault and not retried (the same input
    /// would panic again); the raw file is kept for a reprocess once it is fixed.
    InternalError,
    /// The task payload does not have the expected shape.
    InvalidPayload,
    /// The record or object the payload names does not exist.
    NotFound,
    /// The record is in a state the task cannot move it from.
    RecordConflict,
}

impl ErrorName {
    /// Every name a task reports (docs/design.md, "Contracts").
    pub const ALL: [ErrorName; 12] = [
        ErrorName::UnsupportedMediaType,
        ErrorName::CorruptMedia,
        ErrorName::MediaTooLarge,
        ErrorName::MediaTooLong,
        ErrorName::Rejected,
        ErrorName::StorageUnavailable,
        ErrorName::CodecUnavailable,
        ErrorName::ProcessingTimeout,
        ErrorName::InternalError,
        ErrorName::InvalidPayload,
        ErrorName::NotFound,
        ErrorName::RecordConflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorName::UnsupportedMediaType => "UnsupportedMediaType",
            ErrorName::CorruptMedia => "CorruptMedia",
            ErrorName::MediaTooLarge => "MediaTooLarge",
            ErrorName::MediaTooLong => "MediaTooLong",
            ErrorName::Rejected => "Rejected",
            ErrorName::StorageUnavailable => "StorageUnavailable",
            ErrorName::CodecUnavailable => "CodecUnavailable",
            ErrorName::ProcessingTimeout => "ProcessingTimeout",
            ErrorName::InternalError => "InternalError",
            ErrorName::InvalidPayload => "InvalidPayload",
            ErrorName::NotFound => "NotFound",
            ErrorName::RecordConflict => "RecordConflict",
        }
    }

    pub fn parse(name: &str) -> Option<ErrorName> {
        ErrorName::ALL.into_iter().find(|n| n.as_str() == name)
    }

    /// A rejection is about the file itself: retrying cannot help and the raw file goes.
    pub fn is_rejection(self) -> bool {
        matches!(
            self,
            ErrorName::UnsupportedMediaType
                | ErrorName::CorruptMedia
                | ErrorName::MediaTooLarge
                | ErrorName::MediaTooLong
                | ErrorName::Rejected
        )
    }
}

impl std::fmt::Display for ErrorName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's failure: `name` becomes the Lambda `errorType`, `message` its `errorMessage`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct TaskError {
    pub name: ErrorName,
    pub message: String,
}

impl TaskError {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
        TaskError {
            name,
            message: message.into(),
        }
    }
}

impl From<media::MediaError> for TaskError {
    fn from(e: media::MediaError) -> Self {
        let name = match e {
            media::MediaError::Unsupported(_) => ErrorName::UnsupportedMediaType,
            media::MediaError::Corrupt(_) => ErrorName::CorruptMedia,
            media::MediaError::TooLarge(_) => ErrorName::MediaTooLarge,
            media::MediaError::TooLong(_) => ErrorName::MediaTooLong,
            media::MediaError::TimedOut(_) => ErrorName::ProcessingTimeout,
            media::MediaError::CodecUnavailable { .. } => ErrorName::CodecUnavailable,
            media::MediaError::Io(_) => ErrorName::StorageUnavailable,
            media::MediaError::Internal(_) => ErrorName::InternalError,
        };
        TaskError::new(name, e.to_string())
    }
}

impl From<StoreError> for TaskError {
    fn from(e: StoreError) -> Self {
        let name = match &e {
            StoreError::NotFound(_) => ErrorName::NotFound,
            StoreError::AlreadyExists(_) => ErrorName::RecordConflict,
            StoreError::TooLarge { .. } => ErrorName::MediaTooLarge,
            StoreError::Unavailable(_) => ErrorName::StorageUnavailable,
            StoreError::Invalid(_) => ErrorName::InvalidPayload,
        };
        TaskError::new(name, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_classify() {
        for n in ErrorName::ALL {
            assert_eq!(ErrorName::parse(n.as_str()), Some(n));
        }
        assert!(ErrorName::CorruptMedia.is_rejection());
        assert!(!ErrorName::StorageUnavailable.is_rejection());
        assert!(!ErrorName::CodecUnavailable.is_rejection());
        assert!(ErrorName::MediaTooLong.is_rejection());
        assert!(!ErrorName::ProcessingTimeout.is_rejection());
        assert!(!ErrorName::InternalError.is_rejection());
        assert_eq!(ErrorName::parse("States.Timeout"), None);
    }

    #[test]
    fn media_errors_map_to_design_names() {
        let e: TaskError = media::MediaError::TooLarge("60000 px".into()).into();
        assert_eq!(e.name, ErrorName::MediaTooLarge);
        let e: TaskError = media::MediaError::CodecUnavailable {
            codec: "libheif",
            reason: "libheif.so.1: cannot open shared object file".into(),
        }
        .into();
        assert_eq!(e.name, ErrorName::CodecUnavailable);
        assert_eq!(e.name.as_str(), "CodecUnavailable");
        assert!(!e.name.is_rejection());
        assert!(
            e.message.starts_with("libheif is unavailable: "),
            "{}",
            e.message
        );
        let e: TaskError = media::MediaError::TooLong("240 s".into()).into();
        assert_eq!(e.name, ErrorName::MediaTooLong);
        let e: TaskError = media::MediaError::TimedOut("ffmpeg".into()).into();
        assert_eq!(e.name, ErrorName::ProcessingTimeout);
        let e: TaskError = StoreError::Unavailable("disk".into()).into();
        assert_eq!(e.name, ErrorName::StorageUnavailable);
        // what is not the file's fault is never a rejection
        for (m, name) in [
            (
                media::MediaError::Io("tmp".into()),
                ErrorName::StorageUnavailable,
            ),
            (
                media::MediaError::TimedOut("ffmpeg".into()),
                ErrorName::ProcessingTimeout,
            ),
            (
                media::MediaError::Internal("panic".into()),
                ErrorName::InternalError,
            ),
        ] {
            assert_eq!(m.name(), name.as_str());
            let e: TaskError = m.into();
            assert_eq!(e.name, name);
            assert!(!e.name.is_rejection());
        }
    }
}
