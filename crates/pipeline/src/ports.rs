//! The ports: what the domain needs from storage and from the workflow engine. Each has
//! a local adapter (`local` crate) and an AWS adapter (`aws` crate).

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;

use crate::reel::{Completion, ExecutionInput, Reel, Status};

/// Storage and engine failures, classified by what the caller can do about them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// transient: retrying may succeed
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

/// A body streamed into the blob store, chunk by chunk. It may borrow from the request
/// it comes from (a multipart field), hence the lifetime.
pub type BlobStream<'a> =
    Pin<Box<dyn futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'a>>;

/// An object's size and validators, for conditional and ranged GETs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    /// a strong validator, quoted (`"…"`), when the store has one
    pub etag: Option<String>,
    pub last_modified: Option<std::time::SystemTime>,
}

/// Where raw uploads, thumbnails and renditions live (a folder, an S3 bucket).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Store a small object whole.
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError>;

    /// Stream an object in without holding it whole in memory. Past `max_bytes` the write
    /// is abandoned, nothing is left under `key`, and the result is `TooLarge`.
    async fn put_stream(
        &self,
        key: &str,
        body: BlobStream<'_>,
        content_type: &str,
        max_bytes: u64,
    ) -> Result<u64, StoreError>;

    /// The whole object.
    async fn get(&self, key: &str) -> Result<Bytes, StoreError>;

    /// At most the first `len` bytes of the object.
    async fn get_head(&self, key: &str, len: usize) -> Result<Bytes, StoreError>;

    /// The object's size, or `None` when it does not exist.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError>;

    /// The object's size and validators, or `None` when it does not exist. Stores without
    /// validators report the size alone.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        Ok(self.size(key).await?.map(|size| ObjectInfo {
            size,
            etag: None,
            last_modified: None,
        }))
    }

    /// `len` bytes of the object from `start` (both within its size), streamed, so a
    /// large rendition is never held whole. The default reads the whole object.
    async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> Result<BlobStream<'static>, StoreError> {
        let all = self.get(key).await?;
        let from = usize::try_from(start).unwrap_or(usize::MAX).min(all.len());
        let to = from
            .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
            .min(all.len());
        let part = all.slice(from..to);
        Ok(Box::pin(futures_util::stream::once(async move {
            Ok::<_, std::io::Error>(part)
        })))
    }

    /// The object as a file on this machine, for tools that read files (ffmpeg). A store
    /// that keeps objects as files hands out its own (read only); the default streams a
    /// temporary copy, removed when the result is dropped.
    async fn local_file(&self, key: &str) -> Result<crate::blob_files::LocalFile, StoreError> {
        crate::blob_files::copy_to_temp(self, key).await
    }

    /// Store the file at `path` under `key`, streamed (never held whole in memory).
    async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<u64, StoreError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
        self.put_stream(
            key,
            crate::blob_files::file_stream(file),
            content_type,
            u64::MAX,
        )
        .await
    }

    /// Copy an object within the store (server-side where the store can), setting the
    /// copy's content type. `NotFound` when `from` does not exist.
    async fn copy(&self, from: &str, to: &str, content_type: &str) -> Result<(), StoreError>;

    /// Remove an object; removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Keys under a prefix, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Remove what interrupted writes left behind (the folder's `.tmp-*` files) that is
    /// older than `older_than`; returns how many. Stores whose writes are atomic (S3,
    /// where a lifecycle rule aborts incomplete multipart uploads) have nothing to sweep.
    async fn sweep_partial_writes(
        &self,
        _older_than: std::time::Duration,
    ) -> Result<usize, StoreError> {
        Ok(0)
    }
}

/// The result of a conditional move out of PROCESSING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The record was PROCESSING and now has the new state.
    Applied,
    /// The record was not PROCESSING; nothing changed. Carries its current status.
    Unchanged(Status),
}

/// Filter for listing records.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub limit: usize,
    /// only records created strictly before this RFC 3339 time. Time alone skips records
    /// created in the same millisecond: page with `cursor` instead.
    pub before: Option<String>,
    /// only records strictly older (or newer) than one record by `(createdAt, id)`
    pub cursor: Option<crate::cursor::Cursor>,
    /// only records of this visibility (the public lists: READY and `public`)
    pub visibility: Option<crate::reel::Visibility>,
}

/// The `reels` table.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Write a new record; `AlreadyExists` if the id is taken.
    async fn create(&self, reel: &Reel) -> Result<(), StoreError>;

    /// A consistent read of one record.
    async fn get(&self, id: &str) -> Result<Option<Reel>, StoreError>;

    /// Records newest first, by `(createdAt, id)` descending. With a `Newer` cursor: the
    /// `limit` records just newer than it, still returned newest first.
    async fn list(&self, query: &ListQuery) -> Result<Vec<Reel>, StoreError>;

    /// Remove a record; `true` when it existed. Removing a missing record is not an error.
    async fn delete(&self, id: &str) -> Result<bool, StoreError>;

    /// Remember the execution that processes a record.
    async fn set_execution_arn(&self, id: &str, arn: &str) -> Result<(), StoreError>;

    /// Conditional write: PROCESSING → READY | FAILED. Any other current state is left as it is.
    async fn complete(&self, id: &str, completion: &Completion) -> Result<Transition, StoreError>;

    /// Conditional write for a reprocess: FAILED → PROCESSING, the error and cause cleared.
    /// Any other current state is left as it is; a missing record is `NotFound`.
    async fn reopen(&self, id: &str) -> Result<Transition, StoreError> {
        Err(StoreError::Invalid(format!(
            "this record store cannot reopen {id} for a reprocess"
        )))
    }

    /// Conditional write for a backfill: a READY record gets new thumbnails, metadata and
    /// (a video) its rendition, and stays READY. Any other current state is left as it is;
    /// a missing record is `NotFound`.
    async fn refresh(
        &self,
        id: &str,
        _thumbnails: &[crate::reel::ThumbnailRef],
        _metadata: Option<&Value>,
        _video: Option<&crate::reel::VideoRef>,
    ) -> Result<Transition, StoreError> {
        Err(StoreError::Invalid(format!(
            "this record store cannot refresh {id} for a backfill"
        )))
    }

    /// Conditional write for moderation: a READY record still `pending` takes the review
    /// (keeps a task token, goes public, or ends REJECTED naming no object). Any other
    /// current state is left as it is (`Unchanged` with its status: `READY` then means
    /// public already); a missing record is `NotFound`.
    async fn review(
        &self,
        id: &str,
        _review: &crate::moderation::Review,
    ) -> Result<Transition, StoreError> {
        Err(StoreError::Invalid(format!(
            "this record store cannot moderate {id}"
        )))
    }
}

/// A started (or already running) workflow execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub execution_arn: String,
    /// true when an execution of that name existed already: nothing new was started
    pub already_started: bool,
}

/// Starts the state machine for an upload; the execution name is the media id.
#[async_trait]
pub trait WorkflowStarter: Send + Sync {
    async fn start(&self, input: &ExecutionInput) -> Result<Started, StoreError>;

    /// Start the id's execution again even though one of that name has ended (a reel left
    /// PROCESSING, a reprocess). A live execution is left alone (`already_started`).
    /// Engines that never reuse a name override this; the default is [`Self::start`].
    async fn restart(&self, input: &ExecutionInput) -> Result<Started, StoreError> {
        self.start(input).await
    }

    /// Executions in flight in this process (running or waiting for the decode budget),
    /// when the engine runs them here; `None` for a remote engine (Step Functions).
    fn in_flight(&self) -> Option<usize> {
        None
    }
}

/// The conditions a presigned POST binds: exactly this key and content type, a size range,
/// and an expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostConditions {
    pub key: String,
    pub content_type: String,
    pub min_bytes: u64,
    pub max_bytes: u64,
    pub expires_in: std::time::Duration,
}

/// What a browser needs to upload straight to the blob store: POST a multipart form to
/// `url` with every one of `fields` first and the file last, in a part named `file`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresignedPost {
    pub url: String,
    pub fields: std::collections::BTreeMap<String, String>,
    /// RFC 3339
    pub expires_at: String,
}

/// Issues presigned POSTs, so files larger than the API can carry go straight to the blob
/// store, bounded by what was signed. S3 checks its own policies; a store that is not S3
/// (the folder) also checks the forms posted to its stand-in endpoint.
#[async_trait]
pub trait UploadSigner: Send + Sync {
    async fn presign_post(&self, conditions: &PostConditions) -> Result<PresignedPost, StoreError>;

    /// The origin (`scheme://host[:port]`) browsers send presigned uploads to and load
    /// presigned media from, when it is not the API's own: the pages' Content-Security-Policy
    /// allows it. `None` for a same-origin stand-in.
    fn browser_origin(&self) -> Option<String> {
        None
    }

    /// A short-lived URL from which a browser GETs `key` straight from the store (which
    /// answers ranges and validators itself), or `None` to serve it through the API. On AWS
    /// a video rendition cannot pass through the API (Lambda's 6 MB response limit).
    async fn presign_get(
        &self,
        _key: &str,
        _expires_in: std::time::Duration,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    /// Check the fields of a form posted to the local stand-in for the bucket (signature,
    /// expiry) and return the conditions they were signed with. Stores that check their
    /// own policies (S3) never receive such a form and refuse.
    fn verify_post(
        &self,
        _fields: &std::collections::BTreeMap<String, String>,
    ) -> Result<PostConditions, StoreError> {
        Err(StoreError::Invalid(
            "this store checks its presigned POSTs itself".into(),
        ))
    }
}

/// Helper for adapters: the JSON input of an execution.
pub fn execution_input_json(input: &ExecutionInput) -> Value {
    serde_json::to_value(input)
        .unwrap_or_else(|_| serde_json::json!({ "id": input.id, "rawKey": input.raw_key }))
}

/// One execution of the state machine, as the console lists it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    pub name: String,
    pub execution_arn: String,
    /// RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    pub status: String,
    pub start_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// how many times it was redriven (AWS `redriveCount`)
    #[serde(default)]
    pub redrive_count: u32,
    /// when it was last redriven (RFC 3339)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_date: Option<String>,
}

impl ExecutionSummary {
    /// Whether RedriveExecution may continue it: it ended, and not with success.
    pub fn redrivable(&self) -> bool {
        matches!(self.status.as_str(), "FAILED" | "TIMED_OUT" | "ABORTED")
    }
}

/// The statuses an execution can have, as Step Functions names them.
pub const EXECUTION_STATUSES: [&str; 6] = [
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

/// Why an action on an execution was refused; the variants are Step Functions' error names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    /// `ExecutionDoesNotExist`
    #[error("Execution Does Not Exist: '{0}'")]
    DoesNotExist(String),
    /// `ExecutionAlreadyExists`: the name is taken by a closed execution or another input
    #[error("Execution Already Exists: '{0}'")]
    AlreadyExists(String),
    /// `ExecutionNotRedrivable`
    #[error("{0}")]
    NotRedrivable(String),
    /// `InvalidName`
    #[error("{0}")]
    InvalidName(String),
    /// `InvalidExecutionInput`
    #[error("{0}")]
    InvalidInput(String),
    /// `InvalidDefinition`
    #[error("{0}")]
    InvalidDefinition(String),
    /// this backend cannot do that here
    #[error("{0}")]
    Unsupported(String),
    /// `InvalidToken`: not a task token the workflow issued
    #[error("Invalid Token: '{0}'")]
    InvalidToken(String),
    /// `TaskDoesNotExist`: no task waits for this token (never issued, or already answered)
    #[error("Task Token does not exist")]
    TaskDoesNotExist,
    /// `TaskTimedOut`: the task of this token timed out
    #[error("Task Timed Out: '{0}'")]
    TaskTimedOut(String),
    /// `InvalidOutput`: the output is not JSON or too large
    #[error("{0}")]
    InvalidOutput(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of executions: newest first, optionally one status and a name prefix.
#[derive(Debug, Clone, Default)]
pub struct ExecutionQuery {
    pub status: Option<String>,
    /// only names (or ARNs) starting with this
    pub name_prefix: Option<String>,
    pub limit: usize,
    /// the `next` of the previous page
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionPage {
    pub executions: Vec<ExecutionSummary>,
    /// the cursor of the next page, when there is one
    pub next: Option<String>,
}

/// What TestState reports for one state run alone.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateTest {
    /// SUCCEEDED | FAILED | CAUGHT_ERROR
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_state: Option<String>,
}

/// Reading executions and their event history (the console, `media-hub executions`).
#[async_trait]
pub trait ExecutionLog: Send + Sync {
    /// Newest first, optionally only those in `status`.
    async fn list_executions(
        &self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, StoreError>;
    /// By name (the media id) or ARN.
    async fn describe_execution(&self, name: &str) -> Result<Option<ExecutionSummary>, StoreError>;
    /// The history events in order: `{id, previousEventId, timestamp, type, details}`.
    async fn execution_history(&self, name: &str) -> Result<Vec<Value>, StoreError>;
    /// The definition the executions run (ASL JSON), for drawing the graph.
    async fn definition(&self) -> Result<Value, StoreError>;

    /// The ARN of the state machine, when this log knows it.
    fn state_machine_arn(&self) -> Option<String> {
        None
    }

    /// The definition `summary`'s execution runs (ASL JSON): the backfill's for a backfill
    /// run, else [`Self::definition`].
    async fn definition_of(&self, _summary: &ExecutionSummary) -> Result<Value, StoreError> {
        self.definition().await
    }

    /// Start a run of the backfill state machine over every READY reel, making thumbnails of
    /// `sizes` (None: the current settings); the run is an execution of this log.
    async fn start_backfill(
        &self,
        _sizes: Option<&[u32]>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        Err(ExecutionError::Unsupported(
            "a backfill cannot be started from here on this backend: start the Backfill state machine (README, \"Backfill on AWS\")".into(),
        ))
    }

    /// One page of executions. The default reads one list and filters it (no further pages).
    async fn list_page(&self, query: &ExecutionQuery) -> Result<ExecutionPage, StoreError> {
        let list = self
            .list_executions(query.status.as_deref(), query.limit)
            .await?;
        let executions = match query.name_prefix.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => list
                .into_iter()
                .filter(|e| e.name.starts_with(p) || e.execution_arn.starts_with(p))
                .collect(),
            None => list,
        };
        Ok(ExecutionPage {
            executions,
            next: None,
        })
    }

    /// StartExecution: `name` (a new UUID when `None`) with `input`. The same name and input
    /// as a RUNNING execution answer that one; any other reuse is `AlreadyExists`.
    async fn start_execution(
        &self,
        _name: Option<&str>,
        _input: &Value,
    ) -> Result<ExecutionSummary, ExecutionError> {
        Err(ExecutionError::Unsupported(
            "starting executions is not available on this backend".into(),
        ))
    }

    /// SendTaskSuccess: the `.waitForTaskToken` task waiting on `token` succeeds with `output`.
    async fn send_task_success(&self, _token: &str, _output: &Value) -> Result<(), ExecutionError> {
        Err(ExecutionError::Unsupported(
            "task callbacks are not available on this backend".into(),
        ))
    }

    /// SendTaskFailure: the task waiting on `token` fails with `error` and `cause`.
    async fn send_task_failure(
        &self,
        _token: &str,
        _error: Option<&str>,
        _cause: Option<&str>,
    ) -> Result<(), ExecutionError> {
        Err(ExecutionError::Unsupported(
            "task callbacks are not available on this backend".into(),
        ))
    }

    /// SendTaskHeartbeat: the task waiting on `token` is alive (its HeartbeatSeconds restart).
    async fn send_task_heartbeat(&self, _token: &str) -> Result<(), ExecutionError> {
        Err(ExecutionError::Unsupported(
            "task callbacks are not available on this backend".into(),
        ))
    }

    /// StopExecution: a RUNNING execution ends ABORTED (with Cleanup's invariants).
    async fn stop_execution(
        &self,
        _name: &str,
        _error: Option<&str>,
        _cause: Option<&str>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        Err(ExecutionError::Unsupported(
            "stopping executions is not available on this backend".into(),
        ))
    }

    /// RedriveExecution: the same execution continues from the states that did not succeed.
    async fn redrive_execution(&self, _name: &str) -> Result<ExecutionSummary, ExecutionError> {
        Err(ExecutionError::Unsupported(
            "redriving executions is not available on this backend".into(),
        ))
    }

    /// TestState: run one state (its ASL JSON) alone on `input`.
    async fn test_state(
        &self,
        _state: &Value,
        _input: &Value,
    ) -> Result<StateTest, ExecutionError> {
        Err(ExecutionError::Unsupported(
            "TestState is not available on this backend".into(),
        ))
    }
}
