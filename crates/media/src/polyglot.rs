//! Polyglot refusal: a file that is a valid picture AND something else (a web page, a
//! script, a PDF, an archive appended after the image) is not accepted as media, since
//! the raw upload is kept and served: it ends as `Unsupported`.

use crate::sniff::Format;
use crate::MediaError;
use memchr::memmem;

/// Markup and script openings that have no business inside a picture or a video.
const NEEDLES: [&[u8]; 7] = [
    b"<?php",
    b"<script",
    b"<SCRIPT",
    b"<html",
    b"<HTML",
    b"<!DOCTYPE html",
    b"%PDF-",
];

/// Archive signatures refused in data after the image's end.
const TRAILERS: [&[u8]; 4] = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
];

/// Refuses `data` when it also carries markup, a script, a PDF or an appended archive.
pub fn check(format: Format, data: &[u8]) -> Result<(), MediaError> {
    refuse_needles(format, data)?;
    refuse_zip_end(format, data)?;
    if let Some(end) = image_end(format, data) {
        let tail = &data[end.min(data.len())..];
        for t in TRAILERS {
            if memmem::find(tail, t).is_some() {
                return Err(MediaError::Unsupported(format!(
                    "polyglot: archive appended after the {} data",
                    format.mime()
                )));
            }
        }
    }
    Ok(())
}

/// [`check`] for a video kept in a file, read a chunk at a time so that a long video is never
/// held whole in memory. Videos have no marked end, so only the needles and the trailing ZIP
/// directory are looked for (as [`check`] does for them).
pub fn check_file(format: Format, path: &std::path::Path) -> Result<(), MediaError> {
    use std::io::Read;
    const CHUNK: usize = 1 << 20;
    let io = |e: std::io::Error| MediaError::Io(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    // each window is the last `keep` bytes of the one before, then a new chunk, so a needle
    // across a chunk boundary is still found, and the file's last 22 bytes are at the end
    let keep = NEEDLES.iter().map(|n| n.len()).max().unwrap_or(0).max(22);
    let mut window = Vec::with_capacity(CHUNK + keep);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        let from = window.len().saturating_sub(keep);
        window.drain(..from);
        window.extend_from_slice(&chunk[..n]);
        refuse_needles(format, &window)?;
    }
    refuse_zip_end(format, &window)
}

/// Refuses data that carries markup, a script or a PDF anywhere.
fn refuse_needles(format: Format, data: &[u8]) -> Result<(), MediaError> {
    match NEEDLES.iter().find(|n| memmem::find(data, n).is_some()) {
        Some(n) => Err(MediaError::Unsupported(format!(
            "polyglot: {} also contains {:?}",
            format.mime(),
            String::from_utf8_lossy(n)
        ))),
        None => Ok(()),
    }
}

/// Refuses data ending in a ZIP end-of-central-directory record: it is also an archive.
fn refuse_zip_end(format: Format, data: &[u8]) -> Result<(), MediaError> {
    if data.len() >= 22 && data[data.len() - 22..].starts_with(b"PK\x05\x06") {
        return Err(MediaError::Unsupported(format!(
            "polyglot: {} is also a ZIP archive",
            format.mime()
        )));
    }
    Ok(())
}

/// Where the image data ends, for formats whose end is marked (JPEG EOI, PNG IEND, GIF
/// trailer, RIFF size); `None` when it cannot be told.
pub fn image_end(format: Format, d: &[u8]) -> Option<usize> {
    match format {
        Format::Jpeg => jpeg_end(d),
        Format::Png => {
            let mut i = 8usize;
            while i + 12 <= d.len() {
                let len = u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]) as usize;
                let next = i.checked_add(12)?.checked_add(len)?;
                if &d[i + 4..i + 8] == b"IEND" {
                    return Some(next);
                }
                i = next;
            }
            None
        }
        Format::Webp => {
            let size =
                u32::from_le_bytes([*d.get(4)?, *d.get(5)?, *d.get(6)?, *d.get(7)?]) as usize;
            Some(size.saturating_add(8))
        }
        Format::Gif => gif_end(d),
        _ => None,
    }
}

fn jpeg_end(d: &[u8]) -> Option<usize> {
    let mut i = 2usize;
    loop {
        if *d.get(i)? != 0xFF {
            return None;
        }
        let m = *d.get(i + 1)?;
        match m {
            0xFF => {
                i += 1;
                continue;
            }
            0xD9 => return Some(i + 2),
            0xD0..=0xD7 | 0x01 | 0xD8 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*d.get(i + 2)?, *d.get(i + 3)?]));
        i += 2 + len;
        if m == 0xDA {
            // entropy-coded data: runs to the next marker that is not stuffing or RSTn
            loop {
                let p = memchr::memchr(0xFF, d.get(i..)?)? + i;
                match *d.get(p + 1)? {
                    0x00 | 0xD0..=0xD7 | 0xFF => i = p + 1,
                    _ => {
                        i = p;
                        break;
                    }
                }
            }
        }
    }
}

fn gif_end(d: &[u8]) -> Option<usize> {
    let flags = *d.get(10)?;
    let mut i = 13usize;
    if flags & 0x80 != 0 {
        i += 3 * (1usize << ((flags & 7) + 1));
    }
    let skip = |mut i: usize| -> Option<usize> {
        loop {
            let n = usize::from(*d.get(i)?);
            i += 1 + n;
            if n == 0 {
                return Some(i);
            }
        }
    };
    loop {
        match *d.get(i)? {
            0x21 => i = skip(i + 2)?,
            0x2C => {
                let fl = *d.get(i + 9)?;
                i += 10;
                if fl & 0x80 != 0 {
                    i += 3 * (1usize << ((fl & 7) + 1));
                }
                i = skip(i + 1)?;
            }
            0x3B => return Some(i + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_refused() {
        assert!(check(Format::Jpeg, b"\xff\xd8\xff\xfe\x00\x10<?php x(); ?>").is_err());
        assert!(check(Format::Png, b"\x89PNG....<script>").is_err());
        assert!(check(Format::Jpeg, b"\xff\xd8\xff\xe0 plain bytes").is_ok());
    }

    #[test]
    fn jpeg_end_skips_entropy_data() {
        // SOI, SOS (len 2), data with stuffing and RST, EOI, then a ZIP
        let d = b"\xff\xd8\xff\xda\x00\x02\x12\xff\x00\x34\xff\xd0\x56\xff\xd9PK\x03\x04rest";
        assert_eq!(jpeg_end(d), Some(15));
        assert!(check(Format::Jpeg, d).is_err());
    }

    #[test]
    fn a_file_is_checked_across_its_chunks() {
        let file_of = |bytes: &[u8]| {
            let f = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(f.path(), bytes).unwrap();
            f
        };
        let mut video = b"\0\0\0\x20ftypisom".to_vec();
        video.resize(3 << 20, 7);
        assert!(check_file(Format::Mp4, file_of(&video).path()).is_ok());
        // a needle across the first chunk boundary
        let mut straddling = video.clone();
        straddling[(1 << 20) - 3..(1 << 20) + 4].copy_from_slice(b"<script");
        let err = check_file(Format::Mp4, file_of(&straddling).path()).unwrap_err();
        assert_eq!(err.name(), "UnsupportedMediaType", "{err}");
        // a ZIP directory at the very end
        let mut zipped = video.clone();
        let mut eocd = b"PK\x05\x06".to_vec();
        eocd.resize(22, 0);
        zipped.extend_from_slice(&eocd);
        assert!(check_file(Format::Mp4, file_of(&zipped).path()).is_err());
        // the same answers as the in-memory check
        for d in [&video, &straddling, &zipped] {
            assert_eq!(
                check(Format::Mp4, d).is_ok(),
                check_file(Format::Mp4, file_of(d).path()).is_ok()
            );
        }
    }
}
