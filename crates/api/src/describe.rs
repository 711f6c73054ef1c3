//! A reel's facts in words for its page: what it is, the camera, when it was taken (in the
//! local time the camera recorded), dimensions, size in MB, duration.

use pipeline::Reel;
use serde_json::Value;

/// `image/jpeg` → `JPEG photo`.
pub fn kind(media_type: Option<&str>) -> String {
    let Some(mime) = media_type else {
        return "Not known yet".into();
    };
    let name = match mime {
        "image/jpeg" => "JPEG photo",
        "image/png" => "PNG image",
        "image/webp" => "WebP image",
        "image/gif" => "GIF image",
        "image/heic" | "image/heif" => "HEIC photo",
        "image/avif" => "AVIF image",
        "video/mp4" => "MP4 video",
        "video/quicktime" => "MOV video",
        "video/webm" => "WebM video",
        other => return other.to_owned(),
    };
    name.to_owned()
}

/// Bytes as megabytes with one decimal (`2.4 MB`), or kB below one megabyte.
pub fn size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else {
        format!("{} kB", bytes.div_ceil(1000))
    }
}

/// Seconds as `m:ss` (or `h:mm:ss`).
pub fn duration(seconds: f64) -> String {
    let total = seconds.round().max(0.0) as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// An ISO-8601 time as `1 May 2026, 14:03` in the time zone it was recorded in (cameras
/// record local time; an offset, where given, is kept and shown).
pub fn taken_at(text: &str) -> String {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return format!("{} (UTC{})", t.format("%-d %B %Y, %H:%M"), t.format("%:z"));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y:%m:%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return t.format("%-d %B %Y, %H:%M").to_string();
        }
    }
    text.to_owned()
}

/// An RFC 3339 UTC time as `30 November 2026, 10:04 UTC`.
pub fn uploaded_at(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%-d %B %Y, %H:%M UTC")
            .to_string(),
        Err(_) => text.to_owned(),
    }
}

/// The facts of a reel, label and words, in the order the page shows them.
pub fn facts(reel: &Reel) -> Vec<(&'static str, String)> {
    let meta = reel.metadata.as_ref().unwrap_or(&Value::Null);
    let text = |k: &str| meta.get(k).and_then(Value::as_str);
    let number = |k: &str| meta.get(k).and_then(Value::as_f64);
    let mut out = vec![("Type", kind(reel.media_type.as_deref()))];
    if let Some(camera) = text("camera") {
        out.push(("Camera", camera.to_owned()));
    }
    if let Some(t) = text("takenAt") {
        out.push(("Taken", taken_at(t)));
    }
    if let (Some(w), Some(h)) = (number("width"), number("height")) {
        out.push(("Dimensions", format!("{w} × {h} px")));
    }
    if let Some(d) = number("duration") {
        out.push(("Duration", duration(d)));
    }
    if reel.size > 0 {
        out.push(("Size", size(reel.size)));
    }
    out.push(("Uploaded", uploaded_at(&reel.created_at)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_read_as_words() {
        assert_eq!(size(2_400_000), "2.4 MB");
        assert_eq!(size(52_100), "53 kB");
        assert_eq!(duration(75.4), "1:15");
        assert_eq!(duration(3725.0), "1:02:05");
        assert_eq!(taken_at("2026-05-01T14:03:09"), "1 May 2026, 14:03");
        assert_eq!(
            taken_at("2026-05-01T14:03:09+02:00"),
            "1 May 2026, 14:03 (UTC+02:00)"
        );
        assert_eq!(taken_at("yesterday"), "yesterday");
        assert_eq!(
            uploaded_at("2026-11-30T10:04:05.123Z"),
            "30 November 2026, 10:04 UTC"
        );
        assert_eq!(kind(Some("video/quicktime")), "MOV video");
    }
}
