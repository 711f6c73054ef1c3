//! `sfn run` / `sfn validate` behind the CLI: loads a definition, stubs tasks (`--task
//! NAME=CMD`, or a Step Functions Local mock config), runs it and renders the one-line
//! JSON result (`{"status":"SUCCEEDED","output":..}` / `{"status":"FAILED",..}`).

use async_trait::async_trait;
use serde_json::{json, Map, Value};
use states::history::{to_aws_json, MemoryHistory};
use states::{
    Definition, ExecutionOptions, ExecutionOutcome, ExecutionStatus, HistorySink, NoHistory,
    TaskFailure, TaskInvoker, TaskRequest,
};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("the input is not valid JSON: {0}")]
    Input(serde_json::Error),
    #[error("{0}")]
    Definition(#[from] states::DefinitionError),
    #[error("invalid mock config: {0}")]
    Mock(String),
    #[error("{0}")]
    Usage(String),
}

/// Options of one `sfn run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub name: Option<String>,
    pub history: bool,
    /// `NAME=CMD`: a state name (or resource) and a shell command that gets the task input
    /// on stdin and prints the result JSON (non-zero exit: a failure, stdout
    /// `{"Error":..,"Cause":..}` or stderr as the cause).
    pub tasks: Vec<(String, String)>,
    /// Step Functions Local mock config (`StateMachines` / `MockedResponses`).
    pub mock_config: Option<Value>,
    /// which test case of the mock config to use (default: the first).
    pub test_case: Option<String>,
    pub state_machine_name: Option<String>,
    /// a folder per bucket for a distributed Map's ItemReader / ResultWriter
    pub objects_dir: Option<std::path::PathBuf>,
}

/// The rendered result and exit code.
pub struct RunReport {
    pub result: Value,
    pub exit_code: i32,
    pub history: Vec<Value>,
}

/// The one-line JSON printed by `sfn run`.
pub fn outcome_json(o: &ExecutionOutcome) -> Value {
    let mut m = Map::new();
    let status = match o.status {
        ExecutionStatus::Succeeded => "SUCCEEDED",
        ExecutionStatus::Failed => "FAILED",
        ExecutionStatus::TimedOut => "TIMED_OUT",
        ExecutionStatus::Aborted => "ABORTED",
        ExecutionStatus::Running => "RUNNING",
    };
    m.insert("status".into(), Value::String(status.into()));
    if o.status == ExecutionStatus::Succeeded {
        m.insert("output".into(), o.output.clone().unwrap_or(Value::Null));
    } else {
        if let Some(e) = &o.error {
            m.insert("error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &o.cause {
            m.insert("cause".into(), Value::String(c.clone()));
        }
    }
    Value::Object(m)
}

/// Tasks answered by mocks or shell commands; anything else fails as AWS would.
pub struct StubInvoker {
    commands: Vec<(String, String)>,
    /// state name → mocked responses ("0", "1-2" keys → Return/Throw)
    mocks: HashMap<String, Map<String, Value>>,
    calls: Mutex<HashMap<String, usize>>,
    /// callback tasks get their mocked or computed answer through their token
    tokens: states::TaskTokens,
}

impl StubInvoker {
    pub fn new(opts: &RunOptions) -> Result<StubInvoker, RunError> {
        let mut mocks = HashMap::new();
        if let Some(cfg) = &opts.mock_config {
            let machines = cfg
                .get("StateMachines")
                .and_then(|v| v.as_object())
                .ok_or_else(|| RunError::Mock("missing StateMachines".into()))?;
            let responses = cfg
                .get("MockedResponses")
                .and_then(|v| v.as_object())
                .cloned()
                .unwrap_or_default();
            let sm = match &opts.state_machine_name {
                Some(n) => machines.get(n),
                None => machines.values().next(),
            }
            .ok_or_else(|| RunError::Mock("no matching state machine in StateMachines".into()))?;
            let cases = sm
                .get("TestCases")
                .and_then(|v| v.as_object())
                .ok_or_else(|| RunError::Mock("missing TestCases".into()))?;
            let case = match &opts.test_case {
                Some(n) => cases.get(n),
                None => cases.values().next(),
            }
            .and_then(|v| v.as_object())
            .ok_or_else(|| RunError::Mock("no matching test case".into()))?;
            for (state, resp) in case {
                let rname = resp.as_str().unwrap_or_default();
                let r = responses
                    .get(rname)
                    .and_then(|v| v.as_object())
                    .ok_or_else(|| RunError::Mock(format!("unknown mocked response '{rname}'")))?;
                mocks.insert(state.clone(), r.clone());
            }
        }
        Ok(StubInvoker {
            commands: opts.tasks.clone(),
            mocks,
            calls: Mutex::new(HashMap::new()),
            tokens: states::TaskTokens::new(),
        })
    }

    fn mock(&self, state: &str) -> Option<Result<Value, TaskFailure>> {
        let responses = self.mocks.get(state)?;
        let n = {
            let mut calls = self.calls.lock().ok()?;
            let c = calls.entry(state.to_string()).or_insert(0);
            let n = *c;
            *c += 1;
            n
        };
        let mut chosen = None;
        for (k, v) in responses {
            let (lo, hi) = match k.split_once('-') {
                Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
                None => {
                    let x: usize = k.trim().parse().ok()?;
                    (x, x)
                }
            };
            if (lo..=hi).contains(&n) {
                chosen = Some(v);
            }
        }
        // past the last key, the last response repeats
        let v = chosen.or_else(|| responses.values().next_back())?;
        if let Some(r) = v.get("Return") {
            return Some(Ok(r.clone()));
        }
        let t = v.get("Throw").cloned().unwrap_or(Value::Null);
        Some(Err(TaskFailure {
            error: t
                .get("Error")
                .and_then(|x| x.as_str())
                .unwrap_or("States.TaskFailed")
                .to_string(),
            cause: t
                .get("Cause")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string(),
        }))
    }

    async fn command(&self, cmd: &str, input: &Value) -> Result<Value, TaskFailure> {
        use tokio::io::AsyncWriteExt;
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| TaskFailure {
                error: "States.TaskFailed".into(),
                cause: e.to_string(),
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.to_string().as_bytes()).await;
        }
        let out = child.wait_with_output().await.map_err(|e| TaskFailure {
            error: "States.TaskFailed".into(),
            cause: e.to_string(),
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let parsed: Option<Value> = serde_json::from_str(&stdout).ok();
        if out.status.success() {
            return Ok(parsed.unwrap_or(Value::String(stdout)));
        }
        if let Some(Value::Object(m)) = &parsed {
            if let Some(e) = m
                .get("Error")
                .or_else(|| m.get("errorType"))
                .and_then(|v| v.as_str())
            {
                let cause = m
                    .get("Cause")
                    .map(|c| {
                        c.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| c.to_string())
                    })
                    .unwrap_or_else(|| parsed.as_ref().map(|p| p.to_string()).unwrap_or_default());
                return Err(TaskFailure {
                    error: e.to_string(),
                    cause,
                });
            }
        }
        Err(TaskFailure {
            error: "States.TaskFailed".into(),
            cause: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// AWS's failure for a task nobody implements.
pub fn unknown_resource(req: &TaskRequest) -> TaskFailure {
    if req.resource.contains(":lambda:") {
        let f = req
            .input
            .get("FunctionName")
            .and_then(|v| v.as_str())
            .map(String::from)
            .unwrap_or_else(|| req.resource.clone());
        return TaskFailure {
            error: "Lambda.ResourceNotFoundException".into(),
            cause: format!("Function not found: {f} (Service: Lambda, Status Code: 404)"),
        };
    }
    TaskFailure {
        error: "States.Runtime".into(),
        cause: format!(
            "The resource provided {} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region.",
            req.resource
        ),
    }
}

impl StubInvoker {
    /// The task tokens callback tasks wait on (give them to the execution's `Services`).
    pub fn tokens(&self) -> states::TaskTokens {
        self.tokens.clone()
    }

    async fn answer(&self, req: &TaskRequest) -> Option<Result<Value, TaskFailure>> {
        if let Some(r) = self.mock(&req.state_name) {
            return Some(r);
        }
        let cmd = self
            .commands
            .iter()
            .find(|(n, _)| *n == req.state_name || *n == req.resource)
            .map(|(_, c)| c.clone())?;
        Some(self.command(&cmd, &req.input).await)
    }
}

#[async_trait]
impl TaskInvoker for StubInvoker {
    async fn invoke(&self, req: TaskRequest) -> Result<Value, TaskFailure> {
        let Some(answer) = self.answer(&req).await else {
            return Err(unknown_resource(&req));
        };
        let Some(token) = &req.task_token else {
            return answer;
        };
        // a callback task: the mock's or command's answer is what the callback sends
        let sent = match answer {
            Ok(v) => self.tokens.send_success(token, v),
            Err(f) => self.tokens.send_failure(token, &f.error, &f.cause),
        };
        sent.map_err(|e| TaskFailure {
            error: "States.Runtime".into(),
            cause: e.to_string(),
        })?;
        Ok(Value::Object(Map::new()))
    }
}

/// Run a definition text with an input, the way `sfn run` does.
pub async fn run_text(
    def_text: &str,
    input: Value,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let def = Definition::parse(def_text)?;
    let invoker = StubInvoker::new(opts)?;
    let options = ExecutionOptions {
        name: opts.name.clone().unwrap_or_default(),
        state_machine_name: opts.state_machine_name.clone().unwrap_or_default(),
        ..Default::default()
    };
    let mem = MemoryHistory::default();
    let sink: &dyn HistorySink = if opts.history { &mem } else { &NoHistory };
    let services = states::Services {
        task_tokens: invoker.tokens(),
        objects: opts.objects_dir.as_ref().map(|d| {
            std::sync::Arc::new(states::storage::DirObjects::new(d))
                as std::sync::Arc<dyn states::storage::ObjectStore>
        }),
        state_machines: None,
    };
    let outcome = states::execute_with(
        &def,
        input,
        &options,
        &invoker,
        sink,
        &states::SystemClock,
        &services,
    )
    .await;
    let history = mem
        .events
        .lock()
        .map(|v| v.iter().map(to_aws_json).collect())
        .unwrap_or_default();
    let exit_code = if outcome.status == ExecutionStatus::Succeeded {
        0
    } else {
        1
    };
    Ok(RunReport {
        result: outcome_json(&outcome),
        exit_code,
        history,
    })
}

/// Validate a definition text: `Ok(())` or AWS's message.
pub fn validate_text(def_text: &str) -> Result<(), states::DefinitionError> {
    Definition::parse(def_text).map(|_| ())
}

/// The JSON printed when a run could not start (bad definition, input, mocks).
pub fn error_json(e: &RunError) -> Value {
    let error = match e {
        RunError::Definition(_) => "States.InvalidDefinition",
        RunError::Input(_) => "States.InvalidInput",
        _ => "States.Runtime",
    };
    json!({"status": "FAILED", "error": error, "cause": e.to_string()})
}

/// Arguments of the development binary (`examples/sfn.rs`): the same words as
/// `media-hub sfn`: `run FILE [--input JSON | --input-file F] [--name N] [--history]
/// [--task NAME=CMD]... [--mock-config F [--test-case T]]`, `validate FILE`, `bench`.
pub async fn main_args(args: &[String]) -> i32 {
    let Some(cmd) = args.first() else {
        eprintln!("usage: sfn run|validate|bench ...");
        return 2;
    };
    match cmd.as_str() {
        "bench" => {
            let report = crate::bench::run_all(crate::bench::BenchOptions::default()).await;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            0
        }
        "validate" => {
            let Some(file) = args.get(1) else {
                eprintln!("usage: sfn validate FILE");
                return 2;
            };
            match std::fs::read_to_string(file) {
                Ok(t) => match validate_text(&t) {
                    Ok(()) => {
                        println!("{}", json!({"valid": true}));
                        0
                    }
                    Err(e) => {
                        println!("{}", json!({"valid": false, "error": e.message}));
                        1
                    }
                },
                Err(e) => {
                    eprintln!("cannot read {file}: {e}");
                    2
                }
            }
        }
        "run" => {
            let mut file = None;
            let mut input_text = None;
            let mut input_file = None;
            let mut opts = RunOptions::default();
            let mut i = 1;
            while i < args.len() {
                let a = args[i].as_str();
                let mut val = || {
                    i += 1;
                    args.get(i).cloned().unwrap_or_default()
                };
                match a {
                    "--input" => input_text = Some(val()),
                    "--input-file" => input_file = Some(val()),
                    "--name" => opts.name = Some(val()),
                    "--history" => opts.history = true,
                    "--task" => {
                        let v = val();
                        if let Some((n, c)) = v.split_once('=') {
                            opts.tasks.push((n.to_string(), c.to_string()));
                        }
                    }
                    "--mock-config" => {
                        let f = val();
                        match std::fs::read_to_string(&f).map(|t| serde_json::from_str(&t)) {
                            Ok(Ok(v)) => opts.mock_config = Some(v),
                            _ => {
                                eprintln!("cannot read mock config {f}");
                                return 2;
                            }
                        }
                    }
                    "--test-case" => opts.test_case = Some(val()),
                    "--objects" => opts.objects_dir = Some(val().into()),
                    other => file = Some(other.to_string()),
                }
                i += 1;
            }
            let Some(file) = file else {
                eprintln!("usage: sfn run FILE --input JSON");
                return 2;
            };
            run_file(&file, input_text.as_deref(), input_file.as_deref(), &opts).await
        }
        _ => {
            eprintln!("unknown command {cmd}");
            2
        }
    }
}

/// Read the files, run, print; returns the exit code.
pub async fn run_file(
    file: &str,
    input: Option<&str>,
    input_file: Option<&str>,
    opts: &RunOptions,
) -> i32 {
    let res = async {
        let text =
            std::fs::read_to_string(file).map_err(|e| RunError::Read(file.to_string(), e))?;
        let input_text = match (input, input_file) {
            (Some(t), _) => t.to_string(),
            (None, Some(f)) => {
                std::fs::read_to_string(f).map_err(|e| RunError::Read(f.to_string(), e))?
            }
            (None, None) => "{}".to_string(),
        };
        let input: Value = serde_json::from_str(&input_text).map_err(RunError::Input)?;
        run_text(&text, input, opts).await
    }
    .await;
    match res {
        Ok(r) => {
            if opts.history {
                for ev in &r.history {
                    println!("{ev}");
                }
            }
            println!("{}", r.result);
            r.exit_code
        }
        Err(e) => {
            println!("{}", error_json(&e));
            2
        }
    }
}
