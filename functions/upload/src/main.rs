//! The `upload` Lambda: wiring only. The S3, DynamoDB and Step Functions adapters from the
//! environment (`MEDIA_BUCKET`, `REELS_TABLE`, `STATE_MACHINE_ARN`, limits) behind the same
//! axum router `media-hub serve` runs, served to API Gateway (HTTP API, payload 2.0).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    aws::lambda::init_tracing();
    let backend = aws::AwsBackend::from_env().await?;
    let workflow = backend
        .workflow
        .clone()
        .ok_or(aws::ConfigError::Missing(aws::config::ENV_STATE_MACHINE))?;
    let intake = backend.intake(workflow)?;
    let app = api::router(api::AppState {
        intake,
        executions: None,
    });
    lambda_http::run(app).await
}
