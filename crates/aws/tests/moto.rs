//! The adapters' contract against moto (an AWS-protocol server on loopback).

mod common;

use std::time::Duration;

use aws::{DynamoRecordStore, SfnExecutionLog, SfnWorkflowStarter};
use bytes::Bytes;
use common::Moto;
use futures::stream;
use pipeline::ports::ListQuery;
use pipeline::{
    BlobStore, BlobStream, Completion, Cursor, Direction, ExecutionError, ExecutionInput,
    ExecutionLog, RecordStore, Reel, Status, StoreError, Transition, UploadSigner, WorkflowStarter,
};

/// A body of `parts` chunks of 1 MiB, produced lazily; byte i is `i % 251`.
fn body(mib: usize) -> BlobStream<'static> {
    Box::pin(stream::iter((0..mib).map(|c| {
        let chunk: Vec<u8> = (0..1024 * 1024)
            .map(|i| ((c * 1024 * 1024 + i) % 251) as u8)
            .collect();
        Ok::<Bytes, std::io::Error>(Bytes::from(chunk))
    })))
}

#[tokio::test]
async fn s3_blob_store_contract() {
    let Some(moto) = Moto::for_test("s3_blob_store_contract", "blobs").await else {
        return;
    };
    let s3 = moto.blobs();

    for (key, body, content_type) in [
        (
            "raw/a/original.jpg",
            &b"\xff\xd8\xff\xe0hello"[..],
            "image/jpeg",
        ),
        ("thumbnails/a/160.jpg", b"t160", "image/jpeg"),
        ("thumbnails/a/480.jpg", b"t480", "image/jpeg"),
        ("thumbnails/ab/160.jpg", b"other id", "image/jpeg"),
        ("raw/empty/original.bin", b"", "application/octet-stream"),
    ] {
        s3.put(key, Bytes::from_static(body), content_type)
            .await
            .unwrap();
    }

    assert_eq!(
        s3.get("raw/a/original.jpg").await.unwrap(),
        Bytes::from_static(b"\xff\xd8\xff\xe0hello")
    );
    assert_eq!(
        s3.get_head("raw/a/original.jpg", 4).await.unwrap(),
        Bytes::from_static(b"\xff\xd8\xff\xe0")
    );
    assert_eq!(
        s3.get_head("raw/a/original.jpg", 1000).await.unwrap().len(),
        9
    );
    assert_eq!(
        s3.get_head("raw/empty/original.bin", 16).await.unwrap(),
        Bytes::new()
    );
    assert_eq!(s3.size("raw/a/original.jpg").await.unwrap(), Some(9));
    assert_eq!(s3.size("raw/empty/original.bin").await.unwrap(), Some(0));
    assert_eq!(s3.size("raw/missing/original.jpg").await.unwrap(), None);
    assert!(matches!(
        s3.get("raw/missing/original.jpg").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s3.get_head("raw/missing/original.jpg", 8).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        s3.list("thumbnails/a/").await.unwrap(),
        vec![
            "thumbnails/a/160.jpg".to_string(),
            "thumbnails/a/480.jpg".to_string()
        ]
    );
    s3.delete("thumbnails/a/160.jpg").await.unwrap();
    s3.delete("thumbnails/a/160.jpg").await.unwrap(); // deleting a missing object is fine
    assert_eq!(
        s3.list("thumbnails/a/").await.unwrap(),
        vec!["thumbnails/a/480.jpg".to_string()]
    );

    // a bucket that does not exist is not a transient failure
    let nowhere = aws::S3BlobStore::new(&moto.sdk, "no-such-bucket-for-media-hub");
    assert!(matches!(
        nowhere.get("x").await,
        Err(StoreError::Invalid(_)) | Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn s3_streams_large_bodies_in_parts() {
    let Some(moto) = Moto::for_test("s3_streams_large_bodies_in_parts", "stream").await else {
        return;
    };
    let s3 = moto.blobs().with_part_size(5 * 1024 * 1024);

    // 12 MiB in 1 MiB chunks: three parts (5 + 5 + 2 MiB), never the whole body in memory
    let key = "raw/big/original.mp4";
    let size = s3
        .put_stream(key, body(12), "video/mp4", 50 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(size, 12 * 1024 * 1024);
    assert_eq!(s3.size(key).await.unwrap(), Some(12 * 1024 * 1024));
    let back = s3.get(key).await.unwrap();
    assert!(
        back.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8),
        "content differs"
    );
    let head = moto.head(key).await;
    assert_eq!(head.content_type(), Some("video/mp4"));
    assert!(
        head.e_tag().unwrap_or_default().contains("-3"),
        "not a 3-part upload: {:?}",
        head.e_tag()
    );

    // over the limit: refused, nothing under the key, no upload left open
    let key = "raw/toobig/original.mp4";
    let err = s3
        .put_stream(key, body(12), "video/mp4", 10 * 1024 * 1024)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::TooLarge {
            limit: 10 * 1024 * 1024
        }
    );
    assert_eq!(s3.size(key).await.unwrap(), None);
    let open = s3
        .client()
        .list_multipart_uploads()
        .bucket(&moto.names.bucket)
        .send()
        .await
        .unwrap();
    assert!(
        open.uploads().is_empty(),
        "multipart uploads left open: {:?}",
        open.uploads()
    );

    // a small body goes up whole
    assert_eq!(
        s3.put_stream("raw/small/original.jpg", body(1), "image/jpeg", 1 << 30)
            .await
            .unwrap(),
        1 << 20
    );
}

#[tokio::test]
async fn presigned_post_is_accepted_by_the_server() {
    let Some(moto) = Moto::for_test("presigned_post_is_accepted_by_the_server", "post").await
    else {
        return;
    };
    let s3 = moto.blobs();

    let key = "raw/0193a5b0-7c1e-7d2a-9f00-0000000000aa/original.jpg";
    let post = s3
        .presigned_post(key, "image/jpeg", 1024 * 1024, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(post.url.starts_with(&moto.url), "{}", post.url);
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/events/seed/photo.jpg"
    ))
    .unwrap();
    let fields: Vec<(String, String)> = post.fields.clone().into_iter().collect();
    let (status, text) = common::post_form(&post.url, &fields, &photo, "beach.jpg").await;
    assert!((200..300).contains(&status), "POST refused: {text}");
    assert_eq!(s3.get(key).await.unwrap(), Bytes::from(photo));
    let head = moto.head(key).await;
    assert_eq!(head.content_type(), Some("image/jpeg"));

    // a key other than the one the policy names: S3 refuses it; moto does not check
    let fields: Vec<(String, String)> = post
        .fields
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "key" {
                    "raw/other/original.jpg".to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    let (status, _) = common::post_form(&post.url, &fields, b"x", "x.jpg").await;
    if (200..300).contains(&status) {
        eprintln!("NOTE: moto accepted a POST that breaks its policy (moto does not evaluate POST policies; S3 does)");
    }
}

#[tokio::test]
async fn dynamo_record_store_contract() {
    let Some(moto) = Moto::for_test("dynamo_record_store_contract", "records").await else {
        return;
    };
    let db = moto.records();

    let a = common::reel_at("a", "2026-01-01T00:00:01.000Z");
    let b = common::reel_at("b", "2026-01-01T00:00:02.000Z");
    let c = common::reel_at("c", "2026-01-01T00:00:03.000Z");
    for r in [&a, &b, &c] {
        db.create(r).await.unwrap();
    }
    assert_eq!(
        db.create(&a).await,
        Err(StoreError::AlreadyExists("a".into()))
    );
    assert_eq!(db.get("a").await.unwrap(), Some(a.clone()));
    assert_eq!(db.get("nope").await.unwrap(), None);

    db.set_execution_arn("a", "arn:aws:states:us-east-1:1:execution:m:a")
        .await
        .unwrap();
    assert_eq!(
        db.get("a").await.unwrap().unwrap().execution_arn.as_deref(),
        Some("arn:aws:states:us-east-1:1:execution:m:a")
    );
    assert!(matches!(
        db.set_execution_arn("nope", "x").await,
        Err(StoreError::NotFound(_))
    ));

    let ready = Completion::Ready {
        media_type: "image/jpeg".into(),
        size: 2240,
        thumbnails: vec![pipeline::ThumbnailRef {
            size: 160,
            key: "thumbnails/a/160.jpg".into(),
            width: 160,
            height: 107,
            bytes: 900,
        }],
        metadata: Some(serde_json::json!({"width": 96, "height": 64, "camera": "X"})),
        video: None,
    };
    let failed = Completion::Failed {
        error: "CorruptMedia".into(),
        cause: "truncated".into(),
    };
    assert_eq!(db.complete("a", &ready).await.unwrap(), Transition::Applied);
    assert_eq!(
        db.complete("a", &ready).await.unwrap(),
        Transition::Unchanged(Status::Ready)
    );
    assert_eq!(
        db.complete("a", &failed).await.unwrap(),
        Transition::Unchanged(Status::Ready)
    );
    let stored = db.get("a").await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Ready);
    assert_eq!(stored.thumbnails.len(), 1);
    assert_eq!(
        stored.metadata,
        Some(serde_json::json!({"camera": "X", "height": 64, "width": 96}))
    );
    assert_eq!(stored.error, None);

    assert_eq!(
        db.complete("b", &failed).await.unwrap(),
        Transition::Applied
    );
    assert_eq!(
        db.complete("b", &ready).await.unwrap(),
        Transition::Unchanged(Status::Failed)
    );
    let stored = db.get("b").await.unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.error.as_deref(),
            stored.cause.as_deref()
        ),
        (Status::Failed, Some("CorruptMedia"), Some("truncated"))
    );
    assert!(matches!(
        db.complete("nope", &ready).await,
        Err(StoreError::NotFound(_))
    ));

    // a backfill refreshes a READY record only
    let new_thumbs = vec![pipeline::ThumbnailRef {
        size: 64,
        key: "thumbnails/a/64.jpg".into(),
        width: 64,
        height: 43,
        bytes: 300,
    }];
    let md = serde_json::json!({"width": 96, "height": 64});
    let video = pipeline::VideoRef {
        key: "renditions/a/web.mp4".into(),
        width: 160,
        height: 120,
        duration: 1.0,
        bytes: 4000,
        codec: "h264".into(),
        transcoded: true,
    };
    assert_eq!(
        db.refresh("a", &new_thumbs, Some(&md), Some(&video))
            .await
            .unwrap(),
        Transition::Applied
    );
    let stored = db.get("a").await.unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.thumbnails,
            stored.metadata,
            stored.video
        ),
        (Status::Ready, new_thumbs.clone(), Some(md), Some(video))
    );
    assert_eq!(
        db.refresh("b", &new_thumbs, None, None).await.unwrap(),
        Transition::Unchanged(Status::Failed)
    );
    assert!(matches!(
        db.refresh("nope", &new_thumbs, None, None).await,
        Err(StoreError::NotFound(_))
    ));

    for (query, want) in [
        (ListQuery::default(), vec!["c", "b", "a"]),
        (
            ListQuery {
                limit: 2,
                ..Default::default()
            },
            vec!["c", "b"],
        ),
        (
            ListQuery {
                before: Some(c.created_at.clone()),
                ..Default::default()
            },
            vec!["b", "a"],
        ),
        (
            ListQuery {
                status: Some(Status::Processing),
                ..Default::default()
            },
            vec!["c"],
        ),
        (
            ListQuery {
                status: Some(Status::Ready),
                limit: 5,
                ..Default::default()
            },
            vec!["a"],
        ),
    ] {
        let listed: Vec<String> = db
            .list(&query)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(listed, want, "{query:?}");
    }
}

/// Every page of `query` in turn, as a client pages: each next page from the opaque token
/// of the page before's last record (`Older`) or first (`Newer`), until a page is empty.
async fn pages(
    db: &DynamoRecordStore,
    mut query: ListQuery,
    direction: Direction,
) -> Vec<Vec<Reel>> {
    let mut pages = Vec::new();
    loop {
        let page = db.list(&query).await.unwrap();
        let edge = match direction {
            Direction::Older => page.last(),
            Direction::Newer => page.first(),
        };
        let Some(edge) = edge else { break };
        let token = Cursor::at(edge, direction).encode();
        query.cursor = Some(Cursor::decode(&token).expect("a cursor's token decodes"));
        pages.push(page);
    }
    pages
}

/// Paging by the `(createdAt, id)` cursor, both ways, over records of mixed statuses that
/// share milliseconds: every record exactly once, none skipped; a deleted record is gone.
#[tokio::test]
async fn dynamo_pages_by_cursor_both_ways_and_deletes() {
    let Some(moto) = Moto::for_test("dynamo_pages_by_cursor_both_ways_and_deletes", "paging").await
    else {
        return;
    };
    let db = moto.records();
    let failed = Completion::Failed {
        error: "CorruptMedia".into(),
        cause: "x".into(),
    };
    let mut all = Vec::new();
    for i in 0..9 {
        // three records per millisecond
        let r = common::reel_at(
            &format!("r{i}"),
            &format!("2026-01-01T00:00:00.00{}Z", i / 3),
        );
        db.create(&r).await.unwrap();
        if i % 4 == 0 {
            db.complete(&r.id, &failed).await.unwrap();
        }
        all.push(r.id);
    }
    all.reverse();
    for limit in [1, 2, 4] {
        let older = ListQuery {
            limit,
            ..Default::default()
        };
        let seen: Vec<String> = pages(&db, older, Direction::Older)
            .await
            .into_iter()
            .flatten()
            .map(|r| r.id)
            .collect();
        assert_eq!(seen, all, "older pages of {limit}");
        let newer = ListQuery {
            limit,
            cursor: Some(Cursor {
                created_at: "2025".into(),
                id: "x".into(),
                direction: Direction::Newer,
            }),
            ..Default::default()
        };
        let newer_pages = pages(&db, newer, Direction::Newer).await;
        assert!(newer_pages.iter().all(|page| page.len() <= limit));
        // each newer page goes above the ones before it
        let back: Vec<String> = newer_pages
            .into_iter()
            .rev()
            .flatten()
            .map(|r| r.id)
            .collect();
        assert_eq!(back, all, "newer pages of {limit}");
    }
    assert!(db.delete("r4").await.unwrap());
    assert!(!db.delete("r4").await.unwrap());
    assert_eq!(db.get("r4").await.unwrap(), None);
}

#[tokio::test]
async fn start_execution_is_idempotent_per_media_id() {
    let Some(url) = common::endpoint("start_execution_is_idempotent_per_media_id") else {
        return;
    };
    let sdk = common::sdk(&url).await;
    let machine = common::create_state_machine(
        &sdk,
        &format!("media-pipeline-{}", uuid::Uuid::new_v4().simple()),
    )
    .await;
    let starter = SfnWorkflowStarter::new(&sdk, &machine);
    let input = ExecutionInput {
        id: "0193a5b0-7c1e-7d2a-9f00-0000000000bb".into(),
        raw_key: "raw/0193a5b0-7c1e-7d2a-9f00-0000000000bb/original.jpg".into(),
        declared_type: Some("image/jpeg".into()),
        moderation: None,
    };
    let first = starter.start(&input).await.unwrap();
    assert!(!first.already_started);
    assert!(
        first.execution_arn.ends_with(&format!(":{}", input.id)),
        "{}",
        first.execution_arn
    );
    let again = starter.start(&input).await.unwrap();
    assert!(again.already_started);
    assert_eq!(again.execution_arn, first.execution_arn);

    let listed = starter
        .client()
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.executions().len(),
        1,
        "a repeated start must start nothing new"
    );
    let described = starter
        .client()
        .describe_execution()
        .execution_arn(&first.execution_arn)
        .send()
        .await
        .unwrap();
    let sent: serde_json::Value =
        serde_json::from_str(described.input().unwrap_or("null")).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"id": input.id, "rawKey": input.raw_key, "declaredType": "image/jpeg"})
    );

    assert!(matches!(
        starter
            .start(&ExecutionInput {
                id: "../x".into(),
                ..input.clone()
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn the_console_starts_the_backfill_state_machine_and_reads_its_run() {
    let Some(url) =
        common::endpoint("the_console_starts_the_backfill_state_machine_and_reads_its_run")
    else {
        return;
    };
    let sdk = common::sdk(&url).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let machine = common::create_state_machine(&sdk, &format!("media-pipeline-{tag}")).await;
    let backfill =
        common::create_backfill_machine(&sdk, &format!("stack-{}", &tag[..12]), "bucket").await;
    assert!(backfill.ends_with(&format!(":stateMachine:stack-{}-backfill", &tag[..12])));
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let runs = || async {
        sfn.list_executions()
            .state_machine_arn(&backfill)
            .send()
            .await
            .unwrap()
            .executions()
            .len()
    };

    // without the Backfill's ARN the port keeps answering Unsupported (the console's 501)
    let bare = SfnExecutionLog::new(&sdk, &machine);
    assert!(matches!(
        bare.start_backfill(None).await,
        Err(ExecutionError::Unsupported(m)) if m.contains("BACKFILL_STATE_MACHINE_ARN")
    ));

    let log = SfnExecutionLog::new(&sdk, &machine).with_backfill(&backfill);
    // sizes: the backfill on AWS makes backfill-reel's own sizes; refused, nothing started
    match log.start_backfill(Some(&[320, 64])).await {
        Err(ExecutionError::InvalidInput(m)) => assert!(m.starts_with("sizes:"), "{m}"),
        other => panic!("sizes must be refused as InvalidInput, got {other:?}"),
    }
    assert_eq!(runs().await, 0);

    let run = log.start_backfill(None).await.unwrap();
    let id = run
        .name
        .strip_prefix("backfill-")
        .unwrap_or_else(|| panic!("{}", run.name));
    assert_eq!(
        uuid::Uuid::parse_str(id).unwrap().get_version_num(),
        7,
        "{}",
        run.name
    );
    let (machine_part, _) = backfill.split_once(":stateMachine:").unwrap();
    assert_eq!(
        run.execution_arn,
        format!(
            "{machine_part}:execution:stack-{}-backfill:{}",
            &tag[..12],
            run.name
        )
    );
    assert_eq!(run.status, "RUNNING");
    assert_eq!(runs().await, 1);
    // in moto: an execution of the Backfill state machine, by that name, input {}
    let described = sfn
        .describe_execution()
        .execution_arn(&run.execution_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.state_machine_arn(), backfill);
    assert_eq!(described.name(), Some(run.name.as_str()));
    assert_eq!(described.input(), Some("{}"));

    // the console's execution page: the run by its bare name and by its ARN, its history,
    // and the Backfill's own definition for the graph
    let by_name = log.describe_execution(&run.name).await.unwrap().unwrap();
    assert_eq!(by_name.execution_arn, run.execution_arn);
    let by_arn = log
        .describe_execution(&run.execution_arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_arn.name, run.name);
    assert!(!log.execution_history(&run.name).await.unwrap().is_empty());
    let drawn = log.definition_of(&by_name).await.unwrap();
    let deployed: serde_json::Value = serde_json::from_str(
        sfn.describe_state_machine()
            .state_machine_arn(&backfill)
            .send()
            .await
            .unwrap()
            .definition(),
    )
    .unwrap();
    assert_eq!(drawn, deployed);
    assert_ne!(drawn, log.definition().await.unwrap());
    // the pipeline's executions still resolve to the pipeline: an unknown media id is none,
    // and an ARN of neither machine is none
    assert_eq!(
        log.describe_execution("0193a5b0-7c1e-7d2a-9f00-0000000000cc")
            .await
            .unwrap(),
        None
    );
    let elsewhere = run.execution_arn.replace("-backfill:", "-other:");
    assert_eq!(log.describe_execution(&elsewhere).await.unwrap(), None);
    // the media-pipeline log without the Backfill does not read the run
    assert_eq!(
        bare.describe_execution(&run.execution_arn).await.unwrap(),
        None
    );
}

/// GET a URL over plain HTTP/1.1 (moto on loopback): status, lower-cased headers, body.
async fn http_get(url: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let text = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = text.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, answer[split + 4..].to_vec())
}

/// Thumbnails leave S3 through short-lived presigned GETs, and carry their own caching
/// header; the raw upload does not get one.
#[tokio::test]
async fn thumbnails_are_fetched_with_presigned_gets_and_cache_headers() {
    let Some(moto) = Moto::for_test(
        "thumbnails_are_fetched_with_presigned_gets_and_cache_headers",
        "presign",
    )
    .await
    else {
        return;
    };
    let s3 = moto.blobs();
    common::put_objects(
        &s3,
        [
            ("thumbnails/p/160.jpg", "t160", "image/jpeg"),
            ("raw/p/original.jpg", "raw", "image/jpeg"),
        ],
    )
    .await;
    let link = s3
        .presign_get("thumbnails/p/160.jpg", std::time::Duration::from_secs(300))
        .await
        .unwrap()
        .expect("S3 presigns");
    assert!(link.contains("X-Amz-Signature="), "{link}");
    assert!(link.contains("X-Amz-Expires=300"), "{link}");
    let (status, headers, body) = http_get(&link).await;
    assert_eq!(status, 200, "{headers:?}");
    assert_eq!(body, b"t160");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("cache-control").as_deref(),
        Some("public, max-age=86400")
    );
    // (moto does not check signatures; S3 refuses a tampered or expired one)
    // the raw file is stored without a caching header (it is never served to browsers)
    let raw = s3
        .presign_get("raw/p/original.jpg", std::time::Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let (_, headers, _) = http_get(&raw).await;
    assert!(
        !headers.iter().any(|(k, _)| k == "cache-control"),
        "{headers:?}"
    );
}

/// A few hundred reels spread over the index's shards, two to a millisecond: paging newest
/// first with the opaque `(createdAt, id)` cursor, all statuses or one, visits each record
/// exactly once and in `(createdAt, id)` order; every shard holds some, and a status change
/// moves the record to its new status's shard.
#[tokio::test]
async fn paging_across_the_index_shards_visits_each_reel_once() {
    let Some(moto) = Moto::for_test(
        "paging_across_the_index_shards_visits_each_reel_once",
        "shards",
    )
    .await
    else {
        return;
    };
    let db = moto.records();
    let total = 300;
    let mut made = Vec::new();
    for i in 0..total {
        let id = format!("{:08x}-0000-7000-8000-{:012x}", 0x0193_0000 + i, i * 7919);
        // two reels share each millisecond: the id breaks the tie
        let j = i / 2;
        let created = format!("2026-11-30T10:{:02}:{:02}.{:03}Z", j / 60, j % 60, j % 1000);
        db.create(&common::reel_at(&id, &created)).await.unwrap();
        made.push((created, id));
    }
    // a third of them end READY, a third FAILED
    for (n, (_, id)) in made.iter().enumerate() {
        let completion = match n % 3 {
            0 => continue,
            1 => Completion::Ready {
                media_type: "image/jpeg".into(),
                size: 1,
                thumbnails: vec![],
                metadata: None,
                video: None,
            },
            _ => Completion::Failed {
                error: "CorruptMedia".into(),
                cause: "x".into(),
            },
        };
        assert_eq!(
            db.complete(id, &completion).await.unwrap(),
            Transition::Applied
        );
    }
    // every shard of every status got some
    let shards: std::collections::BTreeSet<u32> = made
        .iter()
        .map(|(_, id)| aws::dynamo::shard_of(id))
        .collect();
    assert_eq!(shards.len() as u32, aws::dynamo::SHARDS);

    let db = &db;
    let page_through = |status: Option<Status>| async move {
        let query = ListQuery {
            status,
            limit: 17,
            ..Default::default()
        };
        let mut seen: Vec<(String, String)> = Vec::new();
        for r in pages(db, query, Direction::Older)
            .await
            .into_iter()
            .flatten()
        {
            assert!(status.is_none_or(|s| r.status == s), "{r:?}");
            seen.push((r.created_at, r.id));
        }
        seen
    };
    let mut expected = made.clone();
    expected.sort();
    expected.reverse();
    assert_eq!(page_through(None).await, expected, "all statuses");
    for (status, rest) in [
        (Status::Processing, 0),
        (Status::Ready, 1),
        (Status::Failed, 2),
    ] {
        let want: Vec<(String, String)> = expected
            .iter()
            .filter(|(_, id)| made.iter().position(|(_, m)| m == id).unwrap() % 3 == rest)
            .cloned()
            .collect();
        assert_eq!(want.len(), total as usize / 3);
        assert_eq!(page_through(Some(status)).await, want, "{status}");
    }
}
