//! Array functions: `$count`, `$append`, `$sort`, `$reverse`, `$shuffle`, `$distinct`, `$zip`, and Step Functions' `$partition` and `$range`.

use super::*;

/// `$count`
pub(super) fn count<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(j(Value::from(
        arr_arg(&args, 0).map(|a| a.len()).unwrap_or(0),
    )))
}

/// `$append`
pub(super) fn append<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let a = arr_arg(&args, 0);
    let b = arr_arg(&args, 1);
    Ok(match (a, b) {
        (None, None) => Val::Undef,
        (Some(_), None) => args[0].clone(),
        (None, Some(_)) => args[1].clone(),
        (Some(mut a), Some(b)) => {
            a.extend(b);
            Val::Cons(a)
        }
        #[allow(unreachable_patterns)]
        _ => Val::Undef,
    })
}

/// `$sort`
pub(super) fn sort<'a>(
    cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(mut a) = arr_arg(&args, 0) else {
        return Ok(Val::Undef);
    };
    Ok(match args.get(1) {
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
    })
}

/// `$reverse`
pub(super) fn reverse<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match arr_arg(&args, 0) {
        Some(mut a) => {
            a.reverse();
            Val::Cons(a)
        }
        None => Val::Undef,
    })
}

/// `$shuffle`
pub(super) fn shuffle<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match arr_arg(&args, 0) {
        Some(mut a) => {
            use rand::seq::SliceRandom;
            a.shuffle(&mut rand::thread_rng());
            Val::Cons(a)
        }
        None => Val::Undef,
    })
}

/// `$distinct`
pub(super) fn distinct<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match arr_arg(&args, 0) {
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
    })
}

/// `$zip`
pub(super) fn zip<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let arrays: Vec<Vec<Value>> = (0..args.len()).filter_map(|i| arr_arg(&args, i)).collect();
    let len = arrays.iter().map(|a| a.len()).min().unwrap_or(0);
    Ok(Val::Cons(
        (0..len)
            .map(|i| Value::Array(arrays.iter().map(|a| a[i].clone()).collect()))
            .collect(),
    ))
}

/// `$partition`
pub(super) fn partition<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(Val::Cons(
        a.chunks(size as usize)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

/// `$range`
pub(super) fn range<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(seq(out))
}
