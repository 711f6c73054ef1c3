//! The `commit-record` Lambda: wiring only. Builds the S3 and DynamoDB adapters from the
//! environment (`MEDIA_BUCKET`, `REELS_TABLE`, limits) and hands each Step Functions
//! payload to `Pipeline::dispatch(Task::CommitRecord, ..)`. A failure reaches Step Functions
//! as the Lambda errorType of DESIGN.md (`TaskError.name`).

use std::sync::Arc;

use aws::lambda::LambdaError;
use lambda_runtime::{service_fn, LambdaEvent};
use pipeline::{Pipeline, Task};
use serde_json::Value;

const TASK: Task = Task::CommitRecord;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::init_tracing();
    let backend = aws::AwsBackend::from_env().await?;
    let settings = aws::config::settings_from_env()?;
    let pipeline = Arc::new(Pipeline::new(backend.blobs, backend.records, settings));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let pipeline = pipeline.clone();
        async move {
            pipeline
                .dispatch(TASK, event.payload)
                .await
                .map_err(LambdaError::from)
        }
    }))
    .await
}
