//! The headers a signature is read from: `Authorization` (its credential
//! scope, signed headers and signature) and the request's date.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::denied::{Denied, DeniedKind, denied};
use super::{ALGORITHM, AMZ_DATE};

/// The parameters of an `Authorization: AWS4-HMAC-SHA256 ...` header.
pub(super) struct Authorization<'a> {
    pub(super) access_key_id: &'a str,
    pub(super) date: &'a str,
    pub(super) region: &'a str,
    pub(super) service: &'a str,
    pub(super) terminator: &'a str,
    pub(super) signed_headers: Vec<String>,
    pub(super) signature: &'a str,
}

impl<'a> Authorization<'a> {
    pub(super) fn parse(header: &'a str) -> Result<Self, Denied> {
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
pub(super) struct AmzDate {
    pub(super) at: DateTime<Utc>,
    /// `20150830T123600Z`: as signed.
    pub(super) text: String,
}

impl AmzDate {
    /// `20150830`: the credential scope's date.
    pub(super) fn day(&self) -> &str {
        self.text.get(..8).unwrap_or_default()
    }
}

pub(super) fn request_date(
    headers: &[(&str, &str)],
    authorization: &str,
) -> Result<AmzDate, Denied> {
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

/// All values of a header (case-insensitive name), in order.
pub(super) fn header_values<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
        .collect()
}
