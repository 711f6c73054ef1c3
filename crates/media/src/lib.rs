//! Pure media code: what a file really is (magic bytes), bounded decoding, thumbnails and
//! metadata. No I/O beyond what a caller hands in; no AWS, HTTP or database types.
//!
//! PUBLIC CONTRACT (used by `pipeline`; keep these names and shapes stable):
//! - [`sniff`]: the real type from the first bytes (at least [`SNIFF_LEN`] when available).
//! - [`thumbnails`]: JPEG thumbnails that fit inside SIZE×SIZE, EXIF orientation applied,
//!   aspect kept, never upscaled, alpha flattened on white.
//! - [`metadata`]: width/height (as displayed, orientation applied), EXIF fields, video fields.
//! - [`video_thumbnails`], [`video_metadata`]: the same for a video kept in a file.
//! - [`MediaError`]: each variant maps to one docs/design.md error name via [`MediaError::name`].

use serde::{Deserialize, Serialize};

use crate::sniff::Format;

pub mod batch;
pub mod color;
pub mod decode;
pub mod encode;
pub mod exif;
pub mod header;
pub mod limits;
pub mod metadata;
pub mod orientation;
pub mod pixels;
pub mod polyglot;
pub mod probe;
pub mod rendition;
pub mod resize;
pub mod sample_entry;
pub mod sniff;
pub mod thumbnails;
pub mod video;

/// How many leading bytes [`sniff`] wants to see.
pub const SNIFF_LEN: usize = 8192;

/// Photo or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
}

/// The type a file really is, from its magic bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sniffed {
    /// e.g. `image/jpeg`
    pub mime: String,
    /// canonical extension without dot, e.g. `jpg`
    pub ext: String,
    pub kind: MediaKind,
}

/// Limits enforced before any pixel buffer is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_pixels: u64,
    pub max_side: u32,
    /// memory budget handed to decoders, in bytes
    pub max_alloc: u64,
    /// longest accepted video, whole seconds (longer is [`MediaError::TooLong`])
    #[serde(default = "default_max_video_secs")]
    pub max_video_secs: u32,
}

/// docs/design.md: a reel is a short video, at most 3 minutes by default.
pub const DEFAULT_MAX_VIDEO_SECS: u32 = 180;

fn default_max_video_secs() -> u32 {
    DEFAULT_MAX_VIDEO_SECS
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 100_000_000,
            max_side: 16_384,
            max_alloc: 512 * 1024 * 1024,
            max_video_secs: DEFAULT_MAX_VIDEO_SECS,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MediaError {
    /// Not a type we accept (including things that are not media at all).
    #[error("unsupported media type: {0}")]
    Unsupported(String),
    /// Claims to be a supported type but cannot be decoded.
    #[error("corrupt media: {0}")]
    Corrupt(String),
    /// Bigger than the limits (dimensions, pixels, frames).
    #[error("media too large: {0}")]
    TooLarge(String),
    /// A video longer than the duration limit ([`Limits::max_video_secs`]).
    #[error("media too long: {0}")]
    TooLong(String),
    /// ffmpeg/ffprobe (or another codec run) did not finish within its deadline: not a
    /// verdict on the file (the machine may have been busy), so the raw file is kept.
    #[error("timed out: {0}")]
    TimedOut(String),
    /// A codec this build loads at run time is missing or unusable here (libheif for
    /// HEIC/HEIF/AVIF): a deployment problem, not a verdict on the file, which may be fine.
    #[error("{codec} is unavailable: {reason}")]
    CodecUnavailable { codec: &'static str, reason: String },
    /// The machine failed while working on the file (a temporary file, a pipe, a
    /// subprocess): not the file's fault, and worth retrying.
    #[error("I/O error while decoding: {0}")]
    Io(String),
    /// A bug in a decoder (it panicked): not the file's fault, not retried.
    #[error("internal error while decoding: {0}")]
    Internal(String),
}

impl MediaError {
    /// The docs/design.md error name: a rejection (`UnsupportedMediaType`, `CorruptMedia`,
    /// `MediaTooLarge`, `MediaTooLong`: the file's own fault), or one that is not about the
    /// file and keeps it for a reprocess (`CodecUnavailable`, `ProcessingTimeout`,
    /// `StorageUnavailable`, `InternalError`).
    pub fn name(&self) -> &'static str {
        match self {
            MediaError::Unsupported(_) => "UnsupportedMediaType",
            MediaError::Corrupt(_) => "CorruptMedia",
            MediaError::TooLarge(_) => "MediaTooLarge",
            MediaError::TooLong(_) => "MediaTooLong",
            MediaError::TimedOut(_) => "ProcessingTimeout",
            MediaError::CodecUnavailable { .. } => "CodecUnavailable",
            MediaError::Io(_) => "StorageUnavailable",
            MediaError::Internal(_) => "InternalError",
        }
    }
}

/// One encoded thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// the requested bounding box (1080, 480, 160 ...)
    pub size: u32,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// Metadata of a photo or a video. Absent fields are `None` and skipped in JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub width: u32,
    pub height: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u16>,
    /// EXIF DateTimeOriginal or container creation time, ISO-8601
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// "Make Model"
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gps: Option<Gps>,
    /// seconds (video)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// everything else (lens, exposure, frame rate, audio codec, ...)
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
}

/// The real type of a file from its first bytes.
pub fn sniff(head: &[u8]) -> Result<Sniffed, MediaError> {
    sniff::detect(head).map(sniff::Format::sniffed)
}

/// Thumbnails of `data` for each size in `sizes`, in the same order.
pub fn thumbnails(
    data: &[u8],
    sizes: &[u32],
    limits: &Limits,
) -> Result<Vec<Thumbnail>, MediaError> {
    thumbnails::thumbnails(data, sizes, limits)
}

/// Thumbnails of the `format` video at `path` (its first frame), for each size in `sizes`:
/// what [`thumbnails`] makes of the same bytes, without holding the video in memory.
pub fn video_thumbnails(
    format: Format,
    path: &std::path::Path,
    sizes: &[u32],
    limits: &Limits,
) -> Result<Vec<Thumbnail>, MediaError> {
    expect_video(format)?;
    polyglot::check_file(format, path)?;
    let frame = video::poster_frame_of_file(path, sizes, limits)?;
    thumbnails::from_displayed(frame, None, sizes)
}

/// Metadata of the `format` video at `path`: what [`metadata`] makes of the same bytes,
/// without holding the video in memory.
pub fn video_metadata(
    format: Format,
    path: &std::path::Path,
    limits: &Limits,
) -> Result<Metadata, MediaError> {
    expect_video(format)?;
    polyglot::check_file(format, path)?;
    video::metadata_of_file(format, path, limits)
}

fn expect_video(format: Format) -> Result<(), MediaError> {
    if format.kind() == MediaKind::Video {
        Ok(())
    } else {
        Err(MediaError::Unsupported(format!(
            "{} is not a video",
            format.mime()
        )))
    }
}

/// Metadata of `data`.
pub fn metadata(data: &[u8], limits: &Limits) -> Result<Metadata, MediaError> {
    let format = sniff::detect(data)?;
    polyglot::check(format, data)?;
    if format.kind() == MediaKind::Video {
        return video::metadata(format, data, limits);
    }
    let probed = probe::image(format, data, limits)?;
    Ok(metadata::from_probed(&probed))
}
