//! `sfn run`'s runner: shell-command task stubs, Step Functions Local mock configs (a
//! callback task answered through its token), AWS's error for a resource nothing serves,
//! and the distributed-Map benchmark checked for correctness.

use serde_json::json;

#[tokio::test]
async fn runner_task_commands_and_mock_config() {
    use states_cli::runner::{run_text, RunOptions};
    let d = r#"{"StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"U"},
        "U":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
             "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":1}]}}}"#;
    let opts = RunOptions {
        tasks: vec![("T".into(), "cat".into())],
        mock_config: Some(json!({
            "StateMachines": {"sm": {"TestCases": {"happy": {"U": "FlakyThenOk"}}}},
            "MockedResponses": {"FlakyThenOk": {
                "0": {"Throw": {"Error": "Flaky", "Cause": "first call"}},
                "1": {"Return": {"Payload": "done", "StatusCode": 200}}
            }}
        })),
        ..Default::default()
    };
    let r = run_text(d, json!({"x": 1}), &opts).await.unwrap();
    assert_eq!(r.exit_code, 0, "{}", r.result);
    assert_eq!(
        r.result,
        json!({"status": "SUCCEEDED", "output": {"Payload": "done", "StatusCode": 200}})
    );
    // an unregistered resource fails the way AWS does for a missing function
    let r = run_text(d, json!({}), &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(r.exit_code, 1);
    assert_eq!(r.result["error"], json!("Lambda.ResourceNotFoundException"));
}

#[tokio::test]
async fn an_unserved_resource_fails_the_execution_with_aws_text() {
    use states_cli::runner::{run_text, RunOptions};
    let d = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}"#;
    let r = run_text(d, json!({}), &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(r.result["error"], json!("States.Runtime"));
    assert!(r.result["cause"]
        .as_str()
        .unwrap()
        .contains("The resource provided arn:aws:states:::sqs:sendMessage is not recognized."));
}

#[tokio::test]
async fn a_mocked_callback_task_answers_through_its_token() {
    use states_cli::runner::{run_text, RunOptions};
    let d = r#"{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},"End":true}}}"#;
    let opts = RunOptions {
        mock_config: Some(json!({
            "StateMachines": {"sm": {"TestCases": {"ok": {"T": "Approve"}}}},
            "MockedResponses": {"Approve": {"0": {"Return": {"approved": true}}}}
        })),
        ..Default::default()
    };
    let r = run_text(d, json!({}), &opts).await.unwrap();
    assert_eq!(
        r.result,
        json!({"status": "SUCCEEDED", "output": {"approved": true}})
    );
}

#[tokio::test]
async fn ten_thousand_items_in_batches_of_a_hundred() {
    // the bench's definition, checked for correctness (its speed is measured by `sfn bench`)
    let report = states_cli::bench::distributed_map(10_000).await;
    assert_eq!(report["status"], json!("SUCCEEDED"), "{report}");
    assert!(report["result_bytes_written"].as_u64().unwrap() > 10_000);
}
