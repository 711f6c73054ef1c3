//! Glue the Lambda binaries under `functions/` share: a task error becomes the Lambda
//! `errorType`/`errorMessage` pair, so the state machine's `ErrorEquals` sees docs/design.md's
//! names (`UnsupportedMediaType`, `StorageUnavailable` ...).

use lambda_runtime::Diagnostic;
use pipeline::TaskError;

/// A task failure on its way out of a Lambda handler.
#[derive(Debug)]
pub struct LambdaError(pub TaskError);

impl From<TaskError> for LambdaError {
    fn from(e: TaskError) -> Self {
        LambdaError(e)
    }
}

impl From<LambdaError> for Diagnostic {
    fn from(e: LambdaError) -> Self {
        tracing::warn!(error_type = e.0.name.as_str(), message = %e.0.message, "task failed");
        Diagnostic {
            error_type: e.0.name.as_str().to_owned(),
            error_message: e.0.message,
        }
    }
}

/// The pipeline over S3 and DynamoDB, with the settings of the function's environment.
async fn pipeline_from_env() -> Result<std::sync::Arc<pipeline::Pipeline>, lambda_runtime::Error> {
    let backend = crate::AwsBackend::from_env().await?;
    let settings = crate::config::settings_from_env()?;
    Ok(std::sync::Arc::new(pipeline::Pipeline::new(
        backend.blobs,
        backend.records,
        settings,
    )))
}

/// The whole life of a task function: logs, adapters from the environment, then every
/// Step Functions payload handed to `Pipeline::dispatch(task, ..)` until the runtime stops.
pub async fn run_task(task: pipeline::Task) -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let pipeline = pipeline_from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let pipeline = pipeline.clone();
            async move {
                let started = std::time::Instant::now();
                let reel_id = event.payload["id"].as_str().unwrap_or_default().to_owned();
                let result = pipeline.dispatch(task, event.payload).await;
                // one line per task: the reel, the Lambda request, how long, how it ended
                tracing::info!(
                    task = task.function_name(),
                    reel_id = %reel_id,
                    request_id = %event.context.request_id,
                    duration_ms = started.elapsed().as_millis() as u64,
                    outcome = result.as_ref().map_or_else(|e| e.name.as_str(), |_| "ok"),
                    "task"
                );
                result.map_err(LambdaError::from)
            }
        },
    ))
    .await
}

/// The life of the backfill function: each item of the backfill's distributed Map
/// (`{"Key": "raw/{id}/…"}` or `{"id": …}`) handed to `Pipeline::backfill_reel`.
pub async fn run_backfill() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let pipeline = pipeline_from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let pipeline = pipeline.clone();
            async move {
                let started = std::time::Instant::now();
                let result = backfill_item(&pipeline, event.payload).await;
                tracing::info!(
                    task = "backfill-reel",
                    reel_id = %result.as_ref().map(|o| o.id.as_str()).unwrap_or_default(),
                    request_id = %event.context.request_id,
                    duration_ms = started.elapsed().as_millis() as u64,
                    outcome = result.as_ref().map_or_else(|e| e.name.as_str(), |_| "ok"),
                    "task"
                );
                result.map_err(LambdaError::from)
            }
        },
    ))
    .await
}

/// One backfill item from its Step Functions payload.
pub async fn backfill_item(
    pipeline: &pipeline::Pipeline,
    payload: serde_json::Value,
) -> Result<pipeline::backfill::BackfillOutput, TaskError> {
    let item: pipeline::backfill::BackfillItem = serde_json::from_value(payload).map_err(|e| {
        TaskError::new(pipeline::ErrorName::InvalidPayload, format!("payload: {e}"))
    })?;
    pipeline.backfill_reel(item).await
}

/// Structured logs as the Lambda runtime expects them (`AWS_LAMBDA_LOG_FORMAT`,
/// `AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`).
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::ErrorName;

    #[test]
    fn error_type_is_the_design_name() {
        let d: Diagnostic =
            LambdaError(TaskError::new(ErrorName::CorruptMedia, "truncated JPEG")).into();
        assert_eq!(d.error_type, "CorruptMedia");
        assert_eq!(d.error_message, "truncated JPEG");
    }
}
