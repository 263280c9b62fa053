//! What a signature is computed from: the string to sign and the signing
//! key derived from the secret; and a client's signature, for the tests and
//! the benchmark.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::{ALGORITHM, AMZ_DATE, Credential, Request, Verifier};

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with `key`.
#[allow(clippy::expect_used)] // HMAC takes keys of every length: this cannot fail.
pub(super) fn mac_with(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts keys of every length")
}

/// What is signed: the algorithm, the date, the scope and a hash of the
/// canonical request.
pub(super) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
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

/// One HMAC-SHA256 step of the key derivation.
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
