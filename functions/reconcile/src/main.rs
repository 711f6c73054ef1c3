//! The `reconcile` Lambda: wiring only. EventBridge Scheduler invokes it every few minutes
//! (template.yaml's `ReconcileEveryMinutes`); it starts again every PROCESSING reel older
//! than `RESTART_AFTER_MINUTES` that no live execution runs (`Intake::restart_processing`,
//! the reconcile sweep's restart: on Step Functions a new `{id}-rN` execution, which the record then names), so an upload
//! whose StartExecution failed after its record was written does not stay PROCESSING.
//! Its answer is `{"restarted": n}`.

use std::sync::Arc;
use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::init_tracing();
    let backend = aws::AwsBackend::from_env().await?;
    let workflow = backend
        .workflow
        .clone()
        .ok_or(aws::ConfigError::Missing(aws::config::ENV_STATE_MACHINE))?;
    let intake = Arc::new(backend.intake(workflow)?);
    let minutes: u64 = std::env::var("RESTART_AFTER_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(15);
    let older_than = Duration::from_secs(minutes * 60);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let intake = intake.clone();
        async move {
            let restarted = intake
                .restart_processing(older_than)
                .await
                .map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
            Ok::<Value, lambda_runtime::Error>(json!({ "restarted": restarted }))
        }
    }))
    .await
}
