//! Videos (MP4, MOV, WebM) through ffprobe and ffmpeg subprocesses: metadata, and a
//! poster frame decoded by a real decoder.

use crate::pixels::Rgb;
use crate::sniff::Format;
use crate::{Limits, MediaError, Metadata};

/// The first decodable frame, in display orientation.
pub fn poster_frame(
    _format: Format,
    _data: &[u8],
    _sizes: &[u32],
    _limits: &Limits,
) -> Result<Rgb, MediaError> {
    Err(MediaError::Unsupported(
        "video thumbnails not implemented yet".into(),
    ))
}

/// Video metadata.
pub fn metadata(_format: Format, _data: &[u8], _limits: &Limits) -> Result<Metadata, MediaError> {
    Err(MediaError::Unsupported(
        "video metadata not implemented yet".into(),
    ))
}
