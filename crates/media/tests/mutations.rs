//! A stable-Rust companion of the cargo-fuzz target (fuzz/media): every still-image
//! fixture truncated and bit-flipped at deterministic positions must end in Ok or a
//! MediaError, never a panic, with small limits so each case stays quick.

use media::{Limits, MediaKind};
use std::path::PathBuf;

#[test]
fn mutated_fixtures_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/media");
    let limits = Limits {
        max_pixels: 4_000_000,
        max_side: 4096,
        max_alloc: 64 << 20,
        ..Limits::default()
    };
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        match media::sniff(&data) {
            Ok(s) if s.kind == MediaKind::Image => {}
            _ => continue,
        }
        let n = data.len();
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for k in 1..12 {
            variants.push(data[..n * k / 12].to_vec());
            let mut flipped = data.clone();
            let at = (n * k / 12 + 7 * k) % n;
            flipped[at] ^= 0x5A;
            flipped[(at * 7 + 13) % n] = 0xFF;
            variants.push(flipped);
        }
        for v in variants {
            cases += 1;
            let _ = media::metadata(&v, &limits);
            if let Ok(t) = media::thumbnails(&v, &[64], &limits) {
                assert!(t[0].width <= 64 && t[0].height <= 64, "{}", path.display());
            }
        }
    }
    assert!(cases > 100, "{cases} cases");
}
