//! AWS adapters for the media-hub ports:
//!
//! - [`S3BlobStore`] (`BlobStore` over aws-sdk-s3): streamed multipart upload for large
//!   bodies (one part in memory at a time), ranged GET for `get_head`, presigned POST with
//!   size and content-type conditions for uploads larger than API Gateway carries.
//! - [`DynamoRecordStore`] (`RecordStore` over aws-sdk-dynamodb): conditional writes for the
//!   PROCESSING → READY | FAILED moves, consistent reads, newest-first listing through the
//!   `byStatus` global secondary index (partition `status`, sort `createdAt`).
//! - [`SfnWorkflowStarter`] (`WorkflowStarter` over aws-sdk-sfn): StartExecution named by the
//!   media id; an existing execution of that name means "already started".
//! - [`SfnExecutionLog`] (`ExecutionLog` over aws-sdk-sfn): the console's executions, their
//!   history events in the local log's shape, and the state machine's definition; with
//!   the Backfill state machine's ARN it starts backfill runs and reads them too.
//!
//! [`oplog`] (the cargo feature `oplog`, on in this crate's own tests only) records which SDK
//! operations a handler calls, for the tests that hold the template's IAM policies to them;
//! no Lambda binary carries it.
//!
//! Configuration comes from the standard AWS environment (credentials, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`) plus `MEDIA_BUCKET`, `REELS_TABLE`, `STATE_MACHINE_ARN` and
//! `BACKFILL_STATE_MACHINE_ARN` (see [`config::AwsSettings`]). Throttling, 5xx answers,
//! timeouts and dispatch failures become `StoreError::Unavailable` (the state machine
//! retries them as `StorageUnavailable`).

pub mod config;
pub mod dynamo;
mod error;
pub mod events;
pub mod item;
#[cfg(feature = "oplog")]
pub mod oplog;
pub mod presign;
pub mod s3;
pub mod seed;
pub mod sfn;
pub mod sfn_log;
mod sfn_merge;

#[cfg(feature = "lambda")]
pub mod invoke;
#[cfg(feature = "lambda")]
pub mod lambda;

pub use config::{AwsBackend, AwsSettings, ConfigError};
pub use dynamo::DynamoRecordStore;
pub use pipeline::PresignedPost;
pub use s3::S3BlobStore;
pub use sfn::SfnWorkflowStarter;
pub use sfn_log::SfnExecutionLog;
