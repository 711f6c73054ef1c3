//! TestState, as AWS's API has it: one state's ASL run alone on an input, with the
//! in-process tasks. The states it may go to next are stood in for by Succeed states, so
//! the run tells which one it chose (`nextState`) and whether a Catch took the error.

use pipeline::{ExecutionError, StateTest};
use serde_json::{json, Map, Value};

use crate::invoker::LambdaInvoker;

const NAME: &str = "TestState";

/// The `Next` targets a state names: its own, its Choices' and Default, its Catchers'.
fn targets(state: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let mut next: Vec<String> = text(state.get("Next")).into_iter().collect();
    next.extend(text(state.get("Default")));
    for c in state
        .get("Choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        next.extend(text(c.get("Next")));
    }
    let caught = state
        .get("Catch")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| text(c.get("Next")))
        .collect();
    (next, caught)
}

pub async fn run(
    invoker: &LambdaInvoker,
    state: &Value,
    input: &Value,
) -> Result<StateTest, ExecutionError> {
    let Some(obj) = state.as_object() else {
        return Err(ExecutionError::InvalidDefinition(
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the state definition must be a JSON object at /'"
                .into(),
        ));
    };
    let (next, caught) = targets(obj);
    let mut states_map = Map::new();
    states_map.insert(NAME.into(), state.clone());
    for t in next.iter().chain(caught.iter()) {
        if t != NAME {
            states_map.insert(t.clone(), json!({"Type": "Succeed"}));
        }
    }
    let machine = json!({"StartAt": NAME, "States": states_map});
    let definition = states::Definition::from_value(machine)
        .map_err(|e| ExecutionError::InvalidDefinition(e.message))?;
    let history = states::history::MemoryHistory::default();
    let outcome = states::execute(
        &definition,
        input.clone(),
        &states::ExecutionOptions::default(),
        invoker,
        &history,
    )
    .await;
    let events = history.events.lock().map(|v| v.clone()).unwrap_or_default();
    let name_of = |e: &states::HistoryEvent| {
        e.details
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let entered_next = events
        .iter()
        .filter(|e| e.event_type.ends_with("StateEntered"))
        .filter_map(name_of)
        .find(|n| n != NAME);
    let output = events
        .iter()
        .find(|e| e.event_type.ends_with("StateExited") && name_of(e).as_deref() == Some(NAME))
        .and_then(|e| {
            e.details
                .get("output")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    let last_error = events.iter().rev().find_map(|e| {
        let err = e.details.get("error").and_then(Value::as_str)?;
        Some((
            err.to_owned(),
            e.details
                .get("cause")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ))
    });
    let status = match (&entered_next, outcome.status) {
        (Some(n), _) if caught.contains(n) && !next.contains(n) => "CAUGHT_ERROR",
        (_, states::ExecutionStatus::Succeeded) => "SUCCEEDED",
        _ => "FAILED",
    };
    let (error, cause) = match status {
        "SUCCEEDED" => (None, None),
        "CAUGHT_ERROR" => last_error.map_or((None, None), |(e, c)| (Some(e), Some(c))),
        _ => (outcome.error, outcome.cause),
    };
    Ok(StateTest {
        status: status.into(),
        output: if status == "FAILED" {
            None
        } else {
            output.or_else(|| outcome.output.map(|o| o.to_string()))
        },
        error,
        cause,
        next_state: entered_next,
    })
}
