//! `media-hub serve`: the web form, API and console on one machine, with the pipeline run
//! in-process by the ASL interpreter. On start, uploads left PROCESSING by a stop are run again.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use super::config::StackArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "MEDIA_HUB_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Where objects and records live: `local` (folder + SQLite) or `aws` (S3 + DynamoDB
    /// from the standard AWS environment, `AWS_ENDPOINT_URL`, `MEDIA_BUCKET`, `REELS_TABLE`).
    /// The interpreter and the execution log stay local either way.
    #[arg(long, env = "MEDIA_HUB_BACKEND", value_enum, default_value_t = Backend::Local)]
    pub backend: Backend,
    /// With `--backend aws`: create the bucket and table when they do not exist (for a
    /// fresh AWS-protocol endpoint such as moto).
    #[arg(long)]
    pub create_resources: bool,
    /// The token the console, the execution API and the admin actions require (a bearer
    /// header). A request that carries it sees every field of a reel.
    #[arg(long, env = "MEDIA_HUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Local,
    Aws,
}

async fn open_stack(args: &Args) -> anyhow::Result<local::LocalStack> {
    match args.backend {
        Backend::Local => args.stack.open(),
        Backend::Aws => {
            let backend = aws::AwsBackend::from_env().await.context("--backend aws")?;
            if args.create_resources {
                backend
                    .blobs
                    .ensure_bucket()
                    .await
                    .context("creating the bucket")?;
                backend
                    .records
                    .create_table()
                    .await
                    .context("creating the table")?;
            }
            let settings = args.stack.settings()?;
            let blobs: Arc<dyn pipeline::BlobStore> = backend.blobs.clone();
            let records: Arc<dyn pipeline::RecordStore> = backend.records.clone();
            let signer: Arc<dyn pipeline::UploadSigner> = backend.blobs.clone();
            local::LocalStack::with_ports(
                &args.stack.data_dir(),
                blobs,
                Some(records),
                Some(signer),
                settings,
                args.stack.definition.as_deref(),
            )
            .context("opening the hybrid stack")
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let stack = open_stack(&args).await?;
    tracing::info!(data_dir = %stack.data_dir.display(), definition = %stack.workflow.source(), "local stack ready");

    let state = api::AppState {
        intake: stack.intake.clone(),
        executions: Some(Arc::new(local::LocalStarter(stack.workflow.clone()))
            as Arc<dyn pipeline::ExecutionLog>),
        admin: api::auth::AdminAccess::from_token(args.admin_token.as_deref()),
    };
    let app = api::router(state);
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let local = listener.local_addr()?;
    // The first line on stdout says where to go (tests read it to find an ephemeral port).
    println!("media-hub listening on http://{local}");

    let intake = stack.intake.clone();
    tokio::spawn(async move {
        match intake.resume_processing().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                restarted = n,
                "uploads left PROCESSING by a stop were started again"
            ),
            Err(e) => tracing::error!(error = %e, "could not resume PROCESSING uploads"),
        }
    });

    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    let running = stack.workflow.running();
    if running > 0 {
        tracing::info!(
            running,
            "stopping with executions in flight; they run again at the next start"
        );
    }
    Ok(0)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
