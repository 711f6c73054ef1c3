//! Reprocess on AWS, against moto: a reel FAILED with `CodecUnavailable` (its raw file kept)
//! goes back to PROCESSING with a new execution, since the first execution's name stays
//! taken once it closed, and the record names that new execution. The same code serves
//! `POST /api/reels/{id}/reprocess` and `media-hub reprocess ID --backend aws`.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use pipeline::intake::Intake;
use pipeline::reprocess::restart_name;
use pipeline::reprocess::ReprocessError;
use pipeline::{BlobStore, Completion, RecordStore, Settings, Status, WorkflowStarter};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[tokio::test]
async fn a_codec_unavailable_reel_runs_again_under_a_new_execution() {
    let Some(url) = common::endpoint("a_codec_unavailable_reel_runs_again_under_a_new_execution")
    else {
        return;
    };
    let sdk = common::sdk(&url).await;
    let mut names = common::names("reprocess");
    common::create_resources(&sdk, &names).await;
    let machine =
        common::create_state_machine(&sdk, &format!("mp-{}", uuid::Uuid::new_v4().simple())).await;
    names.state_machine_arn = Some(machine.clone());
    let backend = aws::AwsBackend::with_sdk(sdk.clone(), names.clone());
    let workflow = backend.workflow.clone().expect("a state machine");
    let intake = Intake {
        blobs: backend.blobs.clone(),
        records: backend.records.clone(),
        workflow: workflow.clone(),
        settings: Arc::new(Settings::default()),
        signer: None,
    };

    // an upload: its raw file, its record, its execution (named by the id) ...
    let id = pipeline::intake::new_id();
    let photo = std::fs::read(format!("{ROOT}/fixtures/media/portrait.heic")).unwrap();
    let raw_key = format!("raw/{id}/original.heic");
    backend
        .blobs
        .put(&raw_key, Bytes::from(photo), "image/heic")
        .await
        .unwrap();
    let reel: pipeline::Reel = serde_json::from_value(serde_json::json!({
        "id": id, "name": "Ada", "caption": "", "status": "PROCESSING", "size": 1,
        "originalFilename": "portrait.heic", "rawKey": raw_key,
        "createdAt": "2026-11-30T10:00:00.000Z", "updatedAt": "2026-11-30T10:00:00.000Z",
    }))
    .unwrap();
    backend.records.create(&reel).await.unwrap();
    let first = workflow
        .start(&pipeline::ExecutionInput {
            id: id.clone(),
            raw_key: raw_key.clone(),
            declared_type: Some("image/heic".into()),
            moderation: None,
        })
        .await
        .unwrap();
    assert!(!first.already_started);
    // ... which ended without libheif: Cleanup kept the raw file and marked it FAILED
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    sfn.stop_execution()
        .execution_arn(&first.execution_arn)
        .error("CodecUnavailable")
        .send()
        .await
        .unwrap();
    backend
        .records
        .complete(
            &id,
            &Completion::Failed {
                error: "CodecUnavailable".into(),
                cause: "libheif is not installed here".into(),
            },
        )
        .await
        .unwrap();

    let done = intake.reprocess(&id).await.unwrap();
    assert!(done.started, "{done:?}");
    assert_eq!(done.status, Status::Processing);

    // the record: PROCESSING again, the error gone, and it names the new execution
    let now = backend.records.get(&id).await.unwrap().unwrap();
    assert_eq!(now.status, Status::Processing);
    assert_eq!((now.error.as_deref(), now.cause.as_deref()), (None, None));
    let arn = now
        .execution_arn
        .clone()
        .expect("the record names an execution");
    assert_ne!(arn, first.execution_arn);
    assert!(
        arn.ends_with(&format!(":{}", restart_name(&id, 1))),
        "{arn}"
    );
    assert_eq!(done.execution_arn.as_deref(), Some(arn.as_str()));
    // and Step Functions has it, running with the reel's input
    let described = sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.status().as_str(), "RUNNING");
    let input: serde_json::Value =
        serde_json::from_str(described.input().unwrap_or("null")).unwrap();
    assert_eq!(input["id"], serde_json::json!(id));
    assert_eq!(input["rawKey"], serde_json::json!(raw_key));

    // while it runs, a second reprocess is refused and starts nothing
    let again = intake.reprocess(&id).await.unwrap_err();
    assert!(matches!(again, ReprocessError::NotFailed { .. }), "{again}");
    // a stuck-reel restart (the reconcile sweep) finds it running and leaves it alone
    let restarted = workflow
        .restart(&pipeline::ExecutionInput {
            id: id.clone(),
            raw_key: raw_key.clone(),
            declared_type: None,
            moderation: None,
        })
        .await
        .unwrap();
    assert!(restarted.already_started);
    assert_eq!(restarted.execution_arn, arn);

    // a rejected file's raw object is gone: nothing to reprocess
    let gone = pipeline::intake::new_id();
    let mut rejected = reel.clone();
    rejected.id = gone.clone();
    rejected.raw_key = format!("raw/{gone}/original.heic");
    backend.records.create(&rejected).await.unwrap();
    backend
        .records
        .complete(
            &gone,
            &Completion::Failed {
                error: "CorruptMedia".into(),
                cause: "truncated".into(),
            },
        )
        .await
        .unwrap();
    let e = intake.reprocess(&gone).await.unwrap_err();
    assert!(matches!(e, ReprocessError::RawFileGone(_)), "{e}");
    assert_eq!(
        backend.records.get(&gone).await.unwrap().unwrap().status,
        Status::Failed
    );
}
