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
    let Some((seen, _server, _dir)) = upload_in_browser("through_the_api", &[]).await else {
        return;
    };
    let requests = form_requests(&seen);
    assert_eq!(requests, vec!["/api/uploads"], "{seen}");
}

/// A file above the form's threshold goes to the store with a presigned POST, then is
/// completed through the API; the progress bar and the result are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_goes_straight_to_the_store_from_the_browser() {
    let args = ["--direct-upload-above-kib", "1"];
    let Some((seen, _server, _dir)) = upload_in_browser("direct", &args).await else {
        return;
    };
    let id = reel_id(&seen);
    let requests = form_requests(&seen);
    let complete = format!("/api/uploads/{id}/complete");
    assert_eq!(
        requests,
        vec!["/api/uploads/direct", "/direct-uploads", complete.as_str()],
        "{seen}"
    );
}

/// The paths the form's script requested, in order.
fn form_requests(seen: &Value) -> Vec<&str> {
    seen["requests"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The id of the reel whose page the browser landed on.
fn reel_id(seen: &Value) -> String {
    let url = seen["reel_url"].as_str().unwrap_or("");
    url.rsplit('/').next().unwrap_or("").to_owned()
}

/// Run the browser script against a fresh server; `None` (after saying so) where no
/// browser is installed outside CI.
async fn upload_in_browser(
    name: &str,
    server_args: &[&str],
) -> Option<(Value, Server, tempfile::TempDir)> {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser test: {why}"
        );
        eprintln!("SKIPPED the browser test {name}: {why}");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let server = Server::start(&dir.join("data"), server_args);
    let shots = std::env::var("MEDIA_HUB_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.join("screenshots"))
        .join(name);
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
    let id = reel_id(&seen);
    let reel = server.reel(&id).await;
    assert_eq!(reel["caption"], "uploaded by a real browser");
    server.assert_invariants(&reel);
    // at 360 px no page scrolls sideways
    for page in ["form", "reel", "gallery", "execution"] {
        let [scroll, inner] = [0, 1].map(|i| seen["narrow"][page][i].as_u64().unwrap_or(0));
        assert!(
            inner == 360 && scroll <= inner,
            "{page} at 360 px is {scroll} px wide: {seen}"
        );
    }
    for shot in [
        "1-form.png",
        "2-reel.png",
        "3-execution.png",
        "360-form.png",
        "360-reel.png",
        "360-gallery.png",
        "360-execution.png",
    ] {
        let len = std::fs::metadata(shots.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 1000, "screenshot {shot} missing");
    }
    Some((seen, server, tmp))
}
