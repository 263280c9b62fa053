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

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

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

/// What the verifier needs to know of now: the tests pin it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
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

fn denied(kind: DeniedKind, message: impl Into<String>) -> Denied {
    Denied {
        kind,
        message: message.into(),
    }
}

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// Checks SigV4 signatures for one service in one region.
#[derive(Clone)]
pub struct Verifier {
    service: String,
    region: String,
    normalize_path: bool,
    credentials: Arc<HashMap<String, Credential>>,
    clock: Arc<dyn Clock>,
    /// The host names (with port, if any) this server answers to; empty:
    /// any signed `host`.
    hosts: Arc<Vec<String>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("service", &self.service)
            .field("region", &self.region)
            .field("access_keys", &self.credentials.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `service` (`execute-api`) in `region`, accepting the
    /// given access keys, on the system clock, with path normalization (as
    /// API Gateway).
    pub fn new(
        service: impl Into<String>,
        region: impl Into<String>,
        credentials: HashMap<String, Credential>,
    ) -> Self {
        Self {
            service: service.into(),
            region: region.into(),
            normalize_path: true,
            credentials: Arc::new(credentials),
            clock: Arc::new(SystemClock),
            hosts: Arc::new(Vec::new()),
        }
    }

    /// Accepts only requests whose signed `host` is one of `hosts`
    /// (`responder.example.com`, `127.0.0.1:8080`; compared without case):
    /// a request signed for another server is refused even when it arrives
    /// here with that `Host`.
    pub fn with_hosts(mut self, hosts: Vec<String>) -> Self {
        self.hosts = Arc::new(hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect());
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Whether `.` and `..` segments and repeated slashes are resolved
    /// before signing (true for API Gateway; S3-style signers use false).
    pub fn with_path_normalization(mut self, normalize: bool) -> Self {
        self.normalize_path = normalize;
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Accepts the request and says who signed it, or refuses it.
    pub fn verify(&self, request: &Request<'_>) -> Result<Caller, Denied> {
        let authorization = header_values(request.headers, "authorization");
        let Some(authorization) = authorization.first().copied() else {
            return Err(denied(
                DeniedKind::MissingAuthenticationToken,
                "Missing Authentication Token",
            ));
        };
        let auth = Authorization::parse(authorization)?;
        let amz_date = request_date(request.headers, authorization)?;
        self.check_skew(&amz_date)?;
        let scope = self.check_scope(&auth, &amz_date)?;
        if !auth.signed_headers.iter().any(|h| h == "host") {
            return Err(denied(
                DeniedKind::IncompleteSignature,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        self.check_host(request.headers)?;
        let credential = self
            .credentials
            .get(auth.access_key_id)
            .ok_or_else(|| denied(DeniedKind::UnrecognizedClient, INVALID_TOKEN))?;
        check_session_token(credential, request.headers)?;

        let canonical = self.canonical_request(request, &auth.signed_headers);
        let string_to_sign = string_to_sign(&amz_date.text, &scope, &canonical);
        let key = signing_key(
            &credential.secret_access_key,
            amz_date.day(),
            &self.region,
            &self.service,
        );
        // SigV4 signatures are 64 lower-case hex digits: another spelling of
        // the same bytes is not the signature that was computed.
        let well_formed = auth.signature.len() == 64
            && auth
                .signature
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let provided = hex::decode(auth.signature)
            .ok()
            .filter(|_| well_formed)
            .ok_or_else(|| denied(DeniedKind::InvalidSignature, SIGNATURE_MISMATCH))?;
        let mut mac = mac_with(&key);
        mac.update(string_to_sign.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&provided)
            .map_err(|_| denied(DeniedKind::InvalidSignature, SIGNATURE_MISMATCH))?;
        Ok(Caller {
            access_key_id: auth.access_key_id.to_owned(),
            name: credential.name.clone(),
        })
    }

    fn check_host(&self, headers: &[(&str, &str)]) -> Result<(), Denied> {
        if self.hosts.is_empty() {
            return Ok(());
        }
        let host = header_values(headers, "host")
            .first()
            .map(|h| h.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if self.hosts.contains(&host) {
            Ok(())
        } else {
            Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "The request was signed for host '{}', which is not this server's.",
                    host.chars().take(100).collect::<String>()
                ),
            ))
        }
    }

    fn check_skew(&self, date: &AmzDate) -> Result<(), Denied> {
        let now = self.clock.now();
        let skew = chrono::Duration::seconds(MAX_SKEW_SECONDS);
        let now_text = now.format(AMZ_DATE).to_string();
        if date.at < now - skew {
            return Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "Signature expired: {} is now earlier than {} ({now_text} - 5 min.)",
                    date.text,
                    (now - skew).format(AMZ_DATE)
                ),
            ));
        }
        if date.at > now + skew {
            return Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "Signature not yet current: {} is still later than {} ({now_text} + 5 min.)",
                    date.text,
                    (now + skew).format(AMZ_DATE)
                ),
            ));
        }
        Ok(())
    }

    /// Checks `Credential=KEY/DATE/REGION/SERVICE/aws4_request` and returns
    /// the scope as signed (`DATE/REGION/SERVICE/aws4_request`).
    fn check_scope(&self, auth: &Authorization<'_>, date: &AmzDate) -> Result<String, Denied> {
        let day = date.day();
        if auth.date != day {
            return Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{}'.",
                    auth.date, date.text
                ),
            ));
        }
        if auth.region != self.region {
            return Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    auth.region
                ),
            ));
        }
        if auth.service != self.service {
            return Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "Credential should be scoped to correct service: '{}'. ",
                    self.service
                ),
            ));
        }
        if auth.terminator != "aws4_request" {
            return Err(denied(
                DeniedKind::InvalidSignature,
                format!(
                    "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
                    auth.terminator
                ),
            ));
        }
        Ok(format!(
            "{}/{}/{}/{}",
            auth.date, auth.region, auth.service, auth.terminator
        ))
    }

    /// The canonical request of the SigV4 specification.
    pub fn canonical_request(&self, request: &Request<'_>, signed_headers: &[String]) -> String {
        let path = if self.normalize_path {
            normalize_path(request.path)
        } else {
            request.path.to_owned()
        };
        let mut out = String::with_capacity(256);
        out.push_str(request.method);
        out.push('\n');
        out.push_str(&uri_encode(&path, false));
        out.push('\n');
        out.push_str(&canonical_query(request.query));
        out.push('\n');
        for name in signed_headers {
            out.push_str(name);
            out.push(':');
            let values = header_values(request.headers, name);
            let trimmed: Vec<String> = values.iter().map(|v| collapse_spaces(v)).collect();
            out.push_str(&trimmed.join(","));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&signed_headers.join(";"));
        out.push('\n');
        out.push_str(&hex::encode(Sha256::digest(request.body)));
        out
    }
}

/// The parameters of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<String>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(header: &'a str) -> Result<Self, Denied> {
        let incomplete = |what: &str| {
            denied(
                DeniedKind::IncompleteSignature,
                format!("{what} Authorization={header}"),
            )
        };
        let Some(params) = header
            .strip_prefix(ALGORITHM)
            .filter(|p| p.starts_with(' '))
        else {
            return Err(incomplete(
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
            ));
        };
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in params.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let missing: Vec<&str> = [
            (credential.is_none(), "Credential"),
            (signature.is_none(), "Signature"),
            (signed.is_none(), "SignedHeaders"),
        ]
        .iter()
        .filter(|(absent, _)| *absent)
        .map(|(_, name)| *name)
        .collect();
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature)
        else {
            let text: Vec<String> = missing
                .iter()
                .map(|m| format!("Authorization header requires '{m}' parameter."))
                .collect();
            return Err(incomplete(&text.join(" ")));
        };
        let mut scope = credential.split('/');
        let (Some(key), Some(date), Some(region), Some(service), Some(terminator), None) = (
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
        ) else {
            return Err(incomplete(&format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'."
            )));
        };
        Ok(Self {
            access_key_id: key,
            date,
            region,
            service,
            terminator,
            signed_headers: signed
                .split(';')
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            signature,
        })
    }
}

/// The request's date, from `X-Amz-Date` or else `Date`.
struct AmzDate {
    at: DateTime<Utc>,
    /// `20150830T123600Z`: as signed.
    text: String,
}

impl AmzDate {
    /// `20150830`: the credential scope's date.
    fn day(&self) -> &str {
        self.text.get(..8).unwrap_or_default()
    }
}

fn request_date(headers: &[(&str, &str)], authorization: &str) -> Result<AmzDate, Denied> {
    if let Some(value) = header_values(headers, "x-amz-date").first() {
        let value = value.trim();
        let at = NaiveDateTime::parse_from_str(value, AMZ_DATE)
            .map_err(|_| {
                denied(
                    DeniedKind::IncompleteSignature,
                    format!("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"),
                )
            })?
            .and_utc();
        return Ok(AmzDate {
            at,
            text: value.to_owned(),
        });
    }
    if let Some(value) = header_values(headers, "date").first() {
        let at = DateTime::parse_from_rfc2822(value.trim())
            .map_err(|_| {
                denied(
                    DeniedKind::IncompleteSignature,
                    format!("Date header is not an RFC 1123 date: '{}'", value.trim()),
                )
            })?
            .with_timezone(&Utc);
        return Ok(AmzDate {
            at,
            text: at.format(AMZ_DATE).to_string(),
        });
    }
    Err(denied(
        DeniedKind::IncompleteSignature,
        format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
        ),
    ))
}

/// Temporary credentials need their token, compared in constant time; a
/// token sent for a permanent key is refused, as AWS refuses it.
fn check_session_token(credential: &Credential, headers: &[(&str, &str)]) -> Result<(), Denied> {
    let sent = header_values(headers, "x-amz-security-token");
    let matches = match (&credential.session_token, sent.first()) {
        (None, None) => true,
        (Some(expected), Some(sent)) => {
            bool::from(expected.as_bytes().ct_eq(sent.trim().as_bytes()))
        }
        _ => false,
    };
    if matches {
        Ok(())
    } else {
        Err(denied(DeniedKind::UnrecognizedClient, INVALID_TOKEN))
    }
}

/// All values of a header (case-insensitive name), in order.
fn header_values<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
        .collect()
}

/// Trims a header value and turns each run of white space into one space.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[allow(clippy::expect_used)] // HMAC takes keys of every length: this cannot fail.
fn mac_with(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts keys of every length")
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// Signs a request as a client would (the tests and the benchmark use it):
/// returns the headers to add, `x-amz-date`, `authorization` and, with a
/// session token, `x-amz-security-token`. `request.headers` must already
/// hold `host`; every header given is signed.
pub fn sign(
    verifier_like: &Verifier,
    request: &Request<'_>,
    access_key_id: &str,
    credential: &Credential,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let amz_date = now.format(AMZ_DATE).to_string();
    let day = amz_date.get(..8).unwrap_or_default();
    let scope = format!(
        "{day}/{}/{}/aws4_request",
        verifier_like.region, verifier_like.service
    );
    let mut added = vec![("x-amz-date".to_owned(), amz_date.clone())];
    if let Some(token) = &credential.session_token {
        added.push(("x-amz-security-token".to_owned(), token.clone()));
    }
    let mut all: Vec<(&str, &str)> = request.headers.to_vec();
    all.extend(added.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut names: Vec<String> = all.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    let signed = Request {
        headers: &all,
        ..*request
    };
    let canonical = verifier_like.canonical_request(&signed, &names);
    let key = signing_key(
        &credential.secret_access_key,
        day,
        &verifier_like.region,
        &verifier_like.service,
    );
    let mut mac = mac_with(&key);
    mac.update(string_to_sign(&amz_date, &scope, &canonical).as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    added.push((
        "authorization".to_owned(),
        format!(
            "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
            names.join(";")
        ),
    ));
    added
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = mac_with(key);
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `kSigning` of the specification: the secret narrowed to a day, a region
/// and a service.
pub fn signing_key(secret: &str, day: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), day);
    let k_region = hmac(&k_date, region);
    let k_service = hmac(&k_region, service);
    hmac(&k_service, "aws4_request")
}

/// Percent-encodes all but the unreserved characters (and `/` in paths),
/// with upper-case hex, as SigV4 wants.
pub fn uri_encode(text: &str, encode_slash: bool) -> String {
    uri_encode_bytes(text.as_bytes(), encode_slash)
}

/// What SigV4 leaves as it is: the unreserved characters of RFC 3986.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same, and `/` in paths.
const UNRESERVED_AND_SLASH: &percent_encoding::AsciiSet = &UNRESERVED.remove(b'/');

/// [`uri_encode`] of any bytes: a decoded `%FF` is encoded back as `%FF`.
fn uri_encode_bytes(bytes: &[u8], encode_slash: bool) -> String {
    let set = if encode_slash {
        UNRESERVED
    } else {
        UNRESERVED_AND_SLASH
    };
    percent_encoding::percent_encode(bytes, set).to_string()
}

/// Decodes `%XX` escapes; anything else (a lone `%`, `+`) stays as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(text).collect()
}

/// The query's parameters decoded, encoded again the SigV4 way, and sorted
/// by name then value. `a` without `=` is `a=`.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let encode = |s: &str| uri_encode_bytes(&percent_decode(s), true);
            (encode(k), encode(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Resolves `.` and `..` segments (RFC 3986, 5.2.4) and repeated slashes,
/// keeping a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = (path.ends_with('/') || path.ends_with("/.") || path.ends_with("/.."))
        && !segments.is_empty();
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing || out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_as_rfc_3986_resolves_them() {
        for (path, expected) in [
            ("/", "/"),
            ("", "/"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/./example", "/example"),
            ("/example1/example2/../..", "/"),
            ("/a/b/../c/", "/a/c/"),
        ] {
            assert_eq!(normalize_path(path), expected, "{path}");
        }
    }

    #[test]
    fn percent_signs_in_paths_are_encoded_again() {
        assert_eq!(
            uri_encode("/test/@connections/JBDvjfGEIAMCERw%3D", false),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
    }

    #[test]
    fn query_parameters_are_sorted_and_reencoded() {
        assert_eq!(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
        assert_eq!(canonical_query("k=a%20b&s=x y"), "k=a%20b&s=x%20y");
    }

    #[test]
    fn bytes_that_are_not_utf_8_keep_their_escape() {
        // botocore signs `%FF` as `%FF`; a lossy decode made it `%EF%BF%BD`.
        assert_eq!(canonical_query("k=%FF%fe"), "k=%FF%FE");
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let credential = Credential {
            name: "ci".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("token-value".into()),
        };
        let text = format!("{credential:?}");
        assert!(
            !text.contains("EXAMPLEKEY") && !text.contains("token-value"),
            "{text}"
        );
    }
}
