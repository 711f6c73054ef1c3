//! The hostile-file suite (fixtures/media/hostile, made by make_hostile.py): every file
//! ends in its expected error (or decodes, for hostile metadata), each within a time
//! bound, and the peak memory of the whole run stays under 512 MiB.

use media::Limits;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/media/hostile")
}

/// Peak resident set of this process and of its waited-for children (ffmpeg), in KiB.
fn peak_rss_kib() -> (i64, i64) {
    let mut me: libc::rusage = unsafe { std::mem::zeroed() };
    let mut kids: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the structs we own.
    unsafe {
        libc::getrusage(libc::RUSAGE_SELF, &mut me);
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut kids);
    }
    (me.ru_maxrss, kids.ru_maxrss)
}

#[test]
fn hostile_files_end_in_the_expected_error_with_bounded_memory() {
    let list = std::fs::read_to_string(dir().join("EXPECTED.tsv")).expect("EXPECTED.tsv");
    let limits = Limits::default();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, expected) = line.split_once('\t').expect("name<TAB>expected");
        let data = std::fs::read(dir().join(name)).expect(name);
        count += 1;
        let start = Instant::now();
        let thumbs = media::thumbnails(&data, &[1080, 480, 160], &limits);
        let meta = media::metadata(&data, &limits);
        let took = start.elapsed();
        let got = match &thumbs {
            Ok(_) => "ok",
            Err(e) => e.name(),
        };
        if got != expected {
            failures.push(format!(
                "{name}: expected {expected}, thumbnails gave {got} ({:?})",
                thumbs.err()
            ));
            continue;
        }
        // metadata reads headers only: it may accept a file whose pixels are broken (or a
        // scan bomb), but it must never refuse with another error, nor accept a non-media file
        if let Err(e) = &meta {
            if e.name() != expected {
                failures.push(format!(
                    "{name}: expected {expected}, metadata gave {} ({e})",
                    e.name()
                ));
            }
        } else if expected == "UnsupportedMediaType" {
            failures.push(format!("{name}: expected {expected}, metadata accepted it"));
        }
        if took > Duration::from_secs(10) {
            failures.push(format!("{name}: took {took:?}"));
        }
    }
    assert!(count >= 25, "only {count} hostile files");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let (me, kids) = peak_rss_kib();
    eprintln!("hostile suite: {count} files, peak RSS {me} KiB (children {kids} KiB)");
    assert!(me < 512 * 1024, "peak RSS {me} KiB");
    assert!(kids < 512 * 1024, "children peak RSS {kids} KiB");
}
