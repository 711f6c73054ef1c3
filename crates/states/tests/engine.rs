//! Engine behaviour the conformance cases do not reach (they contain no Task state):
//! Task input/output processing, ResultSelector, Or, StringMatches, Retry timing with a
//! fake clock, Catch on States.ALL, Arguments, timeouts, history numbering, validation.

use async_trait::async_trait;
use chrono::TimeZone;
use serde_json::{json, Value};
use states::history::MemoryHistory;
use states::{
    execute, execute_with_clock, Definition, ExecutionOptions, ExecutionStatus, FakeClock,
    NoHistory, TaskFailure, TaskInvoker, TaskRequest,
};
use std::sync::Mutex;
use std::time::Duration;

/// Answers tasks from a script: each call pops the next answer for the state
/// (the last answer repeats); records every request.
type Answers = Vec<(String, Vec<Result<Value, TaskFailure>>)>;

#[derive(Default)]
struct Script {
    answers: Mutex<Answers>,
    requests: Mutex<Vec<TaskRequest>>,
    hang: bool,
}

impl Script {
    fn with(state: &str, answers: Vec<Result<Value, TaskFailure>>) -> Script {
        let s = Script::default();
        s.answers.lock().unwrap().push((state.to_string(), answers));
        s
    }
    fn also(self, state: &str, answers: Vec<Result<Value, TaskFailure>>) -> Script {
        self.answers
            .lock()
            .unwrap()
            .push((state.to_string(), answers));
        self
    }
    fn requests(&self) -> Vec<TaskRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn fail(error: &str, cause: &str) -> Result<Value, TaskFailure> {
    Err(TaskFailure {
        error: error.into(),
        cause: cause.into(),
    })
}

#[async_trait]
impl TaskInvoker for Script {
    async fn invoke(&self, req: TaskRequest) -> Result<Value, TaskFailure> {
        self.requests.lock().unwrap().push(req.clone());
        if self.hang {
            std::future::pending::<()>().await;
        }
        let mut answers = self.answers.lock().unwrap();
        let Some((_, list)) = answers.iter_mut().find(|(s, _)| *s == req.state_name) else {
            return Ok(json!({"echo": req.input}));
        };
        if list.len() > 1 {
            list.remove(0)
        } else {
            list[0].clone()
        }
    }
}

fn def(v: Value) -> Definition {
    Definition::from_value(v).expect("valid definition")
}

fn clock() -> FakeClock {
    FakeClock::new(chrono::Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap())
}

async fn run(d: Value, input: Value, tasks: &Script) -> states::ExecutionOutcome {
    let c = clock();
    execute_with_clock(
        &def(d),
        input,
        &ExecutionOptions::default(),
        tasks,
        &NoHistory,
        &c,
    )
    .await
}

#[tokio::test]
async fn task_input_output_processing_and_result_selector() {
    let d = json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "InputPath": "$.job",
            "Parameters": {"FunctionName": "fn", "Payload.$": "$", "Const": 1},
            "ResultSelector": {"thumb.$": "$.Payload.thumb", "code.$": "$.StatusCode"},
            "ResultPath": "$.result",
            "OutputPath": "$.result",
            "End": true
        }}
    });
    let tasks = Script::with(
        "T",
        vec![Ok(
            json!({"Payload": {"thumb": "k.jpg"}, "StatusCode": 200}),
        )],
    );
    let o = run(d, json!({"job": {"id": 7}}), &tasks).await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{o:?}");
    assert_eq!(o.output, Some(json!({"thumb": "k.jpg", "code": 200})));
    let reqs = tasks.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].input,
        json!({"FunctionName": "fn", "Payload": {"id": 7}, "Const": 1})
    );
    assert_eq!(reqs[0].resource, "arn:aws:states:::lambda:invoke");
}

#[tokio::test]
async fn or_and_string_matches_rules() {
    let d = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Or": [
                    {"Variable": "$.kind", "StringEquals": "photo"},
                    {"Variable": "$.name", "StringMatches": "*.mp4"}
                ], "Next": "Media"},
                {"Not": {"Variable": "$.name", "StringMatches": "log-\\*"}, "Next": "Other"}
            ], "Default": "Literal"},
            "Media": {"Type": "Pass", "Result": "media", "End": true},
            "Other": {"Type": "Pass", "Result": "other", "End": true},
            "Literal": {"Type": "Pass", "Result": "literal-star", "End": true}
        }
    });
    let t = Script::default();
    let o = run(d.clone(), json!({"kind": "x", "name": "clip.mp4"}), &t).await;
    assert_eq!(o.output, Some(json!("media")));
    let o = run(d.clone(), json!({"kind": "photo", "name": "a"}), &t).await;
    assert_eq!(o.output, Some(json!("media")));
    let o = run(d.clone(), json!({"kind": "x", "name": "a.txt"}), &t).await;
    assert_eq!(o.output, Some(json!("other")));
    let o = run(d, json!({"kind": "x", "name": "log-*"}), &t).await;
    assert_eq!(o.output, Some(json!("literal-star")));
}

#[tokio::test]
async fn retry_backoff_timing_with_fake_clock() {
    let d = json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Retry": [
                {"ErrorEquals": ["Never"], "MaxAttempts": 5},
                {"ErrorEquals": ["StorageUnavailable"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 4, "MaxDelaySeconds": 10}
            ]
        }}
    });
    let tasks = Script::with(
        "T",
        vec![
            fail("StorageUnavailable", "down"),
            fail("StorageUnavailable", "down"),
            fail("StorageUnavailable", "down"),
            Ok(json!("ok")),
        ],
    );
    let c = clock();
    let o = execute_with_clock(
        &def(d),
        json!({}),
        &ExecutionOptions::default(),
        &tasks,
        &NoHistory,
        &c,
    )
    .await;
    assert_eq!(o.output, Some(json!("ok")), "{o:?}");
    assert_eq!(
        c.sleeps(),
        vec![
            Duration::from_secs(2),
            Duration::from_secs(6),
            Duration::from_secs(10)
        ]
    );
    assert_eq!(tasks.requests().len(), 4);
}

#[tokio::test]
async fn retry_exhausted_then_fails_and_jitter_stays_below_delay() {
    let d = json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "MaxAttempts": 2, "BackoffRate": 1, "JitterStrategy": "FULL"}]
        }}
    });
    let tasks = Script::with("T", vec![fail("Boom", "always")]);
    let c = clock();
    let o = execute_with_clock(
        &def(d),
        json!({}),
        &ExecutionOptions::default(),
        &tasks,
        &NoHistory,
        &c,
    )
    .await;
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.error.as_deref(), Some("Boom"));
    assert_eq!(o.cause.as_deref(), Some("always"));
    let sleeps = c.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps.iter().all(|d| *d <= Duration::from_secs(4)));
    assert_eq!(tasks.requests().len(), 3);
}

#[tokio::test]
async fn catch_states_all_with_result_path() {
    let d = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done",
                  "Catch": [
                      {"ErrorEquals": ["CorruptMedia"], "Next": "Specific"},
                      {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Cleanup"}
                  ]},
            "Specific": {"Type": "Pass", "End": true},
            "Cleanup": {"Type": "Pass", "Next": "Failed"},
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
            "Done": {"Type": "Succeed"}
        }
    });
    let tasks = Script::with(
        "T",
        vec![fail("UnsupportedMediaType", "{\"errorMessage\":\"nope\"}")],
    );
    let o = run(d, json!({"id": "m1"}), &tasks).await;
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.error.as_deref(), Some("UnsupportedMediaType"));
    assert_eq!(o.cause.as_deref(), Some("{\"errorMessage\":\"nope\"}"));
}

#[tokio::test]
async fn states_all_does_not_catch_runtime_errors() {
    let d = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.missing", "End": true,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
            "C": {"Type": "Pass", "End": true}
        }
    });
    let o = run(d, json!({}), &Script::default()).await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(o
        .cause
        .unwrap_or_default()
        .contains("(entered at the event id #2)"));
}

#[tokio::test]
async fn jsonata_arguments_output_and_assign() {
    let d = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"FunctionName": "fn", "Payload": {"id": "{% $states.input.id %}", "n": "{% $count($states.input.items) %}"}},
                  "Assign": {"first": "{% $states.result.Payload.size %}"},
                  "Output": "{% $states.result.Payload %}",
                  "Next": "P"},
            "P": {"Type": "Pass", "Output": {"size": "{% $first %}", "in": "{% $states.input.size %}"}, "End": true}
        }
    });
    let tasks = Script::with(
        "T",
        vec![Ok(json!({"Payload": {"size": 42}, "StatusCode": 200}))],
    );
    let o = run(d, json!({"id": "a", "items": [1, 2, 3]}), &tasks).await;
    assert_eq!(o.output, Some(json!({"size": 42, "in": 42})), "{o:?}");
    assert_eq!(
        tasks.requests()[0].input,
        json!({"FunctionName": "fn", "Payload": {"id": "a", "n": 3}})
    );
}

#[tokio::test]
async fn jsonata_catch_error_output() {
    let d = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H",
                             "Output": {"err": "{% $states.errorOutput.Error %}", "was": "{% $states.input.x %}"}}]},
            "H": {"Type": "Pass", "End": true}
        }
    });
    let tasks = Script::with("T", vec![fail("Bad", "c")]);
    let o = run(d, json!({"x": 1}), &tasks).await;
    assert_eq!(o.output, Some(json!({"err": "Bad", "was": 1})));
}

#[tokio::test]
async fn task_timeout_is_states_timeout_and_catchable() {
    let d = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5, "Next": "Ok",
                  "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}]},
            "Ok": {"Type": "Succeed"},
            "TimedOut": {"Type": "Pass", "Result": "timed out", "End": true}
        }
    });
    let tasks = Script {
        hang: true,
        ..Default::default()
    };
    let c = clock();
    let o = execute_with_clock(
        &def(d),
        json!({}),
        &ExecutionOptions::default(),
        &tasks,
        &NoHistory,
        &c,
    )
    .await;
    assert_eq!(o.output, Some(json!("timed out")), "{o:?}");
    assert_eq!(c.sleeps(), vec![Duration::from_secs(5)]);
    assert_eq!(tasks.requests()[0].timeout_seconds, Some(5));
}

#[tokio::test]
async fn execution_timeout() {
    let d = json!({
        "TimeoutSeconds": 3,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}
    });
    let c = clock();
    let o = execute_with_clock(
        &def(d),
        json!({}),
        &ExecutionOptions::default(),
        &Script::default(),
        &NoHistory,
        &c,
    )
    .await;
    assert_eq!(o.status, ExecutionStatus::TimedOut);
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
}

#[tokio::test]
async fn parallel_branch_failure_is_caught_on_the_parallel() {
    let d = json!({
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Next": "Done",
                  "Branches": [
                      {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}},
                      {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}
                  ],
                  "Catch": [{"ErrorEquals": ["CorruptMedia"], "ResultPath": "$.err", "Next": "Cleanup"}]},
            "Cleanup": {"Type": "Pass", "End": true},
            "Done": {"Type": "Succeed"}
        }
    });
    let tasks =
        Script::with("A", vec![Ok(json!(1))]).also("B", vec![fail("CorruptMedia", "bad bytes")]);
    let o = run(d, json!({"id": 1}), &tasks).await;
    assert_eq!(
        o.output,
        Some(json!({"id": 1, "err": {"Error": "CorruptMedia", "Cause": "bad bytes"}}))
    );
}

#[tokio::test]
async fn map_with_tasks_and_tolerated_failures() {
    let d = json!({
        "StartAt": "M",
        "States": {"M": {
            "Type": "Map", "ItemsPath": "$.sizes", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
            "ItemSelector": {"size.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T",
                "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}},
            "End": true
        }}
    });
    let tasks = Script::with("T", vec![Ok(json!("a")), fail("X", "y"), Ok(json!("c"))]);
    let o = run(d.clone(), json!({"sizes": [64, 128, 256]}), &tasks).await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{o:?}");
    let inputs: Vec<Value> = tasks.requests().into_iter().map(|r| r.input).collect();
    assert_eq!(inputs[0], json!({"size": 64, "i": 0}));
    let tasks = Script::with("T", vec![fail("X", "y")]);
    let o = run(d, json!({"sizes": [1, 2, 3]}), &tasks).await;
    assert_eq!(
        o.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[tokio::test]
async fn history_numbering_for_a_task_and_catch() {
    let d = json!({
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "E",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "E"}]},
            "E": {"Type": "Pass", "End": true}
        }
    });
    let tasks = Script::with("T", vec![fail("Boom", "c")]);
    let h = MemoryHistory::default();
    let o = execute(&def(d), json!({}), &ExecutionOptions::default(), &tasks, &h).await;
    assert_eq!(o.status, ExecutionStatus::Succeeded);
    let events = h.events.lock().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
    }
    assert_eq!(events[4].details["error"], json!("Boom"));
}

#[test]
fn validation_names_state_and_field() {
    let bad_next =
        Definition::parse(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#)
            .unwrap_err();
    assert!(
        bad_next.message.contains("MISSING_TRANSITION_TARGET"),
        "{}",
        bad_next.message
    );
    assert!(
        bad_next.message.contains("/States/A/Next"),
        "{}",
        bad_next.message
    );
    let unreachable = Definition::parse(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}"#,
    )
    .unwrap_err();
    assert!(
        unreachable.message.contains("\"B\" is not reachable"),
        "{}",
        unreachable.message
    );
    let both = Definition::parse(
        r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{},"Arguments":{},"End":true}}}"#,
    )
    .unwrap_err();
    assert!(both.message.contains("/States/A"), "{}", both.message);
    let path = Definition::parse(
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$[","End":true}}}"#,
    )
    .unwrap_err();
    assert!(
        path.message.contains("/States/A/InputPath"),
        "{}",
        path.message
    );
    let no_type = Definition::parse(r#"{"StartAt":"A","States":{"A":{"End":true}}}"#).unwrap_err();
    assert!(no_type.message.contains("[Type]"), "{}", no_type.message);
    assert!(Definition::parse("not json").is_err());
    assert!(Definition::parse("[]").is_err());
}

#[test]
fn task_resources_are_listed() {
    let d = def(json!({
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:a", "End": true}}},
            {"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "B",
                "States": {"B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:b", "End": true}}}}}}
        ]}}
    }));
    assert_eq!(
        d.task_resources(),
        vec![
            "arn:aws:lambda:us-east-1:123456789012:function:a".to_string(),
            "arn:aws:lambda:us-east-1:123456789012:function:b".to_string()
        ]
    );
}

#[test]
fn execute_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let d = def(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}));
    let tasks = Script::default();
    let opts = ExecutionOptions::default();
    let fut = execute(&d, json!({}), &opts, &tasks, &NoHistory);
    assert_send(&fut);
}

/// A Map's JSONata `Items` that fails: an error raised while evaluating it, nothing, or a
/// value that is not an array (a string shown as it is, between quotes), each with AWS's
/// cause text and the Map state's entered event.
#[tokio::test]
async fn jsonata_items_failures_have_aws_causes() {
    let map = |items: &str| {
        json!({
            "QueryLanguage": "JSONata",
            "StartAt": "M",
            "States": {"M": {"Type": "Map", "Items": items, "End": true,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": true}}}}}
        })
    };
    let prefix = "An error occurred while executing the state 'M' (entered at the event id #2). ";
    for (items, cause) in [
        (
            "{% $error('no items') %}",
            "The JSONata expression '$error('no items')' specified for the field 'Items' threw an error during evaluation. D3137: no items",
        ),
        (
            "{% $states.input.missing %}",
            "The JSONata expression '$states.input.missing' specified for the field 'Items' returned nothing (undefined).",
        ),
        (
            "{% $states.input.text %}",
            "The JSONata expression '$states.input.text' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"say \"hi\"\"",
        ),
    ] {
        let o = run(map(items), json!({"text": "say \"hi\""}), &Script::default()).await;
        assert_eq!(
            o.error.as_deref(),
            Some("States.QueryEvaluationError"),
            "{items}: {o:?}"
        );
        assert_eq!(o.cause.as_deref(), Some(format!("{prefix}{cause}").as_str()), "{items}");
    }
}
