//! `media-hub invoke FUNCTION --event FILE [--backend local|aws] [--seed]`: run one
//! function's handler in-process on an event file (fixtures/events/ has one per function)
//! and print what the Lambda would answer: its response, or `{"errorType", "errorMessage"}`.
//! Exit code 0 for a response, 1 for a function error, 2 when it cannot run.
//!
//! What the event needs (its reel's record and objects, from `seed/manifest.json` next to
//! the event file; see `aws::seed`) is put in first. Without `--data-dir` the local backend
//! runs in a new temporary data dir, seeded, whose path goes to stderr, so every fixture runs
//! on a fresh clone as README shows. `--data-dir DIR` uses an existing data dir (it never
//! creates one) and seeds only with `--seed`. `--backend aws` uses S3/DynamoDB/Step
//! Functions from the standard AWS environment and `MEDIA_BUCKET`, `REELS_TABLE`,
//! `STATE_MACHINE_ARN` (any AWS-protocol endpoint via `AWS_ENDPOINT_URL`), seeding with `--seed`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context as _};
use aws::invoke::{invoke_http, invoke_object_created, invoke_task, Function, Outcome};
use pipeline::intake::Intake;
use pipeline::{BlobStore, ExecutionLog, Pipeline, RecordStore, Settings, WorkflowStarter};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// folder + SQLite + the in-process interpreter under --data-dir
    Local,
    /// S3 + DynamoDB + Step Functions from the AWS environment
    Aws,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// upload, object-created, validate-type, generate-thumbnails, extract-metadata,
    /// transcode-video, commit-record or cleanup
    pub function: String,
    /// the event, as JSON (see fixtures/events/)
    #[arg(long)]
    pub event: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    pub backend: Backend,
    #[command(flatten)]
    pub stack: super::config::StackArgs,
    /// how long to wait for executions an upload started locally
    #[arg(long, default_value_t = 120)]
    pub wait_seconds: u64,
    /// put what the event needs (seed/manifest.json next to it) into the data dir or the AWS
    /// stores first; the default without --data-dir
    #[arg(long)]
    pub seed: bool,
}

/// The ports of one backend.
struct Ports {
    blobs: Arc<dyn BlobStore>,
    records: Arc<dyn RecordStore>,
    workflow: Arc<dyn WorkflowStarter>,
    executions: Option<Arc<dyn ExecutionLog>>,
    local: Option<Arc<local::LocalWorkflow>>,
    settings: Settings,
    signer: Option<Arc<dyn pipeline::UploadSigner>>,
}

impl Ports {
    fn intake(&self) -> Intake {
        Intake {
            blobs: self.blobs.clone(),
            records: self.records.clone(),
            workflow: self.workflow.clone(),
            settings: Arc::new(self.settings.clone()),
            signer: self.signer.clone(),
        }
    }
}

async fn ports(args: &Args, needs_workflow: bool) -> anyhow::Result<Ports> {
    match args.backend {
        Backend::Local => {
            let stack = match &args.stack.data_dir {
                Some(dir) => args.stack.open_existing(dir)?,
                None => {
                    let dir = tempfile::Builder::new()
                        .prefix("media-hub-invoke-")
                        .tempdir()
                        .context("creating a temporary data dir")?
                        .keep();
                    eprintln!("media-hub invoke: data dir {} (temporary)", dir.display());
                    args.stack.open_in(&dir)?
                }
            };
            Ok(Ports {
                blobs: stack.blobs.clone(),
                records: stack.intake.records.clone(),
                workflow: stack.intake.workflow.clone(),
                executions: Some(stack.workflow.clone()),
                local: Some(stack.workflow.clone()),
                settings: stack.pipeline.settings.as_ref().clone(),
                signer: stack.intake.signer.clone(),
            })
        }
        Backend::Aws => {
            let settings = args.stack.settings()?;
            let backend = aws::AwsBackend::from_env().await?;
            let workflow: Arc<dyn WorkflowStarter> = match backend.workflow.clone() {
                Some(w) => w,
                None if needs_workflow => {
                    return Err(anyhow!("{} is not set", aws::config::ENV_STATE_MACHINE))
                }
                None => Arc::new(NoWorkflow),
            };
            let executions = backend
                .executions
                .clone()
                .map(|log| log as Arc<dyn ExecutionLog>);
            Ok(Ports {
                blobs: backend.blobs.clone(),
                records: backend.records.clone(),
                workflow,
                executions,
                local: None,
                settings,
                signer: Some(backend.blobs.clone()),
            })
        }
    }
}

/// Task functions never start executions.
struct NoWorkflow;

#[async_trait::async_trait]
impl WorkflowStarter for NoWorkflow {
    async fn start(
        &self,
        _: &pipeline::ExecutionInput,
    ) -> Result<pipeline::Started, pipeline::StoreError> {
        Err(pipeline::StoreError::Invalid(
            "no state machine configured".into(),
        ))
    }
}

/// Run the function on the event; the Lambda's answer.
pub async fn invoke(args: &Args) -> anyhow::Result<Outcome> {
    let function = Function::parse(&args.function).ok_or_else(|| {
        let names: Vec<&str> = Function::all().into_iter().map(Function::name).collect();
        anyhow!(
            "unknown function {:?}; one of: {}",
            args.function,
            names.join(", ")
        )
    })?;
    let text =
        std::fs::read(&args.event).with_context(|| format!("reading {}", args.event.display()))?;
    let event: Value = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not JSON", args.event.display()))?;
    let needs_workflow = matches!(function, Function::Upload | Function::ObjectCreated);
    let ports = ports(args, needs_workflow).await?;
    let seed = args.seed || (args.backend == Backend::Local && args.stack.data_dir.is_none());
    if seed {
        let seeded = aws::seed::seed_for_event(
            &args.event,
            &event,
            ports.blobs.as_ref(),
            ports.records.as_ref(),
        )
        .await?;
        for what in &seeded.written {
            eprintln!("media-hub invoke: seeded {what}");
        }
        for what in &seeded.present {
            eprintln!("media-hub invoke: {what} already there");
        }
    }
    let outcome = match function {
        Function::Task(task) => {
            let pipeline = Pipeline::new(
                ports.blobs.clone(),
                ports.records.clone(),
                ports.settings.clone(),
            );
            invoke_task(&pipeline, task, event).await
        }
        Function::Upload => {
            let app = api::router(api::AppState {
                intake: ports.intake(),
                executions: ports.executions.clone(),
                admin: Default::default(),
            });
            invoke_http(app, event).await
        }
        Function::ObjectCreated => {
            let handler = aws::events::ObjectCreated {
                intake: ports.intake(),
            };
            invoke_object_created(&handler, event).await
        }
    };
    // Executions started in-process would die with it: let them finish first.
    if let Some(wf) = &ports.local {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_seconds);
        while wf.running() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(outcome)
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let outcome = invoke(&args).await?;
    println!("{}", serde_json::to_string_pretty(&outcome.to_json())?);
    Ok(if outcome.is_ok() { 0 } else { 1 })
}
