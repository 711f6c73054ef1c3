//! The execution console in a real browser (headless Chromium through chromedriver, driven
//! by `browser/console.py`): filters and search, the graph of a READY and of a FAILED
//! execution, a state's details, a redrive from the page, the definition validated in the
//! page, and every console page at 360 px. Screenshots go to `target/screenshots/console`
//! (or `$MEDIA_HUB_SCREENSHOTS/console`).

mod common;

use common::{browser_ready, fixture, run_browser_script, screenshots_dir, Server};
use serde_json::{json, Value};

/// StartExecution on the server's Step Functions API.
async fn start_execution(url: &str, name: &str, input: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Target", "AWSStepFunctions.StartExecution")
        .body(
            json!({
                "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:media-pipeline",
                "name": name,
                "input": input.to_string(),
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_a_real_browser() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser test: {why}"
        );
        eprintln!("SKIPPED the console browser test: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut ready = Vec::new();
    for _ in 0..2 {
        let id = server.upload_ok(&fixture("photo_exif.jpg"), "p.jpg").await;
        assert_eq!(server.wait_terminal(&id).await["status"], "READY");
        ready.push(id);
    }
    // an upload whose file never reached the store: it fails, Cleanup marks it
    let failed = "broken-upload";
    start_execution(
        &server.url,
        failed,
        json!({"id": failed, "rawKey": format!("raw/{failed}/original.jpg")}),
    )
    .await;
    assert_eq!(
        server.wait_execution(failed).await["execution"]["status"],
        "FAILED"
    );

    let shots = screenshots_dir("console");
    let args = vec![
        server.url.clone().into(),
        ready[0].clone().into(),
        failed.into(),
        shots.clone().into(),
    ];
    let seen = run_browser_script("console.py", args).await;
    let pairs = |key: &str| -> Vec<(String, String)> {
        seen[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {seen}"))
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_owned(),
                    r[1].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    // the list: everything, then only FAILED, then one by id prefix
    assert_eq!(pairs("all_rows").len(), 3, "{seen}");
    assert_eq!(
        pairs("failed_rows"),
        vec![(failed.to_owned(), "FAILED".to_owned())]
    );
    assert_eq!(
        pairs("prefix_rows"),
        vec![(ready[0].clone(), "SUCCEEDED".to_owned())]
    );
    assert_eq!(
        seen["list_columns"],
        json!(["Name", "Status", "Started", "Duration", "Reel", "Error"])
    );
    assert_eq!(seen["list_reel_name"], "Ada");

    // a READY execution: every state that ran is green, the catch path did not run
    let graph = &seen["ready_graph"];
    for state in [
        "ValidateFileType",
        "ProcessMedia",
        "GenerateThumbnails",
        "ExtractMetadata",
        "IsVideo",
        "NoRendition",
        "CommitRecord",
        "ModerationOn",
        "Done",
    ] {
        assert_eq!(graph[state], "SUCCEEDED", "{state}: {graph}");
    }
    // a photo takes the Choice's default: no rendition; moderation is off: no review
    for state in ["TranscodeVideo", "AwaitModeration", "Cleanup", "Failed"] {
        assert_eq!(graph[state], "NOT_RUN", "{state}: {graph}");
    }
    assert_eq!(seen["parallel_contains_branches"], true, "{seen}");
    // clicking a state shows its input and output
    let input: Value = serde_json::from_str(seen["detail_input"].as_str().unwrap()).unwrap();
    assert_eq!(input["id"], ready[0].as_str());
    let output: Value = serde_json::from_str(seen["detail_output"].as_str().unwrap()).unwrap();
    assert_eq!(output["validated"]["mediaType"], "image/jpeg");
    assert!(seen["detail_text"].as_str().unwrap().contains("SUCCEEDED"));
    let table = seen["table_rows"].as_array().unwrap();
    let ran: std::collections::BTreeSet<&str> = graph
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, status)| *status != "NOT_RUN")
        .map(|(name, _)| name.as_str())
        .collect();
    let rows: std::collections::BTreeSet<&str> =
        table.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(table.len(), ran.len(), "one row per state run: {seen}");
    assert_eq!(
        rows, ran,
        "the table's states are the graph's that ran: {seen}"
    );
    assert_eq!(table[0][0], "ValidateFileType");
    assert_eq!(table[0][2], "SUCCEEDED");
    assert!(table[0][3].as_str().unwrap().contains("lambda:invoke"));
    assert_eq!(seen["events_visible"], true);
    assert_eq!(seen["event_types"][0], "ExecutionStarted");
    assert_eq!(
        seen["event_types"].as_array().unwrap().last().unwrap(),
        "ExecutionSucceeded"
    );

    // the execution started from the page with an edited input
    let edited: Value = serde_json::from_str(seen["edited_input"].as_str().unwrap()).unwrap();
    assert_eq!(
        edited,
        json!({"id": "edited-1", "rawKey": "raw/edited-1/original.jpg"})
    );

    // a FAILED execution: the Fail state red, the caught task orange, the cause in words
    let graph = &seen["failed_graph"];
    assert_eq!(graph["Failed"], "FAILED", "{graph}");
    assert_eq!(graph["ValidateFileType"], "CAUGHT_ERROR", "{graph}");
    assert_eq!(graph["Cleanup"], "SUCCEEDED", "{graph}");
    assert_eq!(seen["failed_error"], "NotFound");
    let cause = seen["failed_cause"].as_str().unwrap();
    assert!(
        cause.contains("raw/broken-upload/original.jpg")
            && !cause.contains('{')
            && !cause.contains("errorMessage"),
        "the cause reads as words: {cause}"
    );
    assert!(seen["caught_detail"].as_str().unwrap().contains("NotFound"));

    // redrive from the page: the same execution ran again
    assert_eq!(seen["after_redrive_status"], "FAILED");
    assert!(
        seen["redrives"].as_str().unwrap().starts_with("1 time"),
        "{seen}"
    );
    let events: Vec<&str> = seen["after_redrive_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let at = events
        .iter()
        .position(|t| *t == "ExecutionRedriven")
        .expect("ExecutionRedriven");
    assert_eq!(events[at - 1], "ExecutionFailed");
    assert_eq!(events.last(), Some(&"ExecutionFailed"));
    let api = server.get_json(&format!("/api/executions/{failed}")).await;
    assert_eq!(api["execution"]["redriveCount"], 1);

    // the definition validated in the page, with AWS's text
    assert!(
        seen["invalid_definition"]
            .as_str()
            .unwrap()
            .contains("MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere"),
        "{seen}"
    );

    // 360 px: no page scrolls sideways
    for page in ["list", "ready", "failed", "definition"] {
        let [scroll, inner] = [0, 1].map(|i| seen["narrow"][page][i].as_u64().unwrap_or(0));
        assert!(
            inner == 360 && scroll <= inner,
            "{page} at 360 px is {scroll} px wide: {seen}"
        );
    }
    for shot in [
        "1-list",
        "4-ready-graph",
        "5-ready-state-details",
        "8-failed-graph",
        "10-after-redrive",
        "360-ready",
    ] {
        let len = std::fs::metadata(shots.join(format!("{shot}.png")))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 1000, "screenshot {shot} missing");
    }
}

/// The moderation queue: signed in through the form, one reel rejected with a reason and
/// one approved by their buttons, and one whose execution was stopped while it waited asked
/// for review again, then approved (`browser/moderation.py`); screenshots at 360 px and
/// desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_moderation_queue_in_a_real_browser() {
    if let Err(why) = browser_ready() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the browser test: {why}"
        );
        eprintln!("SKIPPED the moderation browser test: {why}");
        return;
    }
    const TOKEN: &str = "browser-moderator";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--admin-token", TOKEN, "--moderation"]);
    let admin = reqwest::Client::new();
    let mut ids = Vec::new();
    for (file, caption) in [
        ("photo_exif.jpg", "Harbour at dawn"),
        ("photo_plain.jpg", "Blurry cat"),
        ("photo.png", "Stopped while waiting"),
    ] {
        let resp = server.upload("Ada", caption, &fixture(file), file).await;
        assert_eq!(resp.status(), 202);
        let body: serde_json::Value = resp.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    // both wait for review, each with its task token
    for id in &ids {
        server
            .wait_admin_json(&format!("/api/reels/{id}"), TOKEN, "held a token", |r| {
                r["moderationToken"].is_string()
            })
            .await;
    }
    // the third one's execution is stopped while it waits: its review task is gone
    let stopped = admin
        .post(format!("{}/console/executions/{}/stop", server.url, ids[2]))
        .bearer_auth(TOKEN)
        .form(&[("cause", "stopped by the test")])
        .send()
        .await
        .unwrap();
    // (the redirect to the execution page is followed)
    assert!(stopped.status().is_success(), "{}", stopped.status());
    server
        .wait_admin_json(
            &format!("/api/executions/{}", ids[2]),
            TOKEN,
            "aborted",
            |run| run["execution"]["status"] == "ABORTED",
        )
        .await;
    let shots = screenshots_dir("moderation");
    let args = vec![
        server.url.clone().into(),
        TOKEN.into(),
        ids[0].clone().into(),
        ids[1].clone().into(),
        ids[2].clone().into(),
        shots.clone().into_os_string(),
    ];
    let seen = run_browser_script("moderation.py", args).await;
    eprintln!("browser saw: {seen}");
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen["signin_first"], true, "{seen}");
    assert_eq!(seen["queue"], json!(expected), "{seen}");
    assert_eq!(seen["thumbnails_loaded"], true, "{seen}");
    assert_eq!(seen["desktop_overflow"], false, "{seen}");
    assert_eq!(seen["mobile_overflow"], false, "{seen}");
    assert_eq!(seen["ended_asks_again"], true, "{seen}");
    assert_eq!(seen["ended_has_approve"], false, "{seen}");
    assert_eq!(seen["asked_again_approvable"], true, "{seen}");
    assert_eq!(seen["queue_after"], json!([]), "{seen}");
    // the decisions took: one public, one REJECTED with its reason
    for id in [&ids[0], &ids[2]] {
        let approved = server.reel(id).await;
        assert_eq!(approved["visibility"], "public", "{approved}");
        assert_eq!(approved["status"], "READY");
    }
    let rejected = server.reel(&ids[1]).await;
    assert_eq!(rejected["status"], "REJECTED", "{rejected}");
    assert_eq!(
        rejected["cause"],
        "Out of focus: please upload a sharper one."
    );
    for name in [
        "1-queue-desktop",
        "2-queue-360",
        "3-after-reject",
        "4-asked-again",
        "5-asked-again-360",
        "6-queue-empty",
    ] {
        assert!(shots.join(format!("{name}.png")).is_file(), "{name}");
    }
}
