//! `ExecutionLog` over Step Functions: what the console reads on AWS. It owns the reading
//! side of the pipeline's state machine (ListExecutions, DescribeExecution, GetExecutionHistory,
//! DescribeStateMachine) and the conversion of SDK values into the shapes the local log
//! gives (`crates/local/src/executions.rs`), so the console renders both alike.
//!
//! - Executions are named by the media id; a name becomes an ARN of this state machine's
//!   executions. An ARN is accepted directly only when it belongs to this state machine
//!   (like the local log, which knows no other). Anything unknown is `None` / no events.
//! - History events become `{id, previousEventId, timestamp, type, details}`, `details`
//!   being the event's `...EventDetails` object with the field names of AWS's JSON API,
//!   converted by hand for the events the pipeline produces; other events get `{}`.
//! - ListExecutions gives no input, output, error or cause (AWS's list items carry none);
//!   the summaries of [`ExecutionLog::describe_execution`] have them. A page's cursor is
//!   AWS's `nextToken` (of one machine); a name prefix filters the page (ListExecutions has
//!   no search).
//! - The console's actions are Step Functions' own: StartExecution, StopExecution and
//!   RedriveExecution, their refusals mapped to [`ExecutionError`] by AWS's error names.
//! - With the Backfill state machine's ARN ([`SfnExecutionLog::with_backfill`]),
//!   `start_backfill` starts it (StartExecution, name `backfill-{uuid v7}`, input `{}`), and
//!   that machine's executions are read too: by their ARN, or by a bare name starting with
//!   `backfill-` (media ids are UUIDs, and restarts `{id}-rN`, so no upload is named so),
//!   each drawn with the Backfill's own definition. The list is then both machines'
//!   executions, newest first, under one cursor of their own (`crate::sfn_merge`). The
//!   Backfill on AWS makes the `backfill-reel` function's `THUMBNAIL_SIZES`: other sizes
//!   asked for are refused (`InvalidInput`) rather than ignored.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sfn::types::{
    ExecutionListItem, ExecutionStatus, HistoryEvent, HistoryEventExecutionDataDetails,
    TaskCredentials,
};
use aws_sdk_sfn::Client;
use pipeline::{
    ExecutionError, ExecutionLog, ExecutionPage, ExecutionQuery, ExecutionSummary, StoreError,
};
use serde_json::{Map, Value};

use crate::error::{classify, code};
use crate::sfn::execution_arn;
use crate::sfn_merge::{self, Fetched};

/// The most ListExecutions and GetExecutionHistory return per page.
const PAGE: usize = 1000;
/// The list length when the caller asks for 0, as the local log.
const DEFAULT_LIMIT: usize = 100;

#[derive(Clone, Debug)]
pub struct SfnExecutionLog {
    client: Client,
    state_machine_arn: String,
    /// the Backfill state machine (`{stack}-backfill`), when configured
    backfill_arn: Option<String>,
    /// results asked for per ListExecutions / GetExecutionHistory page
    page: usize,
}

impl SfnExecutionLog {
    pub fn new(sdk: &SdkConfig, state_machine_arn: &str) -> Self {
        Self::from_client(Client::new(sdk), state_machine_arn)
    }

    pub fn from_client(client: Client, state_machine_arn: &str) -> Self {
        SfnExecutionLog {
            client,
            state_machine_arn: state_machine_arn.to_owned(),
            backfill_arn: None,
            page: PAGE,
        }
    }

    /// Also start and read runs of the Backfill state machine of this ARN.
    pub fn with_backfill(mut self, backfill_state_machine_arn: &str) -> Self {
        self.backfill_arn = Some(backfill_state_machine_arn.to_owned());
        self
    }

    pub fn backfill_arn(&self) -> Option<&str> {
        self.backfill_arn.as_deref()
    }

    /// Ask for at most `n` results per page (1 to 1000; tests use small pages to walk
    /// several).
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page = n.clamp(1, PAGE);
        self
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    /// The ARN of the execution `name` of this state machine, or of the Backfill's (see the
    /// module comment), or `name` itself when it is the ARN of one of theirs; `None` when it
    /// cannot name one of them.
    fn resolve(&self, name: &str) -> Result<Option<String>, StoreError> {
        let prefix = executions_prefix(&self.state_machine_arn)?;
        let backfill = self
            .backfill_arn
            .as_deref()
            .map(executions_prefix)
            .transpose()?;
        for own in std::iter::once(&prefix).chain(backfill.as_ref()) {
            if let Some(rest) = name.strip_prefix(own.as_str()) {
                return Ok(is_execution_name(rest).then(|| name.to_owned()));
            }
        }
        if name.starts_with("arn:") || !is_execution_name(name) {
            return Ok(None);
        }
        match backfill {
            Some(backfill) if name.starts_with(BACKFILL_PREFIX) => {
                Ok(Some(format!("{backfill}{name}")))
            }
            _ => Ok(Some(format!("{prefix}{name}"))),
        }
    }

    /// Whether `execution_arn` is a run of the Backfill state machine.
    fn is_backfill(&self, arn: &str) -> bool {
        self.backfill_arn
            .as_deref()
            .and_then(|machine| execution_arn(machine, ""))
            .is_some_and(|prefix| arn.starts_with(&prefix))
    }

    /// The state machines the console lists: the pipeline's, then the Backfill's.
    fn machines(&self) -> Vec<&str> {
        std::iter::once(self.state_machine_arn.as_str())
            .chain(self.backfill_arn.as_deref())
            .collect()
    }

    /// Up to `want` executions of one state machine, newest first (ListExecutions pages).
    async fn list_machine(
        &self,
        machine: &str,
        filter: Option<&ExecutionStatus>,
        want: usize,
    ) -> Result<Vec<ExecutionSummary>, StoreError> {
        let mut out: Vec<ExecutionSummary> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = (want - out.len()).min(self.page);
            let answer = self
                .client
                .list_executions()
                .state_machine_arn(machine)
                .set_status_filter(filter.cloned())
                .max_results(i32::try_from(page).unwrap_or(i32::MAX))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ListExecutions", e))?;
            // AWS lists newest first already
            out.extend(answer.executions().iter().map(list_item));
            token = answer.next_token().map(str::to_owned);
            if out.len() >= want || token.is_none() {
                break;
            }
        }
        out.truncate(want);
        Ok(out)
    }

    /// DescribeStateMachine: its definition as JSON.
    async fn definition_at(&self, state_machine_arn: &str) -> Result<Value, StoreError> {
        let answer = self
            .client
            .describe_state_machine()
            .state_machine_arn(state_machine_arn)
            .send()
            .await
            .map_err(|e| classify("DescribeStateMachine", e))?;
        serde_json::from_str(answer.definition()).map_err(|e| {
            StoreError::Invalid(format!(
                "the definition of {state_machine_arn} is not JSON: {e}"
            ))
        })
    }
}

/// What the names of the Backfill's runs start with (as the local log's).
const BACKFILL_PREFIX: &str = "backfill-";

/// `arn:…:execution:NAME:` of the state machine `arn:…:stateMachine:NAME`.
fn executions_prefix(state_machine_arn: &str) -> Result<String, StoreError> {
    execution_arn(state_machine_arn, "").ok_or_else(|| {
        StoreError::Invalid(format!(
            "{state_machine_arn:?} is not the ARN of a state machine"
        ))
    })
}

impl SfnExecutionLog {
    fn arn_of(&self, name: &str) -> Result<String, ExecutionError> {
        self.resolve(name)?
            .ok_or_else(|| ExecutionError::DoesNotExist(name.to_owned()))
    }

    async fn summary(&self, arn: &str) -> Result<ExecutionSummary, ExecutionError> {
        self.describe_execution(arn)
            .await?
            .ok_or_else(|| ExecutionError::DoesNotExist(arn.to_owned()))
    }
}

/// An action Step Functions refused, by its error name.
fn refused<E>(
    what: &str,
    subject: &str,
    err: aws_sdk_sfn::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> ExecutionError
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + std::fmt::Debug + 'static,
{
    let message = || {
        aws_sdk_sfn::error::ProvideErrorMetadata::message(&err)
            .map(str::to_owned)
            .unwrap_or_else(|| subject.to_owned())
    };
    match code(&err) {
        Some("ExecutionDoesNotExist") => ExecutionError::DoesNotExist(subject.to_owned()),
        Some("ExecutionAlreadyExists") => ExecutionError::AlreadyExists(subject.to_owned()),
        Some("ExecutionNotRedrivable") => ExecutionError::NotRedrivable(message()),
        Some("InvalidName") => ExecutionError::InvalidName(message()),
        Some("InvalidExecutionInput") => ExecutionError::InvalidInput(message()),
        Some("InvalidArn") => ExecutionError::DoesNotExist(subject.to_owned()),
        _ => ExecutionError::Store(classify(what, err)),
    }
}

/// Could Step Functions have named an execution this? 1 to 80 characters, none of
/// whitespace, control characters, a backtick or `<>{}[]?*"#%\^|~$&,;:/`.
fn is_execution_name(name: &str) -> bool {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    let len = name.chars().count();
    (1..=80).contains(&len)
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c))
}

/// A service timestamp as the local log writes them (RFC 3339, milliseconds, `Z`).
pub(crate) fn rfc3339(t: &aws_smithy_types::DateTime) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(t.secs(), t.subsec_nanos())
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .or_else(|| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .unwrap_or_default()
}

/// An execution's JSON input or output; text that is not JSON is kept as a string.
fn json_text(text: Option<&str>) -> Option<Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned())))
}

fn list_item(item: &ExecutionListItem) -> ExecutionSummary {
    ExecutionSummary {
        name: item.name().to_owned(),
        execution_arn: item.execution_arn().to_owned(),
        status: item.status().as_str().to_owned(),
        start_date: rfc3339(item.start_date()),
        stop_date: item.stop_date().map(rfc3339),
        input: None,
        output: None,
        error: None,
        cause: None,
        redrive_count: item
            .redrive_count()
            .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
        redrive_date: item.redrive_date().map(rfc3339),
    }
}

/// A JSON object built field by field; absent optional fields are left out, as AWS does.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn str(mut self, key: &str, value: &str) -> Self {
        self.0.insert(key.to_owned(), Value::from(value));
        self
    }

    fn opt_str(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    fn int(mut self, key: &str, value: i64) -> Self {
        self.0.insert(key.to_owned(), Value::from(value));
        self
    }

    fn opt_int(self, key: &str, value: Option<i64>) -> Self {
        match value {
            Some(v) => self.int(key, v),
            None => self,
        }
    }

    /// `inputDetails` / `outputDetails`: `{"truncated": bool}`.
    fn data(mut self, key: &str, value: Option<&HistoryEventExecutionDataDetails>) -> Self {
        if let Some(d) = value {
            let mut m = Map::new();
            m.insert("truncated".into(), Value::from(d.truncated()));
            self.0.insert(key.to_owned(), Value::Object(m));
        }
        self
    }

    fn credentials(mut self, value: Option<&TaskCredentials>) -> Self {
        if let Some(c) = value {
            let inner = Obj::default().opt_str("roleArn", c.role_arn()).done();
            self.0.insert("taskCredentials".into(), inner);
        }
        self
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn error_cause(error: Option<&str>, cause: Option<&str>) -> Value {
    Obj::default()
        .opt_str("error", error)
        .opt_str("cause", cause)
        .done()
}

/// `resourceType`, `resource` and an error and cause (the failed Task* events).
fn task_error(
    resource_type: &str,
    resource: &str,
    error: Option<&str>,
    cause: Option<&str>,
) -> Value {
    Obj::default()
        .str("resourceType", resource_type)
        .str("resource", resource)
        .opt_str("error", error)
        .opt_str("cause", cause)
        .done()
}

/// The details object of an event, with AWS's JSON field names; `{}` for events whose
/// details the pipeline never produces (activities, map runs) or that carry none.
pub fn event_details(ev: &HistoryEvent) -> Value {
    None.or_else(|| {
        ev.execution_started_event_details().map(|d| {
            Obj::default()
                .opt_str("input", d.input())
                .data("inputDetails", d.input_details())
                .opt_str("roleArn", d.role_arn())
                .opt_str("stateMachineAliasArn", d.state_machine_alias_arn())
                .opt_str("stateMachineVersionArn", d.state_machine_version_arn())
                .done()
        })
    })
    .or_else(|| {
        ev.execution_succeeded_event_details().map(|d| {
            Obj::default()
                .opt_str("output", d.output())
                .data("outputDetails", d.output_details())
                .done()
        })
    })
    .or_else(|| {
        ev.execution_failed_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.execution_aborted_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.execution_timed_out_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.execution_redriven_event_details().map(|d| {
            Obj::default()
                .opt_int("redriveCount", d.redrive_count().map(i64::from))
                .done()
        })
    })
    .or_else(|| {
        ev.state_entered_event_details().map(|d| {
            Obj::default()
                .str("name", d.name())
                .opt_str("input", d.input())
                .data("inputDetails", d.input_details())
                .done()
        })
    })
    .or_else(|| {
        ev.state_exited_event_details().map(|d| {
            let mut o = Obj::default()
                .str("name", d.name())
                .opt_str("output", d.output())
                .data("outputDetails", d.output_details());
            if let Some(vars) = d.assigned_variables() {
                // sorted, so equal histories print alike
                let sorted: BTreeMap<_, _> = vars.iter().collect();
                let m = sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect();
                o.0.insert("assignedVariables".into(), Value::Object(m));
            }
            if let Some(v) = d.assigned_variables_details() {
                let mut inner = Map::new();
                inner.insert("truncated".into(), Value::from(v.truncated()));
                o.0.insert("assignedVariablesDetails".into(), Value::Object(inner));
            }
            o.done()
        })
    })
    .or_else(|| {
        ev.task_scheduled_event_details().map(|d| {
            Obj::default()
                .str("resourceType", d.resource_type())
                .str("resource", d.resource())
                .str("region", d.region())
                .str("parameters", d.parameters())
                .opt_int("timeoutInSeconds", d.timeout_in_seconds())
                .opt_int("heartbeatInSeconds", d.heartbeat_in_seconds())
                .credentials(d.task_credentials())
                .done()
        })
    })
    .or_else(|| {
        ev.task_started_event_details().map(|d| {
            Obj::default()
                .str("resourceType", d.resource_type())
                .str("resource", d.resource())
                .done()
        })
    })
    .or_else(|| {
        ev.task_submitted_event_details().map(|d| {
            Obj::default()
                .str("resourceType", d.resource_type())
                .str("resource", d.resource())
                .opt_str("output", d.output())
                .data("outputDetails", d.output_details())
                .done()
        })
    })
    .or_else(|| {
        ev.task_succeeded_event_details().map(|d| {
            Obj::default()
                .str("resourceType", d.resource_type())
                .str("resource", d.resource())
                .opt_str("output", d.output())
                .data("outputDetails", d.output_details())
                .done()
        })
    })
    .or_else(|| {
        ev.task_failed_event_details()
            .map(|d| task_error(d.resource_type(), d.resource(), d.error(), d.cause()))
    })
    .or_else(|| {
        ev.task_timed_out_event_details()
            .map(|d| task_error(d.resource_type(), d.resource(), d.error(), d.cause()))
    })
    .or_else(|| {
        ev.task_start_failed_event_details()
            .map(|d| task_error(d.resource_type(), d.resource(), d.error(), d.cause()))
    })
    .or_else(|| {
        ev.task_submit_failed_event_details()
            .map(|d| task_error(d.resource_type(), d.resource(), d.error(), d.cause()))
    })
    .or_else(|| {
        ev.lambda_function_scheduled_event_details().map(|d| {
            Obj::default()
                .str("resource", d.resource())
                .opt_str("input", d.input())
                .data("inputDetails", d.input_details())
                .opt_int("timeoutInSeconds", d.timeout_in_seconds())
                .credentials(d.task_credentials())
                .done()
        })
    })
    .or_else(|| {
        ev.lambda_function_succeeded_event_details().map(|d| {
            Obj::default()
                .opt_str("output", d.output())
                .data("outputDetails", d.output_details())
                .done()
        })
    })
    .or_else(|| {
        ev.lambda_function_failed_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.lambda_function_timed_out_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.lambda_function_start_failed_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.lambda_function_schedule_failed_event_details()
            .map(|d| error_cause(d.error(), d.cause()))
    })
    .or_else(|| {
        ev.map_state_started_event_details()
            .map(|d| Obj::default().int("length", i64::from(d.length())).done())
    })
    .or_else(|| {
        ev.map_iteration_started_event_details()
            .or(ev.map_iteration_succeeded_event_details())
            .or(ev.map_iteration_failed_event_details())
            .or(ev.map_iteration_aborted_event_details())
            .map(|d| {
                Obj::default()
                    .opt_str("name", d.name())
                    .int("index", i64::from(d.index()))
                    .done()
            })
    })
    .or_else(|| {
        ev.evaluation_failed_event_details().map(|d| {
            Obj::default()
                .opt_str("error", d.error())
                .opt_str("cause", d.cause())
                .opt_str("location", d.location())
                .str("state", d.state())
                .done()
        })
    })
    .unwrap_or_else(|| Value::Object(Map::new()))
}

/// An event in the local log's shape: `{id, previousEventId, timestamp, type, details}`.
pub fn event_json(ev: &HistoryEvent) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(ev.id()));
    m.insert(
        "previousEventId".into(),
        Value::from(ev.previous_event_id()),
    );
    m.insert("timestamp".into(), Value::from(rfc3339(ev.timestamp())));
    m.insert("type".into(), Value::from(ev.r#type().as_str()));
    m.insert("details".into(), event_details(ev));
    Value::Object(m)
}

#[async_trait]
impl ExecutionLog for SfnExecutionLog {
    async fn send_task_success(
        &self,
        token: &str,
        output: &Value,
    ) -> Result<(), pipeline::ExecutionError> {
        self.client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| callback_error("SendTaskSuccess", token, e))
    }

    async fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), pipeline::ExecutionError> {
        self.client
            .send_task_failure()
            .task_token(token)
            .set_error(error.map(str::to_owned))
            .set_cause(cause.map(str::to_owned))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| callback_error("SendTaskFailure", token, e))
    }

    async fn send_task_heartbeat(&self, token: &str) -> Result<(), pipeline::ExecutionError> {
        self.client
            .send_task_heartbeat()
            .task_token(token)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| callback_error("SendTaskHeartbeat", token, e))
    }

    async fn list_executions(
        &self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, StoreError> {
        let want = if limit == 0 { DEFAULT_LIMIT } else { limit };
        let filter = match status.map(str::to_ascii_uppercase) {
            None => None,
            // a status no execution can have matches none, as in the local log
            Some(s) => match ExecutionStatus::try_parse(&s) {
                Ok(known) => Some(known),
                Err(_) => return Ok(Vec::new()),
            },
        };
        let mut out = Vec::new();
        for machine in self.machines() {
            out.extend(self.list_machine(machine, filter.as_ref(), want).await?);
        }
        // each machine's list is newest first already; a stable sort keeps ties in order
        out.sort_by(|a, b| b.start_date.cmp(&a.start_date));
        out.truncate(want);
        Ok(out)
    }

    async fn describe_execution(&self, name: &str) -> Result<Option<ExecutionSummary>, StoreError> {
        let Some(arn) = self.resolve(name)? else {
            return Ok(None);
        };
        let answer = match self
            .client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
        {
            Ok(a) => a,
            Err(e) if matches!(code(&e), Some("ExecutionDoesNotExist" | "InvalidArn")) => {
                return Ok(None)
            }
            Err(e) => return Err(classify("DescribeExecution", e)),
        };
        let name = answer
            .name()
            .map(str::to_owned)
            .or_else(|| arn.rsplit(':').next().map(str::to_owned))
            .unwrap_or_default();
        Ok(Some(ExecutionSummary {
            name,
            execution_arn: answer.execution_arn().to_owned(),
            status: answer.status().as_str().to_owned(),
            start_date: rfc3339(answer.start_date()),
            stop_date: answer.stop_date().map(rfc3339),
            input: json_text(answer.input()),
            output: json_text(answer.output()),
            error: answer.error().map(str::to_owned),
            cause: answer.cause().map(str::to_owned),
            redrive_count: answer
                .redrive_count()
                .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
            redrive_date: answer.redrive_date().map(rfc3339),
        }))
    }

    async fn execution_history(&self, name: &str) -> Result<Vec<Value>, StoreError> {
        let Some(arn) = self.resolve(name)? else {
            return Ok(Vec::new());
        };
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer = match self
                .client
                .get_execution_history()
                .execution_arn(&arn)
                .reverse_order(false)
                .include_execution_data(true)
                .max_results(i32::try_from(self.page).unwrap_or(i32::MAX))
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(a) => a,
                // no such execution: no events, as in the local log
                Err(e) if matches!(code(&e), Some("ExecutionDoesNotExist" | "InvalidArn")) => {
                    return Ok(Vec::new())
                }
                Err(e) => return Err(classify("GetExecutionHistory", e)),
            };
            events.extend(answer.events().iter().map(event_json));
            token = answer.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(events)
    }

    fn state_machine_arn(&self) -> Option<String> {
        Some(self.state_machine_arn.clone())
    }

    async fn list_page(&self, query: &ExecutionQuery) -> Result<ExecutionPage, StoreError> {
        let filter = match query.status.as_deref().map(str::to_ascii_uppercase) {
            None => None,
            Some(s) => match ExecutionStatus::try_parse(&s) {
                Ok(known) => Some(known),
                Err(_) => return Ok(ExecutionPage::default()),
            },
        };
        let limit = if query.limit == 0 {
            DEFAULT_LIMIT
        } else {
            query.limit.min(PAGE)
        };
        let prefix = query.name_prefix.as_deref().unwrap_or("");
        let matches = |e: &ExecutionSummary| {
            e.name.starts_with(prefix) || e.execution_arn.starts_with(prefix)
        };
        if self.backfill_arn.is_none() {
            // one machine: AWS's page, its nextToken the cursor
            let answer = self
                .client
                .list_executions()
                .state_machine_arn(&self.state_machine_arn)
                .set_status_filter(filter)
                .max_results(i32::try_from(limit).unwrap_or(i32::MAX))
                .set_next_token(query.cursor.clone())
                .send()
                .await
                .map_err(|e| classify("ListExecutions", e))?;
            return Ok(ExecutionPage {
                executions: answer
                    .executions()
                    .iter()
                    .map(list_item)
                    .filter(matches)
                    .collect(),
                next: answer.next_token().map(str::to_owned),
            });
        }
        // the pipeline's and the Backfill's, merged newest first (crate::sfn_merge)
        let machines = self.machines();
        let from = sfn_merge::decode(query.cursor.as_deref(), machines.len())?;
        let mut pages = Vec::with_capacity(machines.len());
        for (machine, resume) in machines.iter().zip(&from) {
            if resume.done {
                pages.push(None);
                continue;
            }
            let answer = self
                .client
                .list_executions()
                .state_machine_arn(*machine)
                .set_status_filter(filter.clone())
                .max_results(i32::try_from((resume.skip + limit).min(PAGE)).unwrap_or(i32::MAX))
                .set_next_token(resume.token.clone())
                .send()
                .await
                .map_err(|e| classify("ListExecutions", e))?;
            pages.push(Some(Fetched {
                items: answer
                    .executions()
                    .iter()
                    .skip(resume.skip)
                    .map(list_item)
                    .collect(),
                next_token: answer.next_token().map(str::to_owned),
            }));
        }
        let (rows, resume) = sfn_merge::merge(&from, &pages, limit);
        Ok(ExecutionPage {
            executions: rows.into_iter().filter(matches).collect(),
            next: sfn_merge::encode(&resume),
        })
    }

    async fn start_execution(
        &self,
        name: Option<&str>,
        input: &Value,
    ) -> Result<ExecutionSummary, ExecutionError> {
        let name = name
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let answer = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&name)
            .input(input.to_string())
            .send()
            .await
            .map_err(|e| refused("StartExecution", &name, e))?;
        self.summary(answer.execution_arn()).await
    }

    async fn stop_execution(
        &self,
        name: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        let arn = self.arn_of(name)?;
        self.client
            .stop_execution()
            .execution_arn(&arn)
            .set_error(error.map(str::to_owned))
            .set_cause(cause.map(str::to_owned))
            .send()
            .await
            .map_err(|e| refused("StopExecution", &arn, e))?;
        self.summary(&arn).await
    }

    async fn redrive_execution(&self, name: &str) -> Result<ExecutionSummary, ExecutionError> {
        let arn = self.arn_of(name)?;
        self.client
            .redrive_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|e| refused("RedriveExecution", &arn, e))?;
        self.summary(&arn).await
    }

    async fn definition(&self) -> Result<Value, StoreError> {
        self.definition_at(&self.state_machine_arn).await
    }

    async fn definition_of(&self, summary: &ExecutionSummary) -> Result<Value, StoreError> {
        match self.backfill_arn.as_deref() {
            Some(backfill) if self.is_backfill(&summary.execution_arn) => {
                self.definition_at(backfill).await
            }
            _ => self.definition().await,
        }
    }

    async fn start_backfill(
        &self,
        sizes: Option<&[u32]>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        let Some(backfill) = self.backfill_arn.as_deref() else {
            return Err(ExecutionError::Unsupported(
                "no Backfill state machine is configured here (BACKFILL_STATE_MACHINE_ARN): start it with the CLI (README, \"Backfill on AWS\")".into(),
            ));
        };
        if sizes.is_some() {
            return Err(ExecutionError::InvalidInput(
                "sizes: the backfill on AWS makes the thumbnail sizes of the backfill-reel function (the stack's ThumbnailSizes): change that parameter and deploy, then start the backfill without sizes".into(),
            ));
        }
        let name = format!("{BACKFILL_PREFIX}{}", uuid::Uuid::now_v7());
        let answer = self
            .client
            .start_execution()
            .state_machine_arn(backfill)
            .name(&name)
            .input("{}")
            .send()
            .await
            .map_err(|e| refused("StartExecution", &name, e))?;
        self.summary(answer.execution_arn()).await
    }
}

/// Step Functions' refusal of a task callback, by its error code.
fn callback_error<E>(
    what: &str,
    token: &str,
    e: aws_sdk_sfn::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> pipeline::ExecutionError
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + std::fmt::Debug + 'static,
{
    use pipeline::ExecutionError as X;
    match code(&e) {
        Some("InvalidToken") => X::InvalidToken(token.to_owned()),
        Some("TaskDoesNotExist") => X::TaskDoesNotExist,
        Some("TaskTimedOut") => X::TaskTimedOut(token.to_owned()),
        Some("InvalidOutput") => X::InvalidOutput(format!("{what}: invalid output")),
        _ => X::Store(classify(what, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::types::{
        ExecutionFailedEventDetails, ExecutionStartedEventDetails, HistoryEventType,
        LambdaFunctionScheduledEventDetails, MapIterationEventDetails, MapStateStartedEventDetails,
        StateEnteredEventDetails, StateExitedEventDetails, TaskFailedEventDetails,
        TaskScheduledEventDetails, TaskSucceededEventDetails,
    };
    use aws_smithy_types::DateTime;
    use serde_json::json;

    const MACHINE: &str = "arn:aws:states:eu-west-1:123456789012:stateMachine:media-pipeline";

    fn untruncated() -> HistoryEventExecutionDataDetails {
        HistoryEventExecutionDataDetails::builder()
            .truncated(false)
            .build()
    }

    fn event(
        id: i64,
        prev: i64,
        ty: HistoryEventType,
    ) -> aws_sdk_sfn::types::builders::HistoryEventBuilder {
        HistoryEvent::builder()
            .id(id)
            .previous_event_id(prev)
            .timestamp(DateTime::from_millis(1_767_225_600_123))
            .r#type(ty)
    }

    #[test]
    fn execution_started_carries_its_input() {
        let ev = event(1, 0, HistoryEventType::ExecutionStarted)
            .execution_started_event_details(
                ExecutionStartedEventDetails::builder()
                    .input(r#"{"id":"abc","rawKey":"raw/abc/original.jpg"}"#)
                    .input_details(untruncated())
                    .role_arn("arn:aws:iam::123456789012:role/media-pipeline")
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_json(&ev),
            json!({
                "id": 1,
                "previousEventId": 0,
                "timestamp": "2026-01-01T00:00:00.123Z",
                "type": "ExecutionStarted",
                "details": {
                    "input": r#"{"id":"abc","rawKey":"raw/abc/original.jpg"}"#,
                    "inputDetails": {"truncated": false},
                    "roleArn": "arn:aws:iam::123456789012:role/media-pipeline"
                }
            })
        );
    }

    #[test]
    fn state_events_carry_name_input_and_output() {
        let entered = event(2, 0, HistoryEventType::TaskStateEntered)
            .state_entered_event_details(
                StateEnteredEventDetails::builder()
                    .name("ValidateFileType")
                    .input(r#"{"id":"abc"}"#)
                    .input_details(untruncated())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_details(&entered),
            json!({"name": "ValidateFileType", "input": r#"{"id":"abc"}"#, "inputDetails": {"truncated": false}})
        );
        let exited = event(7, 6, HistoryEventType::TaskStateExited)
            .state_exited_event_details(
                StateExitedEventDetails::builder()
                    .name("ValidateFileType")
                    .output("{}")
                    .output_details(untruncated())
                    .assigned_variables("b", "2")
                    .assigned_variables("a", "1")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let details = event_details(&exited);
        assert_eq!(
            details,
            json!({"name": "ValidateFileType", "output": "{}", "outputDetails": {"truncated": false},
                   "assignedVariables": {"a": "1", "b": "2"}})
        );
        // the console and the graph read these exactly so
        let history = [event_json(&entered), event_json(&exited)];
        assert_eq!(history[0]["type"], json!("TaskStateEntered"));
        assert_eq!(history[1]["details"]["name"], json!("ValidateFileType"));
    }

    #[test]
    fn task_events_carry_resource_and_outcome() {
        let scheduled = event(3, 2, HistoryEventType::TaskScheduled)
            .task_scheduled_event_details(
                TaskScheduledEventDetails::builder()
                    .resource_type("lambda")
                    .resource("invoke")
                    .region("eu-west-1")
                    .parameters(r#"{"FunctionName":"f"}"#)
                    .timeout_in_seconds(60)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_details(&scheduled),
            json!({"resourceType": "lambda", "resource": "invoke", "region": "eu-west-1",
                   "parameters": r#"{"FunctionName":"f"}"#, "timeoutInSeconds": 60})
        );
        let succeeded = event(5, 4, HistoryEventType::TaskSucceeded)
            .task_succeeded_event_details(
                TaskSucceededEventDetails::builder()
                    .resource_type("lambda")
                    .resource("invoke")
                    .output(r#"{"Payload":{}}"#)
                    .output_details(untruncated())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_details(&succeeded),
            json!({"resourceType": "lambda", "resource": "invoke", "output": r#"{"Payload":{}}"#,
                   "outputDetails": {"truncated": false}})
        );
        let failed = event(5, 4, HistoryEventType::TaskFailed)
            .task_failed_event_details(
                TaskFailedEventDetails::builder()
                    .resource_type("lambda")
                    .resource("invoke")
                    .error("UnsupportedMediaType")
                    .cause(r#"{"errorMessage":"not an image"}"#)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_details(&failed),
            json!({"resourceType": "lambda", "resource": "invoke", "error": "UnsupportedMediaType",
                   "cause": r#"{"errorMessage":"not an image"}"#})
        );
        let lambda = event(3, 2, HistoryEventType::LambdaFunctionScheduled)
            .lambda_function_scheduled_event_details(
                LambdaFunctionScheduledEventDetails::builder()
                    .resource("arn:aws:lambda:eu-west-1:123456789012:function:f")
                    .input("{}")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_details(&lambda),
            json!({"resource": "arn:aws:lambda:eu-west-1:123456789012:function:f", "input": "{}"})
        );
    }

    #[test]
    fn map_failure_and_unknown_events() {
        let started = event(4, 3, HistoryEventType::MapStateStarted)
            .map_state_started_event_details(
                MapStateStartedEventDetails::builder().length(3).build(),
            )
            .build()
            .unwrap();
        assert_eq!(event_details(&started), json!({"length": 3}));
        let iteration = event(5, 4, HistoryEventType::MapIterationFailed)
            .map_iteration_failed_event_details(
                MapIterationEventDetails::builder()
                    .name("Thumbs")
                    .index(2)
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            event_details(&iteration),
            json!({"name": "Thumbs", "index": 2})
        );
        let failed = event(9, 8, HistoryEventType::ExecutionFailed)
            .execution_failed_event_details(
                ExecutionFailedEventDetails::builder()
                    .error("CorruptMedia")
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(event_details(&failed), json!({"error": "CorruptMedia"}));
        // Parallel state events carry no details on AWS; activities are not ours
        let parallel = event(6, 5, HistoryEventType::ParallelStateStarted)
            .build()
            .unwrap();
        assert_eq!(event_json(&parallel)["details"], json!({}));
        assert_eq!(event_json(&parallel)["type"], json!("ParallelStateStarted"));
        let activity = event(6, 5, HistoryEventType::ActivityFailed)
            .activity_failed_event_details(
                aws_sdk_sfn::types::ActivityFailedEventDetails::builder()
                    .error("E")
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(event_details(&activity), json!({}));
    }

    #[test]
    fn names_and_arns_resolve_to_this_machines_executions() {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let log = SfnExecutionLog::new(&sdk, MACHINE);
        let own = "arn:aws:states:eu-west-1:123456789012:execution:media-pipeline:abc";
        assert_eq!(log.resolve("abc").unwrap().as_deref(), Some(own));
        assert_eq!(log.resolve(own).unwrap().as_deref(), Some(own));
        for other in [
            "arn:aws:states:eu-west-1:123456789012:execution:other-machine:abc",
            "arn:aws:states:eu-west-1:123456789012:execution:media-pipeline:",
            "a/b",
            "a:b",
            "with space",
            "",
            &"x".repeat(81),
        ] {
            assert_eq!(log.resolve(other).unwrap(), None, "{other:?}");
        }
        let broken = SfnExecutionLog::new(&sdk, "not-an-arn");
        assert!(matches!(broken.resolve("abc"), Err(StoreError::Invalid(_))));
    }

    #[test]
    fn backfill_runs_resolve_to_the_backfill_machine_when_it_is_configured() {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let backfill = "arn:aws:states:eu-west-1:123456789012:stateMachine:hub-backfill";
        let run = "arn:aws:states:eu-west-1:123456789012:execution:hub-backfill:backfill-1";
        let upload = "arn:aws:states:eu-west-1:123456789012:execution:media-pipeline:abc";
        let log = SfnExecutionLog::new(&sdk, MACHINE).with_backfill(backfill);
        assert_eq!(log.resolve("backfill-1").unwrap().as_deref(), Some(run));
        assert_eq!(log.resolve(run).unwrap().as_deref(), Some(run));
        assert_eq!(log.resolve("abc").unwrap().as_deref(), Some(upload));
        assert_eq!(log.resolve(upload).unwrap().as_deref(), Some(upload));
        assert!(log.is_backfill(run));
        assert!(!log.is_backfill(upload));
        // without it, a backfill- name is the pipeline's and the run's ARN is unknown
        let plain = SfnExecutionLog::new(&sdk, MACHINE);
        assert_eq!(
            plain.resolve("backfill-1").unwrap().as_deref(),
            Some("arn:aws:states:eu-west-1:123456789012:execution:media-pipeline:backfill-1")
        );
        assert_eq!(plain.resolve(run).unwrap(), None);
        assert!(!plain.is_backfill(run));
        let broken = SfnExecutionLog::new(&sdk, MACHINE).with_backfill("not-an-arn");
        assert!(matches!(broken.resolve("abc"), Err(StoreError::Invalid(_))));
    }

    /// moto has no RedriveExecution, so the refusals Step Functions answers it with are
    /// mapped here from SDK errors as the SDK deserializes them.
    #[test]
    fn redrive_refusals_map_to_execution_errors() {
        use aws_sdk_sfn::error::SdkError;
        use aws_sdk_sfn::operation::redrive_execution::RedriveExecutionError as E;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let arn = "arn:aws:states:eu-west-1:123456789012:execution:media-pipeline:abc";
        let meta = |code: &str, message: &str| {
            ErrorMetadata::builder().code(code).message(message).build()
        };
        let answer = |status: u16, err: E| {
            let raw = aws_smithy_runtime_api::http::Response::new(
                status.try_into().unwrap(),
                SdkBody::empty(),
            );
            refused("RedriveExecution", arn, SdkError::service_error(err, raw))
        };
        let not_redrivable = E::ExecutionNotRedrivable(
            aws_sdk_sfn::types::error::ExecutionNotRedrivable::builder()
                .message("Execution is SUCCEEDED")
                .meta(meta("ExecutionNotRedrivable", "Execution is SUCCEEDED"))
                .build(),
        );
        assert!(matches!(
            answer(400, not_redrivable),
            ExecutionError::NotRedrivable(m) if m == "Execution is SUCCEEDED"
        ));
        let missing = E::ExecutionDoesNotExist(
            aws_sdk_sfn::types::error::ExecutionDoesNotExist::builder()
                .meta(meta("ExecutionDoesNotExist", "no such execution"))
                .build(),
        );
        assert!(matches!(
            answer(400, missing),
            ExecutionError::DoesNotExist(a) if a == arn
        ));
        // without the grant: AWS's AccessDeniedException, not modelled for this operation,
        // is a refusal the console shows with its code (400), not a transient failure
        let denied = E::generic(meta(
            "AccessDeniedException",
            "not authorized to perform: states:RedriveExecution",
        ));
        assert!(matches!(
            answer(400, denied),
            ExecutionError::Store(StoreError::Invalid(m)) if m.contains("AccessDeniedException")
        ));
        // moto's 500 NotImplemented: transient
        let unimplemented = E::generic(meta("InternalFailure", "not implemented"));
        assert!(matches!(
            answer(500, unimplemented),
            ExecutionError::Store(StoreError::Unavailable(_))
        ));
    }

    #[test]
    fn timestamps_are_rfc3339_with_milliseconds() {
        assert_eq!(
            rfc3339(&DateTime::from_secs(1_767_225_600)),
            "2026-01-01T00:00:00.000Z"
        );
        assert_eq!(json_text(Some("{\"a\":1}")), Some(json!({"a": 1})));
        assert_eq!(json_text(Some("not json")), Some(json!("not json")));
        assert_eq!(json_text(None), None);
    }
}
