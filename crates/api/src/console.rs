//! The execution console, as Step Functions' own has it: the executions (search by name
//! prefix, a status filter, cursor paging; status, start, duration, the reel's name, the
//! error); one execution in three views (Graph, Table, Events) with each state's details
//! (input, output, status, duration, retries, error and readable cause); the actions
//! (redrive, stop, start with an edited input); the definition, viewable, editable and
//! validated with AWS's error texts. Pages use no script: the views are CSS tabs, a state's
//! details open as the `#state-NAME` target of a link from the graph or the table.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use axum::{Form, Json};
use maud::{html, Markup};
use pipeline::{
    ExecutionError, ExecutionLog, ExecutionQuery, ExecutionSummary, EXECUTION_STATUSES,
};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Admin;
use crate::error::{ApiError, Wants};
use crate::graph::render_svg;
use crate::html::{badge, json_block, page, trusted};
use crate::runs::{
    event_steps, millis_between, readable_cause, state_rows, status_by_state, StateRow,
};
use crate::AppState;

/// Rows of the executions page.
const PAGE_SIZE: usize = 25;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    /// a name (media id) or ARN prefix
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

pub(crate) fn log(st: &AppState, wants: Wants) -> Result<&dyn ExecutionLog, ApiError> {
    st.executions.as_deref().ok_or_else(|| {
        ApiError::not_found(
            "this backend keeps no execution log here: use the Step Functions console",
        )
        .for_client(wants)
    })
}

/// An action refused, with Step Functions' error name.
pub(crate) fn refused(e: ExecutionError, wants: Wants) -> ApiError {
    let message = e.to_string();
    let (status, code) = match e {
        ExecutionError::DoesNotExist(_) => (StatusCode::NOT_FOUND, "ExecutionDoesNotExist"),
        ExecutionError::AlreadyExists(_) => (StatusCode::CONFLICT, "ExecutionAlreadyExists"),
        ExecutionError::NotRedrivable(_) => (StatusCode::CONFLICT, "ExecutionNotRedrivable"),
        ExecutionError::InvalidName(_) => (StatusCode::BAD_REQUEST, "InvalidName"),
        ExecutionError::InvalidInput(_) => (StatusCode::BAD_REQUEST, "InvalidExecutionInput"),
        ExecutionError::InvalidDefinition(_) => (StatusCode::BAD_REQUEST, "InvalidDefinition"),
        ExecutionError::Unsupported(_) => (StatusCode::NOT_IMPLEMENTED, "UnsupportedOperation"),
        ExecutionError::InvalidToken(_) => (StatusCode::BAD_REQUEST, "InvalidToken"),
        ExecutionError::TaskDoesNotExist => (StatusCode::NOT_FOUND, "TaskDoesNotExist"),
        ExecutionError::TaskTimedOut(_) => (StatusCode::CONFLICT, "TaskTimedOut"),
        ExecutionError::InvalidOutput(_) => (StatusCode::BAD_REQUEST, "InvalidOutput"),
        ExecutionError::Store(s) => return ApiError::from(s).for_client(wants),
    };
    ApiError::new(status, code, message).for_client(wants)
}

fn query(p: &ListParams, wants: Wants) -> Result<ExecutionQuery, ApiError> {
    let status = p
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_uppercase);
    if let Some(s) = &status {
        if !EXECUTION_STATUSES.contains(&s.as_str()) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                format!(
                    "unknown status {s}: one of {}",
                    EXECUTION_STATUSES.join(", ")
                ),
            )
            .for_client(wants));
        }
    }
    Ok(ExecutionQuery {
        status,
        name_prefix: p
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned),
        limit: p.limit.unwrap_or(PAGE_SIZE).clamp(1, 1000),
        cursor: p.cursor.clone().filter(|c| !c.is_empty()),
    })
}

pub async fn executions_json(
    _admin: Admin,
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let q = query(&p, Wants::Json)?;
    let page = log(&st, Wants::Json)?.list_page(&q).await?;
    Ok(Json(
        serde_json::json!({ "executions": page.executions, "next": page.next }),
    ))
}

pub async fn execution_json(
    _admin: Admin,
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let log = log(&st, Wants::Json)?;
    let summary = log
        .describe_execution(&name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no execution {name}")))?;
    let history = log.execution_history(&name).await?;
    let def = log.definition_of(&summary).await?;
    let states = state_rows(&def, &history, summary.status == "RUNNING");
    Ok(Json(
        serde_json::json!({ "execution": summary, "states": states, "events": history }),
    ))
}

pub async fn definition_json(
    _admin: Admin,
    State(st): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(log(&st, Wants::Json)?.definition().await?))
}

pub async fn definition_svg(
    _admin: Admin,
    State(st): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let def = log(&st, Wants::Json)?.definition().await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        render_svg(&def, &Default::default()),
    ))
}

/// "3 min ago" for an RFC 3339 time.
fn ago(t: &str) -> String {
    let Some(ms) = millis_between(t, &chrono::Utc::now().to_rfc3339()) else {
        return String::new();
    };
    let s = ms / 1000;
    match s {
        i64::MIN..=4 => "just now".into(),
        5..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// Milliseconds as a person reads them.
pub fn human_ms(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

fn duration(e: &ExecutionSummary) -> String {
    e.stop_date
        .as_deref()
        .and_then(|s| millis_between(&e.start_date, s))
        .map(human_ms)
        .unwrap_or_else(|| "-".into())
}

/// A time shown both ways: relative, with the absolute time beside it.
fn when(t: &str) -> Markup {
    html! {
        time datetime=(t) title=(t) { (ago(t)) }
        br;
        span.muted.small { (t.replace('T', " ").trim_end_matches('Z')) " UTC" }
    }
}

fn status_options(current: Option<&str>) -> Markup {
    html! {
        select name="status" aria-label="Status" {
            option value="" selected[current.is_none()] { "any status" }
            @for s in ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"] {
                option value=(s) selected[current == Some(s)] { (s) }
            }
        }
    }
}

pub async fn executions_page(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, ApiError> {
    let log = log(&st, wants)?;
    let q = query(&p, wants)?;
    let page_of = log
        .list_page(&q)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let mut reel_names = Vec::with_capacity(page_of.executions.len());
    for e in &page_of.executions {
        let id = e
            .input
            .as_ref()
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str)
            .unwrap_or(&e.name);
        let name = match st.intake.records.get(id).await {
            Ok(Some(reel)) => Some((reel.id.clone(), reel.name.clone())),
            _ => None,
        };
        reel_names.push(name);
    }
    let next_link = page_of.next.as_ref().map(|c| {
        let mut url = format!("/console?cursor={}", urlencode(c));
        if let Some(s) = &q.status {
            url.push_str(&format!("&status={s}"));
        }
        if let Some(n) = &q.name_prefix {
            url.push_str(&format!("&q={}", urlencode(n)));
        }
        url
    });
    let body = html! {
        h1 { "Executions" }
        p.muted { "State machine " a href="/console/statemachine" { code { "media-pipeline" } } " · " a href="/console/statemachine" { "view, edit and validate the definition" } " · " a href="/console/moderation" { "moderation queue" } }
        form.filters method="get" action="/console" role="search" {
            input type="search" name="q" value=[q.name_prefix.as_deref()] placeholder="Execution name or id prefix" aria-label="Search by name or id prefix";
            (status_options(q.status.as_deref()))
            button type="submit" { "Search" }
            @if q.status.is_some() || q.name_prefix.is_some() || q.cursor.is_some() {
                a.reset href="/console" { "clear" }
            }
        }
        (backfill_form())
        @if page_of.executions.is_empty() {
            p.empty { "No executions match." }
        } @else {
            div.table-wrap {
                table.list.executions {
                    thead { tr { th { "Name" } th { "Status" } th { "Started" } th { "Duration" } th { "Reel" } th { "Error" } } }
                    tbody {
                        @for (e, reel) in page_of.executions.iter().zip(&reel_names) {
                            tr data-name=(e.name) data-status=(e.status) {
                                td.name data-label="Name" { div { a href={ "/console/executions/" (e.name) } { code { (e.name) } } } }
                                td data-label="Status" { div { (badge(&e.status)) @if e.redrive_count > 0 { " " span.muted.small { "redriven " (e.redrive_count) "×" } } } }
                                td data-label="Started" { div { (when(&e.start_date)) } }
                                td data-label="Duration" { div { (duration(e)) } }
                                td data-label="Reel" { div { @if let Some((id, name)) = reel { a href={ "/reels/" (id) } { (name) } } } }
                                td data-label="Error" { div { @if let Some(err) = &e.error { code.error { (err) } } } }
                            }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if q.cursor.is_some() { a href="/console" { "← newest" } } @else { span {} }
            @if let Some(next) = &next_link { a.next href=(next) { "older →" } }
        }
    };
    Ok(Html(page("Executions", body).into_string()))
}

/// Percent-encoding for a query value.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The details of one state (every run of it), opened as the `#state-NAME` target.
fn state_detail(name: &str, runs: &[&StateRow]) -> Markup {
    html! {
        article.state-detail id={ "state-" (name) } {
            header {
                h3 { (name) }
                a.close href="#views" aria-label="Close" { "×" }
            }
            @if runs.is_empty() {
                p.muted { "Not run in this execution." }
            }
            @for r in runs {
                section.run {
                    dl.facts {
                        dt { "Type" } dd { (r.kind) }
                        dt { "Status" } dd { span class={ "run-status " (r.status.class()) } { (r.status.as_str()) } }
                        dt { "Started" } dd { (r.started) }
                        dt { "Duration" } dd { (r.duration_ms.map(human_ms).unwrap_or_else(|| "-".into())) }
                        @if let Some(res) = &r.resource { dt { "Resource" } dd { code { (res) } } }
                    }
                    @if let Some(err) = &r.error {
                        div.cause {
                            p { strong { "Error " } code.error { (err) } }
                            @if let Some(c) = &r.cause { p.cause-text { (c) } }
                        }
                    }
                    @if !r.retries.is_empty() {
                        h4 { "Retries" }
                        ol.retries {
                            @for a in &r.retries { li { code { (a.error) } ": " (a.cause) } }
                        }
                    }
                    h4 { "Input" }
                    (json_block(&r.input))
                    h4 { "Output" }
                    @match &r.output {
                        Some(o) => (json_block(o)),
                        None => p.muted { "none" },
                    }
                }
            }
        }
    }
}

pub async fn execution_page(
    _admin: Admin,
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
        .execution_history(&summary.name)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let def = log
        .definition_of(&summary)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let running = summary.status == "RUNNING";
    let rows = state_rows(&def, &history, running);
    let by_state = status_by_state(&def, &rows);
    let graph = render_svg(&def, &by_state);
    let steps = event_steps(&history);
    let first_ts = history
        .first()
        .and_then(|e| e.get("timestamp"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let reel_id = summary
        .input
        .as_ref()
        .and_then(|i| i.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let input_text = serde_json::to_string_pretty(summary.input.as_ref().unwrap_or(&Value::Null))
        .unwrap_or_default();
    let body = html! {
        div.execution data-status=(summary.status) data-name=(summary.name) {
        p.crumbs { a href="/console" { "Executions" } " / " }
        h1 { code.name { (summary.name) } " " (badge(&summary.status)) }
        dl.facts {
            dt { "ARN" } dd { code { (summary.execution_arn) } }
            dt { "Started" } dd { (when(&summary.start_date)) }
            @if let Some(stop) = &summary.stop_date { dt { "Stopped" } dd { (when(stop)) } }
            dt { "Duration" } dd { (duration(&summary)) }
            @if summary.redrive_count > 0 {
                dt { "Redriven" } dd.redrives { (summary.redrive_count) " time(s), last " (summary.redrive_date.as_deref().unwrap_or("")) }
            }
            @if let Some(id) = &reel_id { dt { "Reel" } dd { a href={ "/reels/" (id) } { (id) } } }
        }
        @if let Some(err) = &summary.error {
            div.cause.failure {
                p { strong { "Error " } code.error { (err) } }
                @if let Some(c) = &summary.cause { p.cause-text { (readable_cause(c)) } }
            }
        }
        div.actions {
            @if summary.redrivable() {
                form method="post" action={ "/console/executions/" (summary.name) "/redrive" } {
                    button type="submit" name="action" value="redrive" { "Redrive" }
                }
            }
            @if let (true, Some(id)) = (summary.redrivable(), &reel_id) {
                form method="post" action={ "/console/reels/" (id) "/reprocess" } {
                    button.secondary type="submit" name="action" value="reprocess" title="A FAILED reel whose raw file was kept runs again in a new execution" { "Reprocess the reel" }
                }
            }
            @if running {
                form method="post" action={ "/console/executions/" (summary.name) "/stop" } {
                    button.danger type="submit" name="action" value="stop" { "Stop" }
                }
            }
            details.start {
                summary { "New execution with this input…" }
                form method="post" action="/console/executions" {
                    label { "Name (empty: a new id)" input type="text" name="name" maxlength="80"; }
                    label { "Input" textarea name="input" rows="6" spellcheck="false" { (input_text) } }
                    button type="submit" { "Start execution" }
                }
            }
        }
        div.views id="views" {
            input type="radio" name="view" id="view-graph" checked;
            label for="view-graph" { "Graph" }
            input type="radio" name="view" id="view-table";
            label for="view-table" { "Table" }
            input type="radio" name="view" id="view-events";
            label for="view-events" { "Events" }
            section.view.view-graph {
                p.legend {
                    @for (class, label) in [("succeeded", "succeeded"), ("failed", "failed"), ("caught", "caught"), ("cancelled", "cancelled"), ("running", "running"), ("not-run", "not run")] {
                        span class={ "key " (class) } { (label) }
                    }
                }
                div.graph-wrap { (trusted(graph)) }
                p.muted.small { "Select a state to see its input, output and error." }
            }
            section.view.view-table {
                div.table-wrap {
                    table.list.states {
                        thead { tr { th { "State" } th { "Type" } th { "Status" } th { "Resource" } th { "Started" } th { "Duration" } } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td { a href={ "#state-" (r.name) } { (r.name) } }
                                    td { (r.kind) }
                                    td { span class={ "run-status " (r.status.class()) } { (r.status.as_str()) } }
                                    td { @if let Some(res) = &r.resource { code { (res) } } }
                                    td { (r.started) }
                                    td { (r.duration_ms.map(human_ms).unwrap_or_else(|| "-".into())) }
                                }
                            }
                        }
                    }
                }
            }
            section.view.view-events {
                div.table-wrap {
                    table.list.events {
                        thead { tr { th { "ID" } th { "Type" } th { "Step" } th { "Resource" } th { "Elapsed (ms)" } th { "Timestamp" } } }
                        tbody {
                            @for (ev, step) in history.iter().zip(&steps) {
                                @let details = ev.get("details").unwrap_or(&Value::Null);
                                @let ts = ev.get("timestamp").and_then(Value::as_str).unwrap_or("");
                                tr data-type=(ev.get("type").and_then(Value::as_str).unwrap_or("")) {
                                    td { (ev.get("id").map(Value::to_string).unwrap_or_default()) }
                                    td {
                                        details {
                                            summary { (ev.get("type").and_then(Value::as_str).unwrap_or("")) }
                                            (json_block(details))
                                        }
                                    }
                                    td { @if let Some(s) = step { a href={ "#state-" (s) } { (s) } } }
                                    td { @if let Some(r) = details.get("resource").and_then(Value::as_str) { code { (r) } } }
                                    td { (millis_between(&first_ts, ts).map(|m| m.to_string()).unwrap_or_default()) }
                                    td { (ts) }
                                }
                            }
                        }
                    }
                }
            }
        }
        div.state-details {
            @for (state, _) in &by_state {
                @let mine: Vec<&StateRow> = rows.iter().filter(|r| &r.name == state).collect();
                (state_detail(state, &mine))
            }
        }
        h2 { "Input" }
        (json_block(summary.input.as_ref().unwrap_or(&Value::Null)))
        @if let Some(out) = &summary.output { h2 { "Output" } (json_block(out)) }
        }
    };
    let title = format!("Execution {}", summary.name);
    Ok(Html(page(&title, body).into_string()))
}

/// Reprocess the reel an execution ran for (`pipeline::reprocess`: FAILED with its raw file
/// kept → PROCESSING, a new execution), then show the execution that runs it now.
pub async fn reprocess(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Path(id): Path<String>,
) -> Result<Redirect, ApiError> {
    if !pipeline::keys::is_valid_id(&id) {
        return Err(ApiError::not_found(format!("no reel {id}")).for_client(wants));
    }
    let done = st
        .intake
        .reprocess(&id)
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let name = done
        .execution_arn
        .as_deref()
        .and_then(|arn| arn.rsplit(':').next())
        .unwrap_or(&done.id)
        .to_owned();
    Ok(Redirect::to(&format!(
        "/console/executions/{}",
        urlencode(&name)
    )))
}

pub async fn redrive(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Path(name): Path<String>,
) -> Result<Redirect, ApiError> {
    let done = log(&st, wants)?
        .redrive_execution(&name)
        .await
        .map_err(|e| refused(e, wants))?;
    Ok(Redirect::to(&format!(
        "/console/executions/{}",
        urlencode(&done.name)
    )))
}

#[derive(Debug, Deserialize)]
pub struct StopForm {
    error: Option<String>,
    cause: Option<String>,
}

pub async fn stop(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Path(name): Path<String>,
    Form(f): Form<StopForm>,
) -> Result<Redirect, ApiError> {
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let done = log(&st, wants)?
        .stop_execution(
            &name,
            nonempty(&f.error).as_deref().or(Some("ExecutionAborted")),
            nonempty(&f.cause)
                .as_deref()
                .or(Some("Stopped from the console.")),
        )
        .await
        .map_err(|e| refused(e, wants))?;
    Ok(Redirect::to(&format!(
        "/console/executions/{}",
        urlencode(&done.name)
    )))
}

/// The backfill's form: every READY reel processed again (optionally with other thumbnail
/// sizes), or the FAILED reels whose raw file was kept reprocessed.
fn backfill_form() -> Markup {
    html! {
        details.backfill {
            summary { "Backfill: process every reel again" }
            form.backfill method="post" action="/console/backfill" {
                p.muted { "Every READY reel gets thumbnails of the sizes below (empty: the server's), fresh metadata and, for a video, its web rendition, through the backfill state machine (a distributed Map). A reel that fails keeps its record." }
                label { "Thumbnail sizes " input type="text" name="sizes" inputmode="numeric" placeholder="e.g. 1080,480,160" pattern="[0-9, ]*"; }
                label { input type="checkbox" name="onlyFailed" value="on"; " Only the FAILED reels (reprocessed with the server's settings)" }
                button type="submit" name="action" value="backfill" { "Start the backfill" }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct BackfillForm {
    #[serde(default)]
    sizes: Option<String>,
    #[serde(default, rename = "onlyFailed")]
    only_failed: Option<String>,
}

/// `POST /console/backfill`: a backfill run, to its execution's page; with `onlyFailed`,
/// every FAILED reel whose raw file was kept reprocessed (`pipeline::reprocess`), to the
/// executions list.
pub async fn backfill(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Form(f): Form<BackfillForm>,
) -> Result<Redirect, ApiError> {
    let sizes = match f.sizes.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Some(pipeline::Settings::parse_sizes(text).map_err(|m| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidField",
                format!("sizes: {m}"),
            )
            .for_client(wants)
        })?),
        None => None,
    };
    let only_failed = matches!(f.only_failed.as_deref(), Some("on" | "true" | "1"));
    if only_failed {
        if sizes.is_some() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidField",
                "sizes: the FAILED reels are reprocessed with the server's settings; sizes apply to a backfill of the READY reels",
            )
            .for_client(wants));
        }
        let failed = st
            .intake
            .records
            .list(&pipeline::ListQuery {
                status: Some(pipeline::Status::Failed),
                limit: usize::MAX,
                ..Default::default()
            })
            .await
            .map_err(|e| ApiError::from(e).for_client(wants))?;
        let mut started = 0usize;
        for reel in &failed {
            match st.intake.reprocess(&reel.id).await {
                Ok(_) => started += 1,
                Err(e) => {
                    tracing::info!(id = %reel.id, reason = %e, "not reprocessed by the backfill")
                }
            }
        }
        tracing::info!(
            failed = failed.len(),
            started,
            "backfill of the FAILED reels"
        );
        return Ok(Redirect::to("/console"));
    }
    let run = log(&st, wants)?
        .start_backfill(sizes.as_deref())
        .await
        .map_err(|e| refused(e, wants))?;
    Ok(Redirect::to(&format!(
        "/console/executions/{}",
        urlencode(&run.name)
    )))
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    name: Option<String>,
    input: String,
}

pub async fn start(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
    Form(f): Form<StartForm>,
) -> Result<Redirect, ApiError> {
    let input: Value = serde_json::from_str(&f.input).map_err(|e| {
        refused(
            ExecutionError::InvalidInput(format!("Invalid State Machine Execution Input: '{e}'")),
            wants,
        )
    })?;
    let name = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let started = log(&st, wants)?
        .start_execution(name, &input)
        .await
        .map_err(|e| refused(e, wants))?;
    Ok(Redirect::to(&format!(
        "/console/executions/{}",
        urlencode(&started.name)
    )))
}

#[derive(Debug, Deserialize)]
pub struct DefinitionForm {
    definition: String,
}

fn definition_body(text: &str, verdict: Option<Result<(), String>>) -> Markup {
    html! {
        p.crumbs { a href="/console" { "Executions" } " / " }
        h1 { "State machine " code { "media-pipeline" } }
        p.muted { "The definition the local interpreter runs. Edit it here and validate it: the findings are AWS's, as "
            code { "media-hub sfn validate" } " reports them. The server keeps running the definition it started with." }
        @match &verdict {
            Some(Ok(())) => p.valid { "✓ The definition is valid." },
            Some(Err(message)) => div.cause.failure.invalid {
                p { strong { "Invalid definition" } }
                p.cause-text { (message) }
            },
            None => {},
        }
        form.definition method="post" action="/console/statemachine" {
            textarea name="definition" rows="24" spellcheck="false" aria-label="Definition" { (text) }
            button type="submit" { "Validate" }
        }
        h2 { "Graph" }
        div.graph-wrap { (trusted(render_svg(&serde_json::from_str(text).unwrap_or(Value::Null), &Default::default()))) }
    }
}

pub async fn definition_page(
    _admin: Admin,
    State(st): State<AppState>,
    wants: Wants,
) -> Result<Html<String>, ApiError> {
    let def = log(&st, wants)?
        .definition()
        .await
        .map_err(|e| ApiError::from(e).for_client(wants))?;
    let text = serde_json::to_string_pretty(&def).unwrap_or_default();
    Ok(Html(
        page("State machine", definition_body(&text, None)).into_string(),
    ))
}

pub async fn validate_definition(_admin: Admin, Form(f): Form<DefinitionForm>) -> Html<String> {
    let verdict = states::Definition::parse(&f.definition)
        .map(|_| ())
        .map_err(|e| e.message);
    Html(
        page(
            "State machine",
            definition_body(&f.definition, Some(verdict)),
        )
        .into_string(),
    )
}
