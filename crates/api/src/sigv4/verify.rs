//! The verifier: the checks, then the signature computed as the client
//! computed it and compared in constant time.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hmac::Mac;

use super::checks::check_session_token;
use super::denied::{Denied, DeniedKind, INVALID_TOKEN, SIGNATURE_MISMATCH, denied};
use super::headers::{Authorization, header_values, request_date};
use super::signing::{mac_with, signing_key, string_to_sign};
use super::{Caller, Credential, Request, canonical};

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

/// Checks SigV4 signatures for one service in one region.
#[derive(Clone)]
pub struct Verifier {
    pub(super) service: String,
    pub(super) region: String,
    normalize_path: bool,
    credentials: Arc<HashMap<String, Credential>>,
    pub(super) clock: Arc<dyn Clock>,
    /// The host names (with port, if any) this server answers to; empty:
    /// any signed `host`.
    pub(super) hosts: Arc<Vec<String>>,
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
        self.check_host(&auth, request.headers)?;
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
        check_signature(auth.signature, &key, &string_to_sign)?;
        Ok(Caller {
            access_key_id: auth.access_key_id.to_owned(),
            name: credential.name.clone(),
        })
    }

    /// The canonical request of the SigV4 specification.
    pub fn canonical_request(&self, request: &Request<'_>, signed_headers: &[String]) -> String {
        canonical::canonical_request(request, signed_headers, self.normalize_path)
    }
}

/// The signature sent, if it is the one computed from `string_to_sign`.
fn check_signature(sent: &str, key: &[u8], string_to_sign: &str) -> Result<(), Denied> {
    // SigV4 signatures are 64 lower-case hex digits: another spelling of
    // the same bytes is not the signature that was computed.
    let well_formed = sent.len() == 64
        && sent
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let provided = hex::decode(sent)
        .ok()
        .filter(|_| well_formed)
        .ok_or_else(|| denied(DeniedKind::InvalidSignature, SIGNATURE_MISMATCH))?;
    let mut mac = mac_with(key);
    mac.update(string_to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&provided)
        .map_err(|_| denied(DeniedKind::InvalidSignature, SIGNATURE_MISMATCH))
}
