//! A JSONata evaluator over `serde_json` values: the language (paths with JSONata's
//! sequence rules, predicates, operators, conditionals, blocks, variables, lambdas,
//! higher-order functions, regexes) and its function library, plus the functions AWS Step
//! Functions adds. Errors carry JSONata's codes (`T1006: Attempted to invoke a non-function`).

mod eval;
mod functions;
mod parse;

use serde_json::Value;
use std::marker::PhantomData;

/// A JSONata error: code (`T1006`) and message, displayed as AWS shows it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: String,
    pub message: String,
}

/// Variables the expression can read (`$name`) beyond its own bindings.
pub trait Env {
    fn lookup(&self, name: &str) -> Option<Value>;
}

/// An environment with no variables.
pub struct NoEnv;
impl Env for NoEnv {
    fn lookup(&self, _name: &str) -> Option<Value> {
        None
    }
}

/// A parsed expression (immutable, shareable across threads).
#[derive(Debug, Clone)]
pub struct Expr {
    root: parse::Node,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, Error> {
        Ok(Expr {
            root: parse::parse(text)?,
        })
    }

    /// Evaluate against `input` (`$`); `None` is JSONata's undefined.
    pub fn evaluate(&self, input: Option<&Value>, env: &dyn Env) -> Result<Option<Value>, Error> {
        let mut cx = eval::Ctx {
            env,
            depth: 0,
            _p: PhantomData,
        };
        let fr = eval::Frame::root();
        let v = cx.eval(&self.root, input, &fr)?;
        Ok(v.json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(e: &str, input: Value) -> Option<Value> {
        Expr::parse(e)
            .unwrap()
            .evaluate(Some(&input), &NoEnv)
            .unwrap()
    }

    #[test]
    fn paths_and_sequences() {
        let d = json!({"a": [{"b": 1}, {"b": 2}], "c": {"d": [5]}});
        assert_eq!(ev("a.b", d.clone()), Some(json!([1, 2])));
        assert_eq!(ev("a[0].b", d.clone()), Some(json!(1)));
        assert_eq!(ev("c.d", d.clone()), Some(json!([5])));
        assert_eq!(ev("a[b > 1].b", d.clone()), Some(json!(2)));
        assert_eq!(ev("$sum(a.b) + 1", d.clone()), Some(json!(4)));
        assert_eq!(ev("nothing", d.clone()), None);
        assert_eq!(ev("[1..3]", d.clone()), Some(json!([1, 2, 3])));
        assert_eq!(
            ev("$map([1,2], function($v){ $v * 2 })", d.clone()),
            Some(json!([2, 4]))
        );
        assert_eq!(ev("($x := 3; $x * $x)", d.clone()), Some(json!(9)));
        assert_eq!(ev("\"a\" & 1", d.clone()), Some(json!("a1")));
        assert_eq!(ev("a.b ~> $sum()", d.clone()), Some(json!(3)));
        assert_eq!(ev("{'k': 1}", d.clone()), Some(json!({"k": 1})));
        assert_eq!(
            ev("$contains('hello$world', /^hello\\$/)", d.clone()),
            Some(json!(true))
        );
        assert_eq!(ev("1 = 1 ? 'y' : 'n'", d.clone()), Some(json!("y")));
        assert_eq!(ev("$string({'a': 1.5})", d), Some(json!("{\"a\":1.5}")));
    }

    #[test]
    fn errors_have_codes() {
        let e = Expr::parse("$nope(1)")
            .unwrap()
            .evaluate(None, &NoEnv)
            .unwrap_err();
        assert_eq!(e.to_string(), "T1006: Attempted to invoke a non-function");
        assert!(Expr::parse("(").is_err());
        assert!(Expr::parse("'abc").is_err());
    }
}
