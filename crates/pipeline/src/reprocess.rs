//! Reprocess: a FAILED reel whose raw file was kept (`CodecUnavailable` before the codec
//! layer was there, a transient failure, an internal error) goes back to PROCESSING and
//! its execution runs again. The record is reopened first (a conditional FAILED →
//! PROCESSING write, so two reprocesses cannot both start), then the execution starts
//! through [`crate::ports::WorkflowStarter::restart`], the engine's "run a reel again" that
//! restarting a stuck reel uses too: on Step Functions, where a name stays taken for 90 days after its
//! execution closed, that is a new execution with a suffixed name (`{id}-r1`, …), which
//! the record then names (`executionArn`). The API (`POST /api/reels/{id}/reprocess`) and
//! `media-hub reprocess ID` call this.

use crate::declared::DeclaredType;
use crate::intake::Intake;
use crate::ports::{StoreError, Transition};
use crate::reel::{ExecutionInput, Status};

/// How many times one reel may be started again under a new name.
pub const MAX_RESTARTS: u32 = 99;

/// The name of a reel's `n`th execution: the id, then `{id}-r1`, `{id}-r2` … (an engine
/// that keeps a closed execution's name, as Step Functions does for 90 days, restarts a
/// reel under the first free one).
pub fn restart_name(id: &str, n: u32) -> String {
    if n == 0 {
        id.to_owned()
    } else {
        format!("{id}-r{n}")
    }
}

/// Why a reprocess was refused. Each maps to one HTTP status at the edge.
#[derive(Debug, thiserror::Error)]
pub enum ReprocessError {
    /// 404
    #[error("no reel {0}")]
    NotFound(String),
    /// 409 `RecordConflict`: only a FAILED reel is reprocessed
    #[error("reel {id} is {status}: only a FAILED reel can be reprocessed")]
    NotFailed { id: String, status: Status },
    /// 409 `RawFileGone`: a rejection deletes the raw file; the file must be uploaded again
    #[error("the raw file of reel {0} is gone (a rejected file is deleted): upload it again")]
    RawFileGone(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// A reprocess under way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reprocessed {
    pub id: String,
    pub status: Status,
    /// the execution that runs it now (the record names it too)
    pub execution_arn: Option<String>,
    /// whether an execution was started (false: a live one was already running it)
    pub started: bool,
}

impl Intake {
    /// Reprocess the FAILED reel `id` from its kept raw file.
    pub async fn reprocess(&self, id: &str) -> Result<Reprocessed, ReprocessError> {
        let reel = self
            .records
            .get(id)
            .await?
            .ok_or_else(|| ReprocessError::NotFound(id.to_owned()))?;
        if reel.status != Status::Failed {
            return Err(ReprocessError::NotFailed {
                id: id.to_owned(),
                status: reel.status,
            });
        }
        if self.blobs.size(&reel.raw_key).await?.is_none() {
            return Err(ReprocessError::RawFileGone(id.to_owned()));
        }
        match self.records.reopen(id).await {
            Ok(Transition::Applied) => {}
            Ok(Transition::Unchanged(status)) => {
                return Err(ReprocessError::NotFailed {
                    id: id.to_owned(),
                    status,
                })
            }
            Err(StoreError::NotFound(_)) => return Err(ReprocessError::NotFound(id.to_owned())),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(id, error = ?reel.error, "reprocess: FAILED -> PROCESSING");
        let declared =
            DeclaredType::of_upload(&reel.original_filename, None).map(|d| d.mime().to_owned());
        let input = ExecutionInput {
            id: reel.id.clone(),
            raw_key: reel.raw_key.clone(),
            declared_type: declared,
            moderation: self.settings.moderation.input_for(reel.visibility),
        };
        let started = self.workflow.restart(&input).await?;
        if !started.already_started {
            self.records
                .set_execution_arn(id, &started.execution_arn)
                .await?;
        }
        Ok(Reprocessed {
            id: id.to_owned(),
            status: Status::Processing,
            execution_arn: Some(started.execution_arn),
            started: !started.already_started,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ports::{BlobStore, RecordStore};
    use crate::tasks::testkit::{pipeline, processing_reel, MemWorkflow};
    use crate::{Completion, Settings};

    async fn failed(error: &str, keep_raw: bool) -> (Intake, Arc<MemWorkflow>) {
        let (_, blobs, records) = pipeline();
        records.create(&processing_reel("r1")).await.unwrap();
        records
            .complete(
                "r1",
                &Completion::Failed {
                    error: error.into(),
                    cause: "no libheif here".into(),
                },
            )
            .await
            .unwrap();
        if keep_raw {
            blobs
                .put("raw/r1/original.jpg", "raw".into(), "image/jpeg")
                .await
                .unwrap();
        }
        let workflow = Arc::new(MemWorkflow::default());
        let intake = Intake {
            blobs,
            records,
            workflow: workflow.clone(),
            settings: Arc::new(Settings::default()),
            signer: None,
        };
        (intake, workflow)
    }

    #[tokio::test]
    async fn a_failed_reel_with_its_raw_file_goes_back_to_processing() {
        let (intake, workflow) = failed("CodecUnavailable", true).await;
        let out = intake.reprocess("r1").await.unwrap();
        assert_eq!((out.status, out.started), (Status::Processing, true));
        let reel = intake.records.get("r1").await.unwrap().unwrap();
        assert_eq!(reel.status, Status::Processing);
        assert_eq!((reel.error, reel.cause), (None, None));
        assert_eq!(workflow.0.lock().unwrap().len(), 1);
        // a second reprocess finds it PROCESSING and starts nothing
        let again = intake.reprocess("r1").await.unwrap_err();
        assert!(matches!(again, ReprocessError::NotFailed { .. }), "{again}");
        assert_eq!(workflow.0.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_rejected_reel_without_its_raw_file_is_refused() {
        let (intake, workflow) = failed("CorruptMedia", false).await;
        let e = intake.reprocess("r1").await.unwrap_err();
        assert!(matches!(e, ReprocessError::RawFileGone(_)), "{e}");
        assert_eq!(
            intake.records.get("r1").await.unwrap().unwrap().status,
            Status::Failed
        );
        assert!(workflow.0.lock().unwrap().is_empty());
        let e = intake.reprocess("nope").await.unwrap_err();
        assert!(matches!(e, ReprocessError::NotFound(_)), "{e}");
    }
}
