//! What an execution did in each state, read from its history and the definition: one row
//! per time a state was entered, with its type, resource, status (succeeded, failed,
//! caught, cancelled, running, not run), start, duration, input, output, retries and error.
//! Events are attributed to their state by following `previousEventId` links, so the
//! interleaved events of Parallel branches and Map iterations land where they belong.
//! The console's graph, table and state details and `media-hub executions show` read this.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

/// How a state ended, as the Step Functions console colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Succeeded,
    Failed,
    /// failed, and a Catch took the error on to another state
    Caught,
    /// still open when the execution (or its branch) ended: stopped, or a sibling failed
    Cancelled,
    Running,
    NotRun,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "SUCCEEDED",
            RunStatus::Failed => "FAILED",
            RunStatus::Caught => "CAUGHT_ERROR",
            RunStatus::Cancelled => "CANCELLED",
            RunStatus::Running => "RUNNING",
            RunStatus::NotRun => "NOT_RUN",
        }
    }

    /// The CSS class of the colour.
    pub fn class(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Caught => "caught",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Running => "running",
            RunStatus::NotRun => "not-run",
        }
    }
}

/// One failed attempt that a Retry answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub error: String,
    pub cause: String,
}

/// One run of one state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRow {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub resource: Option<String>,
    pub status: RunStatus,
    /// the id of its `...StateEntered` event
    pub entered_id: i64,
    pub started: String,
    pub duration_ms: Option<i64>,
    pub input: Value,
    pub output: Option<Value>,
    pub retries: Vec<Attempt>,
    pub error: Option<String>,
    /// the cause as a person reads it (`errorMessage` of a Lambda error)
    pub cause: Option<String>,
}

/// The Type and Resource of every state of a definition, nested ones included.
pub fn state_kinds(definition: &Value) -> BTreeMap<String, (String, Option<String>)> {
    fn walk(m: &Value, out: &mut BTreeMap<String, (String, Option<String>)>) {
        let Some(states) = m.get("States").and_then(Value::as_object) else {
            return;
        };
        for (name, s) in states {
            let kind = s
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            let resource = s.get("Resource").and_then(Value::as_str).map(|r| {
                // a Lambda invoke names its function in Parameters: show that
                match s
                    .pointer("/Parameters/FunctionName")
                    .or_else(|| s.pointer("/Arguments/FunctionName"))
                    .and_then(Value::as_str)
                {
                    Some(f) => format!("{r} ({})", f.rsplit(':').next().unwrap_or(f)),
                    None => r.to_owned(),
                }
            });
            out.insert(name.clone(), (kind, resource));
            for b in s
                .get("Branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(b, out);
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(p) = s.get(key) {
                    walk(p, out);
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(definition, &mut out);
    out
}

/// The readable text of a cause: a Lambda error's `errorMessage`, else the cause itself.
pub fn readable_cause(cause: &str) -> String {
    serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| cause.to_owned())
}

/// A JSON text field of an event (`input`, `output`) as JSON; other text stays a string.
pub fn data(details: &Value, key: &str) -> Option<Value> {
    match details.get(key)? {
        Value::String(s) => {
            Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())))
        }
        other => Some(other.clone()),
    }
}

/// Milliseconds between two RFC 3339 times.
pub fn millis_between(from: &str, to: &str) -> Option<i64> {
    let a = chrono::DateTime::parse_from_rfc3339(from).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(to).ok()?;
    Some((b - a).num_milliseconds())
}

struct Ev<'a> {
    id: i64,
    prev: i64,
    ty: &'a str,
    ts: &'a str,
    details: &'a Value,
}

/// The entered event a state's exit or a container's own event belongs to.
enum Seek<'a> {
    /// the entry of the state of this name
    Named(&'a str),
    /// the nearest entry of this type
    Kind(&'static str),
}

impl Seek<'_> {
    fn matches(&self, e: &Ev<'_>) -> bool {
        match self {
            Seek::Named(n) => {
                e.ty.ends_with("StateEntered")
                    && e.details.get("name").and_then(Value::as_str) == Some(n)
            }
            Seek::Kind(k) => e.ty == *k,
        }
    }
}

fn is_failure(ty: &str) -> bool {
    (ty.ends_with("Failed") || ty.ends_with("TimedOut") || ty.ends_with("Aborted"))
        && !ty.starts_with("Execution")
        && !ty.starts_with("MapIteration")
        && !ty.starts_with("MapRun")
}

fn is_success(ty: &str) -> bool {
    matches!(
        ty,
        "TaskSucceeded"
            | "LambdaFunctionSucceeded"
            | "ParallelStateSucceeded"
            | "MapStateSucceeded"
            | "ActivitySucceeded"
    )
}

fn is_attempt(ty: &str) -> bool {
    matches!(
        ty,
        "TaskScheduled" | "LambdaFunctionScheduled" | "ActivityScheduled"
    )
}

/// For each event, the index of the `...StateEntered` event of the state it belongs to.
fn owners(evs: &[Ev<'_>]) -> Vec<Option<usize>> {
    let by_id: HashMap<i64, usize> = evs.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    // owner[i]: the index of the StateEntered event whose state event i belongs to
    let mut owner: Vec<Option<usize>> = vec![None; evs.len()];
    for i in 0..evs.len() {
        if evs[i].ty.ends_with("StateEntered") {
            owner[i] = Some(i);
            continue;
        }
        // a state's exit and a container's own events (ParallelStateSucceeded, ...) follow
        // the last branch event: walk back to the state they name
        let wanted = if evs[i].ty.ends_with("StateExited") {
            evs[i]
                .details
                .get("name")
                .and_then(Value::as_str)
                .map(Seek::Named)
        } else if evs[i].ty.starts_with("ParallelState") {
            Some(Seek::Kind("ParallelStateEntered"))
        } else if evs[i].ty.starts_with("MapState") {
            Some(Seek::Kind("MapStateEntered"))
        } else {
            None
        };
        if let Some(wanted) = wanted {
            let mut at = by_id.get(&evs[i].prev).copied();
            owner[i] = loop {
                match at {
                    Some(x) if x < i => {
                        if wanted.matches(&evs[x]) {
                            break Some(x);
                        }
                        at = by_id.get(&evs[x].prev).copied();
                    }
                    _ => break None,
                }
            };
            continue;
        }
        let mut at = by_id.get(&evs[i].prev).copied();
        let mut guard = 0;
        owner[i] = loop {
            guard += 1;
            let Some(x) = at.filter(|_| guard < 100_000) else {
                break None;
            };
            if x >= i {
                break None;
            }
            if evs[x].ty.ends_with("StateEntered") {
                break Some(x);
            }
            if evs[x].ty.ends_with("StateExited") {
                // a closed state is not the owner: continue before it was entered
                at = owner[x].and_then(|o| by_id.get(&evs[o].prev).copied());
            } else {
                at = by_id.get(&evs[x].prev).copied();
            }
        };
    }
    owner
}

fn events(history: &[Value]) -> Vec<Ev<'_>> {
    history
        .iter()
        .map(|e| Ev {
            id: e.get("id").and_then(Value::as_i64).unwrap_or(0),
            prev: e
                .get("previousEventId")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            ty: e.get("type").and_then(Value::as_str).unwrap_or(""),
            ts: e.get("timestamp").and_then(Value::as_str).unwrap_or(""),
            details: e.get("details").unwrap_or(&Value::Null),
        })
        .collect()
}

/// The state each event belongs to (its "step"), by name; `None` for execution events.
pub fn event_steps(history: &[Value]) -> Vec<Option<String>> {
    let evs = events(history);
    owners(&evs)
        .into_iter()
        .map(|o| {
            o.and_then(|i| evs[i].details.get("name").and_then(Value::as_str))
                .map(str::to_owned)
        })
        .collect()
}

/// The rows of a history (events `{id, previousEventId, timestamp, type, details}`), in the
/// order the states were entered. `running` says whether the execution is still going.
pub fn state_rows(definition: &Value, history: &[Value], running: bool) -> Vec<StateRow> {
    let kinds = state_kinds(definition);
    let evs = events(history);
    let owner = owners(&evs);
    let mut owned: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, o) in owner.iter().enumerate() {
        if let Some(o) = o {
            if *o != i {
                owned.entry(*o).or_default().push(i);
            }
        }
    }
    let last_ts = evs.last().map(|e| e.ts).unwrap_or("");
    let mut rows = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        if !e.ty.ends_with("StateEntered") {
            continue;
        }
        let name = e
            .details
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let (kind, resource) = kinds
            .get(&name)
            .cloned()
            .unwrap_or_else(|| (e.ty.trim_end_matches("StateEntered").to_owned(), None));
        let mine = owned.get(&i).map(Vec::as_slice).unwrap_or(&[]);
        let exited = mine.iter().find(|&&j| evs[j].ty.ends_with("StateExited"));
        let failures: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|&j| is_failure(evs[j].ty))
            .collect();
        let last_success = mine
            .iter()
            .copied()
            .filter(|&j| is_success(evs[j].ty))
            .max();
        let attempts: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|&j| is_attempt(evs[j].ty))
            .collect();
        let last_failure = failures.last().copied();
        let failed_last = match (last_failure, last_success) {
            (Some(f), Some(s)) => f > s,
            (Some(_), None) => true,
            _ => false,
        };
        let status = if kind == "Fail" {
            RunStatus::Failed
        } else if exited.is_some() {
            if failed_last {
                RunStatus::Caught
            } else {
                RunStatus::Succeeded
            }
        } else if failed_last && !attempts.iter().any(|&a| Some(a) > last_failure) {
            RunStatus::Failed
        } else if running {
            RunStatus::Running
        } else {
            RunStatus::Cancelled
        };
        // failures followed by another attempt were retried
        let retries = failures
            .iter()
            .filter(|&&f| attempts.iter().any(|&a| a > f))
            .map(|&f| Attempt {
                error: evs[f]
                    .details
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                cause: readable_cause(
                    evs[f]
                        .details
                        .get("cause")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                ),
            })
            .collect();
        let (error, cause) = match (status, last_failure) {
            (RunStatus::Failed | RunStatus::Caught, Some(f)) => (
                evs[f]
                    .details
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                evs[f]
                    .details
                    .get("cause")
                    .and_then(Value::as_str)
                    .map(readable_cause),
            ),
            _ => (None, None),
        };
        let end_ts = match (exited, status) {
            (Some(&x), _) => Some(evs[x].ts),
            (None, RunStatus::Failed) => last_failure.map(|f| evs[f].ts).or(Some(e.ts)),
            (None, RunStatus::Running) => None,
            _ => Some(last_ts),
        };
        rows.push(StateRow {
            name,
            kind,
            resource,
            status,
            entered_id: e.id,
            started: e.ts.to_owned(),
            duration_ms: end_ts.and_then(|t| millis_between(e.ts, t)),
            input: data(e.details, "input").unwrap_or(Value::Null),
            output: exited.and_then(|&x| data(evs[x].details, "output")),
            retries,
            error,
            cause,
        });
    }
    rows
}

/// One status per state name for the graph: the last run's, except that a failure anywhere
/// stays visible; states never entered are `NotRun`.
pub fn status_by_state(definition: &Value, rows: &[StateRow]) -> BTreeMap<String, RunStatus> {
    let mut out: BTreeMap<String, RunStatus> = state_kinds(definition)
        .into_keys()
        .map(|n| (n, RunStatus::NotRun))
        .collect();
    for r in rows {
        let slot = out.entry(r.name.clone()).or_insert(RunStatus::NotRun);
        if *slot != RunStatus::Failed {
            *slot = r.status;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(id: i64, prev: i64, ty: &str, details: Value) -> Value {
        json!({"id": id, "previousEventId": prev, "timestamp": format!("2026-11-30T10:00:{:02}.000Z", id), "type": ty, "details": details})
    }

    fn definition() -> Value {
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "arn:aws:lambda:x:1:function:validate"}, "Next": "P",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
            "P": {"Type": "Parallel", "Next": "S", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Task", "Resource": "r", "End": true}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Task", "Resource": "r", "End": true}}}]},
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail"}
        }})
    }

    #[test]
    fn interleaved_branches_retries_and_a_caught_parallel() {
        let cause =
            json!({"errorMessage": "disk on fire", "errorType": "StorageUnavailable"}).to_string();
        let h = vec![
            ev(1, 0, "ExecutionStarted", json!({})),
            ev(
                2,
                0,
                "TaskStateEntered",
                json!({"name": "A", "input": "{\"x\":1}"}),
            ),
            ev(3, 2, "TaskScheduled", json!({})),
            ev(
                4,
                3,
                "TaskFailed",
                json!({"error": "StorageUnavailable", "cause": cause}),
            ),
            ev(5, 4, "TaskScheduled", json!({})),
            ev(6, 5, "TaskSucceeded", json!({})),
            ev(
                7,
                6,
                "TaskStateExited",
                json!({"name": "A", "output": "{\"y\":2}"}),
            ),
            ev(
                8,
                7,
                "ParallelStateEntered",
                json!({"name": "P", "input": "{}"}),
            ),
            ev(9, 8, "ParallelStateStarted", json!({})),
            ev(
                10,
                9,
                "TaskStateEntered",
                json!({"name": "B1", "input": "{}"}),
            ),
            ev(
                11,
                9,
                "TaskStateEntered",
                json!({"name": "B2", "input": "{}"}),
            ),
            ev(12, 10, "TaskScheduled", json!({})),
            ev(13, 11, "TaskScheduled", json!({})),
            ev(
                14,
                13,
                "TaskFailed",
                json!({"error": "CorruptMedia", "cause": "bad"}),
            ),
            ev(
                15,
                14,
                "ParallelStateFailed",
                json!({"error": "CorruptMedia", "cause": "bad"}),
            ),
            ev(
                16,
                15,
                "ParallelStateExited",
                json!({"name": "P", "output": "{}"}),
            ),
            ev(
                17,
                16,
                "FailStateEntered",
                json!({"name": "F", "input": "{}"}),
            ),
            ev(18, 17, "ExecutionFailed", json!({"error": "CorruptMedia"})),
        ];
        let rows = state_rows(&definition(), &h, false);
        let st: Vec<(&str, RunStatus)> = rows.iter().map(|r| (r.name.as_str(), r.status)).collect();
        assert_eq!(
            st,
            vec![
                ("A", RunStatus::Succeeded),
                ("P", RunStatus::Caught),
                ("B1", RunStatus::Cancelled),
                ("B2", RunStatus::Failed),
                ("F", RunStatus::Failed),
            ]
        );
        let a = &rows[0];
        assert_eq!(
            a.retries,
            vec![Attempt {
                error: "StorageUnavailable".into(),
                cause: "disk on fire".into()
            }]
        );
        assert_eq!(a.input, json!({"x": 1}));
        assert_eq!(a.output, Some(json!({"y": 2})));
        assert_eq!(a.duration_ms, Some(5000));
        assert_eq!(
            a.resource.as_deref(),
            Some("arn:aws:states:::lambda:invoke (validate)")
        );
        assert_eq!(rows[3].error.as_deref(), Some("CorruptMedia"));
        let by = status_by_state(&definition(), &rows);
        assert_eq!(by["S"], RunStatus::NotRun);
        assert_eq!(by["B2"], RunStatus::Failed);
    }

    #[test]
    fn an_open_state_is_running_while_the_execution_runs() {
        let h = vec![
            ev(1, 0, "ExecutionStarted", json!({})),
            ev(
                2,
                0,
                "TaskStateEntered",
                json!({"name": "A", "input": "{}"}),
            ),
            ev(3, 2, "TaskScheduled", json!({})),
        ];
        assert_eq!(
            state_rows(&definition(), &h, true)[0].status,
            RunStatus::Running
        );
        assert_eq!(
            state_rows(&definition(), &h, false)[0].status,
            RunStatus::Cancelled
        );
    }
}
