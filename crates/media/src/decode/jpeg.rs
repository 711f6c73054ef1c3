//! JPEG with libjpeg-turbo: DCT-scaled decoding (shrink-on-load to the smallest M/8
//! scale still at least the wanted size), a scan limit against progressive bombs, and
//! CMYK/YCCK converted to RGB.

use crate::header::Header;
use crate::pixels::Rgb;
use crate::{Limits, MediaError};
use turbojpeg::{Decompressor, Image, PixelFormat, ScalingFactor};

/// Progressive JPEGs with more scans than this are refused (libjpeg-turbo's own advice).
const SCAN_LIMIT: u32 = 500;

fn corrupt(e: impl std::fmt::Display) -> MediaError {
    let msg = format!("JPEG: {e}");
    if msg.contains("scans") {
        // libjpeg-turbo's scan limit: a progressive "bomb" costing unbounded time
        MediaError::TooLarge(msg)
    } else {
        MediaError::Corrupt(msg)
    }
}

/// DCT scales tried, largest first: the power-of-two ones have SIMD inverse DCTs.
const SCALES: [(usize, usize); 3] = [(1, 2), (1, 4), (1, 8)];

/// The smallest supported scale (≤ 1) whose output is at least `min_w`×`min_h`.
pub fn pick_scale(width: usize, height: usize, min_w: u32, min_h: u32) -> ScalingFactor {
    let mut best = ScalingFactor::ONE;
    for (num, den) in SCALES {
        let f = ScalingFactor::new(num, den);
        if f.scale(width) >= min_w as usize && f.scale(height) >= min_h as usize {
            best = f;
        } else {
            break;
        }
    }
    best
}

/// Decodes `data` to RGB at the smallest DCT scale that keeps at least `min_w`×`min_h`.
pub fn decode(
    data: &[u8],
    header: &Header<'_>,
    min_w: u32,
    min_h: u32,
    limits: &Limits,
) -> Result<Rgb, MediaError> {
    let mut d = Decompressor::new().map_err(corrupt)?;
    let h = d.read_header(data).map_err(corrupt)?;
    if h.width != header.width as usize || h.height != header.height as usize {
        return Err(corrupt("header dimensions disagree"));
    }
    if h.is_progressive {
        // libjpeg buffers every DCT coefficient of a progressive image (2 bytes a sample),
        // whatever the output scale
        // samples per pixel, in halves: grey 1, 4:2:0 1.5, 4:2:2 2, 4:4:4 3, CMYK 4
        let half_samples: u64 = match h.subsamp {
            turbojpeg::Subsamp::Gray => 2,
            turbojpeg::Subsamp::Sub2x2
            | turbojpeg::Subsamp::Sub1x4
            | turbojpeg::Subsamp::Sub4x1 => 3,
            turbojpeg::Subsamp::Sub2x1 | turbojpeg::Subsamp::Sub1x2 => 4,
            _ => 8,
        };
        let coef = (h.width as u64) * (h.height as u64) * half_samples;
        if coef > limits.max_alloc {
            return Err(MediaError::TooLarge(format!(
                "progressive JPEG needs {coef} bytes of coefficients"
            )));
        }
    }
    d.set_scan_limit(SCAN_LIMIT).map_err(corrupt)?;
    let scale = if h.is_lossless {
        ScalingFactor::ONE
    } else {
        pick_scale(h.width, h.height, min_w, min_h)
    };
    d.set_scaling_factor(scale).map_err(corrupt)?;
    let s = h.scaled(scale);
    let cmyk = matches!(
        h.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    );
    let format = if cmyk {
        PixelFormat::CMYK
    } else {
        PixelFormat::RGB
    };
    let bpp = format.size();
    let mut pixels = vec![0u8; s.width * s.height * bpp];
    d.decompress(
        data,
        Image {
            pixels: pixels.as_mut_slice(),
            width: s.width,
            pitch: s.width * bpp,
            height: s.height,
            format,
        },
    )
    .map_err(corrupt)?;
    if cmyk {
        pixels = cmyk_to_rgb(pixels);
    }
    Rgb::new(s.width as u32, s.height as u32, pixels)
}

/// Adobe-style (inverted) CMYK to RGB, naive but adequate for thumbnails.
fn cmyk_to_rgb(mut px: Vec<u8>) -> Vec<u8> {
    let n = px.len() / 4;
    for i in 0..n {
        let k = u32::from(px[i * 4 + 3]);
        for c in 0..3 {
            px[i * 3 + c] = ((u32::from(px[i * 4 + c]) * k + 127) / 255) as u8;
        }
    }
    px.truncate(n * 3);
    px
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        let f = pick_scale(8000, 6000, 2160, 1620);
        assert_eq!((f.num(), f.denom()), (1, 2));
        let f = pick_scale(1920, 1080, 2160, 1216);
        assert_eq!((f.num(), f.denom()), (1, 1));
        let f = pick_scale(4000, 3000, 1000, 750);
        assert_eq!((f.num(), f.denom()), (1, 4));
    }
}
