//! The `upload` Lambda: wiring only. The S3, DynamoDB and Step Functions adapters from the
//! environment (`MEDIA_BUCKET`, `REELS_TABLE`, `STATE_MACHINE_ARN`, limits) behind the same
//! axum router `media-hub serve` runs, served to API Gateway (HTTP API, payload 2.0). The
//! console pages read the executions from Step Functions; with `BACKFILL_STATE_MACHINE_ARN`
//! the console's Backfill button starts that state machine and shows its runs.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::lambda::init_tracing();
    let backend = aws::AwsBackend::from_env().await?;
    let missing = aws::ConfigError::Missing(aws::config::ENV_STATE_MACHINE);
    let workflow = backend.workflow.clone().ok_or(missing.clone())?;
    let executions = backend.executions.clone().ok_or(missing)?;
    let intake = backend.intake(workflow)?;
    let app = api::router(api::AppState {
        intake,
        executions: Some(executions),
        admin: api::auth::AdminAccess::from_token(
            std::env::var("MEDIA_HUB_ADMIN_TOKEN").ok().as_deref(),
        ),
    });
    lambda_http::run(app).await
}
