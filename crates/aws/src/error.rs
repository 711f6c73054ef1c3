//! Classifying SDK failures into the port's `StoreError`.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response;
use pipeline::StoreError;

/// Error codes AWS services use for throttling and transient server trouble.
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "LimitExceededException",
];

/// Is this service error code transient?
pub(crate) fn is_transient_code(code: &str) -> bool {
    TRANSIENT_CODES.contains(&code)
}

/// The service error code of an SDK error, when the service answered.
pub(crate) fn code<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> Option<&str> {
    match err {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Map an SDK error that no caller-specific rule claimed. Timeouts, dispatch failures,
/// throttling codes and 5xx/429 answers are transient; everything else is `Invalid`
/// (a request we built wrong, missing permissions, a missing bucket or table).
pub(crate) fn classify<E>(what: &str, err: SdkError<E, Response>) -> StoreError
where
    E: ProvideErrorMetadata + StdError + Debug + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(r) => r.raw().status().is_server_error(),
        SdkError::ServiceError(s) => {
            let status = s.raw().status();
            status.is_server_error()
                || status.as_u16() == 429
                || s.err().code().is_some_and(is_transient_code)
        }
        SdkError::ConstructionFailure(_) => false,
        _ => false,
    };
    let detail = describe(&err);
    if transient {
        tracing::warn!(operation = what, error = %detail, "transient AWS failure");
        StoreError::Unavailable(format!("{what}: {detail}"))
    } else {
        tracing::error!(operation = what, error = %detail, "AWS request failed");
        StoreError::Invalid(format!("{what}: {detail}"))
    }
}

/// A one-line description with the service code and message when there is one.
pub(crate) fn describe<E>(err: &SdkError<E, Response>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match err {
        SdkError::ServiceError(s) => {
            let e = s.err();
            match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m} (HTTP {})", s.raw().status().as_u16()),
                (Some(c), None) => format!("{c} (HTTP {})", s.raw().status().as_u16()),
                _ => format!("HTTP {}: {e}", s.raw().status().as_u16()),
            }
        }
        other => {
            // The Display of SdkError is terse ("dispatch failure"); walk the sources.
            let mut text = other.to_string();
            let mut source = StdError::source(other);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_are_transient() {
        assert!(is_transient_code("ThrottlingException"));
        assert!(is_transient_code("SlowDown"));
        assert!(is_transient_code("ProvisionedThroughputExceededException"));
        assert!(!is_transient_code("AccessDenied"));
        assert!(!is_transient_code("ConditionalCheckFailedException"));
    }
}
