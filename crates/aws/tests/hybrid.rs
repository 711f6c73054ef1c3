//! Hybrid mode end to end: the local ASL interpreter (`local::LocalWorkflow`) runs the
//! pipeline against S3 and DynamoDB on an AWS-protocol server (moto), the way
//! `media-hub serve --backend aws` does.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws::{DynamoRecordStore, S3BlobStore};
use bytes::Bytes;
use futures::stream;
use local::{LocalStarter, LocalWorkflow, SqliteStore};
use pipeline::intake::{Intake, UploadFields};
use pipeline::{BlobStore, BlobStream, Pipeline, RecordStore, Settings, Status};

const ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/media-pipeline.asl.json"
);
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/events/seed");

struct Hybrid {
    intake: Intake,
    workflow: Arc<LocalWorkflow>,
    blobs: Arc<S3BlobStore>,
    records: Arc<DynamoRecordStore>,
    _dir: tempfile::TempDir,
}

async fn hybrid(url: &str) -> Hybrid {
    let sdk = common::sdk(url).await;
    let names = common::names("hybrid");
    common::create_resources(&sdk, &names).await;
    let blobs = Arc::new(S3BlobStore::new(&sdk, &names.bucket));
    let records = Arc::new(DynamoRecordStore::new(&sdk, &names.table));
    let settings = Settings {
        thumbnail_sizes: vec![480, 160],
        ..Settings::default()
    };
    let pipeline = Pipeline::new(blobs.clone(), records.clone(), settings.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("executions.sqlite")).unwrap();
    let workflow = LocalWorkflow::new(Some(std::path::Path::new(ASL)), store, pipeline).unwrap();
    let intake = Intake {
        blobs: blobs.clone(),
        records: records.clone(),
        workflow: Arc::new(LocalStarter(workflow.clone())),
        settings: Arc::new(settings),
        signer: Some(blobs.clone()),
    };
    Hybrid {
        intake,
        workflow,
        blobs,
        records,
        _dir: dir,
    }
}

fn body(data: Vec<u8>) -> BlobStream<'static> {
    Box::pin(stream::iter(
        data.chunks(1000)
            .map(|c| Ok::<Bytes, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    ))
}

impl Hybrid {
    async fn upload(&self, file: &str, filename: &str) -> String {
        let data = std::fs::read(format!("{SEED}/{file}")).unwrap();
        self.upload_bytes(data, filename).await
    }

    async fn upload_bytes(&self, data: Vec<u8>, filename: &str) -> String {
        let id = pipeline::intake::new_id();
        let stored = self
            .intake
            .store_raw(&id, filename, Some("image/jpeg"), body(data))
            .await
            .unwrap();
        let fields = UploadFields {
            name: "Ana".into(),
            caption: "hybrid".into(),
        };
        let (_, token_hash) = pipeline::intake::new_delete_token();
        self.intake
            .register(&id, fields, stored, token_hash)
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(60), self.workflow.wait(&id))
            .await
            .expect("the execution did not end within 60 s");
        id
    }
}

#[tokio::test]
async fn an_upload_ends_ready_with_objects_in_s3_and_the_item_in_dynamodb() {
    let Some(url) =
        common::endpoint("an_upload_ends_ready_with_objects_in_s3_and_the_item_in_dynamodb")
    else {
        return;
    };
    let h = hybrid(&url).await;
    let id = h.upload("photo.jpg", "beach.jpg").await;

    let reel = h
        .records
        .get(&id)
        .await
        .unwrap()
        .expect("the item is in DynamoDB");
    assert_eq!(reel.status, Status::Ready, "{reel:?}");
    assert_eq!(reel.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(reel.raw_key, format!("raw/{id}/original.jpg"));
    assert!(reel
        .execution_arn
        .as_deref()
        .unwrap_or_default()
        .ends_with(&id));
    assert_eq!(reel.thumbnails.len(), 2);
    assert_eq!(
        reel.metadata.as_ref().and_then(|m| m.get("width")),
        Some(&serde_json::json!(96))
    );
    // READY ⇒ every object the record names exists in the bucket
    assert!(h.blobs.size(&reel.raw_key).await.unwrap().is_some());
    for t in &reel.thumbnails {
        assert_eq!(
            h.blobs.size(&t.key).await.unwrap(),
            Some(t.bytes),
            "{}",
            t.key
        );
        let jpeg = h.blobs.get_head(&t.key, 3).await.unwrap();
        assert_eq!(&jpeg[..], b"\xff\xd8\xff");
    }

    // the same id started again: nothing new runs
    let input = pipeline::ExecutionInput {
        id: id.clone(),
        raw_key: reel.raw_key.clone(),
        declared_type: None,
        moderation: None,
    };
    let again = h.intake.workflow.start(&input).await.unwrap();
    assert!(again.already_started);
    assert_eq!(h.workflow.running(), 0);
    assert_eq!(
        h.records.get(&id).await.unwrap().unwrap().updated_at,
        reel.updated_at
    );
}

#[tokio::test]
async fn a_rejected_file_ends_failed_with_no_thumbnail_object() {
    let Some(url) = common::endpoint("a_rejected_file_ends_failed_with_no_thumbnail_object") else {
        return;
    };
    let h = hybrid(&url).await;
    // text is refused at the door: nothing reaches S3 or DynamoDB
    let text = std::fs::read(format!("{SEED}/not-a-photo.jpg")).unwrap();
    let refused = h
        .intake
        .store_raw(&pipeline::intake::new_id(), "holiday.jpg", None, body(text))
        .await;
    assert!(
        matches!(
            refused,
            Err(pipeline::intake::IntakeError::UnsupportedType { .. })
        ),
        "{refused:?}"
    );
    assert!(h.blobs.list("raw/").await.unwrap().is_empty());
    // a JPEG cut short gets in and is rejected by the pipeline
    let photo = std::fs::read(format!("{SEED}/photo.jpg")).unwrap();
    let id = h
        .upload_bytes(photo[..photo.len() / 3].to_vec(), "holiday.jpg")
        .await;

    let reel = h
        .records
        .get(&id)
        .await
        .unwrap()
        .expect("the item is in DynamoDB");
    assert_eq!(reel.status, Status::Failed, "{reel:?}");
    assert_eq!(reel.error.as_deref(), Some("CorruptMedia"));
    assert!(!reel.cause.as_deref().unwrap_or_default().is_empty());
    // FAILED ⇒ no thumbnail of that id; a rejection also removes the raw file
    assert!(h
        .blobs
        .list(&format!("thumbnails/{id}/"))
        .await
        .unwrap()
        .is_empty());
    assert!(h
        .blobs
        .list(&format!("raw/{id}/"))
        .await
        .unwrap()
        .is_empty());
}
