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
use maud::{html, Markup};

use crate::html::{badge, json_block, page, trusted};
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
    let def = log
        .definition()
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let filters = ["", "RUNNING", "SUCCEEDED", "FAILED"];
    let body = html! {
        h1 { "Executions" }
        p.filters {
            @for (i, s) in filters.iter().enumerate() {
                @if i > 0 { " · " }
                a class=[(status.unwrap_or("") == *s).then_some("current")] href={ "/console?status=" (s) } {
                    @if s.is_empty() { "all" } @else { (s) }
                }
            }
        }
        div.table-wrap {
            table.list {
                thead { tr { th { "Name" } th { "Status" } th { "Started" } th { "Stopped" } th { "Error" } } }
                tbody {
                    @for e in &list {
                        tr {
                            td { a href={ "/console/executions/" (e.name) } { (e.name) } }
                            td { (badge(&e.status)) }
                            td { (e.start_date) }
                            td { (e.stop_date.as_deref().unwrap_or("")) }
                            td { (e.error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        h2 { "State machine" }
        div.graph-wrap { (trusted(render_svg(&def, &Default::default()))) }
    };
    Ok(Html(page("Executions", body).into_string()))
}

/// `details[key]` as JSON: history details hold input and output as JSON text.
fn detail_json(details: &Value, key: &str) -> Value {
    match details.get(key) {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// Each state's input and output, in the order they ran.
fn steps(history: &[Value]) -> Markup {
    html! {
        @for ev in history {
            @let ty = ev.get("type").and_then(Value::as_str).unwrap_or("");
            @let details = ev.get("details").cloned().unwrap_or(Value::Null);
            @let name = details.get("name").and_then(Value::as_str).unwrap_or("");
            @if ty.ends_with("StateEntered") {
                details.step {
                    summary { strong { (name) } " " span.muted { (ty.trim_end_matches("StateEntered")) } " entered" }
                    h4 { "Input" }
                    (json_block(&detail_json(&details, "input")))
                }
            } @else if ty.ends_with("StateExited") {
                details.step {
                    summary { strong { (name) } " exited" }
                    h4 { "Output" }
                    (json_block(&detail_json(&details, "output")))
                }
            }
        }
    }
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
    let body = html! {
        h1 { "Execution " (summary.name) " " (badge(&summary.status)) }
        p { a href={ "/reels/" (summary.name) } { "the reel" } " · " code { (summary.execution_arn) } }
        p {
            "Started " (summary.start_date)
            @if let Some(stop) = &summary.stop_date { ", stopped " (stop) }
        }
        @match (&summary.error, &summary.output) {
            (Some(err), _) => p.error { "Error " code { (err) } ": " (summary.cause.as_deref().unwrap_or("")) },
            (None, Some(out)) => { h2 { "Output" } (json_block(out)) },
            _ => {},
        }
        h2 { "Graph" }
        div.graph-wrap { (trusted(graph)) }
        h2 { "Input" }
        (json_block(summary.input.as_ref().unwrap_or(&Value::Null)))
        h2 { "Steps" }
        (steps(&history))
        h2 { "Event history" }
        div.table-wrap {
            table.list.events {
                thead { tr { th { "ID" } th { "Type" } th { "Time" } th {} } }
                tbody {
                    @for ev in &history {
                        tr {
                            td { (ev.get("id").map(Value::to_string).unwrap_or_default()) }
                            td { (ev.get("type").and_then(Value::as_str).unwrap_or("")) }
                            td { (ev.get("timestamp").and_then(Value::as_str).unwrap_or("")) }
                            td { details { summary { "details" } (json_block(ev.get("details").unwrap_or(&Value::Null))) } }
                        }
                    }
                }
            }
        }
    };
    let title = format!("Execution {}", summary.name);
    Ok(Html(page(&title, body).into_string()))
}
