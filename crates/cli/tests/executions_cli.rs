//! `media-hub executions` as a terminal user meets it: a closed pipe ends it quietly, an
//! unknown status is refused with exit 2, `--help` lists only what applies, a missing data
//! dir is said so (and not created), and `show` draws the graph and the table of states.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::repo_root;
use serde_json::json;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_media-hub"));
    c.current_dir(repo_root()).env_remove("MEDIA_HUB_DATA_DIR");
    c
}

/// A data dir holding `n` finished executions, the first with a short history.
fn seeded(dir: &Path, n: usize) {
    let store = local::SqliteStore::open(&dir.join("media-hub.sqlite")).unwrap();
    for i in 0..n {
        let name = format!("exec-{i:04}");
        store
            .begin_execution(
                &name,
                &local::LocalWorkflow::execution_arn(&name),
                &json!({"id": name, "rawKey": format!("raw/{name}/original.jpg")}),
                &format!("2026-11-30T10:{:02}:{:02}.000Z", i / 60 % 60, i % 60),
            )
            .unwrap();
        let status = if i % 2 == 0 { "SUCCEEDED" } else { "FAILED" };
        let error = (i % 2 == 1).then_some("CorruptMedia");
        store
            .finish_execution(
                &name,
                status,
                None,
                error,
                Some("{\"errorMessage\":\"the file does not decode\"}"),
                "2026-11-30T11:00:00.000Z",
            )
            .unwrap();
    }
    let ev = |id: u64, prev: u64, ty: &str, details: serde_json::Value| states::HistoryEvent {
        id,
        previous_event_id: prev,
        timestamp: format!("2026-11-30T10:00:0{id}.000Z"),
        event_type: ty.into(),
        details,
    };
    for e in [
        ev(1, 0, "ExecutionStarted", json!({"input": "{}"})),
        ev(
            2,
            0,
            "TaskStateEntered",
            json!({"name": "ValidateFileType", "input": "{}"}),
        ),
        ev(3, 2, "TaskScheduled", json!({})),
        ev(4, 3, "TaskSucceeded", json!({})),
        ev(
            5,
            4,
            "TaskStateExited",
            json!({"name": "ValidateFileType", "output": "{}"}),
        ),
    ] {
        store.append_history("exec-0000", &e).unwrap();
    }
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), 400);
    // the reader is gone before the first write
    let mut child = bin()
        .args(["executions", "--limit", "1000", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // and as a shell runs it
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{}' executions --limit 1000 --data-dir '{}' | head -1",
            env!("CARGO_BIN_EXE_media-hub"),
            dir.path().display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("NAME"));
}

#[test]
fn an_unknown_status_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), 3);
    let out = bin()
        .args(["executions", "--status", "BOGUS", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid value 'BOGUS'"), "{stderr}");
    assert!(
        stderr.contains("FAILED"),
        "the message lists the statuses: {stderr}"
    );
    // a known one, in any case, filters
    let out = bin()
        .args(["executions", "--status", "failed", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["exec-0001"]);
}

#[test]
fn pages_and_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), 5);
    let run = |args: &[&str]| {
        let out = bin()
            .arg("executions")
            .args(args)
            .arg("--json")
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let first = run(&["--limit", "2"]);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["executions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["exec-0004", "exec-0003"]);
    let next = first["next"].as_str().unwrap().to_owned();
    let second = run(&["--limit", "2", "--next", &next]);
    assert_eq!(names(&second), ["exec-0002", "exec-0001"]);
    assert_eq!(names(&run(&["--prefix", "exec-0003"])), ["exec-0003"]);
}

#[test]
fn help_shows_only_what_applies() {
    let help = |args: &[&str]| {
        let out = bin().args(args).arg("--help").output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let list = help(&["executions"]);
    for present in [
        "--status",
        "--prefix",
        "--limit",
        "--json",
        "--data-dir",
        "show",
        "stop",
        "redrive",
    ] {
        assert!(list.contains(present), "{present} missing:\n{list}");
    }
    for absent in [
        "--thumbnail-sizes",
        "--max-upload-mib",
        "--max-megapixels",
        "--direct-upload-above-kib",
    ] {
        assert!(!list.contains(absent), "{absent} shown:\n{list}");
    }
    let show = help(&["executions", "show"]);
    assert!(show.contains("--data-dir") && show.contains("--json"));
    assert!(
        !show.contains("--status") && !show.contains("--server"),
        "{show}"
    );
    let stop = help(&["executions", "stop"]);
    assert!(stop.contains("--server") && stop.contains("--cause"));
    assert!(!stop.contains("--data-dir"), "{stop}");
}

#[test]
fn a_missing_data_dir_is_said_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    let out = bin()
        .args(["executions", "--data-dir"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no executions in") && stderr.contains("media-hub serve"),
        "{stderr}"
    );
    assert!(!missing.exists(), "the data dir was created");
}

#[test]
fn show_draws_the_graph_and_the_states() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path(), 2);
    let out = bin()
        .args(["executions", "show", "exec-0000", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle}:\n{text}"))
            .to_owned()
    };
    assert!(line("ValidateFileType [Task]").contains("SUCCEEDED"));
    assert!(line("ProcessMedia [Parallel]").contains("NOT_RUN"));
    assert!(
        line("GenerateThumbnails [Task]").starts_with("   "),
        "branches are nested"
    );
    assert!(line("Cleanup [Task]").contains("→ Failed"));
    assert!(text.contains("STATE") && text.contains("RESOURCE"));
    // the failed one's cause reads as words
    let out = bin()
        .args(["executions", "show", "exec-0001", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("CorruptMedia: the file does not decode"),
        "{text}"
    );
}
