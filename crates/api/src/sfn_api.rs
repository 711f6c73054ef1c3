//! The Step Functions API of the local server: AWS's JSON 1.0 protocol at `POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Action>`, so the AWS CLI and every AWS SDK work unchanged
//! against `media-hub serve` (`--endpoint-url http://127.0.0.1:8080`). It owns the wire
//! shapes (epoch-second dates, JSON text for inputs and outputs, `...EventDetails` keys),
//! AWS's ARNs and error shapes (`{"__type": NAME, "message": ...}`); the executions
//! themselves are the [`ExecutionLog`]'s.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pipeline::{
    ExecutionError, ExecutionLog, ExecutionQuery, ExecutionSummary, StoreError, EXECUTION_STATUSES,
};
use serde_json::{json, Map, Value};

use crate::AppState;

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const TARGET_PREFIX: &str = "AWSStepFunctions.";
const ROLE: &str = "arn:aws:iam::000000000000:role/media-pipeline";

/// An error in AWS's shape: 400 for the caller's mistakes, 500 for ours.
#[derive(Debug)]
pub struct SfnError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl SfnError {
    fn client(kind: &'static str, message: impl Into<String>) -> SfnError {
        SfnError {
            status: StatusCode::BAD_REQUEST,
            kind,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> SfnError {
        SfnError::client("ValidationException", message)
    }

    fn missing(field: &str) -> SfnError {
        SfnError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    }
}

impl IntoResponse for SfnError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(error = self.kind, message = %self.message, "step functions api");
        }
        let body = json!({"__type": self.kind, "message": self.message});
        (
            self.status,
            [(header::CONTENT_TYPE, CONTENT_TYPE)],
            body.to_string(),
        )
            .into_response()
    }
}

impl From<StoreError> for SfnError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => SfnError::client(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{m}'"),
            ),
            StoreError::Invalid(m) => SfnError::validation(m),
            other => SfnError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                kind: "InternalFailure",
                message: other.to_string(),
            },
        }
    }
}

impl From<ExecutionError> for SfnError {
    fn from(e: ExecutionError) -> Self {
        let message = e.to_string();
        match e {
            ExecutionError::DoesNotExist(_) => SfnError::client("ExecutionDoesNotExist", message),
            ExecutionError::AlreadyExists(_) => SfnError::client("ExecutionAlreadyExists", message),
            ExecutionError::NotRedrivable(_) => SfnError::client("ExecutionNotRedrivable", message),
            ExecutionError::InvalidName(_) => SfnError::client("InvalidName", message),
            ExecutionError::InvalidInput(_) => SfnError::client("InvalidExecutionInput", message),
            ExecutionError::InvalidDefinition(_) => SfnError::client("InvalidDefinition", message),
            ExecutionError::Unsupported(_) => SfnError::client("UnsupportedOperation", message),
            ExecutionError::InvalidToken(_) => SfnError::client("InvalidToken", message),
            ExecutionError::TaskDoesNotExist => SfnError::client("TaskDoesNotExist", message),
            ExecutionError::TaskTimedOut(_) => SfnError::client("TaskTimedOut", message),
            ExecutionError::InvalidOutput(_) => SfnError::client("InvalidOutput", message),
            ExecutionError::Store(s) => s.into(),
        }
    }
}

type Answer = Result<Value, SfnError>;

/// The access key id of a SigV4-signed request (`Credential=KEY/date/region/...`).
fn sigv4_access_key(headers: &HeaderMap) -> Option<&str> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let credential = rest
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))?;
    credential.split('/').next().filter(|k| !k.is_empty())
}

/// The admin token as a bearer header (or the sign-in cookie) or, for SDKs and the AWS CLI,
/// which sign with SigV4, as the access key id (`AWS_ACCESS_KEY_ID=<token>`); open on
/// loopback without a token. Refusals are AWS-shaped.
fn allowed(st: &AppState, headers: &HeaderMap) -> Result<(), SfnError> {
    if st.admin.allows(headers) {
        return Ok(());
    }
    if let Some(key) = sigv4_access_key(headers) {
        if let Ok(v) = header::HeaderValue::from_str(&format!("Bearer {key}")) {
            let mut as_bearer = HeaderMap::new();
            as_bearer.insert(header::AUTHORIZATION, v);
            if st.admin.allows(&as_bearer) {
                return Ok(());
            }
        }
    }
    Err(SfnError {
        status: StatusCode::FORBIDDEN,
        kind: "AccessDeniedException",
        message: if matches!(st.admin, crate::auth::AdminAccess::Disabled) {
            "this server runs with --public: the Step Functions API is off".into()
        } else {
            "the Step Functions API needs the admin token: a bearer token, or the access key id of a SigV4-signed request".into()
        },
    })
}

/// `POST /`: one Step Functions action.
pub async fn dispatch(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = allowed(&st, &headers) {
        return e.into_response();
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = match target.strip_prefix(TARGET_PREFIX) {
        None => Err(SfnError::client(
            "UnknownOperationException",
            format!("the X-Amz-Target header must name an action as {TARGET_PREFIX}<Action>"),
        )),
        Some(action) => run(&st, action, &body).await,
    };
    match result {
        Ok(v) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, CONTENT_TYPE)],
            v.to_string(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(st: &AppState, action: &str, body: &[u8]) -> Answer {
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| {
            SfnError::client(
                "SerializationException",
                format!("the body is not JSON: {e}"),
            )
        })?
    };
    if !input.is_object() {
        return Err(SfnError::client(
            "SerializationException",
            "the body must be a JSON object",
        ));
    }
    let log = st.executions.as_deref().ok_or_else(|| {
        SfnError::client(
            "UnsupportedOperation",
            "this backend keeps no executions here: use Step Functions itself",
        )
    })?;
    let machine = Machine::of(log)?;
    match action {
        "ListStateMachines" => Ok(json!({"stateMachines": [{
            "stateMachineArn": machine.arn,
            "name": machine.name,
            "type": "STANDARD",
            "creationDate": creation_date(),
        }]})),
        "DescribeStateMachine" => {
            machine.check(required(&input, "stateMachineArn")?)?;
            describe_state_machine(log, &machine).await
        }
        "DescribeStateMachineForExecution" => {
            let summary = execution(log, &machine, &input).await?;
            let mut v = describe_state_machine(log, &machine).await?;
            if let Some(m) = v.as_object_mut() {
                m.remove("creationDate");
                m.remove("status");
                m.remove("type");
                m.insert("updateDate".into(), creation_date());
                m.insert("executionArn".into(), Value::from(summary.execution_arn));
            }
            Ok(v)
        }
        "ValidateStateMachineDefinition" => validate(&input),
        "ListExecutions" => list_executions(log, &machine, &input).await,
        "DescribeExecution" => {
            let summary = execution(log, &machine, &input).await?;
            Ok(describe_execution(&machine, &summary))
        }
        "GetExecutionHistory" => history(log, &machine, &input).await,
        "StartExecution" | "StartSyncExecution" => {
            machine.check(required(&input, "stateMachineArn")?)?;
            let name = optional(&input, "name")?;
            let text = optional(&input, "input")?.unwrap_or("{}");
            let exec_input: Value = serde_json::from_str(text).map_err(|e| {
                SfnError::client(
                    "InvalidExecutionInput",
                    format!("Invalid State Machine Execution Input: '{e}'"),
                )
            })?;
            let started = log.start_execution(name, &exec_input).await?;
            if action == "StartExecution" {
                return Ok(json!({
                    "executionArn": started.execution_arn,
                    "startDate": epoch(&started.start_date),
                }));
            }
            let done = wait_for_end(log, &started.name).await?;
            let mut v = describe_execution(&machine, &done);
            if let Some(m) = v.as_object_mut() {
                for k in [
                    "redriveCount",
                    "redriveDate",
                    "redriveStatus",
                    "redriveStatusReason",
                ] {
                    m.remove(k);
                }
                m.insert(
                    "billingDetails".into(),
                    json!({"billedMemoryUsedInMB": 0, "billedDurationInMilliseconds": 0}),
                );
            }
            Ok(v)
        }
        "StopExecution" => {
            let name = execution_name(&machine, required(&input, "executionArn")?)?;
            let stopped = log
                .stop_execution(
                    &name,
                    optional(&input, "error")?,
                    optional(&input, "cause")?,
                )
                .await?;
            let date = stopped.stop_date.as_deref().unwrap_or(&stopped.start_date);
            Ok(json!({"stopDate": epoch(date)}))
        }
        "RedriveExecution" => {
            let name = execution_name(&machine, required(&input, "executionArn")?)?;
            let redriven = log.redrive_execution(&name).await?;
            let date = redriven
                .redrive_date
                .as_deref()
                .unwrap_or(&redriven.start_date);
            Ok(json!({"redriveDate": epoch(date)}))
        }
        "SendTaskSuccess" => {
            let token = required(&input, "taskToken")?;
            let output: Value = serde_json::from_str(required(&input, "output")?)
                .map_err(|e| SfnError::client("InvalidOutput", format!("Invalid Output: '{e}'")))?;
            log.send_task_success(token, &output).await?;
            Ok(json!({}))
        }
        "SendTaskFailure" => {
            let token = required(&input, "taskToken")?;
            log.send_task_failure(
                token,
                optional(&input, "error")?,
                optional(&input, "cause")?,
            )
            .await?;
            Ok(json!({}))
        }
        "SendTaskHeartbeat" => {
            log.send_task_heartbeat(required(&input, "taskToken")?)
                .await?;
            Ok(json!({}))
        }
        "TestState" => {
            let text = required(&input, "definition")?;
            let state: Value = serde_json::from_str(text).map_err(|e| {
                SfnError::client(
                    "InvalidDefinition",
                    format!("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The definition is not valid JSON: {e}'"),
                )
            })?;
            let state_input: Value =
                serde_json::from_str(optional(&input, "input")?.unwrap_or("{}")).map_err(|e| {
                    SfnError::client(
                        "InvalidExecutionInput",
                        format!("Invalid State Machine Execution Input: '{e}'"),
                    )
                })?;
            let result = log.test_state(&state, &state_input).await?;
            serde_json::to_value(result).map_err(|e| StoreError::Unavailable(e.to_string()).into())
        }
        other => Err(SfnError::client(
            "UnknownOperationException",
            format!("the local Step Functions API has no action {other}"),
        )),
    }
}

/// The one state machine of this server.
struct Machine {
    arn: String,
    name: String,
}

impl Machine {
    fn of(log: &dyn ExecutionLog) -> Result<Machine, SfnError> {
        let arn = log.state_machine_arn().ok_or_else(|| {
            SfnError::client(
                "UnsupportedOperation",
                "this backend names no state machine here",
            )
        })?;
        let name = arn.rsplit(':').next().unwrap_or_default().to_owned();
        Ok(Machine { arn, name })
    }

    /// `arn:...:execution:NAME:` of this machine.
    fn execution_prefix(&self) -> String {
        format!("{}:", self.arn.replacen(":stateMachine:", ":execution:", 1))
    }

    fn check(&self, arn: &str) -> Result<(), SfnError> {
        if arn == self.arn {
            return Ok(());
        }
        if !is_arn_of(arn, "stateMachine") {
            return Err(SfnError::client(
                "InvalidArn",
                format!("Invalid Arn: 'Resource type not valid in this context: {arn}'"),
            ));
        }
        Err(SfnError::client(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        ))
    }
}

/// `arn:aws:states:REGION:ACCOUNT:KIND:...` with a name after the kind.
fn is_arn_of(arn: &str, kind: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() >= 7
        && parts[0] == "arn"
        && parts[2] == "states"
        && parts[5] == kind
        && parts[6..].iter().all(|p| !p.is_empty())
}

/// The execution name an ARN names on this machine.
fn execution_name(machine: &Machine, arn: &str) -> Result<String, SfnError> {
    if !is_arn_of(arn, "execution") {
        return Err(SfnError::client(
            "InvalidArn",
            format!("Invalid Arn: 'Resource type not valid in this context: {arn}'"),
        ));
    }
    match arn.strip_prefix(&machine.execution_prefix()) {
        Some(name) if !name.is_empty() && !name.contains(':') => Ok(name.to_owned()),
        _ => Err(SfnError::client(
            "ExecutionDoesNotExist",
            format!("Execution Does Not Exist: '{arn}'"),
        )),
    }
}

async fn execution(
    log: &dyn ExecutionLog,
    machine: &Machine,
    input: &Value,
) -> Result<ExecutionSummary, SfnError> {
    let arn = required(input, "executionArn")?;
    let name = execution_name(machine, arn)?;
    log.describe_execution(&name).await?.ok_or_else(|| {
        SfnError::client(
            "ExecutionDoesNotExist",
            format!("Execution Does Not Exist: '{arn}'"),
        )
    })
}

fn required<'a>(input: &'a Value, field: &str) -> Result<&'a str, SfnError> {
    optional(input, field)?.ok_or_else(|| SfnError::missing(field))
}

fn optional<'a>(input: &'a Value, field: &str) -> Result<Option<&'a str>, SfnError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(SfnError::client(
            "SerializationException",
            format!("'{field}' must be a string"),
        )),
    }
}

fn int(input: &Value, field: &str) -> Result<Option<i64>, SfnError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            SfnError::client(
                "SerializationException",
                format!("'{field}' must be an integer"),
            )
        }),
    }
}

/// `maxResults`: 0 or absent is the default of 100; at most 1000.
fn max_results(input: &Value) -> Result<usize, SfnError> {
    match int(input, "maxResults")? {
        None | Some(0) => Ok(100),
        Some(n @ 1..=1000) => Ok(usize::try_from(n).unwrap_or(100)),
        Some(n) => Err(SfnError::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
        ))),
    }
}

/// An RFC 3339 date as the epoch seconds AWS's JSON protocol carries.
fn epoch(rfc3339: &str) -> Value {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| Value::from(t.timestamp_millis() as f64 / 1000.0))
        .unwrap_or(Value::Null)
}

/// When this process first described the machine (it is loaded at start).
fn creation_date() -> Value {
    static CREATED: OnceLock<f64> = OnceLock::new();
    Value::from(*CREATED.get_or_init(|| chrono::Utc::now().timestamp_millis() as f64 / 1000.0))
}

async fn describe_state_machine(log: &dyn ExecutionLog, machine: &Machine) -> Answer {
    let definition = log.definition().await?;
    Ok(json!({
        "stateMachineArn": machine.arn,
        "name": machine.name,
        "status": "ACTIVE",
        "definition": serde_json::to_string_pretty(&definition).unwrap_or_default(),
        "roleArn": ROLE,
        "type": "STANDARD",
        "creationDate": creation_date(),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
    }))
}

fn validate(input: &Value) -> Answer {
    let text = required(input, "definition")?;
    if let Some(t) = optional(input, "type")? {
        if t != "STANDARD" && t != "EXPRESS" {
            return Err(SfnError::validation(format!(
                "1 validation error detected: Value '{t}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
            )));
        }
    }
    Ok(match states::Definition::parse(text) {
        Ok(_) => json!({"result": "OK", "diagnostics": [], "truncated": false}),
        Err(e) => {
            let diagnostics: Vec<Value> = e
                .diagnostics()
                .into_iter()
                .map(|d| {
                    let mut m = Map::new();
                    m.insert("severity".into(), Value::from("ERROR"));
                    m.insert("code".into(), Value::from(d.code));
                    m.insert("message".into(), Value::from(d.message));
                    if let Some(l) = d.location {
                        m.insert("location".into(), Value::from(l));
                    }
                    Value::Object(m)
                })
                .collect();
            json!({"result": "FAIL", "diagnostics": diagnostics, "truncated": false})
        }
    })
}

/// AWS's `redriveStatus` of an execution, with the reason when it is not redrivable.
pub fn redrive_status(e: &ExecutionSummary) -> (&'static str, Option<String>) {
    if e.redrivable() {
        ("REDRIVABLE", None)
    } else {
        (
            "NOT_REDRIVABLE",
            Some(format!("Execution is {} and cannot be redriven", e.status)),
        )
    }
}

fn list_item(machine: &Machine, e: &ExecutionSummary) -> Value {
    let mut m = Map::new();
    m.insert("executionArn".into(), Value::from(e.execution_arn.clone()));
    m.insert("stateMachineArn".into(), Value::from(machine.arn.clone()));
    m.insert("name".into(), Value::from(e.name.clone()));
    m.insert("status".into(), Value::from(e.status.clone()));
    m.insert("startDate".into(), epoch(&e.start_date));
    if let Some(s) = &e.stop_date {
        m.insert("stopDate".into(), epoch(s));
    }
    m.insert("redriveCount".into(), Value::from(e.redrive_count));
    if let Some(d) = &e.redrive_date {
        m.insert("redriveDate".into(), epoch(d));
    }
    Value::Object(m)
}

fn describe_execution(machine: &Machine, e: &ExecutionSummary) -> Value {
    let mut v = list_item(machine, e);
    let (redrive, reason) = redrive_status(e);
    if let Some(m) = v.as_object_mut() {
        let text = |x: &Option<Value>| x.as_ref().map(Value::to_string);
        if let Some(i) = text(&e.input) {
            m.insert("input".into(), Value::from(i));
            m.insert("inputDetails".into(), json!({"included": true}));
        }
        if let Some(o) = text(&e.output) {
            m.insert("output".into(), Value::from(o));
            m.insert("outputDetails".into(), json!({"included": true}));
        }
        if let Some(err) = &e.error {
            m.insert("error".into(), Value::from(err.clone()));
        }
        if let Some(c) = &e.cause {
            m.insert("cause".into(), Value::from(c.clone()));
        }
        m.insert("redriveStatus".into(), Value::from(redrive));
        if let Some(r) = reason {
            m.insert("redriveStatusReason".into(), Value::from(r));
        }
    }
    v
}

async fn list_executions(log: &dyn ExecutionLog, machine: &Machine, input: &Value) -> Answer {
    match (
        optional(input, "stateMachineArn")?,
        optional(input, "mapRunArn")?,
    ) {
        (Some(arn), _) => machine.check(arn)?,
        (None, Some(_)) => {
            return Err(SfnError::client(
                "ResourceNotFound",
                "this state machine runs no Distributed Map",
            ))
        }
        (None, None) => return Err(SfnError::missing("stateMachineArn")),
    }
    let status = optional(input, "statusFilter")?;
    if let Some(s) = status {
        if !EXECUTION_STATUSES.contains(&s) {
            return Err(SfnError::validation(format!(
                "1 validation error detected: Value '{s}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                EXECUTION_STATUSES.join(", ")
            )));
        }
    }
    let cursor = optional(input, "nextToken")?;
    if let Some(t) = cursor {
        if !t.contains('|') {
            return Err(SfnError::client(
                "InvalidToken",
                format!("Invalid Token: '{t}'"),
            ));
        }
    }
    let redrive_filter = optional(input, "redriveFilter")?;
    let page = log
        .list_page(&ExecutionQuery {
            status: status.map(str::to_owned),
            name_prefix: None,
            limit: max_results(input)?,
            cursor: cursor.map(str::to_owned),
        })
        .await?;
    let executions: Vec<Value> = page
        .executions
        .iter()
        .filter(|e| match redrive_filter {
            Some("REDRIVEN") => e.redrive_count > 0,
            Some("NOT_REDRIVEN") => e.redrive_count == 0,
            _ => true,
        })
        .map(|e| list_item(machine, e))
        .collect();
    let mut out = json!({ "executions": executions });
    if let (Some(next), Some(m)) = (page.next, out.as_object_mut()) {
        m.insert("nextToken".into(), Value::from(next));
    }
    Ok(out)
}

/// One stored event (`{id, previousEventId, timestamp, type, details}`) in AWS's shape.
pub fn aws_event(ev: &Value, include_data: bool) -> Value {
    let ty = ev.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut m = Map::new();
    m.insert(
        "timestamp".into(),
        epoch(ev.get("timestamp").and_then(Value::as_str).unwrap_or("")),
    );
    m.insert("type".into(), Value::from(ty));
    m.insert("id".into(), ev.get("id").cloned().unwrap_or(Value::Null));
    m.insert(
        "previousEventId".into(),
        ev.get("previousEventId").cloned().unwrap_or(Value::from(0)),
    );
    match ev.get("details") {
        Some(Value::Object(d)) if !d.is_empty() || ty == "ExecutionAborted" => {
            let mut d = d.clone();
            if !include_data {
                for (k, detail) in [("input", "inputDetails"), ("output", "outputDetails")] {
                    if d.remove(k).is_some() {
                        d.insert(detail.into(), json!({"truncated": false}));
                    }
                }
            }
            m.insert(states::history::details_key(ty), Value::Object(d));
        }
        _ => {}
    }
    Value::Object(m)
}

async fn history(log: &dyn ExecutionLog, machine: &Machine, input: &Value) -> Answer {
    let summary = execution(log, machine, input).await?;
    let mut events = log.execution_history(&summary.name).await?;
    if input.get("reverseOrder").and_then(Value::as_bool) == Some(true) {
        events.reverse();
    }
    let include = input
        .get("includeExecutionData")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let limit = max_results(input)?;
    let from = match optional(input, "nextToken")? {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= events.len())
            .ok_or_else(|| SfnError::client("InvalidToken", format!("Invalid Token: '{t}'")))?,
    };
    let to = (from + limit).min(events.len());
    let page: Vec<Value> = events[from..to]
        .iter()
        .map(|e| aws_event(e, include))
        .collect();
    let mut out = json!({ "events": page });
    if to < events.len() {
        if let Some(m) = out.as_object_mut() {
            m.insert("nextToken".into(), Value::from(to.to_string()));
        }
    }
    Ok(out)
}

/// StartSyncExecution answers when the execution has ended.
async fn wait_for_end(log: &dyn ExecutionLog, name: &str) -> Result<ExecutionSummary, SfnError> {
    let mut pause = std::time::Duration::from_millis(10);
    loop {
        let now = log
            .describe_execution(name)
            .await?
            .ok_or_else(|| SfnError::from(ExecutionError::DoesNotExist(name.to_owned())))?;
        if now.status != "RUNNING" {
            return Ok(now);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Machine {
        Machine {
            arn: "arn:aws:states:us-east-1:000000000000:stateMachine:media-pipeline".into(),
            name: "media-pipeline".into(),
        }
    }

    #[test]
    fn execution_arns_name_executions_of_this_machine_only() {
        let m = machine();
        assert_eq!(
            execution_name(
                &m,
                "arn:aws:states:us-east-1:000000000000:execution:media-pipeline:abc"
            )
            .unwrap(),
            "abc"
        );
        let other = execution_name(
            &m,
            "arn:aws:states:us-east-1:000000000000:execution:other:abc",
        )
        .unwrap_err();
        assert_eq!(other.kind, "ExecutionDoesNotExist");
        assert_eq!(execution_name(&m, "abc").unwrap_err().kind, "InvalidArn");
        assert_eq!(
            execution_name(
                &m,
                "arn:aws:states:us-east-1:000000000000:stateMachine:media-pipeline"
            )
            .unwrap_err()
            .kind,
            "InvalidArn"
        );
        assert_eq!(m.check("nope").unwrap_err().kind, "InvalidArn");
        assert_eq!(
            m.check("arn:aws:states:us-east-1:000000000000:stateMachine:other")
                .unwrap_err()
                .kind,
            "StateMachineDoesNotExist"
        );
    }

    #[test]
    fn events_carry_aws_detail_keys_and_epoch_dates() {
        let ev = json!({"id": 2, "previousEventId": 0, "timestamp": "2026-11-30T10:00:00.500Z",
            "type": "TaskStateEntered", "details": {"name": "A", "input": "{}", "inputDetails": {"truncated": false}}});
        let aws = aws_event(&ev, true);
        assert_eq!(aws["timestamp"], json!(1796032800.5));
        assert_eq!(aws["stateEnteredEventDetails"]["name"], "A");
        let bare = aws_event(&ev, false);
        assert!(bare["stateEnteredEventDetails"].get("input").is_none());
    }

    #[test]
    fn validation_lists_aws_codes() {
        let v = validate(&json!({"definition": "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}}}"})).unwrap();
        assert_eq!(v["result"], "FAIL");
        assert_eq!(v["diagnostics"][0]["code"], "MISSING_TRANSITION_TARGET");
        let ok = validate(&json!({"definition": "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"End\": true}}}"})).unwrap();
        assert_eq!(ok["result"], "OK");
    }
}
