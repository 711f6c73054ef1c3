//! Amazon States Language interpreter. Runs any ASL definition the way AWS Step Functions
//! does and records the execution history with AWS's event names and numbering. Knows
//! nothing about media: Task states call a [`TaskInvoker`] supplied by the embedder.
//!
//! PUBLIC CONTRACT (used by `local` and `cli`; keep these names and shapes stable):
//! - [`Definition::parse`] validates a definition (AWS's error texts) before anything runs.
//! - [`execute`] runs one execution to its end, calling tasks through [`TaskInvoker`] and
//!   reporting every history event to a [`HistorySink`] as it happens.
//!
//! Modules: `definition` (parse + validate), `path` (Jayway JSONPath, reference paths),
//! `intrinsics`, `template` (Parameters/Arguments/Output/Assign), `choice`, `executor`,
//! `jsonata_state`, `retry`, `map` (Map + Parallel), `history`, `clock`, `runner`
//! (`sfn run` results and mocks), `bench`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

pub mod bench;
pub mod choice;
pub mod clock;
pub mod definition;
pub mod error;
pub mod executor;
pub mod history;
pub mod intrinsics;
pub mod jsonata_state;
pub mod map;
pub mod path;
pub mod retry;
pub mod runner;
pub mod template;

pub use clock::{Clock, FakeClock, SystemClock};
pub use error::Failure;

/// A parsed, validated state machine definition.
#[derive(Debug, Clone)]
pub struct Definition {
    root: Arc<definition::Machine>,
    source: Arc<Value>,
}

/// Why a definition is invalid; the message names the state and field.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{message}")]
pub struct DefinitionError {
    pub message: String,
}

impl Definition {
    /// Parse and statically validate an ASL definition (JSON text).
    pub fn parse(json: &str) -> Result<Definition, DefinitionError> {
        let v: Value = serde_json::from_str(json).map_err(|e| DefinitionError {
            message: format!(
                "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The definition is not valid JSON: {e}'"
            ),
        })?;
        Definition::from_value(v)
    }

    /// Same as [`Definition::parse`] for an already parsed JSON value.
    pub fn from_value(v: Value) -> Result<Definition, DefinitionError> {
        let top_jsonata = match v.get("QueryLanguage") {
            None => false,
            Some(Value::String(s)) if s == "JSONata" => true,
            Some(Value::String(s)) if s == "JSONPath" => false,
            Some(_) => {
                return Err(DefinitionError {
                    message: definition::validate::message(&[
                        "SCHEMA_VALIDATION_FAILED: QueryLanguage must be JSONPath or JSONata at /QueryLanguage".into(),
                    ]),
                })
            }
        };
        let mut cx = definition::parse::Ctx {
            errors: Vec::new(),
            top_jsonata,
        };
        let m = definition::parse::machine(&mut cx, &v, "");
        match m {
            Some(m) if cx.errors.is_empty() => Ok(Definition {
                root: Arc::new(m),
                source: Arc::new(v),
            }),
            _ => {
                if cx.errors.is_empty() {
                    cx.errors
                        .push("SCHEMA_VALIDATION_FAILED: invalid definition at /".into());
                }
                Err(DefinitionError {
                    message: definition::validate::message(&cx.errors),
                })
            }
        }
    }

    /// Every Task `Resource` string in the definition (nested Parallel/Map included).
    pub fn task_resources(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.visit_resources(&mut out);
        out
    }

    /// The definition as JSON.
    pub fn source(&self) -> &Value {
        &self.source
    }
}

/// What a Task state hands to the embedder.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// the Task's `Resource`, e.g. `arn:aws:states:::lambda:invoke`
    pub resource: String,
    pub state_name: String,
    /// the effective input after InputPath and Parameters/Arguments
    pub input: Value,
    /// `TimeoutSeconds` of the state, if any
    pub timeout_seconds: Option<u64>,
}

/// A failed task: `error` is matched by `ErrorEquals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

/// Calls the code behind Task states.
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    /// The result of the task (before ResultSelector/ResultPath), or its failure.
    /// An unknown resource should fail the way AWS does for it.
    async fn invoke(&self, request: TaskRequest) -> Result<Value, TaskFailure>;
}

/// One history event, named and numbered as AWS does (`ExecutionStarted` is id 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    /// RFC 3339
    pub timestamp: String,
    /// AWS's event type, e.g. `TaskStateEntered`
    #[serde(rename = "type")]
    pub event_type: String,
    /// AWS's `...EventDetails` object for this event type (name, input, output, error, cause ...)
    pub details: Value,
}

/// Receives history events as they happen (to persist or display them).
pub trait HistorySink: Send + Sync {
    fn record(&self, event: &HistoryEvent);

    /// Whether this sink wants events at all; when false the engine only counts ids
    /// (the numbering stays exact) and builds no event details.
    fn wants_events(&self) -> bool {
        true
    }

    /// Whether events need their details and timestamp; a compact sink (counting,
    /// streaming ids and types) returns false and gets `details: null`, `timestamp: ""`.
    fn wants_details(&self) -> bool {
        true
    }
}

/// A sink that keeps nothing.
pub struct NoHistory;
impl HistorySink for NoHistory {
    fn record(&self, _event: &HistoryEvent) {}
    fn wants_events(&self) -> bool {
        false
    }
}

/// Names for the context object (`$$.Execution...`, `$$.StateMachine...`).
#[derive(Debug, Clone, Default)]
pub struct ExecutionOptions {
    pub name: String,
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionOutcome {
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// Run one execution to its end.
pub async fn execute(
    definition: &Definition,
    input: Value,
    options: &ExecutionOptions,
    tasks: &dyn TaskInvoker,
    history: &dyn HistorySink,
) -> ExecutionOutcome {
    execute_with_clock(definition, input, options, tasks, history, &SystemClock).await
}

/// [`execute`] with an explicit clock (a [`FakeClock`] makes Wait/Retry/timeouts instant).
pub async fn execute_with_clock(
    definition: &Definition,
    input: Value,
    options: &ExecutionOptions,
    tasks: &dyn TaskInvoker,
    history: &dyn HistorySink,
    clock: &dyn Clock,
) -> ExecutionOutcome {
    use serde_json::json;
    let sm_name = if options.state_machine_name.is_empty() {
        "StateMachine".to_string()
    } else {
        options.state_machine_name.clone()
    };
    let name = if options.name.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        options.name.clone()
    };
    let sm_id = if options.state_machine_arn.is_empty() {
        format!("arn:aws:states:us-east-1:123456789012:stateMachine:{sm_name}")
    } else {
        options.state_machine_arn.clone()
    };
    let id = if options.execution_arn.is_empty() {
        format!("arn:aws:states:us-east-1:123456789012:execution:{sm_name}:{name}")
    } else {
        options.execution_arn.clone()
    };
    let role_arn = if options.role_arn.is_empty() {
        "arn:aws:iam::123456789012:role/StepFunctionsRole".to_string()
    } else {
        options.role_arn.clone()
    };
    let start_time = clock::rfc3339(clock.now());
    let ex = executor::Exec {
        tasks,
        rec: history::Recorder::new(history, clock),
        clock,
        info: executor::ExecInfo {
            id,
            name,
            role_arn: role_arn.clone(),
            sm_id: sm_id.clone(),
            sm_name,
            input: input.clone(),
            start_time,
        },
    };
    let mut prev = 0u64;
    ex.rec.emit(&mut prev, "ExecutionStarted", || {
        json!({"input": input.to_string(), "inputDetails": {"truncated": false}, "roleArn": role_arn, "stateMachineArn": sm_id})
    });
    // AWS gives the first state's event previousEventId 0
    prev = 0;
    let mut vars = executor::Vars::default();
    let machine = &definition.root;
    let run = ex.run_machine(machine, input, &mut vars, &mut prev);
    let result = match machine.timeout_seconds {
        Some(t) => {
            tokio::select! {
                r = run => Some(r),
                _ = clock.sleep(clock::secs(t)) => None,
            }
        }
        None => Some(run.await),
    };
    let mut prev = ex.rec.last_id();
    match result {
        Some(Ok(out)) => {
            ex.rec.emit(
                &mut prev,
                "ExecutionSucceeded",
                || json!({"output": out.to_string(), "outputDetails": {"truncated": false}}),
            );
            ExecutionOutcome {
                status: ExecutionStatus::Succeeded,
                output: Some(out),
                error: None,
                cause: None,
            }
        }
        Some(Err(f)) => {
            ex.rec.emit(
                &mut prev,
                "ExecutionFailed",
                || json!({"error": f.error, "cause": f.cause}),
            );
            ExecutionOutcome {
                status: ExecutionStatus::Failed,
                output: None,
                error: if f.error.is_empty() {
                    None
                } else {
                    Some(f.error)
                },
                cause: f.cause,
            }
        }
        None => {
            ex.rec.emit(
                &mut prev,
                "ExecutionTimedOut",
                || json!({"error": "States.Timeout"}),
            );
            ExecutionOutcome {
                status: ExecutionStatus::TimedOut,
                output: None,
                error: Some("States.Timeout".into()),
                cause: None,
            }
        }
    }
}
