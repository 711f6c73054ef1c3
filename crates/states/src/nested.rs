//! Nested executions: `arn:aws:states:::states:startExecution.sync` and `.sync:2` run the
//! state machine named by `StateMachineArn` to its end, in process, with the same tasks and
//! services, and answer as Step Functions does: the child's description with its output
//! (`.sync:2`: `Input`/`Output` as JSON; `.sync`: as JSON text). A child that does not
//! succeed fails the task with `States.TaskFailed` and that description as the cause. The
//! state machines an execution may start come from the [`StateMachines`] the embedder gives.

use crate::executor::{Exec, ExecInfo, Vars};
use crate::{Definition, TaskFailure, TaskRequest};
use serde_json::{json, Map, Value};

/// The state machines nested executions can start, by ARN.
pub trait StateMachines: Send + Sync {
    fn definition(&self, state_machine_arn: &str) -> Option<Definition>;
}

/// Which form of `startExecution` a resource asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// `.sync`: input and output as JSON text
    Text,
    /// `.sync:2`: input and output as JSON
    Json,
}

pub fn sync_mode(resource: &str) -> Option<SyncMode> {
    match resource {
        "arn:aws:states:::states:startExecution.sync" => Some(SyncMode::Text),
        "arn:aws:states:::states:startExecution.sync:2" => Some(SyncMode::Json),
        _ => None,
    }
}

fn invalid(msg: impl Into<String>) -> TaskFailure {
    TaskFailure {
        error: "States.Runtime".into(),
        cause: msg.into(),
    }
}

/// Run the nested execution a `startExecution.sync[:2]` task asks for.
pub async fn run(ex: &Exec<'_>, mode: SyncMode, req: TaskRequest) -> Result<Value, TaskFailure> {
    let machines = ex
        .services
        .state_machines
        .as_ref()
        .ok_or_else(|| invalid(crate::definition::resource::not_recognized(&req.resource)))?;
    let arn = req
        .input
        .get("StateMachineArn")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("startExecution needs a StateMachineArn (a string)"))?;
    let definition = machines.definition(arn).ok_or_else(|| TaskFailure {
        error: "StepFunctions.StateMachineDoesNotExistException".into(),
        cause: format!("State Machine Does Not Exist: '{arn}'"),
    })?;
    let input = match req.input.get("Input") {
        None => json!({}),
        Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| TaskFailure {
            error: "StepFunctions.InvalidExecutionInputException".into(),
            cause: format!("Invalid State Machine Execution Input: '{e}'"),
        })?,
        Some(v) => v.clone(),
    };
    let name = match req.input.get("Name") {
        Some(Value::String(n)) => n.clone(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let sm_name = arn.rsplit(':').next().unwrap_or("StateMachine").to_string();
    let prefix = arn.split(":stateMachine:").next().unwrap_or(arn);
    let execution_arn = format!("{prefix}:execution:{sm_name}:{name}");
    let start = ex.clock.now();
    let child = Exec {
        tasks: ex.tasks,
        rec: crate::history::Recorder::new(&crate::NoHistory, ex.clock),
        clock: ex.clock,
        services: ex.services,
        info: ExecInfo {
            id: execution_arn.clone(),
            name: name.clone(),
            role_arn: ex.info.role_arn.clone(),
            sm_id: arn.to_string(),
            sm_name,
            input: input.clone(),
            start_time: crate::clock::rfc3339(start),
            redrive_count: 0,
        },
    };
    let mut vars = Vars::default();
    let mut prev = 0u64;
    let result = child
        .run_machine(&definition.root, input.clone(), &mut vars, &mut prev)
        .await;
    let stop = ex.clock.now();
    let as_field = |v: &Value| match mode {
        SyncMode::Json => v.clone(),
        SyncMode::Text => Value::String(v.to_string()),
    };
    let mut d = Map::new();
    d.insert("ExecutionArn".into(), json!(execution_arn));
    d.insert("Input".into(), as_field(&input));
    d.insert("InputDetails".into(), json!({"Included": true}));
    d.insert("Name".into(), json!(name));
    d.insert("StartDate".into(), json!(start.timestamp_millis()));
    d.insert("StateMachineArn".into(), json!(arn));
    d.insert("StopDate".into(), json!(stop.timestamp_millis()));
    match result {
        Ok(out) => {
            d.insert("Output".into(), as_field(&out));
            d.insert("OutputDetails".into(), json!({"Included": true}));
            d.insert("Status".into(), json!("SUCCEEDED"));
            Ok(Value::Object(d))
        }
        Err(f) => {
            d.insert("Error".into(), json!(f.error));
            d.insert("Cause".into(), json!(f.cause.unwrap_or_default()));
            d.insert("Status".into(), json!("FAILED"));
            Err(TaskFailure {
                error: "States.TaskFailed".into(),
                cause: Value::Object(d).to_string(),
            })
        }
    }
}
