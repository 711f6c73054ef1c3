//! SIMD Lanczos3 resizing (fast_image_resize) and the fit-inside-a-box arithmetic.

use crate::pixels::Rgb;
use crate::MediaError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// The size of a `width`×`height` picture fit inside `size`×`size`: aspect kept, never
/// enlarged; `round(w·s) × round(h·s)` with `s = min(1, size / max(w, h))`.
pub fn fit(width: u32, height: u32, size: u32) -> (u32, u32) {
    let longest = width.max(height);
    if size >= longest || longest == 0 {
        return (width.max(1), height.max(1));
    }
    let s = f64::from(size) / f64::from(longest);
    let w = (f64::from(width) * s).round().max(1.0) as u32;
    let h = (f64::from(height) * s).round().max(1.0) as u32;
    (w, h)
}

/// Resizes with Lanczos3 (a copy when the size is unchanged).
pub fn resize(src: &Rgb, width: u32, height: u32) -> Result<Rgb, MediaError> {
    if (width, height) == (src.width, src.height) {
        return Ok(src.clone());
    }
    let view = ImageRef::new(src.width, src.height, &src.data, PixelType::U8x3)
        .map_err(|e| MediaError::Corrupt(format!("resize source: {e}")))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&view, &mut dst, &opts)
        .map_err(|e| MediaError::Corrupt(format!("resize: {e}")))?;
    Rgb::new(width, height, dst.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_box() {
        assert_eq!(fit(4000, 3000, 1080), (1080, 810));
        assert_eq!(fit(3000, 4000, 480), (360, 480));
        assert_eq!(fit(100, 50, 1080), (100, 50));
        assert_eq!(fit(10000, 10, 160), (160, 1));
        assert_eq!(fit(1920, 1080, 160), (160, 90));
    }

    #[test]
    fn resizes() {
        let src = Rgb {
            width: 4,
            height: 2,
            data: vec![128; 24],
        };
        let out = resize(&src, 2, 1).unwrap();
        assert_eq!((out.width, out.height), (2, 1));
        assert!(out.data.iter().all(|v| *v == 128));
    }
}
