//! Failures that are not the file's fault, end to end over real HTTP: a decoder that
//! panics ends FAILED `InternalError`, a decode past its deadline `ProcessingTimeout`; in
//! both the raw file is kept (to be processed again) and no thumbnail stays.

mod common;

use common::{fixture, Server};

async fn failed_with(extra: &[&str], expected: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), extra);
    let id = server
        .upload_ok(&fixture("photo_exif.jpg"), "photo.jpg")
        .await;
    let reel = server.wait_terminal(&id).await;
    assert_eq!(reel["status"], "FAILED", "{reel}");
    assert_eq!(reel["error"], expected, "{reel}");
    let raw = server.blob(&format!("raw/{id}/original.jpg"));
    assert!(raw.is_file(), "the raw file of {id} was deleted: {reel}");
    server.assert_invariants(&reel);
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
