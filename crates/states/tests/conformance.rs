//! The recorded AWS conformance cases (`../shared/asl-conformance/cases`, beside the
//! repository), run in-process with a fake clock. Cases whose expectation holds
//! run-specific placeholders or scrubbed dates are left to `run.py`; every other case
//! must match exactly (status, output, error and cause). Absent cases skip the test on a
//! developer machine but fail it under CI (`CI` set); an expectation with an unknown
//! status is a failure, and the number of cases run is asserted.

use serde_json::Value;
use states::path::json_eq;
use states::{
    execute_with_clock, Definition, ExecutionOptions, ExecutionStatus, FakeClock, NoHistory,
};
use std::path::PathBuf;

fn cases_dir() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var("ASL_CASES").ok().map(PathBuf::from),
        Some(manifest.join("../../../shared/asl-conformance/cases")),
        Some(PathBuf::from("/work/shared/asl-conformance/cases")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}

fn mentions_scrubbed(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "date" || s == "timestamp" || s.contains("<") && s.contains(">"),
        Value::Array(a) => a.iter().any(mentions_scrubbed),
        Value::Object(m) => m
            .iter()
            .any(|(k, x)| k.to_lowercase().contains("timestamp") || mentions_scrubbed(x)),
        _ => false,
    }
}

/// The recorded set has 644 cases, 624 of them compared exactly in-process; another
/// folder (`ASL_CASES`) must still run at least one.
const EXACT_CASES_OF_THE_RECORDED_SET: usize = 624;

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

#[tokio::test]
async fn recorded_cases_match() {
    let Some(dir) = cases_dir() else {
        assert!(
            !under_ci(),
            "CI is set but the conformance cases were not found (ASL_CASES or ../shared/asl-conformance/cases)"
        );
        eprintln!("conformance cases not found; skipped");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let (mut run, mut failed) = (0usize, Vec::new());
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let Ok(text) = std::fs::read_to_string(f) else {
            failed.push(format!("{}: unreadable", f.display()));
            continue;
        };
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            failed.push(format!("{}: not JSON", f.display()));
            continue;
        };
        let name = case["name"].as_str().unwrap_or_default().to_string();
        let exp = &case["expected"];
        if case["compare"] != "exact"
            || mentions_scrubbed(exp)
            || case.get("scrub") == Some(&Value::Bool(false))
        {
            continue;
        }
        let def = match Definition::from_value(case["definition"].clone()) {
            Ok(d) => d,
            Err(e) => {
                failed.push(format!("{name}: definition rejected: {e}"));
                continue;
            }
        };
        run += 1;
        let clock = FakeClock::new(chrono::Utc::now());
        let tasks = NoTasks;
        let o = execute_with_clock(
            &def,
            case["input"].clone(),
            &ExecutionOptions::default(),
            &tasks,
            &NoHistory,
            &clock,
        )
        .await;
        let ok = match exp["status"].as_str() {
            Some("SUCCEEDED") => {
                o.status == ExecutionStatus::Succeeded
                    && o.output
                        .as_ref()
                        .is_some_and(|v| json_eq(v, &exp["output"]))
            }
            Some("FAILED") => {
                o.status == ExecutionStatus::Failed
                    && exp
                        .get("error")
                        .is_none_or(|e| e.as_str() == o.error.as_deref())
                    && exp
                        .get("cause")
                        .is_none_or(|c| c.as_str() == o.cause.as_deref())
            }
            other => {
                failed.push(format!("{name}: unknown expected status {other:?}"));
                continue;
            }
        };
        if !ok {
            failed.push(format!(
                "{name}: got {:?} {:?} {:?} {:?}",
                o.status, o.output, o.error, o.cause
            ));
        }
    }
    eprintln!("{} cases run in-process, {} failed", run, failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    if std::env::var("ASL_CASES").is_ok() {
        assert!(run > 0, "no case of {} ran", dir.display());
    } else {
        assert_eq!(
            run, EXACT_CASES_OF_THE_RECORDED_SET,
            "the recorded set ran a different number of cases"
        );
    }
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
