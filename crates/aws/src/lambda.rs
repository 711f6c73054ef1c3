//! Glue the Lambda binaries under `functions/` share: a task error becomes the Lambda
//! `errorType`/`errorMessage` pair, so the state machine's `ErrorEquals` sees DESIGN.md's
//! names (`UnsupportedMediaType`, `StorageUnavailable` ...).

use lambda_runtime::Diagnostic;
use pipeline::TaskError;

/// A task failure on its way out of a Lambda handler.
#[derive(Debug)]
pub struct LambdaError(pub TaskError);

impl From<TaskError> for LambdaError {
    fn from(e: TaskError) -> Self {
        LambdaError(e)
    }
}

impl From<LambdaError> for Diagnostic {
    fn from(e: LambdaError) -> Self {
        tracing::warn!(error_type = e.0.name.as_str(), message = %e.0.message, "task failed");
        Diagnostic {
            error_type: e.0.name.as_str().to_owned(),
            error_message: e.0.message,
        }
    }
}

/// Structured logs as the Lambda runtime expects them (`AWS_LAMBDA_LOG_FORMAT`,
/// `AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`).
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::ErrorName;

    #[test]
    fn error_type_is_the_design_name() {
        let d: Diagnostic =
            LambdaError(TaskError::new(ErrorName::CorruptMedia, "truncated JPEG")).into();
        assert_eq!(d.error_type, "CorruptMedia");
        assert_eq!(d.error_message, "truncated JPEG");
    }
}
