//! Without libheif (here: `MEDIA_HUB_LIBHEIF` names a file that does not exist), HEIC and
//! AVIF still sniff, but thumbnails and metadata fail with `CodecUnavailable`, not with a
//! rejection and not with a panic; other formats are unaffected.
//!
//! One test in its own binary: the variable is set before anything loads libheif, and the
//! process-wide load of the other test binaries is untouched.

use media::{Limits, MediaError, MediaKind};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/media")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn assert_codec_unavailable(r: Result<impl std::fmt::Debug, MediaError>, what: &str) {
    match r {
        Err(
            e @ MediaError::CodecUnavailable {
                codec: "libheif", ..
            },
        ) => {
            assert_eq!(e.name(), "CodecUnavailable", "{what}");
            let text = e.to_string();
            assert!(
                text.starts_with("libheif is unavailable: /nonexistent/libheif.so.1: "),
                "{what}: {text}"
            );
            assert!(text.contains("MEDIA_HUB_LIBHEIF"), "{what}: {text}");
        }
        other => panic!("{what}: expected CodecUnavailable, got {other:?}"),
    }
}

#[test]
fn heif_without_libheif_is_codec_unavailable() {
    // The only test in this binary, run before any libheif load: no other thread reads
    // the environment.
    std::env::set_var("MEDIA_HUB_LIBHEIF", "/nonexistent/libheif.so.1");
    let limits = Limits::default();
    for (name, mime) in [
        ("portrait.heic", "image/heic"),
        ("photo.avif", "image/avif"),
        ("hostile/heic_truncated.heic", "image/heic"),
    ] {
        let data = fixture(name);
        let s = media::sniff(&data).unwrap();
        assert_eq!(
            (s.mime.as_str(), s.kind),
            (mime, MediaKind::Image),
            "{name}"
        );
        assert_codec_unavailable(media::thumbnails(&data, &[480, 160], &limits), name);
        assert_codec_unavailable(media::metadata(&data, &limits), name);
    }
    // the remembered failure is the same on a second call
    assert_codec_unavailable(
        media::thumbnails(&fixture("portrait.heic"), &[160], &limits),
        "again",
    );
    // formats that do not need libheif still decode
    let t = media::thumbnails(&fixture("photo_exif.jpg"), &[160], &limits).unwrap();
    assert_eq!((t[0].width, t[0].height), (120, 160));
}
