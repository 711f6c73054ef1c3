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
//! `jsonata_state`, `retry`, `map` (inline Map + Parallel), `map_run` (distributed Map),
//! `callback` (task tokens), `nested` (startExecution.sync), `storage` (the object store
//! port), `history`, `clock`. This crate is the library only: `sfn run`'s argument words,
//! task stubs and mocks, and the benchmark are `crates/states-cli`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

pub mod callback;
pub mod choice;
pub mod clock;
pub mod definition;
pub mod error;
pub mod executor;
pub mod history;
pub mod intrinsics;
pub mod jsonata_state;
pub mod map;
pub mod map_run;
pub mod nested;
pub mod path;
pub mod retry;
pub mod storage;
pub mod template;

pub use callback::{CallbackError, TaskTokens};
pub use clock::{Clock, FakeClock, ScaledClock, SystemClock};
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

/// One finding of a validation, as `ValidateStateMachineDefinition` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// e.g. `SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`
    pub code: String,
    pub message: String,
    /// the JSON pointer of the field, when the message names one (`/States/A/Next`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl DefinitionError {
    /// The findings in the message (`'CODE: text at /path'`, comma separated).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let body = self
            .message
            .strip_prefix("Invalid State Machine Definition: ")
            .unwrap_or(&self.message);
        let body = body.strip_prefix('\'').unwrap_or(body);
        let body = body.strip_suffix('\'').unwrap_or(body);
        body.split("', '")
            .map(|item| {
                let (code, text) = match item.split_once(": ") {
                    Some((c, t))
                        if !c.is_empty()
                            && c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_') =>
                    {
                        (c.to_owned(), t.to_owned())
                    }
                    _ => ("SCHEMA_VALIDATION_FAILED".to_owned(), item.to_owned()),
                };
                let location = text.rsplit_once(" at /").map(|(_, at)| format!("/{at}"));
                Diagnostic {
                    code,
                    message: text,
                    location,
                }
            })
            .collect()
    }
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
    /// the token of a `.waitForTaskToken` task (`$$.Task.Token`): the task's result is what
    /// `SendTaskSuccess`/`SendTaskFailure` sends for it, not what `invoke` returns
    pub task_token: Option<String>,
}

/// A failed task: `error` is matched by `ErrorEquals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

/// Room for one task in a runner with bounded workers, held until the task ends.
pub struct Admission {
    /// dropped when the task ends: that gives the room back
    _held: Option<Box<dyn std::any::Any + Send>>,
}

impl Admission {
    /// Room at once, nothing to hold.
    pub fn immediate() -> Self {
        Admission { _held: None }
    }

    /// Room held by `guard` (e.g. a semaphore permit) until the task ends.
    pub fn held(guard: impl std::any::Any + Send) -> Self {
        Admission {
            _held: Some(Box::new(guard)),
        }
    }
}

/// Calls the code behind Task states.
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Waits until the runner has room for this task. Awaited after `TaskScheduled` and
    /// before `TaskStarted`: a runner with bounded workers queues tasks here, and
    /// `TimeoutSeconds` / `HeartbeatSeconds` count from the start, as a Lambda function's
    /// timeout counts from its invocation, not from its wait in a queue. The default: room
    /// at once.
    async fn admit(&self, _request: &TaskRequest) -> Admission {
        Admission::immediate()
    }

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

/// What an execution reaches besides its tasks: the task tokens of callback tasks and the
/// object store behind a distributed Map's `ItemReader` / `ResultWriter`.
#[derive(Clone, Default)]
pub struct Services {
    /// where `.waitForTaskToken` tasks wait; share it with whatever serves `SendTask*`
    pub task_tokens: TaskTokens,
    /// `s3:getObject` / `s3:listObjectsV2` / `s3:putObject` of ItemReader and ResultWriter;
    /// without it a Map that needs them fails with `States.ItemReaderFailed` /
    /// `States.ResultWriterFailed`
    pub objects: Option<Arc<dyn storage::ObjectStore>>,
    /// the state machines `states:startExecution.sync` / `.sync:2` run as nested executions
    pub state_machines: Option<Arc<dyn nested::StateMachines>>,
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
    execute_controlled(
        definition,
        input,
        options,
        tasks,
        history,
        clock,
        RunControl::default(),
    )
    .await
}

/// [`execute_with_clock`] with the services callback tasks and distributed Maps use.
pub async fn execute_with(
    definition: &Definition,
    input: Value,
    options: &ExecutionOptions,
    tasks: &dyn TaskInvoker,
    history: &dyn HistorySink,
    clock: &dyn Clock,
    services: &Services,
) -> ExecutionOutcome {
    execute_controlled(
        definition,
        input,
        options,
        tasks,
        history,
        clock,
        RunControl {
            services: services.clone(),
            ..Default::default()
        },
    )
    .await
}

/// Where a redrive continues an execution, as AWS `RedriveExecution` does: the history goes
/// on after `last_event_id` with `ExecutionRedriven`, and the top-level state that did not
/// succeed runs again with the input it had (a Parallel or Map runs again whole).
#[derive(Debug, Clone, PartialEq)]
pub struct Redrive {
    /// the last event id of the history so far
    pub last_event_id: u64,
    /// how many redrives, this one included (`$$.Execution.RedriveCount`)
    pub redrive_count: u32,
    /// the top-level state to run again
    pub state: String,
    /// the input that state was entered with
    pub state_input: Value,
}

/// Why StopExecution ended a run (both optional, as in AWS's API).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopRequest {
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// Optional controls of one run: a redrive, and a stop signal.
#[derive(Default)]
pub struct RunControl {
    pub redrive: Option<Redrive>,
    /// resolves when the run is to be stopped (the run ends ABORTED with `ExecutionAborted`)
    pub stop: Option<futures::future::BoxFuture<'static, StopRequest>>,
    /// task tokens and the object store the run reaches
    pub services: Services,
}

/// Where a redrive of this history continues: the last top-level state entered that did
/// not exit (the failed one, or the one running when it was stopped), with its input.
/// `None` when every top-level state exited (nothing to continue from).
pub fn redrive_point(definition: &Definition, history: &[HistoryEvent]) -> Option<(String, Value)> {
    let top = &definition.root.names;
    let mut open: Option<(String, Value)> = None;
    for ev in history {
        let Some(name) = ev.details.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !top.iter().any(|n| &**n == name) {
            continue;
        }
        if ev.event_type.ends_with("StateEntered") {
            let input = match ev.details.get("input") {
                Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            };
            open = Some((name.to_owned(), input));
        } else if ev.event_type.ends_with("StateExited") {
            open = None;
        }
    }
    open
}

/// Run one execution (or continue it, for a redrive) to its end, or until `control.stop`.
pub async fn execute_controlled(
    definition: &Definition,
    input: Value,
    options: &ExecutionOptions,
    tasks: &dyn TaskInvoker,
    history: &dyn HistorySink,
    clock: &dyn Clock,
    control: RunControl,
) -> ExecutionOutcome {
    use serde_json::json;
    let services = control.services.clone();
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
    let machine = &definition.root;
    let start_time = clock::rfc3339(clock.now());
    let (rec, redrive_count, start_idx, first_input) = match &control.redrive {
        Some(r) => {
            let idx = machine
                .names
                .iter()
                .position(|n| **n == *r.state)
                .unwrap_or(machine.start);
            (
                history::Recorder::continuing(history, clock, r.last_event_id),
                r.redrive_count,
                idx,
                r.state_input.clone(),
            )
        }
        None => (
            history::Recorder::new(history, clock),
            0,
            machine.start,
            input.clone(),
        ),
    };
    let ex = executor::Exec {
        tasks,
        rec,
        clock,
        services: &services,
        info: executor::ExecInfo {
            id,
            name,
            role_arn: role_arn.clone(),
            sm_id: sm_id.clone(),
            sm_name,
            input: input.clone(),
            start_time,
            redrive_count,
        },
    };
    let mut prev = 0u64;
    if control.redrive.is_some() {
        prev = ex.rec.last_id();
        ex.rec.emit(
            &mut prev,
            "ExecutionRedriven",
            || json!({"redriveCount": redrive_count}),
        );
    } else {
        ex.rec.emit(&mut prev, "ExecutionStarted", || {
            json!({"input": input.to_string(), "inputDetails": {"truncated": false}, "roleArn": role_arn, "stateMachineArn": sm_id})
        });
        // AWS gives the first state's event previousEventId 0
        prev = 0;
    }
    let mut vars = executor::Vars::default();
    let run = ex.run_machine_at(machine, start_idx, first_input, &mut vars, &mut prev);
    let timeout = async {
        match machine.timeout_seconds {
            Some(t) => clock.sleep(clock::secs(t)).await,
            None => std::future::pending::<()>().await,
        }
    };
    let stop = async {
        match control.stop {
            Some(f) => f.await,
            None => std::future::pending::<StopRequest>().await,
        }
    };
    enum End {
        Done(Result<Value, Failure>),
        TimedOut,
        Aborted(StopRequest),
    }
    let end = tokio::select! {
        r = run => End::Done(r),
        _ = timeout => End::TimedOut,
        s = stop => End::Aborted(s),
    };
    let mut prev = ex.rec.last_id();
    match end {
        End::Done(Ok(out)) => {
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
        End::Done(Err(f)) => {
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
        End::TimedOut => {
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
        End::Aborted(s) => {
            ex.rec.emit(&mut prev, "ExecutionAborted", || {
                let mut m = serde_json::Map::new();
                if let Some(e) = &s.error {
                    m.insert("error".into(), Value::String(e.clone()));
                }
                if let Some(c) = &s.cause {
                    m.insert("cause".into(), Value::String(c.clone()));
                }
                Value::Object(m)
            });
            ExecutionOutcome {
                status: ExecutionStatus::Aborted,
                output: None,
                error: s.error,
                cause: s.cause,
            }
        }
    }
}
