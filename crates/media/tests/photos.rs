//! Photos end to end: sniffing, thumbnail sizes and orientation, metadata values, on the
//! committed fixtures (fixtures/media, made by make_fixtures.py).

use media::{Limits, MediaKind};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/media")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Decodes a thumbnail back to RGB with the `image` crate (independent decoder).
fn decode(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("thumbnail decodes")
        .to_rgb8()
}

/// The fixtures have a red square at the displayed top-left corner.
fn assert_red_top_left(jpeg: &[u8], what: &str) {
    let img = decode(jpeg);
    let p = img.get_pixel(2, 2);
    assert!(
        p[0] > 200 && p[1] < 60 && p[2] < 60,
        "{what}: top-left pixel {p:?} is not red"
    );
    let (w, h) = img.dimensions();
    let q = img.get_pixel(w - 3, 2);
    assert!(
        !(q[0] > 200 && q[1] < 60 && q[2] < 60),
        "{what}: top-right is red too"
    );
    let r = img.get_pixel(2, h - 3);
    assert!(
        !(r[0] > 200 && r[1] < 60 && r[2] < 60),
        "{what}: bottom-left is red too"
    );
}

#[test]
fn sniffs_photos() {
    for (name, mime) in [
        ("photo_exif.jpg", "image/jpeg"),
        ("photo.png", "image/png"),
        ("photo.webp", "image/webp"),
        ("anim.gif", "image/gif"),
        ("portrait.heic", "image/heic"),
        ("photo.avif", "image/avif"),
    ] {
        let s = media::sniff(&fixture(name)).unwrap();
        assert_eq!(s.mime, mime, "{name}");
        assert_eq!(s.kind, MediaKind::Image, "{name}");
    }
    assert_eq!(media::sniff(&fixture("photo_exif.jpg")).unwrap().ext, "jpg");
}

#[test]
fn exif_jpeg_thumbnails_are_oriented() {
    let data = fixture("photo_exif.jpg");
    let t = media::thumbnails(&data, &[1080, 480, 160], &Limits::default()).unwrap();
    let dims: Vec<_> = t.iter().map(|t| (t.size, t.width, t.height)).collect();
    // stored 1600x1200, orientation 6 → displayed 1200x1600
    assert_eq!(
        dims,
        vec![(1080, 810, 1080), (480, 360, 480), (160, 120, 160)]
    );
    for th in &t {
        assert_eq!(decode(&th.jpeg).dimensions(), (th.width, th.height));
        assert_red_top_left(&th.jpeg, &format!("photo_exif {}", th.size));
    }
}

#[test]
fn orientations_3_and_8() {
    for (name, dims) in [("photo_o3.jpg", (480, 360)), ("photo_o8.jpg", (360, 480))] {
        let t = media::thumbnails(&fixture(name), &[480], &Limits::default()).unwrap();
        assert_eq!((t[0].width, t[0].height), dims, "{name}");
        assert_red_top_left(&t[0].jpeg, name);
    }
}

#[test]
fn exif_metadata_values() {
    let m = media::metadata(&fixture("photo_exif.jpg"), &Limits::default()).unwrap();
    eprintln!("{}", serde_json::to_string(&m).unwrap());
    assert_eq!((m.width, m.height), (1200, 1600));
    assert_eq!(m.orientation, Some(6));
    assert_eq!(m.taken_at.as_deref(), Some("2024-05-01T12:34:56+02:00"));
    assert_eq!(m.camera.as_deref(), Some("Apple iPhone 15 Pro"));
    let gps = m.gps.expect("gps");
    assert!((gps.latitude - 48.8582).abs() < 1e-4, "{gps:?}");
    assert!((gps.longitude - 2.29450).abs() < 1e-4, "{gps:?}");
    assert_eq!(gps.altitude, Some(35.0));
    assert_eq!(m.extra["exposureTime"], "1/125");
    assert_eq!(m.extra["fNumber"], 1.8);
    assert_eq!(m.extra["iso"], 100);
    assert_eq!(m.extra["focalLength"], 6.86);
    assert!(m.extra["lens"].as_str().unwrap().contains("iPhone 15 Pro"));
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["takenAt"], "2024-05-01T12:34:56+02:00");
    assert_eq!(
        json["gps"]["latitude"].as_f64().map(|v| (v * 1e4).round()),
        Some(488582.0)
    );
}

#[test]
fn other_photo_formats() {
    for name in [
        "photo_plain.jpg",
        "photo_progressive.jpg",
        "photo_gray.jpg",
        "photo_cmyk.jpg",
        "photo.png",
        "alpha.png",
        "photo.webp",
        "alpha_lossless.webp",
        "anim.gif",
    ] {
        let data = fixture(name);
        let m =
            media::metadata(&data, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let t = media::thumbnails(&data, &[1080, 160], &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // never upscaled
        assert_eq!((t[0].width, t[0].height), (m.width, m.height), "{name}");
        assert_eq!(t[1].width.max(t[1].height), 160, "{name}");
        if name != "photo_gray.jpg" {
            assert_red_top_left(&t[1].jpeg, name);
        }
    }
}

#[test]
fn alpha_is_flattened_on_white() {
    // alpha.png: alpha fades from opaque (left) to transparent (right)
    let t = media::thumbnails(&fixture("alpha.png"), &[160], &Limits::default()).unwrap();
    let img = decode(&t[0].jpeg);
    let (w, h) = img.dimensions();
    let p = img.get_pixel(w - 1, h / 2);
    assert!(
        p.0.iter().all(|c| *c > 235),
        "right edge should be white, got {p:?}"
    );
}

#[test]
fn gif_uses_first_frame() {
    let t = media::thumbnails(&fixture("anim.gif"), &[160], &Limits::default()).unwrap();
    let img = decode(&t[0].jpeg);
    // second frame is solid blue; the first is the scene
    let p = img.get_pixel(80, 60);
    assert!(
        !(p[2] > 200 && p[0] < 50 && p[1] < 50),
        "looks like the second frame: {p:?}"
    );
}

/// An RGB profile whose red and green primaries are sRGB's green and red.
fn swapped_icc() -> Vec<u8> {
    use lcms2::{CIExyY, CIExyYTRIPLE, Profile, ToneCurve};
    let d65 = CIExyY {
        x: 0.3127,
        y: 0.3290,
        Y: 1.0,
    };
    let prim = CIExyYTRIPLE {
        Red: CIExyY {
            x: 0.30,
            y: 0.60,
            Y: 1.0,
        },
        Green: CIExyY {
            x: 0.64,
            y: 0.33,
            Y: 1.0,
        },
        Blue: CIExyY {
            x: 0.15,
            y: 0.06,
            Y: 1.0,
        },
    };
    let curve =
        ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
            .unwrap();
    Profile::new_rgb(&d65, &prim, &[&curve, &curve, &curve])
        .unwrap()
        .icc()
        .unwrap()
}

#[test]
fn icc_profile_is_converted_to_srgb() {
    let jpg = fixture("photo_plain.jpg");
    let icc = swapped_icc();
    let mut seg = b"ICC_PROFILE\0\x01\x01".to_vec();
    seg.extend_from_slice(&icc);
    let mut tagged = jpg[..2].to_vec();
    tagged.extend_from_slice(&[0xFF, 0xE2]);
    tagged.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
    tagged.extend_from_slice(&seg);
    tagged.extend_from_slice(&jpg[2..]);
    let m = media::metadata(&tagged, &Limits::default()).unwrap();
    assert_eq!(m.extra["iccProfile"], true);
    let t = media::thumbnails(&tagged, &[480, 160], &Limits::default()).unwrap();
    for th in &t {
        // the red square, tagged with the swapped profile, is sRGB green
        let p = *decode(&th.jpeg).get_pixel(2, 2);
        assert!(
            p[1] > 200 && p[0] < 80 && p[2] < 80,
            "size {}: {p:?}",
            th.size
        );
    }
}
