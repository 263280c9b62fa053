//! AWS Signature Version 4 checked as API Gateway's `AWS_IAM` authorization
//! checks it, so that `responder serve` accepts exactly the requests API
//! Gateway would: `awscurl`, the AWS SDKs and any SigV4-signing proxy.
//!
//! What is checked, in order, each failure with API Gateway's own 403 message:
//! the `Authorization` header and its three parameters; a date
//! (`X-Amz-Date`, or `Date`) within five minutes of now either way; the
//! credential scope (date, region, service, terminator); `host` among the
//! signed headers; the access key and, for temporary credentials, the
//! session token (`X-Amz-Security-Token`); then the signature itself over
//! the canonical request (method, path, query, signed headers, a SHA-256 of
//! the body as received), compared in constant time.
//!
//! The path is encoded as received, so a percent sign becomes `%25`: the
//! "double encoding" every service but S3 uses. Query-string signatures
//! (presigned URLs) are not accepted: clients of this API sign headers.
//!
//! The pieces: `headers` reads the `Authorization` and date headers,
//! `checks` refuses what API Gateway refuses before the signature,
//! `canonical` builds the canonical request, `signing` the string to sign,
//! the signing key and a client's signature, and `verify` puts them
//! together, comparing signatures in constant time.

mod canonical;
mod checks;
mod denied;
mod headers;
mod signing;
#[cfg(test)]
mod tests;
mod verify;

use std::fmt;

pub use canonical::uri_encode;
pub use denied::{Denied, DeniedKind};
pub use signing::{sign, signing_key};
pub use verify::{Clock, SystemClock, Verifier};

/// How far a request's date may be from now, either way.
pub const MAX_SKEW_SECONDS: i64 = 300;
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const AMZ_DATE: &str = "%Y%m%dT%H%M%SZ";

/// A key pair the verifier accepts, with the name the audit trail records.
#[derive(Clone)]
pub struct Credential {
    /// Who this key is, in audit records (`alice`, `ci`).
    pub name: String,
    pub secret_access_key: String,
    /// Set for temporary credentials: requests must carry it.
    pub session_token: Option<String>,
}

/// Secrets stay out of debug output and logs.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("name", &self.name)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A request as the server received it. `path` and `query` are as on the
/// wire (still percent-encoded); `headers` may repeat a name.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// Who signed an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key_id: String,
    /// The credential's configured name.
    pub name: String,
}
