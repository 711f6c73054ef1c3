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
    /// header or the cookie of `/signin`); a request that carries it sees every field of a
    /// reel. Required on an address other than loopback.
    #[arg(long, env = "MEDIA_HUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Serve on a non-loopback address without an admin token: the admin pages and
    /// actions are then turned off.
    #[arg(long)]
    pub public: bool,
    /// Seconds a client has to send a request's line and headers (also the longest a
    /// kept-alive connection waits for its next request).
    #[arg(long, env = "MEDIA_HUB_HEADER_TIMEOUT_SECS", default_value_t = 10.0)]
    pub header_timeout_secs: f64,
    /// Seconds without a byte moving either way after which a connection is closed (a
    /// stalled upload body, a client that stopped reading).
    #[arg(long, env = "MEDIA_HUB_IDLE_TIMEOUT_SECS", default_value_t = 30.0)]
    pub idle_timeout_secs: f64,
    /// Open connections one client address may hold; more are closed at once.
    #[arg(
        long,
        env = "MEDIA_HUB_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 64
    )]
    pub max_connections_per_client: usize,
    /// Uploads one client address may start per minute (a token bucket; 0: no limit).
    #[arg(long, env = "MEDIA_HUB_UPLOADS_PER_MINUTE", default_value_t = 60.0)]
    pub uploads_per_minute: f64,
    /// Uploads one client address may start at once before the per-minute rate applies.
    #[arg(long, env = "MEDIA_HUB_UPLOAD_BURST", default_value_t = 30.0)]
    pub upload_burst: f64,
    /// Tests only: inject faults into the local blob and record stores, as JSON
    /// `{"blobs": PLAN, "records": PLAN, "decoderPanic": bool}` (see `local::faults`).
    #[arg(long, env = "MEDIA_HUB_FAULT_PLAN", hide = true)]
    pub fault_plan: Option<String>,
    /// How often the reconcile sweep runs while serving, in seconds (it also runs at start).
    #[arg(long, env = "MEDIA_HUB_RECONCILE_EVERY_SECS", default_value_t = 300)]
    pub reconcile_every_secs: u64,
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
        Backend::Local => match &args.fault_plan {
            None => args.stack.open(),
            Some(plan) => {
                let faults: local::faults::StoreFaults =
                    serde_json::from_str(plan).context("--fault-plan")?;
                tracing::warn!(?faults, "fault injection is on (a test configuration)");
                let (stack, _, _) = local::LocalStack::open_with_faults(
                    &args.stack.data_dir(),
                    args.stack.settings()?,
                    args.stack.definition.as_deref(),
                    &faults,
                )
                .context("opening the local stack")?;
                Ok(stack)
            }
        },
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

fn conn_limits(args: &Args) -> anyhow::Result<crate::http_server::ConnLimits> {
    let secs = |v: f64, flag: &str| -> anyhow::Result<std::time::Duration> {
        anyhow::ensure!(v.is_finite() && v > 0.0, "{flag} must be positive");
        Ok(std::time::Duration::from_secs_f64(v))
    };
    anyhow::ensure!(
        args.max_connections_per_client > 0,
        "--max-connections-per-client must be at least 1"
    );
    Ok(crate::http_server::ConnLimits {
        header_timeout: secs(args.header_timeout_secs, "--header-timeout-secs")?,
        idle_timeout: secs(args.idle_timeout_secs, "--idle-timeout-secs")?,
        max_per_client: args.max_connections_per_client,
    })
}

/// Who may use the admin routes, or why `serve` must not start.
pub fn admin_access(args: &Args) -> anyhow::Result<api::auth::AdminAccess> {
    use api::auth::AdminAccess;
    match AdminAccess::from_token(args.admin_token.as_deref()) {
        AdminAccess::Open if !args.addr.ip().is_loopback() => {
            anyhow::ensure!(
                args.public,
                "refusing to serve on {} without an admin token: set --admin-token (or \
                 MEDIA_HUB_ADMIN_TOKEN), or pass --public to turn the admin pages off",
                args.addr
            );
            tracing::warn!(
                "--public without an admin token: the console and admin actions are off"
            );
            Ok(AdminAccess::Disabled)
        }
        access => Ok(access),
    }
}

/// The crash sweep (`pipeline::reconcile`): once before listening, with nothing in flight,
/// then every `--reconcile-every-secs` with a grace period for work in flight.
async fn reconcile_at_start(intake: &pipeline::intake::Intake) -> anyhow::Result<()> {
    let ttl = std::time::Duration::from_secs(intake.settings.incoming_ttl_secs);
    let report = intake
        .reconcile(&pipeline::reconcile::ReconcileOptions::at_start(ttl))
        .await
        .context("the reconcile sweep at start")?;
    if report.restarted > 0 {
        tracing::info!(
            restarted = report.restarted,
            "uploads left PROCESSING by a stop were started again"
        );
    }
    Ok(())
}

fn spawn_reconcile(intake: pipeline::intake::Intake, args: &Args) {
    let every = std::time::Duration::from_secs(args.reconcile_every_secs.max(1));
    let ttl = std::time::Duration::from_secs(intake.settings.incoming_ttl_secs);
    let opts = pipeline::reconcile::ReconcileOptions::while_running(ttl);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = intake.reconcile(&opts).await {
                tracing::warn!(error = %e, "reconcile sweep failed; it runs again later");
            }
        }
    });
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let admin = admin_access(&args)?;
    let stack = open_stack(&args).await?;
    reconcile_at_start(&stack.intake).await?;
    tracing::info!(data_dir = %stack.data_dir.display(), definition = %stack.workflow.source(), "local stack ready");

    let state = api::AppState {
        intake: stack.intake.clone(),
        executions: Some(Arc::new(local::LocalStarter(stack.workflow.clone()))
            as Arc<dyn pipeline::ExecutionLog>),
        admin,
    };
    let mut app = api::router(state);
    if args.uploads_per_minute > 0.0 {
        app = api::with_upload_limit(
            app,
            api::ratelimit::RateLimit {
                per_minute: args.uploads_per_minute,
                burst: args.upload_burst.max(1.0),
            },
        );
    }
    let limits = conn_limits(&args)?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let local = listener.local_addr()?;
    // The first line on stdout says where to go (tests read it to find an ephemeral port).
    println!("media-hub listening on http://{local}");

    spawn_reconcile(stack.intake.clone(), &args);

    crate::http_server::serve(listener, app, limits, shutdown_signal())
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
