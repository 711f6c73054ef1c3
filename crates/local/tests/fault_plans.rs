//! A property test over random fault plans: uploads run through the real ASL definition
//! on the in-process interpreter over the folder and SQLite stores, with faults injected
//! into both stores (failed calls, latency). After the faults stop and the reconcile sweep
//! has run, docs/design.md's invariants hold:
//!
//! - every upload that was accepted ends READY or FAILED;
//! - every READY reel's objects exist;
//! - no FAILED reel keeps a thumbnail;
//! - no `.tmp-*` file and no object of a missing reel remain;
//! - a transient fault never deletes a raw file (a good file keeps its raw file, whatever
//!   happened to it).
//!
//! Retry back-off runs on a sped-up clock, so one case takes a fraction of a second.
//! `FAULT_PLAN_CASES` sets the number of cases (200 by default).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use local::faults::{FaultPlan, Faults, FaultyBlobs, FaultyRecords};
use local::{FsBlobStore, LocalStarter, LocalWorkflow, SqliteStore};
use pipeline::intake::{new_id, Intake};
use pipeline::reconcile::ReconcileOptions;
use pipeline::{BlobStore, Pipeline, RecordStore, Settings, Status};
use proptest::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of a case: name, bytes, and whether the file itself is fine.
fn corpus() -> Vec<(&'static str, Bytes, bool)> {
    let read = |p: &str| Bytes::from(std::fs::read(repo().join(p)).expect("fixture"));
    vec![
        ("photo.png", read("fixtures/media/photo.png"), true),
        ("gray.jpg", read("fixtures/media/photo_gray.jpg"), true),
        // a JPEG cut short: taken at the door, then a rejection (CorruptMedia)
        (
            "cut.jpg",
            read("fixtures/media/photo_gray.jpg").slice(..2000),
            false,
        ),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    blobs_dir: PathBuf,
    clean_blobs: Arc<dyn BlobStore>,
    clean_records: Arc<dyn RecordStore>,
    workflow: Arc<LocalWorkflow>,
    intake: Intake,
    faults: [Arc<Faults>; 2],
}

fn world(blob_plan: FaultPlan, record_plan: FaultPlan) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs_dir = dir.path().join("blobs");
    let clean_blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(&blobs_dir).expect("blobs"));
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).expect("sqlite");
    let clean_records: Arc<dyn RecordStore> = Arc::new(store.clone());
    let blob_faults = Faults::new(blob_plan);
    let record_faults = Faults::new(record_plan);
    let blobs: Arc<dyn BlobStore> = Arc::new(FaultyBlobs {
        inner: clean_blobs.clone(),
        faults: blob_faults.clone(),
    });
    let records: Arc<dyn RecordStore> = Arc::new(FaultyRecords {
        inner: clean_records.clone(),
        faults: record_faults.clone(),
    });
    let settings = Settings {
        thumbnail_sizes: vec![160, 64],
        ..Settings::default()
    };
    let pipeline = Pipeline::new(blobs.clone(), records.clone(), settings);
    let definition = repo().join("statemachine/media-pipeline.asl.json");
    let workflow = LocalWorkflow::new_with_clock(
        Some(&definition),
        store,
        pipeline.clone(),
        Arc::new(states::ScaledClock { factor: 100 }),
    )
    .expect("workflow");
    let intake = Intake {
        blobs,
        records,
        workflow: Arc::new(LocalStarter(workflow.clone())),
        settings: pipeline.settings.clone(),
        signer: None,
    };
    World {
        _dir: dir,
        blobs_dir,
        clean_blobs,
        clean_records,
        workflow,
        intake,
        faults: [blob_faults, record_faults],
    }
}

/// An upload as the API takes it: the raw file streamed in, the fields checked, the record
/// written and the execution started. `Ok` is what the API answers 202 for.
async fn upload(intake: &Intake, name: &str, body: Bytes) -> Result<String, String> {
    let id = new_id();
    let stream: pipeline::BlobStream<'static> =
        Box::pin(futures_util::stream::once(async move { Ok(body) }));
    let stored = intake
        .store_raw(&id, name, None, stream)
        .await
        .map_err(|e| e.to_string())?;
    let fields = intake
        .check_fields("Ada", "a caption")
        .map_err(|e| e.to_string())?;
    intake
        .register(&id, fields, stored, String::new())
        .await
        .map(|r| r.id)
        .map_err(|e| e.to_string())
}

async fn settle(workflow: &LocalWorkflow) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while workflow.running() > 0 {
        assert!(
            Instant::now() < deadline,
            "executions still running after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn tmp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.file_name().to_string_lossy().starts_with(".tmp-") {
                out.push(p);
            }
        }
    }
    out
}

/// Run one plan and check the invariants; `Err` names the first one broken.
async fn run_case(
    blob_plan: FaultPlan,
    record_plan: FaultPlan,
    picks: Vec<usize>,
) -> Result<(), String> {
    let w = world(blob_plan, record_plan);
    let files = corpus();
    let mut accepted = Vec::new();
    let uploads = picks.iter().map(|&i| {
        let (name, body, good) = files[i % files.len()].clone();
        let intake = w.intake.clone();
        async move { (upload(&intake, name, body).await, good) }
    });
    for (result, good) in futures_util::future::join_all(uploads).await {
        if let Ok(id) = result {
            accepted.push((id, good));
        }
    }
    settle(&w.workflow).await;
    for f in &w.faults {
        f.switch_off();
    }
    // the crash sweep, as `serve` runs it at start; a second run must find nothing to do
    w.intake
        .reconcile(&ReconcileOptions::at_start(Duration::from_secs(3600)))
        .await
        .map_err(|e| format!("reconcile: {e}"))?;
    settle(&w.workflow).await;
    let again = w
        .intake
        .reconcile(&ReconcileOptions::at_start(Duration::from_secs(3600)))
        .await
        .map_err(|e| format!("reconcile: {e}"))?;
    if again.partial_writes_removed + again.orphan_objects_removed + again.failed_leftovers_removed
        > 0
    {
        return Err(format!("a second sweep still found work: {again:?}"));
    }
    settle(&w.workflow).await;

    for (id, good) in &accepted {
        let reel = w
            .clean_records
            .get(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("accepted upload {id} has no record"))?;
        let thumbs = w
            .clean_blobs
            .list(&format!("thumbnails/{id}/"))
            .await
            .map_err(|e| e.to_string())?;
        let raw = w
            .clean_blobs
            .size(&reel.raw_key)
            .await
            .map_err(|e| e.to_string())?;
        match reel.status {
            Status::Processing => return Err(format!("{id} is still PROCESSING")),
            Status::Ready => {
                if raw.is_none() {
                    return Err(format!("READY {id} lost its raw file"));
                }
                for t in &reel.thumbnails {
                    if w.clean_blobs
                        .size(&t.key)
                        .await
                        .map_err(|e| e.to_string())?
                        != Some(t.bytes)
                    {
                        return Err(format!("READY {id} names a missing thumbnail {}", t.key));
                    }
                }
            }
            // moderation is off in these plans: a rejection by a moderator cannot happen
            Status::Rejected => return Err(format!("{id} is REJECTED without moderation")),
            Status::Failed => {
                if !thumbs.is_empty() {
                    return Err(format!("FAILED {id} keeps thumbnails {thumbs:?}"));
                }
                let rejected = reel
                    .error
                    .as_deref()
                    .and_then(pipeline::ErrorName::parse)
                    .is_some_and(pipeline::ErrorName::is_rejection);
                if !rejected && raw.is_none() {
                    return Err(format!(
                        "FAILED {id} ({:?}) lost its raw file to a fault",
                        reel.error
                    ));
                }
            }
        }
        if *good && raw.is_none() {
            return Err(format!(
                "good file {id} lost its raw file ({:?})",
                reel.error
            ));
        }
        if *good && reel.status == Status::Failed {
            let name = reel.error.as_deref().and_then(pipeline::ErrorName::parse);
            if name.is_some_and(pipeline::ErrorName::is_rejection) {
                return Err(format!("good file {id} was rejected: {:?}", reel.cause));
            }
        }
    }
    let left = tmp_files(&w.blobs_dir);
    if !left.is_empty() {
        return Err(format!("partial writes left: {left:?}"));
    }
    for key in w.clean_blobs.list("").await.map_err(|e| e.to_string())? {
        let id = key.split('/').nth(1).unwrap_or("");
        if w.clean_records
            .get(id)
            .await
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Err(format!("{key} belongs to no reel"));
        }
    }
    Ok(())
}

fn plan() -> impl Strategy<Value = FaultPlan> {
    (
        prop::collection::vec(1u64..40, 0..4),
        prop_oneof![Just(0.0), 0.0f64..35.0],
        prop_oneof![3 => Just(0u64), 1 => 0u64..3],
        any::<u64>(),
    )
        .prop_map(|(fail_calls, fail_percent, latency_ms, seed)| FaultPlan {
            fail_calls,
            fail_percent,
            latency_ms,
            seed,
        })
}

fn cases() -> u32 {
    std::env::var("FAULT_PLAN_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 20,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_under_any_fault_plan(
        blobs in plan(),
        records in plan(),
        picks in prop::collection::vec(0usize..3, 1..4),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let outcome = rt.block_on(run_case(blobs.clone(), records.clone(), picks.clone()));
        prop_assert!(outcome.is_ok(), "{}\nblobs {:?}\nrecords {:?}", outcome.unwrap_err(), blobs, records);
    }
}
