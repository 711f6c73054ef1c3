//! Without ffmpeg/ffprobe on the PATH, a video still sniffs, but its poster and metadata
//! fail with `CodecUnavailable` (a deployment problem: the raw file is kept for a
//! reprocess), not with a rejection of the file and not with a panic.
//!
//! One test in its own binary: PATH is emptied before anything spawns a tool.

use media::{Limits, MediaError, MediaKind};
use std::path::PathBuf;

#[test]
fn video_without_ffmpeg_is_codec_unavailable() {
    // The only test in this binary: no other thread reads the environment.
    std::env::set_var("PATH", "/nonexistent");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/media/rotated.mp4");
    let data = std::fs::read(&path).unwrap();
    assert_eq!(media::sniff(&data).unwrap().kind, MediaKind::Video);
    let limits = Limits::default();
    for (what, result) in [
        (
            "thumbnails",
            media::thumbnails(&data, &[160], &limits).map(|_| ()),
        ),
        ("metadata", media::metadata(&data, &limits).map(|_| ())),
    ] {
        match result {
            Err(e @ MediaError::CodecUnavailable { .. }) => {
                assert_eq!(e.name(), "CodecUnavailable", "{what}");
                assert!(e.to_string().contains("install ffmpeg"), "{what}: {e}");
            }
            other => panic!("{what}: expected CodecUnavailable, got {other:?}"),
        }
    }
}
