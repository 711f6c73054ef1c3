//! Videos (MP4, MOV, WebM) through Debian's ffprobe and ffmpeg as subprocesses, with a
//! time limit and bounded output: metadata (duration, codec, displayed size, rotation,
//! frame rate, audio codec, creation time, ISO 6709 location) and a poster frame from a
//! real decoder (the first decodable frame, rotation applied by ffmpeg). No decodable
//! frame is `Corrupt`.

use crate::pixels::Rgb;
use crate::sniff::Format;
use crate::{limits, Gps, Limits, MediaError, Metadata};
use serde_json::{Map, Value};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-time budget of one ffprobe run or poster-frame extraction (a rendition has its own,
/// [`crate::rendition::WebSpec::timeout_secs`]);
/// `MEDIA_HUB_FFMPEG_TIMEOUT_MS` overrides every deadline here (tests).
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Environment variable setting the ffprobe/ffmpeg deadline in milliseconds.
pub const ENV_TIMEOUT_MS: &str = "MEDIA_HUB_FFMPEG_TIMEOUT_MS";

/// The deadline `MEDIA_HUB_FFMPEG_TIMEOUT_MS` sets for every ffprobe/ffmpeg run, if any.
fn env_timeout() -> Option<Duration> {
    std::env::var(ENV_TIMEOUT_MS)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
}

/// What ffprobe says about a video.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoInfo {
    /// coded size
    pub width: u32,
    pub height: u32,
    /// degrees, as ffprobe reports it (display matrix or `rotate` tag)
    pub rotation: i32,
    pub duration: Option<f64>,
    pub codec: Option<String>,
    pub frame_rate: Option<f64>,
    pub audio_codec: Option<String>,
    pub creation_time: Option<String>,
    pub gps: Option<Gps>,
    pub frames: Option<u64>,
    /// e.g. `yuv420p`, `yuv420p10le`
    pub pix_fmt: Option<String>,
    /// sample aspect ratio (pixel shape), when ffprobe gives one other than 0:1
    pub sar: Option<(u32, u32)>,
    /// the video stream's bit rate, bits/s
    pub video_bit_rate: Option<u64>,
    pub audio_profile: Option<String>,
    pub audio_channels: Option<u32>,
    /// device make, model and software: QuickTime `com.apple.quicktime.*` keys, else the
    /// `udta` atoms (`©mak`, `©mod`, `©swr`)
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
}

impl VideoInfo {
    /// Size as displayed (rotation applied).
    pub fn displayed(&self) -> (u32, u32) {
        if self.rotation.rem_euclid(180) == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// ffmpeg/ffprobe missing is a deployment problem, not a verdict on the video: the raw
/// file is kept (not a rejection) for a reprocess once the tools are there.
fn tool_missing(tool: &'static str, e: &std::io::Error) -> MediaError {
    tracing::error!(tool, %e, "video tool unavailable");
    MediaError::CodecUnavailable {
        codec: tool,
        reason: format!("{e} (install ffmpeg; on AWS, the FfmpegLayerArn layer)"),
    }
}

/// Runs a command with a time limit, collecting at most `max_out` bytes of stdout.
/// Past `timeout` the child is killed and the result is [`MediaError::TimedOut`].
pub(crate) fn run(
    cmd: Command,
    tool: &'static str,
    max_out: usize,
    timeout: Duration,
) -> Result<(bool, Vec<u8>, String), MediaError> {
    start(cmd, tool, max_out)?.wait(timeout)
}

/// A tool started by [`start`]: its pipes are drained on their own threads (so it never
/// blocks on a full pipe) until [`Running::wait`] or [`Running::kill`].
pub(crate) struct Running {
    child: std::process::Child,
    tool: &'static str,
    max_out: usize,
    started: Instant,
    out_reader: std::thread::JoinHandle<std::io::Result<Vec<u8>>>,
    err_reader: std::thread::JoinHandle<String>,
}

/// Starts a command, collecting at most `max_out` bytes of its stdout.
pub(crate) fn start(
    mut cmd: Command,
    tool: &'static str,
    max_out: usize,
) -> Result<Running, MediaError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                tool_missing(tool, &e)
            }
            // out of processes or memory: the machine's trouble, worth a retry
            _ => MediaError::Io(format!("starting {tool}: {e}")),
        })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (Some(mut stdout), Some(mut stderr)) = (stdout, stderr) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(MediaError::Io(format!("{tool}: no output pipes")));
    };
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = (&mut stdout).take(max_out as u64 + 1).read_to_end(&mut buf);
        // drain the rest so the child never blocks on a full pipe
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        r.map(|_| buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        String::from_utf8_lossy(&buf).into_owned()
    });
    Ok(Running {
        child,
        tool,
        max_out,
        started: Instant::now(),
        out_reader,
        err_reader,
    })
}

impl Running {
    /// Waits until the tool ends, at most `timeout` from its start (then it is killed and
    /// the result is [`MediaError::TimedOut`]): whether it succeeded, its stdout, its stderr.
    pub(crate) fn wait(mut self, timeout: Duration) -> Result<(bool, Vec<u8>, String), MediaError> {
        let tool = self.tool;
        let timeout = env_timeout().unwrap_or(timeout);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if self.started.elapsed() > timeout => {
                    self.kill();
                    tracing::warn!(tool, ?timeout, "killed after its deadline");
                    return Err(MediaError::TimedOut(format!(
                        "{tool} did not finish within {} s",
                        timeout.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(MediaError::Io(format!("{tool}: {e}"))),
            }
        };
        let out = self
            .out_reader
            .join()
            .map_err(|_| MediaError::Internal(format!("{tool}: reader panicked")))?
            .map_err(|e| MediaError::Io(format!("{tool}: {e}")))?;
        let err = self.err_reader.join().unwrap_or_default();
        if out.len() > self.max_out {
            return Err(MediaError::TooLarge(format!(
                "{tool} output over {} bytes",
                self.max_out
            )));
        }
        Ok((status.success(), out, err))
    }

    /// Ends the tool now (its output is not wanted).
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bytes in a temporary file (ffmpeg needs to seek in MP4/MOV).
pub(crate) fn temp_file(
    data: &[u8],
    format: Format,
) -> Result<tempfile::NamedTempFile, MediaError> {
    let io = |e: std::io::Error| MediaError::Io(format!("temporary file: {e}"));
    let mut f = tempfile::Builder::new()
        .prefix("media-")
        .suffix(&format!(".{}", format.ext()))
        .tempfile()
        .map_err(io)?;
    f.write_all(data).map_err(io)?;
    f.flush().map_err(io)?;
    Ok(f)
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// "30000/1001" → 29.97
fn rate(v: &Value) -> Option<f64> {
    let s = v.as_str()?;
    let (n, d) = s.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d > 0.0 && n > 0.0).then(|| (n / d * 1000.0).round() / 1000.0)
}

/// ISO 6709 "+48.8582+002.2945+035.000/" → Gps.
pub fn iso6709(s: &str) -> Option<Gps> {
    let s = s.trim().trim_end_matches('/');
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices().skip(1) {
        if c == '+' || c == '-' {
            parts.push(&s[start..i]);
            start = i;
        }
    }
    parts.push(&s[start..]);
    let lat: f64 = parts.first()?.parse().ok()?;
    let lon: f64 = parts.get(1)?.parse().ok()?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    let altitude = parts.get(2).and_then(|a| a.parse().ok());
    Some(Gps {
        latitude: lat,
        longitude: lon,
        altitude,
    })
}

/// "2024-05-01T10:34:56.000000Z" → "2024-05-01T10:34:56Z" (zero fractions dropped).
fn normalise_time(s: &str) -> String {
    match s.split_once('.') {
        Some((head, frac)) if frac.trim_end_matches('Z').bytes().all(|b| b == b'0') => {
            format!("{head}{}", if frac.ends_with('Z') { "Z" } else { "" })
        }
        _ => s.to_string(),
    }
}

/// Parses ffprobe's JSON.
pub fn parse_ffprobe(json: &Value) -> Result<VideoInfo, MediaError> {
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video" && s["disposition"]["attached_pic"] != 1)
        .ok_or_else(|| MediaError::Corrupt("no video stream".into()))?;
    let audio = streams.iter().find(|s| s["codec_type"] == "audio");
    let mut rotation = video["side_data_list"]
        .as_array()
        .and_then(|l| l.iter().find_map(|d| num(&d["rotation"])))
        .or_else(|| num(&video["tags"]["rotate"]))
        .unwrap_or(0.0)
        .round() as i32;
    rotation = rotation.rem_euclid(360);
    let format = &json["format"];
    let creation = format["tags"]["creation_time"]
        .as_str()
        .or_else(|| video["tags"]["creation_time"].as_str())
        .map(normalise_time);
    let location = format["tags"]["com.apple.quicktime.location.ISO6709"]
        .as_str()
        .or_else(|| format["tags"]["location"].as_str());
    // the QuickTime metadata keys (mdta) first, then the udta atoms as ffmpeg names them
    let tag = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| format["tags"][*k].as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let dim = |k: &str| {
        video[k]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    Ok(VideoInfo {
        width: dim("width"),
        height: dim("height"),
        rotation,
        duration: num(&format["duration"]).or_else(|| num(&video["duration"])),
        codec: video["codec_name"].as_str().map(str::to_string),
        frame_rate: rate(&video["avg_frame_rate"]).or_else(|| rate(&video["r_frame_rate"])),
        audio_codec: audio
            .and_then(|a| a["codec_name"].as_str())
            .map(str::to_string),
        creation_time: creation,
        gps: location.and_then(iso6709),
        frames: num(&video["nb_frames"]).map(|f| f as u64),
        pix_fmt: video["pix_fmt"].as_str().map(str::to_string),
        sar: video["sample_aspect_ratio"].as_str().and_then(ratio),
        video_bit_rate: num(&video["bit_rate"]).map(|b| b as u64),
        audio_profile: audio
            .and_then(|a| a["profile"].as_str())
            .map(str::to_string),
        audio_channels: audio
            .and_then(|a| a["channels"].as_u64())
            .and_then(|c| u32::try_from(c).ok()),
        make: tag(&["com.apple.quicktime.make", "make"]),
        model: tag(&["com.apple.quicktime.model", "model"]),
        software: tag(&["com.apple.quicktime.software", "software", "encoder"])
            .filter(|s| !s.starts_with("Lavf")),
    })
}

/// "4:3" → (4, 3); "0:1" (unknown) and "1:1" are `None`: square pixels.
fn ratio(s: &str) -> Option<(u32, u32)> {
    let (n, d) = s.split_once(':')?;
    let (n, d): (u32, u32) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
    (n > 0 && d > 0 && n != d).then_some((n, d))
}

pub(crate) fn ffprobe(path: &Path) -> Result<VideoInfo, MediaError> {
    let mut cmd = Command::new("ffprobe");
    cmd.args([
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
    ])
    .arg(path);
    let (ok, out, err) = run(cmd, "ffprobe", 4 << 20, TIMEOUT)?;
    if !ok {
        return Err(MediaError::Corrupt(format!("ffprobe: {}", err.trim())));
    }
    let json: Value = serde_json::from_slice(&out)
        .map_err(|e| MediaError::Corrupt(format!("ffprobe output: {e}")))?;
    parse_ffprobe(&json)
}

/// The limits every video task applies after probing: dimensions, and the duration limit
/// (a longer video is `MediaTooLong`, whichever task sees it first).
pub(crate) fn checked(info: &VideoInfo, limits: &Limits) -> Result<(), MediaError> {
    limits::check_dims(info.width, info.height, limits)?;
    if let Some(d) = info.duration {
        if d > f64::from(limits.max_video_secs) {
            return Err(MediaError::TooLong(format!(
                "{d:.1} s is longer than the {} s limit",
                limits.max_video_secs
            )));
        }
    }
    Ok(())
}

/// Probes the video at `path` and checks it against the limits.
pub fn probe(path: &Path, limits: &Limits) -> Result<VideoInfo, MediaError> {
    let info = ffprobe(path)?;
    checked(&info, limits)?;
    Ok(info)
}

/// Metadata of a video held in memory (written to a temporary file for ffprobe).
pub fn metadata(format: Format, data: &[u8], limits: &Limits) -> Result<Metadata, MediaError> {
    let f = temp_file(data, format)?;
    metadata_of_file(format, f.path(), limits)
}

/// Metadata of the `format` video at `path`.
pub fn metadata_of_file(
    format: Format,
    path: &Path,
    limits: &Limits,
) -> Result<Metadata, MediaError> {
    let info = probe(path, limits)?;
    let (width, height) = info.displayed();
    let mut extra = Map::new();
    extra.insert("mimeType".into(), Value::String(format.mime().into()));
    extra.insert("rotation".into(), Value::from(info.rotation));
    if let Some(r) = info.frame_rate {
        extra.insert("frameRate".into(), Value::from(r));
    }
    if let Some(a) = &info.audio_codec {
        extra.insert("audioCodec".into(), Value::String(a.clone()));
    }
    if let Some(n) = info.frames {
        extra.insert("frames".into(), Value::from(n));
    }
    if let Some(sw) = &info.software {
        extra.insert("software".into(), Value::String(sw.clone()));
    }
    let camera = match (&info.make, &info.model) {
        (Some(make), Some(model)) if model.starts_with(make.as_str()) => Some(model.clone()),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (one, other) => one.clone().or_else(|| other.clone()),
    };
    Ok(Metadata {
        width,
        height,
        orientation: None,
        taken_at: info.creation_time.clone(),
        camera,
        gps: info.gps,
        duration: info.duration.map(|d| (d * 1000.0).round() / 1000.0),
        codec: info.codec.clone(),
        extra,
    })
}

/// Parses a binary PPM (P6, maxval 255) as ffmpeg writes it.
fn parse_ppm(buf: &[u8]) -> Result<Rgb, MediaError> {
    let bad = || MediaError::Corrupt("no decodable video frame".into());
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while buf.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while buf.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
            i += 1;
        }
        if start == i {
            return Err(bad());
        }
        fields.push(std::str::from_utf8(&buf[start..i]).map_err(|_| bad())?);
    }
    i += 1; // the single whitespace after maxval
    if fields[0] != "P6" || fields[3] != "255" {
        return Err(bad());
    }
    let w: u32 = fields[1].parse().map_err(|_| bad())?;
    let h: u32 = fields[2].parse().map_err(|_| bad())?;
    let need = (w as usize) * (h as usize) * 3;
    let px = buf.get(i..i + need).ok_or_else(bad)?;
    Rgb::new(w, h, px.to_vec())
}

/// The first decodable frame of a video held in memory: [`poster_frame_of_file`] on a
/// temporary copy.
pub fn poster_frame(
    format: Format,
    data: &[u8],
    sizes: &[u32],
    limits: &Limits,
) -> Result<Rgb, MediaError> {
    let f = temp_file(data, format)?;
    poster_frame_of_file(f.path(), sizes, limits)
}

/// The first decodable frame of the video at `path`, in display orientation, no larger than
/// twice the largest box (ffmpeg scales it down with a good filter).
///
/// There is no probe ahead of the decode: the decoder itself refuses frames over the pixel
/// limit (`-max_pixels`), one frame is all it decodes, and the duration limit is the
/// metadata's and the rendition's to apply (they probe anyway; a video too long fails
/// there, and Cleanup removes this task's thumbnails with the rest). Only a failed decode
/// is probed, to name its error as they would.
pub fn poster_frame_of_file(
    path: &Path,
    sizes: &[u32],
    limits: &Limits,
) -> Result<Rgb, MediaError> {
    let bound = sizes
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1)
        .saturating_mul(2);
    let scale = format!(
        "scale=w='min(iw,{bound})':h='min(ih,{bound})':force_original_aspect_ratio=decrease:flags=lanczos"
    );
    let max_pixels = limits.max_pixels.min(i32::MAX as u64).to_string();
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-threads", "1"])
        .args(["-max_pixels", &max_pixels, "-i"])
        .arg(path)
        .args([
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-vf",
            &scale,
            "-f",
            "image2pipe",
            "-c:v",
            "ppm",
            "-",
        ]);
    let max_out = (u64::from(bound) * u64::from(bound) * 3 + 64).min(limits.max_alloc) as usize;
    let (ok, out, err) = run(cmd, "ffmpeg", max_out, TIMEOUT)?;
    if !ok || out.is_empty() {
        // name the failure as the probing tasks would (a frame over the pixel limit is
        // MediaTooLarge there too), so the reel's error does not depend on which branch
        // of the state machine failed first; only what passes the limits is corrupt
        probe(path, limits)?;
        return Err(MediaError::Corrupt(format!(
            "no decodable video frame: {}",
            err.trim()
        )));
    }
    parse_ppm(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location() {
        let g = iso6709("+48.8582+002.2945+035.000/").unwrap();
        assert_eq!(
            (g.latitude, g.longitude, g.altitude),
            (48.8582, 2.2945, Some(35.0))
        );
        let g = iso6709("-33.8688+151.2093/").unwrap();
        assert_eq!(
            (g.latitude, g.longitude, g.altitude),
            (-33.8688, 151.2093, None)
        );
        assert!(iso6709("junk").is_none());
    }

    #[test]
    fn times() {
        assert_eq!(
            normalise_time("2024-05-01T10:34:56.000000Z"),
            "2024-05-01T10:34:56Z"
        );
        assert_eq!(
            normalise_time("2024-05-01T10:34:56.250000Z"),
            "2024-05-01T10:34:56.250000Z"
        );
        assert_eq!(
            normalise_time("2024-05-01T10:34:56Z"),
            "2024-05-01T10:34:56Z"
        );
    }

    #[test]
    fn quicktime_keys_and_udta_atoms_name_the_device() {
        let probe = |tags: Value| {
            serde_json::json!({
                "streams": [{"codec_type": "video", "width": 4, "height": 2}],
                "format": {"tags": tags}
            })
        };
        let keys = parse_ffprobe(&probe(serde_json::json!({
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 15 Pro",
            "com.apple.quicktime.software": "17.4.1",
            "make": "ignored",
        })))
        .unwrap();
        assert_eq!(keys.make.as_deref(), Some("Apple"));
        assert_eq!(keys.model.as_deref(), Some("iPhone 15 Pro"));
        assert_eq!(keys.software.as_deref(), Some("17.4.1"));
        let udta = parse_ffprobe(&probe(serde_json::json!({
            "make": "Canon",
            "model": "EOS R6",
            "encoder": "Lavf59.27.100",
        })))
        .unwrap();
        assert_eq!(
            (udta.make.as_deref(), udta.model.as_deref()),
            (Some("Canon"), Some("EOS R6"))
        );
        assert_eq!(
            udta.software, None,
            "ffmpeg's own muxer tag is not a device"
        );
    }

    #[test]
    fn rates() {
        assert_eq!(rate(&Value::from("30000/1001")), Some(29.97));
        assert_eq!(rate(&Value::from("0/0")), None);
    }

    #[test]
    fn ppm() {
        let mut b = b"P6\n2 1\n255\n".to_vec();
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let img = parse_ppm(&b).unwrap();
        assert_eq!((img.width, img.height, img.data.len()), (2, 1, 6));
        assert!(parse_ppm(b"P6\n2 1\n255\n\x01").is_err());
        assert!(parse_ppm(b"").is_err());
    }
}
