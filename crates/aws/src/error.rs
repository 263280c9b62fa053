//! SDK errors as the workflow's named errors. What a retry can fix
//! (throttling, timeouts, 5xx) gets the transient name the state machine
//! retries; everything else the failed name it does not. Messages carry
//! the operation, AWS's error code and message: never credentials or the
//! request's payload.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use responder_workflow::Error;
use responder_workflow::error::ErrorName;

/// Codes AWS services use for "slow down".
const THROTTLING_CODES: [&str; 8] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "LimitExceededException",
];

/// Codes that mean "try again" without being throttling.
const TRANSIENT_CODES: [&str; 6] = [
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "TransactionInProgressException",
];

/// How a failed call can be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Throttled,
    Transient,
    Rejected,
}

/// One failed SDK call, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: Kind,
    /// AWS's error code, when the service answered.
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    pub fn of<E, R>(operation: &str, error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match error {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().map(str::to_owned);
                let kind = match code.as_deref() {
                    Some(c) if THROTTLING_CODES.contains(&c) => Kind::Throttled,
                    Some(c) if TRANSIENT_CODES.contains(&c) => Kind::Transient,
                    _ => Kind::Rejected,
                };
                let message = format!(
                    "{operation}: {}: {}",
                    code.as_deref().unwrap_or("error"),
                    e.message().unwrap_or("no message")
                );
                Self {
                    kind,
                    code,
                    message,
                }
            }
            // Timeouts, connection failures and unreadable responses: the
            // request may not have reached AWS, or its answer was lost.
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => Self {
                kind: Kind::Transient,
                code: None,
                message: format!("{operation}: {}", describe(error)),
            },
            _ => Self {
                kind: Kind::Rejected,
                code: None,
                message: format!("{operation}: {}", describe(error)),
            },
        }
    }

    /// As a named error: `transient` for throttling and transient failures.
    pub fn named(self, transient: ErrorName, failed: ErrorName) -> Error {
        match self.kind {
            Kind::Throttled | Kind::Transient => Error::new(transient, self.message),
            Kind::Rejected => Error::new(failed, self.message),
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// A failed call as a named error: `transient` for what a retry can fix
/// (throttling, timeouts, 5xx), `failed` for the rest.
pub fn named<E, R>(
    operation: &str,
    error: &SdkError<E, R>,
    transient: ErrorName,
    failed: ErrorName,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Failure::of(operation, error).named(transient, failed)
}

fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // The source chain says what went wrong (a timeout, a refused
    // connection); the top-level display only says "dispatch failure".
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
