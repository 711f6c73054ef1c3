//! HEIC/AVIF (libheif) and videos (ffmpeg): sizes, orientation, metadata values.

use media::{Limits, MediaError, MediaKind};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/media")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn decode(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("decodes")
        .to_rgb8()
}

fn is_red(p: &image::Rgb<u8>) -> bool {
    p[0] > 200 && p[1] < 60 && p[2] < 60
}

#[test]
fn iphone_style_heic_is_portrait_and_oriented_once() {
    let data = fixture("portrait.heic");
    let m = media::metadata(&data, &Limits::default()).unwrap();
    // stored 1024x768 + irot 270° (and EXIF orientation 6, not applied a second time)
    assert_eq!((m.width, m.height), (768, 1024));
    assert_eq!(m.orientation, Some(6));
    assert_eq!(m.camera.as_deref(), Some("Apple iPhone 15 Pro"));
    assert_eq!(m.taken_at.as_deref(), Some("2024-05-01T12:34:56+02:00"));
    assert!(m.gps.is_some());
    let t = media::thumbnails(&data, &[1080, 480, 160], &Limits::default()).unwrap();
    let dims: Vec<_> = t.iter().map(|t| (t.width, t.height)).collect();
    assert_eq!(dims, vec![(768, 1024), (360, 480), (120, 160)]);
    for th in &t {
        let img = decode(&th.jpeg);
        assert!(
            is_red(img.get_pixel(2, 2)),
            "red square at top-left, size {}",
            th.size
        );
        assert!(!is_red(img.get_pixel(th.width - 3, 2)));
    }
}

#[test]
fn avif() {
    let data = fixture("photo.avif");
    assert_eq!(media::sniff(&data).unwrap().mime, "image/avif");
    let m = media::metadata(&data, &Limits::default()).unwrap();
    assert_eq!((m.width, m.height), (800, 600));
    let t = media::thumbnails(&data, &[480], &Limits::default()).unwrap();
    assert_eq!((t[0].width, t[0].height), (480, 360));
    assert!(is_red(decode(&t[0].jpeg).get_pixel(2, 2)));
}

#[test]
fn rotated_mp4() {
    let data = fixture("rotated.mp4");
    let s = media::sniff(&data).unwrap();
    assert_eq!((s.mime.as_str(), s.kind), ("video/mp4", MediaKind::Video));
    let m = media::metadata(&data, &Limits::default()).unwrap();
    // coded 640x360, rotation 90 → displayed portrait
    assert_eq!((m.width, m.height), (360, 640));
    assert_eq!(m.codec.as_deref(), Some("h264"));
    assert_eq!(m.duration, Some(1.0));
    assert_eq!(m.extra["frameRate"], 30.0);
    assert_eq!(m.extra["audioCodec"], "aac");
    assert_eq!(m.extra["rotation"], 90);
    assert!(m
        .taken_at
        .as_deref()
        .unwrap()
        .starts_with("2024-05-01T10:34:56"));
    let t = media::thumbnails(&data, &[1080, 480, 160], &Limits::default()).unwrap();
    let dims: Vec<_> = t.iter().map(|t| (t.width, t.height)).collect();
    assert_eq!(dims, vec![(360, 640), (270, 480), (90, 160)]);
    assert_eq!(decode(&t[1].jpeg).dimensions(), (270, 480));
}

#[test]
fn hevc_mov_and_webm() {
    for (name, mime, codec, audio) in [
        ("hevc.mov", "video/quicktime", "hevc", "aac"),
        ("clip.webm", "video/webm", "vp9", "opus"),
    ] {
        let data = fixture(name);
        assert_eq!(media::sniff(&data).unwrap().mime, mime);
        let m = media::metadata(&data, &Limits::default()).unwrap();
        assert_eq!((m.width, m.height), (640, 360), "{name}");
        assert_eq!(m.codec.as_deref(), Some(codec), "{name}");
        assert_eq!(m.extra["audioCodec"], audio, "{name}");
        assert!((m.duration.unwrap() - 1.0).abs() < 0.05, "{name}");
        let t = media::thumbnails(&data, &[480, 160], &Limits::default()).unwrap();
        assert_eq!((t[0].width, t[0].height), (480, 270), "{name}");
        assert_eq!((t[1].width, t[1].height), (160, 90), "{name}");
    }
}

#[test]
fn video_without_decodable_frame_is_corrupt() {
    // a valid-looking MP4 head (ftyp) followed by garbage
    let mut data = fixture("rotated.mp4");
    data.truncate(64);
    data.extend(std::iter::repeat_n(0x5Au8, 4096));
    let e = media::thumbnails(&data, &[160], &Limits::default()).unwrap_err();
    assert!(matches!(e, MediaError::Corrupt(_)), "{e:?}");
    assert_eq!(e.name(), "CorruptMedia");
}

/// A 1 s QuickTime file made by ffmpeg at test time, with `metadata` as `-metadata` pairs
/// (`keys` writes them as QuickTime `mdta` keys, as iPhones do; otherwise `udta` atoms).
fn quicktime(metadata: &[(&str, &str)], keys: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clip.mov");
    let mut cmd = std::process::Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=160x120:rate=10:duration=1")
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mov"]);
    if keys {
        cmd.args(["-movflags", "use_metadata_tags"]);
    }
    for (k, v) in metadata {
        cmd.arg("-metadata").arg(format!("{k}={v}"));
    }
    assert!(cmd.arg(&out).status().expect("ffmpeg runs").success());
    std::fs::read(&out).unwrap()
}

#[test]
fn quicktime_make_model_and_software_come_from_keys_and_udta() {
    let iphone = quicktime(
        &[
            ("com.apple.quicktime.make", "Apple"),
            ("com.apple.quicktime.model", "iPhone 15 Pro"),
            ("com.apple.quicktime.software", "17.4.1"),
        ],
        true,
    );
    let m = media::metadata(&iphone, &Limits::default()).unwrap();
    assert_eq!(m.camera.as_deref(), Some("Apple iPhone 15 Pro"));
    assert_eq!(m.extra["software"], "17.4.1");

    let camera = quicktime(&[("make", "Canon"), ("model", "EOS R6")], false);
    let m = media::metadata(&camera, &Limits::default()).unwrap();
    assert_eq!(m.camera.as_deref(), Some("Canon EOS R6"));
    assert!(
        m.extra.get("software").is_none(),
        "ffmpeg's own encoder tag is not the device's software: {:?}",
        m.extra
    );
}

#[test]
fn avif_width_and_height_are_the_displayed_size_after_irot() {
    // stored 320x240 with irot 90° anti-clockwise
    let data = fixture("portrait.avif");
    let m = media::metadata(&data, &Limits::default()).unwrap();
    assert_eq!((m.width, m.height), (240, 320));
    let t = media::thumbnails(&data, &[160], &Limits::default()).unwrap();
    assert_eq!((t[0].width, t[0].height), (120, 160));
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/media")
        .join(name)
}

#[test]
fn sample_entries_of_real_files_name_their_codec() {
    use media::sample_entry::{is_h264, video_sample_entry};
    // ffmpeg's MP4 (moov at the end, after mdat) and MOV, and a WebM (not ISO BMFF)
    assert_eq!(
        video_sample_entry(&fixture_path("rotated.mp4")),
        Some(*b"avc1")
    );
    assert!(is_h264(&fixture_path("rotated.mp4")));
    assert_eq!(
        video_sample_entry(&fixture_path("hevc.mov")),
        Some(*b"hvc1")
    );
    assert!(!is_h264(&fixture_path("hevc.mov")));
    assert_eq!(video_sample_entry(&fixture_path("clip.webm")), None);
}

#[test]
fn a_video_in_a_file_gives_what_its_bytes_give() {
    let limits = Limits::default();
    for name in ["rotated.mp4", "hevc.mov", "clip.webm"] {
        let path = fixture_path(name);
        let data = fixture(name);
        let format = media::sniff::detect(&data).unwrap();
        assert_eq!(
            media::video_metadata(format, &path, &limits).unwrap(),
            media::metadata(&data, &limits).unwrap(),
            "{name}"
        );
        let from_file = media::video_thumbnails(format, &path, &[480, 160], &limits).unwrap();
        let from_bytes = media::thumbnails(&data, &[480, 160], &limits).unwrap();
        assert_eq!(from_file, from_bytes, "{name}");
    }
    // a picture is not a video
    let photo = fixture("photo.png");
    let format = media::sniff::detect(&photo).unwrap();
    let e = media::video_metadata(format, &fixture_path("photo.png"), &limits).unwrap_err();
    assert_eq!(e.name(), "UnsupportedMediaType");
}

#[test]
fn a_frame_over_the_pixel_limit_is_too_large_as_the_probe_says() {
    // the poster decode refuses it (-max_pixels); its error is the probe's, not "corrupt"
    let limits = Limits {
        max_pixels: 1000,
        ..Limits::default()
    };
    for name in ["rotated.mp4", "hevc.mov", "clip.webm"] {
        let data = fixture(name);
        let format = media::sniff::detect(&data).unwrap();
        let e = media::video_thumbnails(format, &fixture_path(name), &[160], &limits).unwrap_err();
        assert_eq!(e.name(), "MediaTooLarge", "{name}: {e}");
        let m = media::video_metadata(format, &fixture_path(name), &limits).unwrap_err();
        assert_eq!(m.name(), "MediaTooLarge", "{name}: {m}");
    }
}
