//! The web rendition of a video: an MP4 every current browser plays (H.264 High, yuv420p
//! 8-bit, AAC-LC stereo, index at the front), made with ffmpeg (docs/design.md, "Videos").
//!
//! - Fast path: an H.264 (yuv420p) + AAC-LC (or silent) MP4/MOV inside the size, frame-rate
//!   and bit-rate limits, with no rotation to apply and square pixels, is remuxed
//!   (`-c copy -movflags +faststart`) without re-encoding.
//! - Otherwise it is re-encoded: libx264 High yuv420p at a CRF with a maximum bit rate,
//!   rotation applied (no rotation side data left), never upscaled, the long side at most
//!   `max_long` and the short side at most `max_short`, even dimensions, at most `max_fps`
//!   frames per second, AAC-LC stereo (no audio track when the source has none).
//!
//! Both paths drop the container's metadata (location, device, creation time) and are bounded
//! by the duration limit and a wall-time deadline ([`MediaError::TimedOut`], not a rejection).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sniff::Format;
use crate::video::{self, VideoInfo};
use crate::{Limits, MediaError};

/// How the rendition is made (all configurable; these are the defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebSpec {
    /// the long side is at most this many pixels
    pub max_long: u32,
    /// the short side is at most this many pixels
    pub max_short: u32,
    /// frames per second kept up to this
    pub max_fps: u32,
    /// x264 constant rate factor (quality target; lower is better and larger)
    pub crf: u8,
    /// maximum video bit rate, kbit/s (the VBV cap of the encode; a source above it is
    /// re-encoded rather than remuxed)
    pub max_kbps: u32,
    /// AAC bit rate, kbit/s
    pub audio_kbps: u32,
    /// x264 preset
    pub preset: String,
    /// wall-time budget of one ffmpeg run, seconds
    pub timeout_secs: u64,
}

impl Default for WebSpec {
    fn default() -> Self {
        WebSpec {
            max_long: 1920,
            max_short: 1080,
            max_fps: 60,
            crf: 23,
            max_kbps: 8000,
            audio_kbps: 128,
            preset: "veryfast".into(),
            timeout_secs: 600,
        }
    }
}

/// What was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebRendition {
    /// displayed size (the rendition carries no rotation)
    pub width: u32,
    pub height: u32,
    /// seconds
    pub duration: f64,
    /// always `h264`
    pub codec: String,
    /// `aac`, or `None` when the source has no audio
    pub audio_codec: Option<String>,
    /// false when the source was remuxed as it is (the fast path)
    pub transcoded: bool,
    pub bytes: u64,
}

/// What to do with a probed video.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// copy the streams into a faststart MP4
    Remux,
    /// re-encode to `width`×`height` (display orientation), capping the frame rate at
    /// `fps_cap` when set
    Encode {
        width: u32,
        height: u32,
        fps_cap: Option<u32>,
        audio: bool,
        /// why the fast path was not taken (for the log)
        reason: String,
    },
}

/// The size as displayed: square pixels, rotation applied.
fn display_size(info: &VideoInfo) -> (u32, u32) {
    let (mut w, h) = (info.width, info.height);
    if let Some((n, d)) = info.sar {
        w = ((f64::from(w) * f64::from(n) / f64::from(d)).round() as u32).max(1);
    }
    if info.rotation.rem_euclid(180) == 90 {
        (h, w)
    } else {
        (w, h)
    }
}

/// Fits `(w, h)` inside the spec's box (long side, short side), never upscaling, both sides
/// even and at least 2.
pub fn fit(w: u32, h: u32, spec: &WebSpec) -> (u32, u32) {
    let (bw, bh) = if w >= h {
        (spec.max_long, spec.max_short)
    } else {
        (spec.max_short, spec.max_long)
    };
    let scale = (f64::from(bw) / f64::from(w.max(1)))
        .min(f64::from(bh) / f64::from(h.max(1)))
        .min(1.0);
    let even = |x: f64| ((x.round() as u32) & !1).max(2);
    (even(f64::from(w) * scale), even(f64::from(h) * scale))
}

/// Decides between the fast path and a re-encode.
pub fn plan(format: Format, info: &VideoInfo, spec: &WebSpec) -> Plan {
    let (dw, dh) = display_size(info);
    let (tw, th) = fit(dw, dh, spec);
    let fps_cap = info
        .frame_rate
        .filter(|r| *r > f64::from(spec.max_fps) + 0.5)
        .map(|_| spec.max_fps);
    let audio = info.audio_codec.is_some();
    let reason = if !matches!(format, Format::Mp4 | Format::Mov) {
        Some(format!("{} container", format.ext()))
    } else if info.codec.as_deref() != Some("h264") {
        Some(format!(
            "{} video",
            info.codec.as_deref().unwrap_or("unknown")
        ))
    } else if info.pix_fmt.as_deref() != Some("yuv420p") {
        Some(format!(
            "pixel format {}",
            info.pix_fmt.as_deref().unwrap_or("unknown")
        ))
    } else if info.rotation != 0 {
        Some(format!("rotation {}°", info.rotation))
    } else if info.sar.is_some() {
        Some("non-square pixels".into())
    } else if (tw, th) != (dw, dh) {
        Some(format!("{dw}x{dh} is over the size limits or odd"))
    } else if fps_cap.is_some() {
        Some(format!("{:?} fps", info.frame_rate))
    } else if info
        .video_bit_rate
        .is_some_and(|b| b > u64::from(spec.max_kbps) * 1000)
    {
        Some(format!("{:?} bit/s", info.video_bit_rate))
    } else if audio
        && (info.audio_codec.as_deref() != Some("aac")
            || info.audio_channels.is_some_and(|c| c > 2)
            || info.audio_profile.as_deref().is_some_and(|p| p != "LC"))
    {
        Some(format!(
            "audio {} {:?} {:?} channels",
            info.audio_codec.as_deref().unwrap_or("?"),
            info.audio_profile,
            info.audio_channels
        ))
    } else {
        None
    };
    match reason {
        None => Plan::Remux,
        Some(reason) => Plan::Encode {
            width: tw,
            height: th,
            fps_cap,
            audio,
            reason,
        },
    }
}

/// The ffmpeg arguments (after `-i INPUT`) that carry out a plan into `output`.
pub fn ffmpeg_args(plan: &Plan, spec: &WebSpec, limits: &Limits) -> Vec<String> {
    let mut a: Vec<String> = vec!["-map".into(), "0:V:0".into()];
    let common_tail = |a: &mut Vec<String>| {
        a.extend(
            [
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                "-t",
                &(limits.max_video_secs + 1).to_string(),
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
            ]
            .map(String::from),
        );
    };
    match plan {
        Plan::Remux => {
            a.extend(["-map", "0:a:0?", "-c", "copy"].map(String::from));
            common_tail(&mut a);
        }
        Plan::Encode {
            width,
            height,
            fps_cap,
            audio,
            ..
        } => {
            let mut vf = format!("scale={width}:{height}:flags=bicubic,setsar=1");
            if let Some(fps) = fps_cap {
                vf.push_str(&format!(",fps={fps}"));
            }
            vf.push_str(",format=yuv420p");
            a.extend(
                [
                    "-vf",
                    &vf,
                    "-c:v",
                    "libx264",
                    "-preset",
                    &spec.preset,
                    "-profile:v",
                    "high",
                    "-pix_fmt",
                    "yuv420p",
                    "-crf",
                    &spec.crf.to_string(),
                    "-maxrate",
                    &format!("{}k", spec.max_kbps),
                    "-bufsize",
                    &format!("{}k", spec.max_kbps * 2),
                ]
                .map(String::from),
            );
            if *audio {
                a.extend(
                    [
                        "-map",
                        "0:a:0",
                        "-c:a",
                        "aac",
                        "-profile:a",
                        "aac_low",
                        "-b:a",
                        &format!("{}k", spec.audio_kbps),
                        "-ac",
                        "2",
                    ]
                    .map(String::from),
                );
            } else {
                a.push("-an".into());
            }
            common_tail(&mut a);
        }
    }
    a
}

/// A probed video and how its rendition will be made: the first half of
/// [`web_rendition`], so a caller can decide what the second half needs (a re-encode takes
/// a decode slot; a remux does not).
///
/// For an MP4 or MOV whose video track's sample entry says H.264 (read from its box headers,
/// [`crate::sample_entry`]), the likely fast path, the remux is started *while* ffprobe
/// runs, so the fast path costs the longer of the two rather than their sum (most of either
/// is ffmpeg's start-up). An HEVC MOV, the phone's usual upload, starts nothing ahead. When
/// the plan turns out to be a re-encode after all, that remux is killed and its output
/// removed; dropping a `Prepared` unused does the same.
pub struct Prepared {
    pub info: VideoInfo,
    pub plan: Plan,
    speculative: Speculative,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("info", &self.info)
            .field("plan", &self.plan)
            .field("speculative", &self.speculative.0.is_some())
            .finish()
    }
}

impl Prepared {
    /// A re-encode (CPU- and memory-heavy), as opposed to a remux.
    pub fn encodes(&self) -> bool {
        self.plan != Plan::Remux
    }
}

/// A remux started ahead of the plan, killed (and its output removed) unless taken.
struct Speculative(Option<(video::Running, std::path::PathBuf)>);

impl Speculative {
    fn take(&mut self) -> Option<video::Running> {
        self.0.take().map(|(running, _)| running)
    }
}

impl Drop for Speculative {
    fn drop(&mut self) {
        if let Some((mut running, output)) = self.0.take() {
            running.kill();
            let _ = std::fs::remove_file(output);
        }
    }
}

fn ffmpeg_command(
    plan: &Plan,
    input: &Path,
    output: &Path,
    spec: &WebSpec,
    limits: &Limits,
) -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(input)
        .args(ffmpeg_args(plan, spec, limits))
        .arg(output);
    cmd
}

/// Probe `input` (a `format` video), check the duration and size limits, and plan; for an
/// H.264 MP4/MOV the remux into `output` is already running meanwhile.
pub fn prepare(
    format: Format,
    input: &Path,
    output: &Path,
    spec: &WebSpec,
    limits: &Limits,
) -> Result<Prepared, MediaError> {
    let likely_remux =
        matches!(format, Format::Mp4 | Format::Mov) && crate::sample_entry::is_h264(input);
    let speculative = Speculative(if likely_remux {
        let cmd = ffmpeg_command(&Plan::Remux, input, output, spec, limits);
        Some((
            video::start(cmd, "ffmpeg", 64 * 1024)?,
            output.to_path_buf(),
        ))
    } else {
        None
    });
    // on an error here the speculative remux is dropped: killed, its output removed
    let info = video::ffprobe(input)?;
    video::checked(&info, limits)?;
    let plan = plan(format, &info, spec);
    match &plan {
        Plan::Remux => tracing::info!(codec = ?info.codec, "rendition: remux (fast path)"),
        Plan::Encode {
            width,
            height,
            reason,
            ..
        } => {
            tracing::info!(%reason, width, height, "rendition: re-encode")
        }
    }
    let speculative = match plan {
        Plan::Remux => speculative,
        // not wanted: killed and removed now, before the encode writes the same file
        Plan::Encode { .. } => {
            drop(speculative);
            Speculative(None)
        }
    };
    Ok(Prepared {
        info,
        plan,
        speculative,
    })
}

/// Make the planned rendition of `input` at `output` (the same paths as [`prepare`]'s).
pub fn make(
    mut prepared: Prepared,
    input: &Path,
    output: &Path,
    spec: &WebSpec,
    limits: &Limits,
) -> Result<WebRendition, MediaError> {
    let running = match prepared.speculative.take() {
        Some(running) => running,
        None => video::start(
            ffmpeg_command(&prepared.plan, input, output, spec, limits),
            "ffmpeg",
            64 * 1024,
        )?,
    };
    let Prepared { info, plan, .. } = prepared;
    let timeout = Duration::from_secs(spec.timeout_secs.max(1));
    let (ok, _, err) = running.wait(timeout)?;
    if !ok {
        return Err(MediaError::Corrupt(format!(
            "the video does not convert: {}",
            err.trim()
        )));
    }
    let bytes = std::fs::metadata(output)
        .map(|m| m.len())
        .map_err(|e| MediaError::Io(format!("no rendition written: {e}")))?;
    let (width, height) = match plan {
        Plan::Remux => display_size(&info),
        Plan::Encode { width, height, .. } => (width, height),
    };
    Ok(WebRendition {
        width,
        height,
        duration: info
            .duration
            .map(|d| (d * 1000.0).round() / 1000.0)
            .unwrap_or(0.0),
        codec: "h264".into(),
        audio_codec: info.audio_codec.as_ref().map(|_| "aac".to_string()),
        transcoded: plan != Plan::Remux,
        bytes,
    })
}

/// The web rendition of `input` (a `format` video) at `output`: [`prepare`], then [`make`].
pub fn web_rendition(
    format: Format,
    input: &Path,
    output: &Path,
    spec: &WebSpec,
    limits: &Limits,
) -> Result<WebRendition, MediaError> {
    let prepared = prepare(format, input, output, spec, limits)?;
    make(prepared, input, output, spec, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h264(w: u32, h: u32) -> VideoInfo {
        VideoInfo {
            width: w,
            height: h,
            codec: Some("h264".into()),
            pix_fmt: Some("yuv420p".into()),
            frame_rate: Some(30.0),
            duration: Some(2.0),
            audio_codec: Some("aac".into()),
            audio_profile: Some("LC".into()),
            audio_channels: Some(2),
            video_bit_rate: Some(2_000_000),
            ..VideoInfo::default()
        }
    }

    #[test]
    fn fits_inside_the_box_without_upscaling_with_even_sides() {
        let s = WebSpec::default();
        assert_eq!(fit(3840, 2160, &s), (1920, 1080));
        assert_eq!(fit(2160, 3840, &s), (1080, 1920));
        assert_eq!(fit(320, 240, &s), (320, 240));
        assert_eq!(fit(321, 241, &s), (320, 240));
        assert_eq!(fit(4000, 1000, &s), (1920, 480));
        assert_eq!(fit(1, 1, &s), (2, 2));
        let small = WebSpec {
            max_long: 640,
            max_short: 360,
            ..WebSpec::default()
        };
        assert_eq!(fit(1920, 1080, &small), (640, 360));
        assert_eq!(fit(1440, 1080, &small), (480, 360));
    }

    #[test]
    fn h264_aac_mp4_within_limits_is_remuxed() {
        let s = WebSpec::default();
        assert_eq!(plan(Format::Mp4, &h264(1920, 1080), &s), Plan::Remux);
        assert_eq!(plan(Format::Mov, &h264(320, 240), &s), Plan::Remux);
        let mut silent = h264(640, 360);
        silent.audio_codec = None;
        silent.audio_profile = None;
        silent.audio_channels = None;
        assert_eq!(plan(Format::Mp4, &silent, &s), Plan::Remux);
    }

    #[test]
    fn anything_else_is_reencoded() {
        let s = WebSpec::default();
        let encode = |format, info: VideoInfo| match plan(format, &info, &s) {
            Plan::Encode {
                width,
                height,
                fps_cap,
                audio,
                ..
            } => (width, height, fps_cap, audio),
            Plan::Remux => panic!("remuxed {info:?}"),
        };
        let mut hevc = h264(1920, 1080);
        hevc.codec = Some("hevc".into());
        assert_eq!(encode(Format::Mov, hevc), (1920, 1080, None, true));
        assert_eq!(encode(Format::Webm, h264(320, 240)), (320, 240, None, true));
        let mut rotated = h264(320, 240);
        rotated.rotation = 90;
        assert_eq!(encode(Format::Mp4, rotated), (240, 320, None, true));
        assert_eq!(
            encode(Format::Mp4, h264(3840, 2160)),
            (1920, 1080, None, true)
        );
        let mut ten_bit = h264(320, 240);
        ten_bit.pix_fmt = Some("yuv420p10le".into());
        encode(Format::Mp4, ten_bit);
        let mut fast = h264(320, 240);
        fast.frame_rate = Some(120.0);
        assert_eq!(encode(Format::Mp4, fast), (320, 240, Some(60), true));
        let mut surround = h264(320, 240);
        surround.audio_channels = Some(6);
        encode(Format::Mp4, surround);
        let mut opus = h264(320, 240);
        opus.audio_codec = Some("opus".into());
        encode(Format::Mp4, opus);
        let mut heavy = h264(320, 240);
        heavy.video_bit_rate = Some(50_000_000);
        encode(Format::Mp4, heavy);
        let mut anamorphic = h264(720, 576);
        anamorphic.sar = Some((16, 15));
        assert_eq!(encode(Format::Mp4, anamorphic), (768, 576, None, true));
    }

    #[test]
    fn an_encode_without_audio_adds_none() {
        let s = WebSpec::default();
        let p = Plan::Encode {
            width: 320,
            height: 240,
            fps_cap: None,
            audio: false,
            reason: String::new(),
        };
        let args = ffmpeg_args(&p, &s, &Limits::default());
        assert!(args.contains(&"-an".to_string()), "{args:?}");
        assert!(!args.iter().any(|a| a == "0:a:0"), "{args:?}");
        let joined = args.join(" ");
        assert!(joined.contains("-movflags +faststart"), "{joined}");
        assert!(joined.contains("-map_metadata -1"), "{joined}");
        assert!(joined.contains("-t 181"), "{joined}");
    }
}
