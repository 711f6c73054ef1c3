//! Higher-order functions (they call a function value): `$each`, `$sift`, `$map`, `$filter`, `$reduce`, `$single`, and `$eval`.

use super::*;

/// `$each`, `$sift`
pub(super) fn each_sift<'a>(
    cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
        if n == "each" {
            if let Some(x) = r.json() {
                out.push(x);
            }
        } else if truthy(&r) {
            obj.insert(k.clone(), v.clone());
        }
    }
    Ok(if n == "each" {
        seq(out)
    } else if obj.is_empty() {
        Val::Undef
    } else {
        j(Value::Object(obj))
    })
}

/// `$map`, `$filter`
pub(super) fn map_filter<'a>(
    cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
        if n == "map" {
            if let Some(v) = r.json() {
                out.push(v);
            }
        } else if truthy(&r) {
            out.push(x);
        }
    }
    Ok(seq(out))
}

/// `$reduce`
pub(super) fn reduce<'a>(
    cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(acc)
}

/// `$single`
pub(super) fn single<'a>(
    cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(found.pop().unwrap_or(Value::Null)))
}

/// `$eval`
pub(super) fn eval<'a>(
    cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let e = crate::Expr::parse(&s)?;
    let ctx_v = args
        .get(1)
        .and_then(|v| v.json_ref())
        .or_else(|| input.cloned());
    Ok(match e.evaluate(ctx_v.as_ref(), cx.env)? {
        Some(v) => j(v),
        None => Val::Undef,
    })
}
