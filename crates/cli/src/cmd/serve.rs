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
    #[command(flatten)]
    pub stack: StackArgs,
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let stack = args.stack.open()?;
    tracing::info!(data_dir = %stack.data_dir.display(), definition = %stack.workflow.source(), "local stack ready");

    let state = api::AppState {
        intake: stack.intake.clone(),
        executions: Some(stack.workflow.clone() as Arc<dyn pipeline::ExecutionLog>),
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
