//! State processing for `QueryLanguage: JSONata`: `Arguments`, `Output`, `Assign`,
//! `$states.input/result/errorOutput/context`, and JSONata forms of Wait/Fail/Choice.

use crate::definition::{Kind, State, ValueSpec};
use crate::error::Failure;
use crate::executor::{Exec, Step, Vars};
use crate::template::Template;
use serde_json::Value;

pub async fn run(
    ex: &Exec<'_>,
    st: &State,
    raw: Value,
    vars: &mut Vars,
    prev: &mut u64,
    entered: u64,
) -> Result<Step, Failure> {
    let mut next = st.next;
    let mut assign = st.assign.as_ref();
    let mut output = st.output.as_ref();
    let result: Option<Value> = match &st.kind {
        Kind::Fail { error, cause } => {
            let sc = ex.scope(st, entered, &raw, vars);
            let text = |spec: &Option<ValueSpec>| -> Result<Option<String>, Failure> {
                Ok(match spec {
                    None => None,
                    Some(ValueSpec::Expr(t)) => Some(match t.eval(&sc)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    }),
                    Some(ValueSpec::Lit(Value::String(s))) => Some(s.clone()),
                    Some(ValueSpec::Lit(v)) => Some(v.to_string()),
                    Some(_) => None,
                })
            };
            let e = text(error)?;
            let c = text(cause)?;
            return Err(Failure {
                error: e.unwrap_or_default(),
                cause: c,
            });
        }
        Kind::Pass { .. } | Kind::Succeed => None,
        Kind::Wait(spec) => {
            let sc = ex.scope(st, entered, &raw, vars);
            ex.wait(&sc, spec).await?;
            None
        }
        Kind::Choice { choices, default } => {
            let sc = ex.scope(st, entered, &raw, vars);
            let mut chosen = None;
            for c in choices {
                if ex.eval_rule(&sc, &c.rule)? {
                    chosen = Some(c);
                    break;
                }
            }
            match chosen {
                Some(c) => {
                    next = Some(c.next);
                    if c.assign.is_some() {
                        assign = c.assign.as_ref();
                    }
                    if c.output.is_some() {
                        output = c.output.as_ref();
                    }
                }
                None => match default {
                    Some(d) => next = Some(*d),
                    None => return Err(Failure::new("States.NoChoiceMatched", "No Matches!")),
                },
            }
            None
        }
        Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_) => {
            match crate::retry::run_with_retry(ex, st, &raw, vars, prev, entered).await {
                Ok(r) => Some(r),
                Err(f) => return crate::retry::catch(ex, st, f, raw, vars, prev, entered),
            }
        }
    };
    let (out, assigned) = {
        let mut sc = ex.scope(st, entered, &raw, vars);
        sc.result = result.as_ref();
        let assigned = match assign {
            Some(t) => Some(t.eval(&sc)?),
            None => None,
        };
        let out = match output {
            Some(t) => Some(eval_output(t, &sc)?),
            None => None,
        };
        (out, assigned)
    };
    let out = match out {
        Some(o) => o,
        None => result.unwrap_or(raw),
    };
    if matches!(
        st.kind,
        Kind::Pass { .. } | Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_)
    ) && crate::executor::size_exceeds(&out, crate::executor::MAX_PAYLOAD)
    {
        return Err(Failure::new(
            "States.DataLimitExceeded",
            format!(
                "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                st.name
            ),
        ));
    }
    if let Some(Value::Object(m)) = assigned {
        vars.set_all(m);
    }
    Ok(Step::Next(out, next))
}

fn eval_output(t: &Template, sc: &crate::executor::Scope<'_>) -> Result<Value, Failure> {
    t.eval(sc)
}
