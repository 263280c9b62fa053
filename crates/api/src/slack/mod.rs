//! Slack request signing (v0): `X-Slack-Signature: v0=` + HMAC-SHA256 of
//! `v0:{X-Slack-Request-Timestamp}:{raw body}` with the app's signing
//! secret, compared in constant time, within five minutes of now.

pub mod approvers;

pub use approvers::{ApproverCheck, ApproverList, GroupMembers, SlackApprovers};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How old (or how far ahead) a signed request may be.
pub const MAX_AGE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackDenied {
    #[error("X-Slack-Request-Timestamp is missing or not a number")]
    BadTimestamp,
    #[error("the request is {0} seconds away from now; the limit is 300 (a replay?)")]
    Stale(i64),
    #[error("X-Slack-Signature is missing or does not match")]
    BadSignature,
}

/// Checks a Slack request's signature. `now` is Unix seconds.
pub fn verify(
    signing_secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SlackDenied> {
    let timestamp = timestamp.ok_or(SlackDenied::BadTimestamp)?.trim();
    let at: i64 = timestamp.parse().map_err(|_| SlackDenied::BadTimestamp)?;
    let age = now.saturating_sub(at);
    if age.abs() > MAX_AGE_SECONDS {
        return Err(SlackDenied::Stale(age));
    }
    let provided = signature
        .and_then(|s| s.trim().strip_prefix("v0="))
        .and_then(|hex_text| hex::decode(hex_text).ok())
        .ok_or(SlackDenied::BadSignature)?;
    let mut mac = mac(signing_secret);
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&provided)
        .map_err(|_| SlackDenied::BadSignature)
}

/// The header value Slack would send: for tests and local tools.
pub fn sign(signing_secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = mac(signing_secret);
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[allow(clippy::expect_used)] // HMAC takes keys of every length: this cannot fail.
fn mac(secret: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC-SHA256 accepts keys of every length")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Slack's documentation ("Verifying requests from Slack").
    #[test]
    fn slacks_documented_example_verifies() {
        let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(sign(secret, 1_531_420_618, body), signature);
        assert_eq!(
            verify(
                secret,
                Some("1531420618"),
                Some(signature),
                body,
                1_531_420_618 + 10
            ),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_or_signature_is_refused() {
        let secret = b"secret";
        let signature = sign(secret, 1000, b"payload=a");
        assert_eq!(
            verify(secret, Some("1000"), Some(&signature), b"payload=b", 1000),
            Err(SlackDenied::BadSignature)
        );
        assert_eq!(
            verify(b"other", Some("1000"), Some(&signature), b"payload=a", 1000),
            Err(SlackDenied::BadSignature)
        );
        assert_eq!(
            verify(secret, Some("1000"), None, b"payload=a", 1000),
            Err(SlackDenied::BadSignature)
        );
    }

    #[test]
    fn old_or_future_requests_are_refused() {
        let secret = b"secret";
        let signature = sign(secret, 1000, b"x");
        assert_eq!(
            verify(secret, Some("1000"), Some(&signature), b"x", 1301),
            Err(SlackDenied::Stale(301))
        );
        assert_eq!(
            verify(secret, Some("1000"), Some(&signature), b"x", 699),
            Err(SlackDenied::Stale(-301))
        );
        assert_eq!(
            verify(secret, Some("1000"), Some(&signature), b"x", 1300),
            Ok(())
        );
        assert_eq!(
            verify(secret, Some("soon"), Some(&signature), b"x", 1000),
            Err(SlackDenied::BadTimestamp)
        );
    }
}
