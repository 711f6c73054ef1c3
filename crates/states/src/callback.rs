//! Task tokens of the callback pattern (`.waitForTaskToken`): the engine issues a token per
//! task attempt (`$$.Task.Token`), waits for `SendTaskSuccess` / `SendTaskFailure`, and
//! `SendTaskHeartbeat` restarts the task's `HeartbeatSeconds` timer. The answers for an
//! unknown, finished or timed-out token are Step Functions' own error names.

use base64::Engine as _;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};

/// Why a `SendTask*` call was refused (Step Functions' error names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// not a token this engine could have issued
    #[error("InvalidToken: Invalid Token: '{0}'")]
    InvalidToken(String),
    /// a well-formed token of no waiting task (never issued, or already answered)
    #[error("TaskDoesNotExist: Task Token does not exist")]
    TaskDoesNotExist,
    /// the task of this token ended by a timeout (TimeoutSeconds or HeartbeatSeconds)
    #[error("TaskTimedOut: Task Timed Out: '{0}'")]
    TaskTimedOut(String),
    /// the output is not JSON or too large
    #[error("InvalidOutput: {0}")]
    InvalidOutput(String),
}

impl CallbackError {
    /// The error name as the Step Functions API returns it (`__type`).
    pub fn name(&self) -> &'static str {
        match self {
            CallbackError::InvalidToken(_) => "InvalidToken",
            CallbackError::TaskDoesNotExist => "TaskDoesNotExist",
            CallbackError::TaskTimedOut(_) => "TaskTimedOut",
            CallbackError::InvalidOutput(_) => "InvalidOutput",
        }
    }
}

/// How a callback ended a waiting task.
#[derive(Debug, Clone, PartialEq)]
pub enum Callback {
    Success(Value),
    Failure { error: String, cause: String },
}

/// What [`Pending::next`] saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    Callback(Option<Callback>),
    Heartbeat,
}

struct Waiting {
    done: oneshot::Sender<Callback>,
    heartbeat: mpsc::UnboundedSender<()>,
}

/// How many timed-out tokens are remembered (to answer `TaskTimedOut` rather than
/// `TaskDoesNotExist`).
const TIMED_OUT_KEPT: usize = 10_000;

#[derive(Default)]
struct Inner {
    waiting: HashMap<String, Waiting>,
    timed_out: VecDeque<String>,
}

/// The tokens of the tasks waiting for a callback; share one between the engine
/// (`Services::task_tokens`) and whatever serves `SendTask*`.
#[derive(Default, Clone)]
pub struct TaskTokens {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for TaskTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskTokens")
            .field("waiting", &self.lock().waiting.len())
            .finish()
    }
}

const TOKEN_MAGIC: &[u8; 4] = b"MHtt";

/// A token the engine issued: a tag, a random id and the execution's name, base64url.
fn new_token(execution: &str) -> String {
    let mut raw = Vec::with_capacity(20 + execution.len());
    raw.extend_from_slice(TOKEN_MAGIC);
    raw.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    raw.extend_from_slice(execution.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn well_formed(token: &str) -> bool {
    token.len() <= 2048
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|raw| raw.len() >= 20 && raw.starts_with(TOKEN_MAGIC))
}

/// One task's wait for its callback (dropping it withdraws the token).
pub struct Pending {
    pub token: String,
    tokens: TaskTokens,
    done: Option<oneshot::Receiver<Callback>>,
    heartbeat: mpsc::UnboundedReceiver<()>,
}

impl Pending {
    /// The next thing that happens to the task: its callback (`None` when the token was
    /// withdrawn) or a heartbeat.
    pub async fn next(&mut self) -> Signal {
        let Some(done) = self.done.as_mut() else {
            return Signal::Callback(None);
        };
        let heartbeat = &mut self.heartbeat;
        tokio::select! {
            biased;
            cb = done => Signal::Callback(cb.ok()),
            Some(()) = heartbeat.recv() => Signal::Heartbeat,
        }
    }

    /// The task timed out: later callbacks get `TaskTimedOut`.
    pub fn timed_out(mut self) {
        self.done = None;
        let mut g = self.tokens.lock();
        g.waiting.remove(&self.token);
        if g.timed_out.len() >= TIMED_OUT_KEPT {
            g.timed_out.pop_front();
        }
        g.timed_out.push_back(self.token.clone());
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.tokens.lock().waiting.remove(&self.token);
    }
}

impl TaskTokens {
    pub fn new() -> TaskTokens {
        TaskTokens::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issue a token for a task of `execution` and start waiting for its callback.
    pub fn issue(&self, execution: &str) -> Pending {
        let token = new_token(execution);
        let (done_tx, done_rx) = oneshot::channel();
        let (hb_tx, hb_rx) = mpsc::unbounded_channel();
        self.lock().waiting.insert(
            token.clone(),
            Waiting {
                done: done_tx,
                heartbeat: hb_tx,
            },
        );
        Pending {
            token,
            tokens: self.clone(),
            done: Some(done_rx),
            heartbeat: hb_rx,
        }
    }

    /// How many tasks wait for a callback.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    fn check(&self, g: &Inner, token: &str) -> Result<(), CallbackError> {
        if !well_formed(token) {
            return Err(CallbackError::InvalidToken(token.to_string()));
        }
        if g.waiting.contains_key(token) {
            return Ok(());
        }
        if g.timed_out.iter().any(|t| t == token) {
            return Err(CallbackError::TaskTimedOut(token.to_string()));
        }
        Err(CallbackError::TaskDoesNotExist)
    }

    fn finish(&self, token: &str, cb: Callback) -> Result<(), CallbackError> {
        let mut g = self.lock();
        self.check(&g, token)?;
        let w = g
            .waiting
            .remove(token)
            .ok_or(CallbackError::TaskDoesNotExist)?;
        w.done.send(cb).map_err(|_| CallbackError::TaskDoesNotExist)
    }

    /// `SendTaskSuccess`: the task's result is `output`.
    pub fn send_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        if crate::executor::size_exceeds(&output, crate::executor::MAX_PAYLOAD) {
            return Err(CallbackError::InvalidOutput(
                "the output is larger than 256 KiB".into(),
            ));
        }
        self.finish(token, Callback::Success(output))
    }

    /// `SendTaskFailure`: the task fails with `error` (matched by Retry/Catch) and `cause`.
    pub fn send_failure(&self, token: &str, error: &str, cause: &str) -> Result<(), CallbackError> {
        self.finish(
            token,
            Callback::Failure {
                error: error.to_string(),
                cause: cause.to_string(),
            },
        )
    }

    /// `SendTaskHeartbeat`: the task is alive; its `HeartbeatSeconds` timer starts again.
    pub fn send_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        let g = self.lock();
        self.check(&g, token)?;
        match g.waiting.get(token) {
            Some(w) => w
                .heartbeat
                .send(())
                .map_err(|_| CallbackError::TaskDoesNotExist),
            None => Err(CallbackError::TaskDoesNotExist),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn success_reaches_the_waiting_task_once() {
        let t = TaskTokens::new();
        let mut p = t.issue("exec-1");
        let tok = p.token.clone();
        assert_eq!(t.waiting(), 1);
        t.send_heartbeat(&tok).unwrap();
        assert_eq!(p.next().await, Signal::Heartbeat);
        t.send_success(&tok, serde_json::json!({"ok": true}))
            .unwrap();
        assert_eq!(
            p.next().await,
            Signal::Callback(Some(Callback::Success(serde_json::json!({"ok": true}))))
        );
        assert_eq!(
            t.send_success(&tok, Value::Null),
            Err(CallbackError::TaskDoesNotExist)
        );
        assert_eq!(t.waiting(), 0);
    }

    #[test]
    fn errors_name_the_kind_of_bad_token() {
        let t = TaskTokens::new();
        assert!(matches!(
            t.send_failure("not a token", "E", "c"),
            Err(CallbackError::InvalidToken(_))
        ));
        let p = t.issue("x");
        let tok = p.token.clone();
        drop(p);
        assert_eq!(t.send_heartbeat(&tok), Err(CallbackError::TaskDoesNotExist));
        let p = t.issue("x");
        let tok = p.token.clone();
        p.timed_out();
        assert!(matches!(
            t.send_success(&tok, Value::Null),
            Err(CallbackError::TaskTimedOut(_))
        ));
        assert_eq!(CallbackError::TaskDoesNotExist.name(), "TaskDoesNotExist");
    }
}
