//! The in-process workflow: starts executions of the state machine (named by the media id)
//! on the `states` interpreter, persists them and their history, and reads them back for
//! the console. At most one live execution per name; a second start of a running or
//! finished name starts nothing, like Step Functions' StartExecution.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pipeline::{
    ExecutionInput, ExecutionLog, ExecutionSummary, Pipeline, Started, StoreError, Task,
    WorkflowStarter,
};
use serde_json::Value;
use tokio::sync::watch;

use crate::db::{now, SqliteStore};
use crate::definition::{load_definition, substitute_placeholders, DefinitionSource};
use crate::invoker::{local_function_arn, LambdaInvoker};

pub const STATE_MACHINE_NAME: &str = "media-pipeline";
const ARN_PREFIX: &str = "arn:aws:states:local:000000000000";

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

pub struct LocalWorkflow {
    definition: Arc<states::Definition>,
    definition_json: Value,
    source: DefinitionSource,
    store: SqliteStore,
    invoker: Arc<LambdaInvoker>,
    /// names of the executions running in this process, with a signal that flips when done
    live: Mutex<HashMap<String, watch::Receiver<bool>>>,
}

impl LocalWorkflow {
    /// Load, fill and validate the definition; nothing runs until [`WorkflowStarter::start`].
    pub fn new(
        definition_path: Option<&Path>,
        store: SqliteStore,
        pipeline: Pipeline,
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
        Ok(Arc::new(LocalWorkflow {
            definition: Arc::new(definition),
            definition_json,
            source,
            store,
            invoker: Arc::new(LambdaInvoker::new(pipeline)),
            live: Mutex::new(HashMap::new()),
        }))
    }

    pub fn source(&self) -> &DefinitionSource {
        &self.source
    }

    pub fn state_machine_arn() -> String {
        format!("{ARN_PREFIX}:stateMachine:{STATE_MACHINE_NAME}")
    }

    pub fn execution_arn(name: &str) -> String {
        format!("{ARN_PREFIX}:execution:{STATE_MACHINE_NAME}:{name}")
    }

    fn live_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Receiver<bool>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait until the named execution, if live in this process, has ended.
    pub async fn wait(&self, name: &str) {
        let rx = self.live_lock().get(name).cloned();
        if let Some(mut rx) = rx {
            let _ = rx.wait_for(|done| *done).await;
        }
    }

    /// How many executions are running in this process.
    pub fn running(&self) -> usize {
        self.live_lock().len()
    }

    fn spawn(self: &Arc<Self>, name: String, input: Value) {
        let (tx, rx) = watch::channel(false);
        self.live_lock().insert(name.clone(), rx);
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let options = states::ExecutionOptions {
                name: name.clone(),
                execution_arn: Self::execution_arn(&name),
                state_machine_arn: Self::state_machine_arn(),
                state_machine_name: STATE_MACHINE_NAME.into(),
                role_arn: format!("{ARN_PREFIX}:role/media-pipeline"),
            };
            let sink = StoreSink {
                store: me.store.clone(),
                execution: name.clone(),
            };
            let outcome =
                states::execute(&me.definition, input, &options, me.invoker.as_ref(), &sink).await;
            let status = serde_json::to_value(outcome.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "FAILED".into());
            if let Err(e) = me.store.finish_execution(
                &name,
                &status,
                outcome.output.as_ref(),
                outcome.error.as_deref(),
                outcome.cause.as_deref(),
                &now(),
            ) {
                tracing::error!(execution = %name, error = %e, "could not record the end of an execution");
            }
            tracing::info!(execution = %name, %status, error = outcome.error.as_deref().unwrap_or(""), "execution ended");
            me.live_lock().remove(&name);
            let _ = tx.send(true);
        });
    }
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
        let json = pipeline::ports::execution_input_json(input);
        wf.store.begin_execution(&name, &arn, &json, &now())?;
        wf.spawn(name, json);
        Ok(Started {
            execution_arn: arn,
            already_started: false,
        })
    }
}

#[async_trait]
impl ExecutionLog for LocalWorkflow {
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
}
