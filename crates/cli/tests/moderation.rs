//! Moderation end to end: `media-hub serve --moderation` on a loopback port, real uploads
//! over HTTP, the real ASL file (ModerationOn → AwaitModeration with `.waitForTaskToken`),
//! the console's queue answered as its forms post, and the Step Functions API answered by
//! `aws-sdk-sfn` with the token read from the record through the admin API.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use common::{fixture, Server};
use serde_json::Value;

const TOKEN: &str = "moderation-admin";

fn sfn(url: &str) -> aws_sdk_sfn::Client {
    // the admin token as the access key id of SigV4-signed requests
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(TOKEN, "unused", None, None, "test"))
        .endpoint_url(url)
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

fn execution_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:000000000000:execution:media-pipeline:{name}")
}

fn start(dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut args = vec!["--admin-token", TOKEN, "--moderation"];
    args.extend_from_slice(extra);
    Server::start(dir, &args)
}

/// A client that shows redirects rather than following them.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The operator's view of a reel (every field, the moderation token among them).
async fn admin_reel(server: &Server, id: &str) -> Value {
    server.admin_json(&format!("/api/reels/{id}"), TOKEN).await
}

/// Poll the operator's view until `done` holds.
async fn wait_for(server: &Server, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    server
        .wait_admin_json(&format!("/api/reels/{id}"), TOKEN, what, done)
        .await
}

/// The moderation queue's page as the operator sees it.
async fn queue_page(server: &Server) -> String {
    http()
        .get(format!("{}/console/moderation", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// READY, pending, and its AwaitModeration task holds a token.
async fn wait_awaiting_review(server: &Server, id: &str) -> Value {
    wait_for(server, id, "awaited review", |r| {
        r["status"] == "READY" && r["visibility"] == "pending" && r["moderationToken"].is_string()
    })
    .await
}

async fn public_ids(server: &Server) -> Vec<String> {
    let list = server.get_json("/api/reels").await;
    list["reels"]
        .as_array()
        .expect("reels")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn public_gallery(server: &Server) -> String {
    reqwest::get(format!("{}/gallery", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Every file the blob store holds for `id` (raw, thumbnails, renditions).
fn objects_of(server: &Server, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["raw", "thumbnails", "renditions"] {
        let dir = server.blob(&format!("{prefix}/{id}"));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries {
                out.push(format!(
                    "{prefix}/{id}/{}",
                    e.unwrap().file_name().to_string_lossy()
                ));
            }
        }
    }
    out
}

async fn execution_status(server: &Server, id: &str) -> ExecutionStatus {
    let client = sfn(&server.url);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = client
            .describe_execution()
            .execution_arn(execution_arn(id))
            .send()
            .await
            .expect("describe");
        if *d.status() != ExecutionStatus::Running {
            return d.status().clone();
        }
        assert!(Instant::now() < deadline, "execution {id} still RUNNING");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_waits_pending_until_the_console_approves_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let id = server
        .upload_ok(&fixture("photo_plain.jpg"), "plain.jpg")
        .await;

    // READY, but pending: out of the gallery and the public list
    let reel = wait_awaiting_review(&server, &id).await;
    assert!(!reel["thumbnails"].as_array().unwrap().is_empty(), "{reel}");
    assert!(!public_ids(&server).await.contains(&id));
    assert!(!public_gallery(&server)
        .await
        .contains(&format!("/reels/{id}")));
    // the public sees neither its content nor its media, nor the queue
    let public = server.reel(&id).await;
    assert_eq!(public["visibility"], "pending", "{public}");
    assert_eq!(public["name"], "", "{public}");
    assert!(public.get("moderationToken").is_none(), "{public}");
    assert_eq!(public["thumbnails"], serde_json::json!([]), "{public}");
    let thumb = reel["thumbnails"][0]["key"].as_str().unwrap().to_owned();
    let media = reqwest::get(format!("{}/media/{thumb}", server.url))
        .await
        .unwrap();
    assert_eq!(media.status(), 404);
    let page = reqwest::get(format!("{}/reels/{id}", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Awaiting review"), "{page}");
    assert!(!page.contains("a caption"), "the caption leaked: {page}");
    let listing = reqwest::get(format!("{}/api/reels?visibility=pending", server.url))
        .await
        .unwrap();
    assert_eq!(listing.status(), 403);
    let queue = http()
        .get(format!("{}/console/moderation", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 401, "the queue needs the admin token");

    // the operator's queue shows it with its buttons
    let queue = queue_page(&server).await;
    assert!(queue.contains(&format!("data-id=\"{id}\"")), "{queue}");
    assert!(queue.contains(&format!("/console/moderation/{id}/approve")));
    assert!(queue.contains("a caption"));
    let operator_media = http()
        .get(format!("{}/media/{thumb}", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(operator_media.status(), 200);

    // Approve, as the form posts it
    let approved = http()
        .post(format!("{}/console/moderation/{id}/approve", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303, "{:?}", approved.text().await);
    assert_eq!(
        approved.headers()["location"],
        format!("/console/moderation?approved={id}").as_str()
    );
    let reel = wait_for(&server, &id, "went public", |r| r["visibility"] == "public").await;
    assert_eq!(reel["status"], "READY");
    assert!(reel.get("moderationToken").is_none(), "{reel}");
    assert_eq!(
        execution_status(&server, &id).await,
        ExecutionStatus::Succeeded
    );
    assert!(public_ids(&server).await.contains(&id));
    assert!(public_gallery(&server)
        .await
        .contains(&format!("/reels/{id}")));
    server.assert_invariants(&reel);

    // a second decision on a published reel is refused (nothing waits any more)
    let again = http()
        .post(format!("{}/console/moderation/{id}/approve", server.url))
        .bearer_auth(TOKEN)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_task_failure_rejects_with_the_reason_and_leaves_no_object() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    // a video: raw file, poster thumbnails and a web rendition
    let id = server.upload_ok(&fixture("rotated.mp4"), "clip.mp4").await;
    let reel = wait_awaiting_review(&server, &id).await;
    assert!(reel["video"]["key"].is_string(), "{reel}");
    let before = objects_of(&server, &id);
    assert!(before.iter().any(|k| k.starts_with("raw/")), "{before:?}");
    assert!(
        before.iter().any(|k| k.starts_with("thumbnails/")),
        "{before:?}"
    );
    assert!(
        before.iter().any(|k| k.starts_with("renditions/")),
        "{before:?}"
    );

    let token = reel["moderationToken"].as_str().unwrap();
    let reason = "Shows a licence plate; please blur it and upload again.";
    sfn(&server.url)
        .send_task_failure()
        .task_token(token)
        .error("Rejected")
        .cause(reason)
        .send()
        .await
        .expect("SendTaskFailure");

    let reel = wait_for(&server, &id, "ended REJECTED", |r| {
        r["status"] == "REJECTED"
    })
    .await;
    assert_eq!(reel["error"], "Rejected", "{reel}");
    assert_eq!(reel["cause"], reason, "{reel}");
    assert_eq!(reel["thumbnails"], serde_json::json!([]), "{reel}");
    assert!(reel.get("video").is_none(), "{reel}");
    assert!(reel.get("moderationToken").is_none(), "{reel}");
    // the execution ends (a rejection is an outcome: the Rejected Succeed state)
    assert_eq!(
        execution_status(&server, &id).await,
        ExecutionStatus::Succeeded
    );
    assert_eq!(objects_of(&server, &id), Vec::<String>::new());
    assert!(!public_ids(&server).await.contains(&id));

    // the token is spent
    let spent = sfn(&server.url)
        .send_task_success()
        .task_token(token)
        .output("{}")
        .send()
        .await
        .expect_err("a spent token");
    assert_eq!(
        spent.as_service_error().and_then(|e| e.meta().code()),
        Some("TaskDoesNotExist")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_timeout_applies_the_policy() {
    // reject: the reel is removed, the reason says why
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--moderation-timeout-secs",
            "2",
            "--moderation-on-timeout",
            "reject",
        ],
    );
    let id = server
        .upload_ok(&fixture("photo_plain.jpg"), "plain.jpg")
        .await;
    let reel = wait_for(&server, &id, "ended REJECTED", |r| {
        r["status"] == "REJECTED"
    })
    .await;
    assert_eq!(reel["error"], "Rejected", "{reel}");
    let cause = reel["cause"].as_str().unwrap();
    assert!(cause.contains("No moderator decided in time"), "{cause}");
    assert!(
        cause.contains("States.Timeout") || cause.contains("States.HeartbeatTimeout"),
        "{cause}"
    );
    // Cleanup marks the record REJECTED first, then removes the files: once the execution
    // has ended, none is left
    assert_eq!(
        execution_status(&server, &id).await,
        ExecutionStatus::Succeeded
    );
    assert_eq!(objects_of(&server, &id), Vec::<String>::new());
    drop(server);

    // approve: the reel goes public unreviewed
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--moderation-timeout-secs",
            "2",
            "--moderation-on-timeout",
            "approve",
        ],
    );
    let id = server
        .upload_ok(&fixture("photo_plain.jpg"), "plain.jpg")
        .await;
    let reel = wait_for(&server, &id, "went public", |r| {
        r["status"] == "READY" && r["visibility"] == "public"
    })
    .await;
    assert_eq!(
        execution_status(&server, &id).await,
        ExecutionStatus::Succeeded
    );
    let events = http()
        .get(format!("{}/api/executions/{id}", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let timed_out = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "TaskTimedOut");
    assert!(timed_out, "AwaitModeration timed out: {events}");
    assert!(public_ids(&server).await.contains(&id));
    server.assert_invariants(&reel);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_review_task_alive() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            "--moderation-timeout-secs",
            "600",
            "--moderation-heartbeat-secs",
            "3",
            "--moderation-on-timeout",
            "reject",
        ],
    );
    let id = server
        .upload_ok(&fixture("photo_plain.jpg"), "plain.jpg")
        .await;
    let reel = wait_awaiting_review(&server, &id).await;
    let token = reel["moderationToken"].as_str().unwrap().to_owned();
    let client = sfn(&server.url);

    // heartbeats for three times HeartbeatSeconds: every one is accepted
    let began = Instant::now();
    let mut beats = 0;
    while began.elapsed() < Duration::from_secs(9) {
        client
            .send_task_heartbeat()
            .task_token(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("heartbeat {beats} refused: {e:?}"));
        beats += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(beats > 3);
    // still waiting, with the same token, then approved through the API
    let reel = admin_reel(&server, &id).await;
    assert_eq!(reel["visibility"], "pending", "{reel}");
    assert_eq!(reel["moderationToken"], token.as_str());
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved": true}"#)
        .send()
        .await
        .expect("SendTaskSuccess after the heartbeats");
    wait_for(&server, &id, "went public", |r| r["visibility"] == "public").await;
    assert_eq!(
        execution_status(&server, &id).await,
        ExecutionStatus::Succeeded
    );
    let history = client
        .get_execution_history()
        .execution_arn(execution_arn(&id))
        .send()
        .await
        .unwrap();
    assert!(
        !history
            .events()
            .iter()
            .any(|e| *e.r#type() == HistoryEventType::TaskTimedOut),
        "no timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_task_that_ended_without_a_decision_can_be_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let id = server
        .upload_ok(&fixture("photo_plain.jpg"), "plain.jpg")
        .await;
    let first = wait_awaiting_review(&server, &id).await;
    let stale = first["moderationToken"].as_str().unwrap().to_owned();

    // the execution is stopped while it waits: the reel stays READY and pending, and the
    // token on its record is held by no task any more
    sfn(&server.url)
        .stop_execution()
        .execution_arn(execution_arn(&id))
        .cause("operator stopped it")
        .send()
        .await
        .expect("StopExecution");
    assert_eq!(
        execution_status(&server, &id).await,
        ExecutionStatus::Aborted
    );
    let queue = queue_page(&server).await;
    assert!(
        queue.contains("Its review task ended without a decision"),
        "{queue}"
    );
    assert!(queue.contains(&format!("/console/moderation/{id}/review-again")));
    assert!(
        !queue.contains(&format!("/console/moderation/{id}/approve")),
        "no Approve for a task that is gone: {queue}"
    );

    // ask again: the execution runs again under the next name and waits for a decision
    let asked = http()
        .post(format!(
            "{}/console/moderation/{id}/review-again",
            server.url
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 303, "{:?}", asked.text().await);
    assert_eq!(
        asked.headers()["location"],
        format!("/console/moderation?resumed={id}").as_str()
    );
    // the stale token was released: the queue no longer says the task ended
    let queue = queue_page(&server).await;
    assert!(
        !queue.contains("Its review task ended without a decision"),
        "{queue}"
    );
    assert_ne!(
        admin_reel(&server, &id).await["moderationToken"].as_str(),
        Some(stale.as_str())
    );
    let again = wait_for(&server, &id, "awaited review again", |r| {
        r["moderationToken"].as_str().is_some_and(|t| t != stale)
    })
    .await;
    assert_eq!(again["visibility"], "pending", "{again}");
    assert!(again["executionArn"]
        .as_str()
        .is_some_and(|a| a.ends_with(&format!("{id}-r1"))));
    // asked once more while that execution waits: nothing new starts
    let twice = http()
        .post(format!(
            "{}/console/moderation/{id}/review-again",
            server.url
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        twice.headers()["location"],
        format!("/console/moderation?running={id}").as_str()
    );
    let queue = queue_page(&server).await;
    assert!(queue.contains(&format!("/console/moderation/{id}/approve")));

    // and this time the decision goes through
    let approved = http()
        .post(format!("{}/console/moderation/{id}/approve", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303);
    let reel = wait_for(&server, &id, "went public", |r| r["visibility"] == "public").await;
    assert_eq!(reel["status"], "READY");
    assert!(public_ids(&server).await.contains(&id));
    server.assert_invariants(&reel);

    // a reel that is not pending is refused
    let public = http()
        .post(format!(
            "{}/console/moderation/{id}/review-again",
            server.url
        ))
        .bearer_auth(TOKEN)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 409);
}
