//! How a video reel shows: the player on its page (`<video controls playsinline
//! preload="metadata">` over the web rendition, the poster frame as `poster`), its
//! duration, size and codecs in words, the play badge of gallery cards, and the notice
//! while the rendition is being made.

use maud::{html, Markup};
use pipeline::{Reel, VideoRef};

/// "0:02", "1:05", "1:02:03" (rounded to the second, at least 0:01 for a short clip).
pub fn clock(seconds: f64) -> String {
    let total = (seconds.max(0.0).round() as u64).max(u64::from(seconds > 0.0));
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// "2.0 seconds", "1 minute 5 seconds".
fn duration_words(seconds: f64) -> String {
    if seconds < 60.0 {
        return format!("{seconds:.1} seconds");
    }
    let total = seconds.round() as u64;
    let (m, s) = (total / 60, total % 60);
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if s == 0 {
        plural(m, "minute")
    } else {
        format!("{} {}", plural(m, "minute"), plural(s, "second"))
    }
}

/// A codec name as people know it.
fn codec_name(codec: &str) -> String {
    match codec {
        "h264" => "H.264".into(),
        "hevc" => "HEVC".into(),
        "vp9" => "VP9".into(),
        "vp8" => "VP8".into(),
        "av1" => "AV1".into(),
        "aac" => "AAC".into(),
        "opus" => "Opus".into(),
        "mp3" => "MP3".into(),
        other => other.to_uppercase(),
    }
}

/// Whether the reel is a video (by its sniffed type, known from upload on).
pub fn is_video(reel: &Reel) -> bool {
    reel.video.is_some()
        || reel
            .media_type
            .as_deref()
            .is_some_and(|m| m.starts_with("video/"))
}

/// The sentence under the player: "2.0 seconds · 320 × 240 · H.264 video with AAC audio
/// (converted from HEVC)".
pub fn facts(reel: &Reel, v: &VideoRef) -> String {
    let meta = reel.metadata.as_ref();
    let source = meta
        .and_then(|m| m.get("codec"))
        .and_then(|c| c.as_str())
        .map(codec_name);
    let audio = meta
        .and_then(|m| m.get("audioCodec"))
        .and_then(|c| c.as_str())
        .is_some();
    let mut out = format!(
        "{} · {} × {} · {} video",
        duration_words(v.duration),
        v.width,
        v.height,
        codec_name(&v.codec)
    );
    out.push_str(if audio {
        " with AAC audio"
    } else {
        ", no sound"
    });
    match (v.transcoded, source) {
        (true, Some(src)) => out.push_str(&format!(" (converted from {src})")),
        (true, None) => out.push_str(" (converted)"),
        (false, _) => out.push_str(" (as uploaded)"),
    }
    out
}

/// The player of a READY video reel.
pub fn player(reel: &Reel, v: &VideoRef, poster: Option<&str>) -> Markup {
    let src = format!("/media/{}", v.key);
    html! {
        figure.player {
            video #player controls playsinline preload="metadata" poster=[poster]
                width=(v.width) height=(v.height) {
                source src=(src) type="video/mp4";
                a href=(src) { "Download the video" }
            }
            figcaption { (facts(reel, v)) }
        }
    }
}

/// What a video reel's page says while its rendition is being made.
pub fn being_prepared() -> Markup {
    html! {
        p.processing { "This video is being prepared for playback… this page updates by itself." }
    }
}

/// The play badge and duration over a gallery card's picture.
pub fn card_badge(reel: &Reel) -> Markup {
    let duration = reel.video.as_ref().map(|v| v.duration).or_else(|| {
        reel.metadata
            .as_ref()
            .and_then(|m| m.get("duration"))
            .and_then(|d| d.as_f64())
    });
    html! {
        span.play aria-label="video" {
            span.triangle aria-hidden="true" { "▶" }
            @if let Some(d) = duration { " " (clock(d)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(clock(2.04), "0:02");
        assert_eq!(clock(0.3), "0:01");
        assert_eq!(clock(65.4), "1:05");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(duration_words(2.04), "2.0 seconds");
        assert_eq!(duration_words(60.2), "1 minute");
        assert_eq!(duration_words(125.0), "2 minutes 5 seconds");
    }

    #[test]
    fn the_player_streams_the_rendition_without_inline_code() {
        let v = VideoRef {
            key: "renditions/r1/web.mp4".into(),
            width: 320,
            height: 240,
            duration: 2.0,
            bytes: 1000,
            codec: "h264".into(),
            transcoded: true,
        };
        let reel: Reel = serde_json::from_value(serde_json::json!({
            "id": "r1", "name": "n", "caption": "", "status": "READY", "size": 1,
            "originalFilename": "a.mov", "rawKey": "raw/r1/original.mov",
            "createdAt": "t", "updatedAt": "t",
            "metadata": {"width": 320, "height": 240, "codec": "hevc", "audioCodec": "aac"}
        }))
        .unwrap();
        let out = player(&reel, &v, Some("/media/thumbnails/r1/1080.jpg")).into_string();
        assert!(out.contains(r#"<video id="player" controls playsinline preload="metadata" poster="/media/thumbnails/r1/1080.jpg""#), "{out}");
        assert!(
            out.contains(r#"<source src="/media/renditions/r1/web.mp4" type="video/mp4">"#),
            "{out}"
        );
        assert!(
            out.contains(
                "2.0 seconds · 320 × 240 · H.264 video with AAC audio (converted from HEVC)"
            ),
            "{out}"
        );
        assert!(!out.contains("style="), "{out}");
    }
}
