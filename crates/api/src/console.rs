//! The execution console: executions newest first, and for one execution the state machine
//! graph coloured by what ran, each state's input and output, and the event history.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, Wants};
use crate::graph::{render_svg, runs_from_history};
use crate::html::{badge, esc, json_block, page};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    limit: Option<usize>,
}

fn log(st: &AppState, wants: Wants) -> Result<&dyn pipeline::ExecutionLog, ApiError> {
    st.executions.as_deref().ok_or_else(|| {
        ApiError::not_found(
            "this backend keeps no execution log here: use the Step Functions console",
        )
        .for_client(wants)
    })
}

pub async fn executions_json(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let list = log(&st, Wants::Json)?
        .list_executions(
            p.status.as_deref().filter(|s| !s.is_empty()),
            p.limit.unwrap_or(100).min(1000),
        )
        .await?;
    Ok(Json(serde_json::json!({ "executions": list })))
}

pub async fn execution_json(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let log = log(&st, Wants::Json)?;
    let summary = log
        .describe_execution(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no execution {name}")))?;
    let history = log.execution_history(&name).await?;
    Ok(Json(
        serde_json::json!({ "execution": summary, "events": history }),
    ))
}

pub async fn definition_json(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(log(&st, Wants::Json)?.definition().await?))
}

pub async fn definition_svg(State(st): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let def = log(&st, Wants::Json)?.definition().await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        render_svg(&def, &Default::default()),
    ))
}

pub async fn executions_page(
    State(st): State<AppState>,
    wants: Wants,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    let log = log(&st, wants)?;
    let status = p.status.as_deref().filter(|s| !s.is_empty());
    let list = log
        .list_executions(status, p.limit.unwrap_or(100).min(1000))
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let filters: String = ["", "RUNNING", "SUCCEEDED", "FAILED"]
        .iter()
        .map(|s| {
            let label = if s.is_empty() { "all" } else { s };
            let current = if status.unwrap_or("") == *s {
                " class=\"current\""
            } else {
                ""
            };
            format!("<a{current} href=\"/console?status={s}\">{label}</a>")
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let rows: String = list
        .iter()
        .map(|e| {
            format!(
                "<tr><td><a href=\"/console/executions/{n}\">{n}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                badge(&e.status),
                esc(&e.start_date),
                esc(e.stop_date.as_deref().unwrap_or("")),
                esc(e.error.as_deref().unwrap_or("")),
                n = esc(&e.name),
            )
        })
        .collect();
    let def = log
        .definition()
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let body = format!(
        "<h1>Executions</h1><p class=\"filters\">{filters}</p>\
<table class=\"list\"><thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Stopped</th><th>Error</th></tr></thead><tbody>{rows}</tbody></table>\
<h2>State machine</h2><div class=\"graph-wrap\">{}</div>",
        render_svg(&def, &Default::default())
    );
    Ok(Html(page("Executions", &body)))
}

pub async fn execution_page(
    State(st): State<AppState>,
    wants: Wants,
    Path(name): Path<String>,
) -> Result<Html<String>, ApiError> {
    let log = log(&st, wants)?;
    let summary = log
        .describe_execution(&name)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?
        .ok_or_else(|| ApiError::not_found(format!("no execution {name}")).for_client(wants))?;
    let history = log
        .execution_history(&name)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let def = log
        .definition()
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let graph = render_svg(&def, &runs_from_history(&history));

    // each state's input and output, in the order they ran
    let mut steps = String::new();
    for ev in &history {
        let ty = ev.get("type").and_then(Value::as_str).unwrap_or("");
        let details = ev.get("details").cloned().unwrap_or(Value::Null);
        let name = details.get("name").and_then(Value::as_str).unwrap_or("");
        let data = |key: &str| -> Value {
            match details.get(key) {
                Some(Value::String(s)) => {
                    serde_json::from_str(s).unwrap_or(Value::String(s.clone()))
                }
                Some(v) => v.clone(),
                None => Value::Null,
            }
        };
        if ty.ends_with("StateEntered") {
            steps.push_str(&format!(
                "<details class=\"step\"><summary><strong>{}</strong> <span class=\"muted\">{}</span> entered</summary><h4>Input</h4>{}</details>",
                esc(name),
                esc(ty.trim_end_matches("StateEntered")),
                json_block(&data("input"))
            ));
        } else if ty.ends_with("StateExited") {
            steps.push_str(&format!(
                "<details class=\"step\"><summary><strong>{}</strong> exited</summary><h4>Output</h4>{}</details>",
                esc(name),
                json_block(&data("output"))
            ));
        }
    }
    let events: String = history
        .iter()
        .map(|ev| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><details><summary>details</summary>{}</details></td></tr>",
                ev.get("id").map(Value::to_string).unwrap_or_default(),
                esc(ev.get("type").and_then(Value::as_str).unwrap_or("")),
                esc(ev.get("timestamp").and_then(Value::as_str).unwrap_or("")),
                json_block(ev.get("details").unwrap_or(&Value::Null))
            )
        })
        .collect();
    let outcome = match (&summary.error, &summary.output) {
        (Some(err), _) => format!(
            "<p class=\"error\">Error <code>{}</code>: {}</p>",
            esc(err),
            esc(summary.cause.as_deref().unwrap_or(""))
        ),
        (None, Some(out)) => format!("<h2>Output</h2>{}", json_block(out)),
        _ => String::new(),
    };
    let body = format!(
        "<h1>Execution {name} {status}</h1><p><a href=\"/reels/{name}\">the reel</a> · <code>{arn}</code></p>\
<p>Started {start}{stop}</p>{outcome}<h2>Graph</h2><div class=\"graph-wrap\">{graph}</div>\
<h2>Input</h2>{input}<h2>Steps</h2>{steps}<h2>Event history</h2>\
<table class=\"list events\"><thead><tr><th>ID</th><th>Type</th><th>Time</th><th></th></tr></thead><tbody>{events}</tbody></table>",
        name = esc(&summary.name),
        status = badge(&summary.status),
        arn = esc(&summary.execution_arn),
        start = esc(&summary.start_date),
        stop = summary
            .stop_date
            .as_deref()
            .map(|s| format!(", stopped {}", esc(s)))
            .unwrap_or_default(),
        input = json_block(summary.input.as_ref().unwrap_or(&Value::Null)),
    );
    Ok(Html(page(&format!("Execution {}", summary.name), &body)))
}
