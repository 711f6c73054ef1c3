//! Which codec the first video track of an MP4 or MOV carries, read from the box headers
//! alone (`moov/trak/mdia/minf/stbl/stsd`): the sample entry's four-character code, such as
//! `avc1` (H.264) or `hvc1` (HEVC). It is a hint taken before ffprobe answers, so that the
//! rendition's remux is started early only when a remux is likely; ffprobe stays the
//! authority. Hostile files get `None`: sizes are checked, the `moov` read is bounded and
//! every walk ends.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The largest `moov` read (an hour of 60 fps video indexes in well under this).
const MAX_MOOV: u64 = 32 << 20;
/// Top-level boxes looked at before giving up.
const MAX_TOP_BOXES: usize = 64;

/// The four-character code of the first video track's first sample entry, if the file is an
/// MP4/MOV whose `moov` can be found and read.
pub fn video_sample_entry(path: &Path) -> Option<[u8; 4]> {
    let mut file = File::open(path).ok()?;
    let moov = read_moov(&mut file)?;
    first_video_entry(&moov)
}

/// True when the first video track is H.264 (`avc1`/`avc3`).
pub fn is_h264(path: &Path) -> bool {
    matches!(video_sample_entry(path), Some(code) if &code == b"avc1" || &code == b"avc3")
}

/// One box: its type and where its payload lies in the parent.
struct BoxAt {
    kind: [u8; 4],
    start: usize,
    end: usize,
}

/// The boxes inside `buf`, in order; stops at the first malformed header.
fn children(buf: &[u8]) -> impl Iterator<Item = BoxAt> + '_ {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = buf.get(at..at.checked_add(8)?)?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let (start, size) = match size32 {
            0 => (at + 8, buf.len() - at),
            1 => {
                let large = buf.get(at + 8..at + 16)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(large);
                (at + 16, usize::try_from(u64::from_be_bytes(b)).ok()?)
            }
            n => (at + 8, n as usize),
        };
        let end = at.checked_add(size)?;
        if end > buf.len() || start > end {
            return None;
        }
        at = end;
        Some(BoxAt { kind, start, end })
    })
}

fn child<'a>(buf: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(buf)
        .find(|b| &b.kind == kind)
        .map(|b| &buf[b.start..b.end])
}

fn first_video_entry(moov: &[u8]) -> Option<[u8; 4]> {
    children(moov)
        .filter(|b| &b.kind == b"trak")
        .find_map(|trak| {
            let mdia = child(&moov[trak.start..trak.end], b"mdia")?;
            // hdlr: version/flags (4), pre_defined (4), handler type (4)
            let hdlr = child(mdia, b"hdlr")?;
            if hdlr.get(8..12)? != b"vide" {
                return None;
            }
            let stsd = child(child(child(mdia, b"minf")?, b"stbl")?, b"stsd")?;
            // stsd: version/flags (4), entry count (4), then the first entry's size and code
            let code = stsd.get(12..16)?;
            Some([code[0], code[1], code[2], code[3]])
        })
}

/// Finds the top-level `moov` by seeking from box header to box header, and reads it.
fn read_moov(file: &mut File) -> Option<Vec<u8>> {
    let len = file.metadata().ok()?.len();
    let mut at = 0u64;
    for _ in 0..MAX_TOP_BOXES {
        if at.checked_add(8)? > len {
            return None;
        }
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8]).ok()?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let (payload, size) = match size32 {
            0 => (at + 8, len - at),
            1 => {
                file.read_exact(&mut header[8..16]).ok()?;
                let mut b = [0u8; 8];
                b.copy_from_slice(&header[8..16]);
                (at + 16, u64::from_be_bytes(b))
            }
            n => (at + 8, u64::from(n)),
        };
        let end = at.checked_add(size)?;
        if size < payload - at || end > len {
            return None;
        }
        if &header[4..8] == b"moov" {
            let n = end - payload;
            if n > MAX_MOOV {
                return None;
            }
            let mut moov = vec![0u8; usize::try_from(n).ok()?];
            file.read_exact(&mut moov).ok()?;
            return Some(moov);
        }
        at = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn trak(handler: &[u8; 4], code: &[u8; 4]) -> Vec<u8> {
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(handler);
        hdlr.extend_from_slice(&[0u8; 12]);
        let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stsd.extend(boxed(code, &[0u8; 16]));
        let stbl = boxed(b"stbl", &boxed(b"stsd", &stsd));
        let minf = boxed(b"minf", &stbl);
        let mut mdia = boxed(b"hdlr", &hdlr);
        mdia.extend(minf);
        boxed(b"trak", &boxed(b"mdia", &mdia))
    }

    fn file_of(parts: &[Vec<u8>]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for p in parts {
            f.write_all(p).unwrap();
        }
        f.flush().unwrap();
        f
    }

    #[test]
    fn finds_the_video_track_after_the_audio_one_and_moov_at_the_end() {
        let mut moov = trak(b"soun", b"mp4a");
        moov.extend(trak(b"vide", b"hvc1"));
        let f = file_of(&[
            boxed(b"ftyp", b"qt  \0\0\0\0qt  "),
            boxed(b"mdat", &[7u8; 5000]),
            boxed(b"moov", &moov),
        ]);
        assert_eq!(video_sample_entry(f.path()), Some(*b"hvc1"));
        assert!(!is_h264(f.path()));
    }

    #[test]
    fn h264_with_moov_first() {
        let f = file_of(&[
            boxed(b"ftyp", b"isom\0\0\0\0isom"),
            boxed(b"moov", &trak(b"vide", b"avc1")),
            boxed(b"mdat", &[1u8; 100]),
        ]);
        assert!(is_h264(f.path()));
    }

    #[test]
    fn hostile_sizes_and_truncation_give_none() {
        // a box claiming more than the file holds
        let mut lying = boxed(b"ftyp", b"isom");
        lying[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(video_sample_entry(file_of(&[lying]).path()), None);
        // a size smaller than its own header
        let mut tiny = boxed(b"ftyp", b"isom");
        tiny[..4].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(video_sample_entry(file_of(&[tiny]).path()), None);
        // a moov cut short inside its track
        let mut moov = boxed(b"moov", &trak(b"vide", b"avc1"));
        moov.truncate(moov.len() - 10);
        assert_eq!(video_sample_entry(file_of(&[moov]).path()), None);
        // no moov at all, and not an MP4 at all
        assert_eq!(
            video_sample_entry(file_of(&[boxed(b"mdat", &[0; 64])]).path()),
            None
        );
        assert_eq!(
            video_sample_entry(file_of(&[b"\x1aE\xdf\xa3webm".to_vec()]).path()),
            None
        );
    }
}
