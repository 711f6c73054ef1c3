//! Stopping and redriving a run: StopExecution ends it ABORTED with `ExecutionAborted`;
//! RedriveExecution continues the same history after `ExecutionRedriven` from the state
//! that did not succeed, without running the states that did.

use async_trait::async_trait;
use serde_json::{json, Value};
use states::history::MemoryHistory;
use states::{
    execute_controlled, redrive_point, Definition, ExecutionOptions, ExecutionStatus, Redrive,
    RunControl, StopRequest, SystemClock, TaskFailure, TaskInvoker, TaskRequest,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// `Work` fails until `healed`; every call is counted per state.
#[derive(Default)]
struct Flaky {
    healed: AtomicBool,
    prepare_calls: AtomicUsize,
    work_calls: AtomicUsize,
}

#[async_trait]
impl TaskInvoker for Flaky {
    async fn invoke(&self, req: TaskRequest) -> Result<Value, TaskFailure> {
        match req.state_name.as_str() {
            "Prepare" => {
                self.prepare_calls.fetch_add(1, Ordering::SeqCst);
                Ok(json!({"prepared": true}))
            }
            _ => {
                self.work_calls.fetch_add(1, Ordering::SeqCst);
                if self.healed.load(Ordering::SeqCst) {
                    Ok(json!("done"))
                } else {
                    Err(TaskFailure {
                        error: "Broken".into(),
                        cause: "not yet".into(),
                    })
                }
            }
        }
    }
}

fn definition() -> Definition {
    Definition::parse(
        &json!({
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.prep", "Next": "Work"},
                "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.work", "Next": "Hold"},
                "Hold": {"Type": "Wait", "SecondsPath": "$.hold", "End": true}
            }
        })
        .to_string(),
    )
    .unwrap()
}

fn types(h: &MemoryHistory) -> Vec<String> {
    h.events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_type.clone())
        .collect()
}

#[tokio::test]
async fn a_redrive_continues_the_history_from_the_failed_state() {
    let def = definition();
    let tasks = Flaky::default();
    let history = MemoryHistory::default();
    let input = json!({"hold": 0});
    let first = execute_controlled(
        &def,
        input.clone(),
        &ExecutionOptions::default(),
        &tasks,
        &history,
        &SystemClock,
        RunControl::default(),
    )
    .await;
    assert_eq!(first.status, ExecutionStatus::Failed);
    assert_eq!(first.error.as_deref(), Some("Broken"));
    let events = history.events.lock().unwrap().clone();
    let (state, state_input) = redrive_point(&def, &events).expect("a state to redrive from");
    assert_eq!(state, "Work");
    assert_eq!(state_input, json!({"hold": 0, "prep": {"prepared": true}}));

    tasks.healed.store(true, Ordering::SeqCst);
    let last = events.last().unwrap().id;
    let again = execute_controlled(
        &def,
        input,
        &ExecutionOptions::default(),
        &tasks,
        &history,
        &SystemClock,
        RunControl {
            redrive: Some(Redrive {
                last_event_id: last,
                redrive_count: 1,
                state,
                state_input,
            }),
            stop: None,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(again.status, ExecutionStatus::Succeeded);
    assert_eq!(
        again.output.unwrap(),
        json!({"hold": 0, "prep": {"prepared": true}, "work": "done"})
    );
    // Prepare succeeded the first time and does not run again
    assert_eq!(tasks.prepare_calls.load(Ordering::SeqCst), 1);
    assert_eq!(tasks.work_calls.load(Ordering::SeqCst), 2);
    let all = history.events.lock().unwrap().clone();
    let redriven = all
        .iter()
        .find(|e| e.event_type == "ExecutionRedriven")
        .unwrap();
    assert_eq!(redriven.id, last + 1);
    assert_eq!(redriven.details, json!({"redriveCount": 1}));
    let ids: Vec<u64> = all.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        (1..=all.len() as u64).collect::<Vec<_>>(),
        "ids continue without a gap"
    );
    let t = types(&history);
    assert_eq!(t.first().map(String::as_str), Some("ExecutionStarted"));
    assert_eq!(t.last().map(String::as_str), Some("ExecutionSucceeded"));
    assert_eq!(
        t.iter()
            .skip_while(|e| *e != "ExecutionRedriven")
            .nth(1)
            .map(String::as_str),
        Some("TaskStateEntered")
    );
}

#[tokio::test]
async fn a_stop_ends_the_run_aborted() {
    let def = definition();
    let tasks = Flaky::default();
    tasks.healed.store(true, Ordering::SeqCst);
    let history = MemoryHistory::default();
    let (tx, rx) = tokio::sync::oneshot::channel::<StopRequest>();
    let options = ExecutionOptions::default();
    let run = execute_controlled(
        &def,
        json!({"hold": 3600}),
        &options,
        &tasks,
        &history,
        &SystemClock,
        RunControl {
            redrive: None,
            stop: Some(Box::pin(async move { rx.await.unwrap_or_default() })),
            ..Default::default()
        },
    );
    let stopper = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        tx.send(StopRequest {
            error: Some("Halt".into()),
            cause: Some("asked to".into()),
        })
        .unwrap();
    };
    let (outcome, ()) = tokio::join!(run, stopper);
    assert_eq!(outcome.status, ExecutionStatus::Aborted);
    assert_eq!(outcome.error.as_deref(), Some("Halt"));
    let all = history.events.lock().unwrap().clone();
    let last = all.last().unwrap();
    assert_eq!(last.event_type, "ExecutionAborted");
    assert_eq!(last.details, json!({"error": "Halt", "cause": "asked to"}));
    // the Wait was running: a redrive would continue there
    assert_eq!(redrive_point(&def, &all).unwrap().0, "Hold");
}
