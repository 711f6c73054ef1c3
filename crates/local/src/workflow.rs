//! The in-process workflow: starts executions of the state machine (named by the media id)
//! on the `states` interpreter, persists them and their history, and reads them back for
//! the console. At most one live execution per name; a second start of a running or
//! finished name starts nothing, like Step Functions' StartExecution.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pipeline::{
    ExecutionError, ExecutionInput, ExecutionLog, ExecutionPage, ExecutionQuery, ExecutionSummary,
    Pipeline, Started, StateTest, StoreError, Task, WorkflowStarter,
};
use serde_json::Value;
use tokio::sync::{oneshot, watch};

use crate::db::{now, SqliteStore};
use crate::definition::{load_definition, substitute_placeholders, DefinitionSource};
use crate::invoker::{local_function_arn, LambdaInvoker};

pub const STATE_MACHINE_NAME: &str = "media-pipeline";
/// The backfill's state machine (`statemachine/backfill.asl.json`), whose runs the console
/// starts and shows among the executions.
pub const BACKFILL_MACHINE_NAME: &str = "media-backfill";
/// The region and account of local ARNs: AWS's format, so SDKs and the AWS CLI parse them.
const ARN_PREFIX: &str = "arn:aws:states:us-east-1:000000000000";

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Load(#[from] crate::definition::DefinitionLoadError),
    #[error("invalid state machine definition ({source_name}): {error}")]
    Invalid {
        source_name: String,
        error: states::DefinitionError,
    },
}

/// An execution running in this process: a signal that flips when it ends, and the way to
/// stop it (taken by the first StopExecution).
struct Live {
    done: watch::Receiver<bool>,
    stop: Option<oneshot::Sender<states::StopRequest>>,
}

pub struct LocalWorkflow {
    definition: Arc<states::Definition>,
    definition_json: Value,
    source: DefinitionSource,
    store: SqliteStore,
    pipeline: Pipeline,
    invoker: Arc<LambdaInvoker>,
    /// the task tokens of callback tasks and the object store of distributed Maps
    services: states::Services,
    /// the executions running in this process
    live: Mutex<HashMap<String, Live>>,
    /// time for Wait, Retry back-off and TimeoutSeconds (the system clock but in tests)
    clock: Arc<dyn states::Clock>,
}

/// Record how execution `name` ended (status, output, error and cause; now as its stop
/// date) and return the status as Step Functions spells it. The run is over either way: a
/// failure to record it is logged, not returned.
fn record_end(store: &SqliteStore, name: &str, outcome: &states::ExecutionOutcome) -> String {
    let status = serde_json::to_value(outcome.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "FAILED".into());
    if let Err(e) = store.finish_execution(
        name,
        &status,
        outcome.output.as_ref(),
        outcome.error.as_deref(),
        outcome.cause.as_deref(),
        &now(),
    ) {
        tracing::error!(execution = %name, error = %e, "could not record the end of an execution");
    }
    status
}

impl LocalWorkflow {
    /// Load, fill and validate the definition; nothing runs until [`WorkflowStarter::start`].
    pub fn new(
        definition_path: Option<&Path>,
        store: SqliteStore,
        pipeline: Pipeline,
    ) -> Result<Arc<Self>, WorkflowError> {
        Self::new_with_clock(
            definition_path,
            store,
            pipeline,
            Arc::new(states::SystemClock),
        )
    }

    /// [`Self::new`] on another clock (tests: a [`states::ScaledClock`]).
    pub fn new_with_clock(
        definition_path: Option<&Path>,
        store: SqliteStore,
        pipeline: Pipeline,
        clock: Arc<dyn states::Clock>,
    ) -> Result<Arc<Self>, WorkflowError> {
        let (text, source) = load_definition(definition_path)?;
        let values: BTreeMap<String, String> = Task::ALL
            .into_iter()
            .map(|t| (t.arn_placeholder().to_owned(), local_function_arn(t)))
            .collect();
        let filled = substitute_placeholders(&text, &values)?;
        let definition =
            states::Definition::parse(&filled).map_err(|error| WorkflowError::Invalid {
                source_name: source.to_string(),
                error,
            })?;
        let definition_json = serde_json::from_str(&filled).unwrap_or(Value::Null);
        tracing::info!(definition = %source, "state machine loaded");
        let services = states::Services {
            task_tokens: states::TaskTokens::new(),
            objects: Some(Arc::new(crate::objects::BlobObjects::new(
                pipeline.blobs.clone(),
                crate::objects::LOCAL_BUCKET,
            ))),
            state_machines: Some(Arc::new(OwnMachine(definition.clone()))),
        };
        Ok(Arc::new(LocalWorkflow {
            definition: Arc::new(definition),
            definition_json,
            source,
            store,
            invoker: Arc::new(LambdaInvoker::new(pipeline.clone())),
            services,
            pipeline,
            live: Mutex::new(HashMap::new()),
            clock,
        }))
    }

    pub fn source(&self) -> &DefinitionSource {
        &self.source
    }

    /// The tokens of the callback tasks waiting in this process (`SendTask*` answer them).
    pub fn task_tokens(&self) -> &states::TaskTokens {
        &self.services.task_tokens
    }

    pub fn state_machine_arn() -> String {
        format!("{ARN_PREFIX}:stateMachine:{STATE_MACHINE_NAME}")
    }

    pub fn execution_arn(name: &str) -> String {
        format!("{ARN_PREFIX}:execution:{STATE_MACHINE_NAME}:{name}")
    }

    pub fn backfill_execution_arn(name: &str) -> String {
        format!("{ARN_PREFIX}:execution:{BACKFILL_MACHINE_NAME}:{name}")
    }

    /// Whether an execution ARN is a backfill run's.
    pub fn is_backfill(execution_arn: &str) -> bool {
        execution_arn.contains(&format!(":execution:{BACKFILL_MACHINE_NAME}:"))
    }

    /// Start a backfill run (`./statemachine/backfill.asl.json`, else the built-in copy)
    /// over every READY reel, making thumbnails of `sizes` (None: this server's). It is
    /// recorded with its history like any execution, and StopExecution stops it.
    pub fn start_backfill(
        self: &Arc<Self>,
        sizes: Option<&[u32]>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        let text = std::fs::read_to_string("statemachine/backfill.asl.json").ok();
        let definition = crate::backfill::parse(text.as_deref())
            .map_err(|e| ExecutionError::InvalidDefinition(e.to_string()))?;
        let mut settings = (*self.pipeline.settings).clone();
        if let Some(sizes) = sizes {
            settings.thumbnail_sizes = sizes.to_vec();
        }
        let pipeline = Pipeline {
            settings: Arc::new(settings),
            ..self.pipeline.clone()
        };
        let name = format!("backfill-{}", uuid::Uuid::now_v7());
        let arn = Self::backfill_execution_arn(&name);
        let input = serde_json::json!({});
        self.store.begin_execution(&name, &arn, &input, &now())?;
        let (tx, stop) = self.register_live(&name);
        let me = Arc::clone(self);
        let run_name = name.clone();
        tokio::spawn(async move {
            let name = run_name;
            let options = states::ExecutionOptions {
                name: name.clone(),
                execution_arn: Self::backfill_execution_arn(&name),
                state_machine_arn: format!("{ARN_PREFIX}:stateMachine:{BACKFILL_MACHINE_NAME}"),
                state_machine_name: BACKFILL_MACHINE_NAME.into(),
                role_arn: "arn:aws:iam::000000000000:role/media-backfill".into(),
            };
            let sink = StoreSink {
                store: me.store.clone(),
                execution: name.clone(),
            };
            let (outcome, progress) = crate::backfill::run_parsed(
                &definition,
                pipeline,
                None,
                |_| {},
                &sink,
                options,
                Some(stop),
            )
            .await;
            let status = record_end(&me.store, &name, &outcome);
            use std::sync::atomic::Ordering::Relaxed;
            tracing::info!(
                execution = %name,
                %status,
                done = progress.done.load(Relaxed),
                failed = progress.failed.load(Relaxed),
                "backfill ended"
            );
            me.live_lock().remove(&name);
            let _ = tx.send(true);
        });
        self.summary(&name)
    }

    fn live_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait until the named execution, if live in this process, has ended.
    pub async fn wait(&self, name: &str) {
        let rx = self.live_lock().get(name).map(|l| l.done.clone());
        if let Some(mut rx) = rx {
            let _ = rx.wait_for(|done| *done).await;
        }
    }

    /// How many executions are running in this process.
    pub fn running(&self) -> usize {
        self.live_lock().len()
    }

    /// Register the execution `name` as live in this process: the sender that says it ended,
    /// and the future a StopExecution completes (a dropped sender, the process ending, is
    /// not a stop).
    fn register_live(
        &self,
        name: &str,
    ) -> (
        watch::Sender<bool>,
        futures_util::future::BoxFuture<'static, states::StopRequest>,
    ) {
        let (tx, rx) = watch::channel(false);
        let (stop_tx, stop_rx) = oneshot::channel::<states::StopRequest>();
        self.live_lock().insert(
            name.to_owned(),
            Live {
                done: rx,
                stop: Some(stop_tx),
            },
        );
        let stop = Box::pin(async move {
            match stop_rx.await {
                Ok(r) => r,
                Err(_) => std::future::pending().await,
            }
        });
        (tx, stop)
    }

    fn spawn(self: &Arc<Self>, name: String, input: Value, redrive: Option<states::Redrive>) {
        let (tx, stop) = self.register_live(&name);
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let options = states::ExecutionOptions {
                name: name.clone(),
                execution_arn: Self::execution_arn(&name),
                state_machine_arn: Self::state_machine_arn(),
                state_machine_name: STATE_MACHINE_NAME.into(),
                role_arn: "arn:aws:iam::000000000000:role/media-pipeline".into(),
            };
            let sink = StoreSink {
                store: me.store.clone(),
                execution: name.clone(),
            };
            let control = states::RunControl {
                services: me.services.clone(),
                redrive,
                stop: Some(stop),
            };
            let outcome = states::execute_controlled(
                &me.definition,
                input.clone(),
                &options,
                me.invoker.as_ref(),
                &sink,
                me.clock.as_ref(),
                control,
            )
            .await;
            if outcome.status == states::ExecutionStatus::Aborted {
                me.cleanup_after_stop(&name, &input, &outcome).await;
            }
            let status = record_end(&me.store, &name, &outcome);
            tracing::info!(execution = %name, %status, error = outcome.error.as_deref().unwrap_or(""), "execution ended");
            me.live_lock().remove(&name);
            let _ = tx.send(true);
        });
    }

    /// A stopped execution of an upload leaves what Cleanup leaves: the reel FAILED, no
    /// thumbnail, the raw file kept (a stop is not the file's fault).
    async fn cleanup_after_stop(
        &self,
        name: &str,
        input: &Value,
        outcome: &states::ExecutionOutcome,
    ) {
        let (Some(id), Some(raw_key)) = (
            input.get("id").and_then(Value::as_str),
            input.get("rawKey").and_then(Value::as_str),
        ) else {
            return;
        };
        let payload = serde_json::json!({
            "id": id,
            "rawKey": raw_key,
            "error": {
                "Error": outcome.error.clone().unwrap_or_else(|| "ExecutionAborted".into()),
                "Cause": outcome.cause.clone().unwrap_or_else(|| format!("The execution {name} was stopped.")),
            }
        });
        if let Err(e) = self.pipeline.dispatch(Task::Cleanup, payload).await {
            tracing::error!(execution = %name, error = %e.message, "cleanup after a stop failed");
        }
    }

    fn summary(&self, name: &str) -> Result<ExecutionSummary, ExecutionError> {
        self.store
            .execution_sync(name)?
            .ok_or_else(|| ExecutionError::DoesNotExist(display_arn(name)))
    }
}

/// The ARN of a name (an ARN stays as it is), for error messages.
fn display_arn(name: &str) -> String {
    if name.starts_with("arn:") {
        name.to_owned()
    } else {
        LocalWorkflow::execution_arn(name)
    }
}

/// AWS's rule for execution names: 1 to 80 characters, none of whitespace, brackets,
/// wildcards, the special characters `"#%\^|~`$&,;:/` or control characters.
pub fn check_execution_name(name: &str) -> Result<(), ExecutionError> {
    let bad =
        |c: char| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c);
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(bad) {
        return Err(ExecutionError::InvalidName(format!(
            "Invalid Name: '{name}'"
        )));
    }
    Ok(())
}

/// Persists history events as the interpreter emits them.
struct StoreSink {
    store: SqliteStore,
    execution: String,
}

impl states::HistorySink for StoreSink {
    fn record(&self, event: &states::HistoryEvent) {
        if let Err(e) = self.store.append_history(&self.execution, event) {
            tracing::warn!(execution = %self.execution, error = %e, "history event not stored");
        }
    }
}

/// `Arc<LocalWorkflow>` is the starter: it spawns onto the runtime.
pub struct LocalStarter(pub Arc<LocalWorkflow>);

#[async_trait]
impl WorkflowStarter for LocalStarter {
    /// As on Step Functions, a closed execution's name stays taken: the reel runs again
    /// under the first free name of `{id}`, `{id}-r1` … (`pipeline::reprocess::restart_name`);
    /// a live one is left alone.
    async fn restart(&self, input: &ExecutionInput) -> Result<Started, StoreError> {
        let wf = &self.0;
        for n in 0..=pipeline::reprocess::MAX_RESTARTS {
            let name = pipeline::reprocess::restart_name(&input.id, n);
            let arn = LocalWorkflow::execution_arn(&name);
            if wf.live_lock().contains_key(&name) {
                return Ok(Started {
                    execution_arn: arn,
                    already_started: true,
                });
            }
            if wf.store.execution_sync(&name)?.is_some() {
                continue;
            }
            let json = pipeline::ports::execution_input_json(input);
            wf.store.begin_execution(&name, &arn, &json, &now())?;
            wf.spawn(name, json, None);
            return Ok(Started {
                execution_arn: arn,
                already_started: false,
            });
        }
        Err(StoreError::Invalid(format!(
            "reel {} was started {} times already",
            input.id,
            pipeline::reprocess::MAX_RESTARTS
        )))
    }

    async fn start(&self, input: &ExecutionInput) -> Result<Started, StoreError> {
        let wf = &self.0;
        let name = input.id.clone();
        let arn = LocalWorkflow::execution_arn(&name);
        if wf.live_lock().contains_key(&name) {
            return Ok(Started {
                execution_arn: arn,
                already_started: true,
            });
        }
        if let Some(existing) = wf.store.execution_sync(&name)? {
            // A finished execution of this name is final, as on AWS. One left RUNNING by a
            // process that stopped is not live: run it again from the start.
            if existing.status != "RUNNING" {
                return Ok(Started {
                    execution_arn: arn,
                    already_started: true,
                });
            }
            tracing::info!(execution = %name, "resuming an execution interrupted by a stop");
        }
        wf.begin(input)
    }

    fn in_flight(&self) -> Option<usize> {
        Some(self.0.running())
    }
}

impl LocalWorkflow {
    /// Record the execution as RUNNING (replacing an earlier one of the name) and run it.
    fn begin(self: &Arc<Self>, input: &ExecutionInput) -> Result<Started, StoreError> {
        let name = input.id.clone();
        let arn = LocalWorkflow::execution_arn(&name);
        let json = pipeline::ports::execution_input_json(input);
        self.store.begin_execution(&name, &arn, &json, &now())?;
        self.spawn(name, json, None);
        Ok(Started {
            execution_arn: arn,
            already_started: false,
        })
    }
}

#[async_trait]
impl ExecutionLog for LocalWorkflow {
    async fn send_task_success(&self, token: &str, output: &Value) -> Result<(), ExecutionError> {
        self.task_tokens()
            .send_success(token, output.clone())
            .map_err(callback_error)
    }

    async fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), ExecutionError> {
        self.task_tokens()
            .send_failure(token, error.unwrap_or(""), cause.unwrap_or(""))
            .map_err(callback_error)
    }

    async fn send_task_heartbeat(&self, token: &str) -> Result<(), ExecutionError> {
        self.task_tokens()
            .send_heartbeat(token)
            .map_err(callback_error)
    }

    async fn list_executions(
        &self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, StoreError> {
        self.store.list_executions(status, limit).await
    }
    async fn describe_execution(&self, name: &str) -> Result<Option<ExecutionSummary>, StoreError> {
        self.store.describe_execution(name).await
    }
    async fn execution_history(&self, name: &str) -> Result<Vec<Value>, StoreError> {
        self.store.execution_history(name).await
    }
    async fn definition(&self) -> Result<Value, StoreError> {
        Ok(self.definition_json.clone())
    }
    fn state_machine_arn(&self) -> Option<String> {
        Some(Self::state_machine_arn())
    }
    async fn list_page(&self, query: &ExecutionQuery) -> Result<ExecutionPage, StoreError> {
        self.store.list_page(query).await
    }
}

/// The actions (StartExecution, StopExecution, RedriveExecution, TestState) need the
/// workflow behind an `Arc` to spawn runs: [`LocalStarter`] carries it.
#[async_trait]
impl ExecutionLog for LocalStarter {
    async fn send_task_success(&self, token: &str, output: &Value) -> Result<(), ExecutionError> {
        self.0.send_task_success(token, output).await
    }
    async fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), ExecutionError> {
        self.0.send_task_failure(token, error, cause).await
    }
    async fn send_task_heartbeat(&self, token: &str) -> Result<(), ExecutionError> {
        self.0.send_task_heartbeat(token).await
    }
    async fn list_executions(
        &self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, StoreError> {
        self.0.list_executions(status, limit).await
    }
    async fn describe_execution(&self, name: &str) -> Result<Option<ExecutionSummary>, StoreError> {
        self.0.describe_execution(name).await
    }
    async fn execution_history(&self, name: &str) -> Result<Vec<Value>, StoreError> {
        self.0.execution_history(name).await
    }
    async fn definition(&self) -> Result<Value, StoreError> {
        self.0.definition().await
    }
    fn state_machine_arn(&self) -> Option<String> {
        Some(LocalWorkflow::state_machine_arn())
    }
    async fn definition_of(&self, summary: &ExecutionSummary) -> Result<Value, StoreError> {
        if LocalWorkflow::is_backfill(&summary.execution_arn) {
            let text = std::fs::read_to_string("statemachine/backfill.asl.json").ok();
            return crate::backfill::definition_json(text.as_deref())
                .map_err(|e| StoreError::Invalid(e.to_string()));
        }
        self.0.definition().await
    }
    async fn start_backfill(
        &self,
        sizes: Option<&[u32]>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        self.0.start_backfill(sizes)
    }
    async fn list_page(&self, query: &ExecutionQuery) -> Result<ExecutionPage, StoreError> {
        self.0.store.list_page(query).await
    }

    async fn start_execution(
        &self,
        name: Option<&str>,
        input: &Value,
    ) -> Result<ExecutionSummary, ExecutionError> {
        let wf = &self.0;
        let name = match name {
            Some(n) => {
                check_execution_name(n)?;
                n.to_owned()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        if let Some(existing) = wf.store.execution_sync(&name)? {
            let live = wf.live_lock().contains_key(&name);
            if live && existing.input.as_ref() == Some(input) {
                return Ok(existing);
            }
            return Err(ExecutionError::AlreadyExists(existing.execution_arn));
        }
        let arn = LocalWorkflow::execution_arn(&name);
        wf.store.begin_execution(&name, &arn, input, &now())?;
        wf.spawn(name.clone(), input.clone(), None);
        wf.summary(&name)
    }

    async fn stop_execution(
        &self,
        name: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<ExecutionSummary, ExecutionError> {
        let wf = &self.0;
        let summary = wf.summary(name)?;
        let stop = wf
            .live_lock()
            .get_mut(&summary.name)
            .and_then(|l| l.stop.take());
        match stop {
            Some(tx) => {
                let _ = tx.send(states::StopRequest {
                    error: error.map(str::to_owned),
                    cause: cause.map(str::to_owned),
                });
                wf.wait(&summary.name).await;
            }
            None if summary.status == "RUNNING" => {
                // RUNNING in the log but not in this process (a stop interrupted it, or
                // another StopExecution is ending it): record the end here
                wf.wait(&summary.name).await;
                if wf.summary(name)?.status == "RUNNING" {
                    wf.store.finish_execution(
                        &summary.name,
                        "ABORTED",
                        None,
                        error,
                        cause,
                        &now(),
                    )?;
                }
            }
            // AWS answers a stop of a closed execution with its stop date
            None => {}
        }
        wf.summary(name)
    }

    async fn redrive_execution(&self, name: &str) -> Result<ExecutionSummary, ExecutionError> {
        let wf = &self.0;
        let summary = wf.summary(name)?;
        if LocalWorkflow::is_backfill(&summary.execution_arn) {
            return Err(ExecutionError::NotRedrivable(format!(
                "Execution {} is a backfill run: start a new backfill instead",
                summary.execution_arn
            )));
        }
        if !summary.redrivable() || wf.live_lock().contains_key(&summary.name) {
            return Err(ExecutionError::NotRedrivable(format!(
                "Execution {} is {} and cannot be redriven: only FAILED, TIMED_OUT and ABORTED executions can",
                summary.execution_arn, summary.status
            )));
        }
        let history = wf.store.history_events(&summary.name)?;
        let Some((state, state_input)) = states::redrive_point(&wf.definition, &history) else {
            return Err(ExecutionError::NotRedrivable(format!(
                "Execution {} has no unsuccessful state to redrive from",
                summary.execution_arn
            )));
        };
        let redrive = states::Redrive {
            last_event_id: history.last().map_or(0, |e| e.id),
            redrive_count: summary.redrive_count + 1,
            state,
            state_input,
        };
        wf.store.redrive_begin(&summary.name, &now())?;
        tracing::info!(execution = %summary.name, from = %redrive.state, count = redrive.redrive_count, "redriving");
        wf.spawn(
            summary.name.clone(),
            summary.input.clone().unwrap_or(Value::Null),
            Some(redrive),
        );
        wf.summary(&summary.name)
    }

    async fn test_state(&self, state: &Value, input: &Value) -> Result<StateTest, ExecutionError> {
        crate::test_state::run(&self.0.invoker, state, input).await
    }
}

/// The engine's refusal of a callback, as the Step Functions API names it.
fn callback_error(e: states::CallbackError) -> ExecutionError {
    match e {
        states::CallbackError::InvalidToken(t) => ExecutionError::InvalidToken(t),
        states::CallbackError::TaskDoesNotExist => ExecutionError::TaskDoesNotExist,
        states::CallbackError::TaskTimedOut(t) => ExecutionError::TaskTimedOut(t),
        states::CallbackError::InvalidOutput(m) => ExecutionError::InvalidOutput(m),
    }
}

/// The state machine nested executions can start here: this workflow's own.
struct OwnMachine(states::Definition);

impl states::nested::StateMachines for OwnMachine {
    fn definition(&self, state_machine_arn: &str) -> Option<states::Definition> {
        (state_machine_arn == LocalWorkflow::state_machine_arn()).then(|| self.0.clone())
    }
}
