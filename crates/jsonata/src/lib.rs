//! JSONata evaluator over serde_json values (work in progress: literals and `$` paths).

use serde_json::Value;

/// A JSONata error: code (`T1006`) and message, displayed as AWS shows it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: String,
    pub message: String,
}

/// Variables the expression can read (`$name`).
pub trait Env {
    fn lookup(&self, name: &str) -> Option<Value>;
}

#[derive(Debug, Clone)]
pub struct Expr {
    text: String,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, Error> {
        Ok(Expr { text: text.trim().to_string() })
    }

    pub fn evaluate(&self, _input: Option<&Value>, env: &dyn Env) -> Result<Option<Value>, Error> {
        if let Ok(v) = serde_json::from_str::<Value>(&self.text) {
            return Ok(Some(v));
        }
        if let Some(rest) = self.text.strip_prefix('$') {
            let mut parts = rest.split('.');
            let name = parts.next().unwrap_or_default();
            let mut cur = env.lookup(name);
            for p in parts {
                cur = cur.and_then(|v| v.get(p).cloned());
            }
            return Ok(cur);
        }
        Err(Error { code: "S0000".into(), message: "unsupported".into() })
    }
}
