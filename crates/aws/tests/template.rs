//! template.yaml against the code: every `${...}` of the ASL has a DefinitionSubstitutions
//! entry naming the right function; every function folder is in the template and vice
//! versa; and each function's policy grants exactly what its handler calls (the handler
//! runs against moto with an [`aws::oplog::OpLog`] on its clients).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws::oplog::OpLog;
use bytes::Bytes;
use common::Moto;
use pipeline::intake::Intake;
use pipeline::{BlobStore, Pipeline, RecordStore, Reel, Settings, Status, Task};
use serde_json::json;
use serde_yaml::Value as Yaml;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn template() -> Yaml {
    let text = std::fs::read_to_string(format!("{ROOT}/template.yaml")).expect("template.yaml");
    serde_yaml::from_str(&text).expect("template.yaml parses")
}

fn resources(t: &Yaml) -> &serde_yaml::Mapping {
    t.get("Resources")
        .and_then(Yaml::as_mapping)
        .expect("Resources")
}

/// `!Sub`, `!GetAtt`, `!Ref` or a plain string, as one string with `${...}` references.
fn render(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => s.clone(),
        Yaml::Tagged(t) => {
            let inner = render(&t.value);
            match t.tag.to_string().as_str() {
                "!Sub" => inner,
                "!GetAtt" | "!Ref" => format!("${{{inner}}}"),
                other => format!("{other} {inner}"),
            }
        }
        other => format!("{other:?}"),
    }
}

/// The template's resource strings in the OpLog's vocabulary.
fn resource_name(v: &Yaml) -> String {
    let s = render(v);
    if s.contains(":execution:${MediaPipeline.Name}:") {
        return "executions".into();
    }
    let states = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}";
    if s == format!("{states}:stateMachine:${{AWS::StackName}}-backfill") {
        return "backfill".into();
    }
    if s == format!("{states}:execution:${{AWS::StackName}}-backfill:*") {
        return "backfill-executions".into();
    }
    s.replace("${MediaBucket.Arn}", "bucket")
        .replace("${ReelsTable.Arn}", "table")
        .replace("${MediaPipeline}", "statemachine")
}

fn list(v: Option<&Yaml>) -> Vec<Yaml> {
    match v {
        Some(Yaml::Sequence(s)) => s.clone(),
        Some(other) => vec![other.clone()],
        None => vec![],
    }
}

/// Function logical id → its binary name (BuildProperties.Binary).
fn functions(t: &Yaml) -> BTreeMap<String, String> {
    resources(t)
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Yaml::as_str) == Some("AWS::Serverless::Function"))
        .map(|(k, r)| {
            let binary = r
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Yaml::as_str)
                .expect("every function names its Binary");
            (k.as_str().unwrap_or_default().to_owned(), binary.to_owned())
        })
        .collect()
}

/// The (action, resource) grants of a function's inline policy statements.
fn granted(t: &Yaml, binary: &str) -> BTreeSet<(String, String)> {
    let (_, function) = resources(t)
        .iter()
        .find(|(k, _)| {
            functions(t)
                .get(k.as_str().unwrap_or_default())
                .map(String::as_str)
                == Some(binary)
        })
        .expect("function in template");
    let mut out = BTreeSet::new();
    for policy in list(function.get("Properties").and_then(|p| p.get("Policies"))) {
        for statement in list(policy.get("Statement")) {
            assert_eq!(
                statement.get("Effect").and_then(Yaml::as_str),
                Some("Allow")
            );
            for action in list(statement.get("Action")) {
                for resource in list(statement.get("Resource")) {
                    out.insert((
                        action.as_str().unwrap_or_default().to_owned(),
                        resource_name(&resource),
                    ));
                }
            }
        }
    }
    out
}

/// State machine `machine`'s DefinitionSubstitutions, once it is checked to be defined by
/// `statemachine/{file}` and to substitute exactly the `${...}` placeholders of that file.
fn substitutions<'t>(t: &'t Yaml, machine: &str, file: &str) -> &'t serde_yaml::Mapping {
    let asl = std::fs::read_to_string(format!("{ROOT}/statemachine/{file}")).unwrap();
    let mut placeholders = BTreeSet::new();
    let mut rest = asl.as_str();
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}').expect("closed placeholder");
        placeholders.insert(after[..end].to_owned());
        rest = &after[end..];
    }
    assert!(!placeholders.is_empty(), "{file} has no placeholders");

    let p = props(t, machine);
    assert_eq!(
        p.get("DefinitionUri").and_then(Yaml::as_str),
        Some(format!("statemachine/{file}").as_str())
    );
    let subs = p
        .get("DefinitionSubstitutions")
        .and_then(Yaml::as_mapping)
        .expect("DefinitionSubstitutions");
    let names: BTreeSet<String> = subs
        .keys()
        .filter_map(Yaml::as_str)
        .map(str::to_owned)
        .collect();
    assert_eq!(
        names, placeholders,
        "{file}: ASL placeholders and DefinitionSubstitutions differ"
    );
    subs
}

#[test]
fn every_asl_placeholder_has_a_substitution_naming_its_function() {
    let t = template();
    let subs = substitutions(&t, "MediaPipeline", "media-pipeline.asl.json");
    let fns = functions(&t);
    for (name, value) in subs {
        let name = name.as_str().unwrap();
        let task = Task::from_function_ref(name).unwrap_or_else(|| panic!("{name} names no task"));
        let target = render(value);
        let logical = target.trim_start_matches("${").trim_end_matches(".Arn}");
        assert_eq!(
            fns.get(logical).map(String::as_str),
            Some(task.function_name()),
            "{name} → {target}"
        );
    }
}

#[test]
fn every_function_folder_is_deployed_and_built_by_cargo_lambda() {
    let t = template();
    let deployed: BTreeSet<String> = functions(&t).into_values().collect();
    let folders: BTreeSet<String> = std::fs::read_dir(format!("{ROOT}/functions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(deployed, folders);
    for (id, r) in resources(&t) {
        if r.get("Type").and_then(Yaml::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let meta = r.get("Metadata").unwrap();
        assert_eq!(
            meta.get("BuildMethod").and_then(Yaml::as_str),
            Some("rust-cargolambda"),
            "{id:?}"
        );
    }
    let globals = t.get("Globals").and_then(|g| g.get("Function")).unwrap();
    assert_eq!(
        globals.get("Architectures"),
        Some(&serde_yaml::from_str::<Yaml>("[arm64]").unwrap())
    );
    assert_eq!(
        globals.get("Tracing").and_then(Yaml::as_str),
        Some("Active")
    );
    for task in Task::ALL {
        assert!(
            deployed.contains(task.function_name()),
            "{} not deployed",
            task.function_name()
        );
    }
}

/// A world in moto with the OpLog on every client.
struct World {
    log: OpLog,
    /// unlogged adapters for setting the scene
    blobs: Arc<aws::S3BlobStore>,
    records: Arc<aws::DynamoRecordStore>,
    pipeline: Pipeline,
}

async fn world(url: &str) -> World {
    let moto = Moto::at(url, "policy").await;
    let log = OpLog::new();
    let (logged_blobs, logged_records, _) = log.adapters(&moto.sdk, &moto.names);
    let settings = Settings {
        thumbnail_sizes: vec![160],
        ..Settings::default()
    };
    let pipeline = Pipeline::new(Arc::new(logged_blobs), Arc::new(logged_records), settings);
    World {
        log,
        blobs: Arc::new(moto.blobs()),
        records: Arc::new(moto.records()),
        pipeline,
    }
}

/// The intake over `moto`'s bucket, table and media-pipeline state machine, with `log` on
/// every client; its signer is the logged bucket.
fn logged_intake(moto: &Moto, log: &OpLog) -> Intake {
    let (blobs, records, workflow) = log.adapters(&moto.sdk, &moto.names);
    let blobs = Arc::new(blobs);
    Intake {
        blobs: blobs.clone(),
        records: Arc::new(records),
        workflow: Arc::new(workflow.expect("a state machine")),
        settings: Arc::new(Settings::default()),
        signer: Some(blobs),
    }
}

fn photo() -> Bytes {
    Bytes::from(std::fs::read(format!("{ROOT}/fixtures/events/seed/photo.jpg")).unwrap())
}

/// The ticket the API leaves under `incoming/{id}/` for a direct upload.
fn ticket() -> Bytes {
    Bytes::from(std::fs::read(format!("{ROOT}/fixtures/events/seed/direct-ticket.json")).unwrap())
}

/// A task's input on reel `id`'s raw photo.
fn on_photo(id: &str) -> serde_json::Value {
    json!({"id": id, "rawKey": format!("raw/{id}/original.jpg")})
}

/// A task's input on reel `id`'s raw video.
fn on_video(id: &str) -> serde_json::Value {
    json!({"id": id, "rawKey": format!("raw/{id}/original.mp4")})
}

/// A 1-second 160x120 H.264 MP4, made with ffmpeg at test time.
fn clip() -> Bytes {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clip.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=160x120:rate=10:duration=1")
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    Bytes::from(std::fs::read(&out).unwrap())
}

impl World {
    /// `reel`'s record and its raw file, set up without logging.
    async fn keep(&self, reel: &Reel, raw: Bytes, content_type: &str) {
        self.records.create(reel).await.unwrap();
        common::put_objects(&*self.blobs, [(reel.raw_key.as_str(), raw, content_type)]).await;
    }

    /// A record in `status` with its raw photo.
    async fn seed(&self, id: &str, status: Status) {
        let reel = Reel {
            status,
            ..common::reel(id)
        };
        self.keep(&reel, photo(), "image/jpeg").await;
    }

    /// A READY reel awaiting review (moderation) with its raw photo and a thumbnail.
    async fn seed_pending(&self, id: &str) {
        let reel = Reel {
            status: Status::Ready,
            visibility: pipeline::Visibility::Pending,
            thumbnails: vec![pipeline::ThumbnailRef {
                size: 160,
                key: format!("thumbnails/{id}/160.jpg"),
                width: 96,
                height: 64,
                bytes: 2240,
            }],
            ..common::reel(id)
        };
        self.keep(&reel, photo(), "image/jpeg").await;
    }

    /// The same with a video as its raw file (`raw/{id}/original.mp4`).
    async fn seed_video(&self, id: &str, status: Status, video: &Bytes) {
        let reel = Reel {
            status,
            raw_key: format!("raw/{id}/original.mp4"),
            media_type: Some("video/mp4".into()),
            ..common::reel(id)
        };
        self.keep(&reel, video.clone(), "video/mp4").await;
    }

    async fn run(
        &self,
        task: Task,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, pipeline::TaskError> {
        self.pipeline.dispatch(task, payload).await
    }
}

fn check(t: &Yaml, binary: &str, log: &OpLog) {
    let granted = granted(t, binary);
    let used = log.grants();
    assert_eq!(
        granted,
        used,
        "{binary}: the template grants {granted:#?}\nbut the handler calls {:#?}",
        log.operations()
    );
}

#[tokio::test]
async fn task_policies_grant_exactly_what_the_handlers_call() {
    let Some(url) = common::endpoint("task_policies_grant_exactly_what_the_handlers_call") else {
        return;
    };
    let t = template();

    // ValidateFileType: an accepted file, and a missing one
    let w = world(&url).await;
    w.seed("v1", Status::Processing).await;
    w.log.clear();
    w.run(Task::ValidateType, on_photo("v1")).await.unwrap();
    let e = w.run(Task::ValidateType, on_photo("v2")).await.unwrap_err();
    assert_eq!(e.name, pipeline::ErrorName::NotFound);
    check(&t, "validate-type", &w.log);

    // GenerateThumbnails: a PROCESSING record, and one that turned FAILED meanwhile
    let w = world(&url).await;
    w.seed("g1", Status::Processing).await;
    w.seed("g2", Status::Failed).await;
    w.log.clear();
    w.run(Task::GenerateThumbnails, on_photo("g1"))
        .await
        .unwrap();
    let e = w
        .run(Task::GenerateThumbnails, on_photo("g2"))
        .await
        .unwrap_err();
    assert_eq!(e.name, pipeline::ErrorName::RecordConflict);
    check(&t, "generate-thumbnails", &w.log);

    // ExtractMetadata
    let w = world(&url).await;
    w.seed("m1", Status::Processing).await;
    w.log.clear();
    w.run(Task::ExtractMetadata, on_photo("m1")).await.unwrap();
    check(&t, "extract-metadata", &w.log);

    // TranscodeVideo: a video, and one whose record turned FAILED meanwhile
    let video = clip();
    let w = world(&url).await;
    w.seed_video("t1", Status::Processing, &video).await;
    w.seed_video("t2", Status::Failed, &video).await;
    w.log.clear();
    let out = w.run(Task::TranscodeVideo, on_video("t1")).await.unwrap();
    assert_eq!(out["video"]["key"], json!("renditions/t1/web.mp4"), "{out}");
    assert_eq!(out["video"]["transcoded"], json!(false), "{out}");
    let e = w
        .run(Task::TranscodeVideo, on_video("t2"))
        .await
        .unwrap_err();
    assert_eq!(e.name, pipeline::ErrorName::RecordConflict);
    assert_eq!(w.blobs.size("renditions/t2/web.mp4").await.unwrap(), None);
    check(&t, "transcode-video", &w.log);

    // CommitRecord: applied (with a video rendition), repeated, and a record that does
    // not exist
    let w = world(&url).await;
    w.seed("c1", Status::Processing).await;
    let derived = |id: &str| {
        [
            (format!("thumbnails/{id}/160.jpg"), photo(), "image/jpeg"),
            (
                format!("renditions/{id}/web.mp4"),
                video.clone(),
                "video/mp4",
            ),
        ]
    };
    common::put_objects(&*w.blobs, derived("c1")).await;
    w.log.clear();
    let commit = |id: &str| {
        json!({
            "id": id,
            "validated": {"mediaType": "video/mp4", "kind": "video", "ext": "mp4", "size": 2240},
            "processed": [
                {"thumbnails": [{"size": 160, "key": format!("thumbnails/{id}/160.jpg"), "width": 96, "height": 64, "bytes": 2240}]},
                {"metadata": {"width": 96}},
                {"video": {"key": format!("renditions/{id}/web.mp4"), "width": 160, "height": 120, "duration": 1.0, "bytes": video.len(), "codec": "h264", "transcoded": false}}
            ]
        })
    };
    assert_eq!(
        w.run(Task::CommitRecord, commit("c1")).await.unwrap()["changed"],
        json!(true)
    );
    assert_eq!(
        w.run(Task::CommitRecord, commit("c1")).await.unwrap()["changed"],
        json!(false)
    );
    common::put_objects(&*w.blobs, derived("c9")).await;
    assert!(w.run(Task::CommitRecord, commit("c9")).await.is_err());
    check(&t, "commit-record", &w.log);

    // Cleanup: a rejection (raw file and thumbnails go) and a transient failure
    let w = world(&url).await;
    w.seed("x1", Status::Processing).await;
    w.seed("x2", Status::Processing).await;
    common::put_objects(
        &*w.blobs,
        [
            ("thumbnails/x1/160.jpg", photo(), "image/jpeg"),
            ("renditions/x1/web.mp4", photo(), "video/mp4"),
        ],
    )
    .await;
    w.log.clear();
    let cleanup = |id: &str, error: &str| json!({"id": id, "rawKey": format!("raw/{id}/original.jpg"), "error": {"Error": error, "Cause": "{}"}});
    let out = w
        .run(Task::Cleanup, cleanup("x1", "CorruptMedia"))
        .await
        .unwrap();
    assert_eq!(out["rawDeleted"], json!(true));
    w.run(Task::Cleanup, cleanup("x2", "StorageUnavailable"))
        .await
        .unwrap();
    // a moderator's rejection of a READY reel awaiting review: the record ends REJECTED,
    // then the raw file and every derived object go
    w.seed_pending("x3").await;
    common::put_objects(
        &*w.blobs,
        [("thumbnails/x3/160.jpg", photo(), "image/jpeg")],
    )
    .await;
    let out = w
        .run(Task::Cleanup, cleanup("x3", "Rejected"))
        .await
        .unwrap();
    assert_eq!(out["status"], json!("REJECTED"), "{out}");
    assert_eq!(out["rawDeleted"], json!(true), "{out}");
    assert!(w.blobs.list("thumbnails/x3/").await.unwrap().is_empty());
    let rejected = w.records.get("x3").await.unwrap().unwrap();
    assert_eq!(rejected.status, Status::Rejected);
    assert!(rejected.thumbnails.is_empty());
    check(&t, "cleanup", &w.log);

    // Moderation: keep a token (and again: a retry's new token), publish, publish again,
    // and a request for a reel that is not awaiting review
    let w = world(&url).await;
    w.seed_pending("r1").await;
    w.seed("r2", Status::Processing).await;
    w.log.clear();
    let request =
        |id: &str, token: &str| json!({"action": "request", "id": id, "taskToken": token});
    w.run(Task::Moderation, request("r1", "t1")).await.unwrap();
    w.run(Task::Moderation, request("r1", "t2")).await.unwrap();
    let held = w.records.get("r1").await.unwrap().unwrap();
    assert_eq!(held.moderation_token.as_deref(), Some("t2"));
    // asking for review again releases a stale token, and only if it is still the record's
    // (the console's call: DynamoDB's conditional REMOVE)
    let release = |token: &str| pipeline::Review::Release {
        token: token.to_owned(),
    };
    assert_eq!(
        w.records.review("r1", &release("t1")).await.unwrap(),
        pipeline::Transition::Unchanged(Status::Ready)
    );
    let kept = w.records.get("r1").await.unwrap().unwrap();
    assert_eq!(kept.moderation_token.as_deref(), Some("t2"));
    assert_eq!(
        w.records.review("r1", &release("t2")).await.unwrap(),
        pipeline::Transition::Applied
    );
    let released = w.records.get("r1").await.unwrap().unwrap();
    assert_eq!(released.moderation_token, None);
    assert_eq!(released.visibility, pipeline::Visibility::Pending);
    w.run(Task::Moderation, request("r1", "t2")).await.unwrap();
    let publish = json!({"action": "publish", "id": "r1"});
    assert_eq!(
        w.run(Task::Moderation, publish.clone()).await.unwrap()["changed"],
        json!(true)
    );
    assert_eq!(
        w.run(Task::Moderation, publish).await.unwrap()["changed"],
        json!(false)
    );
    let published = w.records.get("r1").await.unwrap().unwrap();
    assert_eq!(published.visibility, pipeline::Visibility::Public);
    assert_eq!(published.moderation_token, None);
    let e = w
        .run(Task::Moderation, request("r2", "t3"))
        .await
        .unwrap_err();
    assert_eq!(e.name, pipeline::ErrorName::RecordConflict);
    check(&t, "moderation", &w.log);
}

#[tokio::test]
async fn object_created_policy_grants_exactly_what_its_handler_calls() {
    let Some(mut moto) = Moto::for_test(
        "object_created_policy_grants_exactly_what_its_handler_calls",
        "objcreated",
    )
    .await
    else {
        return;
    };
    moto.add_pipeline().await;
    let t = template();
    let log = OpLog::new();
    let handler = aws::events::ObjectCreated {
        intake: logged_intake(&moto, &log),
    };
    // what the API and the browser leave before the event: a ticket and the file
    let blobs = moto.blobs();
    common::put_objects(
        &blobs,
        [
            ("incoming/o1/ticket.json", ticket(), "application/json"),
            ("incoming/o1/file", photo(), "image/jpeg"),
        ],
    )
    .await;
    log.clear();
    let event = |id: &str| json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {"object": {"key": format!("incoming/{id}/file")}}});
    let first = handler.handle(event("o1")).await.unwrap();
    assert_eq!(first["results"][0]["started"], json!(true), "{first}");
    assert_eq!(
        blobs.size("raw/o1/original.jpg").await.unwrap(),
        Some(photo().len() as u64)
    );
    let again = handler.handle(event("o1")).await.unwrap();
    assert_eq!(again["results"][0]["started"], json!(false), "{again}");
    let none = handler.handle(event("o2")).await.unwrap();
    assert_eq!(none["results"][0]["started"], json!(false), "{none}");
    // a completion interrupted after the move finds the file under raw/ (a redelivery)
    common::put_objects(
        &blobs,
        [
            ("incoming/o3/ticket.json", ticket(), "application/json"),
            ("raw/o3/original.jpg", photo(), "image/jpeg"),
        ],
    )
    .await;
    let resumed = handler.handle(event("o3")).await.unwrap();
    assert_eq!(resumed["results"][0]["started"], json!(true), "{resumed}");
    assert_eq!(
        resumed["results"][0]["rawKey"],
        json!("raw/o3/original.jpg"),
        "{resumed}"
    );
    check(&t, "object-created", &log);
}

#[tokio::test]
async fn upload_policy_covers_what_the_api_calls() {
    let Some(mut moto) = Moto::for_test("upload_policy_covers_what_the_api_calls", "upload").await
    else {
        return;
    };
    moto.add_pipeline().await;
    // the Backfill, named as the template names it (`{stack}-backfill`)
    let stack = format!("stack-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    moto.add_backfill(&stack).await;
    let t = template();
    let log = OpLog::new();
    let executions = log
        .execution_log(&moto.sdk, &moto.names)
        .expect("a state machine");
    // the API signs direct uploads with an unlogged bucket
    let blobs = moto.blobs();
    let intake = Intake {
        signer: Some(Arc::new(blobs.clone())),
        ..logged_intake(&moto, &log)
    };
    let app = api::router(api::AppState {
        intake,
        executions: Some(Arc::new(executions)),
        admin: Default::default(),
    });
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/fixtures/events/upload-apigw-v2.json")).unwrap(),
    )
    .unwrap();
    let out = aws::invoke::invoke_http(app.clone(), fixture.clone()).await;
    let response = out
        .response()
        .unwrap_or_else(|e| panic!("upload failed: {e}"));
    assert_eq!(response["statusCode"], json!(202), "{response}");
    let body: serde_json::Value =
        serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    blobs
        .put(&format!("thumbnails/{id}/160.jpg"), photo(), "image/jpeg")
        .await
        .unwrap();
    // a direct upload: signed by the API, posted to the bucket, completed through the API
    let event = |method: &str, path: &str, body: Option<(&str, &[u8])>| {
        let mut e = fixture.clone();
        e["rawPath"] = json!(path);
        e["requestContext"]["http"]["method"] = json!(method);
        e["requestContext"]["http"]["path"] = json!(path);
        let headers = e["headers"].as_object_mut().expect("headers");
        headers.remove("content-type");
        headers.remove("content-length");
        match body {
            Some((content_type, bytes)) => {
                headers.insert("content-type".into(), json!(content_type));
                e["body"] = json!(String::from_utf8_lossy(bytes));
            }
            None => {
                e.as_object_mut().expect("event").remove("body");
            }
        }
        e["isBase64Encoded"] = json!(false);
        e
    };
    let request =
        json!({"name": "Ana", "caption": "big", "filename": "big.jpg", "size": photo().len()});
    let out = aws::invoke::invoke_http(
        app.clone(),
        event(
            "POST",
            "/api/uploads/direct",
            Some(("application/json", request.to_string().as_bytes())),
        ),
    )
    .await;
    let signed = out
        .response()
        .unwrap_or_else(|e| panic!("direct: {e}"))
        .clone();
    assert_eq!(signed["statusCode"], json!(201), "{signed}");
    let signed: serde_json::Value =
        serde_json::from_str(signed["body"].as_str().unwrap_or("null")).unwrap();
    let direct_id = signed["id"].as_str().unwrap().to_owned();
    let delete_token = signed["deleteToken"].as_str().unwrap().to_owned();
    let fields: Vec<(String, String)> = signed["upload"]["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
        .collect();
    let url_of_post = signed["upload"]["url"].as_str().unwrap().to_owned();
    let (status, text) = common::post_form(&url_of_post, &fields, &photo(), "big.jpg").await;
    assert!(
        (200..300).contains(&status),
        "the bucket refused the POST: {text}"
    );
    let complete = format!("/api/uploads/{direct_id}/complete");
    let out = aws::invoke::invoke_http(app.clone(), event("POST", &complete, None)).await;
    let done = out.response().unwrap_or_else(|e| panic!("complete: {e}"));
    assert_eq!(done["statusCode"], json!(202), "{done}");
    assert_eq!(
        blobs
            .size(&format!("raw/{direct_id}/original.jpg"))
            .await
            .unwrap(),
        Some(photo().len() as u64)
    );

    // the console: ListExecutions and DescribeStateMachine, then for one execution
    // DescribeExecution and GetExecutionHistory; each must answer 200
    let console = [
        "/api/executions".to_owned(),
        "/console".to_owned(),
        format!("/console/executions/{id}"),
        format!("/api/executions/{id}"),
    ];
    for path in [
        "/api/reels".to_owned(),
        format!("/api/reels/{id}"),
        format!("/media/thumbnails/{id}/160.jpg"),
        format!("/media/raw/{id}/original.jpg"),
    ]
    .into_iter()
    .chain(console.iter().cloned())
    {
        let out = aws::invoke::invoke_http(app.clone(), event("GET", &path, None)).await;
        let status = out
            .response()
            .map(|r| r["statusCode"].clone())
            .unwrap_or_default();
        eprintln!("GET {path}: {status}");
        if console.contains(&path) {
            assert_eq!(status, json!(200), "GET {path}");
        }
        // a thumbnail: a redirect to a presigned GET of exactly that object
        if path.starts_with("/media/thumbnails/") {
            assert_eq!(status, json!(307), "GET {path}");
            let response = out.response().unwrap();
            let location = response["headers"]["location"].as_str().unwrap_or_default();
            assert!(
                location.contains(&format!("/thumbnails/{id}/160.jpg?"))
                    && location.contains("X-Amz-Signature="),
                "{response}"
            );
        }
    }
    // the moderation queue: a READY reel awaiting review with a token (not one Step
    // Functions issued, so the answers are refused, but each call is made): opening the
    // queue sends a heartbeat, Approve SendTaskSuccess, Reject SendTaskFailure
    let pending = Reel {
        status: Status::Ready,
        visibility: pipeline::Visibility::Pending,
        moderation_token: Some("AAAAKgAAAAIAAAAAAAAAAf-not-a-real-token".into()),
        ..common::reel("mod1")
    };
    moto.records().create(&pending).await.unwrap();
    for (method, path, body) in [
        ("GET", "/console/moderation", None),
        ("POST", "/console/moderation/mod1/approve", None),
        (
            "POST",
            "/console/moderation/mod1/reject",
            Some((
                "application/x-www-form-urlencoded",
                b"reason=blurry".as_slice(),
            )),
        ),
    ] {
        let out = aws::invoke::invoke_http(app.clone(), event(method, path, body)).await;
        let status = out
            .response()
            .map(|r| r["statusCode"].clone())
            .unwrap_or_default();
        eprintln!("{method} {path}: {status}");
        if method == "GET" {
            assert_eq!(status, json!(200), "GET {path}");
        }
    }
    // the console's Backfill button: sizes are refused (the backfill on AWS makes the
    // backfill-reel function's), then a run of the Backfill state machine starts and its
    // page (DescribeExecution, GetExecutionHistory, the Backfill's DescribeStateMachine)
    // answers 200
    let form = |body: &'static [u8]| {
        event(
            "POST",
            "/console/backfill",
            Some(("application/x-www-form-urlencoded", body)),
        )
    };
    let out = aws::invoke::invoke_http(app.clone(), form(b"sizes=320%2C64")).await;
    let refused = out.response().unwrap_or_else(|e| panic!("backfill: {e}"));
    assert_eq!(refused["statusCode"], json!(400), "{refused}");
    assert!(
        refused["body"]
            .as_str()
            .unwrap_or_default()
            .contains("InvalidExecutionInput"),
        "{refused}"
    );
    let out = aws::invoke::invoke_http(app.clone(), form(b"sizes=")).await;
    let started = out.response().unwrap_or_else(|e| panic!("backfill: {e}"));
    assert_eq!(started["statusCode"], json!(303), "{started}");
    let location = started["headers"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let run = location
        .strip_prefix("/console/executions/")
        .unwrap_or_else(|| panic!("{started}"))
        .to_owned();
    assert!(run.starts_with("backfill-"), "{location}");
    let described = aws_sdk_sfn::Client::new(&moto.sdk)
        .describe_execution()
        .execution_arn(format!(
            "{}:{run}",
            moto.names
                .backfill_state_machine_arn
                .as_deref()
                .unwrap()
                .replace(":stateMachine:", ":execution:")
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("no execution {run} of the Backfill: {e:?}"));
    assert_eq!(described.input(), Some("{}"));
    let out = aws::invoke::invoke_http(app.clone(), event("GET", &location, None)).await;
    let page = out.response().unwrap_or_else(|e| panic!("{location}: {e}"));
    assert_eq!(page["statusCode"], json!(200), "GET {location}");
    assert!(
        page["body"].as_str().unwrap_or_default().contains(&run),
        "the page names the run"
    );
    // the executions list holds both machines' runs, newest first: the Backfill's run
    // (started last) above the upload's
    let out = aws::invoke::invoke_http(app.clone(), event("GET", "/api/executions", None)).await;
    let listed = out
        .response()
        .unwrap_or_else(|e| panic!("/api/executions: {e}"));
    assert_eq!(listed["statusCode"], json!(200), "{listed}");
    let listed: serde_json::Value =
        serde_json::from_str(listed["body"].as_str().unwrap_or("null")).unwrap();
    let listed: Vec<&str> = listed["executions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    let at = |name: &str| listed.iter().position(|n| *n == name);
    assert!(
        at(&run).is_some() && at(&id).is_some() && at(&run) < at(&id),
        "{listed:?}"
    );
    // the console's Stop and Redrive buttons, on the upload's execution and on the
    // Backfill's run: StopExecution aborts the RUNNING execution (moto runs none to its
    // end); RedriveExecution is then asked for the ABORTED one. moto (5.2) has no
    // RedriveExecution: it answers 500 NotImplemented, which the adapter takes for a
    // transient failure (503 StorageUnavailable once the SDK's retries are spent); where it
    // is implemented, the redrive redirects to the execution. Either way the call is made
    // and recorded, so a missing grant fails the comparison below.
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk);
    let executions_of = |machine: &str| machine.replace(":stateMachine:", ":execution:");
    for (name, machine) in [
        (
            id.as_str(),
            moto.names.state_machine_arn.as_deref().unwrap(),
        ),
        (
            run.as_str(),
            moto.names.backfill_state_machine_arn.as_deref().unwrap(),
        ),
    ] {
        let page = format!("/console/executions/{name}");
        let stop = format!("{page}/stop");
        let out = aws::invoke::invoke_http(
            app.clone(),
            event(
                "POST",
                &stop,
                Some((
                    "application/x-www-form-urlencoded",
                    b"error=Operator&cause=stopped+by+the+policy+test".as_slice(),
                )),
            ),
        )
        .await;
        let stopped = out.response().unwrap_or_else(|e| panic!("{stop}: {e}"));
        assert_eq!(stopped["statusCode"], json!(303), "POST {stop}: {stopped}");
        assert_eq!(stopped["headers"]["location"], json!(page), "{stopped}");
        let described = sfn
            .describe_execution()
            .execution_arn(format!("{}:{name}", executions_of(machine)))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no execution {name}: {e:?}"));
        assert_eq!(described.status().as_str(), "ABORTED", "{name}");
        let redrive = format!("{page}/redrive");
        let out = aws::invoke::invoke_http(app.clone(), event("POST", &redrive, None)).await;
        let answer = out.response().unwrap_or_else(|e| panic!("{redrive}: {e}"));
        eprintln!("POST {redrive}: {}", answer["statusCode"]);
        let body = answer["body"].as_str().unwrap_or_default();
        assert!(
            answer["statusCode"] == json!(303)
                || (answer["statusCode"] == json!(503) && body.contains("RedriveExecution")),
            "POST {redrive}: {answer}"
        );
    }
    // the template gives the function that Backfill's ARN
    let variables = resources(&t)
        .iter()
        .find(|(_, r)| {
            r.get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Yaml::as_str)
                == Some("upload")
        })
        .and_then(|(_, r)| r.get("Properties"))
        .and_then(|p| p.get("Environment"))
        .and_then(|e| e.get("Variables"))
        .expect("the upload function's variables");
    assert_eq!(
        variables
            .get(aws::config::ENV_BACKFILL_STATE_MACHINE)
            .map(resource_name)
            .as_deref(),
        Some("backfill")
    );
    assert_eq!(
        props(&t, "Backfill").get("Name").map(render).as_deref(),
        Some("${AWS::StackName}-backfill")
    );
    // the uploader deletes the direct upload's reel: the record and every object of it
    let mut delete = event("DELETE", &format!("/api/reels/{direct_id}"), None);
    delete["headers"]["x-delete-token"] = json!(delete_token);
    let out = aws::invoke::invoke_http(app.clone(), delete).await;
    let deleted = out.response().unwrap_or_else(|e| panic!("delete: {e}"));
    assert_eq!(deleted["statusCode"], json!(204), "{deleted}");
    assert!(blobs
        .list(&format!("raw/{direct_id}/"))
        .await
        .unwrap()
        .is_empty());
    let granted = granted(&t, "upload");
    let used = log.grants();
    // Step Functions: exactly what the upload path and the console call
    let states = |grants: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> {
        grants
            .iter()
            .filter(|(action, _)| action.starts_with("states:"))
            .cloned()
            .collect()
    };
    assert_eq!(
        states(&granted),
        states(&used),
        "upload: Step Functions grants differ from the calls (operations {:#?})",
        log.operations()
    );
    let missing: Vec<_> = used.difference(&granted).collect();
    assert!(
        missing.is_empty(),
        "upload: calls not granted: {missing:#?}\n(operations {:#?})",
        log.operations()
    );
    let unused: Vec<_> = granted.difference(&used).collect();
    eprintln!("upload: granted but not exercised by this test: {unused:?}");
}

/// Every Task state of the ASL (inside Parallel branches and Map processors too).
fn asl_tasks(file: &str) -> Vec<(String, serde_json::Value)> {
    fn walk(states: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        for (name, s) in states.as_object().into_iter().flatten() {
            if s["Type"] == "Task" {
                out.push((name.clone(), s.clone()));
            }
            for branch in s["Branches"].as_array().into_iter().flatten() {
                walk(&branch["States"], out);
            }
            for key in ["ItemProcessor", "Iterator"] {
                walk(&s[key]["States"], out);
            }
        }
    }
    let asl: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/statemachine/{file}")).unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    walk(&asl["States"], &mut out);
    out
}

/// A function's `Timeout` (its own, else the Globals'), by the `${...FunctionArn}` of a Task.
fn function_timeout(t: &Yaml, machine: &str, placeholder: &str) -> u64 {
    let subs = resources(t)
        .get(machine)
        .and_then(|m| m.get("Properties"))
        .and_then(|p| p.get("DefinitionSubstitutions"))
        .expect("DefinitionSubstitutions");
    let target = render(subs.get(placeholder).expect("a substitution"));
    let logical = target.trim_start_matches("${").trim_end_matches(".Arn}");
    let function = resources(t).get(logical).expect("the function");
    function
        .get("Properties")
        .and_then(|p| p.get("Timeout"))
        .or_else(|| {
            t.get("Globals")
                .and_then(|g| g.get("Function")?.get("Timeout"))
        })
        .and_then(Yaml::as_u64)
        .expect("a Timeout")
}

/// The state machine gives up on an attempt before Lambda would (a hung invoke cannot hold
/// an execution), and it never starts a second attempt on a timeout: the first invocation
/// may still be running, so a retry of `States.Timeout` would overlap it. Lambda's own
/// transient failures (`Lambda.Unknown`: the runtime died or ran out of memory;
/// `Lambda.ClientExecutionTimeoutException`: the invoke call itself timed out) are retried.
#[test]
fn every_task_times_out_before_its_function_and_retries_lambda_failures() {
    let t = template();
    let pipeline = asl_tasks("media-pipeline.asl.json");
    assert!(pipeline.len() >= 5, "{pipeline:?}");
    let backfill = asl_tasks("backfill.asl.json");
    assert!(!backfill.is_empty());
    let tasks = pipeline
        .into_iter()
        .map(|(name, task)| ("MediaPipeline", name, task))
        .chain(
            backfill
                .into_iter()
                .map(|(name, task)| ("Backfill", name, task)),
        );
    for (machine, name, task) in tasks {
        if task["Resource"]
            .as_str()
            .is_some_and(|r| r.ends_with(".waitForTaskToken"))
        {
            // a callback task (AwaitModeration) waits for a person, not for its function
            // (which returns at once): its timeout and heartbeat come from the execution
            // input, set by the template's parameters
            assert!(
                task["TimeoutSeconds"].is_u64() || task["TimeoutSecondsPath"].is_string(),
                "{name}: a callback task without a timeout waits up to a year"
            );
            assert!(
                task["HeartbeatSeconds"].is_u64() || task["HeartbeatSecondsPath"].is_string(),
                "{name}: no heartbeat"
            );
            continue;
        }
        let timeout = task["TimeoutSeconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no TimeoutSeconds"));
        let retriers = task["Retry"].as_array().cloned().unwrap_or_default();
        for r in &retriers {
            let errors = &r["ErrorEquals"];
            for never in ["States.Timeout", "States.ALL", "States.TaskFailed"] {
                assert!(
                    !errors.as_array().unwrap().contains(&json!(never)),
                    "{name}: retries {never}, which includes a timed-out attempt"
                );
            }
        }
        let Some(function) = task["Parameters"]["FunctionName"].as_str() else {
            // not a Lambda (a callback task): the timeout alone bounds it
            continue;
        };
        let placeholder = function.trim_start_matches("${").trim_end_matches('}');
        let lambda_timeout = function_timeout(&t, machine, placeholder);
        assert!(
            timeout < lambda_timeout,
            "{name}: TimeoutSeconds {timeout} is not below {placeholder}'s Timeout {lambda_timeout}"
        );
        for error in [
            "Lambda.Unknown",
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.ServiceException",
            "Lambda.TooManyRequestsException",
        ] {
            assert!(
                retriers
                    .iter()
                    .any(|r| r["ErrorEquals"].as_array().unwrap().contains(&json!(error))),
                "{name}: {error} is not retried"
            );
        }
        // the worst case of one Task: each attempt runs almost to its timeout and then fails
        // with a retried error, and the backoffs between them run to their caps
        let attempts: u64 = 1 + retriers
            .iter()
            .map(|r| r["MaxAttempts"].as_u64().unwrap_or(3))
            .sum::<u64>();
        let backoff: u64 = retriers
            .iter()
            .map(|r| {
                let max = r["MaxDelaySeconds"].as_u64().unwrap_or(u64::MAX);
                let first = r["IntervalSeconds"].as_u64().unwrap_or(1);
                let rate = r["BackoffRate"].as_f64().unwrap_or(2.0);
                (0..r["MaxAttempts"].as_u64().unwrap_or(3))
                    .map(|n| ((first as f64 * rate.powi(n as i32)) as u64).min(max))
                    .sum::<u64>()
            })
            .sum();
        eprintln!(
            "{name}: {attempts} attempts at most, {timeout} s each, {backoff} s of backoff at most, Lambda Timeout {lambda_timeout} s"
        );
        // the 15-minute bound is the reconcile sweep's (a PROCESSING reel older than that is
        // started again); a backfill item holds no PROCESSING reel
        if machine == "Backfill" {
            continue;
        }
        assert!(
            attempts * timeout + backoff < 15 * 60,
            "{name}: a Task may hold an execution longer than 15 min"
        );
    }
}

/// The resource `!Ref X` / `!GetAtt X.Attr` points at, and that attribute ("" for a Ref).
fn target(v: &Yaml) -> Option<(String, String)> {
    let s = render(v);
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    Some(match inner.split_once('.') {
        Some((id, attr)) => (id.to_owned(), attr.to_owned()),
        None => (inner.to_owned(), String::new()),
    })
}

fn resource_type<'t>(t: &'t Yaml, id: &str) -> Option<&'t str> {
    resources(t).get(id)?.get("Type")?.as_str()
}

fn props<'t>(t: &'t Yaml, id: &str) -> &'t Yaml {
    resources(t)
        .get(id)
        .and_then(|r| r.get("Properties"))
        .unwrap_or_else(|| panic!("{id} has no Properties"))
}

/// What `sam deploy --guided` asks before it deploys ("X has no authentication. Is this
/// okay? [y/N]", where Enter refuses): SAM CLI's own check over the template, run through
/// the `samcli` package (`aws-sam-cli` in .ci/pip-packages.txt), and the same reading here.
#[test]
fn sam_deploy_guided_finds_every_api_route_authenticated() {
    let t = template();
    // our reading: every HttpApi event has Auth, or its API has an authorizer by default
    let mut events = 0;
    for (id, r) in resources(&t) {
        if r.get("Type").and_then(Yaml::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let Some(evs) = r
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Yaml::as_mapping)
        else {
            continue;
        };
        for (name, e) in evs {
            if e.get("Type").and_then(Yaml::as_str) != Some("HttpApi") {
                continue;
            }
            events += 1;
            let p = e.get("Properties").expect("event properties");
            if p.get("Auth").is_some() {
                assert_ne!(
                    p.get("Auth")
                        .and_then(|a| a.get("Authorizer"))
                        .and_then(Yaml::as_str),
                    Some("NONE"),
                    "{id:?}/{name:?} opts out of the authorizer"
                );
                continue;
            }
            let (api, _) = target(p.get("ApiId").expect("ApiId")).expect("ApiId is a Ref");
            let auth = props(&t, &api).get("Auth");
            let default = auth
                .and_then(|a| a.get("DefaultAuthorizer"))
                .and_then(Yaml::as_str)
                .unwrap_or_else(|| panic!("{id:?}/{name:?}: no Auth and {api} has no default"));
            assert!(
                auth.and_then(|a| a.get("Authorizers"))
                    .and_then(|a| a.get(default))
                    .is_some(),
                "{api}: DefaultAuthorizer {default} is not defined"
            );
        }
    }
    assert!(events >= 2, "no HttpApi events found");

    // SAM CLI's check itself
    let script = r#"
import json, sys
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.commands.deploy.auth_utils import auth_per_resource
stacks, _ = SamLocalStackProvider.get_stacks(sys.argv[1])
print(json.dumps(auth_per_resource(stacks)))
"#;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .args(["-c", script, &format!("{ROOT}/template.yaml")])
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var("CI").is_err(),
                "CI must run SAM CLI's security check (pip aws-sam-cli): {why}"
            );
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED SAM CLI's own check: samcli is not importable by {python} ({})",
                why.lines().last().unwrap_or_default()
            );
            return;
        }
    };
    let checked: Vec<(String, bool)> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(!checked.is_empty(), "SAM CLI found no API events");
    let open: Vec<_> = checked.iter().filter(|(_, ok)| !ok).collect();
    assert!(
        open.is_empty(),
        "sam deploy --guided would ask about {open:?}"
    );
}

/// Direct uploads never expire silently: the Object Created rule has a dead-letter queue,
/// the asynchronous invocations of `object-created` an on-failure destination, the queue
/// accepts what EventBridge sends it, and an alarm watches its depth.
#[test]
fn undelivered_object_created_events_and_failed_invocations_are_kept() {
    let t = template();
    let f = props(&t, "ObjectCreatedFunction");
    let rule = f
        .get("Events")
        .and_then(Yaml::as_mapping)
        .and_then(|m| {
            m.values()
                .find(|e| e.get("Type").and_then(Yaml::as_str) == Some("EventBridgeRule"))
        })
        .expect("an EventBridgeRule event");
    let dlq = target(
        rule.get("Properties")
            .and_then(|p| p.get("DeadLetterConfig"))
            .and_then(|d| d.get("Arn"))
            .expect("the rule's target has a DeadLetterConfig.Arn"),
    )
    .expect("a GetAtt");
    assert_eq!(dlq.1, "Arn");
    assert_eq!(resource_type(&t, &dlq.0), Some("AWS::SQS::Queue"));
    let on_failure = f
        .get("EventInvokeConfig")
        .and_then(|c| c.get("DestinationConfig"))
        .and_then(|c| c.get("OnFailure"))
        .expect("an on-failure destination");
    assert_eq!(on_failure.get("Type").and_then(Yaml::as_str), Some("SQS"));
    let dest = target(on_failure.get("Destination").expect("Destination")).expect("a GetAtt");
    assert_eq!(resource_type(&t, &dest.0), Some("AWS::SQS::Queue"));

    // EventBridge may send to it
    let policy = resources(&t)
        .values()
        .find(|r| {
            r.get("Type").and_then(Yaml::as_str) == Some("AWS::SQS::QueuePolicy")
                && list(r.get("Properties").and_then(|p| p.get("Queues")))
                    .iter()
                    .any(|q| target(q).map(|x| x.0) == Some(dlq.0.clone()))
        })
        .expect("a queue policy for the dead-letter queue");
    let statements = list(
        policy
            .get("Properties")
            .and_then(|p| p.get("PolicyDocument"))
            .and_then(|d| d.get("Statement")),
    );
    assert!(statements.iter().any(|s| {
        s.get("Principal")
            .and_then(|p| p.get("Service"))
            .and_then(Yaml::as_str)
            == Some("events.amazonaws.com")
            && s.get("Action").and_then(Yaml::as_str) == Some("sqs:SendMessage")
    }));

    // and someone hears of it
    let watched = resources(&t).values().any(|r| {
        r.get("Type").and_then(Yaml::as_str) == Some("AWS::CloudWatch::Alarm")
            && r.get("Properties")
                .and_then(|p| p.get("Dimensions"))
                .map(|d| {
                    list(Some(d)).iter().any(|d| {
                        d.get("Value").and_then(target).map(|x| x.0) == Some(dlq.0.clone())
                    })
                })
                .unwrap_or(false)
    });
    assert!(watched, "no alarm on {}", dlq.0);

    // execution logging at ERROR, with the execution data (names, captions, GPS) left out
    let logging = props(&t, "MediaPipeline")
        .get("Logging")
        .expect("state machine logging");
    assert_eq!(logging.get("Level").and_then(Yaml::as_str), Some("ERROR"));
    assert_eq!(
        logging.get("IncludeExecutionData").and_then(Yaml::as_bool),
        Some(false)
    );
}

/// The metrics each namespace publishes that the alarms may use, and the dimension that
/// names the resource, with the resource type and attribute it takes.
fn known_metric(
    namespace: &str,
    metric: &str,
) -> Option<(&'static str, &'static str, &'static str)> {
    let (metrics, dimension, kind, attr): (&[&str], _, _, _) = match namespace {
        "AWS/States" => (
            &[
                "ExecutionsFailed",
                "ExecutionsTimedOut",
                "ExecutionsAborted",
                "ExecutionsSucceeded",
                "ExecutionsStarted",
                "ExecutionThrottled",
                "ExecutionTime",
            ],
            "StateMachineArn",
            "AWS::Serverless::StateMachine",
            "",
        ),
        "AWS/Lambda" => (
            &[
                "Errors",
                "Throttles",
                "Invocations",
                "Duration",
                "ConcurrentExecutions",
                "DestinationDeliveryFailures",
                "AsyncEventsDropped",
            ],
            "FunctionName",
            "AWS::Serverless::Function",
            "",
        ),
        // HTTP APIs (API Gateway v2) publish these under AWS/ApiGateway by ApiId
        "AWS/ApiGateway" => (
            &[
                "4xx",
                "5xx",
                "Count",
                "Latency",
                "IntegrationLatency",
                "DataProcessed",
            ],
            "ApiId",
            "AWS::Serverless::HttpApi",
            "",
        ),
        "AWS/SQS" => (
            &[
                "ApproximateNumberOfMessagesVisible",
                "ApproximateAgeOfOldestMessage",
                "NumberOfMessagesSent",
            ],
            "QueueName",
            "AWS::SQS::Queue",
            "QueueName",
        ),
        _ => return None,
    };
    metrics.contains(&metric).then_some((dimension, kind, attr))
}

/// Every alarm watches a metric its namespace publishes, of a resource of this template of
/// the right type; metric-math alarms stay within CloudWatch's 10 metrics; every function's
/// Errors and Throttles are watched; every alarm notifies the alarm topic.
#[test]
fn every_alarm_names_a_real_metric_of_a_real_resource() {
    let t = template();
    let mut watched: BTreeSet<(String, String)> = BTreeSet::new();
    let mut alarms = 0;
    for (id, r) in resources(&t) {
        if r.get("Type").and_then(Yaml::as_str) != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        alarms += 1;
        let id = id.as_str().unwrap_or_default();
        let p = r.get("Properties").expect("Properties");
        let actions = list(p.get("AlarmActions"));
        assert!(
            actions
                .iter()
                .any(|a| target(a).map(|x| x.0).as_deref() == Some("AlarmTopic")),
            "{id} notifies nobody"
        );
        let mut stats: Vec<Yaml> = vec![];
        if let Some(metrics) = p.get("Metrics") {
            let metrics = list(Some(metrics));
            let stat_count = metrics
                .iter()
                .filter(|m| m.get("MetricStat").is_some())
                .count();
            assert!(
                stat_count <= 10,
                "{id}: {stat_count} metrics (CloudWatch takes 10)"
            );
            assert_eq!(
                metrics
                    .iter()
                    .filter(|m| m.get("ReturnData").and_then(Yaml::as_bool) != Some(false))
                    .count(),
                1,
                "{id}: one expression is watched"
            );
            for m in metrics.iter().filter_map(|m| m.get("MetricStat")) {
                stats.push(m.get("Metric").expect("MetricStat.Metric").clone());
            }
        } else {
            stats.push(p.clone());
        }
        assert!(!stats.is_empty(), "{id} watches nothing");
        for m in &stats {
            let namespace = m
                .get("Namespace")
                .and_then(Yaml::as_str)
                .expect("Namespace");
            let metric = m
                .get("MetricName")
                .and_then(Yaml::as_str)
                .expect("MetricName");
            let (dimension, kind, attr) = known_metric(namespace, metric)
                .unwrap_or_else(|| panic!("{id}: {namespace} publishes no {metric}"));
            let dims = list(m.get("Dimensions"));
            assert_eq!(dims.len(), 1, "{id}: one dimension");
            assert_eq!(
                dims[0].get("Name").and_then(Yaml::as_str),
                Some(dimension),
                "{id}"
            );
            let (resource, got_attr) =
                target(dims[0].get("Value").expect("Value")).expect("a Ref or GetAtt");
            assert_eq!(
                resource_type(&t, &resource),
                Some(kind),
                "{id}: {resource} is not a {kind}"
            );
            assert_eq!(got_attr, attr, "{id}: {resource}");
            watched.insert((metric.to_owned(), resource));
        }
    }
    assert!(alarms >= 6, "{alarms} alarms");
    for (name, _) in functions(&t) {
        for metric in ["Errors", "Throttles"] {
            assert!(
                watched.contains(&(metric.to_owned(), name.clone())),
                "no alarm on {name}'s {metric}"
            );
        }
    }
    for metric in ["ExecutionsFailed", "ExecutionsTimedOut"] {
        assert!(watched.contains(&(metric.to_owned(), "MediaPipeline".to_owned())));
    }
    assert!(watched.contains(&("5xx".to_owned(), "HttpApi".to_owned())));
}

/// Every route has a throttle: a default for all, tighter ones on the upload routes, and
/// each route key given a setting is a route of the API.
#[test]
fn the_api_is_throttled_per_route() {
    let t = template();
    let api = props(&t, "HttpApi");
    let default = api
        .get("DefaultRouteSettings")
        .expect("DefaultRouteSettings");
    for k in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        assert!(default.get(k).is_some(), "default {k}");
    }
    let routes: BTreeSet<String> = resources(&t)
        .values()
        .filter_map(|r| r.get("Properties")?.get("Events")?.as_mapping())
        .flat_map(|m| m.values())
        .filter(|e| e.get("Type").and_then(Yaml::as_str) == Some("HttpApi"))
        .filter_map(|e| {
            let p = e.get("Properties")?;
            Some(format!(
                "{} {}",
                p.get("Method")?.as_str()?.to_uppercase(),
                p.get("Path")?.as_str()?
            ))
        })
        .collect();
    let settings = api
        .get("RouteSettings")
        .and_then(Yaml::as_mapping)
        .expect("RouteSettings");
    for (key, s) in settings {
        let key = key.as_str().unwrap_or_default();
        assert!(
            routes.contains(key),
            "RouteSettings names {key}, not a route"
        );
        assert!(s.get("ThrottlingRateLimit").is_some(), "{key}");
    }
    for upload in [
        "POST /uploads",
        "POST /api/uploads",
        "POST /api/uploads/direct",
    ] {
        assert!(settings.get(upload).is_some(), "{upload} has no throttle");
    }
}

/// The SDK call recorder is test-only: the `oplog` feature of `aws` is on in this crate's
/// own tests and in no Lambda binary's build (cargo resolves each function's features).
#[test]
fn no_lambda_binary_carries_the_sdk_call_recorder() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let functions: Vec<String> = functions(&template()).into_values().collect();
    assert!(functions.len() >= 7, "{functions:?}");
    for binary in functions {
        let out = std::process::Command::new(&cargo)
            .args(["tree", "-e", "features", "-i", "aws", "-p", &binary])
            .current_dir(ROOT)
            .output()
            .expect("cargo tree runs");
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{binary}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(tree.contains("aws feature \"lambda\""), "{binary}:\n{tree}");
        assert!(
            !tree.contains("feature \"oplog\""),
            "{binary} is built with the recorder:\n{tree}"
        );
    }
}

/// The authorizer's public route keys (`api::gate`) are routes of the API, so what README
/// names public is what the template serves; everything else is behind the token.
#[test]
fn the_authorizers_public_routes_are_routes_of_the_api() {
    let t = template();
    let routes: BTreeSet<String> = props(&t, "UploadFunction")
        .get("Events")
        .and_then(Yaml::as_mapping)
        .expect("UploadFunction events")
        .values()
        .filter_map(|e| {
            let p = e.get("Properties")?;
            Some(format!(
                "{} {}",
                p.get("Method")?.as_str()?.to_uppercase(),
                p.get("Path")?.as_str()?
            ))
        })
        .collect();
    for key in api::gate::ALWAYS_PUBLIC
        .iter()
        .chain(api::gate::UPLOAD_ROUTES)
    {
        assert!(routes.contains(*key), "{key} is not a route of the API");
    }
    assert!(routes.contains("ANY /{proxy+}"), "{routes:?}");
    let env = props(&t, "AuthorizerFunction")
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .expect("authorizer environment");
    assert_eq!(
        env.get("PUBLIC_UPLOADS").and_then(target),
        Some(("PublicUploads".to_owned(), String::new()))
    );
    assert!(render(env.get("MEDIA_HUB_ADMIN_TOKEN").expect("the token"))
        .contains("{{resolve:secretsmanager:${AdminTokenSecret}"));
}

#[tokio::test]
async fn reconcile_policy_grants_exactly_what_its_sweep_calls() {
    let Some(mut moto) = Moto::for_test(
        "reconcile_policy_grants_exactly_what_its_sweep_calls",
        "reconcile",
    )
    .await
    else {
        return;
    };
    moto.add_pipeline().await;
    let t = template();
    let log = OpLog::new();
    let intake = Intake {
        signer: None,
        ..logged_intake(&moto, &log)
    };
    // a reel left PROCESSING long ago with no execution, set up without logging
    let plain = moto.records();
    let id = pipeline::intake::new_id();
    let stuck = common::reel_at(&id, "2026-01-01T00:00:00.000Z");
    plain.create(&stuck).await.unwrap();
    log.clear();
    let n = intake
        .restart_processing(std::time::Duration::from_secs(900))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let now = plain.get(&id).await.unwrap().unwrap();
    assert!(now
        .execution_arn
        .is_some_and(|a| a.ends_with(&format!(":{id}"))));
    // run again: its execution is running now, nothing starts
    assert_eq!(
        intake
            .restart_processing(std::time::Duration::from_secs(900))
            .await
            .unwrap(),
        0
    );
    check(&t, "reconcile", &log);
}

/// The backfill's placeholders: the bucket, and the function that serves its items, built
/// from `functions/backfill-reel`.
#[test]
fn the_backfill_definitions_placeholders_name_the_bucket_and_its_function() {
    let t = template();
    let subs = substitutions(&t, "Backfill", "backfill.asl.json");
    assert_eq!(
        subs.get("MediaBucketName").and_then(target),
        Some(("MediaBucket".to_owned(), String::new()))
    );
    let (function, attr) = subs
        .get("BackfillReelFunctionArn")
        .and_then(target)
        .expect("a GetAtt");
    assert_eq!(attr, "Arn");
    assert_eq!(
        functions(&t).get(&function).map(String::as_str),
        Some("backfill-reel")
    );
    // its local ARN (local::backfill) names the same function
    assert!(local_backfill_arn().ends_with(":function:media-hub-backfill-reel"));
}

fn local_backfill_arn() -> String {
    // crates/local is not a dependency of this crate: read the constant from its source
    let text = std::fs::read_to_string(format!("{ROOT}/crates/local/src/backfill.rs")).unwrap();
    let start = text
        .find("\"arn:aws:lambda:local")
        .expect("BACKFILL_FUNCTION_ARN");
    let rest = &text[start + 1..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The backfill role's grants in a small vocabulary: `self` (this state machine),
/// `self-executions` (its Map Run's child executions), `bucket`, `bucket/PREFIX*`,
/// `function:ID[:*]`; logs and X-Ray (which take only "*") left out.
fn role_grants(t: &Yaml, machine: &str) -> BTreeSet<(String, String)> {
    let name = format!("${{AWS::StackName}}-{}", machine.to_lowercase());
    let arn = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}";
    let mut out = BTreeSet::new();
    for policy in list(props(t, machine).get("Policies")) {
        for statement in list(policy.get("Statement")) {
            assert_eq!(
                statement.get("Effect").and_then(Yaml::as_str),
                Some("Allow")
            );
            for action in list(statement.get("Action")) {
                let action = action.as_str().unwrap_or_default().to_owned();
                if action.starts_with("logs:") || action.starts_with("xray:") {
                    continue;
                }
                for resource in list(statement.get("Resource")) {
                    let r = render(&resource);
                    let r = if r == format!("{arn}:stateMachine:{name}") {
                        "self".to_owned()
                    } else if r == format!("{arn}:execution:{name}/*") {
                        "self-executions".to_owned()
                    } else if let Some(rest) = r.strip_prefix("${MediaBucket.Arn}") {
                        format!("bucket{rest}")
                    } else if let Some(rest) = r
                        .strip_prefix("${")
                        .and_then(|x| x.split_once(".Arn}"))
                        .map(|(id, tail)| format!("function:{id}{tail}"))
                    {
                        rest
                    } else {
                        r
                    };
                    out.insert((action.clone(), r));
                }
            }
        }
    }
    out
}

/// What a state machine calls, from its definition, by AWS's documented policies: a
/// distributed Map starts, describes and stops child executions of its own state machine;
/// an `s3:listObjectsV2` ItemReader lists the bucket; a manifest (`s3:getObject`, its key
/// from the input) is read under the ResultWriter's prefix; the ResultWriter writes there
/// (PutObject, GetObject, ListMultipartUploadParts, AbortMultipartUpload); a
/// `lambda:invoke` Task invokes its function (and its versions).
fn definition_calls(t: &Yaml, machine: &str, file: &str) -> BTreeSet<(String, String)> {
    let asl: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/statemachine/{file}")).unwrap(),
    )
    .unwrap();
    let subs = props(t, machine)
        .get("DefinitionSubstitutions")
        .and_then(Yaml::as_mapping)
        .expect("DefinitionSubstitutions")
        .clone();
    let mut out = BTreeSet::new();
    fn walk(
        states: &serde_json::Value,
        subs: &serde_yaml::Mapping,
        out: &mut BTreeSet<(String, String)>,
    ) {
        let grant = |out: &mut BTreeSet<(String, String)>, a: &str, r: &str| {
            out.insert((a.to_owned(), r.to_owned()));
        };
        for (_, s) in states.as_object().into_iter().flatten() {
            if s["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED" {
                grant(out, "states:StartExecution", "self");
                grant(out, "states:DescribeExecution", "self-executions");
                grant(out, "states:StopExecution", "self-executions");
            }
            let writer_prefix = s["ResultWriter"]["Parameters"]["Prefix"].as_str();
            if let Some(prefix) = writer_prefix {
                assert_eq!(
                    s["ResultWriter"]["Parameters"]["Bucket"],
                    "${MediaBucketName}"
                );
                for a in [
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:AbortMultipartUpload",
                ] {
                    grant(out, a, &format!("bucket/{prefix}/*"));
                }
            }
            let reader = &s["ItemReader"];
            match reader["Resource"].as_str() {
                Some("arn:aws:states:::s3:listObjectsV2") => {
                    assert_eq!(reader["Parameters"]["Bucket"], "${MediaBucketName}");
                    grant(out, "s3:ListBucket", "bucket");
                }
                Some("arn:aws:states:::s3:getObject") => {
                    assert_eq!(reader["Parameters"]["Bucket"], "${MediaBucketName}");
                    let prefix = writer_prefix.expect("manifests live under the results prefix");
                    grant(out, "s3:GetObject", &format!("bucket/{prefix}/*"));
                }
                Some(other) => panic!("an ItemReader this check does not know: {other}"),
                None => {}
            }
            if s["Type"] == "Task" {
                assert_eq!(s["Resource"], "arn:aws:states:::lambda:invoke");
                let f = s["Parameters"]["FunctionName"].as_str().unwrap_or_default();
                let placeholder = f.trim_start_matches("${").trim_end_matches('}');
                let (id, _) =
                    target(subs.get(placeholder).expect("a substitution")).expect("a GetAtt");
                grant(out, "lambda:InvokeFunction", &format!("function:{id}"));
                grant(out, "lambda:InvokeFunction", &format!("function:{id}:*"));
            }
            for key in ["ItemProcessor", "Iterator"] {
                walk(&s[key]["States"], subs, out);
            }
            for branch in s["Branches"].as_array().into_iter().flatten() {
                walk(&branch["States"], subs, out);
            }
        }
    }
    walk(&asl["States"], &subs, &mut out);
    out
}

/// The backfill's role grants exactly what its definition calls (AWS's documented policy
/// for a distributed Map, scoped to the bucket's prefixes), and its listing is scoped to
/// the prefix the ItemReader lists.
#[test]
fn backfill_role_grants_exactly_what_its_distributed_map_calls() {
    let t = template();
    let granted = role_grants(&t, "Backfill");
    let used = definition_calls(&t, "Backfill", "backfill.asl.json");
    assert!(used.contains(&("states:StartExecution".into(), "self".into())));
    assert_eq!(granted, used);
    let listing = list(props(&t, "Backfill").get("Policies"))
        .into_iter()
        .flat_map(|p| list(p.get("Statement")))
        .find(|s| {
            list(s.get("Action"))
                .iter()
                .any(|a| a.as_str() == Some("s3:ListBucket"))
        })
        .expect("a listing statement");
    let prefixes = list(
        listing
            .get("Condition")
            .and_then(|c| c.get("StringLike"))
            .and_then(|c| c.get("s3:prefix")),
    );
    assert_eq!(
        prefixes.iter().filter_map(Yaml::as_str).collect::<Vec<_>>(),
        vec!["raw/*"]
    );
    // the fixed name the role's ARNs assume
    assert_eq!(
        props(&t, "Backfill").get("Name").map(render).as_deref(),
        Some("${AWS::StackName}-backfill")
    );
}

#[tokio::test]
async fn backfill_function_policy_grants_exactly_what_its_items_call() {
    let Some(url) = common::endpoint("backfill_function_policy_grants_exactly_what_its_items_call")
    else {
        return;
    };
    let t = template();
    let w = world(&url).await;
    // a READY photo with a thumbnail of a size no longer made
    let photo_reel = Reel {
        status: Status::Ready,
        media_type: Some("image/jpeg".into()),
        thumbnails: vec![pipeline::ThumbnailRef {
            size: 1080,
            key: "thumbnails/b1/1080.jpg".into(),
            width: 96,
            height: 64,
            bytes: 2240,
        }],
        ..common::reel("b1")
    };
    w.keep(&photo_reel, photo(), "image/jpeg").await;
    common::put_objects(
        &*w.blobs,
        [("thumbnails/b1/1080.jpg", photo(), "image/jpeg")],
    )
    .await;
    // a READY video, and a FAILED reel (refused: reprocessed, not backfilled)
    let video = clip();
    w.seed_video("b2", Status::Ready, &video).await;
    w.seed("b3", Status::Failed).await;
    w.log.clear();

    let out = aws::lambda::backfill_item(&w.pipeline, json!({"Key": "raw/b1/original.jpg"}))
        .await
        .unwrap();
    assert_eq!(out.sizes, vec![160]);
    assert_eq!(out.removed, vec!["thumbnails/b1/1080.jpg".to_owned()]);
    let out = aws::lambda::backfill_item(&w.pipeline, json!({"id": "b2"}))
        .await
        .unwrap();
    assert_eq!(
        out.video.as_ref().map(|v| v.key.as_str()),
        Some("renditions/b2/web.mp4")
    );
    let stored = w.records.get("b2").await.unwrap().unwrap();
    assert_eq!(stored.video, out.video);
    assert!(w
        .blobs
        .size("renditions/b2/web.mp4")
        .await
        .unwrap()
        .is_some());
    let e = aws::lambda::backfill_item(&w.pipeline, json!({"id": "b3"}))
        .await
        .unwrap_err();
    assert_eq!(e.name, pipeline::ErrorName::RecordConflict);
    check(&t, "backfill-reel", &w.log);
}
