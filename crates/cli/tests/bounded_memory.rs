//! Bounded work: 64 clients upload a 12-megapixel JPEG at once. Every upload ends READY, and
//! the server's peak RSS stays under its configured decode budget plus 150 MiB: memory
//! follows the configuration, not the number of clients (docs/design.md, "Limits").
//!
//! Videos are never held whole in memory: eight clients upload a 36 MB video at once, and
//! the server's peak RSS stays under the size of two such videos (a video's thumbnails and
//! metadata tasks run at the same time, so one copy each would already pass that).
//!
//! Measured with the project's own load tool, `media-hub bench upload`, which starts the
//! server, uploads over real HTTP, polls every reel to READY and reads the server's `VmHWM`.

mod common;

use std::process::Command;

use common::{ffmpeg, repo_root};
use serde_json::Value;

const CLIENTS: usize = 64;
const BUDGET_MIB: f64 = 512.0;
const SLACK_MIB: f64 = 150.0;

#[test]
fn sixty_four_concurrent_12_mp_uploads_stay_inside_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("twelve-mp.jpg");
    // 4000 x 3000 = 12 MP with sensor-like noise: about 3.6 MB, as a phone's photo
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=4000x3000:rate=1",
            "-vf",
            "noise=alls=12:allf=t",
            "-frames:v",
            "1",
            "-q:v",
            "3",
        ],
        &photo,
    );
    let bytes = std::fs::metadata(&photo).unwrap().len();
    assert!(bytes > 1_000_000, "a 12 MP JPEG of {bytes} bytes");

    let (report, stderr) = bench_upload(
        &photo,
        CLIENTS,
        Some(&format!("--decode-memory-mib {BUDGET_MIB}")),
    );
    let peak = peak_rss_mib(&report);
    assert!(
        peak < BUDGET_MIB + SLACK_MIB,
        "server peak RSS {peak} MiB over the {BUDGET_MIB} MiB budget + {SLACK_MIB} MiB: {report:#}"
    );
    assert!(
        stderr.contains("bench: "),
        "no progress lines on stderr: {stderr}"
    );
}

/// `media-hub bench upload FILE` with `clients` clients, one upload each, and the server's
/// extra arguments; every upload must be accepted and end READY. The report and stderr.
fn bench_upload(
    file: &std::path::Path,
    clients: usize,
    serve_args: Option<&str>,
) -> (Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_media-hub"));
    cmd.current_dir(repo_root())
        .args(["bench", "upload", "--concurrency"])
        .arg(clients.to_string())
        .arg("--count")
        .arg(clients.to_string())
        .arg(file);
    if let Some(args) = serve_args {
        cmd.arg("--serve-args").arg(args);
    }
    let out = cmd.output().expect("run media-hub bench upload");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bench report: {e}\nstderr: {stderr}"));
    eprintln!("{report:#}");
    assert!(out.status.success(), "bench failed: {report:#}\n{stderr}");
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["accepted"], clients, "{report:#}");
    assert_eq!(
        report["ready"], clients,
        "every upload ends READY: {report:#}"
    );
    (report, stderr)
}

fn peak_rss_mib(report: &Value) -> f64 {
    report["serverPeakRssMiB"]
        .as_f64()
        .unwrap_or_else(|| panic!("no peak RSS in {report:#}"))
}

#[test]
fn eight_concurrent_36_mb_videos_are_never_held_in_memory() {
    const VIDEOS: usize = 8;
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("long.mp4");
    // 50 s of noisy 640x360 at 6 Mbit/s: about 36 MB, H.264 inside the limits, so the
    // rendition is a remux and the test stays quick
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30:duration=50",
            "-vf",
            "noise=alls=40:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "6M",
            "-maxrate",
            "6M",
            "-bufsize",
            "6M",
            "-pix_fmt",
            "yuv420p",
        ],
        &video,
    );
    let video_mib = std::fs::metadata(&video).unwrap().len() as f64 / (1024.0 * 1024.0);
    assert!(video_mib > 25.0, "a video of {video_mib:.1} MiB");
    let (report, _) = bench_upload(&video, VIDEOS, None);
    let peak = peak_rss_mib(&report);
    assert!(
        peak < 2.0 * video_mib,
        "server peak RSS {peak} MiB with {VIDEOS} videos of {video_mib:.1} MiB: a video was held in memory: {report:#}"
    );
}
