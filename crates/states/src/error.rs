//! Runtime failures (an error name matched by `ErrorEquals`, plus an optional cause).

use serde_json::Value;

/// A failed state or execution: `error` is what `ErrorEquals` matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {}", cause.as_deref().unwrap_or(""))]
pub struct Failure {
    pub error: String,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }

    pub fn runtime(cause: impl Into<String>) -> Failure {
        Failure::new("States.Runtime", cause)
    }

    /// The `{"Error":..,"Cause":..}` object a Catch hands to its ResultPath.
    pub fn to_value(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("Error".into(), Value::String(self.error.clone()));
        if let Some(c) = &self.cause {
            m.insert("Cause".into(), Value::String(c.clone()));
        }
        Value::Object(m)
    }
}
