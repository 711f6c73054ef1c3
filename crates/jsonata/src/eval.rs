//! Evaluation of a [`Node`] tree with JSONata's sequence semantics (paths flatten, a
//! singleton sequence is its value, undefined propagates).

use crate::functions;
use crate::parse::Node;
use crate::{Env, Error};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A function value.
pub enum Func<'a> {
    Lambda {
        params: &'a [String],
        body: &'a Node,
        env: Rc<Frame<'a>>,
    },
    Builtin(String),
    Partial {
        f: Rc<Func<'a>>,
        args: Vec<Option<Val<'a>>>,
    },
}

#[derive(Clone)]
pub enum Val<'a> {
    Undef,
    J(Value),
    /// a result sequence (flattened path results); bool = keep a singleton as an array
    Seq(Vec<Value>, bool),
    /// an array built by `[...]` (not flattened by path steps)
    Cons(Vec<Value>),
    F(Rc<Func<'a>>),
}

impl<'a> Val<'a> {
    pub fn is_undef(&self) -> bool {
        matches!(self, Val::Undef)
    }

    /// The JSON value (None for undefined and functions).
    pub fn json(self) -> Option<Value> {
        match collapse(self) {
            Val::Undef | Val::F(_) => None,
            Val::J(v) => Some(v),
            Val::Seq(s, _) => Some(Value::Array(s)),
            Val::Cons(a) => Some(Value::Array(a)),
        }
    }

    pub fn json_ref(&self) -> Option<Value> {
        self.clone().json()
    }
}

pub fn collapse(v: Val<'_>) -> Val<'_> {
    match v {
        Val::Seq(s, keep) => {
            if s.is_empty() {
                Val::Undef
            } else if s.len() == 1 && !keep {
                Val::J(s.into_iter().next().unwrap_or(Value::Null))
            } else {
                Val::Seq(s, keep)
            }
        }
        other => other,
    }
}

pub struct Frame<'a> {
    vars: RefCell<HashMap<String, Val<'a>>>,
    parent: Option<Rc<Frame<'a>>>,
}

impl<'a> Frame<'a> {
    pub fn root() -> Rc<Frame<'a>> {
        Rc::new(Frame {
            vars: RefCell::new(HashMap::new()),
            parent: None,
        })
    }
    fn child(parent: &Rc<Frame<'a>>) -> Rc<Frame<'a>> {
        Rc::new(Frame {
            vars: RefCell::new(HashMap::new()),
            parent: Some(parent.clone()),
        })
    }
    fn get(&self, name: &str) -> Option<Val<'a>> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        self.parent.as_ref().and_then(|p| p.get(name))
    }
    fn set(&self, name: &str, v: Val<'a>) {
        self.vars.borrow_mut().insert(name.to_string(), v);
    }
}

pub fn err(code: &str, msg: impl Into<String>) -> Error {
    Error {
        code: code.to_string(),
        message: msg.into(),
    }
}

pub fn num(f: f64) -> Result<Value, Error> {
    if !f.is_finite() {
        return Err(err("D1001", "Number out of range"));
    }
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Ok(Value::Number(Number::from(f as i64)))
    } else {
        Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| err("D1001", "Number out of range"))
    }
}

pub fn truthy(v: &Val<'_>) -> bool {
    match v {
        Val::Undef => false,
        Val::F(_) => true,
        Val::J(j) => truthy_json(j),
        Val::Seq(s, _) | Val::Cons(s) => s.iter().any(truthy_json),
    }
}

pub fn truthy_json(j: &Value) -> bool {
    match j {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(truthy_json),
        Value::Object(m) => !m.is_empty(),
    }
}

pub fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| deep_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Items of a value as a sequence (arrays are their elements).
pub fn items(v: Val<'_>) -> Vec<Value> {
    match v {
        Val::Undef | Val::F(_) => vec![],
        Val::J(Value::Array(a)) => a,
        Val::J(x) => vec![x],
        Val::Seq(s, _) | Val::Cons(s) => s,
    }
}

pub struct Ctx<'a, 'e> {
    pub env: &'e dyn Env,
    pub depth: usize,
    pub _p: std::marker::PhantomData<&'a ()>,
}

impl<'a> Ctx<'a, '_> {
    pub fn eval(
        &mut self,
        n: &'a Node,
        input: Option<&Value>,
        fr: &Rc<Frame<'a>>,
    ) -> Result<Val<'a>, Error> {
        self.depth += 1;
        if self.depth > 5000 {
            self.depth -= 1;
            return Err(err(
                "U1001",
                "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
            ));
        }
        // deep (user-recursive) expressions grow the stack instead of overflowing it
        let r = stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || {
            self.eval_inner(n, input, fr).map(collapse)
        });
        self.depth -= 1;
        r
    }

    fn lookup_var(&self, name: &str, input: Option<&Value>, fr: &Rc<Frame<'a>>) -> Val<'a> {
        if name.is_empty() {
            return input.cloned().map(Val::J).unwrap_or(Val::Undef);
        }
        if name == "$" {
            return input.cloned().map(Val::J).unwrap_or(Val::Undef);
        }
        if let Some(v) = fr.get(name) {
            return v;
        }
        if let Some(v) = self.env.lookup(name) {
            return Val::J(v);
        }
        if functions::exists(name) {
            return Val::F(Rc::new(Func::Builtin(name.to_string())));
        }
        Val::Undef
    }

    fn eval_inner(
        &mut self,
        n: &'a Node,
        input: Option<&Value>,
        fr: &Rc<Frame<'a>>,
    ) -> Result<Val<'a>, Error> {
        Ok(match n {
            Node::Num(f) => Val::J(num(*f)?),
            Node::Str(s) => Val::J(Value::String(s.clone())),
            Node::Bool(b) => Val::J(Value::Bool(*b)),
            Node::Null => Val::J(Value::Null),
            Node::Regex(..) => Val::F(Rc::new(Func::Builtin("#regex".into()))),
            Node::Placeholder => Val::Undef,
            Node::Name(name) => match input {
                Some(Value::Object(m)) => m.get(name).cloned().map(Val::J).unwrap_or(Val::Undef),
                Some(Value::Array(a)) => {
                    let mut out = Vec::new();
                    for x in a {
                        let r = self.eval(n, Some(x), fr)?;
                        push_flat(&mut out, r);
                    }
                    Val::Seq(out, false)
                }
                _ => Val::Undef,
            },
            Node::Var(name) => self.lookup_var(name, input, fr),
            Node::Wildcard => match input {
                Some(Value::Object(m)) => {
                    let mut out = Vec::new();
                    for v in m.values() {
                        match v {
                            Value::Array(a) => out.extend(a.iter().cloned()),
                            other => out.push(other.clone()),
                        }
                    }
                    Val::Seq(out, false)
                }
                Some(Value::Array(a)) => Val::Seq(a.clone(), false),
                Some(v) => Val::J(v.clone()),
                None => Val::Undef,
            },
            Node::Descendants => {
                let mut out = Vec::new();
                if let Some(v) = input {
                    descendants(v, &mut out);
                }
                Val::Seq(out, false)
            }
            Node::Parent => return Err(err("S0217", "The parent operator % is not supported")),
            Node::Neg(x) => match self.eval(x, input, fr)?.json() {
                None => Val::Undef,
                Some(Value::Number(n)) => Val::J(num(-n.as_f64().unwrap_or(0.0))?),
                Some(_) => return Err(err("D1002", "Cannot negate a non-numeric value")),
            },
            Node::And(a, b) => {
                let l = truthy(&self.eval(a, input, fr)?);
                Val::J(Value::Bool(l && truthy(&self.eval(b, input, fr)?)))
            }
            Node::Or(a, b) => {
                let l = truthy(&self.eval(a, input, fr)?);
                Val::J(Value::Bool(l || truthy(&self.eval(b, input, fr)?)))
            }
            Node::Bin(op, a, b) => {
                let l = self.eval(a, input, fr)?;
                let r = self.eval(b, input, fr)?;
                self.binary(op, l, r)?
            }
            Node::Path(steps, keep) => self.path(steps, *keep, input, fr)?,
            Node::Filter(e, pred) => {
                let v = self.eval(e, input, fr)?;
                self.filter(v, pred, fr)?
            }
            Node::Array(items) => {
                let mut out = Vec::new();
                for it in items {
                    if let Node::Range(a, b) = it {
                        let (l, r) = (
                            self.eval(a, input, fr)?.json(),
                            self.eval(b, input, fr)?.json(),
                        );
                        let (Some(l), Some(r)) = (l, r) else { continue };
                        let (Some(l), Some(r)) = (l.as_f64(), r.as_f64()) else {
                            return Err(err("T2003", "The left side of the range operator (..) must evaluate to an integer"));
                        };
                        if r - l > 10_000_000.0 {
                            return Err(err("D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e7."));
                        }
                        let mut i = l as i64;
                        while i <= r as i64 {
                            out.push(Value::from(i));
                            i += 1;
                        }
                        continue;
                    }
                    let v = self.eval(it, input, fr)?;
                    match v {
                        Val::Undef | Val::F(_) => {}
                        Val::J(x) => out.push(x),
                        Val::Cons(a) => out.push(Value::Array(a)),
                        Val::Seq(s, _) => out.extend(s),
                    }
                }
                Val::Cons(out)
            }
            Node::Range(..) => return Err(err("S0201", "Range outside of an array constructor")),
            Node::Object(pairs) => {
                let items: Vec<Value> = match input {
                    Some(Value::Array(a)) => a.clone(),
                    Some(v) => vec![v.clone()],
                    None => vec![],
                };
                self.group(items, input.is_none(), pairs, fr)?
            }
            Node::Group(e, pairs) => {
                let v = self.eval(e, input, fr)?;
                self.group(items(v), false, pairs, fr)?
            }
            Node::Block(items) => {
                let f = Frame::child(fr);
                let mut last = Val::Undef;
                for it in items {
                    last = self.eval(it, input, &f)?;
                }
                last
            }
            Node::Bind(name, e) => {
                let v = self.eval(e, input, fr)?;
                fr.set(name, v.clone());
                v
            }
            Node::Lambda(params, body) => Val::F(Rc::new(Func::Lambda {
                params,
                body,
                env: fr.clone(),
            })),
            Node::Cond(c, t, e) => {
                if truthy(&self.eval(c, input, fr)?) {
                    self.eval(t, input, fr)?
                } else if let Some(e) = e {
                    self.eval(e, input, fr)?
                } else {
                    Val::Undef
                }
            }
            Node::Elvis(a, b) => {
                let l = self.eval(a, input, fr)?;
                if truthy(&l) {
                    l
                } else {
                    self.eval(b, input, fr)?
                }
            }
            Node::Coalesce(a, b) => {
                let l = self.eval(a, input, fr)?;
                if l.is_undef() {
                    self.eval(b, input, fr)?
                } else {
                    l
                }
            }
            Node::Call(f, args) => {
                let fv = self.eval(f, input, fr)?;
                let Val::F(func) = fv else {
                    return Err(err("T1006", "Attempted to invoke a non-function"));
                };
                if args.iter().any(|a| matches!(a, Node::Placeholder)) {
                    let mut pargs = Vec::new();
                    for a in args {
                        pargs.push(match a {
                            Node::Placeholder => None,
                            other => Some(self.eval(other, input, fr)?),
                        });
                    }
                    return Ok(Val::F(Rc::new(Func::Partial {
                        f: func,
                        args: pargs,
                    })));
                }
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    if let Node::Regex(re, _) = a {
                        vals.push(Val::J(Value::String(format!("\u{0}regex:{}", re.as_str()))));
                        continue;
                    }
                    vals.push(self.eval(a, input, fr)?);
                }
                self.apply(&func, vals, input)?
            }
            Node::Chain(a, b) => {
                let l = self.eval(a, input, fr)?;
                match &**b {
                    Node::Call(f, args) => {
                        let fv = self.eval(f, input, fr)?;
                        let Val::F(func) = fv else {
                            return Err(err("T1006", "Attempted to invoke a non-function"));
                        };
                        let mut vals = vec![l];
                        for a in args {
                            if let Node::Regex(re, _) = a {
                                vals.push(Val::J(Value::String(format!(
                                    "\u{0}regex:{}",
                                    re.as_str()
                                ))));
                                continue;
                            }
                            vals.push(self.eval(a, input, fr)?);
                        }
                        self.apply(&func, vals, input)?
                    }
                    other => {
                        let fv = self.eval(other, input, fr)?;
                        let Val::F(func) = fv else {
                            return Err(err("T2006", "The right side of the function application operator ~> must be a function"));
                        };
                        self.apply(&func, vec![l], input)?
                    }
                }
            }
            Node::Sort(e, terms) => {
                let v = self.eval(e, input, fr)?;
                let mut its = items(v);
                let mut keyed = Vec::with_capacity(its.len());
                for it in its.drain(..) {
                    let mut keys = Vec::new();
                    for (t, _) in terms {
                        keys.push(self.eval(t, Some(&it), fr)?.json());
                    }
                    keyed.push((keys, it));
                }
                let mut failure = None;
                keyed.sort_by(|a, b| {
                    for (i, (_, desc)) in terms.iter().enumerate() {
                        let o = match (&a.0[i], &b.0[i]) {
                            (Some(Value::Number(x)), Some(Value::Number(y))) => {
                                x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(std::cmp::Ordering::Equal)
                            }
                            (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
                            (None, None) => std::cmp::Ordering::Equal,
                            (None, _) => std::cmp::Ordering::Greater,
                            (_, None) => std::cmp::Ordering::Less,
                            _ => {
                                failure = Some(err("T2008", "The expressions within an order-by clause must evaluate to numeric or string values"));
                                std::cmp::Ordering::Equal
                            }
                        };
                        let o = if *desc { o.reverse() } else { o };
                        if o != std::cmp::Ordering::Equal {
                            return o;
                        }
                    }
                    std::cmp::Ordering::Equal
                });
                if let Some(f) = failure {
                    return Err(f);
                }
                Val::Seq(keyed.into_iter().map(|(_, v)| v).collect(), false)
            }
        })
    }

    fn path(
        &mut self,
        steps: &'a [Node],
        keep: bool,
        input: Option<&Value>,
        fr: &Rc<Frame<'a>>,
    ) -> Result<Val<'a>, Error> {
        let Some(first) = steps.first() else {
            return Ok(Val::Undef);
        };
        // the first step runs once on the input (a variable or a literal is not mapped)
        let mut seq: Vec<Value>;
        let first_val = match first {
            Node::Var(_) | Node::Array(_) | Node::Block(_) | Node::Call(..) | Node::Str(_) => {
                self.eval(first, input, fr)?
            }
            _ => match input {
                Some(Value::Array(a)) => {
                    let mut out = Vec::new();
                    let mut results = Vec::new();
                    for x in a {
                        let r = self.eval(first, Some(x), fr)?;
                        if !r.is_undef() {
                            results.push(r);
                        }
                    }
                    if steps.len() == 1 && results.len() == 1 {
                        if let Val::J(Value::Array(_)) = &results[0] {
                            return Ok(results.pop().unwrap_or(Val::Undef));
                        }
                    }
                    for r in results {
                        push_flat(&mut out, r);
                    }
                    Val::Seq(out, false)
                }
                _ => self.eval(first, input, fr)?,
            },
        };
        if steps.len() == 1 {
            return Ok(match first_val {
                Val::Seq(s, _) => Val::Seq(s, keep),
                Val::J(Value::Array(a)) if keep => Val::Seq(a, true),
                Val::J(v) if keep => Val::Seq(vec![v], true),
                other => other,
            });
        }
        seq = Vec::new();
        match first_val {
            Val::Cons(a) => seq.push(Value::Array(a)),
            other => push_flat(&mut seq, other),
        }
        for (k, step) in steps.iter().enumerate().skip(1) {
            let last = k + 1 == steps.len();
            let mut results: Vec<Val<'a>> = Vec::new();
            for item in &seq {
                let r = self.eval(step, Some(item), fr)?;
                if !r.is_undef() {
                    results.push(r);
                }
            }
            if last && results.len() == 1 {
                if let Val::J(Value::Array(_)) = &results[0] {
                    let v = results.pop().unwrap_or(Val::Undef);
                    return Ok(match v {
                        Val::J(Value::Array(a)) if keep => Val::Seq(a, true),
                        other => other,
                    });
                }
            }
            let mut next = Vec::new();
            for r in results {
                match r {
                    Val::Cons(a) => next.push(Value::Array(a)),
                    other => push_flat(&mut next, other),
                }
            }
            seq = next;
            if seq.is_empty() {
                break;
            }
        }
        Ok(Val::Seq(seq, keep))
    }

    fn filter(&mut self, v: Val<'a>, pred: &'a Node, fr: &Rc<Frame<'a>>) -> Result<Val<'a>, Error> {
        let its = items(v);
        if let Node::Num(n) = pred {
            let len = its.len() as i64;
            let mut i = n.floor() as i64;
            if i < 0 {
                i += len;
            }
            return Ok(if i >= 0 && i < len {
                Val::J(its[i as usize].clone())
            } else {
                Val::Undef
            });
        }
        let len = its.len();
        let mut out = Vec::new();
        for (idx, it) in its.into_iter().enumerate() {
            let r = self.eval(pred, Some(&it), fr)?;
            let keep = match &r {
                Val::J(Value::Number(n)) => {
                    let mut i = n.as_f64().unwrap_or(0.0).floor() as i64;
                    if i < 0 {
                        i += len as i64;
                    }
                    i == idx as i64
                }
                Val::Seq(s, _) | Val::Cons(s)
                    if !s.is_empty() && s.iter().all(|x| x.is_number()) =>
                {
                    s.iter().any(|x| {
                        let mut i = x.as_f64().unwrap_or(0.0).floor() as i64;
                        if i < 0 {
                            i += len as i64;
                        }
                        i == idx as i64
                    })
                }
                other => truthy(other),
            };
            if keep {
                out.push(it);
            }
        }
        Ok(Val::Seq(out, false))
    }

    fn group(
        &mut self,
        items: Vec<Value>,
        no_input: bool,
        pairs: &'a [(Node, Node)],
        fr: &Rc<Frame<'a>>,
    ) -> Result<Val<'a>, Error> {
        let mut groups: Vec<(String, usize, Vec<Value>)> = Vec::new();
        let inputs: Vec<Option<Value>> = if no_input || items.is_empty() {
            vec![None]
        } else {
            items.into_iter().map(Some).collect()
        };
        for it in &inputs {
            for (pi, (k, _)) in pairs.iter().enumerate() {
                let key = self.eval(k, it.as_ref(), fr)?;
                let key = match key.json() {
                    Some(Value::String(s)) => s,
                    None => continue,
                    Some(_) => {
                        return Err(err(
                            "T1003",
                            "Key in object structure must evaluate to a string",
                        ))
                    }
                };
                match groups.iter_mut().find(|g| g.0 == key) {
                    Some(g) => {
                        if g.1 != pi {
                            return Err(err(
                                "D1009",
                                format!("Multiple key definitions evaluate to same key: \"{key}\""),
                            ));
                        }
                        if let Some(v) = it {
                            g.2.push(v.clone());
                        }
                    }
                    None => groups.push((key, pi, it.iter().cloned().collect())),
                }
            }
        }
        let mut m = Map::new();
        for (key, pi, vals) in groups {
            let ctx = match vals.len() {
                0 => None,
                1 => vals.into_iter().next(),
                _ => Some(Value::Array(vals)),
            };
            let v = self.eval(&pairs[pi].1, ctx.as_ref(), fr)?;
            if let Some(j) = v.json() {
                m.insert(key, j);
            }
        }
        Ok(Val::J(Value::Object(m)))
    }

    fn binary(&mut self, op: &str, l: Val<'a>, r: Val<'a>) -> Result<Val<'a>, Error> {
        match op {
            "+" | "-" | "*" | "/" | "%" | "**" => {
                let (lj, rj) = (l.json(), r.json());
                let ln = match &lj {
                    None => None,
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(_) => {
                        return Err(err(
                            "T2001",
                            format!(
                                "The left side of the \"{op}\" operator must evaluate to a number"
                            ),
                        ))
                    }
                };
                let rn = match &rj {
                    None => None,
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(_) => {
                        return Err(err(
                            "T2002",
                            format!(
                                "The right side of the \"{op}\" operator must evaluate to a number"
                            ),
                        ))
                    }
                };
                let (Some(a), Some(b)) = (ln, rn) else {
                    return Ok(Val::Undef);
                };
                let v = match op {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" => a / b,
                    "%" => a % b,
                    _ => a.powf(b),
                };
                Ok(Val::J(num(v)?))
            }
            "&" => {
                let s = functions::stringify(l.json().as_ref())?
                    + &functions::stringify(r.json().as_ref())?;
                Ok(Val::J(Value::String(s)))
            }
            "=" | "!=" => {
                let (lj, rj) = (l.json(), r.json());
                let (Some(a), Some(b)) = (lj, rj) else {
                    return Ok(Val::J(Value::Bool(false)));
                };
                let eq = deep_eq(&a, &b);
                Ok(Val::J(Value::Bool(if op == "=" { eq } else { !eq })))
            }
            "<" | "<=" | ">" | ">=" => {
                let (lj, rj) = (l.json(), r.json());
                let ok_type = |v: &Option<Value>| {
                    matches!(v, None | Some(Value::Number(_)) | Some(Value::String(_)))
                };
                if !ok_type(&lj) || !ok_type(&rj) {
                    return Err(err(
                        "T2010",
                        format!("The expressions either side of operator \"{op}\" must evaluate to numeric or string values"),
                    ));
                }
                let (Some(a), Some(b)) = (lj, rj) else {
                    return Ok(Val::Undef);
                };
                let o = match (&a, &b) {
                    (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
                    (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                    _ => {
                        return Err(err(
                            "T2009",
                            format!("The values {a} and {b} either side of operator \"{op}\" must be of the same data type"),
                        ))
                    }
                };
                use std::cmp::Ordering::*;
                let res = match (op, o) {
                    (_, None) => false,
                    ("<", Some(o)) => o == Less,
                    ("<=", Some(o)) => o != Greater,
                    (">", Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                };
                Ok(Val::J(Value::Bool(res)))
            }
            "in" => {
                let Some(a) = l.json() else {
                    return Ok(Val::J(Value::Bool(false)));
                };
                let hay = match r.json() {
                    Some(Value::Array(v)) => v,
                    Some(v) => vec![v],
                    None => vec![],
                };
                Ok(Val::J(Value::Bool(hay.iter().any(|x| deep_eq(x, &a)))))
            }
            _ => Err(err("S0201", format!("Unknown operator {op}"))),
        }
    }

    /// Call a function value with arguments.
    pub fn apply(
        &mut self,
        f: &Rc<Func<'a>>,
        args: Vec<Val<'a>>,
        input: Option<&Value>,
    ) -> Result<Val<'a>, Error> {
        match &**f {
            Func::Lambda { params, body, env } => {
                let fr = Frame::child(env);
                let mut it = args.into_iter();
                for p in params.iter() {
                    fr.set(p, it.next().unwrap_or(Val::Undef));
                }
                self.eval(body, input, &fr)
            }
            Func::Builtin(name) => functions::call(self, name, args, input),
            Func::Partial {
                f: inner,
                args: pargs,
            } => {
                let mut it = args.into_iter();
                let full: Vec<Val<'a>> = pargs
                    .iter()
                    .map(|a| match a {
                        Some(v) => v.clone(),
                        None => it.next().unwrap_or(Val::Undef),
                    })
                    .collect();
                let inner = inner.clone();
                self.apply(&inner, full, input)
            }
        }
    }

    /// Number of declared parameters of a function (for $map/$filter callbacks).
    pub fn arity(f: &Func<'_>) -> usize {
        match f {
            Func::Lambda { params, .. } => params.len(),
            Func::Builtin(_) => 1,
            Func::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
        }
    }
}

fn push_flat(out: &mut Vec<Value>, v: Val<'_>) {
    match v {
        Val::Undef | Val::F(_) => {}
        Val::J(Value::Array(a)) => out.extend(a),
        Val::J(x) => out.push(x),
        Val::Seq(s, _) => out.extend(s),
        Val::Cons(a) => out.push(Value::Array(a)),
    }
}

fn descendants(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| descendants(x, out)),
        Value::Object(m) => {
            out.push(v.clone());
            for x in m.values() {
                descendants(x, out);
            }
        }
        other => out.push(other.clone()),
    }
}
