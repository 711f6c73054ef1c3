//! `media-hub thumbnails --out DIR --sizes 1080,480,160 FILE...`: the GenerateThumbnails
//! work on local files, `DIR/<stem>_<SIZE>.jpg` (JPEG q80, 4:2:0), files in parallel,
//! progress on stderr; exit 1 when any file failed. The logic lives in `media::batch`.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output folder (created if missing)
    #[arg(long)]
    pub out: PathBuf,
    /// Bounding boxes, largest first or any order, comma separated
    #[arg(long, value_delimiter = ',', default_value = "1080,480,160")]
    pub sizes: Vec<u32>,
    /// Do not print per-file progress on stderr
    #[arg(long)]
    pub quiet: bool,
    /// Input files (JPEG, PNG, WebP, GIF, HEIC/HEIF, AVIF, MP4, MOV, WebM)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    if args.sizes.is_empty() || args.sizes.contains(&0) {
        anyhow::bail!("--sizes needs positive sizes, e.g. 1080,480,160");
    }
    std::fs::create_dir_all(&args.out)?;
    let limits = media::Limits::default();
    let progress = !args.quiet && args.files.len() > 1;
    let results =
        media::batch::thumbnails_many(&args.files, &args.out, &args.sizes, &limits, progress);
    let mut failed = 0;
    for (file, r) in args.files.iter().zip(&results) {
        if let Err(e) = r {
            failed += 1;
            if !progress {
                eprintln!("{}: {} ({})", file.display(), e, e.name());
            }
        }
    }
    if failed > 0 && progress {
        eprintln!("{failed} of {} files failed", args.files.len());
    }
    Ok(if failed == 0 { 0 } else { 1 })
}
