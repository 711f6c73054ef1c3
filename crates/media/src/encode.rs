//! JPEG encoding of thumbnails with libjpeg-turbo: quality 80, 4:2:0.

use crate::pixels::Rgb;
use crate::MediaError;

/// JPEG quality of every thumbnail.
pub const QUALITY: i32 = 80;

/// Encodes `img` as a baseline JPEG, quality 80, 4:2:0 chroma subsampling.
pub fn jpeg(img: &Rgb) -> Result<Vec<u8>, MediaError> {
    let image = turbojpeg::Image {
        pixels: img.data.as_slice(),
        width: img.width as usize,
        pitch: img.width as usize * 3,
        height: img.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let enc = |image| -> Result<Vec<u8>, turbojpeg::Error> {
        let mut c = turbojpeg::Compressor::new()?;
        c.set_quality(QUALITY)?;
        c.set_subsamp(turbojpeg::Subsamp::Sub2x2)?;
        c.compress_to_vec(image)
    };
    enc(image).map_err(|e| MediaError::Corrupt(format!("JPEG encode: {e}")))
}
