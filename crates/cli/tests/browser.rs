//! The web pages in a real browser: Debian's headless Chromium, driven through chromedriver
//! by `browser/upload_form.py` (selenium), fills the form, uploads a photo, follows the
//! reel's page to READY and opens the execution's graph. `.ci/setup` installs all of it;
//! outside CI the test says loudly that it skipped.

mod common;

use std::process::Command;

use common::{fixture, Server};
use serde_json::Value;

fn browser_ready() -> Result<(), String> {
    for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !std::path::Path::new(bin).exists() {
            return Err(format!(
                "{bin} is missing (apt-get install chromium chromium-driver)"
            ));
        }
    }
    let ok = Command::new("python3")
        .args(["-c", "import selenium"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err("python3 cannot import selenium (pip install selenium)".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_uploads_in_a_real_browser_and_the_reel_turns_ready() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser test: {why}"
        );
        eprintln!("SKIPPED the_form_uploads_in_a_real_browser: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let shots = std::env::var("MEDIA_HUB_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("screenshots"));
    let script = common::repo_root().join("crates/cli/tests/browser/upload_form.py");
    let url = server.url.clone();
    let photo = fixture("photo_exif.jpg");
    let shots_arg = shots.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script)
            .arg(url)
            .arg(photo)
            .arg(shots_arg)
            .output()
    })
    .await
    .unwrap()
    .expect("run the browser script");
    assert!(
        out.status.success(),
        "browser script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(out.stdout.trim_ascii()).expect("one JSON line");
    assert_eq!(seen["status"], "READY", "{seen}");
    assert_eq!(
        seen["hero_natural"],
        serde_json::json!([810, 1080]),
        "{seen}"
    );
    assert_eq!(seen["thumbs_loaded"], 3, "{seen}");
    assert!(
        seen["title"].as_str().unwrap().contains("Browser Ada"),
        "{seen}"
    );
    assert!(seen["graph_states"].as_u64().unwrap() >= 7, "{seen}");
    let ok: Vec<&str> = seen["graph_succeeded"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for state in [
        "ValidateFileType",
        "GenerateThumbnails",
        "ExtractMetadata",
        "CommitRecord",
    ] {
        assert!(
            ok.contains(&state),
            "{state} not drawn as succeeded: {seen}"
        );
    }
    // the record the browser made is the one the API reports
    let id = seen["reel_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let reel = server.reel(&id).await;
    assert_eq!(reel["caption"], "uploaded by a real browser");
    server.assert_invariants(&reel);
    for shot in ["1-form.png", "2-reel.png", "3-execution.png"] {
        let len = std::fs::metadata(shots.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 1000, "screenshot {shot} missing");
    }
}
