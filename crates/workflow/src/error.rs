//! The one error type of the workflow's steps and ports. Its name is what
//! the state machine's `Retry` and `Catch` match, so names are stable API:
//! they are listed in [`names`] and in the error table of `docs/deployment.md`.

/// A step or port failure: a stable name and a message for people. Messages
/// never hold secrets (tokens, keys) or whole untrusted payloads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct Error {
    /// One of [`names`]: never a name made up at run time.
    name: &'static str,
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
    /// A history seed file (`responder`'s `history_seed`) does not parse.
    pub const INVALID_HISTORY: &str = "Workflow.InvalidHistory";
    /// A store could not be read or written (throttled, unreachable): retry.
    pub const STORE_TRANSIENT: &str = "Store.Transient";
    /// A stored record does not parse: retrying will not help.
    pub const STORE_CORRUPT: &str = "Store.Corrupt";
    /// The store refused the request (a malformed request, a constraint, a
    /// validation error): retrying will not help.
    pub const STORE_REJECTED: &str = "Store.Rejected";
    /// A local file could not be read or written (`responder` only).
    pub const LOCAL_IO: &str = "Local.IoError";
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
    /// The analyzer's configuration is unusable (an endpoint URL, a key).
    pub const ANALYZER_CONFIG: &str = "Analyzer.Config";
    pub const DELIVERY_TRANSIENT: &str = "Delivery.Transient";
    /// The destination answered 429: retried after a longer wait.
    pub const DELIVERY_THROTTLED: &str = "Delivery.Throttled";
    pub const DELIVERY_FAILED: &str = "Delivery.Failed";
    pub const UNKNOWN_CHANNEL: &str = "Delivery.UnknownChannel";
    pub const CONFIG: &str = "Config.Invalid";
    /// A task ran past its budget (`crate::budget`): retried.
    pub const TASK_OUT_OF_TIME: &str = "Task.OutOfTime";
    /// The failure an approval's task token is answered with when a person
    /// rejects the incident (`SendTaskFailure`).
    pub const APPROVAL_REJECTED: &str = "Approval.Rejected";
    /// The same, when the approval timed out and the policy says suppress.
    pub const APPROVAL_EXPIRED: &str = "Approval.Expired";
    /// Step Functions did not take a task token's answer: retry.
    pub const CALLBACK_TRANSIENT: &str = "Callback.Transient";
    pub const CALLBACK_FAILED: &str = "Callback.Failed";

    /// Every name above: what a step or the approval can fail with, and so
    /// all the ASL's `Retry` and `Catch` may match besides `States.*`.
    pub const ALL: &[&str] = &[
        INVALID_ALERT,
        UNSUPPORTED_SOURCE,
        INVALID_INPUT,
        UNKNOWN_INCIDENT,
        INVALID_HISTORY,
        STORE_TRANSIENT,
        STORE_CORRUPT,
        STORE_REJECTED,
        LOCAL_IO,
        IN_PROGRESS,
        HISTORY_TRANSIENT,
        HISTORY_FAILED,
        LOGS_TRANSIENT,
        LOGS_FAILED,
        CHANGES_TRANSIENT,
        CHANGES_FAILED,
        ANALYZER_THROTTLED,
        ANALYZER_UNAVAILABLE,
        ANALYZER_REJECTED,
        ANALYZER_INVALID_OUTPUT,
        ANALYZER_CONFIG,
        DELIVERY_TRANSIENT,
        DELIVERY_THROTTLED,
        DELIVERY_FAILED,
        UNKNOWN_CHANNEL,
        CONFIG,
        TASK_OUT_OF_TIME,
        APPROVAL_REJECTED,
        APPROVAL_EXPIRED,
        CALLBACK_TRANSIENT,
        CALLBACK_FAILED,
    ];
}

impl Error {
    pub fn new(name: &'static str, message: impl Into<String>) -> Self {
        Self {
            name,
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

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
