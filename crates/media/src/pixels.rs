//! The one in-memory pixel format of the pipeline: 8-bit RGB, tightly packed, and the
//! conversions into it (alpha flattened onto white, grey expanded, 16-bit narrowed).

use crate::MediaError;

/// 8-bit RGB pixels, row-major, no padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Rgb {
    /// Wraps a buffer, checking its length.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Rgb, MediaError> {
        let need = width as usize * height as usize * 3;
        if data.len() != need || width == 0 || height == 0 {
            return Err(MediaError::Corrupt(format!(
                "pixel buffer of {} bytes for {width}x{height}",
                data.len()
            )));
        }
        Ok(Rgb {
            width,
            height,
            data,
        })
    }
}

/// Blends one channel value with alpha onto white.
#[inline]
pub fn over_white(c: u8, a: u8) -> u8 {
    let c = u32::from(c);
    let a = u32::from(a);
    ((c * a + 255 * (255 - a) + 127) / 255) as u8
}

/// RGBA → RGB, alpha flattened onto white, in place (the buffer shrinks).
pub fn flatten_rgba(width: u32, height: u32, mut data: Vec<u8>) -> Result<Rgb, MediaError> {
    let n = width as usize * height as usize;
    if data.len() < n * 4 {
        return Err(MediaError::Corrupt("short RGBA buffer".into()));
    }
    for i in 0..n {
        let a = data[i * 4 + 3];
        let (r, g, b) = (data[i * 4], data[i * 4 + 1], data[i * 4 + 2]);
        data[i * 3] = over_white(r, a);
        data[i * 3 + 1] = over_white(g, a);
        data[i * 3 + 2] = over_white(b, a);
    }
    data.truncate(n * 3);
    data.shrink_to_fit();
    Rgb::new(width, height, data)
}

/// Converts an `image` crate picture to [`Rgb`], flattening alpha on white.
pub fn from_dynamic(img: image::DynamicImage) -> Result<Rgb, MediaError> {
    let (w, h) = (img.width(), img.height());
    if img.color().has_alpha() {
        flatten_rgba(w, h, img.into_rgba8().into_raw())
    } else {
        Rgb::new(w, h, img.into_rgb8().into_raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten() {
        let rgba = vec![0, 0, 0, 0, 0, 0, 0, 255, 200, 100, 0, 128];
        let rgb = flatten_rgba(3, 1, rgba).unwrap();
        assert_eq!(rgb.data, vec![255, 255, 255, 0, 0, 0, 227, 177, 127]);
    }
}
