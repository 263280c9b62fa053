//! The one error type of the workflow's steps and ports. Its name is what
//! the state machine's `Retry` and `Catch` match, so names are stable API:
//! they are listed in [`names`] and in the error table of `docs/deployment.md`.

use std::borrow::Cow;

/// A step or port failure: a stable name and a message for people. Messages
/// never hold secrets (tokens, keys) or whole untrusted payloads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct Error {
    name: Cow<'static, str>,
    message: String,
}

/// The error names, as the ASL matches them.
pub mod names {
    /// The payload is not an alert of any supported source.
    pub const INVALID_ALERT: &str = "InvalidAlert";
    pub const UNSUPPORTED_SOURCE: &str = "UnsupportedSource";
    /// A task input lacks a field its state should pass (a deployment mistake).
    pub const INVALID_INPUT: &str = "Workflow.InvalidInput";
    pub const UNKNOWN_INCIDENT: &str = "Workflow.UnknownIncident";
    /// A store could not be read or written (throttled, unreachable): retry.
    pub const STORE_TRANSIENT: &str = "Store.Transient";
    /// A stored record does not parse: retrying will not help.
    pub const STORE_CORRUPT: &str = "Store.Corrupt";
    /// Another attempt of the same side effect is under way: retry later.
    pub const IN_PROGRESS: &str = "Idempotency.InProgress";
    pub const HISTORY_TRANSIENT: &str = "History.Transient";
    pub const HISTORY_FAILED: &str = "History.Failed";
    pub const LOGS_TRANSIENT: &str = "Logs.Transient";
    pub const LOGS_FAILED: &str = "Logs.Failed";
    /// The change source (CloudTrail) throttled or could not be reached.
    pub const CHANGES_TRANSIENT: &str = "Changes.Transient";
    pub const CHANGES_FAILED: &str = "Changes.Failed";
    pub const ANALYZER_THROTTLED: &str = "Analyzer.Throttled";
    pub const ANALYZER_UNAVAILABLE: &str = "Analyzer.Unavailable";
    pub const ANALYZER_REJECTED: &str = "Analyzer.Rejected";
    pub const ANALYZER_INVALID_OUTPUT: &str = "Analyzer.InvalidOutput";
    pub const DELIVERY_TRANSIENT: &str = "Delivery.Transient";
    /// The destination answered 429: retried after a longer wait.
    pub const DELIVERY_THROTTLED: &str = "Delivery.Throttled";
    pub const DELIVERY_FAILED: &str = "Delivery.Failed";
    pub const UNKNOWN_CHANNEL: &str = "Delivery.UnknownChannel";
    pub const CONFIG: &str = "Config.Invalid";
    /// A task ran past its budget (`crate::budget`): retried.
    pub const TASK_OUT_OF_TIME: &str = "Task.OutOfTime";
}

impl Error {
    pub fn new(name: &'static str, message: impl Into<String>) -> Self {
        Self {
            name: Cow::Borrowed(name),
            message: message.into(),
        }
    }

    /// For names decided at run time (an adapter passing a vendor's name on).
    pub fn named(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: Cow::Owned(name.into()),
            message: message.into(),
        }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(names::INVALID_INPUT, message)
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(names::STORE_TRANSIENT, message)
    }

    pub fn corrupt(message: impl std::fmt::Display) -> Self {
        Self::new(names::STORE_CORRUPT, message.to_string())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
