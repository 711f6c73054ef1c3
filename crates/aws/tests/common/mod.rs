//! Shared setup for the tests against an AWS-protocol server (moto): reaching it, a test's
//! own bucket, table and state machines ([`Moto`]), the records and objects a test starts
//! from, and plain HTTP to moto. The tests read its URL from `MOTO_ENDPOINT`
//! (`eval "$(bash .ci/start-moto.sh)"` starts one and prints the export) and skip, saying
//! so, when it is not set; under CI (`CI` set, as `.ci/run` does) they fail instead.

#![allow(dead_code)]

use aws::config::AwsSettings;
use aws::{DynamoRecordStore, S3BlobStore};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use bytes::Bytes;
use pipeline::{BlobStore, Reel, Status};

pub const ENV: &str = "MOTO_ENDPOINT";

/// The moto endpoint, or `None` after printing why the test is skipped.
pub fn endpoint(test: &str) -> Option<String> {
    match std::env::var(ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must run {test} against moto: {ENV} is not set"
            );
            // Straight to stderr: libtest captures eprintln!, and a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {ENV} is not set. Start moto with `eval \"$(bash .ci/start-moto.sh)\"` \
                 to run the AWS adapter tests against a real AWS-protocol server."
            );
            None
        }
    }
}

/// SDK configuration for moto: fixed test credentials, us-east-1, the endpoint.
pub async fn sdk(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// Unique resource names for one test.
pub fn names(prefix: &str) -> AwsSettings {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    AwsSettings {
        bucket: format!("{prefix}-{}", &tag[..12]),
        table: format!("{prefix}-reels-{}", &tag[..12]),
        state_machine_arn: None,
        backfill_state_machine_arn: None,
        endpoint_url: None,
    }
}

/// Create the bucket and the table the settings name.
pub async fn create_resources(sdk: &SdkConfig, settings: &AwsSettings) {
    let s3 = aws::S3BlobStore::new(sdk, &settings.bucket);
    s3.ensure_bucket().await.expect("create bucket");
    s3.ensure_bucket().await.expect("creating it again is fine");
    let table = aws::DynamoRecordStore::new(sdk, &settings.table);
    table.create_table().await.expect("create table");
    table
        .create_table()
        .await
        .expect("creating it again is fine");
}

/// moto as one test sees it: the SDK configuration that reaches it, and the bucket and
/// table made for the test (named in `names`, with the state machines the test adds).
pub struct Moto {
    pub url: String,
    pub sdk: SdkConfig,
    pub names: AwsSettings,
}

impl Moto {
    /// moto for `test` with a new bucket and table named after `prefix`; `None` after
    /// printing why the test is skipped.
    pub async fn for_test(test: &str, prefix: &str) -> Option<Moto> {
        let url = endpoint(test)?;
        Some(Moto::at(&url, prefix).await)
    }

    /// A new bucket and table named after `prefix` in the moto at `url`.
    pub async fn at(url: &str, prefix: &str) -> Moto {
        let sdk = sdk(url).await;
        let names = names(prefix);
        create_resources(&sdk, &names).await;
        Moto {
            url: url.to_owned(),
            sdk,
            names,
        }
    }

    /// The bucket's adapter, recording nothing.
    pub fn blobs(&self) -> S3BlobStore {
        S3BlobStore::new(&self.sdk, &self.names.bucket)
    }

    /// The table's adapter, recording nothing.
    pub fn records(&self) -> DynamoRecordStore {
        DynamoRecordStore::new(&self.sdk, &self.names.table)
    }

    /// Create a media-pipeline state machine of the test's own and name it in `names` (as
    /// `STATE_MACHINE_ARN` names it to the functions).
    pub async fn add_pipeline(&mut self) {
        let name = format!("mp-{}", uuid::Uuid::new_v4().simple());
        self.names.state_machine_arn = Some(create_state_machine(&self.sdk, &name).await);
    }

    /// Create the Backfill state machine of stack `stack` (`{stack}-backfill`, over the
    /// test's bucket) and name it in `names`.
    pub async fn add_backfill(&mut self, stack: &str) {
        let arn = create_backfill_machine(&self.sdk, stack, &self.names.bucket).await;
        self.names.backfill_state_machine_arn = Some(arn);
    }

    /// HeadObject of `key` in the test's bucket.
    pub async fn head(&self, key: &str) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
        self.blobs()
            .client()
            .head_object()
            .bucket(&self.names.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("HeadObject {key}: {e:?}"))
    }
}

/// A PROCESSING photo's record (`raw/{id}/original.jpg`, 2240 bytes), created at
/// `created_at`.
pub fn reel_at(id: &str, created_at: &str) -> Reel {
    Reel {
        id: id.into(),
        name: "Ana".into(),
        caption: "beach".into(),
        status: Status::Processing,
        media_type: Some("image/jpeg".into()),
        size: 2240,
        original_filename: "beach.jpg".into(),
        declared_type: None,
        delete_token_hash: None,
        raw_key: format!("raw/{id}/original.jpg"),
        thumbnails: vec![],
        metadata: None,
        video: None,
        error: None,
        cause: None,
        execution_arn: None,
        visibility: Default::default(),
        moderation_token: None,
        created_at: created_at.into(),
        updated_at: created_at.into(),
    }
}

/// [`reel_at`] 2026-01-01T00:00:00.000Z.
pub fn reel(id: &str) -> Reel {
    reel_at(id, "2026-01-01T00:00:00.000Z")
}

/// Store each `(key, body, content type)`: the objects a test starts from.
pub async fn put_objects<'a, K: AsRef<str>, B: Into<Bytes>>(
    blobs: &dyn BlobStore,
    objects: impl IntoIterator<Item = (K, B, &'a str)>,
) {
    for (key, body, content_type) in objects {
        let key = key.as_ref();
        blobs
            .put(key, body.into(), content_type)
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e}"));
    }
}

/// The role the test state machines run as.
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/media-pipeline";

/// The project's ASL with fake function ARNs in place of the placeholders.
pub fn definition() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/media-pipeline.asl.json"
    ))
    .expect("read the ASL");
    let mut definition = text;
    for task in pipeline::Task::ALL {
        definition = definition.replace(
            &format!("${{{}}}", task.arn_placeholder()),
            &format!(
                "arn:aws:lambda:us-east-1:123456789012:function:media-hub-{}",
                task.function_name()
            ),
        );
    }
    definition
}

/// Create a state machine from [`definition`]; its ARN.
pub async fn create_state_machine(sdk: &SdkConfig, name: &str) -> String {
    let sfn = aws_sdk_sfn::Client::new(sdk);
    let out = sfn
        .create_state_machine()
        .name(name)
        .definition(definition())
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect("create state machine");
    out.state_machine_arn().to_owned()
}

/// Create a state machine named `{prefix}-backfill` (as the template names the Backfill)
/// from `statemachine/backfill.asl.json` with a bucket and a fake function ARN in place of
/// its placeholders; its ARN.
pub async fn create_backfill_machine(sdk: &SdkConfig, prefix: &str, bucket: &str) -> String {
    let definition = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachine/backfill.asl.json"
    ))
    .expect("read the backfill ASL")
    .replace("${MediaBucketName}", bucket)
    .replace(
        "${BackfillReelFunctionArn}",
        "arn:aws:lambda:us-east-1:123456789012:function:media-hub-backfill-reel",
    );
    let sfn = aws_sdk_sfn::Client::new(sdk);
    let out = sfn
        .create_state_machine()
        .name(format!("{prefix}-backfill"))
        .definition(definition)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect("create the backfill state machine");
    out.state_machine_arn().to_owned()
}

/// POST a multipart form over plain HTTP/1.1 (moto on loopback); the status and body.
/// `fields` go first, then the file part, as browsers send a presigned POST.
pub async fn post_form(
    url: &str,
    fields: &[(String, String)],
    file: &[u8],
    filename: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let boundary = "----media-hub-test-boundary-7d93";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}
