//! Fuzzes the untrusted-input surface of `media`: the sniffer, every header reader, the
//! EXIF parser, the polyglot scanner and the still-image decoders behind `thumbnails` and
//! `metadata` (videos are skipped: they run ffmpeg as a subprocess). Limits are small so
//! each input stays fast; any panic, hang or out-of-memory is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::sniff::Format;
use media::{Limits, MediaKind};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_pixels: 4_000_000, max_side: 4096, max_alloc: 64 << 20, ..Limits::default() };
    let sniffed = media::sniff(data);
    for f in [Format::Jpeg, Format::Png, Format::Gif, Format::Webp] {
        if let Ok(h) = media::header::read(f, data) {
            if let Some(exif) = h.exif {
                let _ = media::exif::parse(exif);
            }
        }
        let _ = media::polyglot::image_end(f, data);
    }
    let _ = media::exif::parse(data);
    if let Ok(s) = sniffed {
        if s.kind == MediaKind::Image {
            let _ = media::metadata(data, &limits);
            if let Ok(t) = media::thumbnails(data, &[64, 16], &limits) {
                assert_eq!(t.len(), 2);
                assert!(t.iter().all(|t| t.width <= 64 && t.height <= 64 && !t.jpeg.is_empty()));
            }
        }
    }
});
