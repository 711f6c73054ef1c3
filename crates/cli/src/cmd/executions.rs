//! `media-hub executions [--status S]` and `media-hub executions show ID`: the executions
//! of the local store and their AWS-style event history.

use anyhow::Context;
use pipeline::ExecutionLog;
use serde_json::Value;

use super::config::StackArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub show: Option<Show>,
    /// Only executions in this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED).
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum Show {
    /// One execution: its summary and every history event.
    Show {
        /// The execution name (the media id) or its ARN.
        id: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let stack = args.stack.open()?;
    let log = stack.workflow.as_ref();
    match args.show {
        None => {
            let list = log
                .list_executions(args.status.as_deref(), args.limit)
                .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(0);
            }
            println!(
                "{:<38} {:<10} {:<25} {:<25} ERROR",
                "NAME", "STATUS", "STARTED", "STOPPED"
            );
            for e in &list {
                println!(
                    "{:<38} {:<10} {:<25} {:<25} {}",
                    e.name,
                    e.status,
                    e.start_date,
                    e.stop_date.as_deref().unwrap_or("-"),
                    e.error.as_deref().unwrap_or("")
                );
            }
            eprintln!("{} execution(s)", list.len());
            Ok(0)
        }
        Some(Show::Show { id, json }) => {
            let summary = log
                .describe_execution(&id)
                .await?
                .with_context(|| format!("no execution named {id}"))?;
            let history = log.execution_history(&id).await?;
            if json || args.json {
                let out = serde_json::json!({ "execution": summary, "events": history });
                println!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(0);
            }
            println!("Execution {}  {}", summary.name, summary.status);
            println!("  arn      {}", summary.execution_arn);
            println!("  started  {}", summary.start_date);
            if let Some(s) = &summary.stop_date {
                println!("  stopped  {s}");
            }
            if let Some(e) = &summary.error {
                println!("  error    {e}: {}", summary.cause.as_deref().unwrap_or(""));
            }
            println!();
            println!(
                "{:>4} {:>4}  {:<28} {:<26} DETAILS",
                "ID", "PREV", "TYPE", "TIMESTAMP"
            );
            for ev in &history {
                let details = ev.get("details").cloned().unwrap_or(Value::Null);
                let name = details.get("name").and_then(Value::as_str).unwrap_or("");
                let extra = details
                    .get("error")
                    .and_then(Value::as_str)
                    .map(|e| format!(" error={e}"))
                    .unwrap_or_default();
                println!(
                    "{:>4} {:>4}  {:<28} {:<26} {name}{extra}",
                    ev.get("id").map(Value::to_string).unwrap_or_default(),
                    ev.get("previousEventId")
                        .map(Value::to_string)
                        .unwrap_or_default(),
                    ev.get("type").and_then(Value::as_str).unwrap_or(""),
                    ev.get("timestamp").and_then(Value::as_str).unwrap_or(""),
                );
            }
            Ok(0)
        }
    }
}
