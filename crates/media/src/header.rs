//! Header readers: dimensions, frame count, EXIF and ICC blobs, read from the container
//! structure alone (no pixel decoding), so limits can be checked before any allocation
//! proportional to the image.

use crate::sniff::Format;
use crate::MediaError;

/// What the headers of a still image say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header<'a> {
    /// stored width (before EXIF orientation)
    pub width: u32,
    /// stored height (before EXIF orientation)
    pub height: u32,
    /// 1 for still images
    pub frames: u32,
    pub has_alpha: bool,
    /// raw TIFF-structured EXIF (starting at the byte-order mark)
    pub exif: Option<&'a [u8]>,
    /// ICC profile, reassembled
    pub icc: Option<Vec<u8>>,
}

fn corrupt(msg: impl Into<String>) -> MediaError {
    MediaError::Corrupt(msg.into())
}

fn be16(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
    ])))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

fn le16(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
    ])))
}

fn le24(d: &[u8], at: usize) -> Option<u32> {
    Some(
        u32::from(*d.get(at)?) | u32::from(*d.get(at + 1)?) << 8 | u32::from(*d.get(at + 2)?) << 16,
    )
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

/// Reads the header of a JPEG, PNG, GIF or WebP file.
pub fn read(format: Format, data: &[u8]) -> Result<Header<'_>, MediaError> {
    match format {
        Format::Jpeg => jpeg(data),
        Format::Png => png(data),
        Format::Gif => gif(data),
        Format::Webp => webp(data),
        other => Err(MediaError::Unsupported(format!(
            "no header reader for {}",
            other.mime()
        ))),
    }
}

/// JPEG: walks the marker segments up to the first SOF (and past it for APP segments that
/// precede the scan), collecting APP1 Exif and APP2 ICC_PROFILE.
pub fn jpeg(d: &[u8]) -> Result<Header<'_>, MediaError> {
    if d.len() < 4 || d[0] != 0xFF || d[1] != 0xD8 {
        return Err(corrupt("JPEG: missing SOI"));
    }
    let mut h = Header {
        frames: 1,
        ..Default::default()
    };
    let mut icc_parts: Vec<(u8, &[u8])> = Vec::new();
    let mut sof = false;
    let mut i = 2;
    loop {
        // skip fill bytes
        while d.get(i) == Some(&0xFF) && d.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&ff), Some(&marker)) = (d.get(i), d.get(i + 1)) else {
            return Err(corrupt("JPEG: truncated before scan data"));
        };
        if ff != 0xFF {
            return Err(corrupt("JPEG: bad marker"));
        }
        i += 2;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xD9 => return Err(corrupt("JPEG: EOI before scan data")),
            _ => {}
        }
        let len = be16(d, i).ok_or_else(|| corrupt("JPEG: truncated segment"))? as usize;
        if len < 2 || i + len > d.len() {
            return Err(corrupt("JPEG: segment runs past end of file"));
        }
        let seg = &d[i + 2..i + len];
        match marker {
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                if seg.len() < 6 {
                    return Err(corrupt("JPEG: short SOF"));
                }
                h.height = be16(seg, 1).unwrap_or(0);
                h.width = be16(seg, 3).unwrap_or(0);
                let comps = seg[5];
                if !(comps == 1 || comps == 3 || comps == 4) {
                    return Err(corrupt(format!("JPEG: {comps} components")));
                }
                sof = true;
            }
            0xE1 if h.exif.is_none() && seg.starts_with(b"Exif\0\0") => {
                h.exif = Some(&seg[6..]);
            }
            0xE2 if seg.starts_with(b"ICC_PROFILE\0") && seg.len() > 14 => {
                icc_parts.push((seg[12], &seg[14..]));
            }
            0xDA => {
                if !sof {
                    return Err(corrupt("JPEG: scan before frame header"));
                }
                break;
            }
            _ => {}
        }
        i += len;
    }
    if !icc_parts.is_empty() {
        icc_parts.sort_by_key(|p| p.0);
        h.icc = Some(icc_parts.iter().flat_map(|p| p.1.iter().copied()).collect());
    }
    Ok(h)
}

/// PNG: IHDR, then walks the chunks for eXIf, iCCP and acTL.
pub fn png(d: &[u8]) -> Result<Header<'_>, MediaError> {
    if d.len() < 33 || &d[12..16] != b"IHDR" {
        return Err(corrupt("PNG: missing IHDR"));
    }
    let color_type = d[25];
    let mut h = Header {
        width: be32(d, 16).unwrap_or(0),
        height: be32(d, 20).unwrap_or(0),
        frames: 1,
        has_alpha: color_type == 4 || color_type == 6,
        ..Default::default()
    };
    if h.width > i32::MAX as u32 || h.height > i32::MAX as u32 {
        return Err(corrupt("PNG: dimension out of range"));
    }
    let mut i = 8;
    let mut saw_idat = false;
    while i + 8 <= d.len() {
        let len = be32(d, i).unwrap_or(0) as usize;
        let kind = &d[i + 4..i + 8];
        let start = i + 8;
        let Some(end) = start.checked_add(len).filter(|e| *e <= d.len()) else {
            break;
        };
        let body = &d[start..end];
        match kind {
            b"eXIf" if h.exif.is_none() => h.exif = Some(body),
            b"tRNS" => h.has_alpha = true,
            b"acTL" => h.frames = be32(body, 0).unwrap_or(1).max(1),
            b"IDAT" => saw_idat = true,
            b"iCCP" => {
                if let Some(nul) = body.iter().position(|b| *b == 0) {
                    // name, NUL, compression method, zlib stream
                    if let Some(z) = body.get(nul + 2..) {
                        h.icc = inflate_bounded(z, 4 << 20);
                    }
                }
            }
            b"IEND" => break,
            _ => {}
        }
        i = end + 4; // CRC
    }
    if !saw_idat {
        return Err(corrupt("PNG: no image data"));
    }
    Ok(h)
}

/// Inflates a zlib stream, giving up past `max` bytes.
fn inflate_bounded(z: &[u8], max: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    let dec = flate2::read::ZlibDecoder::new(z);
    dec.take(max as u64 + 1).read_to_end(&mut out).ok()?;
    (out.len() <= max).then_some(out)
}

/// GIF: logical screen, then walks the blocks (skipping LZW data by its sub-block lengths)
/// to count frames and read the first frame's size.
pub fn gif(d: &[u8]) -> Result<Header<'_>, MediaError> {
    if d.len() < 13 {
        return Err(corrupt("GIF: truncated header"));
    }
    let mut h = Header {
        width: le16(d, 6).unwrap_or(0),
        height: le16(d, 8).unwrap_or(0),
        ..Default::default()
    };
    let flags = d[10];
    let mut i = 13;
    if flags & 0x80 != 0 {
        i += 3 * (1usize << ((flags & 7) + 1));
    }
    let skip_sub_blocks = |mut i: usize| -> Option<usize> {
        loop {
            let n = *d.get(i)? as usize;
            i += 1;
            if n == 0 {
                return Some(i);
            }
            i += n;
        }
    };
    loop {
        match d.get(i) {
            Some(0x21) => {
                // extension: label, sub-blocks
                if d.get(i + 1) == Some(&0xF9) {
                    if let Some(&packed) = d.get(i + 3) {
                        if packed & 1 != 0 {
                            h.has_alpha = true;
                        }
                    }
                }
                i = skip_sub_blocks(i + 2).ok_or_else(|| corrupt("GIF: truncated extension"))?;
            }
            Some(0x2C) => {
                let fw = le16(d, i + 5).ok_or_else(|| corrupt("GIF: truncated frame"))?;
                let fh = le16(d, i + 7).ok_or_else(|| corrupt("GIF: truncated frame"))?;
                let fl = *d
                    .get(i + 9)
                    .ok_or_else(|| corrupt("GIF: truncated frame"))?;
                if h.frames == 0 && (fw > h.width || fh > h.height) {
                    // frames larger than the screen: the decoder grows the canvas
                    h.width = h.width.max(fw);
                    h.height = h.height.max(fh);
                }
                h.frames += 1;
                if h.frames > crate::limits::MAX_FRAMES {
                    return Ok(h);
                }
                i += 10;
                if fl & 0x80 != 0 {
                    i += 3 * (1usize << ((fl & 7) + 1));
                }
                i += 1; // LZW minimum code size
                match skip_sub_blocks(i) {
                    Some(n) => i = n,
                    None if h.frames >= 1 => break, // truncated tail: first frame may be fine
                    None => return Err(corrupt("GIF: truncated image data")),
                }
            }
            Some(0x3B) | None => break,
            Some(_) => break,
        }
    }
    if h.frames == 0 {
        return Err(corrupt("GIF: no image"));
    }
    Ok(h)
}

/// WebP: RIFF chunks VP8 / VP8L / VP8X (+ EXIF, ICCP, ANMF).
pub fn webp(d: &[u8]) -> Result<Header<'_>, MediaError> {
    if d.len() < 20 || &d[..4] != b"RIFF" || &d[8..12] != b"WEBP" {
        return Err(corrupt("WebP: bad RIFF header"));
    }
    let mut h = Header {
        frames: 0,
        ..Default::default()
    };
    let mut i = 12;
    let mut have_dims = false;
    let mut animated = false;
    while i + 8 <= d.len() {
        let tag = &d[i..i + 4];
        let len = le32(d, i + 4).unwrap_or(0) as usize;
        let start = i + 8;
        let end = start.saturating_add(len).min(d.len());
        let body = &d[start..end];
        match tag {
            b"VP8X" => {
                let flags = *body.first().ok_or_else(|| corrupt("WebP: short VP8X"))?;
                h.has_alpha = flags & 0x10 != 0;
                animated = flags & 0x02 != 0;
                h.width = le24(body, 4).ok_or_else(|| corrupt("WebP: short VP8X"))? + 1;
                h.height = le24(body, 7).ok_or_else(|| corrupt("WebP: short VP8X"))? + 1;
                have_dims = true;
            }
            b"VP8 " => {
                if body.len() < 10 || body[3..6] != [0x9d, 0x01, 0x2a] {
                    return Err(corrupt("WebP: bad VP8 frame header"));
                }
                if !have_dims {
                    h.width = le16(body, 6).unwrap_or(0) & 0x3FFF;
                    h.height = le16(body, 8).unwrap_or(0) & 0x3FFF;
                    have_dims = true;
                }
                h.frames = h.frames.max(1);
            }
            b"VP8L" => {
                if body.len() < 5 || body[0] != 0x2f {
                    return Err(corrupt("WebP: bad VP8L header"));
                }
                if !have_dims {
                    let bits = le32(body, 1).unwrap_or(0);
                    h.width = (bits & 0x3FFF) + 1;
                    h.height = ((bits >> 14) & 0x3FFF) + 1;
                    h.has_alpha = (bits >> 28) & 1 != 0;
                    have_dims = true;
                }
                h.frames = h.frames.max(1);
            }
            b"ANMF" => {
                h.frames += 1;
                if h.frames > crate::limits::MAX_FRAMES {
                    break;
                }
            }
            b"EXIF" if h.exif.is_none() => {
                // some writers keep the JPEG "Exif\0\0" prefix
                h.exif = Some(body.strip_prefix(b"Exif\0\0".as_slice()).unwrap_or(body));
            }
            b"ICCP" => h.icc = Some(body.to_vec()),
            _ => {}
        }
        // chunks are padded to even sizes
        i = start.saturating_add(len).saturating_add(len & 1);
    }
    if !have_dims {
        return Err(corrupt("WebP: no image chunk"));
    }
    // frames == 0 (no image chunk) is reported by the probe after the size checks, so a
    // header claiming a huge canvas is refused as too large first
    let _ = animated;
    Ok(h)
}
