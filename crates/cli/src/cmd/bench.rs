//! `media-hub bench upload`: a load tool. Uploads one file COUNT times with CONCURRENCY
//! clients over real HTTP and reports uploads/s, p50/p99 time to accepted (202) and to
//! READY, errors, and the server's peak RSS. Without `--url` it starts its own
//! `media-hub serve` on a temporary data dir (upload rate limit off) and reads that
//! process's peak RSS (`VmHWM`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Mutex;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand, Debug)]
pub enum What {
    /// Upload FILE `--count` times with `--concurrency` clients.
    Upload(UploadArgs),
}

#[derive(clap::Args, Debug)]
pub struct UploadArgs {
    /// The file to upload.
    pub file: PathBuf,
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 200)]
    pub count: usize,
    /// A running server to load (its RSS is then not reported).
    #[arg(long)]
    pub url: Option<String>,
    /// Extra arguments for the server this command starts, in one word, after FILE (e.g.
    /// `FILE --serve-args "--decode-memory-mib 512"`).
    #[arg(long, allow_hyphen_values = true, num_args = 1.., value_delimiter = ' ')]
    pub serve_args: Vec<String>,
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    match args.what {
        What::Upload(a) => upload(a).await,
    }
}

/// A server this command started, stopped on drop.
struct Started {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(extra: &[String]) -> anyhow::Result<Started> {
    use std::io::BufRead;
    let dir = tempfile::tempdir().context("temporary data dir")?;
    let exe = std::env::current_exe().context("this program's path")?;
    let mut child = Command::new(exe)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--uploads-per-minute",
            "0",
        ])
        .args(["--max-connections-per-client", "100000"])
        .arg("--data-dir")
        .arg(dir.path())
        .args(extra)
        .env("MEDIA_HUB_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting media-hub serve")?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .context("reading the server's first line")?;
    let url = line
        .trim()
        .strip_prefix("media-hub listening on ")
        .with_context(|| format!("unexpected first line {line:?}"))?
        .to_owned();
    Ok(Started {
        child,
        url,
        _dir: dir,
    })
}

/// Peak resident set of a process, KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[derive(Default)]
struct Tally {
    accepted: Vec<Duration>,
    ready: Vec<Duration>,
    errors: Vec<String>,
    last_accepted: Duration,
    last_done: Duration,
}

async fn one(
    client: &reqwest::Client,
    url: &str,
    name: &str,
    bytes: &[u8],
) -> Result<String, String> {
    let form = reqwest::multipart::Form::new()
        .text("name", "bench")
        .text("caption", "")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
    let resp = client
        .post(format!("{url}/api/uploads"))
        .multipart(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    if status != 202 {
        return Err(format!("{status}: {}", body["error"]));
    }
    body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "no id".to_owned())
}

async fn wait_ready(client: &reqwest::Client, url: &str, id: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let reel: serde_json::Value = client
            .get(format!("{url}/api/reels/{id}"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        match reel["status"].as_str() {
            Some("READY") => return Ok(()),
            Some("FAILED") => return Err(format!("FAILED {}", reel["error"])),
            _ if Instant::now() > deadline => return Err("still PROCESSING".into()),
            _ => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

/// A line on stderr every second while the run lasts: how far it has got.
async fn report_progress(tally: Arc<Mutex<Tally>>, count: usize) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let t = tally.lock().await;
        eprintln!(
            "bench: {}/{count} accepted, {} READY, {} errors",
            t.accepted.len(),
            t.ready.len(),
            t.errors.len()
        );
    }
}

async fn upload(a: UploadArgs) -> anyhow::Result<i32> {
    anyhow::ensure!(
        a.concurrency > 0 && a.count > 0,
        "--concurrency and --count must be positive"
    );
    let bytes =
        Arc::new(std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?);
    let name = a
        .file
        .file_name()
        .map_or("upload".into(), |n| n.to_string_lossy().into_owned());
    let started = match &a.url {
        Some(_) => None,
        None => Some(start_server(&a.serve_args)?),
    };
    let url = a
        .url
        .clone()
        .or_else(|| started.as_ref().map(|s| s.url.clone()))
        .context("no server")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency * 2)
        .build()?;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.concurrency {
        let (client, url, bytes, tally, next, name) = (
            client.clone(),
            url.clone(),
            bytes.clone(),
            tally.clone(),
            next.clone(),
            name.clone(),
        );
        let count = a.count;
        workers.push(tokio::spawn(async move {
            let mut watchers = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < count {
                let start = Instant::now();
                match one(&client, &url, &name, &bytes).await {
                    Ok(id) => {
                        let accepted = start.elapsed();
                        {
                            let mut t = tally.lock().await;
                            t.accepted.push(accepted);
                            t.last_accepted = t.last_accepted.max(t0.elapsed());
                        }
                        let (client, url, tally) = (client.clone(), url.to_string(), tally.clone());
                        watchers.push(tokio::spawn(async move {
                            let r = wait_ready(&client, &url, &id).await;
                            let mut t = tally.lock().await;
                            match r {
                                Ok(()) => t.ready.push(start.elapsed()),
                                Err(e) => t.errors.push(format!("{id}: {e}")),
                            }
                            t.last_done = t.last_done.max(t0.elapsed());
                        }));
                    }
                    Err(e) => tally.lock().await.errors.push(e),
                }
            }
            for w in watchers {
                let _ = w.await;
            }
        }));
    }
    let progress = tokio::spawn(report_progress(tally.clone(), a.count));
    for w in workers {
        w.await.context("a bench worker")?;
    }
    progress.abort();
    let mut t = tally.lock().await;
    eprintln!(
        "bench: done, {}/{} accepted, {} READY, {} errors",
        t.accepted.len(),
        a.count,
        t.ready.len(),
        t.errors.len()
    );
    t.accepted.sort();
    t.ready.sort();
    let secs = |d: Duration| d.as_secs_f64();
    let report = serde_json::json!({
        "file": a.file.display().to_string(),
        "bytes": bytes.len(),
        "count": a.count,
        "concurrency": a.concurrency,
        "accepted": t.accepted.len(),
        "ready": t.ready.len(),
        "errors": t.errors.len(),
        "uploadsPerSecond": t.accepted.len() as f64 / secs(t.last_accepted).max(1e-9),
        "readyPerSecond": t.ready.len() as f64 / secs(t.last_done).max(1e-9),
        "acceptedP50Ms": percentile(&t.accepted, 0.5).as_millis(),
        "acceptedP99Ms": percentile(&t.accepted, 0.99).as_millis(),
        "readyP50Ms": percentile(&t.ready, 0.5).as_millis(),
        "readyP99Ms": percentile(&t.ready, 0.99).as_millis(),
        "wallSeconds": secs(t0.elapsed()),
        "serverPeakRssMiB": started
            .as_ref()
            .and_then(|s| peak_rss_kib(s.child.id()))
            .map(|k| (k as f64 / 1024.0 * 10.0).round() / 10.0),
        "firstErrors": t.errors.iter().take(5).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if t.errors.is_empty() { 0 } else { 1 })
}
