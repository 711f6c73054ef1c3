//! The local server speaks the Step Functions API: `aws-sdk-sfn`, unchanged, pointed at
//! `media-hub serve` by endpoint URL, after real uploads: the state machine, executions and
//! their pages, a history in AWS's order, StartExecution, StopExecution of a running one
//! (Cleanup's invariants hold), RedriveExecution of a failed one, and AWS's error shapes.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;
use common::{fixture, repo_root, Server};
use serde_json::{json, Value};

const MACHINE: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:media-pipeline";

fn execution_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:000000000000:execution:media-pipeline:{name}")
}

fn client(url: &str) -> Client {
    client_as(url, "local")
}

fn client_as(url: &str, access_key: &str) -> Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(access_key, "local", None, None, "test"))
        .endpoint_url(url)
        .build();
    Client::from_conf(config)
}

/// A raw call, to see the wire: status and JSON body.
async fn call(url: &str, action: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Target", format!("AWSStepFunctions.{action}"))
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-amz-json-1.0")
    );
    (status, resp.json().await.expect("json body"))
}

async fn wait_closed(
    sfn: &Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("describe");
        if *d.status() != ExecutionStatus::Running {
            return d;
        }
        assert!(Instant::now() < deadline, "{arn} still RUNNING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn history_types(sfn: &Client, arn: &str) -> Vec<(i64, i64, String, Option<String>)> {
    let h = sfn
        .get_execution_history()
        .execution_arn(arn)
        .max_results(1000)
        .send()
        .await
        .expect("history");
    h.events()
        .iter()
        .map(|e| {
            let name = e
                .state_entered_event_details()
                .map(|d| d.name().to_owned())
                .or_else(|| e.state_exited_event_details().map(|d| d.name().to_owned()));
            (
                e.id(),
                e.previous_event_id(),
                e.r#type().as_str().to_owned(),
                name,
            )
        })
        .collect()
}

/// The events AWS records for one Lambda task that succeeds.
fn task(name: &str) -> Vec<(String, Option<String>)> {
    vec![
        ("TaskStateEntered".into(), Some(name.into())),
        ("TaskScheduled".into(), None),
        ("TaskStarted".into(), None),
        ("TaskSucceeded".into(), None),
        ("TaskStateExited".into(), Some(name.into())),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_lists_describes_starts_redrives_and_gets_aws_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = server.upload_ok(&fixture("photo_exif.jpg"), "p.jpg").await;
        assert_eq!(server.wait_terminal(&id).await["status"], "READY");
        ids.push(id);
    }
    let sfn = client(&server.url);

    // the state machine
    let machines = sfn
        .list_state_machines()
        .send()
        .await
        .expect("list machines");
    let m = &machines.state_machines()[0];
    assert_eq!(machines.state_machines().len(), 1);
    assert_eq!(m.state_machine_arn(), MACHINE);
    assert_eq!(m.name(), "media-pipeline");
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(MACHINE)
        .send()
        .await
        .expect("describe machine");
    let definition: Value = serde_json::from_str(described.definition()).unwrap();
    assert_eq!(definition["StartAt"], "ValidateFileType");

    // executions, two to a page
    let first = sfn
        .list_executions()
        .state_machine_arn(MACHINE)
        .max_results(2)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.executions().len(), 2);
    let token = first.next_token().expect("a second page").to_owned();
    let second = sfn
        .list_executions()
        .state_machine_arn(MACHINE)
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .expect("page 2");
    assert_eq!(second.executions().len(), 1);
    assert!(second.next_token().is_none());
    let mut listed: Vec<String> = first
        .executions()
        .iter()
        .chain(second.executions())
        .map(|e| e.name().to_owned())
        .collect();
    listed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(listed, expected);
    for e in first.executions() {
        assert_eq!(*e.status(), ExecutionStatus::Succeeded);
        assert_eq!(e.execution_arn(), execution_arn(e.name()));
        assert!(e.stop_date().is_some());
    }
    let failed_only = sfn
        .list_executions()
        .state_machine_arn(MACHINE)
        .status_filter(ExecutionStatus::Failed)
        .send()
        .await
        .unwrap();
    assert!(failed_only.executions().is_empty());

    // one execution and its history, in AWS's order
    let arn = execution_arn(&ids[0]);
    let one = sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(*one.status(), ExecutionStatus::Succeeded);
    assert_eq!(one.name(), Some(ids[0].as_str()));
    assert_eq!(one.state_machine_arn(), MACHINE);
    let input: Value = serde_json::from_str(one.input().unwrap()).unwrap();
    assert_eq!(input["id"], ids[0].as_str());
    let output: Value = serde_json::from_str(one.output().unwrap()).unwrap();
    assert_eq!(output["commit"]["status"], "READY");
    assert_eq!(one.redrive_count(), Some(0));
    assert_eq!(
        one.redrive_status().map(|s| s.as_str()),
        Some("NOT_REDRIVABLE")
    );

    let events = history_types(&sfn, &arn).await;
    for (i, (id, _, _, _)) in events.iter().enumerate() {
        assert_eq!(*id, i as i64 + 1, "ids count from 1 without gaps");
    }
    let seq: Vec<(String, Option<String>)> = events
        .iter()
        .map(|(_, _, t, n)| (t.clone(), n.clone()))
        .collect();
    // the frame around the Parallel, as AWS records it for this definition
    let mut head = vec![("ExecutionStarted".to_owned(), None)];
    head.extend(task("ValidateFileType"));
    head.push(("ParallelStateEntered".into(), Some("ProcessMedia".into())));
    head.push(("ParallelStateStarted".into(), None));
    let mut tail = vec![
        ("ParallelStateSucceeded".to_owned(), None),
        ("ParallelStateExited".into(), Some("ProcessMedia".into())),
    ];
    tail.extend(task("CommitRecord"));
    // moderation is off: its Choice goes straight to Done
    tail.push(("ChoiceStateEntered".into(), Some("ModerationOn".into())));
    tail.push(("ChoiceStateExited".into(), Some("ModerationOn".into())));
    tail.push(("SucceedStateEntered".into(), Some("Done".into())));
    tail.push(("SucceedStateExited".into(), Some("Done".into())));
    tail.push(("ExecutionSucceeded".into(), None));
    // the branches: two tasks of 5 events each, and a photo's video branch (IsVideo's
    // Choice entered/exited, NoRendition's Pass entered/exited)
    assert_eq!(seq.len(), head.len() + 14 + tail.len(), "{seq:#?}");
    assert_eq!(seq[..head.len()], head[..], "{seq:#?}");
    assert_eq!(seq[seq.len() - tail.len()..], tail[..], "{seq:#?}");
    // the two branches run side by side: each branch's own events keep AWS's order
    let branches: Vec<(i64, i64, String, Option<String>)> =
        events[head.len()..events.len() - tail.len()].to_vec();
    for state in ["GenerateThumbnails", "ExtractMetadata"] {
        let entered = branches
            .iter()
            .find(|e| e.3.as_deref() == Some(state))
            .expect("branch entered");
        // follow previousEventId links from the branch's exit back to its entry
        let exit = branches
            .iter()
            .find(|e| e.2 == "TaskStateExited" && e.3.as_deref() == Some(state))
            .expect("branch exited");
        let mut chain = vec![exit.2.clone()];
        let mut at = exit.1;
        while at != entered.0 {
            let ev = events.iter().find(|e| e.0 == at).expect("linked event");
            chain.push(ev.2.clone());
            at = ev.1;
        }
        chain.push(entered.2.clone());
        chain.reverse();
        let want: Vec<String> = task(state).into_iter().map(|(t, _)| t).collect();
        assert_eq!(chain, want, "{state}");
    }
    // paging and reverse order
    let page = sfn
        .get_execution_history()
        .execution_arn(&arn)
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(page.events().len(), 5);
    let rest = sfn
        .get_execution_history()
        .execution_arn(&arn)
        .max_results(1000)
        .next_token(page.next_token().expect("more events"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.events().len(), events.len() - 5);
    assert_eq!(rest.events()[0].id(), 6);
    let reversed = sfn
        .get_execution_history()
        .execution_arn(&arn)
        .reverse_order(true)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(reversed.events()[0].r#type().as_str(), "ExecutionSucceeded");
    let for_exec = sfn
        .describe_state_machine_for_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(for_exec.state_machine_arn(), MACHINE);

    // StartExecution: an upload that never reached the store fails at its first task,
    // and Cleanup marks it
    let input =
        json!({"id": "no-such-upload", "rawKey": "raw/no-such-upload/original.jpg"}).to_string();
    let started = sfn
        .start_execution()
        .state_machine_arn(MACHINE)
        .name("manual-1")
        .input(&input)
        .send()
        .await
        .expect("start");
    assert_eq!(started.execution_arn(), execution_arn("manual-1"));
    let failed = wait_closed(&sfn, started.execution_arn()).await;
    assert_eq!(*failed.status(), ExecutionStatus::Failed);
    assert_eq!(failed.error(), Some("NotFound"));
    assert_eq!(
        failed.redrive_status().map(|s| s.as_str()),
        Some("REDRIVABLE")
    );

    // a duplicate name: AWS's error, typed by the SDK, and its wire shape
    let dup = sfn
        .start_execution()
        .state_machine_arn(MACHINE)
        .name("manual-1")
        .input("{\"other\": true}")
        .send()
        .await
        .expect_err("a duplicate name");
    assert!(dup.into_service_error().is_execution_already_exists());
    let (status, body) = call(
        &server.url,
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "manual-1", "input": input}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "ExecutionAlreadyExists");
    assert!(body["message"].as_str().unwrap().contains("manual-1"));

    // RedriveExecution: the same execution continues, redriveCount + 1
    let before = history_types(&sfn, started.execution_arn()).await;
    let redriven = sfn
        .redrive_execution()
        .execution_arn(started.execution_arn())
        .send()
        .await
        .expect("redrive");
    assert!(redriven.redrive_date().secs() > 0);
    let after = wait_closed(&sfn, started.execution_arn()).await;
    assert_eq!(after.redrive_count(), Some(1));
    assert!(after.redrive_date().is_some());
    assert_eq!(*after.status(), ExecutionStatus::Failed);
    let again = history_types(&sfn, started.execution_arn()).await;
    assert_eq!(again[..before.len()], before[..], "the history is kept");
    assert_eq!(again[before.len()].2, "ExecutionRedriven");
    assert_eq!(again[before.len()].0, before.len() as i64 + 1);
    // it continued at the Fail state the caught error led to: Cleanup did not run again
    assert_eq!(again[before.len() + 1].2, "FailStateEntered");
    assert_eq!(again.last().unwrap().2, "ExecutionFailed");
    let not_again = sfn
        .redrive_execution()
        .execution_arn(execution_arn(&ids[0]))
        .send()
        .await
        .expect_err("a SUCCEEDED execution");
    assert!(not_again.into_service_error().is_execution_not_redrivable());

    // a missing execution, a malformed ARN, a bad filter
    let missing = sfn
        .describe_execution()
        .execution_arn(execution_arn("nope"))
        .send()
        .await
        .expect_err("missing");
    assert!(missing.into_service_error().is_execution_does_not_exist());
    let (status, body) = call(
        &server.url,
        "DescribeExecution",
        json!({"executionArn": execution_arn("nope")}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "ExecutionDoesNotExist");
    assert_eq!(
        body["message"],
        format!("Execution Does Not Exist: '{}'", execution_arn("nope"))
    );
    let (status, body) = call(
        &server.url,
        "DescribeExecution",
        json!({"executionArn": "nope"}),
    )
    .await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("InvalidArn")));
    let (status, body) = call(
        &server.url,
        "ListExecutions",
        json!({"stateMachineArn": MACHINE, "statusFilter": "BOGUS"}),
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    let (status, body) = call(&server.url, "DescribeExecution", json!({})).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ValidationException"))
    );

    // StartSyncExecution answers with the ended execution; TestState runs one state alone
    let (status, body) = call(
        &server.url,
        "StartSyncExecution",
        json!({"stateMachineArn": MACHINE, "name": "sync-1",
               "input": json!({"id": "gone", "rawKey": "raw/gone/original.jpg"}).to_string()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["error"].as_str()),
        (Some("FAILED"), Some("NotFound"))
    );
    let (status, body) = call(
        &server.url,
        "TestState",
        json!({"definition": json!({"Type": "Pass", "Parameters": {"seen.$": "$.x"}, "Next": "Later"}).to_string(),
               "roleArn": "arn:aws:iam::000000000000:role/x", "input": "{\"x\": 7}"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCEEDED");
    assert_eq!(body["nextState"], "Later");
    assert_eq!(
        serde_json::from_str::<Value>(body["output"].as_str().unwrap()).unwrap(),
        json!({"seen": 7})
    );

    // definitions are validated with AWS's codes
    let check = sfn
        .validate_state_machine_definition()
        .definition(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(check.result().as_str(), "FAIL");
    assert_eq!(check.diagnostics()[0].code(), "MISSING_TRANSITION_TARGET");
}

/// The shipped definition with a long Wait in front, so an execution is RUNNING long enough
/// to be stopped.
fn holding_definition(dir: &std::path::Path) -> std::path::PathBuf {
    let text =
        std::fs::read_to_string(repo_root().join("statemachine/media-pipeline.asl.json")).unwrap();
    let mut def: Value = serde_json::from_str(&text).unwrap();
    def["States"]["Hold"] = json!({"Type": "Wait", "Seconds": 600, "Next": "ValidateFileType"});
    def["StartAt"] = json!("Hold");
    let path = dir.join("holding.asl.json");
    std::fs::write(&path, def.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_running_execution_aborts_it_and_cleans_up_the_reel() {
    let dir = tempfile::tempdir().unwrap();
    let defs = tempfile::tempdir().unwrap();
    let def = holding_definition(defs.path());
    let server = Server::start(dir.path(), &["--definition", def.to_str().unwrap()]);
    let id = server.upload_ok(&fixture("photo_exif.jpg"), "p.jpg").await;
    let sfn = client(&server.url);
    let arn = execution_arn(&id);
    let running = sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(*running.status(), ExecutionStatus::Running);
    let listed = sfn
        .list_executions()
        .state_machine_arn(MACHINE)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 1);

    let stopped = sfn
        .stop_execution()
        .execution_arn(&arn)
        .error("Operator")
        .cause("stopped by the test")
        .send()
        .await
        .expect("stop");
    assert!(stopped.stop_date().secs() > 0);
    let d = sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(*d.status(), ExecutionStatus::Aborted);
    assert_eq!(d.error(), Some("Operator"));
    assert_eq!(d.redrive_status().map(|s| s.as_str()), Some("REDRIVABLE"));
    let events = history_types(&sfn, &arn).await;
    assert_eq!(
        events.iter().map(|e| e.2.as_str()).collect::<Vec<_>>(),
        ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );

    // Cleanup's invariants: FAILED, no thumbnail, the raw file kept (a stop is not the file's fault)
    let reel = server.reel(&id).await;
    assert_eq!(reel["status"], "FAILED", "{reel}");
    assert_eq!(reel["error"], "Operator");
    server.assert_invariants(&reel);
    assert!(server.blob(reel["rawKey"].as_str().unwrap()).is_file());

    // the same from the terminal: `media-hub executions stop` asks the server
    let second = server.upload_ok(&fixture("photo_exif.jpg"), "q.jpg").await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_media-hub"))
            .arg("executions")
            .args(args)
            .args(["--server", &server.url])
            .output()
            .unwrap()
    };
    let out = cli(&["stop", &second, "--cause", "from the terminal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d3 = sfn
        .describe_execution()
        .execution_arn(execution_arn(&second))
        .send()
        .await
        .unwrap();
    assert_eq!(*d3.status(), ExecutionStatus::Aborted);
    assert_eq!(d3.cause(), Some("from the terminal"));
    assert_eq!(server.reel(&second).await["status"], "FAILED");
    let out = cli(&["stop", "no-such-execution"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ExecutionDoesNotExist"));

    // the console's reprocess: the stopped reel (raw file kept) runs again, in a new execution
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/console/reels/{id}/reprocess", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/console/executions/"), "{to}");
    let again = server.reel(&id).await;
    assert_eq!(again["status"], "PROCESSING", "{again}");
    let new_name = to.rsplit('/').next().unwrap();
    assert_ne!(new_name, id, "a new execution");
    assert!(
        again["executionArn"].as_str().unwrap().ends_with(new_name),
        "{again}"
    );

    // a stop of a closed execution changes nothing
    sfn.stop_execution()
        .execution_arn(&arn)
        .send()
        .await
        .expect("stop again");
    let d2 = sfn
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d2.stop_date(), d.stop_date());
}

/// With an admin token the API answers only requests that carry it: SDKs sign with SigV4,
/// so the token is their access key id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_needs_the_admin_token_when_there_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--admin-token", "s3cret-token"]);
    let denied = client_as(&server.url, "wrong")
        .list_state_machines()
        .send()
        .await
        .expect_err("a wrong key");
    assert_eq!(
        denied.raw_response().map(|r| r.status().as_u16()),
        Some(403)
    );
    let (status, body) = call(&server.url, "ListStateMachines", json!({})).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (403, Some("AccessDeniedException"))
    );
    let ok = client_as(&server.url, "s3cret-token")
        .list_state_machines()
        .send()
        .await
        .expect("the token as the access key");
    assert_eq!(ok.state_machines().len(), 1);
}
