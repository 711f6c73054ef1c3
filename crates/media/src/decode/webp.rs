//! WebP with libwebp: scaled decoding (libwebp's area-averaging rescaler runs while
//! decoding, so the full-size picture never exists in memory), alpha flattened on white.
//! Animated WebP (first frame) goes through the `image` crate's decoder instead.

#![allow(unsafe_code)]

use crate::header::Header;
use crate::pixels::{self, Rgb};
use crate::sniff::Format;
use crate::{Limits, MediaError};
use libwebp_sys as sys;

fn corrupt(what: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(format!("WebP: {what}"))
}

/// Output size for decoding a `w`×`h` picture at no less than `min_w`×`min_h`.
pub fn scaled_size(w: u32, h: u32, min_w: u32, min_h: u32) -> (u32, u32) {
    let s = (f64::from(min_w) / f64::from(w)).max(f64::from(min_h) / f64::from(h));
    if s >= 1.0 {
        return (w, h);
    }
    let sw = (f64::from(w) * s).ceil() as u32;
    let sh = (f64::from(h) * s).ceil() as u32;
    (sw.clamp(1, w), sh.clamp(1, h))
}

/// Decodes at no less than `min_w`×`min_h`.
pub fn decode(
    data: &[u8],
    header: &Header<'_>,
    min_w: u32,
    min_h: u32,
    limits: &Limits,
) -> Result<Rgb, MediaError> {
    let mut config: sys::WebPDecoderConfig = unsafe {
        // SAFETY: WebPDecoderConfig is plain C data; WebPInitDecoderConfig initialises it.
        std::mem::zeroed()
    };
    // SAFETY: config is a valid, exclusively borrowed struct.
    if !unsafe { sys::WebPInitDecoderConfig(&mut config) } {
        return Err(corrupt("libwebp version mismatch"));
    }
    // SAFETY: data is a valid slice for the call.
    let status = unsafe { sys::WebPGetFeatures(data.as_ptr(), data.len(), &mut config.input) };
    if status != sys::VP8StatusCode::VP8_STATUS_OK {
        return Err(corrupt(format!("{status:?}")));
    }
    let (w, h) = (config.input.width, config.input.height);
    if w <= 0 || h <= 0 || w as u32 != header.width || h as u32 != header.height {
        return Err(corrupt("bitstream size disagrees with container"));
    }
    if config.input.has_animation != 0 {
        return crate::decode::other::decode(Format::Webp, data, limits);
    }
    let alpha = config.input.has_alpha != 0;
    let (sw, sh) = scaled_size(w as u32, h as u32, min_w, min_h);
    let bpp: usize = if alpha { 4 } else { 3 };
    let stride = sw as usize * bpp;
    let mut buf = vec![0u8; stride * sh as usize];
    config.options.use_threads = 0;
    if (sw, sh) != (w as u32, h as u32) {
        config.options.use_scaling = 1;
        config.options.scaled_width = sw as i32;
        config.options.scaled_height = sh as i32;
    }
    config.output.colorspace = if alpha {
        sys::WEBP_CSP_MODE::MODE_RGBA
    } else {
        sys::WEBP_CSP_MODE::MODE_RGB
    };
    config.output.is_external_memory = 1;
    config.output.u.RGBA = sys::WebPRGBABuffer {
        rgba: buf.as_mut_ptr(),
        stride: stride as i32,
        size: buf.len(),
    };
    // SAFETY: the output buffer is ours, sized stride*height, and outlives the call.
    let status = unsafe { sys::WebPDecode(data.as_ptr(), data.len(), &mut config) };
    // SAFETY: frees only libwebp's private memory (external memory is ours).
    unsafe { sys::WebPFreeDecBuffer(&mut config.output) };
    if status != sys::VP8StatusCode::VP8_STATUS_OK {
        return Err(corrupt(format!("{status:?}")));
    }
    if alpha {
        pixels::flatten_rgba(sw, sh, buf)
    } else {
        Rgb::new(sw, sh, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled() {
        assert_eq!(scaled_size(4000, 3000, 2160, 1620), (2160, 1620));
        assert_eq!(scaled_size(400, 300, 2160, 1620), (400, 300));
        assert_eq!(scaled_size(4000, 3000, 1080, 810), (1080, 810));
    }
}
