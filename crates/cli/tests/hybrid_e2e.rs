//! Hybrid mode end to end: the real `media-hub serve --backend aws` against an AWS-protocol
//! server on loopback (moto, started by `.ci/run`, named by `MOTO_ENDPOINT`): objects in S3,
//! records in DynamoDB, the local interpreter running the ASL file.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fixture, repo_root};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_the_aws_backend_uploads_to_s3_and_dynamodb() {
    let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the hybrid test: MOTO_ENDPOINT is not set"
        );
        eprintln!("SKIPPED serve_with_the_aws_backend: MOTO_ENDPOINT is not set (eval \"$(bash .ci/start-moto.sh)\")");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let suffix = std::process::id();
    let bucket = format!("media-hub-serve-{suffix}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .current_dir(repo_root())
        .args([
            "serve",
            "--backend",
            "aws",
            "--create-resources",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("MEDIA_BUCKET", &bucket)
        .env("REELS_TABLE", format!("reels-serve-{suffix}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve --backend aws");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("media-hub listening on ")
        .expect("listening line")
        .to_owned();

    let upload = |bytes: Vec<u8>, filename: &'static str| {
        let url = url.clone();
        async move {
            let form = reqwest::multipart::Form::new().text("name", "Hybrid").part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(filename),
            );
            let resp = reqwest::Client::new()
                .post(format!("{url}/uploads"))
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 202);
            resp.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let wait = |id: String| {
        let url = url.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(90);
            loop {
                let reel: Value = reqwest::get(format!("{url}/api/reels/{id}"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if reel["status"] != "PROCESSING" {
                    return reel;
                }
                assert!(Instant::now() < deadline, "still PROCESSING: {reel}");
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
    };

    let photo = std::fs::read(fixture("photo_exif.jpg")).unwrap();
    // (a file that is not media at all is refused at the door: tests/pages.rs)
    let bad = upload(photo[..photo.len() / 3].to_vec(), "x.jpg").await;
    let good = upload(photo, "p.jpg").await;
    let reel = wait(good).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["thumbnails"].as_array().unwrap().len(), 3);
    // the thumbnails are served back out of S3
    for t in reel["thumbnails"].as_array().unwrap() {
        let resp = reqwest::get(format!("{url}/media/{}", t["key"].as_str().unwrap()))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.bytes().await.unwrap().len() as u64,
            t["bytes"].as_u64().unwrap()
        );
    }
    // a video: all three video tasks read the raw file from S3 (a streamed temporary copy),
    // and the rendition goes back in; a rotated MP4 is re-encoded with the rotation applied
    let clip = upload(std::fs::read(fixture("rotated.mp4")).unwrap(), "clip.mp4").await;
    let video = wait(clip).await;
    assert_eq!(video["status"], "READY", "{video}");
    assert_eq!(video["video"]["transcoded"], true, "{video}");
    assert_eq!(
        (&video["video"]["width"], &video["video"]["height"]),
        (&Value::from(360), &Value::from(640)),
        "{video}"
    );
    assert_eq!(video["metadata"]["codec"], "h264", "{video}");
    assert_eq!(video["thumbnails"].as_array().unwrap().len(), 3, "{video}");
    let key = video["video"]["key"].as_str().unwrap();
    let resp = reqwest::Client::new()
        .get(format!("{url}/media/{key}"))
        .header("range", "bytes=0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes 0-1/{}", video["video"]["bytes"]).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().len(), 2);

    let failed = wait(bad).await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["error"], "CorruptMedia");
    // nothing of the rejection is in the bucket (moto's S3 answers path-style)
    let listing = reqwest::get(format!(
        "{endpoint}/{bucket}?list-type=2&prefix=thumbnails/{}",
        failed["id"].as_str().unwrap()
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!listing.contains("<Key>"), "{listing}");
    let _ = child.kill();
    let _ = child.wait();
}
