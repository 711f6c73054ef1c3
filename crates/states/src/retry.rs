//! Retry (IntervalSeconds, BackoffRate, MaxDelaySeconds, JitterStrategy, one counter per
//! retrier) and Catch (first matching catcher, ResultPath / Output of the error object),
//! with AWS's matching rules for `States.ALL` and `States.TaskFailed`.

use crate::definition::{Kind, PathSpec, Retrier, State};
use crate::error::Failure;
use crate::executor::{Exec, Step, Vars};
use serde_json::{Map, Value};

/// Errors no Retry or Catch can handle.
fn terminal(error: &str) -> bool {
    error == "States.Runtime" || error == "States.DataLimitExceeded"
}

/// Whether an `ErrorEquals` list matches an error name.
pub fn matches(list: &[String], error: &str) -> bool {
    list.iter().any(|e| {
        e == error
            || (e == "States.ALL"
                && error != "States.Runtime"
                && error != "States.DataLimitExceeded")
            || (e == "States.TaskFailed"
                && error != "States.Timeout"
                && error != "States.Runtime"
                && error != "States.DataLimitExceeded"
                && !error.starts_with("States.ExceedToleratedFailureThreshold"))
    })
}

/// The delay before retry number `attempt` (0-based) of a retrier, before jitter.
pub fn delay_seconds(r: &Retrier, attempt: u32) -> f64 {
    let mut d = r.interval_seconds * r.backoff_rate.powi(attempt as i32);
    if let Some(max) = r.max_delay_seconds {
        d = d.min(max);
    }
    d.max(0.0)
}

/// Run the retriable part of a Task/Parallel/Map state with its Retry policy.
pub async fn run_with_retry(
    ex: &Exec<'_>,
    st: &State,
    eff: &Value,
    vars: &Vars,
    prev: &mut u64,
    entered: u64,
) -> Result<Value, Failure> {
    let mut counts = vec![0u32; st.retry.len()];
    let mut attempt = 0u32;
    loop {
        let r = attempt_once(ex, st, eff, vars, prev, entered, attempt).await;
        let f = match r {
            Ok(v) => return Ok(v),
            Err(f) => f,
        };
        if terminal(&f.error) {
            return Err(f);
        }
        let Some(i) = st
            .retry
            .iter()
            .position(|r| matches(&r.error_equals, &f.error))
        else {
            return Err(f);
        };
        let r = &st.retry[i];
        if counts[i] >= r.max_attempts {
            return Err(f);
        }
        let mut d = delay_seconds(r, counts[i]);
        if r.jitter_full {
            d *= rand::random::<f64>();
        }
        counts[i] += 1;
        attempt += 1;
        tracing::debug!(state = %st.name, error = %f.error, delay = d, "retrying");
        ex.clock.sleep(crate::clock::secs(d)).await;
    }
}

async fn attempt_once(
    ex: &Exec<'_>,
    st: &State,
    eff: &Value,
    vars: &Vars,
    prev: &mut u64,
    entered: u64,
    attempt: u32,
) -> Result<Value, Failure> {
    // a callback task gets a fresh token each attempt, visible as `$$.Task.Token`
    let pending = match &st.kind {
        Kind::Task { callback: true, .. } => Some(ex.services.task_tokens.issue(&ex.info.name)),
        _ => None,
    };
    let params = match &st.parameters {
        Some(t) => {
            let mut sc = ex.scope(st, entered, eff, vars);
            sc.retry_count = Some(attempt);
            sc.task_token = pending.as_ref().map(|p| p.token.as_str());
            Some(t.eval(&sc)?)
        }
        None => None,
    };
    match &st.kind {
        Kind::Task { .. } => {
            let input = params.unwrap_or_else(|| eff.clone());
            ex.invoke_task(st, eff, input, vars, prev, entered, attempt, pending)
                .await
        }
        Kind::Parallel { branches } => {
            let input = params.unwrap_or_else(|| eff.clone());
            crate::map::run_parallel(ex, st, branches, input, vars, prev, entered).await
        }
        Kind::Map(spec) => crate::map::run_map(ex, st, spec, eff, vars, prev, entered).await,
        _ => Err(Failure::runtime("state has nothing to retry")),
    }
}

/// Apply the first matching Catcher, or give the failure back.
pub fn catch(
    ex: &Exec<'_>,
    st: &State,
    f: Failure,
    raw: Value,
    vars: &mut Vars,
    _prev: &mut u64,
    entered: u64,
) -> Result<Step, Failure> {
    if terminal(&f.error) {
        return Err(f);
    }
    let Some(c) = st.catch.iter().find(|c| matches(&c.error_equals, &f.error)) else {
        return Err(f);
    };
    tracing::debug!(state = %st.name, error = %f.error, "caught");
    let err_obj = f.to_value();
    if st.jsonata {
        let (out, assigned) = {
            let mut sc = ex.scope(st, entered, &raw, vars);
            sc.error_output = Some(&err_obj);
            let out = match &c.output {
                Some(t) => t.eval(&sc)?,
                None => err_obj.clone(),
            };
            let assigned = match &c.assign {
                Some(t) => Some(t.eval(&sc)?),
                None => None,
            };
            (out, assigned)
        };
        if let Some(Value::Object(m)) = assigned {
            vars.set_all(m);
        }
        return Ok(Step::Next(out, Some(c.next)));
    }
    let assigned = match &c.assign {
        Some(t) => Some(t.eval(&ex.scope(st, entered, &err_obj, vars))?),
        None => None,
    };
    let out = match &c.result_path {
        PathSpec::Default => err_obj,
        PathSpec::Null => raw,
        PathSpec::Path(p) if p.is_root_only() => err_obj,
        PathSpec::Path(p) => {
            let mut raw = raw;
            if raw.is_null() {
                raw = Value::Object(Map::new());
            }
            p.set(&mut raw, err_obj)
                .map_err(|m| ex.scope(st, entered, &Value::Null, vars).runtime(m))?;
            raw
        }
    };
    if let Some(Value::Object(m)) = assigned {
        vars.set_all(m);
    }
    Ok(Step::Next(out, Some(c.next)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_rules() {
        let all = vec!["States.ALL".to_string()];
        assert!(matches(&all, "Foo"));
        assert!(matches(&all, "States.Timeout"));
        assert!(!matches(&all, "States.Runtime"));
        let tf = vec!["States.TaskFailed".to_string()];
        assert!(matches(&tf, "Lambda.ServiceException"));
        assert!(!matches(&tf, "States.Timeout"));
    }

    #[test]
    fn backoff() {
        let r = Retrier {
            error_equals: vec![],
            interval_seconds: 2.0,
            max_attempts: 5,
            backoff_rate: 3.0,
            max_delay_seconds: Some(10.0),
            jitter_full: false,
        };
        assert_eq!(delay_seconds(&r, 0), 2.0);
        assert_eq!(delay_seconds(&r, 1), 6.0);
        assert_eq!(delay_seconds(&r, 2), 10.0);
    }
}
