//! `media-hub invoke FUNCTION --event FILE`: run one function's handler in-process on an
//! event as AWS would deliver it, and report what the Lambda would answer: its response,
//! or `{"errorType", "errorMessage"}`. The caller builds the ports (local or AWS); this
//! module only dispatches, so the CLI and the tests share it.

use lambda_http::request::LambdaRequest;
use lambda_http::{Context, IntoResponse, LambdaEvent, Service};
use pipeline::{Pipeline, Task};
use serde::Serialize;
use serde_json::{json, Value};

use crate::events::ObjectCreated;

/// The functions of `functions/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// the HTTP API (API Gateway v2 events)
    Upload,
    /// S3 Object Created (notification or EventBridge): start the execution of a direct upload
    ObjectCreated,
    /// a state machine task (Step Functions payloads)
    Task(Task),
}

impl Function {
    pub fn parse(name: &str) -> Option<Function> {
        match name {
            "upload" => Some(Function::Upload),
            "object-created" => Some(Function::ObjectCreated),
            other => Task::from_function_name(other).map(Function::Task),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Upload => "upload",
            Function::ObjectCreated => "object-created",
            Function::Task(t) => t.function_name(),
        }
    }

    pub fn all() -> Vec<Function> {
        let mut all = vec![Function::Upload, Function::ObjectCreated];
        all.extend(Task::ALL.into_iter().map(Function::Task));
        all
    }
}

/// What a Lambda invocation answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Response(Value),
    Error {
        #[serde(rename = "errorType")]
        error_type: String,
        #[serde(rename = "errorMessage")]
        error_message: String,
    },
}

impl Outcome {
    pub fn error(error_type: impl Into<String>, message: impl Into<String>) -> Outcome {
        Outcome::Error {
            error_type: error_type.into(),
            error_message: message.into(),
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Response(_))
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(
            |e| json!({ "errorType": "Serialization", "errorMessage": e.to_string() }),
        )
    }

    /// The response, or the error type as an `Err`.
    pub fn response(&self) -> Result<&Value, &str> {
        match self {
            Outcome::Response(v) => Ok(v),
            Outcome::Error { error_type, .. } => Err(error_type),
        }
    }
}

/// A task function: the payload goes to `Pipeline::dispatch`, as the Lambda does.
pub async fn invoke_task(pipeline: &Pipeline, task: Task, event: Value) -> Outcome {
    match pipeline.dispatch(task, event).await {
        Ok(v) => Outcome::Response(v),
        Err(e) => Outcome::error(e.name.as_str(), e.message),
    }
}

/// The HTTP function: an API Gateway (v2) event through `service` exactly as
/// `lambda_http::run` passes it, and the API Gateway response it would return.
pub async fn invoke_http<S, R, E>(service: S, event: Value) -> Outcome
where
    S: Service<lambda_http::Request, Response = R, Error = E> + Send,
    S::Future: Send + 'static,
    R: IntoResponse,
    E: std::fmt::Display,
{
    let request: LambdaRequest = match serde_json::from_value(event) {
        Ok(r) => r,
        Err(e) => return Outcome::error("InvalidEvent", format!("not an HTTP API event: {e}")),
    };
    let mut adapter = lambda_http::Adapter::from(service);
    if let Err(e) = std::future::poll_fn(|cx| adapter.poll_ready(cx)).await {
        return Outcome::error("HandlerError", e.to_string());
    }
    let answer = adapter
        .call(LambdaEvent::new(request, Context::default()))
        .await;
    match answer {
        Ok(response) => match serde_json::to_value(&response) {
            Ok(v) => Outcome::Response(v),
            Err(e) => Outcome::error("Serialization", e.to_string()),
        },
        Err(e) => Outcome::error("HandlerError", e.to_string()),
    }
}

/// The object-created function over its handler.
pub async fn invoke_object_created(handler: &ObjectCreated, event: Value) -> Outcome {
    match handler.handle(event).await {
        Ok(v) => Outcome::Response(v),
        Err(e) => Outcome::error(e.name.as_str(), e.message),
    }
}
