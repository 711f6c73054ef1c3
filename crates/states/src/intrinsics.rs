//! Intrinsic functions (`States.Format(...)` and friends): parsing once at definition
//! load, evaluation against paths resolved by the caller.

use crate::error::Failure;
use crate::path::Path;
use base64::Engine;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Lit(Value),
    Path(Path),
    Call(Box<Call>),
}

/// One parsed intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Arg>,
    pub text: String,
}

const FUNCTIONS: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.JsonMerge",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
];

/// Whether a `.$` value is an intrinsic call rather than a path.
pub fn looks_like_call(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

impl Call {
    pub fn parse(text: &str) -> Result<Call, String> {
        let mut p = P {
            s: text.as_bytes(),
            i: 0,
            depth: 0,
        };
        let c = p.call(text)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!(
                "Unexpected characters after the function call in '{text}'"
            ));
        }
        Ok(c)
    }

    /// Evaluate; `resolve` reads a path (input, context or variable).
    pub fn eval(
        &self,
        resolve: &dyn Fn(&Path) -> Result<Value, Failure>,
    ) -> Result<Value, Failure> {
        let mut args = Vec::with_capacity(self.args.len());
        for a in &self.args {
            args.push(match a {
                Arg::Lit(v) => v.clone(),
                Arg::Path(p) => resolve(p)?,
                Arg::Call(c) => c.eval(resolve)?,
            });
        }
        apply(&self.name, args).map_err(|m| Failure::new("States.Runtime", m))
    }
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn call(&mut self, whole: &str) -> Result<Call, String> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(format!(
                "Intrinsic function calls are nested too deeply in '{whole}'"
            ));
        }
        let r = self.call_inner(whole);
        self.depth -= 1;
        r
    }

    fn call_inner(&mut self, whole: &str) -> Result<Call, String> {
        self.ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
        {
            self.i += 1;
        }
        let name = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if !FUNCTIONS.contains(&name.as_str()) {
            return Err(format!(
                "Unsupported intrinsic function '{name}' in '{whole}'"
            ));
        }
        self.ws();
        if self.s.get(self.i) != Some(&b'(') {
            return Err(format!("Expected '(' after {name} in '{whole}'"));
        }
        self.i += 1;
        let mut args = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b')') {
            self.i += 1;
        } else {
            loop {
                args.push(self.arg(whole)?);
                self.ws();
                match self.s.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b')') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(format!("Expected ',' or ')' in '{whole}'")),
                }
            }
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        Ok(Call { name, args, text })
    }

    fn arg(&mut self, whole: &str) -> Result<Arg, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'\'') => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    match self.s.get(self.i) {
                        None => return Err(format!("Unterminated string in '{whole}'")),
                        Some(b'\\') => {
                            match self.s.get(self.i + 1) {
                                Some(c @ (b'\'' | b'{' | b'}' | b'\\')) => {
                                    if *c == b'{' || *c == b'}' {
                                        // keep escaped braces escaped for Format
                                        out.push(b'\\');
                                    }
                                    out.push(*c)
                                }
                                Some(c) => {
                                    out.push(b'\\');
                                    out.push(*c)
                                }
                                None => return Err(format!("Unterminated string in '{whole}'")),
                            }
                            self.i += 2;
                        }
                        Some(b'\'') => {
                            self.i += 1;
                            break;
                        }
                        Some(c) => {
                            out.push(*c);
                            self.i += 1;
                        }
                    }
                }
                Ok(Arg::Lit(Value::String(
                    String::from_utf8_lossy(&out).into_owned(),
                )))
            }
            Some(b'$') => {
                let start = self.i;
                let mut depth = 0i32;
                let mut quote: Option<u8> = None;
                while let Some(&c) = self.s.get(self.i) {
                    if let Some(q) = quote {
                        if c == q {
                            quote = None;
                        }
                        self.i += 1;
                        continue;
                    }
                    match c {
                        b'\'' | b'"' if depth > 0 => quote = Some(c),
                        b'[' | b'(' => depth += 1,
                        b']' => depth -= 1,
                        b')' if depth == 0 => break,
                        b')' => depth -= 1,
                        b',' if depth == 0 => break,
                        _ => {}
                    }
                    self.i += 1;
                }
                let t = String::from_utf8_lossy(&self.s[start..self.i])
                    .trim()
                    .to_string();
                Path::parse(&t).map(Arg::Path).map_err(|e| e.0)
            }
            Some(b'S') => Ok(Arg::Call(Box::new(self.call(whole)?))),
            _ => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|c| *c != b',' && *c != b')') {
                    self.i += 1;
                }
                let t = String::from_utf8_lossy(&self.s[start..self.i])
                    .trim()
                    .to_string();
                serde_json::from_str::<Value>(&t)
                    .ok()
                    .filter(|v| !v.is_object() && !v.is_array())
                    .map(Arg::Lit)
                    .ok_or_else(|| format!("Invalid argument '{t}' in '{whole}'"))
            }
        }
    }
}

/// Java-like rendering used by States.Format (`{a=1, b=[x, y]}`).
pub fn java_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(java_string).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", java_string(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn int_arg(v: &Value, f: &str) -> Result<i64, String> {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 => Ok(x as i64),
        Some(x) => Ok(x.trunc() as i64),
        None => Err(format!(
            "The {f} function expects integer arguments but got {v}"
        )),
    }
}

/// Java's Math.round (half up), which States.MathAdd applies to its arguments.
fn round_arg(v: &Value, f: &str) -> Result<i64, String> {
    match v.as_f64() {
        Some(x) => Ok((x + 0.5).floor() as i64),
        None => Err(format!(
            "The {f} function expects number arguments but got {v}"
        )),
    }
}

fn apply(name: &str, mut a: Vec<Value>) -> Result<Value, String> {
    let argc = |n: usize| -> Result<(), String> {
        if a.len() != n {
            Err(format!(
                "Function {name} expects {n} arguments but got {}",
                a.len()
            ))
        } else {
            Ok(())
        }
    };
    Ok(match name {
        "States.Format" => {
            let Some(Value::String(tpl)) = a.first() else {
                return Err("The first argument of States.Format must be a string".into());
            };
            let mut out = String::new();
            let mut it = a[1..].iter();
            let mut chars = tpl.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else if c == '{' && chars.peek() == Some(&'}') {
                    chars.next();
                    let v = it
                        .next()
                        .ok_or("The number of arguments does not match the number of placeholders in States.Format")?;
                    out.push_str(&java_string(v));
                } else {
                    out.push(c);
                }
            }
            if it.next().is_some() {
                return Err(
                    "The number of arguments does not match the number of placeholders in States.Format".into(),
                );
            }
            Value::String(out)
        }
        "States.StringToJson" => {
            argc(1)?;
            match &a[0] {
                Value::String(s) if s.trim().is_empty() => Value::Null,
                Value::String(s) => serde_json::from_str(s)
                    .map_err(|e| format!("Could not parse '{s}' as JSON: {e}"))?,
                v => return Err(format!("States.StringToJson expects a string but got {v}")),
            }
        }
        "States.JsonToString" => {
            argc(1)?;
            Value::String(a[0].to_string())
        }
        "States.Array" => Value::Array(a),
        "States.ArrayPartition" => {
            argc(2)?;
            let size = int_arg(&a[1], name)?;
            let Value::Array(arr) = &a[0] else {
                return Err("States.ArrayPartition expects an array".into());
            };
            if size <= 0 {
                return Err(format!(
                    "States.ArrayPartition chunk size must be positive, got {size}"
                ));
            }
            Value::Array(
                arr.chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            )
        }
        "States.ArrayContains" => {
            argc(2)?;
            let Value::Array(arr) = &a[0] else {
                return Err("States.ArrayContains expects an array".into());
            };
            Value::Bool(arr.iter().any(|x| crate::path::json_eq(x, &a[1])))
        }
        "States.ArrayRange" => {
            argc(3)?;
            let (s, e, st) = (
                int_arg(&a[0], name)?,
                int_arg(&a[1], name)?,
                int_arg(&a[2], name)?,
            );
            if st == 0 {
                return Err("States.ArrayRange step cannot be 0".into());
            }
            let mut out = Vec::new();
            let mut i = s;
            while (st > 0 && i <= e) || (st < 0 && i >= e) {
                out.push(Value::from(i));
                if out.len() > 1000 {
                    return Err("States.ArrayRange result exceeds 1000 items".into());
                }
                match i.checked_add(st) {
                    Some(n) => i = n,
                    None => break,
                }
            }
            Value::Array(out)
        }
        "States.ArrayGetItem" => {
            argc(2)?;
            let idx = int_arg(&a[1], name)?;
            let Value::Array(arr) = &a[0] else {
                return Err("States.ArrayGetItem expects an array".into());
            };
            if idx < 0 || idx as usize >= arr.len() {
                return Err(format!(
                    "Index {idx} is out of bounds for an array of {}",
                    arr.len()
                ));
            }
            arr[idx as usize].clone()
        }
        "States.ArrayLength" => {
            argc(1)?;
            let Value::Array(arr) = &a[0] else {
                return Err("States.ArrayLength expects an array".into());
            };
            Value::from(arr.len())
        }
        "States.ArrayUnique" => {
            argc(1)?;
            let Value::Array(arr) = &a[0] else {
                return Err("States.ArrayUnique expects an array".into());
            };
            let mut out: Vec<Value> = Vec::new();
            for x in arr {
                if !out.iter().any(|y| crate::path::json_eq(x, y)) {
                    out.push(x.clone());
                }
            }
            Value::Array(out)
        }
        "States.Base64Encode" => {
            argc(1)?;
            let Value::String(s) = &a[0] else {
                return Err("States.Base64Encode expects a string".into());
            };
            Value::String(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        "States.Base64Decode" => {
            argc(1)?;
            let Value::String(s) = &a[0] else {
                return Err("States.Base64Decode expects a string".into());
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| format!("Invalid base64 '{s}': {e}"))?;
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        }
        "States.Hash" => {
            argc(2)?;
            let data = match &a[0] {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let alg = a[1].as_str().unwrap_or_default();
            Value::String(hash(&data, alg)?)
        }
        "States.JsonMerge" => {
            argc(3)?;
            let deep = a[2].as_bool().unwrap_or(false);
            let b = a.pop().unwrap_or(Value::Null);
            let _ = b;
            let right = a.pop().unwrap_or(Value::Null);
            let left = a.pop().unwrap_or(Value::Null);
            let (Value::Object(mut l), Value::Object(r)) = (left, right) else {
                return Err("States.JsonMerge expects two objects".into());
            };
            merge(&mut l, r, deep);
            Value::Object(l)
        }
        "States.MathRandom" => {
            if a.len() != 2 && a.len() != 3 {
                return Err(format!("Function {name} expects 2 or 3 arguments"));
            }
            let (s, e) = (int_arg(&a[0], name)?, int_arg(&a[1], name)?);
            if s >= e {
                return Err("States.MathRandom start must be less than end".into());
            }
            use rand::{Rng, SeedableRng};
            let v = if let Some(seed) = a.get(2) {
                let mut r = rand::rngs::StdRng::seed_from_u64(int_arg(seed, name)? as u64);
                r.gen_range(s..e)
            } else {
                rand::thread_rng().gen_range(s..e)
            };
            Value::from(v)
        }
        "States.MathAdd" => {
            argc(2)?;
            let (x, y) = (round_arg(&a[0], name)?, round_arg(&a[1], name)?);
            Value::from(x.checked_add(y).ok_or("States.MathAdd overflow")?)
        }
        "States.StringSplit" => {
            argc(2)?;
            let (Value::String(s), Value::String(d)) = (&a[0], &a[1]) else {
                return Err("States.StringSplit expects two strings".into());
            };
            Value::Array(
                s.split(|c: char| d.contains(c))
                    .filter(|x| !x.is_empty())
                    .map(|x| Value::String(x.to_string()))
                    .collect(),
            )
        }
        "States.UUID" => {
            argc(0)?;
            Value::String(uuid::Uuid::new_v4().to_string())
        }
        _ => return Err(format!("Unsupported intrinsic function {name}")),
    })
}

fn merge(l: &mut Map<String, Value>, r: Map<String, Value>, deep: bool) {
    for (k, v) in r {
        match (l.get_mut(&k), v) {
            (Some(Value::Object(lo)), Value::Object(ro)) if deep => merge(lo, ro, true),
            (_, v) => {
                l.insert(k, v);
            }
        }
    }
}

fn hash(data: &str, alg: &str) -> Result<String, String> {
    use md5::Digest;
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    Ok(match alg {
        "MD5" => hex(&md5::Md5::digest(data.as_bytes())),
        "SHA-1" => hex(&sha1::Sha1::digest(data.as_bytes())),
        "SHA-256" => hex(&sha2::Sha256::digest(data.as_bytes())),
        "SHA-384" => hex(&sha2::Sha384::digest(data.as_bytes())),
        "SHA-512" => hex(&sha2::Sha512::digest(data.as_bytes())),
        _ => return Err(format!("Unsupported hash algorithm '{alg}'")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(t: &str, input: Value) -> Result<Value, Failure> {
        let c = Call::parse(t).map_err(|m| Failure::new("parse", m))?;
        c.eval(&|p: &Path| {
            p.eval(&input)
                .map_err(|_| Failure::new("States.Runtime", "missing"))
        })
    }

    #[test]
    fn format_and_nested() {
        assert_eq!(
            ev("States.Format('a {} b {}', $.x, 2)", json!({"x": "X"})),
            Ok(json!("a X b 2"))
        );
        assert_eq!(
            ev(
                "States.ArrayGetItem(States.StringSplit('a-b', '-'), 1)",
                json!({})
            ),
            Ok(json!("b"))
        );
        assert_eq!(ev("States.MathAdd($.a, -1)", json!({"a": 5})), Ok(json!(4)));
        assert_eq!(ev("States.Format('\\{\\}')", json!({})), Ok(json!("{}")));
        assert!(ev("States.Nope()", json!({})).is_err());
        assert!(ev("States.Format('x'", json!({})).is_err());
    }
}
