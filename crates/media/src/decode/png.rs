//! PNG with the `png` crate, streamed row by row: each row is converted to RGB (alpha
//! flattened on white, grey expanded, 16-bit narrowed) and, when the picture is much
//! larger than needed, box-averaged by an integer factor on the fly, so neither the RGBA
//! picture nor the full-size RGB one is ever held. Interlaced PNGs use the `image` crate.

use crate::header::Header;
use crate::pixels::{over_white, Rgb};
use crate::sniff::Format;
use crate::{Limits, MediaError};
use std::io::Cursor;

fn map_err(e: png::DecodingError) -> MediaError {
    match e {
        png::DecodingError::LimitsExceeded => {
            MediaError::TooLarge("PNG: decoder memory limit".into())
        }
        other => MediaError::Corrupt(format!("PNG: {other}")),
    }
}

/// Largest integer box factor keeping at least `min_w`×`min_h`.
pub fn box_factor(w: u32, h: u32, min_w: u32, min_h: u32) -> u32 {
    (w / min_w.max(1)).min(h / min_h.max(1)).clamp(1, 16)
}

/// One source row → RGB.
fn to_rgb(src: &[u8], channels: usize, dst: &mut [u8]) {
    match channels {
        1 => {
            for (d, s) in dst.chunks_exact_mut(3).zip(src) {
                d.fill(*s);
            }
        }
        2 => {
            for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(2)) {
                d.fill(over_white(s[0], s[1]));
            }
        }
        3 => dst.copy_from_slice(&src[..dst.len()]),
        _ => {
            for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                d[0] = over_white(s[0], s[3]);
                d[1] = over_white(s[1], s[3]);
                d[2] = over_white(s[2], s[3]);
            }
        }
    }
}

/// Decodes at no less than `min_w`×`min_h` (integer box shrink while streaming).
pub fn decode(
    data: &[u8],
    header: &Header<'_>,
    min_w: u32,
    min_h: u32,
    limits: &Limits,
) -> Result<Rgb, MediaError> {
    let mut dec = png::Decoder::new_with_limits(
        Cursor::new(data),
        png::Limits {
            bytes: usize::try_from(limits.max_alloc).unwrap_or(usize::MAX),
        },
    );
    dec.set_transformations(png::Transformations::normalize_to_color8());
    // metadata chunks can be zlib bombs of their own; pixels are all we need here
    dec.set_ignore_text_chunk(true);
    dec.set_ignore_iccp_chunk(true);
    let mut reader = dec.read_info().map_err(map_err)?;
    let info = reader.info();
    let (w, h) = (info.width, info.height);
    if (w, h) != (header.width, header.height) {
        return Err(MediaError::Corrupt("PNG: IHDR disagrees".into()));
    }
    if info.interlaced {
        return crate::decode::other::decode(Format::Png, data, limits);
    }
    let channels = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(MediaError::Corrupt("PNG: palette not expanded".into()))
        }
    };
    let k = box_factor(w, h, min_w, min_h) as usize;
    let (w, h) = (w as usize, h as usize);
    let (ow, oh) = (w.div_ceil(k), h.div_ceil(k));
    let mut out = vec![0u8; ow * oh * 3];
    let mut row = vec![0u8; w * 3];
    let mut acc = vec![0u32; if k > 1 { ow * 3 } else { 0 }];
    let mut y = 0usize;
    while let Some(r) = reader.next_row().map_err(map_err)? {
        if y >= h {
            break;
        }
        let src = r.data();
        if src.len() < w * channels {
            return Err(MediaError::Corrupt("PNG: short row".into()));
        }
        if k == 1 {
            to_rgb(src, channels, &mut out[y * w * 3..(y + 1) * w * 3]);
        } else {
            to_rgb(src, channels, &mut row);
            for (x, px) in row.chunks_exact(3).enumerate() {
                let o = (x / k) * 3;
                acc[o] += u32::from(px[0]);
                acc[o + 1] += u32::from(px[1]);
                acc[o + 2] += u32::from(px[2]);
            }
            let rows_in_block = if (y + 1).is_multiple_of(k) {
                k
            } else if y + 1 == h {
                h % k
            } else {
                0
            };
            if rows_in_block > 0 {
                let oy = y / k;
                for ox in 0..ow {
                    let cols = if ox + 1 == ow && w % k != 0 { w % k } else { k };
                    let n = (cols * rows_in_block) as u32;
                    for c in 0..3 {
                        out[(oy * ow + ox) * 3 + c] = ((acc[ox * 3 + c] + n / 2) / n) as u8;
                    }
                }
                acc.fill(0);
            }
        }
        y += 1;
    }
    if y < h {
        return Err(MediaError::Corrupt(format!(
            "PNG: image data ends at row {y} of {h}"
        )));
    }
    Rgb::new(ow as u32, oh as u32, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors() {
        assert_eq!(box_factor(4000, 3000, 1080, 810), 3);
        assert_eq!(box_factor(4000, 3000, 2160, 1620), 1);
        assert_eq!(box_factor(100, 100, 1000, 1000), 1);
    }
}
