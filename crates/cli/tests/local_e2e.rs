//! End to end on the embedded default: the real `media-hub serve` on a loopback port, real
//! uploads over HTTP, the real ASL file run by the interpreter, files and SQLite on disk.

mod common;

use std::time::Duration;

use common::{executions_cli, fixture, repo_root, Server};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_becomes_a_ready_reel_with_thumbnails_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--admin-token", "e2e-admin"]);
    let id = server
        .upload_ok(&fixture("photo_exif.jpg"), "IMG_0042.JPG")
        .await;

    server.wait_terminal(&id).await;
    // the operator sees every field (the public view is checked in tests/pages.rs)
    let reel: Value = reqwest::Client::new()
        .get(format!("{}/api/reels/{id}", server.url))
        .bearer_auth("e2e-admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["mediaType"], "image/jpeg");
    assert_eq!(reel["name"], "Ada");
    assert_eq!(reel["originalFilename"], "IMG_0042.JPG");
    assert_eq!(reel["rawKey"], format!("raw/{id}/original.jpg"));
    assert_eq!(
        reel["executionArn"].as_str().unwrap().rsplit(':').next(),
        Some(id.as_str())
    );

    // EXIF orientation 6: stored 1600×1200, displayed 1200×1600
    let thumbs: Vec<(u64, u64, u64)> = reel["thumbnails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["size"].as_u64().unwrap(),
                t["width"].as_u64().unwrap(),
                t["height"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        thumbs,
        vec![(1080, 810, 1080), (480, 360, 480), (160, 120, 160)]
    );
    for t in reel["thumbnails"].as_array().unwrap() {
        let key = t["key"].as_str().unwrap();
        assert_eq!(key, format!("thumbnails/{id}/{}.jpg", t["size"]));
        let bytes = std::fs::read(server.blob(key)).unwrap();
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "{key} is a JPEG");
        // and it is served
        let served = reqwest::get(format!("{}/media/{key}", server.url))
            .await
            .unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.bytes().await.unwrap().len(), bytes.len());
    }

    let meta = &reel["metadata"];
    assert_eq!(meta["width"], 1200);
    assert_eq!(meta["height"], 1600);
    assert_eq!(meta["orientation"], 6);
    assert!(
        meta["takenAt"]
            .as_str()
            .unwrap()
            .starts_with("2024-05-01T12:34:56"),
        "{meta}"
    );
    let camera = meta["camera"].as_str().unwrap();
    assert!(
        camera.contains("Apple") && camera.contains("iPhone 15 Pro"),
        "{camera}"
    );
    assert!(
        (meta["gps"]["latitude"].as_f64().unwrap() - 48.8582).abs() < 1e-3,
        "{meta}"
    );
    assert!(
        (meta["gps"]["longitude"].as_f64().unwrap() - 2.2945).abs() < 1e-3,
        "{meta}"
    );
    server.assert_invariants(&reel);

    // the pages render it
    let page = reqwest::get(format!("{}/reels/{id}", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("READY") && page.contains(&format!("/media/thumbnails/{id}/1080.jpg")));
    let list: Value = server.get_json("/api/reels").await;
    assert_eq!(list["reels"][0]["id"], id.as_str());

    // the execution ran the ASL file, with AWS-style history
    let shown = executions_cli(dir.path(), &["show", &id]);
    for needle in [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskSucceeded",
        "ParallelStateEntered",
        "ValidateFileType",
        "GenerateThumbnails",
        "ExtractMetadata",
        "CommitRecord",
        "ExecutionSucceeded",
    ] {
        assert!(shown.contains(needle), "history lacks {needle}:\n{shown}");
    }
    let listed = executions_cli(dir.path(), &["--status", "SUCCEEDED"]);
    assert!(listed.contains(&id), "{listed}");
    // the execution API is the operator's
    let detail: Value = reqwest::Client::new()
        .get(format!("{}/api/executions/{id}", server.url))
        .bearer_auth("e2e-admin")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["execution"]["status"], "SUCCEEDED");
    assert_eq!(detail["events"][0]["type"], "ExecutionStarted");
    assert_eq!(detail["events"][0]["id"], 1);
}

/// The real type decides: a JPEG dressed as a PNG is taken as the JPEG it is, text dressed
/// as a JPEG is refused at the door, and a JPEG cut short is rejected by the pipeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_type_decides_and_rejections_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let jpeg = std::fs::read(fixture("photo_exif.jpg")).unwrap();

    let renamed = server
        .upload_ok(&fixture("photo_exif.jpg"), "holiday.png")
        .await;
    let reel = server.wait_terminal(&renamed).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["mediaType"], "image/jpeg");
    assert_eq!(reel["declaredType"], "image/png");
    assert_eq!(reel["rawKey"], format!("raw/{renamed}/original.jpg"));

    let resp = server
        .upload_bytes(
            "Ada",
            "",
            b"hello, this is not a picture at all\n".repeat(20),
            "notes.jpg",
        )
        .await;
    assert_eq!(resp.status(), 415);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "UnsupportedMediaType", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("looks like text"),
        "{body}"
    );

    let truncated = {
        let resp = server
            .upload_bytes("Ada", "", jpeg[..jpeg.len() / 3].to_vec(), "cut.jpg")
            .await;
        assert_eq!(resp.status(), 202);
        resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let reel = server.wait_terminal(&truncated).await;
    assert_eq!(reel["status"], "FAILED", "{reel}");
    assert_eq!(reel["error"], "CorruptMedia", "{reel}");
    assert!(!reel["cause"].as_str().unwrap_or("").is_empty(), "{reel}");
    server.assert_invariants(&reel);
    // a rejection removes the raw upload too
    let raw = server.blob(reel["rawKey"].as_str().unwrap());
    assert!(
        !raw.exists(),
        "raw file of a rejection kept: {}",
        raw.display()
    );
    let exec = server.wait_execution(&truncated).await;
    assert_eq!(exec["execution"]["status"], "FAILED");
    assert_eq!(exec["execution"]["error"], "CorruptMedia");
    // only the two accepted uploads ever reached storage
    let raws = walk(&dir.path().join("blobs/raw"));
    assert_eq!(
        raws,
        vec![server.blob(&format!("raw/{renamed}/original.jpg"))],
        "raw files left: {raws:?}"
    );
    // the same counts at /metrics, in Prometheus' text format
    let metrics = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "media_hub_uploads_total 2\n",
        "media_hub_ready_total 1\n",
        "media_hub_failed_total{error=\"CorruptMedia\"} 1\n",
        "media_hub_processing_seconds_count 2\n",
    ] {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
    // the file refused at the door was never an upload
    assert!(!metrics.contains("UnsupportedMediaType"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_named_errors_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--max-upload-mib", "1"]);
    let client = reqwest::Client::new();

    // oversize, declared: 413 from the headers alone, before the body is sent (curl's
    // `Expect: 100-continue` flow), so the client wastes no upload
    let head = raw_http(
        &server.url,
        "POST /uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 3000000000\r\nExpect: 100-continue\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("UploadTooLarge"), "{head}");

    // oversize, found while streaming (the form's length is within the slack for fields):
    // 413, JSON for API clients, HTML for browsers
    // (it starts like a JPEG: a file that is not media is refused on its first bytes)
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(1024 * 1024 + 64 * 1024, 0xAB);
    let resp = server.upload_bytes("Ada", "", big.clone(), "big.jpg").await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "UploadTooLarge");
    let form = reqwest::multipart::Form::new().text("name", "Ada").part(
        "file",
        reqwest::multipart::Part::bytes(big).file_name("big.jpg"),
    );
    let resp = client
        .post(format!("{}/uploads", server.url))
        .header("Accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert!(resp.text().await.unwrap().contains("<html"));

    // missing name: 400
    let resp = server
        .upload("", "", &fixture("photo_exif.jpg"), "a.jpg")
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "InvalidField");
    // caption too long: 400
    let resp = server
        .upload(
            "Ada",
            &"x".repeat(2201),
            &fixture("photo_exif.jpg"),
            "a.jpg",
        )
        .await;
    assert_eq!(resp.status(), 400);
    // no file: 400
    let form = reqwest::multipart::Form::new().text("name", "Ada");
    let resp = client
        .post(format!("{}/uploads", server.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // not a form: 415
    let resp = client
        .post(format!("{}/uploads", server.url))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "UnsupportedContentType"
    );
    // unknown reel, hostile path: 404
    for path in [
        "/api/reels/nope",
        "/api/reels/..%2F..%2Fetc",
        "/media/raw/x/original.jpg",
        "/media/thumbnails/../x",
    ] {
        let resp = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }

    // nothing was recorded or stored for any of them
    let list: Value = server.get_json("/api/reels").await;
    assert_eq!(list["reels"].as_array().unwrap().len(), 0);
    let raw = dir.path().join("blobs/raw");
    let left = walk(&raw);
    assert!(left.is_empty(), "refused uploads left files: {left:?}");
}

/// Send raw bytes, return what the server answers first.
fn raw_http(url: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The ASL file decides what runs: without ExtractMetadata in the Parallel, no metadata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_definition_changes_what_runs() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(repo_root().join("statemachine/media-pipeline.asl.json")).unwrap();
    let mut def: Value = serde_json::from_str(&text).unwrap();
    let branches = def["States"]["ProcessMedia"]["Branches"]
        .as_array_mut()
        .unwrap();
    branches.retain(|b| b["StartAt"] != "ExtractMetadata");
    let edited = dir.path().join("edited.asl.json");
    std::fs::write(&edited, serde_json::to_string_pretty(&def).unwrap()).unwrap();

    let data = dir.path().join("data");
    let server = Server::start(&data, &["--definition", edited.to_str().unwrap()]);
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "p.jpg").await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["thumbnails"].as_array().unwrap().len(), 3);
    assert!(reel.get("metadata").is_none_or(Value::is_null), "{reel}");
    let shown = executions_cli(
        &data,
        &["show", &id, "--definition", edited.to_str().unwrap()],
    );
    assert!(
        shown.contains("GenerateThumbnails") && !shown.contains("ExtractMetadata"),
        "{shown}"
    );
}

/// A broken definition is refused at start with a message naming the problem.
#[test]
fn a_broken_definition_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.asl.json");
    std::fs::write(
        &bad,
        r#"{"StartAt": "Nowhere", "States": {"A": {"Type": "Pass", "End": true}}}"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .args(["serve", "--addr", "127.0.0.1:0", "--definition"])
        .arg(&bad)
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Nowhere"), "{err}");
}

/// Reels survive a restart, and an upload accepted just before a hard stop is run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_reels_and_resumes_interrupted_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // a definition that waits before validating, so the kill lands mid-execution
    let text =
        std::fs::read_to_string(repo_root().join("statemachine/media-pipeline.asl.json")).unwrap();
    let mut def: Value = serde_json::from_str(&text).unwrap();
    def["States"]["Hold"] =
        serde_json::json!({"Type": "Wait", "Seconds": 30, "Next": "ValidateFileType"});
    def["StartAt"] = Value::from("Hold");
    let slow = dir.path().join("slow.asl.json");
    std::fs::write(&slow, serde_json::to_string(&def).unwrap()).unwrap();

    let server = Server::start(&data, &[]);
    let done = server
        .upload_ok(&fixture("photo_exif.jpg"), "first.jpg")
        .await;
    assert_eq!(server.wait_terminal(&done).await["status"], "READY");
    server.stop();

    let server = Server::start(&data, &["--definition", slow.to_str().unwrap()]);
    let pending = server
        .upload_ok(&fixture("photo_exif.jpg"), "second.jpg")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.reel(&pending).await["status"], "PROCESSING");
    server.kill();

    let server = Server::start(&data, &[]);
    let first = server.reel(&done).await;
    assert_eq!(first["status"], "READY");
    server.assert_invariants(&first);
    let resumed = server.wait_terminal(&pending).await;
    assert_eq!(resumed["status"], "READY", "{resumed}");
    server.assert_invariants(&resumed);
}
