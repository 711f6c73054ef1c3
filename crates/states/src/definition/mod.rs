//! The parsed form of a state machine: states resolved to indexes, paths, intrinsics and
//! JSONata expressions compiled once, so the executor never re-parses text.

pub mod distributed;
pub mod parse;
pub mod resource;
pub mod validate;

use crate::choice::Rule;
use crate::intrinsics::Call;
use crate::path::Path;
use crate::template::Template;
use serde_json::Value;
use std::sync::Arc;

/// A set of states with a start (the top level, a Parallel branch or a Map processor).
#[derive(Debug, Clone)]
pub struct Machine {
    pub start: usize,
    pub states: Vec<State>,
    pub timeout_seconds: Option<f64>,
    /// names of the states in this machine (for `task_resources` and diagnostics)
    pub names: Vec<Arc<str>>,
}

/// `InputPath` / `OutputPath` / `ResultPath` / `ItemsPath` settings.
#[derive(Debug, Clone, Default)]
pub enum PathSpec {
    /// field absent: `$`
    #[default]
    Default,
    /// explicit `null`
    Null,
    Path(Path),
}

/// A value that is a literal, a path, or an expression (JSONata) template.
#[derive(Debug, Clone)]
pub enum ValueSpec {
    Lit(Value),
    Path(Path),
    Call(Call),
    Expr(Template),
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter_full: bool,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: usize,
    pub result_path: PathSpec,
    pub assign: Option<Template>,
    pub output: Option<Template>,
}

#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    pub rule: Rule,
    pub next: usize,
    pub assign: Option<Template>,
    pub output: Option<Template>,
}

#[derive(Debug, Clone)]
pub enum WaitSpec {
    Seconds(ValueSpec),
    Timestamp(ValueSpec),
}

#[derive(Debug, Clone)]
pub struct MapSpec {
    pub processor: Machine,
    pub items_path: PathSpec,
    /// JSONata `Items`
    pub items: Option<Template>,
    pub item_selector: Option<Template>,
    pub max_concurrency: Option<ValueSpec>,
    pub tolerated_count: Option<ValueSpec>,
    pub tolerated_percentage: Option<ValueSpec>,
    pub batch_max_items: Option<ValueSpec>,
    pub batch_input: Option<Template>,
    /// `ProcessorConfig.Mode: DISTRIBUTED` and what only a distributed Map has
    pub dist: Option<distributed::DistSpec>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Pass {
        result: Option<Value>,
    },
    Task {
        resource: String,
        timeout: Option<ValueSpec>,
        heartbeat: Option<ValueSpec>,
        /// `.waitForTaskToken`: the result comes from `SendTaskSuccess`/`SendTaskFailure`
        callback: bool,
    },
    Choice {
        choices: Vec<ChoiceBranch>,
        default: Option<usize>,
    },
    Wait(WaitSpec),
    Succeed,
    Fail {
        error: Option<ValueSpec>,
        cause: Option<ValueSpec>,
    },
    Parallel {
        branches: Vec<Machine>,
    },
    Map(Box<MapSpec>),
}

/// One state with every field compiled.
#[derive(Debug, Clone)]
pub struct State {
    pub name: Arc<str>,
    pub type_name: &'static str,
    pub jsonata: bool,
    /// `None` = End
    pub next: Option<usize>,
    pub input_path: PathSpec,
    pub output_path: PathSpec,
    pub result_path: PathSpec,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata)
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub assign: Option<Template>,
    /// JSONata `Output`
    pub output: Option<Template>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub kind: Kind,
}

impl State {
    /// Whether this state type produces a result that Retry/Catch/ResultSelector apply to.
    pub fn has_result(&self) -> bool {
        matches!(
            self.kind,
            Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_)
        )
    }
}

impl Machine {
    pub fn visit_resources(&self, out: &mut Vec<String>) {
        for s in &self.states {
            match &s.kind {
                Kind::Task { resource, .. } if !out.contains(resource) => {
                    out.push(resource.clone())
                }
                Kind::Parallel { branches } => branches.iter().for_each(|b| b.visit_resources(out)),
                Kind::Map(m) => m.processor.visit_resources(out),
                _ => {}
            }
        }
    }
}
