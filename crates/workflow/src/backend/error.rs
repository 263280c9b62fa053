//! The API's errors: a stable name (what clients match on), a message that
//! names what is wrong, and the HTTP status the REST routes answer with.

use serde::Serialize;

crate::error_names::error_names! {
    /// The API's stable error names: what clients match on.
    ApiErrorName, names;
    /// An argument is missing, of the wrong type or out of its limits.
    InvalidInput => INVALID_INPUT = "InvalidInput",
    /// No tool, incident or execution of that name or id.
    NotFound => NOT_FOUND = "NotFound",
    /// The incident has no approval waiting, or is not open.
    Conflict => CONFLICT = "Conflict",
    /// A Slack user pressed a decision button without being an approver.
    NotAnApprover => NOT_AN_APPROVER = "NotAnApprover",
    /// The tool is a write tool that the configuration turned off.
    ToolDisabled => TOOL_DISABLED = "ToolDisabled",
    /// `query_history` refused the SQL (not one SELECT, a table not allowed).
    QueryRejected => QUERY_REJECTED = "QueryRejected",
    /// `query_history` ran longer than its time limit.
    QueryTimeout => QUERY_TIMEOUT = "QueryTimeout",
    /// `query_history` made a value or a result larger than its limit.
    QueryTooLarge => QUERY_TOO_LARGE = "QueryTooLarge",
    /// The alert payload was refused by normalization.
    InvalidAlert => INVALID_ALERT = "InvalidAlert",
    /// A payload of a kind no normalizer takes (an EC2 event, say).
    UnsupportedSource => UNSUPPORTED_SOURCE = "UnsupportedSource",
    /// A store, the engine or the analyzer failed; retrying may help.
    Unavailable => UNAVAILABLE = "Unavailable",
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ApiError {
    pub name: ApiErrorName,
    pub message: String,
}

impl ApiError {
    pub fn new(name: ApiErrorName, message: impl Into<String>) -> Self {
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

    /// A payload normalization refused, under the normalizer's own name.
    pub fn refused_alert(e: &responder_core::NormalizeError) -> Self {
        let name = match e {
            responder_core::NormalizeError::InvalidAlert(_) => names::INVALID_ALERT,
            responder_core::NormalizeError::UnsupportedSource(_) => names::UNSUPPORTED_SOURCE,
        };
        Self::new(name, e.to_string())
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
