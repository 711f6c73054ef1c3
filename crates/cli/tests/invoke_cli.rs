//! README's fixture-driven commands, run exactly as README writes them, on what a fresh
//! clone has: every `media-hub invoke ... --event fixtures/events/X.json` line and the
//! `media-hub sfn run ... --mock-config` lines of README's "Fixture-driven invokes", each in
//! a shell from an empty working directory that holds only the repository's `fixtures/` and
//! `statemachine/` (as links). Each gives the exit code and the text README puts after `#`,
//! every event file has its line, and no command leaves a `data` dir behind.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// One README line: the command, and what it documents.
struct Documented {
    command: String,
    exit: i32,
    shows: String,
}

/// The `media-hub invoke` and `media-hub sfn run` lines of README, with their
/// `# exit N: TEXT` comments.
fn documented() -> Vec<Documented> {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).expect("README.md");
    readme
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("media-hub invoke ") || l.starts_with("media-hub sfn run "))
        .map(|l| {
            let (command, comment) = l
                .rsplit_once("# exit ")
                .unwrap_or_else(|| panic!("README line without `# exit N: ...`: {l}"));
            let (exit, shows) = comment
                .split_once(": ")
                .unwrap_or_else(|| panic!("README line without `: TEXT`: {l}"));
            Documented {
                command: command.trim().to_owned(),
                exit: exit.trim().parse().expect("an exit code"),
                shows: shows.trim().to_owned(),
            }
        })
        .collect()
}

/// An empty working directory with the repository's fixtures and state machine.
fn fresh_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["fixtures", "statemachine"] {
        std::os::unix::fs::symlink(
            Path::new(ROOT).join(name).canonicalize().unwrap(),
            dir.path().join(name),
        )
        .unwrap();
    }
    dir
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Run a README line in `sh` with `media-hub` on the PATH.
fn shell(line: &str, cwd: &Path) -> std::process::Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_media-hub"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .args(["-c", line])
        .current_dir(cwd)
        .env("PATH", path)
        .env_remove("MEDIA_HUB_DATA_DIR")
        .env("MEDIA_HUB_LOG", "warn")
        .output()
        .expect("sh runs")
}

#[test]
fn every_readme_invoke_and_mock_config_run_gives_its_documented_result() {
    let lines = documented();
    let dir = fresh_dir();
    let before = entries(dir.path());
    let mut events_run = BTreeSet::new();
    let mut sfn_runs = 0;
    for doc in &lines {
        let out = shell(&doc.command, dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(doc.exit),
            "{}\nstdout: {stdout}\nstderr: {stderr}",
            doc.command
        );
        assert!(
            stdout.contains(&doc.shows),
            "{}: no {:?} in\n{stdout}\nstderr: {stderr}",
            doc.command,
            doc.shows
        );
        if let Some(at) = doc.command.find("fixtures/events/") {
            let file = doc.command[at..].split_whitespace().next().unwrap_or("");
            events_run.insert(file.trim_start_matches("fixtures/events/").to_owned());
            // the temporary data dir it used is named on stderr
            assert!(
                stderr.contains("data dir ") && stderr.contains("(temporary)"),
                "{}: {stderr}",
                doc.command
            );
        }
        if doc
            .command
            .contains("--mock-config fixtures/mock-config.json")
        {
            sfn_runs += 1;
        }
    }
    let events: BTreeSet<String> = entries(&Path::new(ROOT).join("fixtures/events"))
        .into_iter()
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(events, events_run, "event files without a README line");
    assert!(sfn_runs >= 1, "README has no sfn run --mock-config line");
    assert_eq!(
        entries(dir.path()),
        before,
        "a command left something in the working directory"
    );
}

/// Commands other than `serve` never create a data dir: they say where they looked.
#[test]
fn commands_without_a_data_dir_say_where_they_looked() {
    let dir = fresh_dir();
    let before = entries(dir.path());
    for (line, looked_in) in [
        ("media-hub executions", "data"),
        (
            "media-hub invoke validate-type --event fixtures/events/validate-type.json --data-dir data",
            "no data dir at data",
        ),
        (
            "media-hub invoke cleanup --event fixtures/events/cleanup.json --data-dir elsewhere --seed",
            "no data dir at elsewhere",
        ),
    ] {
        let out = shell(line, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{line}: {stderr}");
        assert!(stderr.contains(looked_in), "{line}: {stderr}");
    }
    assert_eq!(entries(dir.path()), before);
}

/// `--data-dir` runs on an existing store, seeded only when asked; cleanup of a reel the
/// store does not hold reports no record and no change.
#[test]
fn an_existing_data_dir_is_used_as_it_is() {
    let dir = fresh_dir();
    // a data dir as serve leaves it: the database file marks it
    let data = tempfile::tempdir().unwrap();
    local::SqliteStore::open(&data.path().join("media-hub.sqlite")).unwrap();
    let data = data.path().display().to_string();

    let out = shell(
        &format!("media-hub invoke cleanup --event fixtures/events/cleanup.json --data-dir {data}"),
        dir.path(),
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{response}");
    assert_eq!(response["status"], serde_json::Value::Null, "{response}");
    assert_eq!(response["changed"], serde_json::json!(false), "{response}");

    // with --seed, the same event finds its reel and file
    let out = shell(
        &format!(
            "media-hub invoke cleanup --event fixtures/events/cleanup.json --data-dir {data} --seed"
        ),
        dir.path(),
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        response["status"],
        serde_json::json!("FAILED"),
        "{response}"
    );
    assert_eq!(
        response["rawDeleted"],
        serde_json::json!(true),
        "{response}"
    );
    // and run again it changes nothing (the record stays FAILED, the raw file stays gone)
    let out = shell(
        &format!("media-hub invoke cleanup --event fixtures/events/cleanup.json --data-dir {data}"),
        dir.path(),
    );
    let response: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(response["changed"], serde_json::json!(false), "{response}");
}
