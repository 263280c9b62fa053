//! Approval links for e-mail: `/approvals/{token}` where the token names an
//! incident, a decision and an expiry, signed with HMAC-SHA256. Opening the
//! link shows a confirmation page (mail scanners open links too); only its
//! form's POST takes the decision.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What a link decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDecision {
    Approve,
    Reject,
}

impl LinkDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
}

/// A verified link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalLink {
    pub incident_id: String,
    pub decision: LinkDecision,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed or its signature does not match")]
    Invalid,
    #[error("the link expired")]
    Expired,
}

/// The token of a link.
pub fn sign(secret: &[u8], link: &ApprovalLink) -> String {
    let payload = format!(
        "{}|{}|{}",
        link.incident_id,
        link.decision.as_str(),
        link.expires_at
    );
    let mut mac = mac(secret);
    mac.update(payload.as_bytes());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Checks a token's signature (in constant time), then its expiry.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Result<ApprovalLink, LinkError> {
    let (payload, signature) = token.split_once('.').ok_or(LinkError::Invalid)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkError::Invalid)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| LinkError::Invalid)?;
    let mut mac = mac(secret);
    mac.update(&payload);
    mac.verify_slice(&signature)
        .map_err(|_| LinkError::Invalid)?;
    let text = String::from_utf8(payload).map_err(|_| LinkError::Invalid)?;
    let mut parts = text.split('|');
    let (Some(incident_id), Some(decision), Some(expires_at), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Invalid);
    };
    let decision = match decision {
        "approve" => LinkDecision::Approve,
        "reject" => LinkDecision::Reject,
        _ => return Err(LinkError::Invalid),
    };
    let expires_at: i64 = expires_at.parse().map_err(|_| LinkError::Invalid)?;
    if now > expires_at {
        return Err(LinkError::Expired);
    }
    Ok(ApprovalLink {
        incident_id: incident_id.to_owned(),
        decision,
        expires_at,
    })
}

#[allow(clippy::expect_used)] // HMAC takes keys of every length: this cannot fail.
fn mac(secret: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC-SHA256 accepts keys of every length")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> ApprovalLink {
        ApprovalLink {
            incident_id: "inc-20261120-687557cf".into(),
            decision: LinkDecision::Approve,
            expires_at: 2_000,
        }
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let token = sign(b"secret", &link());
        assert_eq!(verify(b"secret", &token, 2_000), Ok(link()));
        assert_eq!(verify(b"secret", &token, 2_001), Err(LinkError::Expired));
    }

    #[test]
    fn another_secret_or_a_changed_payload_is_refused() {
        let token = sign(b"secret", &link());
        assert_eq!(verify(b"other", &token, 0), Err(LinkError::Invalid));
        let (_, signature) = token.split_once('.').unwrap();
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode("inc-20261120-687557cf|reject|2000")
        );
        assert_eq!(verify(b"secret", &forged, 0), Err(LinkError::Invalid));
        assert_eq!(verify(b"secret", "garbage", 0), Err(LinkError::Invalid));
    }
}
