//! `SfnExecutionLog` against moto's Step Functions: listing, describing, history and the
//! definition of a state machine created there.
//!
//! moto runs no state machine by default: an execution stays RUNNING (or is FAILED at once
//! when the server runs with `SF_EXECUTION_HISTORY_TYPE=FAILURE`), and GetExecutionHistory
//! answers a canned history (ExecutionStarted with input `"{}"`, a Pass or Fail state, the
//! end of the execution) rather than the events of the execution itself. So the history
//! assertions here check the shape and the conversion of what moto answers; that an
//! ExecutionStarted event carries the execution's own input is checked on SDK values built
//! by hand (the unit tests of `crates/aws/src/sfn_log.rs`).

mod common;

use aws::SfnExecutionLog;
use pipeline::{ExecutionLog, StoreError};
use serde_json::{json, Value};

async fn start(sfn: &aws_sdk_sfn::Client, machine: &str, name: &str, input: &Value) -> String {
    sfn.start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .expect("start execution")
        .execution_arn()
        .to_owned()
}

fn names(list: &[pipeline::ExecutionSummary]) -> Vec<&str> {
    list.iter().map(|e| e.name.as_str()).collect()
}

fn is_rfc3339_millis(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.len() == 24 && s.ends_with('Z')
}

#[tokio::test]
async fn execution_log_reads_executions_history_and_definition() {
    let Some(url) = common::endpoint("execution_log_reads_executions_history_and_definition")
    else {
        return;
    };
    let sdk = common::sdk(&url).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let machine = common::create_state_machine(&sdk, &format!("media-pipeline-{tag}")).await;
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let log = SfnExecutionLog::new(&sdk, &machine);

    // two executions, the first one stopped (ABORTED), the second left as moto has it
    let first_name = format!("{}-first", &tag[..8]);
    let second_name = format!("{}-second", &tag[..8]);
    let first_input = json!({"id": first_name, "rawKey": format!("raw/{first_name}/original.jpg")});
    let second_input =
        json!({"id": second_name, "rawKey": format!("raw/{second_name}/original.png")});
    let first_arn = start(&sfn, &machine, &first_name, &first_input).await;
    let second_arn = start(&sfn, &machine, &second_name, &second_input).await;
    sfn.stop_execution()
        .execution_arn(&first_arn)
        .send()
        .await
        .expect("stop execution");

    // describe, by name and by ARN
    let first = log
        .describe_execution(&first_name)
        .await
        .unwrap()
        .expect("first by name");
    assert_eq!(first.name, first_name);
    assert_eq!(first.execution_arn, first_arn);
    assert_eq!(
        Some(first_arn.as_str()),
        aws::sfn::execution_arn(&machine, &first_name).as_deref()
    );
    assert_eq!(first.status, "ABORTED");
    assert_eq!(first.input.as_ref(), Some(&first_input));
    assert!(is_rfc3339_millis(&first.start_date), "{}", first.start_date);
    let stopped = first
        .stop_date
        .as_deref()
        .expect("a stopped execution has a stop date");
    assert!(is_rfc3339_millis(stopped), "{stopped}");
    assert!(first.start_date.as_str() <= stopped);
    assert_eq!(
        log.describe_execution(&first_arn).await.unwrap().as_ref(),
        Some(&first)
    );
    let second = log
        .describe_execution(&second_arn)
        .await
        .unwrap()
        .expect("second by ARN");
    assert_eq!(second.name, second_name);
    assert_eq!(second.input.as_ref(), Some(&second_input));
    assert_ne!(second.status, "ABORTED");

    // what names no execution of this machine
    assert_eq!(
        log.describe_execution("no-such-execution").await.unwrap(),
        None
    );
    assert_eq!(log.describe_execution("a/b").await.unwrap(), None);
    let elsewhere = aws::sfn::execution_arn(
        &machine.replace(&format!("media-pipeline-{tag}"), "another-machine"),
        &first_name,
    )
    .unwrap();
    assert_eq!(log.describe_execution(&elsewhere).await.unwrap(), None);

    // list: newest first, filtered by status, bounded by the limit, over several pages
    let all = log.list_executions(None, 10).await.unwrap();
    assert_eq!(names(&all), vec![second_name.as_str(), first_name.as_str()]);
    assert_eq!(all[1].execution_arn, first_arn);
    assert_eq!(all[1].status, "ABORTED");
    assert_eq!(all[1].start_date, first.start_date);
    assert_eq!(all[1].stop_date, first.stop_date);
    assert_eq!(all[0].status, second.status);
    assert_eq!(
        names(&log.list_executions(Some("aborted"), 10).await.unwrap()),
        vec![first_name.as_str()]
    );
    assert_eq!(
        names(&log.list_executions(Some(&second.status), 10).await.unwrap()),
        vec![second_name.as_str()]
    );
    assert!(log
        .list_executions(Some("SUCCEEDED"), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(log
        .list_executions(Some("NOT_A_STATUS"), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        names(&log.list_executions(None, 1).await.unwrap()),
        vec![second_name.as_str()]
    );
    let paged = log.clone().with_page_size(1);
    assert_eq!(paged.list_executions(None, 10).await.unwrap(), all);
    assert_eq!(paged.list_executions(None, 1).await.unwrap(), all[..1]);

    // history: ascending ids, ExecutionStarted first, every event in the local log's shape
    let history = log.execution_history(&first_name).await.unwrap();
    assert!(!history.is_empty(), "moto answers a (canned) history");
    assert_eq!(log.execution_history(&first_arn).await.unwrap(), history);
    for (i, ev) in history.iter().enumerate() {
        let keys: Vec<&str> = ev
            .as_object()
            .expect("an event is an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["id", "previousEventId", "timestamp", "type", "details"],
            "{ev}"
        );
        assert_eq!(ev["id"], json!(i + 1), "{ev}");
        assert!(ev["previousEventId"].as_i64().unwrap() < ev["id"].as_i64().unwrap());
        assert!(is_rfc3339_millis(ev["timestamp"].as_str().unwrap()), "{ev}");
        assert!(ev["details"].is_object(), "{ev}");
        let ty = ev["type"].as_str().unwrap();
        if ty.ends_with("StateEntered") || ty.ends_with("StateExited") {
            assert!(
                ev["details"]["name"]
                    .as_str()
                    .is_some_and(|n| !n.is_empty()),
                "{ev}"
            );
        }
    }
    let started = &history[0];
    assert_eq!(started["type"], json!("ExecutionStarted"));
    assert_eq!(started["previousEventId"], json!(0));
    assert_eq!(started["details"]["roleArn"], json!(common::ROLE_ARN));
    assert_eq!(
        started["details"]["inputDetails"],
        json!({"truncated": false})
    );
    let input = started["details"]["input"].as_str().expect("input text");
    assert!(serde_json::from_str::<Value>(input).is_ok(), "{input}");
    let last = history.last().unwrap();
    match last["type"].as_str().unwrap() {
        "ExecutionSucceeded" => assert!(last["details"]["output"].is_string(), "{last}"),
        "ExecutionFailed" => assert!(last["details"]["error"].is_string(), "{last}"),
        other => panic!("the history ends with {other}"),
    }
    let timestamps: Vec<&str> = history
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    assert!(
        timestamps.windows(2).all(|w| w[0] <= w[1]),
        "{timestamps:?}"
    );
    assert_eq!(paged.execution_history(&first_name).await.unwrap(), history);
    assert!(log
        .execution_history("no-such-execution")
        .await
        .unwrap()
        .is_empty());

    // the definition, as sent
    let sent: Value = serde_json::from_str(&common::definition()).unwrap();
    assert_eq!(log.definition().await.unwrap(), sent);
}

#[tokio::test]
async fn execution_log_errors_are_classified() {
    let Some(url) = common::endpoint("execution_log_errors_are_classified") else {
        return;
    };
    let sdk = common::sdk(&url).await;
    // a state machine that does not exist: the caller's mistake
    let missing = SfnExecutionLog::new(
        &sdk,
        "arn:aws:states:us-east-1:123456789012:stateMachine:no-such-machine",
    );
    assert!(matches!(
        missing.list_executions(None, 10).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        missing.definition().await,
        Err(StoreError::Invalid(_))
    ));
    // nobody answering: transient
    let closed = common::sdk("http://127.0.0.1:9").await;
    let unreachable = SfnExecutionLog::new(
        &closed,
        "arn:aws:states:us-east-1:123456789012:stateMachine:media-pipeline",
    );
    assert!(matches!(
        unreachable.list_executions(None, 10).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        unreachable.execution_history("abc").await,
        Err(StoreError::Unavailable(_))
    ));
}

/// The console's actions on AWS are Step Functions' own calls: StartExecution (a taken
/// name is `ExecutionAlreadyExists`), StopExecution, and a page of executions by prefix.
#[tokio::test]
async fn the_console_actions_go_to_step_functions() {
    let Some(url) = common::endpoint("the_console_actions_go_to_step_functions") else {
        return;
    };
    let sdk = common::sdk(&url).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let machine = common::create_state_machine(&sdk, &format!("media-pipeline-{tag}")).await;
    let log = SfnExecutionLog::new(&sdk, &machine);
    assert_eq!(log.state_machine_arn(), machine);

    let name = format!("{}-act", &tag[..8]);
    let input = json!({"id": name, "rawKey": format!("raw/{name}/original.jpg")});
    let started = log.start_execution(Some(&name), &input).await.unwrap();
    assert_eq!(started.name, name);
    assert_eq!(started.input.as_ref(), Some(&input));
    let dup = log
        .start_execution(Some(&name), &json!({"other": true}))
        .await
        .unwrap_err();
    assert!(
        matches!(dup, pipeline::ExecutionError::AlreadyExists(_)),
        "{dup:?}"
    );

    let page = log
        .list_page(&pipeline::ExecutionQuery {
            name_prefix: Some(name.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&page.executions), [name.as_str()]);

    let stopped = log
        .stop_execution(&name, Some("Operator"), Some("stopped by the test"))
        .await
        .unwrap();
    assert_eq!(stopped.status, "ABORTED");
    let missing = log
        .stop_execution(&format!("{}-none", &tag[..8]), None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, pipeline::ExecutionError::DoesNotExist(_)),
        "{missing:?}"
    );
}

/// With the Backfill configured, the list is both machines' executions, newest first,
/// under one cursor: walked two at a time it gives each execution once, in the order of
/// the one-page list; a status filter and a name prefix apply to both.
#[tokio::test]
async fn the_list_merges_the_pipelines_and_the_backfills_runs() {
    let Some(url) = common::endpoint("the_list_merges_the_pipelines_and_the_backfills_runs") else {
        return;
    };
    let sdk = common::sdk(&url).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let machine = common::create_state_machine(&sdk, &format!("media-pipeline-{tag}")).await;
    let backfill = common::create_state_machine(&sdk, &format!("{}-backfill", &tag[..12])).await;
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let short = &tag[..8];
    let mut started = Vec::new();
    for (i, on) in [&machine, &backfill, &machine, &backfill, &machine]
        .into_iter()
        .enumerate()
    {
        let name = if *on == backfill {
            format!("backfill-{short}-{i}")
        } else {
            format!("{short}-{i}")
        };
        start(&sfn, on, &name, &json!({})).await;
        started.push(name);
    }
    let log = SfnExecutionLog::new(&sdk, &machine).with_backfill(&backfill);
    let query = |limit: usize, cursor: Option<String>| pipeline::ExecutionQuery {
        limit,
        cursor,
        ..Default::default()
    };
    let whole = log.list_page(&query(100, None)).await.unwrap();
    assert_eq!(whole.next, None);
    let mut expected: Vec<&str> = started.iter().map(String::as_str).collect();
    expected.sort();
    let mut got = names(&whole.executions);
    got.sort();
    assert_eq!(got, expected, "every run of both machines");
    assert!(
        whole
            .executions
            .windows(2)
            .all(|w| w[0].start_date >= w[1].start_date),
        "newest first: {:?}",
        whole.executions
    );
    // two at a time, the same rows in the same order
    let mut walked = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = log.list_page(&query(2, cursor.take())).await.unwrap();
        assert!(page.executions.len() <= 2);
        walked.extend(page.executions);
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(cursor, None, "the walk ends");
    assert_eq!(names(&walked), names(&whole.executions));
    // the unpaged list agrees, and a limit cuts it
    let listed = log.list_executions(None, 10).await.unwrap();
    assert_eq!(names(&listed), names(&whole.executions));
    assert_eq!(
        names(&log.list_executions(None, 2).await.unwrap()),
        names(&whole.executions[..2])
    );
    // a status filter applies to both machines: stop one run of each
    for name in [&started[1], &started[2]] {
        log.stop_execution(name, None, None).await.unwrap();
    }
    let aborted = log
        .list_page(&pipeline::ExecutionQuery {
            status: Some("ABORTED".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut stopped = names(&aborted.executions);
    stopped.sort();
    let mut want = vec![started[1].as_str(), started[2].as_str()];
    want.sort();
    assert_eq!(stopped, want);
    // a name prefix: the Backfill's runs only
    let runs = log
        .list_page(&pipeline::ExecutionQuery {
            name_prefix: Some(format!("backfill-{short}")),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut runs = names(&runs.executions);
    runs.sort();
    assert_eq!(runs, [started[1].as_str(), started[3].as_str()]);
    // a cursor of no such listing is the caller's mistake
    assert!(matches!(
        log.list_page(&query(2, Some("not-a-cursor".into()))).await,
        Err(StoreError::Invalid(_))
    ));
}
