//! Bounded decoders: each gets the header already checked against the limits and a
//! minimum useful size (for shrink-on-load), and returns 8-bit RGB with alpha flattened.

pub mod heif;
pub mod heif_ffi;
pub mod jpeg;
pub mod other;
pub mod png;
pub mod webp;

use crate::header::Header;
use crate::pixels::Rgb;
use crate::sniff::Format;
use crate::{Limits, MediaError};

/// Decodes a still image at no less than `min_w`×`min_h` (stored orientation) where the
/// codec can scale while decoding, else at full size.
pub fn decode(
    format: Format,
    data: &[u8],
    header: &Header<'_>,
    min_w: u32,
    min_h: u32,
    limits: &Limits,
) -> Result<Rgb, MediaError> {
    match format {
        Format::Jpeg => jpeg::decode(data, header, min_w, min_h, limits),
        Format::Webp => webp::decode(data, header, min_w, min_h, limits),
        Format::Png => png::decode(data, header, min_w, min_h, limits),
        Format::Gif => other::decode(format, data, limits),
        other => Err(MediaError::Unsupported(format!(
            "no decoder for {}",
            other.mime()
        ))),
    }
}
