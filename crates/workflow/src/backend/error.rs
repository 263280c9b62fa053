//! The API's errors: a stable name (what clients match on), a message that
//! names what is wrong, and the HTTP status the REST routes answer with.

use serde::Serialize;

/// The stable error names.
pub mod names {
    /// An argument is missing, of the wrong type or out of its limits.
    pub const INVALID_INPUT: &str = "InvalidInput";
    /// No tool, incident or execution of that name or id.
    pub const NOT_FOUND: &str = "NotFound";
    /// The incident has no approval waiting, or is not open.
    pub const CONFLICT: &str = "Conflict";
    /// A Slack user pressed a decision button without being an approver.
    pub const NOT_AN_APPROVER: &str = "NotAnApprover";
    /// The tool is a write tool that the configuration turned off.
    pub const TOOL_DISABLED: &str = "ToolDisabled";
    /// `query_history` refused the SQL (not one SELECT, a table not allowed).
    pub const QUERY_REJECTED: &str = "QueryRejected";
    /// `query_history` ran longer than its time limit.
    pub const QUERY_TIMEOUT: &str = "QueryTimeout";
    /// `query_history` made a value or a result larger than its limit.
    pub const QUERY_TOO_LARGE: &str = "QueryTooLarge";
    /// The alert payload was refused by normalization.
    pub const INVALID_ALERT: &str = "InvalidAlert";
    /// A payload of a kind no normalizer takes (an EC2 event, say).
    pub const UNSUPPORTED_SOURCE: &str = "UnsupportedSource";
    /// A store, the engine or the analyzer failed; retrying may help.
    pub const UNAVAILABLE: &str = "Unavailable";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ApiError {
    pub name: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(name: &'static str, message: impl Into<String>) -> Self {
        Self {
            name,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(names::INVALID_INPUT, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(names::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(names::CONFLICT, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(names::UNAVAILABLE, message)
    }

    /// The status the REST routes answer with.
    pub fn status(&self) -> u16 {
        match self.name {
            names::INVALID_INPUT
            | names::QUERY_REJECTED
            | names::QUERY_TIMEOUT
            | names::QUERY_TOO_LARGE
            | names::INVALID_ALERT
            | names::UNSUPPORTED_SOURCE => 400,
            names::TOOL_DISABLED | names::NOT_AN_APPROVER => 403,
            names::NOT_FOUND => 404,
            names::CONFLICT => 409,
            _ => 503,
        }
    }
}

/// A workflow adapter's failure (a store, the engine, the analyzer) as the
/// API reports it: `Unavailable`, its own name first in the message.
impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        Self::unavailable(format!("{}: {}", e.name(), e.message()))
    }
}
