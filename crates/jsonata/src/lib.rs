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

#[cfg(test)]
mod refusals {
    use super::*;

    fn code(e: &str) -> String {
        match Expr::parse(e) {
            Err(err) => err.code,
            Ok(x) => x
                .evaluate(None, &NoEnv)
                .map(|_| String::new())
                .unwrap_or_else(|err| err.code),
        }
    }

    #[test]
    fn gaps_are_refused_with_a_clear_error_never_ignored() {
        assert_eq!(code("$fromMillis(0, '[Y0001]')"), "D3135");
        assert_eq!(code("$toMillis('2024', '[Y0001]')"), "D3135");
        assert_eq!(code("$now('[H01]')"), "D3135");
        assert_eq!(code("$fromMillis(0)"), "");
        assert_eq!(code("$ ~> |$|{'a': 1}|"), "S0211");
        assert_eq!(code("%.a"), "S0217");
        let msg = Expr::parse("$ ~> |$|{}|").unwrap_err().message;
        assert!(msg.contains("transform"), "{msg}");
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;
    use serde_json::json;

    struct Vars(Value);
    impl Env for Vars {
        fn lookup(&self, name: &str) -> Option<Value> {
            self.0.get(name).cloned()
        }
    }

    fn ev(e: &str) -> Result<Option<Value>, Error> {
        let env = Vars(json!({
            "states": {"input": {"items": [{"id": "a", "price": 3}, {"id": "b", "price": 12}, {"id": "c", "price": 20}],
                                 "name": "Ada", "n": "5", "tags": ["x"]}},
            "limit": 10
        }));
        Expr::parse(e)?.evaluate(None, &env)
    }

    #[test]
    fn aws_style_expressions() {
        assert_eq!(
            ev("$states.input.items[price > $limit].id").unwrap(),
            Some(json!(["b", "c"]))
        );
        assert_eq!(ev("$states.input.items[0].id").unwrap(), Some(json!("a")));
        assert_eq!(
            ev("$states.input.items[-1].price").unwrap(),
            Some(json!(20))
        );
        assert_eq!(
            ev("$sum($states.input.items.price)").unwrap(),
            Some(json!(35))
        );
        assert_eq!(ev("$count($states.input.items)").unwrap(), Some(json!(3)));
        assert_eq!(ev("$states.input.tags").unwrap(), Some(json!(["x"])));
        assert_eq!(
            ev("$uppercase($states.input.name) & '!'").unwrap(),
            Some(json!("ADA!"))
        );
        assert_eq!(ev("$number($states.input.n) + 1").unwrap(), Some(json!(6)));
        assert_eq!(
            ev("$exists($states.input.missing)").unwrap(),
            Some(json!(false))
        );
        assert_eq!(
            ev("$merge([{'a': 1}, {'b': 2}])").unwrap(),
            Some(json!({"a": 1, "b": 2}))
        );
        assert_eq!(
            ev("{'total': $sum($states.input.items.price), 'ids': $states.input.items.id}")
                .unwrap(),
            Some(json!({"total": 35, "ids": ["a", "b", "c"]}))
        );
        assert_eq!(
            ev("$states.input.items^(>price)[0].id").unwrap(),
            Some(json!("c"))
        );
        assert_eq!(
            ev("$string(1.5) & $string(true)").unwrap(),
            Some(json!("1.5true"))
        );
        assert_eq!(
            ev("$filter([1,2,3,4], function($v){$v % 2 = 0})").unwrap(),
            Some(json!([2, 4]))
        );
        assert_eq!(
            ev("$reduce([1,2,3], function($a, $b){$a + $b})").unwrap(),
            Some(json!(6))
        );
        assert_eq!(ev("$join(['a','b'], '-')").unwrap(), Some(json!("a-b")));
        assert_eq!(ev("'x' in ['x', 'y']").unwrap(), Some(json!(true)));
        assert_eq!(
            ev("$keys({'a': 1, 'b': 2})").unwrap(),
            Some(json!(["a", "b"]))
        );
        assert_eq!(
            ev("$partition([1,2,3], 2)").unwrap(),
            Some(json!([[1, 2], [3]]))
        );
        assert_eq!(ev("$range(0, 4, 2)").unwrap(), Some(json!([0, 2, 4])));
        assert_eq!(
            ev("$hash('input data', 'MD5')").unwrap(),
            Some(json!("812f45842bc6d66ee14572ce20db8e86"))
        );
        assert_eq!(ev("$parse('{\"a\": [1]}').a").unwrap(), Some(json!([1])));
        assert!(ev("1 + 'a'").unwrap_err().to_string().starts_with("T2002"));
        assert!(ev("$undefinedFn()")
            .unwrap_err()
            .to_string()
            .starts_with("T1006"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "(".repeat(5000) + &")".repeat(5000);
        assert!(Expr::parse(&deep).is_err());
        let rec = "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))";
        let r = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || Expr::parse(rec).unwrap().evaluate(None, &NoEnv).is_err())
            .unwrap()
            .join()
            .unwrap();
        assert!(r);
    }
}
