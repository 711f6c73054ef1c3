//! PNG, GIF (first frame) and WebP through the `image` crate's decoders, with its
//! allocation and dimension limits set from ours.

use crate::pixels::{self, Rgb};
use crate::sniff::Format;
use crate::{Limits, MediaError};
use std::io::Cursor;

/// Maps an `image` error onto ours.
pub fn map_err(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(l) => MediaError::TooLarge(l.to_string()),
        image::ImageError::Unsupported(u) => MediaError::Unsupported(u.to_string()),
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// `image` crate limits mirroring ours.
pub fn image_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    l
}

/// Decodes the first frame, alpha flattened on white.
pub fn decode(format: Format, data: &[u8], limits: &Limits) -> Result<Rgb, MediaError> {
    let fmt = match format {
        Format::Png => image::ImageFormat::Png,
        Format::Gif => image::ImageFormat::Gif,
        Format::Webp => image::ImageFormat::WebP,
        Format::Jpeg => image::ImageFormat::Jpeg,
        other => return Err(MediaError::Unsupported(other.mime().into())),
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(data), fmt);
    reader.limits(image_limits(limits));
    let img = reader.decode().map_err(map_err)?;
    pixels::from_dynamic(img)
}
