//! Errors: those raised inside an execution (named as Step Functions names
//! them, matched by `Retry` and `Catch`) and those that refuse a definition.

use serde::{Deserialize, Serialize};

/// The error names Step Functions itself raises.
pub mod names {
    /// Matches every error except the terminal ones.
    pub const ALL: &str = "States.ALL";
    /// Fails the execution; no `Retry` or `Catch` sees it.
    pub const RUNTIME: &str = "States.Runtime";
    /// Matches every task error except `States.Timeout`.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// A state's input or output, or a task's result, over 256 KiB: terminal.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// Reserved by AWS: a Choice with no match is reported as `States.Runtime`.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// Reserved by AWS: intrinsic failures are reported as `States.Runtime`.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// An execution stopped by `StopExecution`.
    pub const ABORTED: &str = "States.Aborted";
    /// A JSONata expression failed or gave no value (or the wrong type).
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    /// A lambda function failed without an error type.
    pub const LAMBDA_UNKNOWN: &str = "Lambda.Unknown";
}

/// An error raised inside an execution: a name `Retry`/`Catch` match on and
/// a human-readable cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatesError {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause")]
    pub cause: String,
}

impl StatesError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// `States.Runtime`: a fault in the data or definition that fails the
    /// whole execution.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// Terminal errors fail the execution: no `Retry` or `Catch` matches them,
    /// not even `States.ALL`, as AWS documents.
    pub fn is_terminal(&self) -> bool {
        self.error == names::RUNTIME || self.error == names::DATA_LIMIT_EXCEEDED
    }

    /// Whether an `ErrorEquals` entry matches this error.
    pub fn matches(&self, name: &str) -> bool {
        if self.is_terminal() {
            return false;
        }
        match name {
            names::ALL => true,
            names::TASK_FAILED => self.error != names::TIMEOUT,
            _ => self.error == name,
        }
    }
}

impl std::fmt::Display for StatesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

/// A definition the engine refuses to load, naming the state at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", state.as_ref().map(|s| format!("state '{s}': ")).unwrap_or_default())]
pub struct DefinitionError {
    pub state: Option<String>,
    pub message: String,
}

impl DefinitionError {
    pub(crate) fn new(state: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            state: state.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Why an engine call (not an execution) failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("InvalidDefinition: {0}")]
    InvalidDefinition(#[from] DefinitionError),
    #[error("ExecutionDoesNotExist: no execution '{0}'")]
    ExecutionDoesNotExist(String),
    #[error("ExecutionAlreadyExists: an execution named '{0}' exists with a different input")]
    ExecutionAlreadyExists(String),
    #[error("InvalidExecutionInput: {0}")]
    InvalidExecutionInput(String),
    /// The token is unknown, or its task has already finished or timed out.
    #[error("TaskDoesNotExist: {0}")]
    TaskDoesNotExist(String),
    #[error("TaskTimedOut: the task of this token timed out")]
    TaskTimedOut,
    #[error("InvalidToken: {0}")]
    InvalidToken(String),
    #[error("InvalidOutput: {0}")]
    InvalidOutput(String),
    #[error("StoreError: {0}")]
    Store(String),
}

impl EngineError {
    /// The stable name in front of the message, as the AWS API names it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InvalidDefinition(_) => "InvalidDefinition",
            Self::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Self::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Self::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Self::TaskDoesNotExist(_) => "TaskDoesNotExist",
            Self::TaskTimedOut => "TaskTimedOut",
            Self::InvalidToken(_) => "InvalidToken",
            Self::InvalidOutput(_) => "InvalidOutput",
            Self::Store(_) => "StoreError",
        }
    }
}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.to_string())
    }
}
