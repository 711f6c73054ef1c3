//! The crash sweep: one idempotent routine that brings storage back in line with the
//! records after a stop, a crash or a lost start. `media-hub serve` runs it before it
//! listens (and then every few minutes); on AWS a scheduled function runs the same code.
//!
//! It removes
//! - what interrupted writes left behind (the folder store's `.tmp-*` files),
//! - every object of a media id that has no record (a cut upload's raw file, the
//!   thumbnails of a reel that is gone), once the id is older than the grace period,
//! - what a FAILED reel still keeps besides its raw file (a thumbnail whose delete failed),
//! - `incoming/` tickets and files older than their time to live (the S3 lifecycle rule
//!   does this on AWS; locally nothing else would),
//!
//! and starts again every PROCESSING reel older than `restart_older_than` that has no live
//! execution, walking them with a `(createdAt, id)` cursor so none is skipped.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::cursor::{Cursor, Direction};
use crate::intake::Intake;
use crate::ports::{ListQuery, StoreError};
use crate::reel::{ExecutionInput, Reel, Status};

/// How careful the sweep is with work that may still be in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileOptions {
    /// Objects of an id younger than this are left alone: an upload may be writing them.
    /// Zero is right only when nothing else runs (at start, before listening).
    pub grace: Duration,
    /// `incoming/` objects older than this are removed.
    pub incoming_ttl: Duration,
    /// PROCESSING reels created longer ago than this are started again.
    pub restart_older_than: Duration,
}

impl ReconcileOptions {
    /// Before `serve` listens: nothing is in flight.
    pub fn at_start(incoming_ttl: Duration) -> Self {
        ReconcileOptions {
            grace: Duration::ZERO,
            incoming_ttl,
            restart_older_than: Duration::ZERO,
        }
    }

    /// While uploads and executions run (a periodic or scheduled sweep).
    pub fn while_running(incoming_ttl: Duration) -> Self {
        ReconcileOptions {
            grace: Duration::from_secs(3600),
            incoming_ttl,
            restart_older_than: Duration::from_secs(900),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub partial_writes_removed: usize,
    pub orphan_objects_removed: usize,
    pub failed_leftovers_removed: usize,
    pub incoming_expired: usize,
    pub restarted: usize,
}

impl ReconcileReport {
    pub fn is_empty(&self) -> bool {
        *self == ReconcileReport::default()
    }
}

/// The creation time a UUIDv7 media id carries; `None` for other ids.
pub fn id_time(id: &str) -> Option<SystemTime> {
    let uuid = uuid::Uuid::parse_str(id).ok()?;
    let (secs, nanos) = uuid.get_timestamp()?.to_unix();
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// Whether an id is older than `age` (ids that carry no time count as old).
fn older_than(id: &str, age: Duration, now: SystemTime) -> bool {
    match id_time(id) {
        Some(t) => now.duration_since(t).unwrap_or_default() >= age,
        None => true,
    }
}

/// `{area}/{id}/…` → (area, id).
fn split_key(key: &str) -> Option<(&str, &str)> {
    let mut parts = key.splitn(3, '/');
    let area = parts.next()?;
    let id = parts.next()?;
    parts.next()?;
    crate::keys::is_valid_id(id).then_some((area, id))
}

impl Intake {
    /// Run the sweep once. Idempotent: a second run right after finds nothing to do.
    pub async fn reconcile(&self, opts: &ReconcileOptions) -> Result<ReconcileReport, StoreError> {
        let now = SystemTime::now();
        let mut report = ReconcileReport {
            partial_writes_removed: self.blobs.sweep_partial_writes(opts.grace).await?,
            ..Default::default()
        };

        // every object, grouped by the id it belongs to
        let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for key in self.blobs.list("").await? {
            let Some((area, id)) = split_key(&key) else {
                continue;
            };
            if area == "incoming" {
                if older_than(id, opts.incoming_ttl, now) {
                    self.blobs.delete(&key).await?;
                    report.incoming_expired += 1;
                }
                continue;
            }
            by_id.entry(id.to_owned()).or_default().push(key);
        }
        for (id, keys) in by_id {
            if !older_than(&id, opts.grace, now) {
                continue;
            }
            match self.records.get(&id).await? {
                None => {
                    for key in &keys {
                        self.blobs.delete(key).await?;
                    }
                    report.orphan_objects_removed += keys.len();
                    tracing::info!(
                        id,
                        objects = keys.len(),
                        "removed the objects of a missing reel"
                    );
                }
                Some(reel) if reel.status == Status::Failed => {
                    // a FAILED reel keeps its raw file (to be processed again) and nothing else
                    for key in keys.iter().filter(|k| !k.starts_with("raw/")) {
                        self.blobs.delete(key).await?;
                        report.failed_leftovers_removed += 1;
                    }
                }
                Some(_) => {}
            }
        }

        report.restarted = self.restart_processing(opts.restart_older_than).await?;
        if report.is_empty() {
            tracing::debug!("reconcile: nothing to do");
        } else {
            tracing::info!(?report, "reconcile");
        }
        Ok(report)
    }

    /// Start again every PROCESSING reel created more than `older_than` ago that has no
    /// live execution. Returns how many executions were started anew.
    pub async fn restart_processing(&self, older_than: Duration) -> Result<usize, StoreError> {
        let now = SystemTime::now();
        let mut started = 0;
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self
                .records
                .list(&ListQuery {
                    status: Some(Status::Processing),
                    limit: 100,
                    before: None,
                    cursor: cursor.clone(),
                    visibility: None,
                })
                .await?;
            let Some(last) = page.last() else { break };
            cursor = Some(Cursor::at(last, Direction::Older));
            for reel in &page {
                if reel.status == Status::Processing
                    && older_than_created(reel, older_than, now)
                    && self.resume(reel).await?
                {
                    started += 1;
                }
            }
            if page.len() < 100 {
                break;
            }
        }
        Ok(started)
    }

    /// Run a PROCESSING reel's execution again: one interrupted by a stop starts over under
    /// its name; one that ended without moving the record out of PROCESSING runs again
    /// under the next free name (`WorkflowStarter::restart`). A live execution is left
    /// alone. Returns whether one was started.
    pub async fn resume(&self, reel: &Reel) -> Result<bool, StoreError> {
        let input = ExecutionInput {
            id: reel.id.clone(),
            raw_key: reel.raw_key.clone(),
            declared_type: reel.declared_type.clone(),
            moderation: self.settings.moderation.input_for(reel.visibility),
        };
        let mut s = self.workflow.start(&input).await?;
        if s.already_started {
            s = self.workflow.restart(&input).await?;
        }
        if s.already_started {
            return Ok(false);
        }
        self.records
            .set_execution_arn(&reel.id, &s.execution_arn)
            .await?;
        tracing::info!(id = %reel.id, execution = %s.execution_arn, "PROCESSING reel started again");
        Ok(true)
    }
}

fn older_than_created(reel: &Reel, age: Duration, now: SystemTime) -> bool {
    if age.is_zero() {
        return true;
    }
    match chrono::DateTime::parse_from_rfc3339(&reel.created_at) {
        Ok(t) => {
            let created = SystemTime::from(t.with_timezone(&chrono::Utc));
            now.duration_since(created).unwrap_or_default() >= age
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_area_and_id() {
        assert_eq!(
            split_key("raw/0193-ab/original.jpg"),
            Some(("raw", "0193-ab"))
        );
        assert_eq!(split_key("thumbnails/x/160.jpg"), Some(("thumbnails", "x")));
        assert_eq!(split_key("raw/x"), None);
        assert_eq!(split_key("raw/../x/y"), None);
    }

    #[test]
    fn ids_carry_their_age() {
        let id = crate::intake::new_id();
        let now = SystemTime::now();
        assert!(!older_than(&id, Duration::from_secs(60), now));
        assert!(older_than(&id, Duration::ZERO, now));
        assert!(older_than(
            &id,
            Duration::from_secs(60),
            now + Duration::from_secs(61)
        ));
        assert!(older_than("not-a-uuid", Duration::from_secs(60), now));
    }
}
