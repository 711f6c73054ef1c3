//! `media-hub executions`: the executions in the terminal, as the console shows them.
//! `executions [--status S] [--prefix P] [--limit N] [--next CURSOR]` lists them newest first
//! from the data dir; `executions show ID` draws the graph as text with each state's status,
//! the table of states and the event history; `executions stop ID` and `executions redrive ID`
//! ask the running server (its Step Functions API), where the executions live. `--json`
//! prints JSON. A closed pipe (`| head`) ends the output quietly.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use api::runs::{readable_cause, state_rows, RunStatus, StateRow};
use pipeline::{ExecutionQuery, ExecutionSummary};
use serde_json::{json, Value};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// Where the executions are read from.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// The data dir `media-hub serve` wrote.
    #[arg(long, env = "MEDIA_HUB_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The ASL definition the executions ran, for the graph [default: ./statemachine/media-pipeline.asl.json if present, else the built-in copy]
    #[arg(long, env = "MEDIA_HUB_DEFINITION")]
    pub definition: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only executions in this status.
    #[arg(long, value_enum, ignore_case = true)]
    pub status: Option<Status>,
    /// Only executions whose name (the media id) or ARN starts with this.
    #[arg(long)]
    pub prefix: Option<String>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// The cursor printed under the previous page.
    #[arg(long)]
    pub next: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    #[value(name = "RUNNING")]
    Running,
    #[value(name = "SUCCEEDED")]
    Succeeded,
    #[value(name = "FAILED")]
    Failed,
    #[value(name = "TIMED_OUT")]
    TimedOut,
    #[value(name = "ABORTED")]
    Aborted,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// The server that runs the executions.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// The running `media-hub serve`.
    #[arg(long, env = "MEDIA_HUB_URL", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// The admin token the server was started with (not needed on loopback without one).
    #[arg(long, env = "MEDIA_HUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Cmd {
    /// One execution: the graph as text, the table of states and the event history.
    Show {
        /// The execution name (the media id) or its ARN.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Stop a RUNNING execution: it ends ABORTED and its reel FAILED (raw file kept).
    Stop {
        /// The execution name (the media id) or its ARN.
        id: String,
        /// The error to record.
        #[arg(long)]
        error: Option<String>,
        /// The cause to record.
        #[arg(long)]
        cause: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Redrive a FAILED, TIMED_OUT or ABORTED execution from the states that did not succeed.
    Redrive {
        /// The execution name (the media id) or its ARN.
        id: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    let text = match args.command {
        None => list(&args.list).await?,
        Some(Cmd::Show { id, json, data }) => show(&data, &id, json).await?,
        Some(Cmd::Stop {
            id,
            error,
            cause,
            server,
        }) => {
            let mut body = json!({ "executionArn": arn(&id) });
            if let Some(e) = error {
                body["error"] = Value::from(e);
            }
            if let Some(c) = cause {
                body["cause"] = Value::from(c);
            }
            match action(&server, "StopExecution", body).await? {
                Ok(_) => format!("stopped {id}\n"),
                Err(message) => {
                    eprintln!("media-hub: {message}");
                    return Ok(1);
                }
            }
        }
        Some(Cmd::Redrive { id, server }) => {
            match action(
                &server,
                "RedriveExecution",
                json!({ "executionArn": arn(&id) }),
            )
            .await?
            {
                Ok(_) => format!("redriven {id}\n"),
                Err(message) => {
                    eprintln!("media-hub: {message}");
                    return Ok(1);
                }
            }
        }
    };
    Ok(print(&text))
}

/// Write to stdout; a reader that went away (`| head -1`) is not an error.
fn print(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("media-hub: writing the output: {e}");
            1
        }
    }
}

fn arn(id: &str) -> String {
    if id.starts_with("arn:") {
        id.to_owned()
    } else {
        local::LocalWorkflow::execution_arn(id)
    }
}

/// The executions' store, which must exist: reading never creates a data dir.
fn open(data: &DataArgs) -> anyhow::Result<local::SqliteStore> {
    let db = data.data_dir.join("media-hub.sqlite");
    if !db.is_file() {
        anyhow::bail!(
            "no executions in {}: there is no media-hub database there (run `media-hub serve --data-dir {}` first, or point --data-dir or MEDIA_HUB_DATA_DIR at the data)",
            data.data_dir.display(),
            data.data_dir.display()
        );
    }
    local::SqliteStore::open(&db).with_context(|| format!("opening {}", db.display()))
}

fn definition(data: &DataArgs) -> anyhow::Result<Value> {
    let (text, _) = local::load_definition(data.definition.as_deref())?;
    serde_json::from_str(&text).context("the definition is not JSON")
}

/// Milliseconds as a person reads them.
fn human_ms(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

fn duration(e: &ExecutionSummary) -> String {
    e.stop_date
        .as_deref()
        .and_then(|s| api::runs::millis_between(&e.start_date, s))
        .map(human_ms)
        .unwrap_or_else(|| "-".into())
}

async fn list(args: &ListArgs) -> anyhow::Result<String> {
    let store = open(&args.data)?;
    let page = store
        .list_page(&ExecutionQuery {
            status: args.status.map(|s| s.as_str().to_owned()),
            name_prefix: args.prefix.clone(),
            limit: usize::from(args.limit),
            cursor: args.next.clone(),
        })
        .await?;
    if args.json {
        let out = json!({ "executions": page.executions, "next": page.next });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&out)?));
    }
    let mut s = format!(
        "{:<38} {:<10} {:<25} {:>9}  ERROR\n",
        "NAME", "STATUS", "STARTED", "DURATION"
    );
    for e in &page.executions {
        s.push_str(&format!(
            "{:<38} {:<10} {:<25} {:>9}  {}\n",
            e.name,
            e.status,
            e.start_date,
            duration(e),
            e.error.as_deref().unwrap_or("")
        ));
    }
    if let Some(n) = &page.next {
        s.push_str(&format!("more: --next '{n}'\n"));
    }
    eprintln!("{} execution(s)", page.executions.len());
    Ok(s)
}

fn mark(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "✓",
        RunStatus::Failed => "✗",
        RunStatus::Caught => "↷",
        RunStatus::Cancelled => "⊘",
        RunStatus::Running => "…",
        RunStatus::NotRun => "·",
    }
}

/// The definition as an indented outline: each state with its type, status and transitions;
/// Parallel branches and Map processors nested under their state.
fn graph_text(
    definition: &Value,
    status: &std::collections::BTreeMap<String, RunStatus>,
) -> String {
    fn scope(
        m: &Value,
        depth: usize,
        status: &std::collections::BTreeMap<String, RunStatus>,
        out: &mut String,
    ) {
        let Some(states) = m.get("States").and_then(Value::as_object) else {
            return;
        };
        let start = m.get("StartAt").and_then(Value::as_str).unwrap_or("");
        for (name, st) in states {
            let kind = st.get("Type").and_then(Value::as_str).unwrap_or("?");
            let s = status.get(name).copied().unwrap_or(RunStatus::NotRun);
            let mut edges = Vec::new();
            if let Some(n) = st.get("Next").and_then(Value::as_str) {
                edges.push(format!("→ {n}"));
            }
            for c in st
                .get("Choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = c.get("Next").and_then(Value::as_str) {
                    edges.push(format!("→ {n}?"));
                }
            }
            if let Some(n) = st.get("Default").and_then(Value::as_str) {
                edges.push(format!("→ {n} (default)"));
            }
            for c in st
                .get("Catch")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = c.get("Next").and_then(Value::as_str) {
                    edges.push(format!("catch → {n}"));
                }
            }
            if st.get("End").and_then(Value::as_bool) == Some(true) {
                edges.push("(end)".into());
            }
            let indent = "   ".repeat(depth);
            let start_mark = if name == start { "▶ " } else { "  " };
            let label = format!("{indent}{start_mark}{name} [{kind}]");
            out.push_str(&format!(
                "{label:<44} {} {:<12} {}\n",
                mark(s),
                s.as_str(),
                edges.join(", ")
            ));
            let branches: Vec<&Value> = st
                .get("Branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    ["ItemProcessor", "Iterator"]
                        .iter()
                        .filter_map(|k| st.get(*k)),
                )
                .collect();
            for (i, b) in branches.iter().enumerate() {
                out.push_str(&format!("{indent}   ┌ branch {}\n", i + 1));
                scope(b, depth + 1, status, out);
            }
        }
    }
    let mut out = String::new();
    scope(definition, 0, status, &mut out);
    out
}

fn states_table(rows: &[StateRow]) -> String {
    let mut s = format!(
        "{:<22} {:<9} {:<13} {:<25} {:>9}  RESOURCE\n",
        "STATE", "TYPE", "STATUS", "STARTED", "DURATION"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<22} {:<9} {:<13} {:<25} {:>9}  {}\n",
            r.name,
            r.kind,
            r.status.as_str(),
            r.started,
            r.duration_ms.map(human_ms).unwrap_or_else(|| "-".into()),
            r.resource.as_deref().unwrap_or("")
        ));
        for a in &r.retries {
            s.push_str(&format!(
                "{:<22} retried after {}: {}\n",
                "", a.error, a.cause
            ));
        }
        if let (Some(e), Some(c)) = (&r.error, &r.cause) {
            s.push_str(&format!("{:<22} {e}: {c}\n", ""));
        }
    }
    s
}

async fn show(data: &DataArgs, id: &str, as_json: bool) -> anyhow::Result<String> {
    let store = open(data)?;
    let summary = store
        .describe_execution(id)
        .await?
        .with_context(|| format!("no execution named {id}"))?;
    let history = store.execution_history(&summary.name).await?;
    let def = definition(data)?;
    let rows = state_rows(&def, &history, summary.status == "RUNNING");
    if as_json {
        let out = json!({ "execution": summary, "states": rows, "events": history });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&out)?));
    }
    let mut s = format!("Execution {}  {}\n", summary.name, summary.status);
    s.push_str(&format!("  arn       {}\n", summary.execution_arn));
    s.push_str(&format!("  started   {}\n", summary.start_date));
    if let Some(stop) = &summary.stop_date {
        s.push_str(&format!("  stopped   {stop} ({})\n", duration(&summary)));
    }
    if summary.redrive_count > 0 {
        s.push_str(&format!(
            "  redriven  {} time(s), last {}\n",
            summary.redrive_count,
            summary.redrive_date.as_deref().unwrap_or("")
        ));
    }
    if let Some(e) = &summary.error {
        s.push_str(&format!(
            "  error     {e}: {}\n",
            readable_cause(summary.cause.as_deref().unwrap_or(""))
        ));
    }
    let status = api::runs::status_by_state(&def, &rows);
    s.push_str("\nGraph\n");
    s.push_str(&graph_text(&def, &status));
    s.push_str("\nStates\n");
    s.push_str(&states_table(&rows));
    s.push_str("\nEvents\n");
    s.push_str(&format!(
        "{:>4} {:>4}  {:<28} {:<26} DETAILS\n",
        "ID", "PREV", "TYPE", "TIMESTAMP"
    ));
    for ev in &history {
        let details = ev.get("details").cloned().unwrap_or(Value::Null);
        let name = details.get("name").and_then(Value::as_str).unwrap_or("");
        let extra = details
            .get("error")
            .and_then(Value::as_str)
            .map(|e| format!(" error={e}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "{:>4} {:>4}  {:<28} {:<26} {name}{extra}\n",
            ev.get("id").map(Value::to_string).unwrap_or_default(),
            ev.get("previousEventId")
                .map(Value::to_string)
                .unwrap_or_default(),
            ev.get("type").and_then(Value::as_str).unwrap_or(""),
            ev.get("timestamp").and_then(Value::as_str).unwrap_or(""),
        ));
    }
    Ok(s)
}

/// One action on the server's Step Functions API: `Ok(Ok(answer))`, or `Ok(Err(message))`
/// for the API's refusal (`NAME: message`).
async fn action(
    server: &ServerArgs,
    target: &str,
    body: Value,
) -> anyhow::Result<Result<Value, String>> {
    let url = format!("{}/", server.server.trim_end_matches('/'));
    let mut req = reqwest::Client::new()
        .post(&url)
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Target", format!("AWSStepFunctions.{target}"))
        .body(body.to_string());
    if let Some(t) = &server.admin_token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.with_context(|| {
        format!(
            "no media-hub server answers at {}: stop and redrive act on the running server (start `media-hub serve`, or pass --server)",
            server.server
        )
    })?;
    let status = resp.status();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(Ok(answer));
    }
    let name = answer
        .get("__type")
        .or_else(|| answer.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("Error");
    let message = answer
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    Ok(Err(format!("{name} ({status}): {message}")))
}
