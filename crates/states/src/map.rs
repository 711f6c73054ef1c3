//! Parallel branches and Map iterations: item selection, concurrency limits, tolerated
//! failures, and the Map/Parallel history events in AWS's order.

use crate::definition::{Machine, MapSpec, PathSpec, State, ValueSpec};
use crate::error::Failure;
use crate::executor::{Exec, Scope, Vars};
use crate::template::type_name;
use futures::StreamExt;
use serde_json::{json, Value};

/// Run every branch on the same input; the result is the array of branch outputs.
pub async fn run_parallel(
    ex: &Exec<'_>,
    st: &State,
    branches: &[Machine],
    input: Value,
    vars: &Vars,
    prev: &mut u64,
    _entered: u64,
) -> Result<Value, Failure> {
    ex.rec.emit(prev, "ParallelStateStarted", || Value::Null);
    let snap = vars.snapshot();
    let base_prev = *prev;
    let futs = branches.iter().map(|b| {
        let input = input.clone();
        let snap = snap.clone();
        async move {
            let mut p = base_prev;
            let mut v = Vars::child(snap);
            ex.run_machine(b, input, &mut v, &mut p).await
        }
    });
    // the first failing branch fails the state; the others are dropped (aborted)
    let results = futures::future::try_join_all(futs).await;
    *prev = ex.rec.last_id();
    let out = match results {
        Ok(v) => v,
        Err(f) => {
            ex.rec.emit(
                prev,
                "ParallelStateFailed",
                || json!({"error": f.error, "cause": f.cause}),
            );
            return Err(f);
        }
    };
    ex.rec.emit(prev, "ParallelStateSucceeded", || Value::Null);
    let _ = st;
    Ok(Value::Array(out))
}

fn parse_int_like(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_float_like(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

use crate::executor::raw_text;

/// Read an integer/float Map setting (literal, Path or JSONata).
pub(crate) fn setting(
    ex: &Exec<'_>,
    sc: &Scope<'_>,
    spec: Option<&ValueSpec>,
    field: &str,
    float: bool,
) -> Result<Option<f64>, Failure> {
    let Some(spec) = spec else { return Ok(None) };
    let (v, path) = ex.spec_value(sc, spec, field)?;
    let n = if float {
        parse_float_like(&v)
    } else {
        parse_int_like(&v).map(|i| i as f64)
    };
    match n {
        Some(n) => Ok(Some(n)),
        None => {
            let kind = if float { "float" } else { "integer" };
            let msg = match path {
                Some(p) => format!(
                    "The {field}Path field refers to value \"{}\" which is not a valid {kind}: {p}",
                    raw_text(&v)
                ),
                None => format!(
                    "The {field} field refers to value \"{}\" which is not a valid {kind}",
                    raw_text(&v)
                ),
            };
            Err(if sc.st.jsonata {
                sc.fail("States.QueryEvaluationError", msg)
            } else {
                sc.runtime(msg)
            })
        }
    }
}

/// The items of a Map from its input: JSONata `Items` or JSONPath `ItemsPath`.
pub(crate) fn items(sc: &Scope<'_>, spec: &MapSpec, eff: &Value) -> Result<Vec<Value>, Failure> {
    let st = sc.st;
    Ok(if st.jsonata {
        match &spec.items {
            Some(t) => match t.eval(sc)? {
                Value::Array(a) => a,
                other => {
                    let text = match t {
                        crate::template::Template::Expr(e, _) => e.text.clone(),
                        _ => other.to_string(),
                    };
                    return Err(sc.fail(
                        "States.QueryEvaluationError",
                        crate::template::unexpected_type_cause(&text, "Items", "array", &other),
                    ));
                }
            },
            None => match eff {
                Value::Array(a) => a.clone(),
                other => {
                    return Err(sc.fail(
                        "States.QueryEvaluationError",
                        format!("Map state input must be an array but was: {other}"),
                    ))
                }
            },
        }
    } else {
        let v = match &spec.items_path {
            PathSpec::Default | PathSpec::Null => eff.clone(),
            PathSpec::Path(p) => sc.read(p).map_err(|_| {
                sc.runtime(format!(
                    "Invalid path '{}' : No results for path: {}",
                    p.text,
                    p.normalized()
                ))
            })?,
        };
        match v {
            Value::Array(a) => a,
            other => {
                return Err(sc.runtime(format!(
                    "Item selector must evaluate to a JSON array but got {}: {}",
                    type_name(&other),
                    other
                )))
            }
        }
    })
}

/// `MaxConcurrency` and the tolerated failures of a Map, read and checked.
pub(crate) struct Settings {
    pub max_concurrency: Option<f64>,
    pub tolerated_count: Option<f64>,
    pub tolerated_percentage: Option<f64>,
}

impl Settings {
    pub fn read(ex: &Exec<'_>, sc: &Scope<'_>, spec: &MapSpec) -> Result<Settings, Failure> {
        let s = Settings {
            max_concurrency: setting(
                ex,
                sc,
                spec.max_concurrency.as_ref(),
                "MaxConcurrency",
                false,
            )?,
            tolerated_count: setting(
                ex,
                sc,
                spec.tolerated_count.as_ref(),
                "ToleratedFailureCount",
                false,
            )?,
            tolerated_percentage: setting(
                ex,
                sc,
                spec.tolerated_percentage.as_ref(),
                "ToleratedFailurePercentage",
                true,
            )?,
        };
        if s.tolerated_count.is_some_and(|c| c < 0.0) {
            return Err(sc.runtime("ToleratedFailureCount cannot be negative."));
        }
        if s.tolerated_percentage
            .is_some_and(|p| !(0.0..=100.0).contains(&p))
        {
            return Err(sc.runtime("ToleratedFailurePercentage must be between 0 and 100."));
        }
        if s.max_concurrency.is_some_and(|c| c < 0.0) {
            return Err(sc.runtime("MaxConcurrency cannot be negative."));
        }
        Ok(s)
    }

    /// How many iterations run at once (0 or absent: all).
    pub fn concurrency(&self, total: usize) -> usize {
        match self.max_concurrency {
            Some(c) if c >= 1.0 => (c as usize).min(total.max(1)),
            _ => total.max(1),
        }
    }

    /// Whether `failures` of `total` items exceed both tolerances (an absent one is 0).
    pub fn exceeded(&self, failures: usize, total: usize) -> bool {
        let over_count = failures as f64 > self.tolerated_count.unwrap_or(0.0);
        let over_pct = total == 0
            || failures as f64 * 100.0 / total as f64 > self.tolerated_percentage.unwrap_or(0.0);
        over_count && over_pct
    }
}

/// Run the Map state's iterations; the result is the array of iteration outputs.
pub async fn run_map(
    ex: &Exec<'_>,
    st: &State,
    spec: &MapSpec,
    eff: &Value,
    vars: &Vars,
    prev: &mut u64,
    entered: u64,
) -> Result<Value, Failure> {
    if let Some(dist) = &spec.dist {
        return crate::map_run::run(ex, st, spec, dist, eff, vars, prev, entered).await;
    }
    let sc = ex.scope(st, entered, eff, vars);
    let items = items(&sc, spec, eff)?;
    let settings = Settings::read(ex, &sc, spec)?;
    let (max_conc, tol_count, tol_pct) = (
        settings.max_concurrency,
        settings.tolerated_count,
        settings.tolerated_percentage,
    );
    let total = items.len();
    ex.rec
        .emit(prev, "MapStateStarted", || json!({"length": total}));
    // iteration inputs
    let mut inputs = Vec::with_capacity(total);
    for (i, item) in items.into_iter().enumerate() {
        let input = match &spec.item_selector {
            Some(t) => {
                let mut isc = ex.scope(st, entered, eff, vars);
                isc.map_item = Some((i, &item));
                t.eval(&isc)?
            }
            None => item,
        };
        inputs.push(input);
    }
    let conc = match max_conc {
        Some(c) if c >= 1.0 => c as usize,
        _ => usize::MAX,
    };
    let snap = vars.snapshot();
    let base_prev = *prev;
    let name = st.name.clone();
    let proc_ = &spec.processor;
    let futs = inputs.into_iter().enumerate().map(|(i, input)| {
        let snap = snap.clone();
        let name = name.clone();
        async move {
            let mut p = base_prev;
            ex.rec.emit(
                &mut p,
                "MapIterationStarted",
                || json!({"name": &*name, "index": i}),
            );
            let mut v = Vars::child(snap);
            let r = ex.run_machine(proc_, input, &mut v, &mut p).await;
            match &r {
                Ok(_) => ex.rec.emit(
                    &mut p,
                    "MapIterationSucceeded",
                    || json!({"name": &*name, "index": i}),
                ),
                Err(_) => ex.rec.emit(
                    &mut p,
                    "MapIterationFailed",
                    || json!({"name": &*name, "index": i}),
                ),
            };
            r
        }
    });
    let tolerant = tol_count.is_some() || tol_pct.is_some();
    let mut stream = futures::stream::iter(futs).buffered(conc.min(total.max(1)));
    let mut out = Vec::with_capacity(total);
    let mut failures = 0usize;
    let mut failure: Option<Failure> = None;
    while let Some(r) = stream.next().await {
        match r {
            Ok(v) => out.push(v),
            Err(f) => {
                if f.error == "States.Runtime" || f.error == "States.DataLimitExceeded" || !tolerant
                {
                    failure = Some(f);
                    break;
                }
                failures += 1;
                let over_count = tol_count.is_none_or(|c| failures as f64 > c);
                let over_pct = tol_pct.is_none_or(|p| failures as f64 * 100.0 / total as f64 > p);
                if over_count && over_pct {
                    failure = Some(Failure::new(
                        "States.ExceedToleratedFailureThreshold",
                        "The specified tolerance threshold for the Map Run was exceeded.",
                    ));
                    break;
                }
                out.push(f.to_value());
            }
        }
    }
    drop(stream);
    *prev = ex.rec.last_id();
    if let Some(f) = failure {
        ex.rec.emit(
            prev,
            "MapStateFailed",
            || json!({"error": f.error, "cause": f.cause}),
        );
        return Err(f);
    }
    ex.rec.emit(prev, "MapStateSucceeded", || Value::Null);
    Ok(Value::Array(out))
}
