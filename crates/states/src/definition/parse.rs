//! JSON → [`Machine`]: reads every state's fields, compiles paths, intrinsics, templates
//! and JSONata, resolves `Next` names to indexes, and reports errors with AWS's codes and
//! the `/States/Name/Field` location.

use super::*;
use crate::choice::{parse_rule, Rule};
use crate::template::{compile_jsonata_expr, jsonata_body, Template};
use serde_json::Map;
use std::collections::HashMap;

pub struct Ctx {
    pub errors: Vec<String>,
    /// the top-level language is JSONata
    pub top_jsonata: bool,
}

impl Ctx {
    pub(super) fn err(&mut self, code: &str, msg: impl AsRef<str>, at: &str) {
        self.errors
            .push(format!("{code}: {} at {at}", msg.as_ref()));
    }
    pub(super) fn schema(&mut self, msg: impl AsRef<str>, at: &str) {
        self.err("SCHEMA_VALIDATION_FAILED", msg, at);
    }
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed(ty: &str, jsonata: bool) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = COMMON.to_vec();
    let io: &[&str] = if jsonata {
        &["Output", "Assign"]
    } else {
        &["InputPath", "OutputPath", "Assign"]
    };
    let next: &[&str] = &["Next", "End"];
    match ty {
        "Pass" => {
            v.extend(io);
            v.extend(next);
            if !jsonata {
                v.extend(["Result", "ResultPath", "Parameters"]);
            }
        }
        "Task" => {
            v.extend(io);
            v.extend(next);
            v.extend([
                "Resource",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Retry",
                "Catch",
                "Credentials",
            ]);
            if jsonata {
                v.push("Arguments");
            } else {
                v.extend([
                    "ResultPath",
                    "Parameters",
                    "ResultSelector",
                    "TimeoutSecondsPath",
                    "HeartbeatSecondsPath",
                ]);
            }
        }
        "Choice" => {
            v.extend(io);
            v.extend(["Choices", "Default"]);
        }
        "Wait" => {
            v.extend(io);
            v.extend(next);
            v.extend(["Seconds", "Timestamp"]);
            if !jsonata {
                v.extend(["SecondsPath", "TimestampPath"]);
            }
        }
        "Succeed" => v.extend(io),
        "Fail" => {
            v.extend(["Error", "Cause"]);
            if !jsonata {
                v.extend(["ErrorPath", "CausePath"]);
            }
        }
        "Parallel" => {
            v.extend(io);
            v.extend(next);
            v.extend(["Branches", "Retry", "Catch"]);
            if jsonata {
                v.push("Arguments");
            } else {
                v.extend(["ResultPath", "Parameters", "ResultSelector"]);
            }
        }
        "Map" => {
            v.extend(io);
            v.extend(next);
            v.extend([
                "ItemProcessor",
                "Iterator",
                "ItemSelector",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
                "Retry",
                "Catch",
            ]);
            if jsonata {
                v.extend(["Items", "Arguments"]);
            } else {
                v.extend([
                    "ItemsPath",
                    "ResultPath",
                    "Parameters",
                    "ResultSelector",
                    "MaxConcurrencyPath",
                    "ToleratedFailureCountPath",
                    "ToleratedFailurePercentagePath",
                ]);
            }
        }
        _ => {}
    }
    v
}

/// Parse a machine object (`StartAt`, `States`) found at location `at`.
pub fn machine(cx: &mut Ctx, v: &Value, at: &str) -> Option<Machine> {
    let Value::Object(m) = v else {
        cx.schema("The state machine must be a JSON object", at);
        return None;
    };
    let Some(Value::Object(states)) = m.get("States") else {
        cx.schema("These fields are required: [States]", at);
        return None;
    };
    let names: Vec<Arc<str>> = states.keys().map(|k| Arc::from(k.as_str())).collect();
    let index: HashMap<&str, usize> = states
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let start = match m.get("StartAt") {
        Some(Value::String(s)) => match index.get(s.as_str()) {
            Some(i) => *i,
            None => {
                cx.err(
                    "MISSING_TRANSITION_TARGET",
                    format!("Missing 'Next' target: {s}"),
                    &format!("{at}/StartAt"),
                );
                0
            }
        },
        _ => {
            cx.schema("These fields are required: [StartAt]", at);
            0
        }
    };
    if states.is_empty() {
        cx.schema(
            "The States field must not be empty",
            &format!("{at}/States"),
        );
        return None;
    }
    let timeout_seconds = m.get("TimeoutSeconds").and_then(|v| v.as_f64());
    let mut out = Vec::with_capacity(states.len());
    for (name, sv) in states {
        let sat = format!("{at}/States/{name}");
        if name.is_empty() || name.chars().count() > 80 {
            cx.schema("State names must be 1 to 80 characters", &sat);
        }
        if let Some(s) = state(cx, name, sv, &sat, &index) {
            out.push(s);
        }
    }
    if out.len() != states.len() {
        return None;
    }
    let mach = Machine {
        start,
        states: out,
        timeout_seconds,
        names,
    };
    super::validate::reachability(cx, &mach, at);
    Some(mach)
}

fn target(
    cx: &mut Ctx,
    v: Option<&Value>,
    at: &str,
    index: &HashMap<&str, usize>,
) -> Option<usize> {
    match v {
        Some(Value::String(s)) => match index.get(s.as_str()) {
            Some(i) => Some(*i),
            None => {
                cx.err(
                    "MISSING_TRANSITION_TARGET",
                    format!("Missing 'Next' target: {s}"),
                    at,
                );
                None
            }
        },
        Some(_) => {
            cx.schema("The value of Next must be a string", at);
            None
        }
        None => None,
    }
}

fn path_spec(
    cx: &mut Ctx,
    m: &Map<String, Value>,
    field: &str,
    at: &str,
    reference: bool,
) -> PathSpec {
    match m.get(field) {
        None => PathSpec::Default,
        Some(Value::Null) => PathSpec::Null,
        Some(Value::String(s)) => {
            match Path::parse(s) {
                Ok(p) => {
                    if reference && (!p.is_reference() || p.root != crate::path::Root::Input) {
                        cx.err(
                        "INVALID_JSON_PATH",
                        format!("The value for the field '{field}' must be a valid Reference Path: {s}"),
                        &format!("{at}/{field}"),
                    );
                    }
                    PathSpec::Path(p)
                }
                Err(_) => {
                    cx.err(
                        "INVALID_JSON_PATH",
                        format!("Invalid JSONPath: {s}"),
                        &format!("{at}/{field}"),
                    );
                    PathSpec::Default
                }
            }
        }
        Some(_) => {
            cx.schema(
                format!("The value of {field} must be a string or null"),
                &format!("{at}/{field}"),
            );
            PathSpec::Default
        }
    }
}

pub(super) fn jp_template(
    cx: &mut Ctx,
    m: &Map<String, Value>,
    field: &str,
    at: &str,
) -> Option<Template> {
    let v = m.get(field)?;
    if field == "Assign" && !v.is_object() {
        cx.schema(
            "The value of Assign must be an object",
            &format!("{at}/{field}"),
        );
        return None;
    }
    match Template::jsonpath(v) {
        Ok(t) => Some(t),
        Err(e) => {
            cx.err("SCHEMA_VALIDATION_FAILED", e, &format!("{at}/{field}"));
            None
        }
    }
}

pub(super) fn ja_template(
    cx: &mut Ctx,
    m: &Map<String, Value>,
    field: &str,
    at: &str,
) -> Option<Template> {
    let v = m.get(field)?;
    match Template::jsonata(v, field) {
        Ok(t) => Some(t),
        Err(e) => {
            cx.err(
                "SCHEMA_VALIDATION_FAILED",
                format!("Invalid JSONata expression: {e}"),
                &format!("{at}/{field}"),
            );
            None
        }
    }
}

/// A number field that may be a literal, a `...Path` (JSONPath) or a `{% %}` (JSONata).
pub(super) fn value_spec(
    cx: &mut Ctx,
    m: &Map<String, Value>,
    field: &str,
    jsonata: bool,
    at: &str,
) -> Option<ValueSpec> {
    let pfield = format!("{field}Path");
    if let Some(v) = m.get(field) {
        if m.contains_key(&pfield) {
            cx.schema(format!("{field} and {pfield} are mutually exclusive"), at);
        }
        if let Value::String(s) = v {
            if jsonata && jsonata_body(s).is_some() {
                return ja_template(cx, m, field, at).map(ValueSpec::Expr);
            }
        }
        return Some(ValueSpec::Lit(v.clone()));
    }
    if let Some(v) = m.get(&pfield) {
        let Value::String(s) = v else {
            cx.schema(
                format!("{pfield} must be a string"),
                &format!("{at}/{pfield}"),
            );
            return None;
        };
        if crate::intrinsics::looks_like_call(s) {
            return match Call::parse(s) {
                Ok(c) => Some(ValueSpec::Call(c)),
                Err(e) => {
                    cx.schema(e, &format!("{at}/{pfield}"));
                    None
                }
            };
        }
        return match Path::parse(s) {
            Ok(p) => Some(ValueSpec::Path(p)),
            Err(e) => {
                cx.err("INVALID_JSON_PATH", e.0, &format!("{at}/{pfield}"));
                None
            }
        };
    }
    None
}

fn error_equals(cx: &mut Ctx, m: &Map<String, Value>, at: &str) -> Vec<String> {
    match m.get("ErrorEquals") {
        Some(Value::Array(a)) if !a.is_empty() => {
            let v: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            if v.len() != a.len() {
                cx.schema(
                    "ErrorEquals must hold strings",
                    &format!("{at}/ErrorEquals"),
                );
            }
            if v.iter().any(|e| e == "States.ALL") && v.len() > 1 {
                cx.schema(
                    "States.ALL must appear alone in ErrorEquals",
                    &format!("{at}/ErrorEquals"),
                );
            }
            v
        }
        _ => {
            cx.schema("These fields are required: [ErrorEquals]", at);
            Vec::new()
        }
    }
}

fn retriers(cx: &mut Ctx, m: &Map<String, Value>, at: &str) -> Vec<Retrier> {
    let Some(v) = m.get("Retry") else {
        return Vec::new();
    };
    let Value::Array(a) = v else {
        cx.schema("Retry must be an array", &format!("{at}/Retry"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, r) in a.iter().enumerate() {
        let rat = format!("{at}/Retry[{i}]");
        let Value::Object(r) = r else {
            cx.schema("A Retrier must be an object", &rat);
            continue;
        };
        let num = |k: &str| r.get(k).and_then(|v| v.as_f64());
        let interval = num("IntervalSeconds").unwrap_or(1.0);
        let max_attempts = num("MaxAttempts").unwrap_or(3.0);
        let backoff = num("BackoffRate").unwrap_or(2.0);
        if interval < 1.0 || interval.fract() != 0.0 {
            cx.schema(
                "IntervalSeconds must be a positive integer",
                &format!("{rat}/IntervalSeconds"),
            );
        }
        if max_attempts < 0.0 || max_attempts.fract() != 0.0 {
            cx.schema(
                "MaxAttempts must be a non-negative integer",
                &format!("{rat}/MaxAttempts"),
            );
        }
        if backoff < 1.0 {
            cx.schema(
                "BackoffRate must be at least 1.0",
                &format!("{rat}/BackoffRate"),
            );
        }
        let jitter_full = match r.get("JitterStrategy").and_then(|v| v.as_str()) {
            Some("FULL") => true,
            Some("NONE") | None => false,
            Some(_) => {
                cx.schema(
                    "JitterStrategy must be FULL or NONE",
                    &format!("{rat}/JitterStrategy"),
                );
                false
            }
        };
        out.push(Retrier {
            error_equals: error_equals(cx, r, &rat),
            interval_seconds: interval,
            max_attempts: max_attempts.max(0.0) as u32,
            backoff_rate: backoff,
            max_delay_seconds: num("MaxDelaySeconds"),
            jitter_full,
        });
    }
    out
}

fn catchers(
    cx: &mut Ctx,
    m: &Map<String, Value>,
    at: &str,
    jsonata: bool,
    index: &HashMap<&str, usize>,
) -> Vec<Catcher> {
    let Some(v) = m.get("Catch") else {
        return Vec::new();
    };
    let Value::Array(a) = v else {
        cx.schema("Catch must be an array", &format!("{at}/Catch"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, c) in a.iter().enumerate() {
        let cat = format!("{at}/Catch[{i}]");
        let Value::Object(c) = c else {
            cx.schema("A Catcher must be an object", &cat);
            continue;
        };
        let error_equals = error_equals(cx, c, &cat);
        let next = target(cx, c.get("Next"), &format!("{cat}/Next"), index);
        if !c.contains_key("Next") {
            cx.schema("These fields are required: [Next]", &cat);
        }
        let (assign, output) = if jsonata {
            (
                ja_template(cx, c, "Assign", &cat),
                ja_template(cx, c, "Output", &cat),
            )
        } else {
            (jp_template(cx, c, "Assign", &cat), None)
        };
        out.push(Catcher {
            error_equals,
            next: next.unwrap_or(0),
            result_path: path_spec(cx, c, "ResultPath", &cat, true),
            assign,
            output,
        });
    }
    out
}

fn state(
    cx: &mut Ctx,
    name: &str,
    v: &Value,
    at: &str,
    index: &HashMap<&str, usize>,
) -> Option<State> {
    let Value::Object(m) = v else {
        cx.schema("A state must be a JSON object", at);
        return None;
    };
    let ty = match m.get("Type") {
        Some(Value::String(t)) => t.as_str(),
        _ => {
            cx.schema("These fields are required: [Type]", at);
            return None;
        }
    };
    let type_name: &'static str = match ty {
        "Pass" => "Pass",
        "Task" => "Task",
        "Choice" => "Choice",
        "Wait" => "Wait",
        "Succeed" => "Succeed",
        "Fail" => "Fail",
        "Parallel" => "Parallel",
        "Map" => "Map",
        other => {
            cx.schema(
                format!("Unknown state type: {other}"),
                &format!("{at}/Type"),
            );
            return None;
        }
    };
    let jsonata = match m.get("QueryLanguage") {
        None => cx.top_jsonata,
        Some(Value::String(s)) if s == "JSONata" => true,
        Some(Value::String(s)) if s == "JSONPath" => {
            if cx.top_jsonata {
                cx.schema(
                    "A state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
                    &format!("{at}/QueryLanguage"),
                );
            }
            false
        }
        Some(_) => {
            cx.schema(
                "QueryLanguage must be JSONPath or JSONata",
                &format!("{at}/QueryLanguage"),
            );
            false
        }
    };
    let allowed = allowed(type_name, jsonata);
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            let lang = if jsonata { "JSONata" } else { "JSONPath" };
            cx.schema(
                format!("Field '{k}' is not supported for a {type_name} state using {lang}"),
                &format!("{at}/{k}"),
            );
        }
    }
    if m.contains_key("Parameters") && m.contains_key("Arguments") {
        cx.schema("Parameters and Arguments cannot be used together", at);
    }
    // transitions
    let terminal = matches!(type_name, "Choice" | "Succeed" | "Fail");
    let end = m.get("End").and_then(|v| v.as_bool()).unwrap_or(false);
    let next = if terminal {
        None
    } else {
        match (m.get("Next"), end) {
            (Some(_), true) => {
                cx.schema("Next and End are mutually exclusive", at);
                None
            }
            (Some(n), false) => target(cx, Some(n), &format!("{at}/Next"), index),
            (None, true) => None,
            (None, false) => {
                cx.schema("These fields are required: [Next]", at);
                None
            }
        }
    };
    let (input_path, output_path, result_path) = if jsonata {
        (PathSpec::Default, PathSpec::Default, PathSpec::Default)
    } else {
        (
            path_spec(cx, m, "InputPath", at, false),
            path_spec(cx, m, "OutputPath", at, false),
            path_spec(cx, m, "ResultPath", at, true),
        )
    };
    let (parameters, result_selector, assign, output) = if jsonata {
        (
            ja_template(cx, m, "Arguments", at),
            None,
            ja_template(cx, m, "Assign", at),
            ja_template(cx, m, "Output", at),
        )
    } else {
        let params = if type_name == "Map" {
            None
        } else {
            jp_template(cx, m, "Parameters", at)
        };
        (
            params,
            jp_template(cx, m, "ResultSelector", at),
            jp_template(cx, m, "Assign", at),
            None,
        )
    };
    let retry = retriers(cx, m, at);
    let catch = catchers(cx, m, at, jsonata, index);
    let kind = match type_name {
        "Pass" => Kind::Pass {
            result: m.get("Result").cloned(),
        },
        "Task" => {
            let resource = match m.get("Resource") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    cx.schema("These fields are required: [Resource]", at);
                    String::new()
                }
            };
            let callback = match super::resource::pattern(&resource) {
                Ok(p) => p == super::resource::Pattern::Callback,
                Err(msg) if !resource.is_empty() => {
                    cx.schema(msg, &format!("{at}/Resource"));
                    false
                }
                Err(_) => false,
            };
            let timeout = value_spec(cx, m, "TimeoutSeconds", jsonata, at);
            let heartbeat = value_spec(cx, m, "HeartbeatSeconds", jsonata, at);
            if let (Some(ValueSpec::Lit(t)), Some(ValueSpec::Lit(h))) = (&timeout, &heartbeat) {
                if let (Some(t), Some(h)) = (t.as_f64(), h.as_f64()) {
                    if h >= t {
                        cx.schema(
                            "HeartbeatSeconds must be smaller than TimeoutSeconds",
                            &format!("{at}/HeartbeatSeconds"),
                        );
                    }
                }
            }
            for (field, spec) in [
                ("TimeoutSeconds", &timeout),
                ("HeartbeatSeconds", &heartbeat),
            ] {
                if let Some(ValueSpec::Lit(v)) = spec {
                    if !v.as_u64().is_some_and(|n| n > 0 && n <= 99_999_999) {
                        cx.schema(
                            format!("{field} must be a positive integer no larger than 99999999"),
                            &format!("{at}/{field}"),
                        );
                    }
                }
            }
            Kind::Task {
                resource,
                timeout,
                heartbeat,
                callback,
            }
        }
        "Choice" => {
            let mut choices = Vec::new();
            match m.get("Choices") {
                Some(Value::Array(a)) if !a.is_empty() => {
                    for (i, c) in a.iter().enumerate() {
                        let cat = format!("{at}/Choices[{i}]");
                        let Value::Object(c) = c else {
                            cx.schema("A Choice rule must be an object", &cat);
                            continue;
                        };
                        let rule = if jsonata {
                            match c.get("Condition") {
                                Some(cv) => match Template::jsonata(cv, "Condition") {
                                    Ok(t) => Rule::Condition(t),
                                    Err(e) => {
                                        cx.schema(e, &format!("{cat}/Condition"));
                                        continue;
                                    }
                                },
                                None => {
                                    cx.schema("These fields are required: [Condition]", &cat);
                                    continue;
                                }
                            }
                        } else {
                            match parse_rule(c, &cat) {
                                Ok(r) => r,
                                Err(e) => {
                                    cx.errors.push(e);
                                    continue;
                                }
                            }
                        };
                        let Some(next) = target(cx, c.get("Next"), &format!("{cat}/Next"), index)
                        else {
                            if !c.contains_key("Next") {
                                cx.schema("These fields are required: [Next]", &cat);
                            }
                            continue;
                        };
                        let (assign, output) = if jsonata {
                            (
                                ja_template(cx, c, "Assign", &cat),
                                ja_template(cx, c, "Output", &cat),
                            )
                        } else {
                            (jp_template(cx, c, "Assign", &cat), None)
                        };
                        choices.push(ChoiceBranch {
                            rule,
                            next,
                            assign,
                            output,
                        });
                    }
                }
                _ => cx.schema("These fields are required: [Choices]", at),
            }
            Kind::Choice {
                choices,
                default: target(cx, m.get("Default"), &format!("{at}/Default"), index),
            }
        }
        "Wait" => {
            let secs = value_spec(cx, m, "Seconds", jsonata, at);
            let ts = value_spec(cx, m, "Timestamp", jsonata, at);
            match (secs, ts) {
                (Some(s), None) => Kind::Wait(WaitSpec::Seconds(s)),
                (None, Some(t)) => Kind::Wait(WaitSpec::Timestamp(t)),
                _ => {
                    cx.schema(
                        "A Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
                        at,
                    );
                    Kind::Wait(WaitSpec::Seconds(ValueSpec::Lit(Value::from(0))))
                }
            }
        }
        "Succeed" => Kind::Succeed,
        "Fail" => {
            let mut spec = |field: &str| -> Option<ValueSpec> {
                if jsonata {
                    return match m.get(field) {
                        Some(Value::String(s)) if jsonata_body(s).is_some() => {
                            ja_template(cx, m, field, at).map(ValueSpec::Expr)
                        }
                        Some(v) => Some(ValueSpec::Lit(v.clone())),
                        None => None,
                    };
                }
                value_spec(cx, m, field, false, at)
            };
            let error = spec("Error");
            let cause = spec("Cause");
            Kind::Fail { error, cause }
        }
        "Parallel" => {
            let mut branches = Vec::new();
            match m.get("Branches") {
                Some(Value::Array(a)) => {
                    for (i, b) in a.iter().enumerate() {
                        if let Some(mach) = machine(cx, b, &format!("{at}/Branches[{i}]")) {
                            branches.push(mach);
                        }
                    }
                }
                _ => cx.schema("These fields are required: [Branches]", at),
            }
            Kind::Parallel { branches }
        }
        "Map" => {
            let proc_v = m.get("ItemProcessor").or_else(|| m.get("Iterator"));
            let field = if m.contains_key("ItemProcessor") {
                "ItemProcessor"
            } else {
                "Iterator"
            };
            let Some(pv) = proc_v else {
                cx.schema("These fields are required: [ItemProcessor]", at);
                return None;
            };
            let processor = machine(cx, pv, &format!("{at}/{field}"))?;
            let item_selector = if jsonata {
                ja_template(cx, m, "ItemSelector", at)
            } else if m.contains_key("ItemSelector") {
                jp_template(cx, m, "ItemSelector", at)
            } else {
                jp_template(cx, m, "Parameters", at)
            };
            let items = if jsonata {
                ja_template(cx, m, "Items", at)
            } else {
                None
            };
            let dist = super::distributed::parse(cx, m, pv, jsonata, at);
            let (batch_max_items, batch_input) = match m.get("ItemBatcher") {
                Some(Value::Object(b)) => (
                    value_spec(
                        cx,
                        b,
                        "MaxItemsPerBatch",
                        jsonata,
                        &format!("{at}/ItemBatcher"),
                    ),
                    if jsonata {
                        ja_template(cx, b, "BatchInput", at)
                    } else {
                        jp_template(cx, b, "BatchInput", at)
                    },
                ),
                _ => (None, None),
            };
            Kind::Map(Box::new(MapSpec {
                processor,
                items_path: if jsonata {
                    PathSpec::Default
                } else {
                    path_spec(cx, m, "ItemsPath", at, false)
                },
                items,
                item_selector,
                max_concurrency: value_spec(cx, m, "MaxConcurrency", jsonata, at),
                tolerated_count: value_spec(cx, m, "ToleratedFailureCount", jsonata, at),
                tolerated_percentage: value_spec(cx, m, "ToleratedFailurePercentage", jsonata, at),
                batch_max_items,
                batch_input,
                dist,
            }))
        }
        _ => return None,
    };
    Some(State {
        name: Arc::from(name),
        type_name,
        jsonata,
        next,
        input_path,
        output_path,
        result_path,
        parameters,
        result_selector,
        assign,
        output,
        retry,
        catch,
        kind,
    })
}

/// Compile a standalone JSONata expression (used by tests and the bench).
pub fn jsonata_expr(text: &str) -> Result<crate::template::JExpr, String> {
    compile_jsonata_expr(text)
}
