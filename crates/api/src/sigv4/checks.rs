//! What API Gateway refuses before it computes a signature: a date too far
//! from now, a credential scoped to another day, region or service, an
//! unsigned `host` or one that is not this server's, a missing or wrong
//! session token.

use subtle::ConstantTimeEq;

use super::denied::{Denied, DeniedKind, INVALID_TOKEN, denied};
use super::headers::{AmzDate, Authorization, header_values};
use super::{AMZ_DATE, Credential, MAX_SKEW_SECONDS, Verifier};

impl Verifier {
    /// `host` must be signed and, with hosts configured, one of them.
    pub(super) fn check_host(
        &self,
        auth: &Authorization<'_>,
        headers: &[(&str, &str)],
    ) -> Result<(), Denied> {
        if !auth.signed_headers.iter().any(|h| h == "host") {
            return Err(denied(
                DeniedKind::IncompleteSignature,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
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

    /// The request's date within [`MAX_SKEW_SECONDS`] of now.
    pub(super) fn check_skew(&self, date: &AmzDate) -> Result<(), Denied> {
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
    pub(super) fn check_scope(
        &self,
        auth: &Authorization<'_>,
        date: &AmzDate,
    ) -> Result<String, Denied> {
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
}

/// Temporary credentials need their token, compared in constant time; a
/// token sent for a permanent key is refused, as AWS refuses it.
pub(super) fn check_session_token(
    credential: &Credential,
    headers: &[(&str, &str)],
) -> Result<(), Denied> {
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
