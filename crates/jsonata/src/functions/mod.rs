//! The function library: JSONata's built-ins plus the ones Step Functions adds
//! (`$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid`, `$parse`), as one table from a
//! name to its implementation and signature ([`BUILTINS`]), the implementations in modules by
//! family. What this implementation does not do (a date picture or timezone, the `%` parent
//! operator, transforms) is refused with an error that says so, never evaluated wrongly.

mod array;
mod date;
mod higher_order;
mod numeric;
mod object;
mod string;

use crate::eval::{deep_eq, err, items, num, truthy, Ctx, Func, Val};
use crate::Error;
use serde_json::{Map, Value};
use std::rc::Rc;

/// A built-in's implementation: the evaluation context, the name it was called by (one
/// implementation may serve several names, `$abs`/`$floor`…), its arguments and the
/// context value.
type Impl =
    for<'a, 'c> fn(&mut Ctx<'a, 'c>, &str, Vec<Val<'a>>, Option<&Value>) -> Result<Val<'a>, Error>;

/// One built-in function and its signature.
pub struct Builtin {
    pub name: &'static str,
    /// the most arguments JSONata's signature takes (more is T0410)
    pub max_args: usize,
    /// called without arguments, it takes the context value (`$uppercase()` = `$uppercase($)`)
    pub context: bool,
    call: Impl,
}

/// Every built-in, sorted by name (a binary search finds one).
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "abs",
        max_args: 1,
        context: false,
        call: numeric::abs_floor_ceil_sqrt,
    },
    Builtin {
        name: "append",
        max_args: 2,
        context: false,
        call: array::append,
    },
    Builtin {
        name: "assert",
        max_args: 2,
        context: false,
        call: object::assert,
    },
    Builtin {
        name: "average",
        max_args: 1,
        context: false,
        call: numeric::sum_max_min_average,
    },
    Builtin {
        name: "base64decode",
        max_args: 1,
        context: true,
        call: string::base64decode,
    },
    Builtin {
        name: "base64encode",
        max_args: 1,
        context: true,
        call: string::base64encode,
    },
    Builtin {
        name: "boolean",
        max_args: 1,
        context: true,
        call: object::boolean,
    },
    Builtin {
        name: "ceil",
        max_args: 1,
        context: false,
        call: numeric::abs_floor_ceil_sqrt,
    },
    Builtin {
        name: "contains",
        max_args: 2,
        context: true,
        call: string::contains,
    },
    Builtin {
        name: "count",
        max_args: 1,
        context: false,
        call: array::count,
    },
    Builtin {
        name: "decodeUrl",
        max_args: 1,
        context: false,
        call: string::decode_url,
    },
    Builtin {
        name: "decodeUrlComponent",
        max_args: 1,
        context: false,
        call: string::decode_url,
    },
    Builtin {
        name: "distinct",
        max_args: 1,
        context: false,
        call: array::distinct,
    },
    Builtin {
        name: "each",
        max_args: 2,
        context: false,
        call: higher_order::each_sift,
    },
    Builtin {
        name: "encodeUrl",
        max_args: 1,
        context: false,
        call: string::encode_url,
    },
    Builtin {
        name: "encodeUrlComponent",
        max_args: 1,
        context: false,
        call: string::encode_url,
    },
    Builtin {
        name: "error",
        max_args: 1,
        context: false,
        call: object::error_,
    },
    Builtin {
        name: "eval",
        max_args: 2,
        context: false,
        call: higher_order::eval,
    },
    Builtin {
        name: "exists",
        max_args: 1,
        context: true,
        call: object::exists_,
    },
    Builtin {
        name: "filter",
        max_args: 2,
        context: false,
        call: higher_order::map_filter,
    },
    Builtin {
        name: "floor",
        max_args: 1,
        context: false,
        call: numeric::abs_floor_ceil_sqrt,
    },
    Builtin {
        name: "formatBase",
        max_args: 2,
        context: false,
        call: numeric::format_base,
    },
    Builtin {
        name: "formatNumber",
        max_args: 3,
        context: false,
        call: numeric::format_number,
    },
    Builtin {
        name: "fromMillis",
        max_args: 3,
        context: false,
        call: date::from_millis,
    },
    Builtin {
        name: "hash",
        max_args: 2,
        context: false,
        call: string::hash,
    },
    Builtin {
        name: "join",
        max_args: 2,
        context: false,
        call: string::join,
    },
    Builtin {
        name: "keys",
        max_args: 1,
        context: true,
        call: object::keys,
    },
    Builtin {
        name: "length",
        max_args: 1,
        context: true,
        call: string::length,
    },
    Builtin {
        name: "lookup",
        max_args: 2,
        context: false,
        call: object::lookup,
    },
    Builtin {
        name: "lowercase",
        max_args: 1,
        context: true,
        call: string::lowercase,
    },
    Builtin {
        name: "map",
        max_args: 2,
        context: false,
        call: higher_order::map_filter,
    },
    Builtin {
        name: "match",
        max_args: 3,
        context: true,
        call: string::match_regex,
    },
    Builtin {
        name: "max",
        max_args: 1,
        context: false,
        call: numeric::sum_max_min_average,
    },
    Builtin {
        name: "merge",
        max_args: 1,
        context: false,
        call: object::merge,
    },
    Builtin {
        name: "millis",
        max_args: 0,
        context: false,
        call: date::millis,
    },
    Builtin {
        name: "min",
        max_args: 1,
        context: false,
        call: numeric::sum_max_min_average,
    },
    Builtin {
        name: "not",
        max_args: 1,
        context: false,
        call: object::not_,
    },
    Builtin {
        name: "now",
        max_args: 2,
        context: false,
        call: date::now,
    },
    Builtin {
        name: "number",
        max_args: 1,
        context: true,
        call: numeric::number,
    },
    Builtin {
        name: "pad",
        max_args: 3,
        context: true,
        call: string::pad,
    },
    Builtin {
        name: "parse",
        max_args: 1,
        context: false,
        call: object::parse_json,
    },
    Builtin {
        name: "partition",
        max_args: 2,
        context: false,
        call: array::partition,
    },
    Builtin {
        name: "power",
        max_args: 2,
        context: false,
        call: numeric::power,
    },
    Builtin {
        name: "random",
        max_args: 1,
        context: false,
        call: numeric::random,
    },
    Builtin {
        name: "range",
        max_args: 3,
        context: false,
        call: array::range,
    },
    Builtin {
        name: "reduce",
        max_args: 3,
        context: false,
        call: higher_order::reduce,
    },
    Builtin {
        name: "replace",
        max_args: 4,
        context: true,
        call: string::replace,
    },
    Builtin {
        name: "reverse",
        max_args: 1,
        context: false,
        call: array::reverse,
    },
    Builtin {
        name: "round",
        max_args: 2,
        context: false,
        call: numeric::round,
    },
    Builtin {
        name: "shuffle",
        max_args: 1,
        context: false,
        call: array::shuffle,
    },
    Builtin {
        name: "sift",
        max_args: 2,
        context: false,
        call: higher_order::each_sift,
    },
    Builtin {
        name: "single",
        max_args: 2,
        context: false,
        call: higher_order::single,
    },
    Builtin {
        name: "sort",
        max_args: 2,
        context: false,
        call: array::sort,
    },
    Builtin {
        name: "split",
        max_args: 3,
        context: true,
        call: string::split,
    },
    Builtin {
        name: "spread",
        max_args: 1,
        context: false,
        call: object::spread,
    },
    Builtin {
        name: "sqrt",
        max_args: 1,
        context: false,
        call: numeric::abs_floor_ceil_sqrt,
    },
    Builtin {
        name: "string",
        max_args: 2,
        context: true,
        call: string::string_,
    },
    Builtin {
        name: "substring",
        max_args: 3,
        context: true,
        call: string::substring,
    },
    Builtin {
        name: "substringAfter",
        max_args: 2,
        context: true,
        call: string::substring_before_after,
    },
    Builtin {
        name: "substringBefore",
        max_args: 2,
        context: true,
        call: string::substring_before_after,
    },
    Builtin {
        name: "sum",
        max_args: 1,
        context: false,
        call: numeric::sum_max_min_average,
    },
    Builtin {
        name: "toMillis",
        max_args: 2,
        context: false,
        call: date::to_millis,
    },
    Builtin {
        name: "trim",
        max_args: 1,
        context: true,
        call: string::trim,
    },
    Builtin {
        name: "type",
        max_args: 1,
        context: true,
        call: object::type_of,
    },
    Builtin {
        name: "uppercase",
        max_args: 1,
        context: true,
        call: string::uppercase,
    },
    Builtin {
        name: "uuid",
        max_args: 0,
        context: false,
        call: string::uuid,
    },
    Builtin {
        name: "zip",
        max_args: usize::MAX,
        context: false,
        call: array::zip,
    },
];

/// The built-in of that name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .map(|i| &BUILTINS[i])
}

pub fn exists(name: &str) -> bool {
    builtin(name).is_some()
}

/// Call built-in `name`; `input` is the context (used when an argument is omitted).
pub fn call<'a>(
    cx: &mut Ctx<'a, '_>,
    name: &str,
    mut args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(b) = builtin(name) else {
        return Err(err("T1006", "Attempted to invoke a non-function"));
    };
    if args.len() > b.max_args {
        return Err(arg_err(b.max_args, b.name));
    }
    if args.is_empty() && b.context {
        if let Some(v) = input {
            args.push(Val::J(v.clone()));
        }
    }
    (b.call)(cx, b.name, args, input)
}

/// JSONata's `$string` of a JSON value (undefined → "").
pub fn stringify(v: Option<&Value>) -> Result<String, Error> {
    Ok(match v {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => num_text(n.as_f64().unwrap_or(0.0))?,
        Some(other) => compact(other)?,
    })
}

fn num_text(f: f64) -> Result<String, Error> {
    if !f.is_finite() {
        return Err(err(
            "D3001",
            "Attempting to invoke string function on Infinity or NaN",
        ));
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return Ok(format!("{}", f as i128));
    }
    // 15 significant digits, as JSONata does
    let s = format!("{:.15e}", f);
    let v: f64 = s.parse().unwrap_or(f);
    Ok(format!("{v}"))
}

fn compact(v: &Value) -> Result<String, Error> {
    // numbers inside structures use the same rendering
    Ok(match v {
        Value::Number(n) => num_text(n.as_f64().unwrap_or(0.0))?,
        Value::Array(a) => {
            let parts: Result<Vec<String>, Error> = a.iter().map(compact).collect();
            format!("[{}]", parts?.join(","))
        }
        Value::Object(m) => {
            let mut parts = Vec::new();
            for (k, x) in m {
                parts.push(format!("{}:{}", Value::String(k.clone()), compact(x)?));
            }
            format!("{{{}}}", parts.join(","))
        }
        other => other.to_string(),
    })
}

fn regex_arg(v: &Val<'_>) -> Option<regex::Regex> {
    if let Val::J(Value::String(s)) = v {
        if let Some(p) = s.strip_prefix("\u{0}regex:") {
            return regex::Regex::new(p).ok();
        }
    }
    None
}

fn arg_err(i: usize, name: &str) -> Error {
    err(
        "T0410",
        format!(
            "Argument {} of function \"{name}\" does not match function signature",
            i + 1
        ),
    )
}

fn str_arg(args: &[Val<'_>], i: usize, name: &str) -> Result<Option<String>, Error> {
    match args.get(i).and_then(|v| v.json_ref()) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(arg_err(i, name)),
    }
}

fn num_arg(args: &[Val<'_>], i: usize, name: &str) -> Result<Option<f64>, Error> {
    match args.get(i).and_then(|v| v.json_ref()) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(arg_err(i, name)),
    }
}

fn arr_arg(args: &[Val<'_>], i: usize) -> Option<Vec<Value>> {
    let v = args.get(i)?.clone();
    if v.is_undef() {
        return None;
    }
    Some(items(v))
}

fn func_arg<'a>(args: &[Val<'a>], i: usize, name: &str) -> Result<Rc<Func<'a>>, Error> {
    match args.get(i) {
        Some(Val::F(f)) => Ok(f.clone()),
        _ => Err(arg_err(i, name)),
    }
}

fn seq<'a>(v: Vec<Value>) -> Val<'a> {
    Val::Seq(v, false)
}

fn j<'a>(v: Value) -> Val<'a> {
    Val::J(v)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_has_each_name_once() {
        for pair in BUILTINS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        assert!(exists("uppercase") && exists("partition") && !exists("nope"));
    }
}
