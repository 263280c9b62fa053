//! The canonical request: method, path and query encoded the SigV4 way,
//! the signed headers' values, and a SHA-256 of the body.

use sha2::{Digest, Sha256};

use super::Request;
use super::headers::header_values;

/// The canonical request of the SigV4 specification; `normalize`: resolve
/// `.`, `..` and repeated slashes in the path first (API Gateway does).
pub(super) fn canonical_request(
    request: &Request<'_>,
    signed_headers: &[String],
    normalize: bool,
) -> String {
    let path = if normalize {
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

/// Trims a header value and turns each run of white space into one space.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
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
pub(super) fn canonical_query(query: &str) -> String {
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
pub(super) fn normalize_path(path: &str) -> String {
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
