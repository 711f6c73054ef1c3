//! The engine: walks states, applies the input/output processing of each query language,
//! records history, and delegates Retry/Catch, Map/Parallel and Choice to their modules.

use crate::choice::{self, Operand, Rule};
use crate::clock::{rfc3339, Clock};
use crate::definition::{Kind, Machine, PathSpec, State, ValueSpec, WaitSpec};
use crate::error::Failure;
use crate::history::Recorder;
use crate::intrinsics::Call;
use crate::path::{Path, Root};
use crate::template::{JExpr, Resolver, Template};
use crate::{TaskInvoker, TaskRequest};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Largest state result AWS accepts (256 KiB).
pub const MAX_PAYLOAD: usize = 262_144;

/// Fixed facts about the execution (for `$$`).
pub struct ExecInfo {
    pub id: String,
    pub name: String,
    pub role_arn: String,
    pub sm_id: String,
    pub sm_name: String,
    pub input: Value,
    pub start_time: String,
    /// `$$.Execution.RedriveCount`: how many times this execution was redriven
    pub redrive_count: u32,
}

/// Variables visible to a state: its own scope over a frozen copy of the outer scopes.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    parent: Option<Arc<HashMap<String, Value>>>,
    local: HashMap<String, Value>,
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.local
            .get(name)
            .or_else(|| self.parent.as_ref().and_then(|p| p.get(name)))
    }

    /// A frozen view of everything visible, for a Parallel branch or Map iteration.
    pub fn snapshot(&self) -> Arc<HashMap<String, Value>> {
        match (&self.parent, self.local.is_empty()) {
            (Some(p), true) => p.clone(),
            _ => {
                let mut all = self
                    .parent
                    .as_ref()
                    .map(|p| (**p).clone())
                    .unwrap_or_default();
                all.extend(self.local.iter().map(|(k, v)| (k.clone(), v.clone())));
                Arc::new(all)
            }
        }
    }

    pub fn child(parent: Arc<HashMap<String, Value>>) -> Vars {
        Vars {
            parent: Some(parent),
            local: HashMap::new(),
        }
    }

    pub fn set_all(&mut self, m: Map<String, Value>) {
        self.local.extend(m);
    }

    fn is_empty(&self) -> bool {
        self.local.is_empty() && self.parent.as_ref().is_none_or(|p| p.is_empty())
    }
}

pub struct Exec<'a> {
    pub tasks: &'a dyn TaskInvoker,
    pub rec: Recorder<'a>,
    pub clock: &'a dyn Clock,
    pub services: &'a crate::Services,
    pub info: ExecInfo,
}

/// What `$` / `$states` / `$$` mean while one state evaluates a field.
pub struct Scope<'s> {
    pub ex: &'s Exec<'s>,
    pub st: &'s State,
    pub entered: u64,
    /// `$` (JSONPath) or `$states.input` (JSONata)
    pub input: &'s Value,
    pub vars: &'s Vars,
    pub map_item: Option<(usize, &'s Value)>,
    pub retry_count: Option<u32>,
    pub result: Option<&'s Value>,
    pub error_output: Option<&'s Value>,
    /// `$$.Task.Token` of a `.waitForTaskToken` task
    pub task_token: Option<&'s str>,
}

impl Scope<'_> {
    pub fn fail(&self, error: &str, msg: impl AsRef<str>) -> Failure {
        Failure::new(
            error,
            format!(
                "An error occurred while executing the state '{}' (entered at the event id #{}). {}",
                self.st.name,
                self.entered,
                msg.as_ref()
            ),
        )
    }

    pub fn runtime(&self, msg: impl AsRef<str>) -> Failure {
        self.fail("States.Runtime", msg)
    }

    /// The whole context object (`$$`).
    pub fn context(&self) -> Value {
        self.context_part(None)
    }

    /// The context object with only the top-level key `only` (all keys when None): a
    /// `$$.Map.Item.Value` read does not copy the execution input.
    fn context_part(&self, only: Option<&str>) -> Value {
        let info = &self.ex.info;
        let want = |k: &str| only.is_none_or(|o| o == k);
        let mut m = Map::new();
        if want("Execution") {
            m.insert(
                "Execution".into(),
                json!({
                    "Id": info.id,
                    "Input": info.input,
                    "Name": info.name,
                    "RoleArn": info.role_arn,
                    "StartTime": info.start_time,
                    "RedriveCount": info.redrive_count,
                }),
            );
        }
        if want("StateMachine") {
            m.insert(
                "StateMachine".into(),
                json!({"Id": info.sm_id, "Name": info.sm_name}),
            );
        }
        if want("State") {
            let mut state = Map::new();
            state.insert(
                "EnteredTime".into(),
                Value::String(rfc3339(self.ex.clock.now())),
            );
            state.insert("Name".into(), Value::String(self.st.name.to_string()));
            if let Some(rc) = self.retry_count {
                state.insert("RetryCount".into(), Value::from(rc));
            }
            m.insert("State".into(), Value::Object(state));
        }
        if want("Task") {
            if let Some(t) = self.task_token {
                m.insert("Task".into(), json!({ "Token": t }));
            }
        }
        if want("Map") {
            if let Some((i, v)) = self.map_item {
                m.insert("Map".into(), json!({"Item": {"Index": i, "Value": v}}));
            }
        }
        Value::Object(m)
    }

    /// Read a path against `$`, `$$` or a variable; `Err(())` when not found.
    pub fn read(&self, p: &Path) -> Result<Value, ReadError> {
        match &p.root {
            Root::Input => p.eval(self.input).map_err(|_| ReadError::NotFound),
            Root::Context => p
                .eval(&self.context_part(p.first_name()))
                .map_err(|_| ReadError::NotFound),
            Root::Variable(name) => {
                let v = self
                    .vars
                    .get(name)
                    .ok_or_else(|| ReadError::NoVariable(name.clone()))?;
                p.eval(v).map_err(|_| ReadError::NotFound)
            }
        }
    }

    fn states_value(&self, u: &crate::template::StatesUse) -> Value {
        let mut m = Map::new();
        if u.all || u.input {
            m.insert("input".into(), self.input.clone());
        }
        if u.all || u.context_all {
            m.insert("context".into(), self.context());
        } else if !u.context_keys.is_empty() {
            let mut c = Map::new();
            for k in &u.context_keys {
                if let Value::Object(part) = self.context_part(Some(k)) {
                    c.extend(part);
                }
            }
            m.insert("context".into(), Value::Object(c));
        }
        if let Some(r) = self.result.filter(|_| u.all || u.result) {
            m.insert("result".into(), r.clone());
        }
        if let Some(e) = self.error_output.filter(|_| u.all || u.error_output) {
            m.insert("errorOutput".into(), e.clone());
        }
        Value::Object(m)
    }

    /// Evaluate a JSONata expression; undefined is an error here.
    pub fn jsonata_opt(&self, e: &JExpr, field: &str) -> Result<Option<Value>, Failure> {
        let env = JEnv {
            scope: self,
            uses: &e.uses,
            states: std::cell::OnceCell::new(),
        };
        e.expr.evaluate(None, &env).map_err(|err| {
            self.fail(
                "States.QueryEvaluationError",
                format!(
                    "The JSONata expression '{}' specified for the field '{}' threw an error during evaluation. {}",
                    e.text, field, err
                ),
            )
        })
    }
}

pub enum ReadError {
    NotFound,
    NoVariable(String),
}

struct JEnv<'a, 's> {
    scope: &'a Scope<'s>,
    uses: &'a crate::template::StatesUse,
    states: std::cell::OnceCell<Value>,
}

impl jsonata::Env for JEnv<'_, '_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if name == "states" {
            return Some(
                self.states
                    .get_or_init(|| self.scope.states_value(self.uses))
                    .clone(),
            );
        }
        self.scope.vars.get(name).cloned()
    }
}

impl Resolver for Scope<'_> {
    fn path(&self, p: &Path, field: &str) -> Result<Value, Failure> {
        self.read(p).map_err(|e| match e {
            ReadError::NoVariable(n) => self.runtime(format!(
                "The JSONPath '{}' specified for the field '{}' references an undefined variable '{}'",
                p.text, field, n
            )),
            ReadError::NotFound => self.runtime(format!(
                "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
                p.text,
                field,
                if p.root == Root::Context { self.context().to_string() } else { self.input.to_string() }
            )),
        })
    }

    fn call(&self, c: &Call, _field: &str) -> Result<Value, Failure> {
        const MISSING: &str = "\u{0}missing:";
        let resolve = |p: &Path| {
            self.read(p).map_err(|e| match e {
                ReadError::NoVariable(n) => Failure::runtime(format!(
                    "{MISSING}The JsonPath argument for the field '{}' references an undefined variable '{n}'",
                    p.text
                )),
                ReadError::NotFound => Failure::runtime(format!(
                    "{MISSING}The JsonPath argument for the field '{}' could not be found in the input '{}'",
                    p.text,
                    if p.root == Root::Context { self.context().to_string() } else { self.input.to_string() }
                )),
            })
        };
        c.eval(&resolve).map_err(|f| {
            let msg = f.cause.unwrap_or_default();
            let msg = msg.strip_prefix(MISSING).unwrap_or(&msg);
            self.runtime(format!(
                "The function '{}' had the following error: {msg}",
                c.text
            ))
        })
    }

    fn jsonata(&self, e: &JExpr, field: &str) -> Result<Value, Failure> {
        self.jsonata_opt(e, field)?.ok_or_else(|| {
            self.fail(
                "States.QueryEvaluationError",
                format!(
                    "The JSONata expression '{}' specified for the field '{}' returned nothing (undefined).",
                    e.text, field
                ),
            )
        })
    }
}

pub fn entered_type(st: &State) -> &'static str {
    match st.type_name {
        "Pass" => "PassStateEntered",
        "Task" => "TaskStateEntered",
        "Choice" => "ChoiceStateEntered",
        "Wait" => "WaitStateEntered",
        "Succeed" => "SucceedStateEntered",
        "Fail" => "FailStateEntered",
        "Parallel" => "ParallelStateEntered",
        _ => "MapStateEntered",
    }
}

pub fn exited_type(st: &State) -> &'static str {
    match st.type_name {
        "Pass" => "PassStateExited",
        "Task" => "TaskStateExited",
        "Choice" => "ChoiceStateExited",
        "Wait" => "WaitStateExited",
        "Succeed" => "SucceedStateExited",
        "Fail" => "FailStateExited",
        "Parallel" => "ParallelStateExited",
        _ => "MapStateExited",
    }
}

/// Serialized size of a value, stopping early past `limit`.
pub fn size_exceeds(v: &Value, limit: usize) -> bool {
    fn walk(v: &Value, acc: &mut usize, limit: usize) -> bool {
        match v {
            Value::Null => *acc += 4,
            Value::Bool(_) => *acc += 5,
            Value::Number(_) => *acc += 8,
            Value::String(s) => *acc += s.len() + 2,
            Value::Array(a) => {
                *acc += 2 + a.len();
                for x in a {
                    if walk(x, acc, limit) {
                        return true;
                    }
                }
            }
            Value::Object(m) => {
                *acc += 2 + m.len() * 2;
                for (k, x) in m {
                    *acc += k.len() + 2;
                    if walk(x, acc, limit) {
                        return true;
                    }
                }
            }
        }
        *acc > limit
    }
    let mut acc = 0;
    walk(v, &mut acc, limit) && v.to_string().len() > limit
}

/// What a state's body produced before the common output processing.
pub enum Step {
    Next(Value, Option<usize>),
}

impl<'a> Exec<'a> {
    /// Run a machine from its start to an end state.
    pub fn run_machine<'f>(
        &'f self,
        m: &'f Machine,
        input: Value,
        vars: &'f mut Vars,
        prev: &'f mut u64,
    ) -> futures::future::BoxFuture<'f, Result<Value, Failure>> {
        self.run_machine_at(m, m.start, input, vars, prev)
    }

    /// Run a machine from the state at index `start` (a redrive starts at the failed one).
    pub fn run_machine_at<'f>(
        &'f self,
        m: &'f Machine,
        start: usize,
        input: Value,
        vars: &'f mut Vars,
        prev: &'f mut u64,
    ) -> futures::future::BoxFuture<'f, Result<Value, Failure>> {
        Box::pin(async move {
            let mut idx = start;
            let mut input = input;
            let mut steps: u32 = 0;
            loop {
                // long loops of instant states still let other tasks (and timeouts) run
                steps = steps.wrapping_add(1);
                if steps.is_multiple_of(1024) {
                    tokio::task::yield_now().await;
                }
                let st = &m.states[idx];
                let Step::Next(out, next) = if Self::is_instant(st) {
                    self.run_state_instant(st, input, vars, prev)?
                } else {
                    self.run_state(st, input, vars, prev).await?
                };
                match next {
                    Some(n) => {
                        idx = n;
                        input = out;
                    }
                    None => return Ok(out),
                }
            }
        })
    }

    async fn run_state(
        &self,
        st: &State,
        input: Value,
        vars: &mut Vars,
        prev: &mut u64,
    ) -> Result<Step, Failure> {
        let entered = self.rec.emit(prev, entered_type(st), || {
            json!({"name": &*st.name, "input": input.to_string(), "inputDetails": {"truncated": false}})
        });
        tracing::trace!(state = %st.name, "entered");
        let step = if st.jsonata {
            crate::jsonata_state::run(self, st, input, vars, prev, entered).await?
        } else {
            self.run_jsonpath(st, input, vars, prev, entered).await?
        };
        let Step::Next(out, next) = step;
        if !matches!(st.kind, Kind::Fail { .. }) {
            self.rec.emit(prev, exited_type(st), || {
                json!({"name": &*st.name, "output": out.to_string(), "outputDetails": {"truncated": false}})
            });
        }
        Ok(Step::Next(out, next))
    }

    pub fn scope<'s>(
        &'s self,
        st: &'s State,
        entered: u64,
        input: &'s Value,
        vars: &'s Vars,
    ) -> Scope<'s> {
        Scope {
            ex: self,
            st,
            entered,
            input,
            vars,
            map_item: None,
            retry_count: None,
            result: None,
            error_output: None,
            task_token: None,
        }
    }

    fn io_path(&self, sc: &Scope<'_>, p: &Path) -> Result<Value, Failure> {
        sc.read(p).map_err(|e| match e {
            ReadError::NoVariable(n) => sc.runtime(format!(
                "Invalid path '{}' : The variable '{}' is not defined",
                p.text, n
            )),
            ReadError::NotFound => sc.runtime(format!(
                "Invalid path '{}' : No results for path: {}",
                p.text,
                p.normalized()
            )),
        })
    }

    /// Pass, Choice, Succeed and Fail in JSONPath never wait: they run without an async
    /// frame (the hot path of long loops).
    fn is_instant(st: &State) -> bool {
        !st.jsonata
            && matches!(
                st.kind,
                Kind::Pass { .. } | Kind::Choice { .. } | Kind::Succeed | Kind::Fail { .. }
            )
    }

    fn run_state_instant(
        &self,
        st: &State,
        input: Value,
        vars: &mut Vars,
        prev: &mut u64,
    ) -> Result<Step, Failure> {
        let entered = self.rec.emit(prev, entered_type(st), || {
            json!({"name": &*st.name, "input": input.to_string(), "inputDetails": {"truncated": false}})
        });
        let Step::Next(out, next) = self.jsonpath_instant(st, input, vars, entered)?;
        self.rec.emit(prev, exited_type(st), || {
            json!({"name": &*st.name, "output": out.to_string(), "outputDetails": {"truncated": false}})
        });
        Ok(Step::Next(out, next))
    }

    /// InputPath: `None` when the effective input is the raw input itself.
    fn input_path(
        &self,
        st: &State,
        raw: &Value,
        vars: &Vars,
        entered: u64,
    ) -> Result<Option<Value>, Failure> {
        Ok(match &st.input_path {
            PathSpec::Default => None,
            PathSpec::Null => Some(Value::Object(Map::new())),
            PathSpec::Path(p) => Some(self.io_path(&self.scope(st, entered, raw, vars), p)?),
        })
    }

    fn jsonpath_instant(
        &self,
        st: &State,
        raw: Value,
        vars: &mut Vars,
        entered: u64,
    ) -> Result<Step, Failure> {
        // Fail reads its paths from the raw input
        if let Kind::Fail { error, cause } = &st.kind {
            let sc = self.scope(st, entered, &raw, vars);
            let err = self.fail_field(&sc, error.as_ref(), "ErrorPath")?;
            let cause = self.fail_field(&sc, cause.as_ref(), "CausePath")?;
            return Err(Failure {
                error: err.unwrap_or_default(),
                cause,
            });
        }
        let eff_owned = self.input_path(st, &raw, vars, entered)?;
        let eff = eff_owned.as_ref().unwrap_or(&raw);
        match &st.kind {
            Kind::Pass { result } => {
                let result = match (result, &st.parameters) {
                    (Some(r), _) => Some(r.clone()),
                    (None, Some(t)) => Some(t.eval(&self.scope(st, entered, eff, vars))?),
                    (None, None) => None,
                };
                self.jsonpath_finish(st, raw, eff_owned, result, true, st.next, vars, entered)
            }
            Kind::Choice { choices, default } => {
                let sc = self.scope(st, entered, eff, vars);
                let mut chosen = None;
                for c in choices {
                    if self.eval_rule(&sc, &c.rule)? {
                        chosen = Some(c);
                        break;
                    }
                }
                let (target, assign) = match chosen {
                    Some(c) => (Some(c.next), c.assign.as_ref()),
                    None => match default {
                        Some(d) => (Some(*d), st.assign.as_ref()),
                        None => return Err(Failure::new("States.NoChoiceMatched", "No Matches!")),
                    },
                };
                let new_vars = match assign {
                    Some(t) => Some(t.eval(&sc)?),
                    None => None,
                };
                let out = self.output_path(st, entered, eff_owned.unwrap_or(raw), vars)?;
                if let Some(Value::Object(m)) = new_vars {
                    vars.set_all(m);
                }
                Ok(Step::Next(out, target))
            }
            _ => self.jsonpath_finish(st, raw, eff_owned, None, false, st.next, vars, entered),
        }
    }

    async fn run_jsonpath(
        &self,
        st: &State,
        raw: Value,
        vars: &mut Vars,
        prev: &mut u64,
        entered: u64,
    ) -> Result<Step, Failure> {
        if Self::is_instant(st) {
            return self.jsonpath_instant(st, raw, vars, entered);
        }
        let eff_owned = self.input_path(st, &raw, vars, entered)?;
        let eff = eff_owned.as_ref().unwrap_or(&raw);
        match &st.kind {
            Kind::Wait(spec) => {
                let sc = self.scope(st, entered, eff, vars);
                self.wait(&sc, spec).await?;
                self.jsonpath_finish(st, raw, eff_owned, None, false, st.next, vars, entered)
            }
            _ => match crate::retry::run_with_retry(self, st, eff, vars, prev, entered).await {
                Ok(r) => {
                    let r = match &st.result_selector {
                        Some(t) => t.eval(&self.scope(st, entered, &r, vars))?,
                        None => r,
                    };
                    self.jsonpath_finish(st, raw, eff_owned, Some(r), true, st.next, vars, entered)
                }
                Err(f) => crate::retry::catch(self, st, f, raw, vars, prev, entered),
            },
        }
    }

    /// Assign, ResultPath, OutputPath and the payload limit; `result` None = the
    /// effective input itself.
    #[allow(clippy::too_many_arguments)]
    fn jsonpath_finish(
        &self,
        st: &State,
        raw: Value,
        eff_owned: Option<Value>,
        result: Option<Value>,
        assign_input_is_result: bool,
        next: Option<usize>,
        vars: &mut Vars,
        entered: u64,
    ) -> Result<Step, Failure> {
        let eff = eff_owned.as_ref().unwrap_or(&raw);
        // Assign sees the result (or the effective input) and the variables before this state
        let new_vars = match &st.assign {
            Some(t) => {
                let dollar = if assign_input_is_result {
                    result.as_ref().unwrap_or(eff)
                } else {
                    eff
                };
                Some(t.eval(&self.scope(st, entered, dollar, vars))?)
            }
            None => None,
        };
        let out = match &st.result_path {
            PathSpec::Default => result.unwrap_or_else(|| eff_owned.unwrap_or(raw)),
            PathSpec::Null => raw,
            PathSpec::Path(p) => {
                let r = match result {
                    Some(r) => r,
                    None => eff_owned.unwrap_or_else(|| raw.clone()),
                };
                let mut raw = raw;
                if p.is_root_only() {
                    r
                } else {
                    p.set(&mut raw, r)
                        .map_err(|m| self.scope(st, entered, &Value::Null, vars).runtime(m))?;
                    raw
                }
            }
        };
        let out = self.output_path(st, entered, out, vars)?;
        if matches!(
            st.kind,
            Kind::Pass { .. } | Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_)
        ) && size_exceeds(&out, MAX_PAYLOAD)
        {
            return Err(Failure::new(
                "States.DataLimitExceeded",
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    st.name
                ),
            ));
        }
        if let Some(Value::Object(m)) = new_vars {
            vars.set_all(m);
        }
        Ok(Step::Next(out, next))
    }

    pub fn output_path(
        &self,
        st: &State,
        entered: u64,
        out: Value,
        vars: &Vars,
    ) -> Result<Value, Failure> {
        match &st.output_path {
            PathSpec::Default => Ok(out),
            PathSpec::Null => Ok(Value::Object(Map::new())),
            PathSpec::Path(p) => {
                if p.is_root_only() && p.root == Root::Input {
                    return Ok(out);
                }
                self.io_path(&self.scope(st, entered, &out, vars), p)
            }
        }
    }

    fn fail_field(
        &self,
        sc: &Scope<'_>,
        spec: Option<&ValueSpec>,
        field: &str,
    ) -> Result<Option<String>, Failure> {
        let v = match spec {
            None => return Ok(None),
            Some(ValueSpec::Lit(v)) => v.clone(),
            Some(ValueSpec::Path(p)) => sc.read(p).map_err(|_| {
                sc.runtime(format!(
                    "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
                    p.text, field, sc.input
                ))
            })?,
            Some(ValueSpec::Call(c)) => sc.call(c, field)?,
            Some(ValueSpec::Expr(t)) => t.eval(sc)?,
        };
        Ok(Some(match v {
            Value::String(s) => s,
            other => other.to_string(),
        }))
    }

    pub fn eval_rule(&self, sc: &Scope<'_>, rule: &Rule) -> Result<bool, Failure> {
        Ok(match rule {
            Rule::And(rs) => {
                for r in rs {
                    if !self.eval_rule(sc, r)? {
                        return Ok(false);
                    }
                }
                true
            }
            Rule::Or(rs) => {
                for r in rs {
                    if self.eval_rule(sc, r)? {
                        return Ok(true);
                    }
                }
                false
            }
            Rule::Not(r) => !self.eval_rule(sc, r)?,
            Rule::Is { var, test, expect } => {
                let v = sc.read(var).ok();
                choice::type_test(test, v.as_ref()) == *expect
            }
            Rule::Matches { var, pattern } => {
                let v = self.rule_var(sc, var)?;
                v.as_str()
                    .is_some_and(|s| choice::string_matches(s, pattern))
            }
            Rule::Compare {
                var,
                kind,
                cmp,
                operand,
            } => {
                let v = self.rule_var(sc, var)?;
                match operand {
                    Operand::Lit(o) => choice::compare(*kind, *cmp, &v, o),
                    Operand::Path(p) => {
                        let o = self.rule_var(sc, p)?;
                        choice::compare(*kind, *cmp, &v, &o)
                    }
                }
            }
            Rule::Condition(t) => match t.eval(sc)? {
                Value::Bool(b) => b,
                other => {
                    let text = match t {
                        Template::Expr(e, _) => e.text.clone(),
                        _ => String::new(),
                    };
                    return Err(sc.fail(
                        "States.QueryEvaluationError",
                        crate::template::unexpected_type_cause(
                            &text,
                            "Condition",
                            "boolean",
                            &other,
                        ),
                    ));
                }
            },
        })
    }

    fn rule_var(&self, sc: &Scope<'_>, p: &Path) -> Result<Value, Failure> {
        sc.read(p).map_err(|_| {
            sc.runtime(format!(
                "Invalid path '{}': The choice state's condition path references an invalid value.",
                p.text
            ))
        })
    }

    /// Wait for `Seconds`/`Timestamp` (and their Path / JSONata forms).
    pub async fn wait(&self, sc: &Scope<'_>, spec: &WaitSpec) -> Result<(), Failure> {
        let jsonata = sc.st.jsonata;
        let qe = |m: String| {
            if jsonata {
                sc.fail("States.QueryEvaluationError", m)
            } else {
                sc.runtime(m)
            }
        };
        let dur = match spec {
            WaitSpec::Seconds(ValueSpec::Path(p)) => {
                // SecondsPath: the referenced value must be a non-negative long
                let v = sc.read(p).map_err(|_| {
                    sc.runtime(format!(
                        "The SecondsPath parameter does not reference an input value: {}",
                        p.text
                    ))
                })?;
                match v.as_i64() {
                    Some(n) if n >= 0 => n as f64,
                    Some(_) => {
                        return Err(sc.runtime(format!(
                            "The SecondsPath parameter references a negative value: {} == {}",
                            p.text,
                            raw_text(&v)
                        )))
                    }
                    None => {
                        return Err(sc.runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.text,
                            raw_text(&v)
                        )))
                    }
                }
            }
            WaitSpec::Seconds(vs) => {
                let (v, path) = self.spec_value(sc, vs, "Seconds")?;
                let secs = v.as_f64().filter(|_| v.is_number());
                match secs {
                    Some(s) if s < 0.0 => {
                        return Err(qe(match path {
                            Some(p) => format!(
                                "The SecondsPath parameter references a negative value: {p} == {v}"
                            ),
                            None => {
                                format!("The Seconds field must be a non-negative integer: {v}")
                            }
                        }))
                    }
                    Some(s) => s,
                    None => {
                        return Err(qe(match path {
                            Some(p) => format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {p} == {}",
                            raw_text(&v)
                        ),
                            None => {
                                format!("The Seconds field must be a non-negative integer: {v}")
                            }
                        }))
                    }
                }
            }
            WaitSpec::Timestamp(vs) => {
                let (v, path) = self.spec_value(sc, vs, "Timestamp")?;
                let text = match &v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let Some(ts) = v.as_str().and_then(choice::parse_ts) else {
                    return Err(qe(match path {
                        Some(p) => format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {text}"
                        ),
                        None => format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                        ),
                    }));
                };
                let now = self.clock.now();
                let delta = ts.with_timezone(&chrono::Utc) - now;
                let secs = delta.num_milliseconds() as f64 / 1000.0;
                secs.max(0.0)
            }
        };
        if dur > i32::MAX as f64 {
            return Err(sc.runtime("Wait state delay is too long."));
        }
        self.clock.sleep(crate::clock::secs(dur)).await;
        Ok(())
    }

    /// The value of a literal / path / expression field, with the path text when it was a path.
    pub fn spec_value(
        &self,
        sc: &Scope<'_>,
        vs: &ValueSpec,
        field: &str,
    ) -> Result<(Value, Option<String>), Failure> {
        Ok(match vs {
            ValueSpec::Lit(v) => (v.clone(), None),
            ValueSpec::Path(p) => (
                sc.read(p).map_err(|_| {
                    sc.runtime(format!(
                        "The {field}Path field references a path that could not be found: {}",
                        p.text
                    ))
                })?,
                Some(p.text.clone()),
            ),
            ValueSpec::Call(c) => (sc.call(c, &format!("{field}Path"))?, Some(c.text.clone())),
            ValueSpec::Expr(t) => (t.eval(sc)?, None),
        })
    }

    /// Call the task's invoker once, with its timeouts; a callback task (`pending`) then
    /// waits for `SendTaskSuccess`/`SendTaskFailure`, kept alive by heartbeats.
    #[allow(clippy::too_many_arguments)]
    pub async fn invoke_task(
        &self,
        st: &State,
        state_input: &Value,
        input: Value,
        vars: &Vars,
        prev: &mut u64,
        entered: u64,
        retry_count: u32,
        pending: Option<crate::callback::Pending>,
    ) -> Result<Value, Failure> {
        let Kind::Task {
            resource,
            timeout,
            heartbeat,
            ..
        } = &st.kind
        else {
            return Err(Failure::runtime("not a task"));
        };
        // TimeoutSecondsPath / HeartbeatSecondsPath select from the state's input (after
        // InputPath), as Parameters do, not from what Parameters made of it
        let mut sc = self.scope(st, entered, state_input, vars);
        sc.retry_count = Some(retry_count);
        let timeout_secs = match timeout {
            Some(t) => Some(self.task_seconds(&sc, t, "TimeoutSeconds")?),
            None => None,
        };
        let heartbeat_secs = match heartbeat {
            Some(t) => Some(self.task_seconds(&sc, t, "HeartbeatSeconds")?),
            None => None,
        };
        let timeout_seconds = timeout_secs.map(|s| s as u64);
        let res_type = resource_type(resource);
        let lambda = is_lambda_arn(resource);
        let ev =
            |task: &'static str, lambda_ev: &'static str| if lambda { lambda_ev } else { task };
        let req = TaskRequest {
            resource: resource.clone(),
            state_name: st.name.to_string(),
            input,
            timeout_seconds,
            task_token: pending.as_ref().map(|p| p.token.clone()),
        };
        self.rec
            .emit(prev, ev("TaskScheduled", "LambdaFunctionScheduled"), || {
                let mut d = json!({
                    "resourceType": res_type.0, "resource": res_type.1, "region": "us-east-1",
                    "parameters": req.input.to_string(), "timeoutInSeconds": timeout_seconds,
                });
                if let Some(h) = heartbeat_secs {
                    d["heartbeatInSeconds"] = json!(h as u64);
                }
                d
            });
        // a runner with bounded workers queues the task here; its clocks start after
        let admission = self.tasks.admit(&req).await;
        self.rec.emit(
            prev,
            "TaskStarted",
            || json!({"resourceType": res_type.0, "resource": res_type.1}),
        );
        let started = self.clock.now();
        let fut: futures::future::BoxFuture<'_, Result<Value, crate::TaskFailure>> =
            match crate::nested::sync_mode(resource) {
                Some(mode) if self.services.state_machines.is_some() => {
                    Box::pin(crate::nested::run(self, mode, req))
                }
                _ => self.tasks.invoke(req),
            };
        let to_failure = |f: crate::TaskFailure| Failure {
            error: f.error,
            cause: Some(f.cause),
        };
        let timed_out = |error: &str| Failure {
            error: error.into(),
            cause: None,
        };
        let res = match (&pending, timeout_secs, heartbeat_secs) {
            // a request-response call: the first of TimeoutSeconds / HeartbeatSeconds bounds it
            (None, t, h) => match t.into_iter().chain(h).reduce(f64::min) {
                Some(s) => tokio::select! {
                    r = fut => r.map_err(to_failure),
                    _ = self.clock.sleep(crate::clock::secs(s)) => Err(timed_out("States.Timeout")),
                },
                None => fut.await.map_err(to_failure),
            },
            (Some(_), Some(s), _) => tokio::select! {
                r = fut => r.map_err(to_failure),
                _ = self.clock.sleep(crate::clock::secs(s)) => Err(timed_out("States.Timeout")),
            },
            (Some(_), None, _) => fut.await.map_err(to_failure),
        };
        // the runner's room is for the call; a callback's wait for its token holds none
        drop(admission);
        let res = match (res, pending) {
            (Ok(submitted), Some(p)) => {
                self.rec.emit(prev, "TaskSubmitted", || {
                    json!({"resourceType": res_type.0, "resource": res_type.1, "output": submitted.to_string(), "outputDetails": {"truncated": false}})
                });
                self.await_callback(p, started, timeout_secs, heartbeat_secs)
                    .await
            }
            (r, _) => r,
        };
        match &res {
            Ok(v) => {
                self.rec.emit(prev, ev("TaskSucceeded", "LambdaFunctionSucceeded"), || {
                    json!({"resourceType": res_type.0, "resource": res_type.1, "output": v.to_string(), "outputDetails": {"truncated": false}})
                });
            }
            Err(f) if f.error == "States.Timeout" || f.error == "States.HeartbeatTimeout" => {
                self.rec.emit(prev, ev("TaskTimedOut", "LambdaFunctionTimedOut"), || {
                    json!({"resourceType": res_type.0, "resource": res_type.1, "error": f.error, "cause": f.cause})
                });
            }
            Err(f) => {
                self.rec.emit(prev, ev("TaskFailed", "LambdaFunctionFailed"), || {
                    json!({"resourceType": res_type.0, "resource": res_type.1, "error": f.error, "cause": f.cause})
                });
            }
        }
        res
    }

    /// Wait for the callback of a task token: `TimeoutSeconds` counts from the task's start,
    /// `HeartbeatSeconds` from the start or the last heartbeat.
    async fn await_callback(
        &self,
        mut p: crate::callback::Pending,
        started: chrono::DateTime<chrono::Utc>,
        timeout: Option<f64>,
        heartbeat: Option<f64>,
    ) -> Result<Value, Failure> {
        use crate::callback::Callback;
        let timed_out = |error: &str| Failure {
            error: error.into(),
            cause: None,
        };
        loop {
            let left = timeout.map(|t| {
                let spent = (self.clock.now() - started).num_milliseconds() as f64 / 1000.0;
                (t - spent).max(0.0)
            });
            let timeout_sleep = async {
                match left {
                    Some(s) => self.clock.sleep(crate::clock::secs(s)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            let heartbeat_sleep = async {
                match heartbeat {
                    Some(s) => self.clock.sleep(crate::clock::secs(s)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            enum Woke {
                Callback(Option<Callback>),
                Heartbeat,
                HeartbeatTimeout,
                Timeout,
            }
            let woke = tokio::select! {
                sig = p.next() => match sig {
                    crate::callback::Signal::Callback(cb) => Woke::Callback(cb),
                    crate::callback::Signal::Heartbeat => Woke::Heartbeat,
                },
                _ = heartbeat_sleep => Woke::HeartbeatTimeout,
                _ = timeout_sleep => Woke::Timeout,
            };
            return match woke {
                Woke::Heartbeat => continue,
                Woke::Callback(Some(Callback::Success(v))) => Ok(v),
                Woke::Callback(Some(Callback::Failure { error, cause })) => Err(Failure {
                    error,
                    cause: Some(cause),
                }),
                Woke::Callback(None) => Err(Failure::new(
                    "States.Runtime",
                    "The task token was withdrawn.",
                )),
                Woke::HeartbeatTimeout => {
                    p.timed_out();
                    Err(timed_out("States.HeartbeatTimeout"))
                }
                Woke::Timeout => {
                    p.timed_out();
                    Err(timed_out("States.Timeout"))
                }
            };
        }
    }

    /// `TimeoutSeconds` / `HeartbeatSeconds` (or their Path / JSONata forms): a positive
    /// integer, as AWS requires.
    fn task_seconds(&self, sc: &Scope<'_>, spec: &ValueSpec, field: &str) -> Result<f64, Failure> {
        let (v, path) = self.spec_value(sc, spec, field)?;
        match v.as_u64() {
            Some(n) if n > 0 => Ok(n as f64),
            _ => {
                let msg = match path {
                    Some(p) => format!(
                        "The {field}Path parameter does not reference a valid positive integer: {p} == {}",
                        raw_text(&v)
                    ),
                    None => format!("The {field} field must be a positive integer: {}", raw_text(&v)),
                };
                Err(if sc.st.jsonata {
                    sc.fail("States.QueryEvaluationError", msg)
                } else {
                    sc.runtime(msg)
                })
            }
        }
    }
}

/// A value as AWS quotes it in a cause: strings bare, anything else as JSON.
pub fn raw_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A plain Lambda function ARN (the legacy Task resource), whose events are
/// `LambdaFunction*` rather than `Task*`.
pub fn is_lambda_arn(resource: &str) -> bool {
    let parts: Vec<&str> = resource.splitn(7, ':').collect();
    parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function"
}

/// `arn:aws:states:::lambda:invoke` → ("lambda", "invoke").
pub fn resource_type(resource: &str) -> (String, String) {
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() >= 7 && parts[2] == "states" {
        return (parts[5].to_string(), parts[6..].join(":"));
    }
    if parts.len() >= 3 {
        return (parts[2].to_string(), resource.to_string());
    }
    ("unknown".to_string(), resource.to_string())
}

/// Whether the variables are empty (used to skip snapshots).
pub fn vars_empty(v: &Vars) -> bool {
    v.is_empty()
}
