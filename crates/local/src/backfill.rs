//! The backfill run locally: `statemachine/backfill.asl.json` (or its built-in copy) on the
//! interpreter, its distributed Map reading and writing the blob store under the local
//! bucket name, each item served in-process by `Pipeline::backfill_reel`. Progress is
//! reported per reel as it ends.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use pipeline::backfill::BackfillItem;
use pipeline::Pipeline;
use serde_json::{json, Value};
use states::{TaskFailure, TaskInvoker, TaskRequest};

use crate::definition::substitute_placeholders;
use crate::invoker::LambdaInvoker;
use crate::objects::{BlobObjects, LOCAL_BUCKET};
use crate::workflow::WorkflowError;

/// The repository's `statemachine/backfill.asl.json`, built in.
pub const EMBEDDED_BACKFILL: &str = include_str!("../../../statemachine/backfill.asl.json");

/// The local ARN of the backfill function (what `${BackfillReelFunctionArn}` becomes).
pub const BACKFILL_FUNCTION_ARN: &str =
    "arn:aws:lambda:local:000000000000:function:media-hub-backfill-reel";

/// Reels done and failed so far.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicUsize,
    pub failed: AtomicUsize,
}

/// Serves the backfill function in-process and any other Task as the local workflow does.
struct BackfillInvoker {
    pipeline: Pipeline,
    lambda: LambdaInvoker,
    progress: Arc<Progress>,
    report: Box<dyn Fn(&Progress) + Send + Sync>,
}

#[async_trait]
impl TaskInvoker for BackfillInvoker {
    async fn invoke(&self, request: TaskRequest) -> Result<Value, TaskFailure> {
        let function = request.input.get("FunctionName").and_then(Value::as_str);
        if function != Some(BACKFILL_FUNCTION_ARN) {
            return self.lambda.invoke(request).await;
        }
        let payload = request.input.get("Payload").cloned().unwrap_or(Value::Null);
        let result = match serde_json::from_value::<BackfillItem>(payload) {
            Ok(item) => self.pipeline.backfill_reel(item).await,
            Err(e) => Err(pipeline::TaskError::new(
                pipeline::ErrorName::InvalidPayload,
                format!("payload: {e}"),
            )),
        };
        let counter = match &result {
            Ok(_) => &self.progress.done,
            Err(_) => &self.progress.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (self.report)(&self.progress);
        match result {
            Ok(out) => Ok(json!({"Payload": out, "StatusCode": 200})),
            Err(e) => Err(TaskFailure {
                error: e.name.as_str().to_owned(),
                cause:
                    json!({"errorMessage": e.message, "errorType": e.name.as_str(), "trace": []})
                        .to_string(),
            }),
        }
    }
}

/// Run the backfill over the `raw/` listing, or over the JSON manifest at `manifest_key`
/// (`[{"id": ...}]` in the blob store); `report` sees the progress after each reel.
pub async fn run(
    pipeline: Pipeline,
    definition_text: Option<&str>,
    manifest_key: Option<&str>,
    report: impl Fn(&Progress) + Send + Sync + 'static,
) -> Result<(states::ExecutionOutcome, Arc<Progress>), WorkflowError> {
    let definition = parse(definition_text)?;
    let options = states::ExecutionOptions {
        name: format!("backfill-{}", uuid::Uuid::now_v7()),
        state_machine_name: "media-backfill".into(),
        state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:media-backfill".into(),
        ..Default::default()
    };
    Ok(run_parsed(
        &definition,
        pipeline,
        manifest_key,
        report,
        &states::NoHistory,
        options,
        None,
    )
    .await)
}

/// The backfill definition filled with the local bucket and function.
fn filled(definition_text: Option<&str>) -> Result<String, WorkflowError> {
    let text = definition_text.unwrap_or(EMBEDDED_BACKFILL);
    let values: BTreeMap<String, String> = [
        ("MediaBucketName".to_owned(), LOCAL_BUCKET.to_owned()),
        (
            "BackfillReelFunctionArn".to_owned(),
            BACKFILL_FUNCTION_ARN.to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    Ok(substitute_placeholders(text, &values)?)
}

/// Parse the filled backfill definition.
pub fn parse(definition_text: Option<&str>) -> Result<states::Definition, WorkflowError> {
    states::Definition::parse(&filled(definition_text)?).map_err(|error| WorkflowError::Invalid {
        source_name: "backfill.asl.json".into(),
        error,
    })
}

/// The filled backfill definition as JSON (the console draws its graph).
pub fn definition_json(definition_text: Option<&str>) -> Result<Value, WorkflowError> {
    let text = filled(definition_text)?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Run a parsed backfill definition, its history to `history`, until it ends or `stop`
/// fires.
pub async fn run_parsed(
    definition: &states::Definition,
    pipeline: Pipeline,
    manifest_key: Option<&str>,
    report: impl Fn(&Progress) + Send + Sync + 'static,
    history: &dyn states::HistorySink,
    options: states::ExecutionOptions,
    stop: Option<futures_util::future::BoxFuture<'static, states::StopRequest>>,
) -> (states::ExecutionOutcome, Arc<Progress>) {
    let progress = Arc::new(Progress::default());
    let invoker = BackfillInvoker {
        pipeline: pipeline.clone(),
        lambda: LambdaInvoker::new(pipeline.clone()),
        progress: progress.clone(),
        report: Box::new(report),
    };
    let services = states::Services {
        objects: Some(Arc::new(BlobObjects::new(
            pipeline.blobs.clone(),
            LOCAL_BUCKET,
        ))),
        ..Default::default()
    };
    let input = match manifest_key {
        Some(k) => json!({"manifestKey": k}),
        None => json!({}),
    };
    let control = states::RunControl {
        services,
        redrive: None,
        stop,
    };
    let outcome = states::execute_controlled(
        definition,
        input,
        &options,
        &invoker,
        history,
        &states::SystemClock,
        control,
    )
    .await;
    (outcome, progress)
}
