//! Choice rules: comparison operators (and their `...Path` variants), `And`/`Or`/`Not`,
//! type tests and `StringMatches`, plus the JSONata `Condition`.

use crate::path::Path;
use crate::template::Template;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Lit(Value),
    Path(Path),
}

#[derive(Debug, Clone)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        var: Path,
        kind: Kind,
        cmp: Cmp,
        operand: Operand,
    },
    Matches {
        var: Path,
        pattern: String,
    },
    Is {
        var: Path,
        test: &'static str,
        expect: bool,
    },
    Condition(Template),
}

const OPS: &[(&str, Kind, Cmp)] = &[
    ("StringEquals", Kind::String, Cmp::Eq),
    ("StringLessThan", Kind::String, Cmp::Lt),
    ("StringGreaterThan", Kind::String, Cmp::Gt),
    ("StringLessThanEquals", Kind::String, Cmp::Le),
    ("StringGreaterThanEquals", Kind::String, Cmp::Ge),
    ("NumericEquals", Kind::Numeric, Cmp::Eq),
    ("NumericLessThan", Kind::Numeric, Cmp::Lt),
    ("NumericGreaterThan", Kind::Numeric, Cmp::Gt),
    ("NumericLessThanEquals", Kind::Numeric, Cmp::Le),
    ("NumericGreaterThanEquals", Kind::Numeric, Cmp::Ge),
    ("BooleanEquals", Kind::Boolean, Cmp::Eq),
    ("TimestampEquals", Kind::Timestamp, Cmp::Eq),
    ("TimestampLessThan", Kind::Timestamp, Cmp::Lt),
    ("TimestampGreaterThan", Kind::Timestamp, Cmp::Gt),
    ("TimestampLessThanEquals", Kind::Timestamp, Cmp::Le),
    ("TimestampGreaterThanEquals", Kind::Timestamp, Cmp::Ge),
];

const TESTS: &[&str] = &[
    "IsNull",
    "IsPresent",
    "IsNumeric",
    "IsString",
    "IsBoolean",
    "IsTimestamp",
];

/// Parse one rule object (JSONPath flavour). `at` is the location for error texts.
pub fn parse_rule(m: &Map<String, Value>, at: &str) -> Result<Rule, String> {
    if let Some(v) = m.get("And").or_else(|| m.get("Or")) {
        let is_and = m.contains_key("And");
        let Value::Array(items) = v else {
            return Err(format!(
                "SCHEMA_VALIDATION_FAILED: The value of And/Or must be an array at {at}"
            ));
        };
        if items.is_empty() {
            return Err(format!(
                "SCHEMA_VALIDATION_FAILED: And/Or must not be empty at {at}"
            ));
        }
        let mut rules = Vec::new();
        for (i, x) in items.iter().enumerate() {
            let Value::Object(o) = x else {
                return Err(format!(
                    "SCHEMA_VALIDATION_FAILED: A rule must be an object at {at}[{i}]"
                ));
            };
            rules.push(parse_rule(
                o,
                &format!("{at}/{}[{i}]", if is_and { "And" } else { "Or" }),
            )?);
        }
        return Ok(if is_and {
            Rule::And(rules)
        } else {
            Rule::Or(rules)
        });
    }
    if let Some(v) = m.get("Not") {
        let Value::Object(o) = v else {
            return Err(format!(
                "SCHEMA_VALIDATION_FAILED: Not must be an object at {at}"
            ));
        };
        return Ok(Rule::Not(Box::new(parse_rule(o, &format!("{at}/Not"))?)));
    }
    let var = match m.get("Variable") {
        Some(Value::String(s)) => {
            Path::parse(s).map_err(|e| format!("INVALID_JSON_PATH: {} at {at}/Variable", e.0))?
        }
        _ => {
            return Err(format!(
                "SCHEMA_VALIDATION_FAILED: These fields are required: [Variable] at {at}"
            ))
        }
    };
    for (name, kind, cmp) in OPS {
        if let Some(v) = m.get(*name) {
            check_operand(*kind, v, name, at)?;
            return Ok(Rule::Compare {
                var,
                kind: *kind,
                cmp: *cmp,
                operand: Operand::Lit(v.clone()),
            });
        }
        let pname = format!("{name}Path");
        if let Some(v) = m.get(&pname) {
            let Value::String(s) = v else {
                return Err(format!(
                    "SCHEMA_VALIDATION_FAILED: {pname} must be a string at {at}"
                ));
            };
            let p = Path::parse(s)
                .map_err(|e| format!("INVALID_JSON_PATH: {} at {at}/{pname}", e.0))?;
            return Ok(Rule::Compare {
                var,
                kind: *kind,
                cmp: *cmp,
                operand: Operand::Path(p),
            });
        }
    }
    if let Some(v) = m.get("StringMatches") {
        let Value::String(s) = v else {
            return Err(format!(
                "SCHEMA_VALIDATION_FAILED: StringMatches must be a string at {at}"
            ));
        };
        return Ok(Rule::Matches {
            var,
            pattern: s.clone(),
        });
    }
    for t in TESTS {
        if let Some(v) = m.get(*t) {
            let Value::Bool(b) = v else {
                return Err(format!(
                    "SCHEMA_VALIDATION_FAILED: {t} must be a boolean at {at}"
                ));
            };
            return Ok(Rule::Is {
                var,
                test: t,
                expect: *b,
            });
        }
    }
    Err(format!(
        "SCHEMA_VALIDATION_FAILED: The Choice rule has no comparison operator at {at}"
    ))
}

fn check_operand(kind: Kind, v: &Value, name: &str, at: &str) -> Result<(), String> {
    let ok = match kind {
        Kind::String => v.is_string(),
        Kind::Numeric => v.is_number(),
        Kind::Boolean => v.is_boolean(),
        Kind::Timestamp => v.as_str().is_some_and(|s| parse_ts(s).is_some()),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "SCHEMA_VALIDATION_FAILED: The value of {name} has the wrong type at {at}/{name}"
        ))
    }
}

/// Parse an RFC 3339 timestamp (AWS requires the `T` and an offset or `Z`).
pub fn parse_ts(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .filter(|_| s.contains('T'))
}

/// `StringMatches`: `*` matches any run of characters, `\*` and `\\` are literal.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => toks.push(Tok::Ch(n)),
                None => toks.push(Tok::Ch('\\')),
            },
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let chars: Vec<char> = s.chars().collect();
    // classic wildcard matching with backtracking on the last star
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < chars.len() {
        if j < toks.len() && toks[j] == Tok::Ch(chars[i]) {
            i += 1;
            j += 1;
        } else if j < toks.len() && toks[j] == Tok::Star {
            star = Some((j, i));
            j += 1;
        } else if let Some((sj, si)) = star {
            j = sj + 1;
            i = si + 1;
            star = Some((sj, si + 1));
        } else {
            return false;
        }
    }
    while j < toks.len() && toks[j] == Tok::Star {
        j += 1;
    }
    j == toks.len()
}

fn ord_ok(o: std::cmp::Ordering, cmp: Cmp) -> bool {
    use std::cmp::Ordering::*;
    match cmp {
        Cmp::Eq => o == Equal,
        Cmp::Lt => o == Less,
        Cmp::Gt => o == Greater,
        Cmp::Le => o != Greater,
        Cmp::Ge => o != Less,
    }
}

/// Compare a variable's value with an operand value for one operator.
pub fn compare(kind: Kind, cmp: Cmp, v: &Value, operand: &Value) -> bool {
    match kind {
        Kind::String => match (v, operand) {
            (Value::String(a), Value::String(b)) => ord_ok(a.as_str().cmp(b.as_str()), cmp),
            _ => false,
        },
        Kind::Numeric => match (v.as_f64(), operand.as_f64()) {
            (Some(a), Some(b)) if v.is_number() && operand.is_number() => {
                a.partial_cmp(&b).is_some_and(|o| ord_ok(o, cmp))
            }
            _ => false,
        },
        Kind::Boolean => match (v, operand) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        },
        Kind::Timestamp => match (
            v.as_str().and_then(parse_ts),
            operand.as_str().and_then(parse_ts),
        ) {
            (Some(a), Some(b)) => ord_ok(a.cmp(&b), cmp),
            _ => false,
        },
    }
}

/// The type tests (`IsNull` ...); `v` is None when the path is absent.
pub fn type_test(test: &str, v: Option<&Value>) -> bool {
    match test {
        "IsPresent" => v.is_some(),
        "IsNull" => matches!(v, Some(Value::Null)),
        "IsNumeric" => matches!(v, Some(Value::Number(_))),
        "IsString" => matches!(v, Some(Value::String(_))),
        "IsBoolean" => matches!(v, Some(Value::Bool(_))),
        "IsTimestamp" => v.and_then(|x| x.as_str()).and_then(parse_ts).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcard() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("abc", "*"));
        assert!(string_matches("a*c", "a\\*c"));
        assert!(!string_matches("abc", "a\\*c"));
        assert!(string_matches("", "*"));
        assert!(!string_matches("abd", "*c"));
        assert!(string_matches("xaaac", "x*a*c"));
    }

    #[test]
    fn comparisons() {
        assert!(compare(Kind::Numeric, Cmp::Eq, &json!(1), &json!(1.0)));
        assert!(!compare(Kind::Numeric, Cmp::Eq, &json!("1"), &json!(1)));
        assert!(compare(Kind::String, Cmp::Lt, &json!("a"), &json!("b")));
        assert!(compare(
            Kind::Timestamp,
            Cmp::Lt,
            &json!("2016-03-14T01:59:00Z"),
            &json!("2016-03-14T02:00:00+00:00")
        ));
        assert!(type_test(
            "IsTimestamp",
            Some(&json!("2016-03-14T01:59:00Z"))
        ));
        assert!(!type_test(
            "IsTimestamp",
            Some(&json!("2016-03-14 01:59:00Z"))
        ));
    }
}
