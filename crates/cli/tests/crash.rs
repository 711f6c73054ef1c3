//! The crash test: 50 clients upload at once while the server is killed with SIGKILL at
//! random moments, five times, and started again on the same data. After the last start
//! (whose crash sweep runs before it listens):
//!
//! - every upload that got 202 ends READY or FAILED;
//! - every READY reel's objects exist;
//! - no FAILED reel keeps a thumbnail;
//! - no `.tmp-*` file and no object of a missing reel remain.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fixture, Server};
use serde_json::Value;

const CLIENTS: usize = 50;
const KILLS: usize = 5;

/// xorshift: random kill moments, reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One upload whose body trickles in, so a kill can land in the middle of it.
async fn upload(client: &reqwest::Client, url: &str, jpeg: Arc<Vec<u8>>) -> Option<String> {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        jpeg.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    let body = futures_util::stream::iter(chunks).then(|c| async move {
        tokio::time::sleep(Duration::from_millis(3)).await;
        c
    });
    let part =
        reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(body)).file_name("photo.jpg");
    let form = reqwest::multipart::Form::new()
        .text("name", "Ada")
        .text("caption", "crash")
        .part("file", part);
    let resp = client
        .post(format!("{url}/api/uploads"))
        .multipart(form)
        .send()
        .await
        .ok()?;
    if resp.status() != 202 {
        return None;
    }
    let v: Value = resp.json().await.ok()?;
    v["id"].as_str().map(str::to_owned)
}

use futures_util::StreamExt;

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_uploads_loses_nothing_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        "--uploads-per-minute",
        "0",
        "--max-connections-per-client",
        "1000",
    ];
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64 | 1);
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let jpeg = Arc::new(std::fs::read(fixture("photo_exif.jpg")).expect("fixture"));

    let server = Server::start(dir.path(), &args);
    let url = Arc::new(Mutex::new(server.url.clone()));
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (url, accepted, stop, jpeg) =
            (url.clone(), accepted.clone(), stop.clone(), jpeg.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let target = url.lock().expect("url").clone();
                match upload(&client, &target, jpeg.clone()).await {
                    Some(id) => accepted.lock().expect("ids").push(id),
                    None => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }

    let mut server = Some(server);
    for kill in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(300 + rng.below(900))).await;
        if let Some(s) = server.take() {
            s.kill();
        }
        eprintln!(
            "kill {} after {} accepted uploads",
            kill + 1,
            accepted.lock().expect("ids").len()
        );
        let s = Server::start(dir.path(), &args);
        *url.lock().expect("url") = s.url.clone();
        server = Some(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for c in clients {
        c.await.expect("client");
    }
    // one more kill with nothing in flight would hide nothing; restart once more so the
    // last start's sweep sees what the last kill left
    if let Some(s) = server.take() {
        s.kill();
    }
    let server = Server::start(dir.path(), &args);

    let accepted = accepted.lock().expect("ids").clone();
    assert!(
        accepted.len() >= CLIENTS,
        "only {} uploads were accepted",
        accepted.len()
    );
    for id in &accepted {
        let reel = server.wait_terminal(id).await;
        assert!(
            matches!(reel["status"].as_str(), Some("READY") | Some("FAILED")),
            "{id}: {reel}"
        );
        // a good photo is never rejected: whatever stopped it, its raw file stays
        if reel["status"] == "FAILED" {
            let error = reel["error"].as_str().unwrap_or("");
            assert!(
                !matches!(
                    error,
                    "UnsupportedMediaType" | "CorruptMedia" | "MediaTooLarge"
                ),
                "a good photo was rejected: {reel}"
            );
            assert!(
                server
                    .blob(reel["rawKey"].as_str().expect("rawKey"))
                    .is_file(),
                "FAILED {id} lost its raw file: {reel}"
            );
        }
        server.assert_invariants(&reel);
    }
    // wait for the restarted executions to end before looking at the folder
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let list = server
            .get_json("/api/reels?status=PROCESSING&limit=200")
            .await;
        if list["reels"].as_array().is_none_or(|a| a.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "reels still PROCESSING: {list}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let root = server.data_dir.join("blobs");
    for path in files(&root) {
        let rel = path
            .strip_prefix(&root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        assert!(
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".tmp-")),
            "partial write left: {rel}"
        );
        let id = rel.split('/').nth(1).unwrap_or("");
        let resp = reqwest::get(format!("{}/api/reels/{id}", server.url))
            .await
            .expect("reel");
        assert_eq!(resp.status(), 200, "{rel} belongs to no reel");
    }
}
