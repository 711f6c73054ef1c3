//! Date functions: `$now`, `$millis`, `$fromMillis`, `$toMillis`, ISO 8601 in UTC only; a picture or timezone argument is refused (D3135), never ignored.

use super::*;

/// A picture or timezone argument (after `plain` arguments) is refused: this implementation
/// formats and parses ISO 8601 in UTC only.
fn refuse_pictures(name: &str, args: &[Val<'_>], plain: usize) -> Result<(), Error> {
    if args.len() > plain {
        return Err(err(
            "D3135",
            format!(
                "${name}: picture and timezone arguments are not supported by this JSONata implementation; dates are ISO 8601 in UTC"
            ),
        ));
    }
    Ok(())
}

/// `$now`
pub(super) fn now<'a>(
    _cx: &mut Ctx<'a, '_>,
    name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    refuse_pictures(name, &args, 0)?;
    Ok(j(Value::String(
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )))
}

/// `$millis`
pub(super) fn millis<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    _args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(j(Value::from(chrono::Utc::now().timestamp_millis())))
}

/// `$fromMillis`
pub(super) fn from_millis<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    refuse_pictures(n, &args, 1)?;
    let Some(ms) = num_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let t = chrono::DateTime::from_timestamp_millis(ms as i64).ok_or_else(|| arg_err(0, n))?;
    Ok(j(Value::String(
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )))
}

/// `$toMillis`
pub(super) fn to_millis<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    refuse_pictures(n, &args, 1)?;
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let t = chrono::DateTime::parse_from_rfc3339(&s)
        .map_err(|_| err("D3110", format!("Unable to parse timestamp '{s}'")))?;
    Ok(j(Value::from(t.timestamp_millis())))
}
