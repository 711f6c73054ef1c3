//! Failures that are not the file's fault, end to end over real HTTP: a decoder that
//! panics ends FAILED `InternalError`, a decode past its deadline `ProcessingTimeout`, a
//! missing codec library or tool `CodecUnavailable`, an I/O error `StorageUnavailable` (after
//! its retries); in every case the raw file is kept (to be processed again) and no
//! thumbnail or rendition stays (docs/design.md, "Error names").

mod common;

use std::ffi::OsStr;

use common::{fixture, Server};

async fn failed_with(extra: &[&str], expected: &str) {
    failed_with_env(extra, &[], "photo_exif.jpg", expected).await;
}

async fn failed_with_env(extra: &[&str], env: &[(&str, &OsStr)], file: &str, expected: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with_env("127.0.0.1:0", dir.path(), extra, env);
    let id = server.upload_ok(&fixture(file), file).await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "FAILED", "{reel}");
    assert_eq!(reel["error"], expected, "{reel}");
    let raw = server.blob(reel["rawKey"].as_str().expect("rawKey"));
    assert!(raw.is_file(), "the raw file of {id} was deleted: {reel}");
    server.assert_invariants(&reel);
    let renditions = server.blob(&format!("renditions/{id}"));
    assert!(
        !renditions.exists() || std::fs::read_dir(&renditions).unwrap().count() == 0,
        "a rendition stayed for FAILED {id}"
    );
}

#[tokio::test]
async fn a_missing_heif_library_is_codec_unavailable_and_keeps_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("libheif.so.1");
    failed_with_env(
        &[],
        &[("MEDIA_HUB_LIBHEIF", missing.as_os_str())],
        "portrait.heic",
        "CodecUnavailable",
    )
    .await;
}

#[tokio::test]
async fn a_missing_ffmpeg_is_codec_unavailable_and_keeps_the_file() {
    // a PATH where neither ffmpeg nor ffprobe is found, as on a Lambda without the layer
    let empty = tempfile::tempdir().expect("tempdir");
    failed_with_env(
        &[],
        &[("PATH", empty.path().as_os_str())],
        "rotated.mp4",
        "CodecUnavailable",
    )
    .await;
}

#[tokio::test]
async fn an_io_error_is_storage_unavailable_after_its_retries_and_keeps_the_file() {
    // the temporary files a video's tasks write (the poster frame's input, the rendition's
    // output) cannot be created: the machine's trouble, retried, then FAILED, raw kept
    let dir = tempfile::tempdir().expect("tempdir");
    let gone = dir.path().join("no-such-dir");
    failed_with_env(
        &[],
        &[("TMPDIR", gone.as_os_str())],
        "rotated.mp4",
        "StorageUnavailable",
    )
    .await;
}

#[tokio::test]
async fn a_decoder_panic_is_an_internal_error_and_keeps_the_file() {
    failed_with(
        &["--fault-plan", r#"{"decoderPanic":true}"#],
        "InternalError",
    )
    .await;
}

#[tokio::test]
async fn a_decode_past_its_deadline_is_a_processing_timeout_and_keeps_the_file() {
    failed_with(&["--decode-timeout-secs", "0.001"], "ProcessingTimeout").await;
}
