//! `media-hub backfill [--sizes 320,64] [--only-failed]`: process every reel again with the
//! current settings. Every READY reel goes through the backfill state machine
//! (`statemachine/backfill.asl.json`: a distributed Map over the `raw/` listing, batches,
//! tolerated failures, results under `backfill/{map run id}/`); `--only-failed` reprocesses
//! the FAILED reels whose raw file was kept instead (the `reprocess` code). Progress goes to
//! stderr, the summary (JSON) to stdout. Exit 0 when the run succeeded (failures within the
//! tolerance included), 1 when it failed.

use std::io::Write;
use std::time::Duration;

use pipeline::{ListQuery, Status};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub stack: super::config::StackArgs,
    /// the thumbnail sizes to make now (overrides --thumbnail-sizes), e.g. 320,64
    #[arg(long)]
    pub sizes: Option<String>,
    /// reprocess the FAILED reels (raw file kept) instead of the READY ones
    #[arg(long)]
    pub only_failed: bool,
    /// a backfill definition to run instead of ./statemachine/backfill.asl.json / the built-in one
    #[arg(long)]
    pub backfill_definition: Option<std::path::PathBuf>,
}

pub async fn run(mut args: Args) -> anyhow::Result<i32> {
    if let Some(sizes) = args.sizes.take() {
        args.stack.thumbnail_sizes = sizes;
    }
    let stack = args.stack.open_existing(&args.stack.data_dir())?;
    if args.only_failed {
        return only_failed(&stack).await;
    }
    let text = match &args.backfill_definition {
        Some(p) => Some(std::fs::read_to_string(p)?),
        None => std::fs::read_to_string("statemachine/backfill.asl.json").ok(),
    };
    let (outcome, progress) = local::backfill::run(
        stack.pipeline.clone(),
        text.as_deref(),
        None,
        |p: &local::backfill::Progress| {
            use std::sync::atomic::Ordering::Relaxed;
            eprintln!(
                "backfill: {} reels done, {} failed",
                p.done.load(Relaxed),
                p.failed.load(Relaxed)
            );
        },
    )
    .await?;
    use std::sync::atomic::Ordering::Relaxed;
    let ok = outcome.status == states::ExecutionStatus::Succeeded;
    let out = json!({
        "status": outcome.status,
        "reelsDone": progress.done.load(Relaxed),
        "reelsFailed": progress.failed.load(Relaxed),
        "mapRunArn": outcome.output.as_ref().and_then(|o| o.get("MapRunArn")),
        "results": outcome.output.as_ref().and_then(|o| o.get("ResultWriterDetails")),
        "error": outcome.error,
        "cause": outcome.cause,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?)?;
    Ok(if ok { 0 } else { 1 })
}

/// Reprocess every FAILED reel whose raw file was kept, one after the other.
async fn only_failed(stack: &local::LocalStack) -> anyhow::Result<i32> {
    let failed = stack
        .intake
        .records
        .list(&ListQuery {
            status: Some(Status::Failed),
            limit: usize::MAX,
            ..Default::default()
        })
        .await?;
    let (mut started, mut refused) = (Vec::new(), Vec::new());
    for (i, reel) in failed.iter().enumerate() {
        match stack.intake.reprocess(&reel.id).await {
            Ok(_) => started.push(reel.id.clone()),
            Err(e) => refused.push(json!({"id": reel.id, "reason": e.to_string()})),
        }
        eprintln!("backfill: {}/{} FAILED reels handled", i + 1, failed.len());
    }
    while stack.workflow.running() > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut now = Vec::new();
    for id in &started {
        let status = stack.intake.records.get(id).await?.map(|r| r.status);
        now.push(json!({"id": id, "status": status}));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"reprocessed": now, "refused": refused}))?
    );
    Ok(0)
}
