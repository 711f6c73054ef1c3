//! The callback pattern (`.waitForTaskToken`) on the real clock: the token reaches the task
//! as `$$.Task.Token`, SendTaskSuccess / SendTaskFailure end the wait, heartbeats keep a
//! task alive past `HeartbeatSeconds`, and the timeouts fail it with AWS's error names.

use async_trait::async_trait;
use serde_json::{json, Value};
use states::history::MemoryHistory;
use states::{
    execute_with, CallbackError, Definition, ExecutionOptions, ExecutionStatus, Services,
    SystemClock, TaskFailure, TaskInvoker, TaskRequest, TaskTokens,
};
use std::time::Duration;
use tokio::sync::mpsc;

/// Hands every task request to the test and answers the integration call at once.
struct Handoff(mpsc::UnboundedSender<TaskRequest>);

#[async_trait]
impl TaskInvoker for Handoff {
    async fn invoke(&self, req: TaskRequest) -> Result<Value, TaskFailure> {
        let _ = self.0.send(req);
        Ok(json!({"StatusCode": 200}))
    }
}

fn callback_definition(extra: Value) -> Definition {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "moderate", "Payload": {"id.$": "$.id", "token.$": "$$.Task.Token"}},
        "ResultPath": "$.decision",
        "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Rejected"}],
        "End": true
    });
    if let (Some(t), Value::Object(e)) = (task.as_object_mut(), extra) {
        t.extend(e);
    }
    Definition::from_value(json!({
        "StartAt": "Await",
        "States": {"Await": task, "Rejected": {"Type": "Pass", "End": true}}
    }))
    .expect("valid definition")
}

/// Start an execution; returns its join handle, the first task request and the tokens.
async fn start(
    def: Definition,
) -> (
    tokio::task::JoinHandle<(states::ExecutionOutcome, Vec<String>)>,
    TaskRequest,
    TaskTokens,
) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let tokens = TaskTokens::new();
    let services = Services {
        task_tokens: tokens.clone(),
        ..Default::default()
    };
    let handle = tokio::spawn(async move {
        let history = MemoryHistory::default();
        let o = execute_with(
            &def,
            json!({"id": "reel-1"}),
            &ExecutionOptions::default(),
            &Handoff(tx),
            &history,
            &SystemClock,
            &services,
        )
        .await;
        let types = history
            .events
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.event_type.clone())
            .collect();
        (o, types)
    });
    let req = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the task was called")
        .expect("a request");
    (handle, req, tokens)
}

#[tokio::test]
async fn success_with_the_token_is_the_task_result() {
    let (handle, req, tokens) = start(callback_definition(json!({}))).await;
    let token = req
        .task_token
        .clone()
        .expect("a callback task gets a token");
    assert_eq!(req.input["Payload"]["token"], json!(token));
    assert_eq!(req.input["Payload"]["id"], json!("reel-1"));
    assert_eq!(tokens.waiting(), 1);
    tokens
        .send_success(&token, json!({"approved": true}))
        .expect("the task waits");
    let (o, types) = handle.await.unwrap();
    assert_eq!(o.status, ExecutionStatus::Succeeded);
    assert_eq!(
        o.output,
        Some(json!({"id": "reel-1", "decision": {"approved": true}}))
    );
    let i = types.iter().position(|t| t == "TaskSubmitted").unwrap();
    assert_eq!(types[i - 1], "TaskStarted");
    assert_eq!(types[i + 1], "TaskSucceeded");
    // the token is spent
    assert_eq!(
        tokens.send_success(&token, json!({})),
        Err(CallbackError::TaskDoesNotExist)
    );
    assert!(matches!(
        tokens.send_heartbeat("garbage"),
        Err(CallbackError::InvalidToken(_))
    ));
}

#[tokio::test]
async fn failure_with_the_token_is_caught_by_its_error_name() {
    let (handle, req, tokens) = start(callback_definition(json!({}))).await;
    let token = req.task_token.unwrap();
    tokens
        .send_failure(&token, "Rejected", "not suitable")
        .unwrap();
    let (o, types) = handle.await.unwrap();
    assert_eq!(o.status, ExecutionStatus::Succeeded);
    assert_eq!(
        o.output.unwrap()["error"],
        json!({"Error": "Rejected", "Cause": "not suitable"})
    );
    assert!(types.contains(&"TaskFailed".to_string()));
}

#[tokio::test]
async fn heartbeats_keep_the_task_alive_past_heartbeat_seconds() {
    let def = callback_definition(json!({"HeartbeatSeconds": 1, "TimeoutSeconds": 30}));
    let (handle, req, tokens) = start(def).await;
    let token = req.task_token.unwrap();
    // 2.4 s of heartbeats every 0.4 s: well past HeartbeatSeconds
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        tokens.send_heartbeat(&token).expect("still waiting");
    }
    tokens
        .send_success(&token, json!("late but alive"))
        .unwrap();
    let (o, _) = handle.await.unwrap();
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{o:?}");
    assert_eq!(o.output.unwrap()["decision"], json!("late but alive"));
}

#[tokio::test]
async fn silence_past_heartbeat_seconds_is_a_heartbeat_timeout() {
    let def = callback_definition(json!({"HeartbeatSeconds": 1, "TimeoutSeconds": 30}));
    let (handle, req, tokens) = start(def).await;
    let token = req.task_token.unwrap();
    let (o, types) = handle.await.unwrap();
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.error.as_deref(), Some("States.HeartbeatTimeout"));
    assert!(types.contains(&"TaskTimedOut".to_string()));
    assert!(matches!(
        tokens.send_success(&token, json!({})),
        Err(CallbackError::TaskTimedOut(_))
    ));
}

#[tokio::test]
async fn timeout_seconds_bounds_the_whole_wait() {
    let def = callback_definition(json!({"TimeoutSeconds": 1}));
    let (handle, _req, _tokens) = start(def).await;
    let (o, _) = handle.await.unwrap();
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
}

#[test]
fn unknown_resources_and_patterns_fail_validation_with_aws_text() {
    for resource in [
        "nope",
        "arn:aws:states:::lambda:invoke.waitForever",
        "arn:aws:states:::lambda",
    ] {
        let e = Definition::from_value(json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": resource, "End": true}}}))
        .expect_err(resource);
        assert!(
            e.message.contains(&format!(
                "The resource provided {resource} is not recognized."
            )) && e.message.contains("/States/T/Resource"),
            "{e}"
        );
    }
    let e = Definition::from_value(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true}}}))
    .unwrap_err();
    assert!(e.message.contains("HeartbeatSeconds"), "{e}");
}

/// One state machine, known by its ARN, for nested executions.
struct Machines(Definition);

impl states::nested::StateMachines for Machines {
    fn definition(&self, arn: &str) -> Option<Definition> {
        (arn == "arn:aws:states:us-east-1:123456789012:stateMachine:Child").then(|| self.0.clone())
    }
}

#[tokio::test]
async fn start_execution_sync_runs_a_nested_execution() {
    let child = Definition::from_value(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "Boom"}], "Default": "Double"},
        "Double": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": true},
        "Boom": {"Type": "Fail", "Error": "ChildFailed", "Cause": "asked to"}}}))
    .unwrap();
    let parent = |resource: &str, input: Value| {
        Definition::from_value(json!({"StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": resource,
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child", "Input": input},
            "End": true}}}))
        .unwrap()
    };
    let services = Services {
        state_machines: Some(std::sync::Arc::new(Machines(child))),
        ..Default::default()
    };
    let (tx, _rx) = mpsc::unbounded_channel();
    let run = |d: Definition| {
        let services = services.clone();
        let tx = tx.clone();
        async move {
            execute_with(
                &d,
                json!({}),
                &ExecutionOptions::default(),
                &Handoff(tx),
                &states::NoHistory,
                &SystemClock,
                &services,
            )
            .await
        }
    };
    let o = run(parent(
        "arn:aws:states:::states:startExecution.sync:2",
        json!({"n": 21}),
    ))
    .await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{o:?}");
    let out = o.output.unwrap();
    assert_eq!(out["Output"], json!({"twice": 42}));
    assert_eq!(out["Status"], json!("SUCCEEDED"));
    let o = run(parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"n": 1}),
    ))
    .await;
    assert_eq!(o.output.unwrap()["Output"], json!("{\"twice\":2}"));
    let o = run(parent(
        "arn:aws:states:::states:startExecution.sync:2",
        json!({"fail": true}),
    ))
    .await;
    assert_eq!(o.error.as_deref(), Some("States.TaskFailed"));
    let cause: Value = serde_json::from_str(o.cause.as_deref().unwrap()).unwrap();
    assert_eq!(cause["Error"], json!("ChildFailed"));
    assert_eq!(cause["Status"], json!("FAILED"));
    let unknown = Definition::from_value(json!({"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Nope"},
        "End": true}}}))
    .unwrap();
    let o = run(unknown).await;
    assert_eq!(
        o.error.as_deref(),
        Some("StepFunctions.StateMachineDoesNotExistException")
    );
}
