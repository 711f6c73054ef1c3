//! Every event under fixtures/events/ through `aws::invoke` (what `media-hub invoke` and
//! the Lambdas run), against the local backend in a temporary data dir: each gives the
//! expected response or errorType. The ids in the fixtures are fixed, so the task events
//! run in pipeline order over one store seeded from fixtures/events/seed/manifest.json.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws::invoke::{invoke_http, invoke_object_created, invoke_task, Function, Outcome};
use pipeline::intake::Intake;
use pipeline::{BlobStore, Pipeline, RecordStore, Settings, Status, Task};
use serde_json::{json, Value};

const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/events");
const ACCEPTED: &str = "0193a5b0-7c1e-7d2a-9f00-00000000e001";
const REJECTED: &str = "0193a5b0-7c1e-7d2a-9f00-00000000e002";
const DIRECT: &str = "0193a5b0-7c1e-7d2a-9f00-00000000e003";
const PROCESSED: &str = "0193a5b0-7c1e-7d2a-9f00-00000000e004";
const VIDEO: &str = "0193a5b0-7c1e-7d2a-9f00-00000000e005";

fn event(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{EVENTS}/{name}")).unwrap()).unwrap()
}

fn seed(name: &str) -> bytes::Bytes {
    std::fs::read(format!("{EVENTS}/seed/{name}"))
        .unwrap()
        .into()
}

fn ok(outcome: &Outcome) -> &Value {
    outcome
        .response()
        .unwrap_or_else(|e| panic!("expected a response, got {e}: {outcome:?}"))
}

async fn wait_idle(wf: &local::LocalWorkflow) {
    for _ in 0..1200 {
        if wf.running() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("executions still running after 60 s");
}

#[tokio::test]
async fn every_fixture_event_gives_its_expected_response() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(local::FsBlobStore::new(dir.path().join("blobs")).unwrap());
    let store = local::SqliteStore::open(&dir.path().join("media-hub.sqlite")).unwrap();
    let records = Arc::new(store.clone());
    let settings = Settings::default();
    let pipeline = Pipeline::new(blobs.clone(), records.clone(), settings.clone());
    let asl = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/media-pipeline.asl.json"
    ));
    let workflow = local::LocalWorkflow::new(Some(asl), store, pipeline.clone()).unwrap();
    let starter = Arc::new(local::LocalStarter(workflow.clone()));

    // what every event names, from fixtures/events/seed/manifest.json (as `media-hub
    // invoke` seeds it); the DIRECT upload's ticket and file are put in below, by hand
    let manifest_dir = Path::new(EVENTS);
    let (manifest, seed_dir) = aws::seed::Manifest::for_events(manifest_dir)
        .unwrap()
        .expect("a seed manifest");
    let mut seeded = aws::seed::Seeded::default();
    for r in manifest.reels.iter().filter(|r| r.id != DIRECT) {
        r.seed(&seed_dir, blobs.as_ref(), records.as_ref(), &mut seeded)
            .await
            .unwrap();
    }
    assert!(seeded.present.is_empty(), "{seeded:?}");
    assert_eq!(
        records.get(PROCESSED).await.unwrap().unwrap().status,
        Status::Processing
    );
    let mut seen = BTreeSet::new();
    let mut run = |name: &'static str| {
        seen.insert(name);
        event(name)
    };

    // the accepted photo, task by task
    let out = invoke_task(&pipeline, Task::ValidateType, run("validate-type.json")).await;
    assert_eq!(
        ok(&out),
        &json!({"mediaType": "image/jpeg", "kind": "image", "ext": "jpg", "size": 2240})
    );
    let out = invoke_task(
        &pipeline,
        Task::GenerateThumbnails,
        run("generate-thumbnails.json"),
    )
    .await;
    let thumbs = ok(&out)["thumbnails"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sizes: Vec<&Value> = thumbs.iter().map(|t| &t["size"]).collect();
    assert_eq!(sizes, vec![&json!(1080), &json!(480), &json!(160)]);
    assert!(
        thumbs
            .iter()
            .all(|t| t["width"] == json!(96) && t["height"] == json!(64)),
        "{thumbs:?}"
    );
    let out = invoke_task(
        &pipeline,
        Task::ExtractMetadata,
        run("extract-metadata.json"),
    )
    .await;
    assert_eq!(ok(&out)["metadata"]["width"], json!(96));
    assert_eq!(ok(&out)["metadata"]["height"], json!(64));
    // a video's web rendition: an H.264 MP4 takes the fast path
    let out = invoke_task(&pipeline, Task::TranscodeVideo, run("transcode-video.json")).await;
    assert_eq!(
        ok(&out)["video"],
        json!({"key": format!("renditions/{VIDEO}/web.mp4"), "width": 96, "height": 64,
               "duration": 1.0, "bytes": ok(&out)["video"]["bytes"], "codec": "h264",
               "transcoded": false})
    );
    assert!(blobs
        .size(&format!("renditions/{VIDEO}/web.mp4"))
        .await
        .unwrap()
        .is_some_and(|n| n > 0));
    let out = invoke_task(&pipeline, Task::CommitRecord, run("commit-record.json")).await;
    assert_eq!(
        ok(&out),
        &json!({"id": PROCESSED, "status": "READY", "changed": true})
    );
    assert_eq!(
        records.get(PROCESSED).await.unwrap().unwrap().status,
        Status::Ready
    );
    // the moderation function's Publish on a reel that is public already: nothing changes
    let out = invoke_task(&pipeline, Task::Moderation, run("moderation-publish.json")).await;
    assert_eq!(
        ok(&out),
        &json!({"id": PROCESSED, "visibility": "public", "changed": false})
    );
    // the tasks before CommitRecord write no record
    assert_eq!(
        records.get(ACCEPTED).await.unwrap().unwrap().status,
        Status::Processing
    );

    // the text file named .jpg: rejected, then cleaned up
    let out = invoke_task(
        &pipeline,
        Task::ValidateType,
        run("validate-type-rejected.json"),
    )
    .await;
    assert_eq!(
        out.response().unwrap_err(),
        "UnsupportedMediaType",
        "{out:?}"
    );
    let json = out.to_json();
    assert!(
        json["errorMessage"].as_str().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    let out = invoke_task(&pipeline, Task::Cleanup, run("cleanup.json")).await;
    assert_eq!(ok(&out)["status"], json!("FAILED"));
    assert_eq!(ok(&out)["rawDeleted"], json!(true));
    let failed = records.get(REJECTED).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (Status::Failed, Some("UnsupportedMediaType"))
    );
    assert_eq!(
        failed.cause.as_deref(),
        Some("unsupported media type: text/plain")
    );

    // a presigned-POST upload (its ticket and file where the browser left them): the S3
    // event completes it, and its execution ends READY
    let intake = Intake {
        blobs: blobs.clone(),
        records: records.clone(),
        workflow: starter.clone(),
        settings: Arc::new(settings.clone()),
        signer: Some(Arc::new(local::LocalUploadSigner::with_key(vec![7; 32]))),
    };
    blobs
        .put(
            &format!("incoming/{DIRECT}/ticket.json"),
            seed("direct-ticket.json"),
            "application/json",
        )
        .await
        .unwrap();
    blobs
        .put(
            &format!("incoming/{DIRECT}/file"),
            seed("photo.jpg"),
            "image/jpeg",
        )
        .await
        .unwrap();
    let handler = aws::events::ObjectCreated {
        intake: intake.clone(),
    };
    let out = invoke_object_created(&handler, run("s3-object-created.json")).await;
    assert_eq!(ok(&out)["results"][0]["started"], json!(true), "{out:?}");
    assert_eq!(
        ok(&out)["results"][0]["rawKey"],
        json!(format!("raw/{DIRECT}/original.jpg"))
    );
    wait_idle(&workflow).await;
    let direct = records.get(DIRECT).await.unwrap().unwrap();
    assert_eq!(direct.status, Status::Ready, "{direct:?}");
    assert_eq!(
        (direct.name.as_str(), direct.original_filename.as_str()),
        ("Ana", "big.jpg")
    );
    assert!(blobs
        .list(&format!("incoming/{DIRECT}/"))
        .await
        .unwrap()
        .is_empty());
    // delivered again, it starts nothing
    let again = invoke_object_created(&handler, event("s3-object-created.json")).await;
    assert_eq!(
        ok(&again)["results"][0]["started"],
        json!(false),
        "{again:?}"
    );

    // the HTTP API event through the router, as the upload Lambda serves it
    let app = api::router(api::AppState {
        intake,
        executions: Some(workflow.clone()),
        admin: Default::default(),
    });
    let out = invoke_http(app, run("upload-apigw-v2.json")).await;
    let response = ok(&out);
    assert_eq!(response["statusCode"], json!(202), "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap();
    let id = body["id"].as_str().expect("the new reel's id").to_owned();
    assert_eq!(body["mediaType"], json!("image/jpeg"));
    wait_idle(&workflow).await;
    let uploaded = records.get(&id).await.unwrap().unwrap();
    assert_eq!(uploaded.status, Status::Ready, "{uploaded:?}");
    assert_eq!(
        (uploaded.name.as_str(), uploaded.original_filename.as_str()),
        ("Ana", "beach.jpg")
    );

    // every fixture was exercised, and every function has one
    let files: BTreeSet<String> = std::fs::read_dir(EVENTS)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let seen: BTreeSet<String> = seen.into_iter().map(str::to_owned).collect();
    assert_eq!(files, seen, "fixtures without an assertion");
    for f in Function::all() {
        let prefix = match f {
            Function::Upload => "upload-",
            Function::ObjectCreated => "s3-object-created",
            Function::Task(t) => t.function_name(),
        };
        assert!(
            seen.iter().any(|n| n.starts_with(prefix)),
            "no fixture for {}",
            f.name()
        );
    }
}

#[test]
fn functions_parse_by_name() {
    assert_eq!(Function::parse("upload"), Some(Function::Upload));
    assert_eq!(
        Function::parse("commit-record"),
        Some(Function::Task(Task::CommitRecord))
    );
    assert_eq!(Function::parse("nope"), None);
}
