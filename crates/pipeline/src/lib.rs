//! The media-hub domain: reel records, the error names of docs/design.md, the ports (blob store,
//! record store, workflow starter) and the task handlers the state machine calls. Adapters
//! live elsewhere (`local`, `aws`); this crate never imports an AWS SDK, axum or SQLite.

pub mod backfill;
pub mod blob_files;
pub mod budget;
pub mod cursor;
pub mod declared;
pub mod direct;
pub mod error;
pub mod intake;
pub mod keys;
pub mod metrics;
pub mod moderation;
pub mod ports;
pub mod reconcile;
pub mod reel;
pub mod removal;
pub mod reprocess;
pub mod settings;
pub mod tasks;

pub use cursor::{Cursor, Direction};
pub use error::{ErrorName, TaskError};
pub use moderation::{ModerationInput, ModerationSettings, Review, TimeoutPolicy};
pub use ports::{
    BlobStore, BlobStream, ExecutionError, ExecutionLog, ExecutionPage, ExecutionQuery,
    ExecutionSummary, ListQuery, ObjectInfo, PostConditions, PresignedPost, RecordStore, Started,
    StateTest, StoreError, Transition, UploadSigner, WorkflowStarter, EXECUTION_STATUSES,
};
pub use reel::{Completion, ExecutionInput, Reel, Status, ThumbnailRef, VideoRef, Visibility};
pub use settings::Settings;
pub use tasks::{Pipeline, Task};
