//! `media-hub`: the one command of the project. Each subcommand lives in `cmd/`; this file
//! only parses the command line, sets up logging and dispatches.

mod cmd;
mod http_server;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "media-hub",
    version,
    about = "A media upload hub: web form, thumbnails, metadata, Step Functions pipeline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web form, API and console with the pipeline in-process (the embedded default).
    Serve(cmd::serve::Args),
    /// List state machine executions, or show one with its event history.
    Executions(cmd::executions::Args),
    /// Run or validate any Amazon States Language definition with the built-in interpreter.
    Sfn(cmd::sfn::Args),
    /// Make thumbnails of image or video files (the GenerateThumbnails code).
    Thumbnails(cmd::thumbnails::Args),
    /// Print the detected type and metadata of files as JSON.
    Probe(cmd::probe::Args),
    /// Run one function's handler on an event file, as Lambda would.
    Invoke(cmd::invoke::Args),
    /// Run a FAILED reel whose raw file was kept again (FAILED -> PROCESSING, a new execution).
    Reprocess(cmd::reprocess::Args),
    /// Process every reel again with the current settings (the backfill state machine).
    Backfill(cmd::backfill::Args),
    /// Load tools: `bench upload --concurrency N --count M FILE`.
    Bench(cmd::bench::Args),
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("MEDIA_HUB_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Serve(a) => cmd::serve::run(a).await,
        Command::Executions(a) => cmd::executions::run(a).await,
        Command::Sfn(a) => cmd::sfn::run(a).await,
        Command::Thumbnails(a) => cmd::thumbnails::run(a).await,
        Command::Probe(a) => cmd::probe::run(a).await,
        Command::Invoke(a) => cmd::invoke::run(a).await,
        Command::Reprocess(a) => cmd::reprocess::run(a).await,
        Command::Backfill(a) => cmd::backfill::run(a).await,
        Command::Bench(a) => cmd::bench::run(a).await,
    };
    match result {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("media-hub: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
