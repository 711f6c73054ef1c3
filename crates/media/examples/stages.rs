//! Times the stages of the thumbnail pipeline per file (probe, decode, resize, encode):
//! `stages FILE...` — a tool for tuning, not part of the product.

use media::{decode, encode, probe, resize, sniff, Limits};
use std::time::Instant;

fn main() {
    let limits = Limits::default();
    for f in std::env::args().skip(1) {
        let Ok(data) = std::fs::read(&f) else {
            continue;
        };
        let t0 = Instant::now();
        let Ok(format) = sniff::detect(&data) else {
            continue;
        };
        let Ok(p) = probe::image(format, &data, &limits) else {
            continue;
        };
        let t1 = Instant::now();
        let (dw, dh) = p.displayed();
        let (tw, th) = resize::fit(dw, dh, 1080);
        let (sw, sh) = media::orientation::displayed(tw, th, p.orientation());
        let img = match decode::decode(format, &data, &p.header, sw * 2, sh * 2, &limits) {
            Ok(i) => i,
            Err(e) => {
                println!("{f}: {e}");
                continue;
            }
        };
        let t2 = Instant::now();
        let Ok(small) = resize::resize(&img, sw, sh) else {
            continue;
        };
        let Ok(s2) = resize::resize(&small, sw * 480 / 1080, sh * 480 / 1080) else {
            continue;
        };
        let t3 = Instant::now();
        let _ = encode::jpeg(&small);
        let _ = encode::jpeg(&s2);
        let t4 = Instant::now();
        println!(
            "{f}: probe {:?} decode {:?} ({}x{}) resize {:?} encode {:?}",
            t1 - t0,
            t2 - t1,
            img.width,
            img.height,
            t3 - t2,
            t4 - t3
        );
    }
}
