//! Object and value functions: `$keys`, `$lookup`, `$spread`, `$merge`, `$type`, `$exists`, `$boolean`, `$not`, `$error`, `$assert`, and Step Functions' `$parse`.

use super::*;

/// `$keys`
pub(super) fn keys<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(seq(out))
}

/// `$lookup`
pub(super) fn lookup<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(seq(out))
}

/// `$spread`
pub(super) fn spread<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(seq(out))
}

/// `$merge`
pub(super) fn merge<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::Object(m)))
}

/// `$exists`
pub(super) fn exists_<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(j(Value::Bool(args.first().is_some_and(|v| !v.is_undef()))))
}

/// `$type`
pub(super) fn type_of<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match args.first() {
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
    })
}

/// `$boolean`
pub(super) fn boolean<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match args.first() {
        None | Some(Val::Undef) => Val::Undef,
        Some(v) => j(Value::Bool(truthy(v))),
    })
}

/// `$not`
pub(super) fn not_<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match args.first() {
        None | Some(Val::Undef) => Val::Undef,
        Some(v) => j(Value::Bool(!truthy(v))),
    })
}

/// `$error`
pub(super) fn error_<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let m = str_arg(&args, 0, n)?.unwrap_or_else(|| "$error() function evaluated".into());
    Err(err("D3137", m))
}

/// `$assert`
pub(super) fn assert<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    if !truthy(args.first().unwrap_or(&Val::Undef)) {
        let m = str_arg(&args, 1, n)?.unwrap_or_else(|| "$assert() statement failed".into());
        return Err(err("D3141", m));
    }
    Ok(Val::Undef)
}

/// `$parse`
pub(super) fn parse_json<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let v: Value = serde_json::from_str(&s)
        .map_err(|_| err("D3050", format!("Unable to parse '{s}' as JSON")))?;
    Ok(j(v))
}
