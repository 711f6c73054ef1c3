//! Magic-byte sniffing: what a file really is, from its first bytes only.
//!
//! `infer` recognises the simple signatures; ISO-BMFF files (`ftyp` box: HEIC, AVIF, MP4,
//! MOV) are classified here from their major and compatible brands, because the
//! distinction between a still image and a video lives in those brands.

use crate::{MediaError, MediaKind, Sniffed};

/// The formats this crate accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Heic,
    Heif,
    Avif,
    Mp4,
    Mov,
    Webm,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Heic => "image/heic",
            Format::Heif => "image/heif",
            Format::Avif => "image/avif",
            Format::Mp4 => "video/mp4",
            Format::Mov => "video/quicktime",
            Format::Webm => "video/webm",
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Heic => "heic",
            Format::Heif => "heif",
            Format::Avif => "avif",
            Format::Mp4 => "mp4",
            Format::Mov => "mov",
            Format::Webm => "webm",
        }
    }

    pub fn kind(self) -> MediaKind {
        match self {
            Format::Mp4 | Format::Mov | Format::Webm => MediaKind::Video,
            _ => MediaKind::Image,
        }
    }

    pub fn is_heif_family(self) -> bool {
        matches!(self, Format::Heic | Format::Heif | Format::Avif)
    }

    pub fn sniffed(self) -> Sniffed {
        Sniffed {
            mime: self.mime().to_string(),
            ext: self.ext().to_string(),
            kind: self.kind(),
        }
    }
}

/// Detects the format from the first bytes of a file.
pub fn detect(head: &[u8]) -> Result<Format, MediaError> {
    if head.is_empty() {
        return Err(MediaError::Unsupported("empty file".into()));
    }
    if let Some(f) = iso_bmff(head) {
        return f;
    }
    if head.len() >= 3 && head[..3] == [0xFF, 0xD8, 0xFF] {
        return Ok(Format::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(Format::Gif);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Ok(Format::Webp);
    }
    match infer::get(head) {
        Some(t) if t.mime_type() == "video/webm" => Ok(Format::Webm),
        Some(t) => Err(MediaError::Unsupported(t.mime_type().to_string())),
        None => Err(MediaError::Unsupported("unknown file type".into())),
    }
}

/// `Some` when the file starts with an ISO-BMFF `ftyp` box.
fn iso_bmff(head: &[u8]) -> Option<Result<Format, MediaError>> {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = size.clamp(12, head.len());
    let major = &head[8..12];
    // compatible brands start after major brand (4) + minor version (4)
    let compat: Vec<&[u8]> = if end > 16 {
        head[16..end].chunks_exact(4).collect()
    } else {
        Vec::new()
    };
    let has = |b: &[u8]| major == b || compat.contains(&b);
    if [b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "]
        .iter()
        .any(|b| major == *b)
    {
        return Some(Err(MediaError::Unsupported("audio-only ISO-BMFF".into())));
    }
    let f = if major == b"avif" || major == b"avis" {
        Format::Avif
    } else if [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"]
        .iter()
        .any(|b| major == *b)
    {
        Format::Heic
    } else if major == b"mif1" || major == b"msf1" {
        if has(b"avif") || has(b"avis") {
            Format::Avif
        } else if has(b"heic") || has(b"heix") || has(b"hevc") {
            Format::Heic
        } else {
            Format::Heif
        }
    } else if major == b"qt  " {
        Format::Mov
    } else if [
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash",
        b"M4V ", b"mmp4", b"MSNV", b"f4v ", b"3gp4", b"3gp5", b"3gp6", b"3g2a",
    ]
    .iter()
    .any(|b| major == *b)
    {
        Format::Mp4
    } else if has(b"avif") {
        Format::Avif
    } else if has(b"heic") || has(b"mif1") {
        Format::Heic
    } else if has(b"isom") || has(b"mp41") || has(b"mp42") {
        Format::Mp4
    } else {
        return Some(Err(MediaError::Unsupported(format!(
            "ISO-BMFF brand {:?}",
            String::from_utf8_lossy(major)
        ))));
    };
    Some(Ok(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_signatures() {
        assert_eq!(detect(b"\xFF\xD8\xFF\xE0rest").unwrap(), Format::Jpeg);
        assert_eq!(detect(b"\x89PNG\r\n\x1a\nxxxx").unwrap(), Format::Png);
        assert_eq!(detect(b"GIF89a....").unwrap(), Format::Gif);
        assert_eq!(detect(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), Format::Webp);
        assert_eq!(detect(b"\x1A\x45\xDF\xA3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm").unwrap(), Format::Webm);
    }

    #[test]
    fn brands() {
        let ftyp = |major: &[u8], compat: &[&[u8]]| {
            let mut v = Vec::new();
            v.extend_from_slice(&((16 + 4 * compat.len()) as u32).to_be_bytes());
            v.extend_from_slice(b"ftyp");
            v.extend_from_slice(major);
            v.extend_from_slice(&[0, 0, 0, 0]);
            for c in compat {
                v.extend_from_slice(c);
            }
            v
        };
        assert_eq!(detect(&ftyp(b"heic", &[b"mif1"])).unwrap(), Format::Heic);
        assert_eq!(detect(&ftyp(b"mif1", &[b"heic"])).unwrap(), Format::Heic);
        assert_eq!(detect(&ftyp(b"avif", &[b"mif1"])).unwrap(), Format::Avif);
        assert_eq!(detect(&ftyp(b"mif1", &[b"avif"])).unwrap(), Format::Avif);
        assert_eq!(detect(&ftyp(b"qt  ", &[b"qt  "])).unwrap(), Format::Mov);
        assert_eq!(detect(&ftyp(b"isom", &[b"mp41"])).unwrap(), Format::Mp4);
        assert!(matches!(
            detect(&ftyp(b"M4A ", &[b"M4A "])),
            Err(MediaError::Unsupported(_))
        ));
    }

    #[test]
    fn not_media() {
        assert!(matches!(detect(b""), Err(MediaError::Unsupported(_))));
        assert!(matches!(
            detect(b"%PDF-1.7"),
            Err(MediaError::Unsupported(_))
        ));
        assert!(matches!(
            detect(b"<html><body>"),
            Err(MediaError::Unsupported(_))
        ));
        assert!(matches!(
            detect(b"PK\x03\x04zip"),
            Err(MediaError::Unsupported(_))
        ));
    }
}
