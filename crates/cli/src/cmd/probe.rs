//! `media-hub probe FILE...`: the real type (magic bytes) and metadata of each file as
//! JSON, one object per line (`{file, type, metadata}` or `{file, error, message}`); exit 1
//! when any file was refused.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Pretty-print the JSON
    #[arg(long)]
    pub pretty: bool,
    /// Files to probe
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let limits = media::Limits::default();
    let mut all_ok = true;
    for f in &args.files {
        let (ok, v) = media::batch::probe_file(f, &limits);
        all_ok &= ok;
        let s = if args.pretty {
            serde_json::to_string_pretty(&v)?
        } else {
            serde_json::to_string(&v)?
        };
        println!("{s}");
    }
    Ok(if all_ok { 0 } else { 1 })
}
