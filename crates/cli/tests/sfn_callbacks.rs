//! Task tokens over the local Step Functions API: `media-hub serve` runs a definition whose
//! task waits for a callback (`.waitForTaskToken`, the token passed to our validate-type
//! function as `$$.Task.Token`); `aws-sdk-sfn`, unchanged, answers it with
//! SendTaskHeartbeat (keeping it alive past HeartbeatSeconds), SendTaskFailure and
//! SendTaskSuccess, and gets AWS's errors for bad, spent and unknown tokens.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sfn::Client;
use common::{fixture, Server};
use serde_json::{json, Value};

fn client(url: &str) -> Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(url)
        .build();
    Client::from_conf(config)
}

fn execution_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:000000000000:execution:media-pipeline:{name}")
}

const DEFINITION: &str = r#"{
  "StartAt": "Await",
  "States": {
    "Await": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {
        "FunctionName": "${ValidateTypeFunctionArn}",
        "Payload": {"id.$": "$.id", "rawKey.$": "$.rawKey", "token.$": "$$.Task.Token"}
      },
      "HeartbeatSeconds": 2,
      "TimeoutSeconds": 120,
      "ResultPath": "$.decision",
      "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Rejected"}],
      "End": true
    },
    "Rejected": {"Type": "Fail", "Error": "Rejected", "CausePath": "$.error.Cause"}
  }
}"#;

/// The token the execution's task was given, once the task waits for it.
async fn token_of(sfn: &Client, arn: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let h = sfn
            .get_execution_history()
            .execution_arn(arn)
            .send()
            .await
            .expect("history");
        let submitted = h
            .events()
            .iter()
            .any(|e| *e.r#type() == HistoryEventType::TaskSubmitted);
        let params = h.events().iter().find_map(|e| {
            e.task_scheduled_event_details()
                .map(|d| d.parameters().to_owned())
        });
        if let (true, Some(p)) = (submitted, params) {
            let p: Value = serde_json::from_str(&p).expect("parameters are JSON");
            return p["Payload"]["token"]
                .as_str()
                .expect("the token in the payload")
                .to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{arn} never waited for its token"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_closed(sfn: &Client, arn: &str) -> (ExecutionStatus, Option<String>, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("describe");
        if *d.status() != ExecutionStatus::Running {
            return (
                d.status().clone(),
                d.error().map(str::to_owned),
                d.output().map(str::to_owned),
            );
        }
        assert!(Instant::now() < deadline, "{arn} still RUNNING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_answers_task_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("callback.asl.json");
    std::fs::write(&def, DEFINITION).unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--definition", def.to_str().unwrap()]);
    let sfn = client(&server.url);

    // a malformed token is InvalidToken
    let e = sfn
        .send_task_heartbeat()
        .task_token("not-a-token")
        .send()
        .await
        .expect_err("a bad token");
    assert!(e.into_service_error().is_invalid_token());

    // the first upload: kept alive past HeartbeatSeconds, then failed by the callback
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "p.jpg").await;
    let arn = execution_arn(&id);
    let token = token_of(&sfn, &arn).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        sfn.send_task_heartbeat()
            .task_token(&token)
            .send()
            .await
            .expect("the task is alive");
    }
    sfn.send_task_failure()
        .task_token(&token)
        .error("Rejected")
        .cause("not suitable")
        .send()
        .await
        .expect("failure accepted");
    let (status, error, _) = wait_closed(&sfn, &arn).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(error.as_deref(), Some("Rejected"));
    // a spent token does not exist any more
    let e = sfn
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .expect_err("a spent token");
    assert!(e.into_service_error().is_task_does_not_exist());

    // the second upload: SendTaskSuccess's output is the task's result
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "q.jpg").await;
    let arn = execution_arn(&id);
    let token = token_of(&sfn, &arn).await;
    sfn.send_task_success()
        .task_token(&token)
        .output(json!({"approved": true}).to_string())
        .send()
        .await
        .expect("success accepted");
    let (status, _, output) = wait_closed(&sfn, &arn).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(&output.unwrap()).unwrap();
    assert_eq!(output["decision"], json!({"approved": true}));

    // the third: silence past HeartbeatSeconds times the task out, and the token says so
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "r.jpg").await;
    let arn = execution_arn(&id);
    let token = token_of(&sfn, &arn).await;
    let (status, error, _) = wait_closed(&sfn, &arn).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(error.as_deref(), Some("States.HeartbeatTimeout"));
    let e = sfn
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .expect_err("a timed-out token");
    assert!(e.into_service_error().is_task_timed_out());
    server.stop();
}
