//! The one error type of the workflow's steps and ports. Its name is what
//! the state machine's `Retry` and `Catch` match, so names are stable API:
//! they are the variants of [`ErrorName`] (the one table, also in the error
//! table of `docs/deployment.md`), so a name outside it does not compile.
//!
//! Each adapter keeps its own error enum, with the detail it knows
//! (`responder_local::error::LocalError`, the engine's `EngineError`, the
//! normalizer's `NormalizeError`, the AWS adapters' `Failure` of an SDK
//! call), and maps it into this one by kind: a busy database or a throttled
//! API is `*.Transient` (retried), a refused request is not. This type stays
//! a name and a message because that is all a task failure carries to Step
//! Functions (`errorType`, `errorMessage`).

/// A step or port failure: a stable name and a message for people. Messages
/// never hold secrets (tokens, keys) or whole untrusted payloads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct Error {
    /// One of [`ErrorName`]: a name outside the table does not compile.
    name: ErrorName,
    message: String,
}

crate::error_names::error_names! {
    /// The error names of the workflow's steps and ports, as the ASL's
    /// `Retry` and `Catch` match them: what a step or the approval can fail
    /// with besides `States.*`. `crates/workflow/tests/asl_error_names.rs`
    /// checks the ASL against [`ErrorName::ALL`].
    ErrorName, names;
    /// The payload is not an alert of any supported source.
    InvalidAlert => INVALID_ALERT = "InvalidAlert",
    UnsupportedSource => UNSUPPORTED_SOURCE = "UnsupportedSource",
    /// A task input lacks a field its state should pass (a deployment mistake).
    InvalidInput => INVALID_INPUT = "Workflow.InvalidInput",
    UnknownIncident => UNKNOWN_INCIDENT = "Workflow.UnknownIncident",
    /// A history seed file (`responder`'s `history_seed`) does not parse.
    InvalidHistory => INVALID_HISTORY = "Workflow.InvalidHistory",
    /// A store could not be read or written (throttled, unreachable): retry.
    StoreTransient => STORE_TRANSIENT = "Store.Transient",
    /// A stored record does not parse: retrying will not help.
    StoreCorrupt => STORE_CORRUPT = "Store.Corrupt",
    /// The store refused the request (a malformed request, a constraint, a
    /// validation error): retrying will not help.
    StoreRejected => STORE_REJECTED = "Store.Rejected",
    /// A local file could not be read or written (`responder` only).
    LocalIo => LOCAL_IO = "Local.IoError",
    /// Another attempt of the same side effect is under way: retry later.
    InProgress => IN_PROGRESS = "Idempotency.InProgress",
    HistoryTransient => HISTORY_TRANSIENT = "History.Transient",
    HistoryFailed => HISTORY_FAILED = "History.Failed",
    LogsTransient => LOGS_TRANSIENT = "Logs.Transient",
    LogsFailed => LOGS_FAILED = "Logs.Failed",
    /// The change source (CloudTrail) throttled or could not be reached.
    ChangesTransient => CHANGES_TRANSIENT = "Changes.Transient",
    ChangesFailed => CHANGES_FAILED = "Changes.Failed",
    AnalyzerThrottled => ANALYZER_THROTTLED = "Analyzer.Throttled",
    AnalyzerUnavailable => ANALYZER_UNAVAILABLE = "Analyzer.Unavailable",
    AnalyzerRejected => ANALYZER_REJECTED = "Analyzer.Rejected",
    AnalyzerInvalidOutput => ANALYZER_INVALID_OUTPUT = "Analyzer.InvalidOutput",
    /// The analyzer's configuration is unusable (an endpoint URL, a key).
    AnalyzerConfig => ANALYZER_CONFIG = "Analyzer.Config",
    DeliveryTransient => DELIVERY_TRANSIENT = "Delivery.Transient",
    /// The destination answered 429: retried after a longer wait.
    DeliveryThrottled => DELIVERY_THROTTLED = "Delivery.Throttled",
    DeliveryFailed => DELIVERY_FAILED = "Delivery.Failed",
    UnknownChannel => UNKNOWN_CHANNEL = "Delivery.UnknownChannel",
    Config => CONFIG = "Config.Invalid",
    /// A task ran past its budget (`crate::budget`): retried.
    TaskOutOfTime => TASK_OUT_OF_TIME = "Task.OutOfTime",
    /// The failure an approval's task token is answered with when a person
    /// rejects the incident (`SendTaskFailure`).
    ApprovalRejected => APPROVAL_REJECTED = "Approval.Rejected",
    /// The same, when the approval timed out and the policy says suppress.
    ApprovalExpired => APPROVAL_EXPIRED = "Approval.Expired",
    /// Step Functions did not take a task token's answer: retry.
    CallbackTransient => CALLBACK_TRANSIENT = "Callback.Transient",
    CallbackFailed => CALLBACK_FAILED = "Callback.Failed",
}

impl Error {
    pub fn new(name: ErrorName, message: impl Into<String>) -> Self {
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

    pub fn name(&self) -> ErrorName {
        self.name
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
