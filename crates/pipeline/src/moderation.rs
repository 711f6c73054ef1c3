//! Moderation (optional, off by default): a READY reel stays `pending` until a person
//! approves it. The state machine's `AwaitModeration` task (`.waitForTaskToken`) calls the
//! `moderation` function, which keeps the task token on the record; the console's queue and
//! the Step Functions API answer that token (`SendTaskSuccess` publishes the reel,
//! `SendTaskFailure` with [`REJECTED`] and the reason as cause sends it through Cleanup, which
//! ends it `REJECTED` with nothing left in the blob store). A silent task applies the
//! timeout policy. This module owns the settings, the execution input, the `moderation`
//! function's two actions and the decisions the console takes.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{ErrorName, TaskError};
use crate::intake::Intake;
use crate::ports::{ExecutionError, ExecutionLog, RecordStore, StoreError, Transition};
use crate::reel::{Reel, Status, Visibility};
use crate::tasks::Pipeline;

/// The error a moderator's `SendTaskFailure` carries (and the record's `error` once
/// rejected); the state machine sends it to Cleanup.
pub const REJECTED: &str = "Rejected";

/// What happens to a reel no moderator answered for within the timeout (or whose
/// heartbeats stopped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeoutPolicy {
    Approve,
    /// the default: the hub publishes only what a person approved
    #[default]
    Reject,
}

impl TimeoutPolicy {
    pub fn parse(s: &str) -> Option<TimeoutPolicy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "approve" => Some(TimeoutPolicy::Approve),
            "reject" => Some(TimeoutPolicy::Reject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutPolicy::Approve => "approve",
            TimeoutPolicy::Reject => "reject",
        }
    }
}

pub const DEFAULT_TIMEOUT_SECS: u64 = 7 * 24 * 3600;
pub const DEFAULT_HEARTBEAT_SECS: u64 = 24 * 3600;

/// The `serve` settings (`--moderation`, `--moderation-timeout-secs`,
/// `--moderation-heartbeat-secs`, `--moderation-on-timeout`) and the template's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationSettings {
    pub enabled: bool,
    /// the AwaitModeration task's TimeoutSeconds
    pub timeout_secs: u64,
    /// its HeartbeatSeconds (opening the console's queue sends a heartbeat for every reel it
    /// shows); kept below the timeout
    pub heartbeat_secs: u64,
    pub on_timeout: TimeoutPolicy,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        ModerationSettings {
            enabled: false,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            heartbeat_secs: DEFAULT_HEARTBEAT_SECS,
            on_timeout: TimeoutPolicy::Reject,
        }
    }
}

impl ModerationSettings {
    /// The visibility a new upload starts with.
    pub fn initial_visibility(&self) -> Visibility {
        if self.enabled {
            Visibility::Pending
        } else {
            Visibility::Public
        }
    }

    /// The execution input's `moderation` for a reel: present for a reel still pending
    /// (whatever the setting is now, so a reel uploaded under moderation never goes public
    /// unreviewed), absent for a public one.
    pub fn input_for(&self, visibility: Visibility) -> Option<ModerationInput> {
        (visibility == Visibility::Pending).then(|| {
            let timeout = self.timeout_secs.max(1);
            ModerationInput {
                timeout_seconds: timeout,
                heartbeat_seconds: self
                    .heartbeat_secs
                    .clamp(1, timeout.saturating_sub(1).max(1)),
                on_timeout: self.on_timeout,
            }
        })
    }

    /// Check the numbers as Step Functions would (positive, heartbeat below timeout).
    pub fn check(&self) -> Result<(), String> {
        if self.timeout_secs == 0 || self.timeout_secs > 99_999_999 {
            return Err("the moderation timeout must be 1 to 99999999 seconds".into());
        }
        if self.heartbeat_secs == 0 || self.heartbeat_secs >= self.timeout_secs {
            return Err(format!(
                "the moderation heartbeat ({} s) must be at least 1 s and below the timeout ({} s)",
                self.heartbeat_secs, self.timeout_secs
            ));
        }
        Ok(())
    }
}

/// The execution input's `moderation`: the AwaitModeration task reads its TimeoutSeconds and
/// HeartbeatSeconds from here (`TimeoutSecondsPath`), the timeout Choice its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationInput {
    pub timeout_seconds: u64,
    pub heartbeat_seconds: u64,
    pub on_timeout: TimeoutPolicy,
}

/// A decision a record store applies to a READY reel still `pending` (a conditional write;
/// any other record is left as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    /// keep the AwaitModeration task's token on the record
    Hold { token: String },
    /// visibility `public`, the token cleared
    Publish,
    /// status `REJECTED`, error [`REJECTED`], the reason as cause; it names no object any
    /// more (thumbnails and video cleared) since Cleanup removes them next
    Reject { reason: String },
    /// the token cleared, if it is still `token`: its task ended without a decision (the
    /// review is asked for again, and the next AwaitModeration holds a new one)
    Release { token: String },
}

impl Review {
    /// Apply the review to a record in memory (the stores that rewrite the whole record:
    /// SQLite, tests), with the same condition as DynamoDB's: READY and `pending`. `now` is
    /// the new `updatedAt`.
    pub fn apply(&self, reel: &mut Reel, now: &str) -> Transition {
        if reel.status != Status::Ready || reel.visibility != Visibility::Pending {
            return Transition::Unchanged(reel.status);
        }
        match self {
            Review::Hold { token } => reel.moderation_token = Some(token.clone()),
            Review::Release { token } => {
                if reel.moderation_token.as_ref() != Some(token) {
                    return Transition::Unchanged(reel.status);
                }
                reel.moderation_token = None;
            }
            Review::Publish => {
                reel.visibility = Visibility::Public;
                reel.moderation_token = None;
            }
            Review::Reject { reason } => {
                reel.status = Status::Rejected;
                reel.error = Some(REJECTED.to_owned());
                reel.cause = Some(reason.clone());
                reel.thumbnails.clear();
                reel.video = None;
                reel.moderation_token = None;
            }
        }
        reel.updated_at = now.to_owned();
        Transition::Applied
    }
}

/// The payload of the `moderation` function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum ModerationAction {
    /// AwaitModeration: keep the token and return; the task waits for a moderator
    #[serde(rename_all = "camelCase")]
    Request { id: String, task_token: String },
    /// Publish: the reel goes public
    #[serde(rename_all = "camelCase")]
    Publish { id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationOutput {
    pub id: String,
    pub visibility: Visibility,
    /// false when the record had it already (a repeated call changes nothing)
    pub changed: bool,
}

impl Pipeline {
    /// The `moderation` function.
    pub async fn moderation(
        &self,
        action: ModerationAction,
    ) -> Result<ModerationOutput, TaskError> {
        let (id, review) = match action {
            ModerationAction::Request { id, task_token } => {
                if task_token.is_empty() {
                    return Err(TaskError::new(
                        ErrorName::InvalidPayload,
                        "an empty task token",
                    ));
                }
                (id, Review::Hold { token: task_token })
            }
            ModerationAction::Publish { id } => (id, Review::Publish),
        };
        crate::tasks::check_id(&id)?;
        match self.records.review(&id, &review).await? {
            Transition::Applied => {
                tracing::info!(id = %id, review = ?review_name(&review), "moderation");
                Ok(ModerationOutput {
                    visibility: match review {
                        Review::Publish => Visibility::Public,
                        _ => Visibility::Pending,
                    },
                    id,
                    changed: true,
                })
            }
            // published already: a repeated Publish changes nothing
            Transition::Unchanged(Status::Ready) if review == Review::Publish => {
                Ok(ModerationOutput {
                    id,
                    visibility: Visibility::Public,
                    changed: false,
                })
            }
            Transition::Unchanged(other) => Err(TaskError::new(
                ErrorName::RecordConflict,
                format!("reel {id} is {other} and not awaiting review"),
            )),
        }
    }
}

fn review_name(review: &Review) -> &'static str {
    match review {
        Review::Hold { .. } => "awaiting review",
        Review::Publish => "published",
        Review::Reject { .. } => "rejected",
        Review::Release { .. } => "asked for review again",
    }
}

/// Why a moderator's decision was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("no reel {0}")]
    NotFound(String),
    #[error("reel {0} is not awaiting review")]
    NotPending(String),
    /// pending, but no AwaitModeration task holds a token for it (yet, or any more)
    #[error("reel {0} has no review task waiting; it may be starting, or its task ended")]
    NoTask(String),
    #[error("a reason is required to reject a reel")]
    NoReason,
    #[error(transparent)]
    Execution(#[from] ExecutionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Longest rejection reason kept (Step Functions' cause limit is 32,768 characters).
pub const MAX_REASON_CHARS: usize = 1000;

/// The reel `id`, READY and pending.
async fn pending_reel(records: &dyn RecordStore, id: &str) -> Result<Reel, DecisionError> {
    let reel = records
        .get(id)
        .await?
        .ok_or_else(|| DecisionError::NotFound(id.to_owned()))?;
    if reel.status != Status::Ready || reel.visibility != Visibility::Pending {
        return Err(DecisionError::NotPending(id.to_owned()));
    }
    Ok(reel)
}

async fn pending_token(records: &dyn RecordStore, id: &str) -> Result<String, DecisionError> {
    pending_reel(records, id)
        .await?
        .moderation_token
        .ok_or_else(|| DecisionError::NoTask(id.to_owned()))
}

/// Ask for review again: a READY pending reel whose review task ended without a decision
/// (its execution was stopped, or its moderation step failed past its retries) runs its
/// execution again ([`Intake::resume`], under the next free name), which ends at
/// AwaitModeration once more. A token on the record whose task is gone is released first
/// (only that token: one a live task holds is never lost). A live task or execution is left
/// alone: `Ok(false)`.
pub async fn review_again(
    intake: &Intake,
    log: &dyn ExecutionLog,
    id: &str,
) -> Result<bool, DecisionError> {
    let reel = pending_reel(intake.records.as_ref(), id).await?;
    if let Some(token) = &reel.moderation_token {
        match log.send_task_heartbeat(token).await {
            // a task waits for this token: decide it instead
            Ok(()) => return Ok(false),
            Err(ExecutionError::TaskDoesNotExist | ExecutionError::TaskTimedOut(_)) => {
                intake
                    .records
                    .review(
                        id,
                        &Review::Release {
                            token: token.clone(),
                        },
                    )
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(intake.resume(&reel).await?)
}

/// Approve: `SendTaskSuccess` with the reel's stored token (the state machine publishes it).
pub async fn approve(
    records: &dyn RecordStore,
    log: &dyn ExecutionLog,
    id: &str,
) -> Result<(), DecisionError> {
    let token = pending_token(records, id).await?;
    log.send_task_success(&token, &json!({ "approved": true }))
        .await?;
    Ok(())
}

/// Reject: `SendTaskFailure` with [`REJECTED`] and the reason as cause (the state machine
/// cleans the reel up and ends it REJECTED).
pub async fn reject(
    records: &dyn RecordStore,
    log: &dyn ExecutionLog,
    id: &str,
    reason: &str,
) -> Result<(), DecisionError> {
    let reason: String = reason.trim().chars().take(MAX_REASON_CHARS).collect();
    if reason.is_empty() {
        return Err(DecisionError::NoReason);
    }
    let token = pending_token(records, id).await?;
    log.send_task_failure(&token, Some(REJECTED), Some(&reason))
        .await?;
    Ok(())
}

/// A moderator is looking at these reels: `SendTaskHeartbeat` for each held token, so their
/// HeartbeatSeconds start again. Returns the ids whose token no task holds any more (the
/// execution was stopped or failed while it waited): those can only be asked for review
/// again ([`review_again`]). Other refusals are only logged.
pub async fn heartbeat(log: &dyn ExecutionLog, reels: &[Reel]) -> Vec<String> {
    let mut ended = Vec::new();
    for reel in reels {
        if let Some(token) = &reel.moderation_token {
            match log.send_task_heartbeat(token).await {
                Ok(()) => {}
                Err(ExecutionError::TaskDoesNotExist | ExecutionError::TaskTimedOut(_)) => {
                    ended.push(reel.id.clone());
                }
                Err(e) => {
                    tracing::debug!(id = %reel.id, error = %e, "moderation heartbeat refused");
                }
            }
        }
    }
    ended
}

/// The Cleanup of a moderator's rejection: the record moves first (READY pending →
/// REJECTED, naming no object), so it never names what the blob store no longer holds.
pub(crate) async fn reject_record(
    records: &dyn RecordStore,
    id: &str,
    reason: &str,
) -> Result<Option<Transition>, StoreError> {
    match records
        .review(
            id,
            &Review::Reject {
                reason: reason.to_owned(),
            },
        )
        .await
    {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_only_for_pending_reels_and_heartbeat_below_timeout() {
        let mut s = ModerationSettings::default();
        assert_eq!(s.input_for(Visibility::Public), None);
        s.timeout_secs = 5;
        s.heartbeat_secs = 9;
        let i = s.input_for(Visibility::Pending).unwrap();
        assert_eq!((i.timeout_seconds, i.heartbeat_seconds), (5, 4));
        assert!(s.check().is_err());
        s.heartbeat_secs = 2;
        assert!(s.check().is_ok());
        assert_eq!(
            serde_json::to_value(s.input_for(Visibility::Pending).unwrap()).unwrap(),
            json!({"timeoutSeconds": 5, "heartbeatSeconds": 2, "onTimeout": "reject"})
        );
    }

    #[test]
    fn release_clears_only_the_token_it_names() {
        let mut reel: Reel = serde_json::from_value(json!({
            "id": "x", "name": "", "caption": "", "status": "READY", "size": 1,
            "originalFilename": "a.jpg", "rawKey": "raw/x/original.jpg",
            "visibility": "pending", "moderationToken": "new",
            "createdAt": "t", "updatedAt": "t"
        }))
        .unwrap();
        let stale = Review::Release {
            token: "old".into(),
        };
        assert_eq!(
            stale.apply(&mut reel, "t2"),
            Transition::Unchanged(Status::Ready)
        );
        assert_eq!(reel.moderation_token.as_deref(), Some("new"));
        let current = Review::Release {
            token: "new".into(),
        };
        assert_eq!(current.apply(&mut reel, "t2"), Transition::Applied);
        assert_eq!(reel.moderation_token, None);
        assert_eq!(reel.visibility, Visibility::Pending);
    }

    #[test]
    fn actions_parse_from_the_state_machine_payload() {
        let a: ModerationAction =
            serde_json::from_value(json!({"action": "request", "id": "x", "taskToken": "t"}))
                .unwrap();
        assert_eq!(
            a,
            ModerationAction::Request {
                id: "x".into(),
                task_token: "t".into()
            }
        );
        let p: ModerationAction =
            serde_json::from_value(json!({"action": "publish", "id": "x"})).unwrap();
        assert_eq!(p, ModerationAction::Publish { id: "x".into() });
    }
}
