//! Test harness: the real `media-hub serve` binary on a loopback port, over a temp data dir,
//! and the media fixtures tests make with ffmpeg.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("fixtures/media").join(name)
}

/// Runs ffmpeg (quietly, overwriting) with `args` into `out`: fixtures made at test time.
pub fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// How a test clip's video is encoded by [`clip`].
#[derive(Debug, Clone, Copy)]
pub enum Codec {
    /// H.264 yuv420p in MP4 (AAC audio)
    H264,
    /// HEVC tagged `hvc1` in MOV, as a phone writes it (AAC audio)
    Hevc,
    /// VP9 in WebM (Opus audio)
    Vp9,
}

/// A test clip at `out`, made with ffmpeg: `pattern` is a lavfi video source with its size
/// and rate (`"testsrc=size=320x240:rate=25"`), `secs` its length, with a tone as its audio
/// track or none.
pub fn clip(out: &Path, pattern: &str, secs: u32, codec: Codec, audio: bool) {
    let video_in = format!("{pattern}:duration={secs}");
    let tone = format!("sine=frequency=440:duration={secs}");
    let mut args = vec!["-f", "lavfi", "-i", &video_in];
    if audio {
        args.extend(["-f", "lavfi", "-i", &tone]);
    }
    args.extend(match codec {
        Codec::H264 => &[
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ][..],
        Codec::Hevc => &[
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-tag:v",
            "hvc1",
            "-pix_fmt",
            "yuv420p",
        ][..],
        Codec::Vp9 => &[
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "300k",
        ][..],
    });
    if audio {
        let audio_codec = match codec {
            Codec::Vp9 => "libopus",
            Codec::H264 | Codec::Hevc => "aac",
        };
        args.extend(["-c:a", audio_codec, "-shortest"]);
    }
    ffmpeg(&args, out);
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Start `media-hub serve` from the repo root on an ephemeral port.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_at("127.0.0.1:0", data_dir, extra)
    }

    /// Start `media-hub serve` on `addr`.
    pub fn start_at(addr: &str, data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(addr, data_dir, extra, &[])
    }

    /// Start `media-hub serve` on `addr` with more environment variables.
    pub fn start_with_env(
        addr: &str,
        data_dir: &Path,
        extra: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_media-hub"))
            .current_dir(repo_root())
            .args(["serve", "--addr", addr, "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("MEDIA_HUB_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn media-hub serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim()
            .strip_prefix("media-hub listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child,
            url,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// SIGKILL: nothing gets to finish.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for the graceful exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn blob(&self, key: &str) -> PathBuf {
        self.data_dir.join("blobs").join(key)
    }

    pub async fn upload(
        &self,
        name: &str,
        caption: &str,
        file: &Path,
        filename: &str,
    ) -> reqwest::Response {
        let bytes = std::fs::read(file).expect("fixture");
        self.upload_bytes(name, caption, bytes, filename).await
    }

    pub async fn upload_bytes(
        &self,
        name: &str,
        caption: &str,
        bytes: Vec<u8>,
        filename: &str,
    ) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_owned())
            .text("caption", caption.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
            );
        reqwest::Client::new()
            .post(format!("{}/uploads", self.url))
            .multipart(form)
            .send()
            .await
            .expect("upload request")
    }

    /// Upload and return the new id (asserting 202).
    pub async fn upload_ok(&self, file: &Path, filename: &str) -> String {
        let resp = self.upload("Ada", "a caption", file, filename).await;
        assert_eq!(resp.status(), 202, "upload of {filename} refused");
        let body: Value = resp.json().await.expect("json");
        body["id"].as_str().expect("id").to_owned()
    }

    /// GET a JSON document of the API (`path` starts with `/`).
    pub async fn get_json(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
    }

    /// `GET path` as JSON with the admin token (`Authorization: Bearer`).
    pub async fn admin_json(&self, path: &str, token: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
    }

    /// Poll [`Server::admin_json`] every 100 ms until `done` holds (90 s at most; `what`
    /// names the awaited change in the failure).
    pub async fn wait_admin_json(
        &self,
        path: &str,
        token: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let v = self.admin_json(path, token).await;
            if done(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "GET {path}: never {what}: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn reel(&self, id: &str) -> Value {
        self.get_json(&format!("/api/reels/{id}")).await
    }

    /// Poll until the reel leaves PROCESSING.
    pub async fn wait_terminal(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let reel = self.reel(id).await;
            if reel["status"] != "PROCESSING" {
                return reel;
            }
            assert!(
                Instant::now() < deadline,
                "reel {id} still PROCESSING: {reel}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Poll until the execution of `id` has ended; returns `{execution, events}`.
    pub async fn wait_execution(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let exec = self.get_json(&format!("/api/executions/{id}")).await;
            if exec["execution"]["status"] != "RUNNING" {
                return exec;
            }
            assert!(Instant::now() < deadline, "execution {id} still RUNNING");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// docs/design.md's invariants for a terminal reel: READY ⇒ every object it names exists;
    /// FAILED ⇒ no thumbnail of that id exists.
    pub fn assert_invariants(&self, reel: &Value) {
        let id = reel["id"].as_str().expect("id");
        match reel["status"].as_str() {
            Some("READY") => {
                assert!(
                    self.blob(reel["rawKey"].as_str().expect("rawKey"))
                        .is_file(),
                    "raw of {id}"
                );
                for t in reel["thumbnails"].as_array().expect("thumbnails") {
                    let path = self.blob(t["key"].as_str().expect("key"));
                    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    assert_eq!(
                        len,
                        t["bytes"].as_u64().expect("bytes"),
                        "{}",
                        path.display()
                    );
                }
            }
            Some("FAILED") => {
                let dir = self.blob(&format!("thumbnails/{id}"));
                let left = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
                assert_eq!(
                    left,
                    0,
                    "FAILED reel {id} left thumbnails in {}",
                    dir.display()
                );
            }
            other => panic!("not terminal: {other:?}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `media-hub executions ...` against a data dir; returns stdout.
pub fn executions_cli(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .current_dir(repo_root())
        .arg("executions")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run media-hub executions");
    assert!(
        out.status.success(),
        "executions {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// --- the browser tests' harness (Debian's chromium + chromedriver, driven by selenium) ---

/// Whether Chromium, chromedriver and selenium are here; why not, when they are not.
pub fn browser_ready() -> Result<(), String> {
    for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(bin).exists() {
            return Err(format!(
                "{bin} is missing (apt-get install chromium chromium-driver)"
            ));
        }
    }
    let ok = Command::new("python3")
        .args(["-c", "import selenium"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err("python3 cannot import selenium (pip install selenium)".into())
    }
}

/// Where a browser test keeps its screenshots for people to look at: `MEDIA_HUB_SCREENSHOTS`,
/// else `target/screenshots/{name}` (kept after the run).
pub fn screenshots_dir(name: &str) -> PathBuf {
    std::env::var("MEDIA_HUB_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target/screenshots"))
        .join(name)
}

/// Run `crates/cli/tests/browser/{script}` with `args` off the async runtime, and return the
/// one JSON line it prints of what it saw. Panics with its output when it fails.
pub async fn run_browser_script(script: &str, args: Vec<std::ffi::OsString>) -> Value {
    let script = repo_root().join("crates/cli/tests/browser").join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg(script).args(args).output()
    })
    .await
    .expect("the browser script's thread")
    .expect("run the browser script");
    assert!(
        out.status.success(),
        "browser script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(out.stdout.trim_ascii()).expect("one JSON line")
}
