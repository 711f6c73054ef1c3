//! The function library: JSONata's built-ins plus the ones Step Functions adds
//! (`$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid`, `$parse`).

use crate::eval::{deep_eq, err, items, num, truthy, Ctx, Func, Val};
use crate::Error;
use serde_json::{Map, Value};
use std::rc::Rc;

const NAMES: &[&str] = &[
    "string",
    "length",
    "substring",
    "substringBefore",
    "substringAfter",
    "uppercase",
    "lowercase",
    "trim",
    "pad",
    "contains",
    "split",
    "join",
    "match",
    "replace",
    "number",
    "abs",
    "floor",
    "ceil",
    "round",
    "power",
    "sqrt",
    "random",
    "sum",
    "max",
    "min",
    "average",
    "count",
    "append",
    "sort",
    "reverse",
    "shuffle",
    "distinct",
    "zip",
    "keys",
    "lookup",
    "spread",
    "merge",
    "each",
    "sift",
    "map",
    "filter",
    "reduce",
    "single",
    "exists",
    "type",
    "boolean",
    "not",
    "now",
    "millis",
    "fromMillis",
    "toMillis",
    "base64encode",
    "base64decode",
    "encodeUrl",
    "encodeUrlComponent",
    "decodeUrl",
    "decodeUrlComponent",
    "error",
    "assert",
    "eval",
    "formatNumber",
    "formatBase",
    "partition",
    "range",
    "hash",
    "uuid",
    "parse",
];

pub fn exists(name: &str) -> bool {
    NAMES.contains(&name)
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

/// Call built-in `name`; `input` is the context (used when an argument is omitted).
pub fn call<'a>(
    cx: &mut Ctx<'a, '_>,
    name: &str,
    mut args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    // context-defaulting functions
    const CONTEXT_DEFAULT: &[&str] = &[
        "string",
        "length",
        "substring",
        "substringBefore",
        "substringAfter",
        "uppercase",
        "lowercase",
        "trim",
        "pad",
        "contains",
        "split",
        "match",
        "replace",
        "number",
        "base64encode",
        "base64decode",
        "boolean",
        "keys",
        "exists",
        "type",
    ];
    if args.is_empty() && CONTEXT_DEFAULT.contains(&name) {
        if let Some(v) = input {
            args.push(Val::J(v.clone()));
        }
    }
    let n = name;
    Ok(match name {
        "string" => match args.first() {
            None => Val::Undef,
            Some(v) if v.is_undef() => Val::Undef,
            Some(Val::F(_)) => j(Value::String(String::new())),
            Some(v) => j(Value::String(stringify(v.json_ref().as_ref())?)),
        },
        "length" => match str_arg(&args, 0, n)? {
            Some(s) => j(Value::from(s.chars().count())),
            None => Val::Undef,
        },
        "substring" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let mut start = num_arg(&args, 1, n)?.unwrap_or(0.0) as i64;
            if start < 0 {
                start = (len + start).max(0);
            }
            let start = start.min(len);
            let end = match num_arg(&args, 2, n)? {
                Some(l) => start.saturating_add((l as i64).max(0)).min(len),
                None => len,
            };
            j(Value::String(
                chars[start as usize..end as usize].iter().collect(),
            ))
        }
        "substringBefore" | "substringAfter" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let c = str_arg(&args, 1, n)?.unwrap_or_default();
            j(Value::String(match s.find(&c) {
                Some(i) if name == "substringBefore" => s[..i].to_string(),
                Some(i) => s[i + c.len()..].to_string(),
                None => s,
            }))
        }
        "uppercase" => str_arg(&args, 0, n)?
            .map(|s| j(Value::String(s.to_uppercase())))
            .unwrap_or(Val::Undef),
        "lowercase" => str_arg(&args, 0, n)?
            .map(|s| j(Value::String(s.to_lowercase())))
            .unwrap_or(Val::Undef),
        "trim" => str_arg(&args, 0, n)?
            .map(|s| {
                j(Value::String(
                    s.split_whitespace().collect::<Vec<_>>().join(" "),
                ))
            })
            .unwrap_or(Val::Undef),
        "pad" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let w = (num_arg(&args, 1, n)?.unwrap_or(0.0) as i64).clamp(-10_000_000, 10_000_000);
            let ch = str_arg(&args, 2, n)?.unwrap_or_else(|| " ".into());
            let len = s.chars().count() as i64;
            if w.abs() <= len || ch.is_empty() {
                return Ok(j(Value::String(s)));
            }
            let pad: String = ch.chars().cycle().take((w.abs() - len) as usize).collect();
            j(Value::String(if w > 0 { s + &pad } else { pad + &s }))
        }
        "contains" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            match args.get(1).and_then(regex_arg) {
                Some(re) => j(Value::Bool(re.is_match(&s))),
                None => j(Value::Bool(
                    s.contains(&str_arg(&args, 1, n)?.unwrap_or_default()),
                )),
            }
        }
        "split" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let limit = num_arg(&args, 2, n)?.map(|l| l as usize);
            let mut parts: Vec<Value> = match args.get(1).and_then(regex_arg) {
                Some(re) => re.split(&s).map(|x| Value::String(x.into())).collect(),
                None => {
                    let sep = str_arg(&args, 1, n)?.unwrap_or_default();
                    if sep.is_empty() {
                        s.chars().map(|c| Value::String(c.to_string())).collect()
                    } else {
                        s.split(sep.as_str())
                            .map(|x| Value::String(x.into()))
                            .collect()
                    }
                }
            };
            if let Some(l) = limit {
                parts.truncate(l);
            }
            Val::Cons(parts)
        }
        "join" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let sep = str_arg(&args, 1, n)?.unwrap_or_default();
            let mut parts = Vec::new();
            for x in a {
                match x {
                    Value::String(s) => parts.push(s),
                    _ => return Err(arg_err(0, n)),
                }
            }
            j(Value::String(parts.join(&sep)))
        }
        "match" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let re = args
                .get(1)
                .and_then(regex_arg)
                .ok_or_else(|| arg_err(1, n))?;
            let mut out = Vec::new();
            for c in re.captures_iter(&s) {
                let Some(m) = c.get(0) else { continue };
                let groups: Vec<Value> = c
                    .iter()
                    .skip(1)
                    .map(|g| Value::String(g.map(|g| g.as_str().to_string()).unwrap_or_default()))
                    .collect();
                let mut o = Map::new();
                o.insert("match".into(), Value::String(m.as_str().into()));
                o.insert("index".into(), Value::from(s[..m.start()].chars().count()));
                o.insert("groups".into(), Value::Array(groups));
                out.push(Value::Object(o));
            }
            seq(out)
        }
        "replace" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let rep = str_arg(&args, 2, n)?.unwrap_or_default();
            match args.get(1).and_then(regex_arg) {
                Some(re) => {
                    let rep = rep.replace("$0", "${0}");
                    j(Value::String(re.replace_all(&s, rep.as_str()).into_owned()))
                }
                None => {
                    let pat = str_arg(&args, 1, n)?.unwrap_or_default();
                    if pat.is_empty() {
                        return Err(err(
                            "D3010",
                            "Second argument of replace function cannot be an empty string",
                        ));
                    }
                    j(Value::String(s.replace(&pat, &rep)))
                }
            }
        }
        "number" => match args.first().and_then(|v| v.json_ref()) {
            None => Val::Undef,
            Some(Value::Number(x)) => j(Value::Number(x)),
            Some(Value::Bool(b)) => j(Value::from(if b { 1 } else { 0 })),
            Some(Value::String(s)) => {
                let t = s.trim();
                let f = if let Some(h) = t.strip_prefix("0x") {
                    i64::from_str_radix(h, 16).ok().map(|x| x as f64)
                } else {
                    t.parse::<f64>().ok()
                };
                match f {
                    Some(f) if f.is_finite() => j(num(f)?),
                    _ => {
                        return Err(err(
                            "D3030",
                            format!(
                                "Unable to cast value to a number: {}",
                                Value::String(s.clone())
                            ),
                        ))
                    }
                }
            }
            Some(v) => {
                return Err(err(
                    "D3030",
                    format!("Unable to cast value to a number: {v}"),
                ))
            }
        },
        "abs" | "floor" | "ceil" | "sqrt" => {
            let Some(x) = num_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let v = match name {
                "abs" => x.abs(),
                "floor" => x.floor(),
                "ceil" => x.ceil(),
                _ => {
                    if x < 0.0 {
                        return Err(err(
                            "D3060",
                            "The sqrt function cannot be applied to a negative number",
                        ));
                    }
                    x.sqrt()
                }
            };
            j(num(v)?)
        }
        "round" => {
            let Some(x) = num_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let p = num_arg(&args, 1, n)?.unwrap_or(0.0) as i32;
            let m = 10f64.powi(p);
            let v = x * m;
            // round half to even
            let r = v.round();
            let r = if (v - v.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
                r - v.signum()
            } else {
                r
            };
            j(num(r / m)?)
        }
        "power" => {
            let (Some(a), Some(b)) = (num_arg(&args, 0, n)?, num_arg(&args, 1, n)?) else {
                return Ok(Val::Undef);
            };
            j(num(a.powf(b))?)
        }
        "random" => {
            use rand::{Rng, SeedableRng};
            match num_arg(&args, 0, n)? {
                Some(seed) => {
                    let mut r = rand::rngs::StdRng::seed_from_u64(seed as u64);
                    j(num(r.gen::<f64>())?)
                }
                None => j(num(rand::random::<f64>())?),
            }
        }
        "sum" | "max" | "min" | "average" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let mut xs = Vec::new();
            for x in &a {
                xs.push(
                    x.as_f64()
                        .filter(|_| x.is_number())
                        .ok_or_else(|| arg_err(0, n))?,
                );
            }
            match name {
                "sum" => j(num(xs.iter().sum())?),
                _ if xs.is_empty() => Val::Undef,
                "max" => j(num(xs.iter().cloned().fold(f64::MIN, f64::max))?),
                "min" => j(num(xs.iter().cloned().fold(f64::MAX, f64::min))?),
                _ => j(num(xs.iter().sum::<f64>() / xs.len() as f64)?),
            }
        }
        "count" => j(Value::from(arr_arg(&args, 0).map(|a| a.len()).unwrap_or(0))),
        "append" => {
            let a = arr_arg(&args, 0);
            let b = arr_arg(&args, 1);
            match (a, b) {
                (None, None) => Val::Undef,
                (Some(_), None) => args[0].clone(),
                (None, Some(_)) => args[1].clone(),
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Val::Cons(a)
                }
                #[allow(unreachable_patterns)]
                _ => Val::Undef,
            }
        }
        "sort" => {
            let Some(mut a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            match args.get(1) {
                Some(Val::F(f)) => {
                    // insertion sort with the comparator (swap when f(a, b) is true)
                    let f = f.clone();
                    let mut out: Vec<Value> = Vec::with_capacity(a.len());
                    for x in a {
                        let mut pos = out.len();
                        while pos > 0 {
                            let r = cx.apply(
                                &f,
                                vec![Val::J(out[pos - 1].clone()), Val::J(x.clone())],
                                input,
                            )?;
                            if truthy(&r) {
                                pos -= 1;
                            } else {
                                break;
                            }
                        }
                        out.insert(pos, x);
                    }
                    Val::Cons(out)
                }
                _ => {
                    if a.iter().all(|x| x.is_number()) {
                        a.sort_by(|x, y| {
                            x.as_f64()
                                .partial_cmp(&y.as_f64())
                                .unwrap_or(std::cmp::Ordering::Equal)
                        });
                    } else if a.iter().all(|x| x.is_string()) {
                        a.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
                    } else {
                        return Err(err("D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"));
                    }
                    Val::Cons(a)
                }
            }
        }
        "reverse" => match arr_arg(&args, 0) {
            Some(mut a) => {
                a.reverse();
                Val::Cons(a)
            }
            None => Val::Undef,
        },
        "shuffle" => match arr_arg(&args, 0) {
            Some(mut a) => {
                use rand::seq::SliceRandom;
                a.shuffle(&mut rand::thread_rng());
                Val::Cons(a)
            }
            None => Val::Undef,
        },
        "distinct" => match arr_arg(&args, 0) {
            Some(a) => {
                let mut out: Vec<Value> = Vec::new();
                for x in a {
                    if !out.iter().any(|y| deep_eq(&x, y)) {
                        out.push(x);
                    }
                }
                Val::Cons(out)
            }
            None => Val::Undef,
        },
        "zip" => {
            let arrays: Vec<Vec<Value>> =
                (0..args.len()).filter_map(|i| arr_arg(&args, i)).collect();
            let len = arrays.iter().map(|a| a.len()).min().unwrap_or(0);
            Val::Cons(
                (0..len)
                    .map(|i| Value::Array(arrays.iter().map(|a| a[i].clone()).collect()))
                    .collect(),
            )
        }
        "keys" => {
            let mut out: Vec<Value> = Vec::new();
            for x in arr_arg(&args, 0).unwrap_or_default() {
                if let Value::Object(m) = x {
                    for k in m.keys() {
                        let k = Value::String(k.clone());
                        if !out.contains(&k) {
                            out.push(k);
                        }
                    }
                }
            }
            seq(out)
        }
        "lookup" => {
            let key = str_arg(&args, 1, n)?.unwrap_or_default();
            let mut out = Vec::new();
            for x in arr_arg(&args, 0).unwrap_or_default() {
                if let Value::Object(m) = x {
                    if let Some(v) = m.get(&key) {
                        match v {
                            Value::Array(a) => out.extend(a.iter().cloned()),
                            other => out.push(other.clone()),
                        }
                    }
                }
            }
            seq(out)
        }
        "spread" => {
            let mut out = Vec::new();
            for x in arr_arg(&args, 0).unwrap_or_default() {
                match x {
                    Value::Object(m) => {
                        for (k, v) in m {
                            let mut o = Map::new();
                            o.insert(k, v);
                            out.push(Value::Object(o));
                        }
                    }
                    other => out.push(other),
                }
            }
            seq(out)
        }
        "merge" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let mut m = Map::new();
            for x in a {
                match x {
                    Value::Object(o) => m.extend(o),
                    _ => return Err(arg_err(0, n)),
                }
            }
            j(Value::Object(m))
        }
        "each" | "sift" => {
            let Some(Value::Object(m)) = args.first().and_then(|v| v.json_ref()) else {
                return Ok(Val::Undef);
            };
            let f = func_arg(&args, 1, n)?;
            let ar = Ctx::arity(&f);
            let mut out = Vec::new();
            let mut obj = Map::new();
            for (k, v) in &m {
                let mut fa = vec![Val::J(v.clone()), Val::J(Value::String(k.clone()))];
                if ar > 2 {
                    fa.push(Val::J(Value::Object(m.clone())));
                }
                fa.truncate(ar.max(1));
                let r = cx.apply(&f, fa, input)?;
                if name == "each" {
                    if let Some(x) = r.json() {
                        out.push(x);
                    }
                } else if truthy(&r) {
                    obj.insert(k.clone(), v.clone());
                }
            }
            if name == "each" {
                seq(out)
            } else if obj.is_empty() {
                Val::Undef
            } else {
                j(Value::Object(obj))
            }
        }
        "map" | "filter" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let f = func_arg(&args, 1, n)?;
            let ar = Ctx::arity(&f);
            let whole = Value::Array(a.clone());
            let mut out = Vec::new();
            for (i, x) in a.into_iter().enumerate() {
                let mut fa = vec![
                    Val::J(x.clone()),
                    Val::J(Value::from(i)),
                    Val::J(whole.clone()),
                ];
                fa.truncate(ar.max(1));
                let r = cx.apply(&f, fa, input)?;
                if name == "map" {
                    if let Some(v) = r.json() {
                        out.push(v);
                    }
                } else if truthy(&r) {
                    out.push(x);
                }
            }
            seq(out)
        }
        "reduce" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let f = func_arg(&args, 1, n)?;
            let mut it = a.into_iter();
            let mut acc = match args.get(2) {
                Some(v) if !v.is_undef() => v.clone(),
                _ => match it.next() {
                    Some(x) => Val::J(x),
                    None => return Ok(Val::Undef),
                },
            };
            for x in it {
                acc = cx.apply(&f, vec![acc, Val::J(x)], input)?;
            }
            acc
        }
        "single" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let f = match args.get(1) {
                Some(Val::F(f)) => Some(f.clone()),
                _ => None,
            };
            let mut found = Vec::new();
            for x in a {
                let keep = match &f {
                    Some(f) => truthy(&cx.apply(f, vec![Val::J(x.clone())], input)?),
                    None => true,
                };
                if keep {
                    found.push(x);
                }
            }
            if found.len() != 1 {
                return Err(err(
                    if found.is_empty() { "D3139" } else { "D3138" },
                    if found.is_empty() {
                        "The $single() function expected exactly 1 matching result.  Instead it matched 0."
                    } else {
                        "The $single() function expected exactly 1 matching result.  Instead it matched more."
                    },
                ));
            }
            j(found.pop().unwrap_or(Value::Null))
        }
        "exists" => j(Value::Bool(args.first().is_some_and(|v| !v.is_undef()))),
        "type" => match args.first() {
            None | Some(Val::Undef) => Val::Undef,
            Some(Val::F(_)) => j(Value::String("function".into())),
            Some(v) => j(Value::String(
                match v.json_ref() {
                    Some(Value::Null) => "null",
                    Some(Value::Bool(_)) => "boolean",
                    Some(Value::Number(_)) => "number",
                    Some(Value::String(_)) => "string",
                    Some(Value::Array(_)) => "array",
                    Some(Value::Object(_)) => "object",
                    None => return Ok(Val::Undef),
                }
                .into(),
            )),
        },
        "boolean" => match args.first() {
            None | Some(Val::Undef) => Val::Undef,
            Some(v) => j(Value::Bool(truthy(v))),
        },
        "not" => match args.first() {
            None | Some(Val::Undef) => Val::Undef,
            Some(v) => j(Value::Bool(!truthy(v))),
        },
        "now" | "fromMillis" | "toMillis" if args.len() > usize::from(name != "now") => {
            return Err(err(
                "D3135",
                format!(
                    "${name}: picture and timezone arguments are not supported by this JSONata implementation; dates are ISO 8601 in UTC"
                ),
            ))
        }
        "now" => j(Value::String(
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )),
        "millis" => j(Value::from(chrono::Utc::now().timestamp_millis())),
        "fromMillis" => {
            let Some(ms) = num_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let t =
                chrono::DateTime::from_timestamp_millis(ms as i64).ok_or_else(|| arg_err(0, n))?;
            j(Value::String(
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ))
        }
        "toMillis" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let t = chrono::DateTime::parse_from_rfc3339(&s)
                .map_err(|_| err("D3110", format!("Unable to parse timestamp '{s}'")))?;
            j(Value::from(t.timestamp_millis()))
        }
        "base64encode" => {
            use base64::Engine;
            str_arg(&args, 0, n)?
                .map(|s| {
                    j(Value::String(
                        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
                    ))
                })
                .unwrap_or(Val::Undef)
        }
        "base64decode" => {
            use base64::Engine;
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let b = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|_| err("D3137", "Invalid base64 input"))?;
            j(Value::String(String::from_utf8_lossy(&b).into_owned()))
        }
        "encodeUrl" | "encodeUrlComponent" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let keep: &[u8] = if name == "encodeUrl" {
                b";,/?:@&=+$-_.!~*'()#"
            } else {
                b"-_.!~*'()"
            };
            let mut out = String::new();
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || keep.contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            j(Value::String(out))
        }
        "decodeUrl" | "decodeUrlComponent" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let bytes = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 2 < bytes.len() {
                    let h = std::str::from_utf8(&bytes[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match h {
                        Some(b) => {
                            out.push(b);
                            i += 3;
                            continue;
                        }
                        None => return Err(err("D3140", "Malformed URL")),
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            j(Value::String(String::from_utf8_lossy(&out).into_owned()))
        }
        "error" => {
            let m = str_arg(&args, 0, n)?.unwrap_or_else(|| "$error() function evaluated".into());
            return Err(err("D3137", m));
        }
        "assert" => {
            if !truthy(args.first().unwrap_or(&Val::Undef)) {
                let m =
                    str_arg(&args, 1, n)?.unwrap_or_else(|| "$assert() statement failed".into());
                return Err(err("D3141", m));
            }
            Val::Undef
        }
        "eval" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let e = crate::Expr::parse(&s)?;
            let ctx_v = args
                .get(1)
                .and_then(|v| v.json_ref())
                .or_else(|| input.cloned());
            match e.evaluate(ctx_v.as_ref(), cx.env)? {
                Some(v) => j(v),
                None => Val::Undef,
            }
        }
        "formatNumber" => {
            let Some(x) = num_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let pic = str_arg(&args, 1, n)?.unwrap_or_default();
            let decimals = pic
                .split_once('.')
                .map(|(_, d)| d.chars().filter(|c| *c == '0' || *c == '#').count())
                .unwrap_or(0);
            let mut s = format!("{:.*}", decimals, x);
            if pic.contains(',') {
                let (int, frac) = match s.split_once('.') {
                    Some((a, b)) => (a.to_string(), Some(b.to_string())),
                    None => (s.clone(), None),
                };
                let neg = int.starts_with('-');
                let digits: Vec<char> = int.trim_start_matches('-').chars().collect();
                let mut g = String::new();
                for (i, c) in digits.iter().enumerate() {
                    if i > 0 && (digits.len() - i).is_multiple_of(3) {
                        g.push(',');
                    }
                    g.push(*c);
                }
                s = format!(
                    "{}{}{}",
                    if neg { "-" } else { "" },
                    g,
                    frac.map(|f| format!(".{f}")).unwrap_or_default()
                );
            }
            j(Value::String(s))
        }
        "formatBase" => {
            let Some(x) = num_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let radix = num_arg(&args, 1, n)?.unwrap_or(10.0) as u32;
            if !(2..=36).contains(&radix) {
                return Err(err(
                    "D3100",
                    "The radix of the formatBase function must be between 2 and 36",
                ));
            }
            let v = x.round() as i64;
            let neg = v < 0;
            let mut u = v.unsigned_abs();
            let mut digits = Vec::new();
            loop {
                digits.push(std::char::from_digit((u % radix as u64) as u32, radix).unwrap_or('0'));
                u /= radix as u64;
                if u == 0 {
                    break;
                }
            }
            if neg {
                digits.push('-');
            }
            j(Value::String(digits.into_iter().rev().collect()))
        }
        // ---- Step Functions additions
        "partition" => {
            let Some(a) = arr_arg(&args, 0) else {
                return Ok(Val::Undef);
            };
            let size = num_arg(&args, 1, n)?.unwrap_or(0.0);
            if size < 1.0 {
                return Err(err(
                    "D3050",
                    "The second argument of $partition must be a positive integer",
                ));
            }
            Val::Cons(
                a.chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            )
        }
        "range" => {
            let (Some(s), Some(e)) = (num_arg(&args, 0, n)?, num_arg(&args, 1, n)?) else {
                return Ok(Val::Undef);
            };
            let step = num_arg(&args, 2, n)?.unwrap_or(1.0);
            if step == 0.0 {
                return Err(err("D3050", "The step of $range cannot be zero"));
            }
            let mut out = Vec::new();
            let mut i = s;
            while (step > 0.0 && i <= e) || (step < 0.0 && i >= e) {
                out.push(num(i)?);
                if out.len() > 1000 {
                    return Err(err("D3050", "The $range result exceeds 1000 items"));
                }
                i += step;
            }
            seq(out)
        }
        "hash" => {
            use md5::Digest;
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let alg = str_arg(&args, 1, n)?.unwrap_or_else(|| "SHA-256".into());
            let h = match alg.as_str() {
                "MD5" => hex(&md5::Md5::digest(s.as_bytes())),
                "SHA-1" => hex(&sha1::Sha1::digest(s.as_bytes())),
                "SHA-256" => hex(&sha2::Sha256::digest(s.as_bytes())),
                "SHA-384" => hex(&sha2::Sha384::digest(s.as_bytes())),
                "SHA-512" => hex(&sha2::Sha512::digest(s.as_bytes())),
                _ => return Err(arg_err(1, n)),
            };
            j(Value::String(h))
        }
        "uuid" => j(Value::String(uuid::Uuid::new_v4().to_string())),
        "parse" => {
            let Some(s) = str_arg(&args, 0, n)? else {
                return Ok(Val::Undef);
            };
            let v: Value = serde_json::from_str(&s)
                .map_err(|_| err("D3050", format!("Unable to parse '{s}' as JSON")))?;
            j(v)
        }
        _ => return Err(err("T1006", "Attempted to invoke a non-function")),
    })
}
