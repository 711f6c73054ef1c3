//! A runner with bounded workers queues a task in `TaskInvoker::admit`, between
//! `TaskScheduled` and `TaskStarted`: the task's `TimeoutSeconds` counts from its start, so
//! a task that waits longer than its timeout for room still runs, and the room is held
//! while it runs and given back when it ends.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use states::history::MemoryHistory;
use states::{
    execute, Admission, Definition, ExecutionOptions, ExecutionStatus, TaskFailure, TaskInvoker,
    TaskRequest,
};
use tokio::sync::Semaphore;

/// One worker: a task is admitted only with the single permit.
struct OneWorker {
    room: Arc<Semaphore>,
}

#[async_trait]
impl TaskInvoker for OneWorker {
    async fn admit(&self, _req: &TaskRequest) -> Admission {
        match self.room.clone().acquire_owned().await {
            Ok(permit) => Admission::held(permit),
            Err(_) => Admission::immediate(),
        }
    }

    async fn invoke(&self, _req: TaskRequest) -> Result<Value, TaskFailure> {
        // admitted: the permit is held while the task runs
        Ok(json!({"freePermits": self.room.available_permits()}))
    }
}

#[tokio::test]
async fn a_task_queued_for_room_longer_than_its_timeout_still_runs_and_holds_the_room() {
    let def = Definition::parse(
        &json!({
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                "TimeoutSeconds": 1, "End": true}}
        })
        .to_string(),
    )
    .unwrap();
    let room = Arc::new(Semaphore::new(1));
    let busy = room.clone().acquire_owned().await.unwrap();
    // the only worker is busy for 1.5 s: longer than the task's 1 s timeout
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(busy);
    });
    let tasks = OneWorker { room: room.clone() };
    let history = MemoryHistory::default();
    let out = execute(
        &def,
        json!({}),
        &ExecutionOptions::default(),
        &tasks,
        &history,
    )
    .await;
    assert_eq!(out.status, ExecutionStatus::Succeeded, "{out:?}");
    assert_eq!(
        out.output,
        Some(json!({"freePermits": 0})),
        "the room is held while it runs"
    );
    assert_eq!(room.available_permits(), 1, "and given back when it ends");

    let events = history.events.lock().unwrap().clone();
    let at = |ty: &str| {
        events
            .iter()
            .find(|e| e.event_type == ty)
            .map(|e| chrono::DateTime::parse_from_rfc3339(&e.timestamp).unwrap())
            .unwrap_or_else(|| panic!("no {ty} in {events:?}"))
    };
    let queued = at("TaskStarted") - at("TaskScheduled");
    assert!(
        queued.num_milliseconds() >= 1000,
        "the wait for room lies between TaskScheduled and TaskStarted: {queued:?}"
    );
    assert!(events.iter().all(|e| e.event_type != "TaskTimedOut"));
}
