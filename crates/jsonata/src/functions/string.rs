//! String functions: `$string`, `$length`, `$substring…`, case, `$trim`, `$pad`, `$contains`, `$split`, `$join`, `$match`, `$replace`, base64 and URL coding, and Step Functions' `$hash` and `$uuid`.

use super::*;

/// `$string`
pub(super) fn string_<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match args.first() {
        None => Val::Undef,
        Some(v) if v.is_undef() => Val::Undef,
        Some(Val::F(_)) => j(Value::String(String::new())),
        Some(v) => j(Value::String(stringify(v.json_ref().as_ref())?)),
    })
}

/// `$length`
pub(super) fn length<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(match str_arg(&args, 0, n)? {
        Some(s) => j(Value::from(s.chars().count())),
        None => Val::Undef,
    })
}

/// `$substring`
pub(super) fn substring<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(
        chars[start as usize..end as usize].iter().collect(),
    )))
}

/// `$substringBefore`, `$substringAfter`
pub(super) fn substring_before_after<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let c = str_arg(&args, 1, n)?.unwrap_or_default();
    Ok(j(Value::String(match s.find(&c) {
        Some(i) if n == "substringBefore" => s[..i].to_string(),
        Some(i) => s[i + c.len()..].to_string(),
        None => s,
    })))
}

/// `$uppercase`
pub(super) fn uppercase<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(str_arg(&args, 0, n)?
        .map(|s| j(Value::String(s.to_uppercase())))
        .unwrap_or(Val::Undef))
}

/// `$lowercase`
pub(super) fn lowercase<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(str_arg(&args, 0, n)?
        .map(|s| j(Value::String(s.to_lowercase())))
        .unwrap_or(Val::Undef))
}

/// `$trim`
pub(super) fn trim<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(str_arg(&args, 0, n)?
        .map(|s| {
            j(Value::String(
                s.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        })
        .unwrap_or(Val::Undef))
}

/// `$pad`
pub(super) fn pad<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(if w > 0 { s + &pad } else { pad + &s })))
}

/// `$contains`
pub(super) fn contains<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    Ok(match args.get(1).and_then(regex_arg) {
        Some(re) => j(Value::Bool(re.is_match(&s))),
        None => j(Value::Bool(
            s.contains(&str_arg(&args, 1, n)?.unwrap_or_default()),
        )),
    })
}

/// `$split`
pub(super) fn split<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(Val::Cons(parts))
}

/// `$join`
pub(super) fn join<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(parts.join(&sep))))
}

/// `$match`
pub(super) fn match_regex<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(seq(out))
}

/// `$replace`
pub(super) fn replace<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let rep = str_arg(&args, 2, n)?.unwrap_or_default();
    Ok(match args.get(1).and_then(regex_arg) {
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
    })
}

/// `$base64encode`
pub(super) fn base64encode<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    use base64::Engine;
    Ok(str_arg(&args, 0, n)?
        .map(|s| {
            j(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        })
        .unwrap_or(Val::Undef))
}

/// `$base64decode`
pub(super) fn base64decode<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    use base64::Engine;
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let b = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|_| err("D3137", "Invalid base64 input"))?;
    Ok(j(Value::String(String::from_utf8_lossy(&b).into_owned())))
}

/// `$encodeUrl`, `$encodeUrlComponent`
pub(super) fn encode_url<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    let Some(s) = str_arg(&args, 0, n)? else {
        return Ok(Val::Undef);
    };
    let keep: &[u8] = if n == "encodeUrl" {
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
    Ok(j(Value::String(out)))
}

/// `$decodeUrl`, `$decodeUrlComponent`
pub(super) fn decode_url<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(String::from_utf8_lossy(&out).into_owned())))
}

/// `$hash`
pub(super) fn hash<'a>(
    _cx: &mut Ctx<'a, '_>,
    n: &str,
    args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
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
    Ok(j(Value::String(h)))
}

/// `$uuid`
pub(super) fn uuid<'a>(
    _cx: &mut Ctx<'a, '_>,
    _name: &str,
    _args: Vec<Val<'a>>,
    _input: Option<&Value>,
) -> Result<Val<'a>, Error> {
    Ok(j(Value::String(uuid::Uuid::new_v4().to_string())))
}
