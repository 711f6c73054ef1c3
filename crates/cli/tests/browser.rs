//! The web pages in a real browser: Debian's headless Chromium, driven through chromedriver
//! by `browser/upload_form.py` (selenium), fills the form, uploads a photo, follows the
//! reel's page to READY and opens the execution's graph; `browser/video_player.py` plays a
//! video reel's rendition and seeks in it. `.ci/setup` installs all of it;
//! outside CI the test says loudly that it skipped.

mod common;

use common::{browser_ready, clip, fixture, run_browser_script, screenshots_dir, Codec, Server};
use serde_json::Value;

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

/// A video reel plays in the browser: the `<video>` loads the rendition (HEVC re-encoded to
/// H.264/AAC), reaches readyState >= 2, its time advances once playing (muted), no media
/// error, and a seek to the middle lands there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_reel_plays_and_seeks_in_a_real_browser() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser test: {why}"
        );
        eprintln!("SKIPPED the video browser test: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &[]);
    let file = tmp.path().join("clip.mov");
    clip(&file, "testsrc2=size=480x270:rate=25", 4, Codec::Hevc, true);
    let id = server.upload_ok(&file, "IMG_0007.MOV").await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "READY", "{reel}");
    assert_eq!(reel["video"]["transcoded"], true, "{reel}");
    let shots = screenshots_dir("video");
    let args = vec![
        server.url.clone().into(),
        id.clone().into(),
        shots.clone().into(),
    ];
    let seen = run_browser_script("video_player.py", args).await;
    let before = &seen["before_play"];
    assert_eq!(before["preload"], "metadata", "{seen}");
    assert_eq!(before["controls"], true, "{seen}");
    assert_eq!(before["playsinline"], true, "{seen}");
    assert!(
        before["poster"]
            .as_str()
            .unwrap_or("")
            .contains("/media/thumbnails/"),
        "{seen}"
    );
    assert!(
        before["src"].as_str().unwrap_or("").ends_with(&format!(
            "/media/renditions/{}/web.mp4",
            reel["id"].as_str().unwrap()
        )),
        "{seen}"
    );
    assert_eq!(seen["play"], "playing", "{seen}");
    let ready = &seen["ready"];
    assert!(ready["readyState"].as_u64().unwrap_or(0) >= 2, "{seen}");
    assert_eq!(
        (ready["videoWidth"].as_u64(), ready["videoHeight"].as_u64()),
        (Some(480), Some(270)),
        "{seen}"
    );
    let playing = &seen["playing"];
    assert!(playing["error"].is_null(), "media error: {seen}");
    assert!(
        playing["currentTime"].as_f64().unwrap_or(0.0)
            > ready["currentTime"].as_f64().unwrap_or(0.0),
        "{seen}"
    );
    let seek = &seen["seek"];
    assert!(seek["error"].is_null(), "{seen}");
    let (target, landed) = (
        seek["target"].as_f64().unwrap_or(-1.0),
        seek["currentTime"].as_f64().unwrap_or(-9.0),
    );
    assert!(
        (target - 2.0).abs() < 0.2 && (landed - target).abs() < 0.1,
        "seek to the middle: {seen}"
    );
    assert!(
        seen["facts"].as_str().unwrap_or("").contains("480 × 270"),
        "{seen}"
    );
    assert_eq!(seen["badge"], "▶ 0:04", "{seen}");
    for page in ["reel", "gallery"] {
        let [scroll, inner] = [0, 1].map(|i| seen["narrow"][page][i].as_u64().unwrap_or(0));
        assert!(
            inner == 360 && scroll <= inner,
            "{page} at 360 px is {scroll} px wide: {seen}"
        );
    }
    for shot in [
        "video-1-reel.png",
        "video-2-playing.png",
        "video-3-seeked.png",
        "video-4-gallery.png",
        "video-360-reel.png",
        "video-360-gallery.png",
    ] {
        let len = std::fs::metadata(shots.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 1000, "screenshot {shot} missing");
    }
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
    let shots = screenshots_dir(name);
    let args = vec![
        server.url.clone().into(),
        fixture("photo_exif.jpg").into(),
        shots.clone().into(),
    ];
    let seen = run_browser_script("upload_form.py", args).await;
    assert_eq!(seen["status"], "READY", "{seen}");
    // at 1200 px the largest thumbnail (810×1080, the photo's EXIF rotation applied)
    assert_eq!(seen["hero_src"], "1080.jpg", "{seen}");
    let ratio = seen["hero_ratio"].as_f64().unwrap_or(0.0);
    assert!((ratio - 0.75).abs() < 0.01, "{seen}");
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

/// The pages as people use them, at 360 px and on a desktop (`browser/pages.py`): the drop
/// zone's preview, a refusal in plain words with its details toggle, a reel that turns
/// READY without a reload, a caption with a 300-character word and a `<script>` that stays
/// text, and no page wider than the phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_hold_on_a_phone_and_update_live() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser test: {why}"
        );
        eprintln!("SKIPPED the browser test pages: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // the shipped definition with a short wait first, so the reel's page is seen PROCESSING
    let asl = common::repo_root().join("statemachine/media-pipeline.asl.json");
    let mut def: Value = serde_json::from_slice(&std::fs::read(asl).unwrap()).unwrap();
    let start = def["StartAt"].as_str().unwrap().to_owned();
    def["States"]["Hold"] = serde_json::json!({"Type": "Wait", "Seconds": 6, "Next": start});
    def["StartAt"] = "Hold".into();
    let held = tmp.path().join("held.asl.json");
    std::fs::write(&held, serde_json::to_vec(&def).unwrap()).unwrap();
    let server = Server::start(
        &tmp.path().join("data"),
        &["--definition", held.to_str().unwrap()],
    );
    let shots = screenshots_dir("pages");
    let args = vec![
        server.url.clone().into(),
        fixture("photo_exif.jpg").into(),
        shots.clone().into(),
    ];
    let seen = run_browser_script("pages.py", args).await;

    // the drop zone
    assert_eq!(seen["preview_visible"], true, "{seen}");
    assert_eq!(seen["dropped_into_input"], 1, "{seen}");
    // the refusal, in plain words, the cause under a closed toggle
    assert_eq!(
        seen["refusal_words"], "This file isn't a photo or video we can read (it looks like text).",
        "{seen}"
    );
    assert_eq!(
        seen["refusal_next"], "Try a JPEG, PNG, HEIC, WebP, AVIF, MP4, MOV or WebM.",
        "{seen}"
    );
    assert_eq!(seen["details_closed"], true, "{seen}");
    assert!(
        seen["details_text"]
            .as_str()
            .unwrap()
            .contains("UnsupportedMediaType"),
        "{seen}"
    );
    assert_eq!(seen["preview_hidden_after_refusal"], true, "{seen}");
    // live status: seen PROCESSING, then READY in the same document
    assert_eq!(seen["status_at_load"], "PROCESSING", "{seen}");
    assert_eq!(seen["status"], "READY", "{seen}");
    assert_eq!(seen["same_document"], "kept", "the page reloaded: {seen}");
    assert_eq!(seen["navigations"], 1, "{seen}");
    // the caption stays text, line breaks and all
    assert_eq!(seen["pwned"], Value::Null, "{seen}");
    assert_eq!(seen["caption_has_script_element"], 0, "{seen}");
    let caption = seen["caption_text"].as_str().unwrap();
    assert!(
        caption.contains(&"W".repeat(300))
            && caption.contains("\nsecond line <script>window.pwned = 1</script>"),
        "{seen}"
    );
    assert_eq!(seen["owner_offered"], true, "{seen}");
    // the gallery's images: srcset over the thumbnail widths, intrinsic size set
    let img = &seen["gallery_srcset"];
    assert_eq!(img[0].as_str().unwrap().matches(" w").count(), 0, "{seen}");
    assert_eq!(img[0].as_str().unwrap().matches("w,").count(), 2, "{seen}");
    assert!(
        img[1].as_str().is_some() && img[2] == "810" && img[3] == "1080",
        "{seen}"
    );
    // nothing wider than the phone
    for (page, size) in seen["narrow"].as_object().unwrap() {
        let [scroll, inner] = [0, 1].map(|i| size[i].as_u64().unwrap_or(0));
        assert!(
            inner == 360 && scroll <= inner,
            "{page} at 360 px is {scroll} px wide: {seen}"
        );
    }
    for page in [
        "form",
        "form-preview",
        "form-refused",
        "reel",
        "gallery",
        "execution",
    ] {
        assert!(seen["narrow"].get(page).is_some(), "{page} not measured");
        let len = std::fs::metadata(shots.join(format!("360-{page}.png")))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 1000, "screenshot of {page} missing");
    }
}
