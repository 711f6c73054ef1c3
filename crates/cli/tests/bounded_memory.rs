//! Bounded work: 64 clients upload a 12-megapixel JPEG at once. Every upload ends READY, and
//! the server's peak RSS stays under its configured decode budget plus 150 MiB: memory
//! follows the configuration, not the number of clients (docs/design.md, "Limits").
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

    let out = Command::new(env!("CARGO_BIN_EXE_media-hub"))
        .current_dir(repo_root())
        .args(["bench", "upload", "--concurrency"])
        .arg(CLIENTS.to_string())
        .arg("--count")
        .arg(CLIENTS.to_string())
        .arg(&photo)
        .arg("--serve-args")
        .arg(format!("--decode-memory-mib {BUDGET_MIB}"))
        .output()
        .expect("run media-hub bench upload");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bench report: {e}\nstderr: {stderr}"));
    eprintln!("{report:#}");
    assert!(out.status.success(), "bench failed: {report:#}\n{stderr}");
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["accepted"], CLIENTS, "{report:#}");
    assert_eq!(
        report["ready"], CLIENTS,
        "every upload ends READY: {report:#}"
    );
    let peak = report["serverPeakRssMiB"]
        .as_f64()
        .unwrap_or_else(|| panic!("no peak RSS in {report:#}"));
    assert!(
        peak < BUDGET_MIB + SLACK_MIB,
        "server peak RSS {peak} MiB over the {BUDGET_MIB} MiB budget + {SLACK_MIB} MiB: {report:#}"
    );
    assert!(
        stderr.contains("bench: "),
        "no progress lines on stderr: {stderr}"
    );
}
