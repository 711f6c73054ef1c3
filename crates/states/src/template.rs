//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector`, `Assign` (JSONPath:
//! keys ending in `.$` take a path or an intrinsic) and `Arguments`/`Output`/`Assign`
//! (JSONata: strings written `{% expr %}`), compiled once and evaluated per state.

use crate::error::Failure;
use crate::intrinsics::{looks_like_call, Call};
use crate::path::Path;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A compiled JSONata expression with its source text.
#[derive(Debug, Clone)]
pub struct JExpr {
    pub expr: Arc<jsonata::Expr>,
    pub text: String,
    /// which parts of `$states` the text can reach (so large inputs are not copied for
    /// expressions that never read them)
    pub uses: StatesUse,
}

/// The parts of `$states` an expression names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatesUse {
    /// `$states` used whole (or in a way the text does not show)
    pub all: bool,
    pub input: bool,
    pub result: bool,
    pub error_output: bool,
    /// `$states.context` used whole
    pub context_all: bool,
    /// top-level context keys named (`Execution`, `Map` ...)
    pub context_keys: Vec<String>,
}

impl StatesUse {
    /// Scan an expression's text for `$states...` references.
    pub fn of(text: &str) -> StatesUse {
        let mut u = StatesUse::default();
        let ident = |r: &str| -> String {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        for (i, _) in text.match_indices("$states") {
            let rest = &text[i + "$states".len()..];
            let Some(after_dot) = rest.strip_prefix('.') else {
                u.all = true;
                continue;
            };
            let key = ident(after_dot);
            match key.as_str() {
                "input" => u.input = true,
                "result" => u.result = true,
                "errorOutput" => u.error_output = true,
                "context" => {
                    let r = &after_dot["context".len()..];
                    match r.strip_prefix('.') {
                        Some(k) if !ident(k).is_empty() => {
                            let k = ident(k);
                            if !u.context_keys.contains(&k) {
                                u.context_keys.push(k);
                            }
                        }
                        _ => u.context_all = true,
                    }
                }
                _ => u.all = true,
            }
        }
        u
    }
}

#[derive(Debug, Clone)]
pub enum Template {
    Lit(Value),
    Obj(Vec<(String, Template)>),
    Arr(Vec<Template>),
    /// a JSONPath reference, with the field name for error texts (`value.$`)
    Path(Path, String),
    Call(Call, String),
    /// a JSONata expression, with the field name for error texts (`Output/result`)
    Expr(JExpr, String),
}

/// Reads paths and evaluates expressions for templates.
pub trait Resolver {
    fn path(&self, p: &Path, field: &str) -> Result<Value, Failure>;
    fn call(&self, c: &Call, field: &str) -> Result<Value, Failure>;
    fn jsonata(&self, e: &JExpr, field: &str) -> Result<Value, Failure>;
}

/// Split `{% expr %}` into `expr`.
pub fn jsonata_body(s: &str) -> Option<&str> {
    s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
}

pub fn compile_jsonata_expr(text: &str) -> Result<JExpr, String> {
    jsonata::Expr::parse(text)
        .map(|e| JExpr {
            uses: StatesUse::of(text),
            expr: Arc::new(e),
            text: text.trim().to_string(),
        })
        .map_err(|e| e.to_string())
}

impl Template {
    /// Compile a JSONPath-language payload template.
    pub fn jsonpath(v: &Value) -> Result<Template, String> {
        Ok(match v {
            Value::Object(m) => {
                if !needs_eval(v) {
                    return Ok(Template::Lit(v.clone()));
                }
                let mut out = Vec::with_capacity(m.len());
                for (k, x) in m {
                    if let Some(base) = k.strip_suffix(".$") {
                        let Value::String(s) = x else {
                            return Err(format!(
                                "The value for the field '{k}' must be a STRING that contains a JSONPath but was an {}",
                                type_name(x)
                            ));
                        };
                        let t = if looks_like_call(s) {
                            Template::Call(Call::parse(s)?, k.clone())
                        } else {
                            Template::Path(
                                Path::parse(s).map_err(|_| {
                                    format!("The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call")
                                })?,
                                k.clone(),
                            )
                        };
                        out.push((base.to_string(), t));
                    } else {
                        out.push((k.clone(), Template::jsonpath(x)?));
                    }
                }
                Template::Obj(out)
            }
            Value::Array(a) if needs_eval(v) => {
                Template::Arr(a.iter().map(Template::jsonpath).collect::<Result<_, _>>()?)
            }
            other => Template::Lit(other.clone()),
        })
    }

    /// Compile a JSONata-language template (`field` names it in error texts).
    pub fn jsonata(v: &Value, field: &str) -> Result<Template, String> {
        Ok(match v {
            Value::String(s) => match jsonata_body(s) {
                Some(body) => Template::Expr(compile_jsonata_expr(body)?, field.to_string()),
                None => Template::Lit(v.clone()),
            },
            Value::Object(m) => {
                let mut out = Vec::with_capacity(m.len());
                let mut dynamic = false;
                for (k, x) in m {
                    let t = Template::jsonata(x, &format!("{field}/{k}"))?;
                    dynamic |= !matches!(t, Template::Lit(_));
                    out.push((k.clone(), t));
                }
                if dynamic {
                    Template::Obj(out)
                } else {
                    Template::Lit(v.clone())
                }
            }
            Value::Array(a) => {
                let items: Vec<Template> = a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| Template::jsonata(x, &format!("{field}[{i}]")))
                    .collect::<Result<_, _>>()?;
                if items.iter().all(|t| matches!(t, Template::Lit(_))) {
                    Template::Lit(v.clone())
                } else {
                    Template::Arr(items)
                }
            }
            other => Template::Lit(other.clone()),
        })
    }

    pub fn eval(&self, r: &dyn Resolver) -> Result<Value, Failure> {
        Ok(match self {
            Template::Lit(v) => v.clone(),
            Template::Obj(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    m.insert(k.clone(), t.eval(r)?);
                }
                Value::Object(m)
            }
            Template::Arr(items) => {
                Value::Array(items.iter().map(|t| t.eval(r)).collect::<Result<_, _>>()?)
            }
            Template::Path(p, f) => r.path(p, f)?,
            Template::Call(c, f) => r.call(c, f)?,
            Template::Expr(e, f) => r.jsonata(e, f)?,
        })
    }

    /// Every JSONata expression / path in the template (for static checks).
    pub fn visit_paths(&self, f: &mut dyn FnMut(&Path)) {
        match self {
            Template::Obj(fs) => fs.iter().for_each(|(_, t)| t.visit_paths(f)),
            Template::Arr(a) => a.iter().for_each(|t| t.visit_paths(f)),
            Template::Path(p, _) => f(p),
            _ => {}
        }
    }
}

fn needs_eval(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| k.ends_with(".$") || needs_eval(x)),
        Value::Array(a) => a.iter().any(needs_eval),
        _ => false,
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// AWS's cause when a JSONata field evaluates to a value of the wrong type (`Items` not an
/// array, a Choice `Condition` not a boolean). The value is shown as AWS shows it: a string
/// between double quotes as it is (not JSON-escaped), anything else as compact JSON.
pub fn unexpected_type_cause(expr: &str, field: &str, expected: &str, value: &Value) -> String {
    let shown = match value {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    format!(
        "The JSONata expression '{expr}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {shown}",
        type_name(value)
    )
}

#[cfg(test)]
mod tests {
    use super::StatesUse;

    #[test]
    fn unexpected_type_causes_show_the_value_as_aws_does() {
        use serde_json::json;
        let cause = |v: serde_json::Value| super::unexpected_type_cause("$x", "Items", "array", &v);
        assert_eq!(
            cause(json!("string")),
            "The JSONata expression '$x' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"string\""
        );
        // a string is quoted as it is, not JSON-escaped
        assert!(cause(json!("say \"hi\"\nbye")).ends_with("for value: \"say \"hi\"\nbye\""));
        assert!(cause(json!({"foo": "b\"r"})).ends_with(r#"for value: {"foo":"b\"r"}"#));
        assert!(cause(json!(null)).ends_with("'null' for value: null"));
        assert!(cause(json!(true)).ends_with("'boolean' for value: true"));
        assert!(cause(json!(1)).ends_with("'number' for value: 1"));
    }

    #[test]
    fn states_use_scan() {
        let u = StatesUse::of("$states.context.Map.Item.Value & $states.input.x");
        assert!(u.input && !u.all && !u.context_all && !u.result);
        assert_eq!(u.context_keys, vec!["Map".to_string()]);
        assert!(StatesUse::of("$keys($states)").all);
        assert!(StatesUse::of("$states.context").context_all);
        assert!(StatesUse::of("$states.result.Payload").result);
        assert_eq!(StatesUse::of("1 + 1"), StatesUse::default());
    }
}
