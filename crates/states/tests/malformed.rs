//! Malformed definitions, paths, intrinsics and JSONata must give errors, never panics
//! (inputs of the kind the fuzz targets in `fuzz/` generate, kept as regression tests).

use serde_json::{json, Value};
use states::path::Path;
use states::{execute_with_clock, Definition, ExecutionOptions, FakeClock, NoHistory};

const BAD_DEFINITIONS: &[&str] = &[
    "",
    "null",
    "[]",
    "{}",
    r#"{"StartAt": 5, "States": {}}"#,
    r#"{"StartAt": "A", "States": []}"#,
    r#"{"StartAt": "A", "States": {"A": 1}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Nope", "End": true}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": 3}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Next": "A"}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Map", "End": true}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Map", "End": true, "ItemProcessor": []}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": true, "Branches": {}}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": true, "Branches": [1]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [1]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Next": "A"}]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"And": [], "Next": "A"}]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$[", "IsNull": true, "Next": "A"}]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": "x"}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": []}]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "A"}]}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": {"a.$": 5}}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": {"a.$": "States.Nope()"}}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}}}"#,
    r#"{"StartAt": "A", "States": {"A": {"Type": "Wait", "End": true}}}"#,
    r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Output": "{% ((( %}"}}}"#,
    r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "InputPath": "$"}}}"#,
    r#"{"QueryLanguage": "Python", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
];

#[test]
fn bad_definitions_are_errors() {
    for d in BAD_DEFINITIONS {
        assert!(Definition::parse(d).is_err(), "accepted: {d}");
    }
}

#[test]
fn odd_paths_do_not_panic() {
    let doc = json!({"a": {"b": [1, 2, 3]}, "s": "x"});
    for p in [
        "$",
        "$.",
        "$..",
        "$[",
        "$]",
        "$['a'",
        "$[?(@",
        "$[?(@.a ==",
        "$[-9223372036854775808]",
        "$[9223372036854775807]",
        "$.a.b[0:9223372036854775807:9223372036854775807]",
        "$.a.b[-9223372036854775808:]",
        "$..*",
        "$.a.b.length()",
        "$.s.length()",
        "$.a.b[?(@ =~ /[/)]",
        "$[?(!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!@.a)]",
        "$['Test\\\"\"Name\"']",
        "$$.Execution",
        "$var[0]",
    ] {
        if let Ok(path) = Path::parse(p) {
            let _ = path.eval(&doc);
            let _ = path.normalized();
            if path.is_reference() {
                let mut d = doc.clone();
                let _ = path.set(&mut d, json!(1));
            }
        }
    }
    let deep = format!("$[?({}@.a{})]", "(".repeat(10_000), ")".repeat(10_000));
    assert!(Path::parse(&deep).is_err());
}

#[test]
fn odd_intrinsics_do_not_panic() {
    let doc = json!({"n": 9223372036854775807i64});
    for c in [
        "States.Format(",
        "States.Format('{}')",
        "States.Format('{}', 1, 2)",
        "States.ArrayRange(0, 9223372036854775807, 9223372036854775807)",
        "States.ArrayRange(0, 5, 0)",
        "States.ArrayPartition(States.Array(1,2), 0)",
        "States.ArrayGetItem(States.Array(1), -1)",
        "States.MathAdd($.n, $.n)",
        "States.MathRandom(5, 5)",
        "States.Base64Decode('%%%')",
        "States.Hash('x', 'SHA-3')",
        "States.StringToJson('{')",
        "States.JsonMerge(1, 2, false)",
        "States.UUID(1)",
    ] {
        if let Ok(call) = states::intrinsics::Call::parse(c) {
            let _ = call.eval(&|p: &Path| {
                p.eval(&doc)
                    .map_err(|_| states::Failure::runtime("missing"))
            });
        }
    }
    let deep = format!("{}1{}", "States.Array(".repeat(5_000), ")".repeat(5_000));
    assert!(states::intrinsics::Call::parse(&deep).is_err());
}

async fn run(d: Value, input: Value) -> states::ExecutionOutcome {
    let def = Definition::from_value(d).expect("valid");
    let clock = FakeClock::new(states::clock::epoch());
    let tasks = NoTasks;
    execute_with_clock(
        &def,
        input,
        &ExecutionOptions::default(),
        &tasks,
        &NoHistory,
        &clock,
    )
    .await
}

#[tokio::test]
async fn runtime_oddities_fail_cleanly() {
    // huge Wait, negative retry numbers, non-array Map input, JSONata type errors
    let o = run(
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1e300, "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    let o = run(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
        json!({"not": "an array"}),
    )
    .await;
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    let o = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "P",
               "States": {"P": {"Type": "Pass", "Output": "{% 1 + 'a' %}", "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(o.error.as_deref(), Some("States.QueryEvaluationError"));
    let o = run(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::nope:nothing", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 1e300, "MaxAttempts": 3}]}}}),
        json!({}),
    )
    .await;
    assert_eq!(o.status, states::ExecutionStatus::Failed);
}

/// No task is served: every one fails as AWS does for a resource it does not recognise.
struct NoTasks;

#[async_trait::async_trait]
impl states::TaskInvoker for NoTasks {
    async fn invoke(
        &self,
        req: states::TaskRequest,
    ) -> Result<serde_json::Value, states::TaskFailure> {
        Err(states::TaskFailure {
            error: "States.Runtime".into(),
            cause: states::definition::resource::not_recognized(&req.resource),
        })
    }
}
