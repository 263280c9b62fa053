//! Refusals, as API Gateway words them.

use std::fmt;

/// Why a request was refused, as API Gateway words it. Every refusal is a
/// 403 with `{"message": ...}` and this `x-amzn-ErrorType`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Denied {
    pub kind: DeniedKind,
    pub message: String,
}

/// API Gateway's error types for a refused signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeniedKind {
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
}

impl DeniedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature => "IncompleteSignatureException",
            Self::InvalidSignature => "InvalidSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
        }
    }
}

impl fmt::Display for DeniedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal of `kind` saying `message`.
pub(super) fn denied(kind: DeniedKind, message: impl Into<String>) -> Denied {
    Denied {
        kind,
        message: message.into(),
    }
}

/// API Gateway's words for a signature that is not the one computed.
pub(super) const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// API Gateway's words for an unknown key or a wrong session token.
pub(super) const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
