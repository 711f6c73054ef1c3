//! The `object-created` Lambda: wiring only. An S3 Object Created event (EventBridge or
//! notification) for `incoming/{id}/file`, a presigned-POST upload, completes that upload
//! and starts its execution (see `aws::events`).

use std::sync::Arc;

use aws::events::ObjectCreated;
use aws::lambda::LambdaError;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::init_tracing();
    let backend = aws::AwsBackend::from_env().await?;
    let workflow = backend
        .workflow
        .clone()
        .ok_or(aws::ConfigError::Missing(aws::config::ENV_STATE_MACHINE))?;
    let handler = Arc::new(ObjectCreated {
        intake: backend.intake(workflow)?,
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move {
            handler
                .handle(event.payload)
                .await
                .map_err(LambdaError::from)
        }
    }))
    .await
}
