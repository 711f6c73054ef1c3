//! `media-hub backfill`: 30 READY reels made with the default thumbnail sizes, one raw file
//! then corrupted, and the sizes changed. The backfill state machine (a distributed Map over
//! the `raw/` listing, batches of 5, 20% tolerated) regenerates every other reel with the new
//! sizes and deletes the old ones; the corrupt one fails within the tolerance and keeps its
//! record; the result files under `backfill/{map run id}/` list every item.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{fixture, repo_root, Server};
use serde_json::Value;

const REELS: usize = 30;

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_regenerates_every_reel_with_the_new_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let mut ids = Vec::new();
    for i in 0..REELS {
        ids.push(
            server
                .upload_ok(&fixture("photo_gray.jpg"), &format!("p{i}.jpg"))
                .await,
        );
    }
    for id in &ids {
        let reel = server.wait_terminal(id).await;
        assert_eq!(reel["status"], "READY", "{reel}");
    }
    let corrupt = ids[7].clone();
    let before = server.reel(&corrupt).await;
    let raw_key = before["rawKey"].as_str().unwrap().to_owned();
    server.stop();
    // a JPEG header over garbage: the decoder refuses it
    let mut bad = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bad.extend(std::iter::repeat_n(0x42u8, 4096));
    std::fs::write(data.join("blobs").join(&raw_key), bad).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .current_dir(repo_root())
        .args(["backfill", "--sizes", "320,64", "--data-dir"])
        .arg(&data)
        .output()
        .expect("run media-hub backfill");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "backfill failed: {stderr}");
    assert!(stderr.contains("backfill: "), "no progress lines: {stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["status"], "SUCCEEDED", "{summary}");
    assert_eq!(summary["reelsDone"], REELS - 1);
    assert_eq!(summary["reelsFailed"], 1);

    // the result files list every item: 30 raw keys across SUCCEEDED and FAILED
    let manifest_key = summary["results"]["Key"].as_str().expect("manifest key");
    assert!(manifest_key.starts_with("backfill/"), "{manifest_key}");
    let blobs = data.join("blobs");
    let manifest = read_json(&blobs.join(manifest_key));
    let mut listed = BTreeSet::new();
    let mut failed_keys = Vec::new();
    for status in ["SUCCEEDED", "FAILED"] {
        for file in manifest["ResultFiles"][status].as_array().unwrap() {
            for run in read_json(&blobs.join(file["Key"].as_str().unwrap()))
                .as_array()
                .unwrap()
            {
                let input: Value = serde_json::from_str(run["Input"].as_str().unwrap()).unwrap();
                for item in input["Items"].as_array().unwrap() {
                    let key = item["Key"].as_str().unwrap().to_owned();
                    if status == "FAILED" && run["Cause"].as_str().unwrap().contains(&key) {
                        failed_keys.push(key.clone());
                    }
                    listed.insert(key);
                }
            }
        }
    }
    assert_eq!(listed.len(), REELS, "{listed:?}");
    assert_eq!(failed_keys, vec![raw_key.clone()]);

    // every other reel has exactly the new sizes, on disk too; the corrupt one is untouched
    let server = Server::start(&data, &[]);
    for id in &ids {
        let reel = server.reel(id).await;
        assert_eq!(reel["status"], "READY", "{reel}");
        let sizes: Vec<u64> = reel["thumbnails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["size"].as_u64().unwrap())
            .collect();
        if *id == corrupt {
            assert_eq!(reel["thumbnails"], before["thumbnails"], "{reel}");
            continue;
        }
        assert_eq!(sizes, vec![320, 64], "{reel}");
        for t in reel["thumbnails"].as_array().unwrap() {
            assert!(server.blob(t["key"].as_str().unwrap()).is_file());
        }
        assert!(!server.blob(&format!("thumbnails/{id}/1080.jpg")).exists());
        server.assert_invariants(&reel);
    }
    server.stop();
}

/// A video reel made before its rendition existed (its `renditions/{id}/web.mp4` gone), then
/// the video box made smaller: the backfill makes the rendition again with the current
/// settings and the record names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_makes_a_videos_rendition_with_the_current_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let id = server.upload_ok(&fixture("clip.webm"), "clip.webm").await;
    let before = server.wait_terminal(&id).await;
    assert_eq!(before["status"], "READY", "{before}");
    assert_eq!(before["video"]["width"], 640, "{before}");
    let rendition = server.blob(&format!("renditions/{id}/web.mp4"));
    assert!(rendition.is_file());
    server.stop();
    std::fs::remove_file(&rendition).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .current_dir(repo_root())
        .args([
            "backfill",
            "--video-long-side",
            "320",
            "--video-short-side",
            "180",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .expect("run media-hub backfill");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "backfill failed: {stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["status"], "SUCCEEDED", "{summary}");
    assert_eq!(summary["reelsDone"], 1, "{summary}");

    assert!(rendition.is_file(), "no rendition after the backfill");
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(&rendition)
        .output()
        .expect("ffprobe runs");
    let probed = String::from_utf8_lossy(&probe.stdout).trim().to_owned();
    assert_eq!(probed, "h264,320,180", "the rendition on disk");

    let server = Server::start(&data, &[]);
    let reel = server.reel(&id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["video"]["key"], format!("renditions/{id}/web.mp4"));
    assert_eq!(
        (
            reel["video"]["width"].as_u64(),
            reel["video"]["height"].as_u64()
        ),
        (Some(320), Some(180)),
        "{reel}"
    );
    assert_eq!(reel["video"]["transcoded"], true, "{reel}");
    server.assert_invariants(&reel);
    server.stop();
}

/// The console's backfill button over HTTP (admin token): refused without the token and for
/// bad sizes; with sizes, a backfill run starts and the answer leads to its execution page,
/// which draws the backfill's own graph; the run ends SUCCEEDED and the reels have the new
/// sizes. `onlyFailed` reprocesses the FAILED reels instead, and refuses sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_starts_a_backfill_and_links_to_its_execution() {
    const TOKEN: &str = "backfill-t0ken";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--admin-token", TOKEN]);
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = server
            .upload_ok(&fixture("photo_gray.jpg"), &format!("c{i}.jpg"))
            .await;
        assert_eq!(server.wait_terminal(&id).await["status"], "READY");
        ids.push(id);
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |form: &'static [(&'static str, &'static str)], token: Option<&str>| {
        let mut r = http
            .post(format!("{}/console/backfill", server.url))
            .header("Accept", "application/json")
            .form(form);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };

    // the executions page offers it
    let page = http
        .get(format!("{}/console", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"action="/console/backfill""#), "{page}");

    let denied = post(&[("sizes", "64")], None).await.unwrap();
    assert_eq!(denied.status(), 401);
    let bad = post(&[("sizes", "5")], Some(TOKEN)).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("InvalidField"));
    let mixed = post(&[("sizes", "64"), ("onlyFailed", "on")], Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(mixed.status(), 400);

    let started = post(&[("sizes", "64")], Some(TOKEN)).await.unwrap();
    assert_eq!(started.status(), 303);
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let name = location
        .strip_prefix("/console/executions/")
        .unwrap_or_else(|| panic!("not an execution page: {location}"))
        .to_owned();
    assert!(name.starts_with("backfill-"), "{name}");

    // its execution, until it ends
    let execution = loop {
        let e: Value = http
            .get(format!("{}/api/executions/{name}", server.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if e["execution"]["status"] != "RUNNING" {
            break e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(execution["execution"]["status"], "SUCCEEDED", "{execution}");
    let events: Vec<&str> = execution["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(events.contains(&"MapRunStarted"), "{events:?}");
    assert!(events.contains(&"MapRunSucceeded"), "{events:?}");

    // the page draws the backfill's graph, not the media pipeline's
    let page = http
        .get(format!("{}{location}", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("FromListing"),
        "no backfill state on the page"
    );
    assert!(
        !page.contains("ValidateFileType"),
        "the media pipeline's graph"
    );
    assert!(page.contains(r#"data-status="SUCCEEDED""#));

    for id in &ids {
        let reel = server.reel(id).await;
        let sizes: Vec<u64> = reel["thumbnails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["size"].as_u64().unwrap())
            .collect();
        assert_eq!(sizes, vec![64], "{reel}");
        assert!(!server.blob(&format!("thumbnails/{id}/1080.jpg")).exists());
    }

    // only the FAILED ones: none here, so nothing starts, and the answer is the list
    let only_failed = post(&[("onlyFailed", "on")], Some(TOKEN)).await.unwrap();
    assert_eq!(only_failed.status(), 303);
    assert_eq!(only_failed.headers()["location"], "/console");
    server.stop();
}
