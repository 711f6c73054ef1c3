//! JSONPath in AWS's dialect (Jayway): parsing, definite/indefinite evaluation, filters,
//! and Reference Paths (`ResultPath`) that can both read and write.
//!
//! A path is rooted at `$` (the state input), `$$` (the context object) or `$name`
//! (a variable, for the Variables feature).

use serde_json::{Map, Number, Value};
use std::fmt;

/// Why a path text is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathSyntaxError(pub String);

/// What a path is evaluated against.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    /// `$`
    Input,
    /// `$$`
    Context,
    /// `$name`
    Variable(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Prop(String),
    Props(Vec<String>),
    Index(i64),
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Wild,
    Deep(Box<Seg>),
    Filter(Box<Filter>),
    Func(String),
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub text: String,
    pub root: Root,
    segs: Vec<Seg>,
    definite: bool,
}

/// Evaluation failure of a path (the value is not there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound;

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    /// Parse a path: `$...`, `$$...` or `$var...`.
    pub fn parse(text: &str) -> Result<Path, PathSyntaxError> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            text,
            depth: 0,
        };
        p.path()
    }

    /// The property name of the first step, when it is a plain name (`$$.Map...` → `Map`).
    pub fn first_name(&self) -> Option<&str> {
        match self.segs.first() {
            Some(Seg::Prop(n)) => Some(n),
            _ => None,
        }
    }

    /// `$` alone (the whole input).
    pub fn is_root_only(&self) -> bool {
        self.segs.is_empty()
    }

    /// A definite path yields one value; an indefinite one yields an array.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Whether the path is a Reference Path (only names and indexes: can be written to).
    pub fn is_reference(&self) -> bool {
        self.segs
            .iter()
            .all(|s| matches!(s, Seg::Prop(_) | Seg::Index(_)))
    }

    /// Jayway's normalized form (`$['a'][0]`), used in AWS's error texts.
    pub fn normalized(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segs {
            match seg {
                Seg::Prop(n) => s.push_str(&format!("['{n}']")),
                Seg::Index(i) => s.push_str(&format!("[{i}]")),
                Seg::Props(ns) => s.push_str(&format!(
                    "[{}]",
                    ns.iter()
                        .map(|n| format!("'{n}'"))
                        .collect::<Vec<_>>()
                        .join(",")
                )),
                Seg::Indexes(is) => s.push_str(&format!(
                    "[{}]",
                    is.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )),
                Seg::Wild => s.push_str("[*]"),
                Seg::Slice(a, b, _) => s.push_str(&format!(
                    "[{}:{}]",
                    a.map(|x| x.to_string()).unwrap_or_default(),
                    b.map(|x| x.to_string()).unwrap_or_default()
                )),
                Seg::Deep(inner) => {
                    s.push_str("..");
                    if let Seg::Prop(n) = &**inner {
                        s.push_str(&format!("['{n}']"));
                    } else {
                        s.push_str("[*]");
                    }
                }
                Seg::Filter(_) => s.push_str("[?]"),
                Seg::Func(f) => s.push_str(&format!(".{f}()")),
            }
        }
        s
    }

    /// Evaluate against a root value: definite paths give the value (or NotFound),
    /// indefinite ones give an array of matches.
    pub fn eval(&self, root: &Value) -> Result<Value, NotFound> {
        self.eval_with(root, root)
    }

    fn eval_with(&self, root: &Value, doc_root: &Value) -> Result<Value, NotFound> {
        if self.definite {
            let mut cur = root;
            for seg in &self.segs {
                match seg {
                    Seg::Prop(n) => cur = cur.as_object().and_then(|m| m.get(n)).ok_or(NotFound)?,
                    Seg::Index(i) => {
                        let a = cur.as_array().ok_or(NotFound)?;
                        let idx = norm_index(*i, a.len()).ok_or(NotFound)?;
                        cur = &a[idx];
                    }
                    Seg::Func(f) => return apply_func(f, std::slice::from_ref(cur)),
                    _ => return Err(NotFound),
                }
            }
            return Ok(cur.clone());
        }
        let mut nodes: Vec<&Value> = vec![root];
        let mut func: Option<&str> = None;
        for seg in &self.segs {
            if let Seg::Func(f) = seg {
                func = Some(f);
                break;
            }
            let mut next = Vec::new();
            for n in nodes {
                step(seg, n, doc_root, &mut next);
            }
            nodes = next;
        }
        if let Some(f) = func {
            // functions apply to the result of the path before them
            let arr: Vec<Value> = nodes.into_iter().cloned().collect();
            return apply_func(f, &arr);
        }
        Ok(Value::Array(nodes.into_iter().cloned().collect()))
    }

    /// Borrowing lookup for definite paths (no clone); `None` when missing or indefinite.
    pub fn get<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        if !self.definite {
            return None;
        }
        let mut cur = root;
        for seg in &self.segs {
            match seg {
                Seg::Prop(n) => cur = cur.as_object()?.get(n)?,
                Seg::Index(i) => {
                    let a = cur.as_array()?;
                    cur = &a[norm_index(*i, a.len())?];
                }
                _ => return None,
            }
        }
        Some(cur)
    }

    /// Write `value` at this Reference Path inside `target`, creating objects on the way.
    /// Fails when an intermediate value is not an object (or the index is missing).
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), String> {
        let mut cur = target;
        for (k, seg) in self.segs.iter().enumerate() {
            let last = k + 1 == self.segs.len();
            match seg {
                Seg::Prop(n) => {
                    if cur.is_null() {
                        *cur = Value::Object(Map::new());
                    }
                    let Some(m) = cur.as_object_mut() else {
                        return Err(format!(
                            "Unable to set the field '{}' of the value at path {}",
                            n,
                            self.prefix_text(k)
                        ));
                    };
                    if last {
                        m.insert(n.clone(), value);
                        return Ok(());
                    }
                    cur = m
                        .entry(n.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                Seg::Index(i) => {
                    let Some(a) = cur.as_array_mut() else {
                        return Err(format!(
                            "Unable to set index {} at {}",
                            i,
                            self.prefix_text(k)
                        ));
                    };
                    let len = a.len();
                    let Some(idx) = norm_index(*i, len) else {
                        return Err(format!("Index {} out of bounds", i));
                    };
                    if last {
                        a[idx] = value;
                        return Ok(());
                    }
                    cur = &mut a[idx];
                }
                _ => return Err(format!("'{}' is not a reference path", self.text)),
            }
        }
        *cur = value;
        Ok(())
    }

    fn prefix_text(&self, k: usize) -> String {
        let p = Path {
            text: String::new(),
            root: self.root.clone(),
            segs: self.segs[..k].to_vec(),
            definite: true,
        };
        p.normalized()
    }
}

fn norm_index(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let idx = if i < 0 { len + i } else { i };
    if idx < 0 || idx >= len {
        None
    } else {
        Some(idx as usize)
    }
}

fn step<'v>(seg: &Seg, v: &'v Value, doc_root: &'v Value, out: &mut Vec<&'v Value>) {
    match seg {
        Seg::Prop(n) => {
            if let Some(x) = v.as_object().and_then(|m| m.get(n)) {
                out.push(x);
            }
        }
        Seg::Props(ns) => {
            if let Some(m) = v.as_object() {
                for n in ns {
                    if let Some(x) = m.get(n) {
                        out.push(x);
                    }
                }
            }
        }
        Seg::Index(i) => {
            if let Some(a) = v.as_array() {
                if let Some(idx) = norm_index(*i, a.len()) {
                    out.push(&a[idx]);
                }
            }
        }
        Seg::Indexes(is) => {
            if let Some(a) = v.as_array() {
                for i in is {
                    if let Some(idx) = norm_index(*i, a.len()) {
                        out.push(&a[idx]);
                    }
                }
            }
        }
        Seg::Slice(s, e, st) => {
            if let Some(a) = v.as_array() {
                let len = a.len() as i64;
                let step = st.unwrap_or(1).max(1);
                let fix = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let start = s.map(fix).unwrap_or(0);
                let end = e.map(fix).unwrap_or(len);
                let mut i = start;
                while i < end {
                    out.push(&a[i as usize]);
                    i = i.saturating_add(step);
                }
            }
        }
        Seg::Wild => match v {
            Value::Object(m) => out.extend(m.values()),
            Value::Array(a) => out.extend(a.iter()),
            _ => {}
        },
        Seg::Deep(inner) => deep(inner, v, doc_root, out),
        Seg::Filter(f) => match v {
            Value::Array(a) => {
                for x in a {
                    if f.test(x, doc_root) {
                        out.push(x);
                    }
                }
            }
            Value::Object(_) if f.test(v, doc_root) => out.push(v),
            _ => {}
        },
        Seg::Func(_) => {}
    }
}

fn deep<'v>(inner: &Seg, v: &'v Value, doc_root: &'v Value, out: &mut Vec<&'v Value>) {
    step(inner, v, doc_root, out);
    match v {
        Value::Object(m) => {
            for x in m.values() {
                deep(inner, x, doc_root, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                deep(inner, x, doc_root, out);
            }
        }
        _ => {}
    }
}

fn num(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn apply_func(name: &str, vals: &[Value]) -> Result<Value, NotFound> {
    // a function applied to a single array value works on its elements
    let items: &[Value] = match vals {
        [Value::Array(a)] => a,
        _ => vals,
    };
    let nums = || {
        items
            .iter()
            .filter_map(|v| v.as_f64())
            .collect::<Vec<f64>>()
    };
    match name {
        "length" | "size" => match vals {
            [Value::String(s)] => Ok(Value::from(s.chars().count())),
            [Value::Object(m)] => Ok(Value::from(m.len())),
            _ => Ok(Value::from(items.len())),
        },
        "min" => nums().into_iter().reduce(f64::min).map(num).ok_or(NotFound),
        "max" => nums().into_iter().reduce(f64::max).map(num).ok_or(NotFound),
        "sum" => Ok(num(nums().iter().sum())),
        "avg" => {
            let n = nums();
            if n.is_empty() {
                return Err(NotFound);
            }
            Ok(num(n.iter().sum::<f64>() / n.len() as f64))
        }
        "stddev" => {
            let n = nums();
            if n.is_empty() {
                return Err(NotFound);
            }
            let avg = n.iter().sum::<f64>() / n.len() as f64;
            let var = n.iter().map(|x| (x - avg) * (x - avg)).sum::<f64>() / n.len() as f64;
            Ok(num(var.sqrt()))
        }
        "first" => items.first().cloned().ok_or(NotFound),
        "last" => items.last().cloned().ok_or(NotFound),
        "keys" => match vals {
            [Value::Object(m)] => Ok(Value::Array(
                m.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            _ => Err(NotFound),
        },
        _ => Err(NotFound),
    }
}

// ------------------------------------------------------------------ filters

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// `@...` relative path (or `$...` absolute)
    Rel(Path),
    Abs(Path),
    Lit(Value),
    Regex(String, bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Exists(Operand),
    Not(Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Cmp(Operand, String, Operand),
}

impl Filter {
    fn test(&self, item: &Value, root: &Value) -> bool {
        match self {
            Filter::Exists(op) => match op {
                Operand::Rel(p) | Operand::Abs(p) => {
                    let base = if matches!(op, Operand::Rel(_)) {
                        item
                    } else {
                        root
                    };
                    match p.eval_with(base, root) {
                        Ok(Value::Array(a)) if !p.definite => !a.is_empty(),
                        Ok(Value::Bool(b)) => b,
                        Ok(_) => true,
                        Err(_) => false,
                    }
                }
                Operand::Lit(v) => !matches!(v, Value::Null | Value::Bool(false)),
                Operand::Regex(..) => false,
            },
            Filter::Not(f) => !f.test(item, root),
            Filter::And(a, b) => a.test(item, root) && b.test(item, root),
            Filter::Or(a, b) => a.test(item, root) || b.test(item, root),
            Filter::Cmp(l, op, r) => {
                let lv = operand(l, item, root);
                if op == "=~" {
                    let (Some(Value::String(s)), Operand::Regex(rx, ci)) = (&lv, r) else {
                        return false;
                    };
                    let rx = if *ci { format!("(?i){rx}") } else { rx.clone() };
                    return regex::Regex::new(&format!("^(?:{rx})$"))
                        .map(|r| r.is_match(s))
                        .unwrap_or(false);
                }
                let rv = operand(r, item, root);
                let (Some(lv), Some(rv)) = (lv, rv) else {
                    return op == "!=" || op == "nin";
                };
                compare(&lv, op, &rv)
            }
        }
    }
}

fn operand(o: &Operand, item: &Value, root: &Value) -> Option<Value> {
    match o {
        Operand::Rel(p) => p.eval_with(item, root).ok(),
        Operand::Abs(p) => p.eval_with(root, root).ok(),
        Operand::Lit(v) => Some(v.clone()),
        Operand::Regex(..) => None,
    }
}

fn compare(l: &Value, op: &str, r: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        "==" => ord == Some(Ordering::Equal) || (ord.is_none() && json_eq(l, r)),
        "!=" => !(ord == Some(Ordering::Equal) || (ord.is_none() && json_eq(l, r))),
        "<" => ord == Some(Ordering::Less),
        "<=" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        ">" => ord == Some(Ordering::Greater),
        ">=" => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        "in" => r
            .as_array()
            .is_some_and(|a| a.iter().any(|x| json_eq(x, l))),
        "nin" => r
            .as_array()
            .is_some_and(|a| !a.iter().any(|x| json_eq(x, l))),
        "contains" => match l {
            Value::Array(a) => a.iter().any(|x| json_eq(x, r)),
            Value::String(s) => r.as_str().is_some_and(|t| s.contains(t)),
            _ => false,
        },
        "subsetof" => match (l, r) {
            (Value::Array(a), Value::Array(b)) => a.iter().all(|x| b.iter().any(|y| json_eq(x, y))),
            _ => false,
        },
        "anyof" => match (l, r) {
            (Value::Array(a), Value::Array(b)) => a.iter().any(|x| b.iter().any(|y| json_eq(x, y))),
            _ => false,
        },
        "noneof" => match (l, r) {
            (Value::Array(a), Value::Array(b)) => {
                !a.iter().any(|x| b.iter().any(|y| json_eq(x, y)))
            }
            _ => false,
        },
        "size" => {
            let n = r.as_u64();
            match l {
                Value::Array(a) => n == Some(a.len() as u64),
                Value::String(s) => n == Some(s.chars().count() as u64),
                _ => false,
            }
        }
        "empty" => {
            let e = match l {
                Value::Array(a) => a.is_empty(),
                Value::String(s) => s.is_empty(),
                _ => return false,
            };
            r.as_bool() == Some(e)
        }
        _ => false,
    }
}

/// JSON equality with numbers compared by value.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

// ------------------------------------------------------------------ parser

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, msg: &str) -> Result<T, PathSyntaxError> {
        Err(PathSyntaxError(format!(
            "Invalid path '{}': {}",
            self.text, msg
        )))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn path(&mut self) -> Result<Path, PathSyntaxError> {
        let root = self.root()?;
        let segs = self.segments(false)?;
        if self.i != self.s.len() {
            return self.err("unexpected trailing characters");
        }
        Ok(self.finish(root, segs))
    }

    fn finish(&self, root: Root, segs: Vec<Seg>) -> Path {
        let definite = segs
            .iter()
            .all(|s| matches!(s, Seg::Prop(_) | Seg::Index(_) | Seg::Func(_)));
        Path {
            text: self.text.to_string(),
            root,
            segs,
            definite,
        }
    }

    fn root(&mut self) -> Result<Root, PathSyntaxError> {
        match self.peek() {
            Some(b'$') => {
                self.i += 1;
                if self.peek() == Some(b'$') {
                    self.i += 1;
                    return Ok(Root::Context);
                }
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c == b'.' || c == b'[' || c == b' ' || c == b')' || c == b',' {
                        break;
                    }
                    self.i += 1;
                }
                if self.i > start {
                    let name = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
                    return Ok(Root::Variable(name.to_string()));
                }
                Ok(Root::Input)
            }
            Some(b'@') => {
                self.i += 1;
                Ok(Root::Input)
            }
            _ => self.err("a path must start with '$'"),
        }
    }

    /// `in_filter`: stop at operators / closing parens.
    fn segments(&mut self, in_filter: bool) -> Result<Vec<Seg>, PathSyntaxError> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(b'.') => {
                    self.i += 1;
                    if self.peek() == Some(b'.') {
                        self.i += 1;
                        let inner = if self.peek() == Some(b'[') {
                            self.bracket()?
                        } else if self.peek() == Some(b'*') {
                            self.i += 1;
                            Seg::Wild
                        } else {
                            Seg::Prop(self.name(in_filter)?)
                        };
                        segs.push(Seg::Deep(Box::new(inner)));
                        continue;
                    }
                    if self.peek() == Some(b'*') {
                        self.i += 1;
                        segs.push(Seg::Wild);
                        continue;
                    }
                    if self.peek() == Some(b'[') {
                        // Jayway accepts `$.[...]` like `$[...]`
                        continue;
                    }
                    let n = self.name(in_filter)?;
                    if self.s[self.i..].starts_with(b"()") {
                        self.i += 2;
                        segs.push(Seg::Func(n));
                        if self.i != self.s.len() && !in_filter {
                            return self.err("a function must end the path");
                        }
                        continue;
                    }
                    segs.push(Seg::Prop(n));
                }
                Some(b'[') => {
                    let seg = self.bracket()?;
                    segs.push(seg);
                }
                Some(_) if in_filter => break,
                Some(c) => return self.err(&format!("unexpected character '{}'", c as char)),
            }
        }
        Ok(segs)
    }

    fn name(&mut self, in_filter: bool) -> Result<String, PathSyntaxError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b'.' || c == b'[' || (c == b'(' && self.s[self.i..].starts_with(b"()")) {
                break;
            }
            if in_filter && (b" =!<>&|)".contains(&c)) {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return self.err("empty property name");
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn skip_ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn quoted(&mut self) -> Result<String, PathSyntaxError> {
        let Some(q) = self.peek() else {
            return self.err("expected a quote");
        };
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                None => return self.err("unterminated quote"),
                Some(b'\\') => {
                    let n = self.s.get(self.i + 1).copied();
                    if n == Some(q) {
                        out.push(q);
                        self.i += 2;
                    } else if n == Some(b'\\') {
                        out.push(b'\\');
                        self.i += 2;
                    } else {
                        out.push(b'\\');
                        self.i += 1;
                    }
                }
                Some(c) if c == q => {
                    self.i += 1;
                    break;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn int(&mut self) -> Result<i64, PathSyntaxError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .and_then(|t| t.parse().ok())
            .map_or_else(|| self.err("expected a number"), Ok)
    }

    fn bracket(&mut self) -> Result<Seg, PathSyntaxError> {
        self.i += 1; // [
        self.skip_ws();
        let seg = match self.peek() {
            Some(b'*') => {
                self.i += 1;
                Seg::Wild
            }
            Some(b'\'') | Some(b'"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.peek() == Some(b',') {
                    self.i += 1;
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Seg::Prop(names.pop().unwrap_or_default())
                } else {
                    Seg::Props(names)
                }
            }
            Some(b'?') => {
                self.i += 1;
                self.skip_ws();
                if self.peek() != Some(b'(') {
                    return self.err("expected '(' after '?'");
                }
                self.i += 1;
                let f = self.filter_or()?;
                self.skip_ws();
                if self.peek() != Some(b')') {
                    return self.err("expected ')' closing the filter");
                }
                self.i += 1;
                Seg::Filter(Box::new(f))
            }
            Some(b':') => self.slice(None)?,
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let first = self.int()?;
                self.skip_ws();
                if self.peek() == Some(b':') {
                    self.slice(Some(first))?
                } else {
                    let mut idx = vec![first];
                    while self.peek() == Some(b',') {
                        self.i += 1;
                        self.skip_ws();
                        idx.push(self.int()?);
                        self.skip_ws();
                    }
                    if idx.len() == 1 {
                        Seg::Index(first)
                    } else {
                        Seg::Indexes(idx)
                    }
                }
            }
            _ => return self.err("unexpected character in brackets"),
        };
        self.skip_ws();
        if self.peek() != Some(b']') {
            return self.err("expected ']'");
        }
        self.i += 1;
        Ok(seg)
    }

    fn slice(&mut self, start: Option<i64>) -> Result<Seg, PathSyntaxError> {
        self.i += 1; // :
        self.skip_ws();
        let end = if self.peek().is_some_and(|c| c == b'-' || c.is_ascii_digit()) {
            Some(self.int()?)
        } else {
            None
        };
        let mut step = None;
        if self.peek() == Some(b':') {
            self.i += 1;
            if self.peek().is_some_and(|c| c == b'-' || c.is_ascii_digit()) {
                step = Some(self.int()?);
            }
        }
        Ok(Seg::Slice(start, end, step))
    }

    fn filter_or(&mut self) -> Result<Filter, PathSyntaxError> {
        let mut l = self.filter_and()?;
        loop {
            self.skip_ws();
            if self.s[self.i..].starts_with(b"||") {
                self.i += 2;
                let r = self.filter_and()?;
                l = Filter::Or(Box::new(l), Box::new(r));
            } else {
                return Ok(l);
            }
        }
    }

    fn filter_and(&mut self) -> Result<Filter, PathSyntaxError> {
        let mut l = self.filter_unary()?;
        loop {
            self.skip_ws();
            if self.s[self.i..].starts_with(b"&&") {
                self.i += 2;
                let r = self.filter_unary()?;
                l = Filter::And(Box::new(l), Box::new(r));
            } else {
                return Ok(l);
            }
        }
    }

    fn filter_unary(&mut self) -> Result<Filter, PathSyntaxError> {
        self.depth += 1;
        if self.depth > 64 {
            return self.err("the filter is nested too deeply");
        }
        let r = self.filter_unary_inner();
        self.depth -= 1;
        r
    }

    fn filter_unary_inner(&mut self) -> Result<Filter, PathSyntaxError> {
        self.skip_ws();
        if self.peek() == Some(b'!') && self.s.get(self.i + 1) != Some(&b'=') {
            self.i += 1;
            return Ok(Filter::Not(Box::new(self.filter_unary()?)));
        }
        if self.peek() == Some(b'(') {
            self.i += 1;
            let f = self.filter_or()?;
            self.skip_ws();
            if self.peek() != Some(b')') {
                return self.err("expected ')'");
            }
            self.i += 1;
            return Ok(f);
        }
        let l = self.operand()?;
        self.skip_ws();
        const OPS: [&str; 15] = [
            "==", "!=", "<=", ">=", "=~", "<", ">", "nin", "in", "subsetof", "anyof", "noneof",
            "size", "empty", "contains",
        ];
        for op in OPS {
            if self.s[self.i..].starts_with(op.as_bytes()) {
                self.i += op.len();
                self.skip_ws();
                let r = self.operand()?;
                return Ok(Filter::Cmp(l, op.to_string(), r));
            }
        }
        Ok(Filter::Exists(l))
    }

    fn operand(&mut self) -> Result<Operand, PathSyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some(b'@') | Some(b'$') => {
                let rel = self.peek() == Some(b'@');
                self.i += 1;
                let segs = self.segments(true)?;
                let p = self.finish(Root::Input, segs);
                Ok(if rel {
                    Operand::Rel(p)
                } else {
                    Operand::Abs(p)
                })
            }
            Some(b'\'') | Some(b'"') => Ok(Operand::Lit(Value::String(self.quoted()?))),
            Some(b'/') => {
                self.i += 1;
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c == b'\\' {
                        self.i += 2;
                        continue;
                    }
                    if c == b'/' {
                        break;
                    }
                    self.i += 1;
                }
                let end = self.i.min(self.s.len());
                let rx = String::from_utf8_lossy(&self.s[start..end]).into_owned();
                self.i = (self.i + 1).min(self.s.len());
                let ci = self.peek() == Some(b'i');
                if ci {
                    self.i += 1;
                }
                Ok(Operand::Regex(rx, ci))
            }
            Some(b'[') | Some(b'{') => {
                // JSON literal (arrays for in/nin); single quotes allowed
                let start = self.i;
                let mut depth = 0i32;
                let mut quote: Option<u8> = None;
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if let Some(q) = quote {
                        if c == q {
                            quote = None;
                        }
                        continue;
                    }
                    match c {
                        b'\'' | b'"' => quote = Some(c),
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let txt = String::from_utf8_lossy(&self.s[start..self.i]).replace('\'', "\"");
                serde_json::from_str(&txt)
                    .map(Operand::Lit)
                    .map_or_else(|_| self.err("bad literal"), Ok)
            }
            _ => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if b" )&|=!<>".contains(&c) {
                        break;
                    }
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
                serde_json::from_str(t)
                    .map(Operand::Lit)
                    .map_or_else(|_| self.err("bad literal in filter"), Ok)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn definite_and_indefinite() {
        let v = json!({"a": {"b": [1, 2, 3]}, "c": [{"x": 1}, {"x": 5}]});
        assert_eq!(Path::parse("$.a.b[1]").unwrap().eval(&v), Ok(json!(2)));
        assert_eq!(Path::parse("$.a.b[-1]").unwrap().eval(&v), Ok(json!(3)));
        assert_eq!(Path::parse("$.a.z").unwrap().eval(&v), Err(NotFound));
        assert_eq!(Path::parse("$.c[*].x").unwrap().eval(&v), Ok(json!([1, 5])));
        assert_eq!(
            Path::parse("$.c[?(@.x > 2)]").unwrap().eval(&v),
            Ok(json!([{"x": 5}]))
        );
        assert_eq!(Path::parse("$..x").unwrap().eval(&v), Ok(json!([1, 5])));
        assert_eq!(
            Path::parse("$.a.b[0:2]").unwrap().eval(&v),
            Ok(json!([1, 2]))
        );
        assert_eq!(
            Path::parse("$.a.b.length()").unwrap().eval(&v),
            Ok(json!(3))
        );
        assert_eq!(
            Path::parse("$['a']['b'][0]").unwrap().eval(&v),
            Ok(json!(1))
        );
    }

    #[test]
    fn set_creates_objects() {
        let mut v = json!({"a": 1});
        Path::parse("$.b.c").unwrap().set(&mut v, json!(2)).unwrap();
        assert_eq!(v, json!({"a": 1, "b": {"c": 2}}));
        assert!(Path::parse("$.a.c").unwrap().set(&mut v, json!(2)).is_err());
    }

    #[test]
    fn variables_and_context() {
        assert_eq!(Path::parse("$$.Execution.Id").unwrap().root, Root::Context);
        assert_eq!(
            Path::parse("$foo.bar").unwrap().root,
            Root::Variable("foo".into())
        );
        assert!(Path::parse("a.b").is_err());
        assert!(Path::parse("$[").is_err());
        assert!(Path::parse("$[?(@.a").is_err());
    }
}
