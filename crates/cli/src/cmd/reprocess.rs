//! `media-hub reprocess ID [--backend local|aws]`: a FAILED reel whose raw file was kept goes
//! back to PROCESSING and runs again (`pipeline::reprocess`, the code behind
//! `POST /api/reels/{id}/reprocess`). Locally it runs in the existing data dir and waits for
//! the execution; on AWS it starts a new Step Functions execution (`{id}-r1` …, a closed
//! name cannot be reused) and prints the reel's status and that execution's ARN.
//! Exit 0 when started, 1 when refused (not FAILED, raw file gone, no such reel).

use std::sync::Arc;
use std::time::Duration;

use super::invoke::Backend;
use pipeline::reprocess::ReprocessError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the reel's id
    pub id: String,
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    pub backend: Backend,
    #[command(flatten)]
    pub stack: super::config::StackArgs,
    /// how long to wait for the local execution to end
    #[arg(long, default_value_t = 120)]
    pub wait_seconds: u64,
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let (intake, local) = match args.backend {
        Backend::Local => {
            let stack = args.stack.open_existing(&args.stack.data_dir())?;
            (stack.intake.clone(), Some(stack.workflow.clone()))
        }
        Backend::Aws => {
            let backend = aws::AwsBackend::from_env().await?;
            let workflow = backend
                .workflow
                .clone()
                .ok_or(aws::ConfigError::Missing(aws::config::ENV_STATE_MACHINE))?;
            (
                backend.intake(workflow as Arc<dyn pipeline::WorkflowStarter>)?,
                None,
            )
        }
    };
    let outcome = intake.reprocess(&args.id).await;
    if let Some(wf) = &local {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_seconds);
        while wf.running() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    match outcome {
        Ok(done) => {
            let now = intake.records.get(&args.id).await?;
            let mut out = serde_json::to_value(&done)?;
            if let Some(reel) = now {
                // locally the execution may have ended already
                out["status"] = serde_json::to_value(reel.status)?;
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(0)
        }
        Err(e @ ReprocessError::Storage(_)) => Err(e.into()),
        Err(e) => {
            eprintln!("media-hub reprocess: {e}");
            Ok(1)
        }
    }
}
