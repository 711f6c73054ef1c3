//! Task states of the local interpreter, served in-process: `arn:aws:states:::lambda:invoke`
//! with a `FunctionName` of one of our functions calls that function's handler and answers
//! in the shape Step Functions' Lambda integration does (`{"Payload": ..., "StatusCode": 200}`);
//! a handler error becomes the task error named by its `errorType`.

use async_trait::async_trait;
use pipeline::{Pipeline, Task};
use serde_json::{json, Value};
use states::{Admission, TaskFailure, TaskInvoker, TaskRequest};

pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// The local ARN of a function (what `${...FunctionArn}` becomes locally).
pub fn local_function_arn(task: Task) -> String {
    format!(
        "arn:aws:lambda:local:000000000000:function:media-hub-{}",
        task.function_name()
    )
}

pub struct LambdaInvoker {
    pipeline: Pipeline,
}

impl LambdaInvoker {
    pub fn new(pipeline: Pipeline) -> Self {
        LambdaInvoker { pipeline }
    }

    async fn call(&self, function: &str, payload: Value) -> Result<Value, TaskFailure> {
        let Some(task) = Task::from_function_ref(function) else {
            return Err(TaskFailure {
                error: "Lambda.ResourceNotFoundException".into(),
                cause: format!("Function not found: {function}"),
            });
        };
        self.pipeline
            .dispatch(task, payload)
            .await
            .map_err(|e| TaskFailure {
                error: e.name.as_str().to_owned(),
                cause:
                    json!({ "errorMessage": e.message, "errorType": e.name.as_str(), "trace": [] })
                        .to_string(),
            })
    }
}

/// The function a `lambda:invoke` request names, if it is one of ours.
fn task_of(request: &TaskRequest) -> Option<Task> {
    let function = if request.resource.starts_with(LAMBDA_INVOKE) {
        request.input.get("FunctionName").and_then(Value::as_str)?
    } else {
        request.resource.as_str()
    };
    Task::from_function_ref(function)
}

#[async_trait]
impl TaskInvoker for LambdaInvoker {
    /// A task that decodes waits here for room in the decode budget, before it starts (so
    /// its TimeoutSeconds does not run while it queues behind other uploads' decodes).
    async fn admit(&self, request: &TaskRequest) -> Admission {
        match task_of(request) {
            Some(task) if task.decodes() => match self.pipeline.budget.admit().await {
                Some(permit) => Admission::held(permit),
                None => Admission::immediate(),
            },
            _ => Admission::immediate(),
        }
    }

    async fn invoke(&self, request: TaskRequest) -> Result<Value, TaskFailure> {
        if request.resource == LAMBDA_INVOKE
            || request.resource == format!("{LAMBDA_INVOKE}.waitForTaskToken")
        {
            let function = request
                .input
                .get("FunctionName")
                .and_then(Value::as_str)
                .ok_or_else(|| TaskFailure {
                    error: "States.Runtime".into(),
                    cause: format!(
                        "The state {} passed no FunctionName to lambda:invoke",
                        request.state_name
                    ),
                })?;
            let payload = request.input.get("Payload").cloned().unwrap_or(Value::Null);
            let out = self.call(function, payload).await?;
            return Ok(json!({
                "ExecutedVersion": "$LATEST",
                "Payload": out,
                "SdkHttpMetadata": { "HttpStatusCode": 200 },
                "StatusCode": 200
            }));
        }
        if request.resource.starts_with("arn:aws:lambda:") {
            // The older form: the function ARN as the resource, the input as the payload.
            return self.call(&request.resource, request.input).await;
        }
        // what AWS answers for a resource it does not serve
        Err(TaskFailure {
            error: "States.Runtime".into(),
            cause: states::definition::resource::not_recognized(&request.resource),
        })
    }
}
