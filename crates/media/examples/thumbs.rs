//! Stand-alone equivalent of `media-hub thumbnails` (for benchmarking without the cli
//! crate): `thumbs --out DIR --sizes 1080,480,160 FILE...`; `thumbs probe FILE...`.

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let limits = media::Limits::default();
    if args.peek().map(String::as_str) == Some("probe") {
        args.next();
        let mut ok = true;
        for f in args {
            let (good, v) = media::batch::probe_file(&PathBuf::from(f), &limits);
            ok &= good;
            println!("{v}");
        }
        std::process::exit(if ok { 0 } else { 1 });
    }
    let (mut out, mut sizes, mut files) = (None, vec![1080, 480, 160], Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--sizes" => {
                sizes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect()
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    let Some(out) = out else {
        eprintln!("usage: thumbs --out DIR --sizes 1080,480,160 FILE...");
        std::process::exit(2);
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("{}: {e}", out.display());
        std::process::exit(2);
    }
    let results = media::batch::thumbnails_many(&files, &out, &sizes, &limits, files.len() > 1);
    let failed = results.iter().filter(|r| r.is_err()).count();
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
