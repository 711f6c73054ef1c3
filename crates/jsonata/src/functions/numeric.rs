//! Numeric functions: `$number`, rounding, `$power`, `$sqrt`, `$random` (Step Functions' seeded form too), the aggregates `$sum`/`$max`/`$min`/`$average`, `$formatNumber`, `$formatBase`.

use super::*;

/// `$number`
pub(super) fn number<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match args.first().and_then(|v| v.json_ref()) {
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
    })
}

/// `$abs`, `$floor`, `$ceil`, `$sqrt`
pub(super) fn abs_floor_ceil_sqrt<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(x) = num_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let v = match n {
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
    Ok(j(num(v)?))
}

/// `$round`
pub(super) fn round<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(num(r / m)?))
}

/// `$power`
pub(super) fn power<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let (Some(a), Some(b)) = (num_arg(&args, 0, n)?, num_arg(&args, 1, n)?) else {
        return Ok(Val::Undef);
    };
    Ok(j(num(a.powf(b))?))
}

/// `$random`
pub(super) fn random<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    use rand::{Rng, SeedableRng};
    Ok(match num_arg(&args, 0, n)? {
        Some(seed) => {
            let mut r = rand::rngs::StdRng::seed_from_u64(seed as u64);
            j(num(r.gen::<f64>())?)
        }
        None => j(num(rand::random::<f64>())?),
    })
}

/// `$sum`, `$max`, `$min`, `$average`
pub(super) fn sum_max_min_average<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(match n {
        "sum" => j(num(xs.iter().sum())?),
        _ if xs.is_empty() => Val::Undef,
        "max" => j(num(xs.iter().cloned().fold(f64::MIN, f64::max))?),
        "min" => j(num(xs.iter().cloned().fold(f64::MAX, f64::min))?),
        _ => j(num(xs.iter().sum::<f64>() / xs.len() as f64)?),
    })
}

/// `$formatNumber`
pub(super) fn format_number<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(s)))
}

/// `$formatBase`
pub(super) fn format_base<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(digits.into_iter().rev().collect())))
}
