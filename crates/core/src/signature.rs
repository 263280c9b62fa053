//! Alert identity: the `dedup_key` of one state change and the `signature`
//! of a kind of problem.
//!
//! A signature hashes the source family, the resource, the alarm (or metric,
//! or alert name) and a *template* of the message: the message with numbers,
//! ids, UUIDs, hex strings, IP addresses, timestamps, e-mail addresses and
//! quoted values masked. Two occurrences of one failure that differ only in
//! request ids, values or times share a signature; two failures whose text
//! differs in words do not.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::limits::MAX_TEMPLATE_BYTES;

/// What a signature is computed from, kept on the alert so that anyone can
/// see why two alerts were (or were not) grouped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureBasis {
    /// The source family (`cloudwatch_alarm`, `alertmanager`, ...).
    pub source: String,
    pub resource: String,
    /// The alarm name, alert name or log subscription filter.
    pub subject: String,
    /// The masked message.
    pub template: String,
}

impl SignatureBasis {
    pub fn signature(&self) -> Signature {
        Signature(hash_parts([
            &self.source,
            &self.resource,
            &self.subject,
            &self.template,
        ]))
    }
}

/// The kind of problem: 32 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Signature(String);

/// One state change of one alert: 32 lowercase hex characters. A redelivery
/// of the same event has the same key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DedupKey(String);

impl DedupKey {
    /// The key of the state change identified by `parts` (for example the
    /// alarm ARN, the state timestamp and the state value).
    pub fn from_parts(parts: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        Self(hash_parts(parts))
    }
}

macro_rules! hex_newtype {
    ($name:ident, $what:literal) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                if value.len() == HASH_HEX_LEN
                    && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                {
                    Ok(Self(value))
                } else {
                    Err(format!(concat!($what, " must be {} lowercase hex characters"), HASH_HEX_LEN))
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

hex_newtype!(Signature, "a signature");
hex_newtype!(DedupKey, "a dedup key");

/// 128 bits of SHA-256, as hex.
const HASH_HEX_LEN: usize = 32;

/// Hashes parts with a separator no part can contain unambiguously
/// (`a|b` + `c` never collides with `a` + `b|c`).
fn hash_parts(parts: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        let part = part.as_ref();
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let hex = |nibble: u8| {
        char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        })
    };
    let digest = hasher.finalize();
    let mut out = String::with_capacity(HASH_HEX_LEN);
    for &byte in digest.iter().take(HASH_HEX_LEN / 2) {
        out.push(hex(byte >> 4));
        out.push(hex(byte & 0x0f));
    }
    out
}

/// The message with its variable parts masked:
///
/// | masked | example | becomes |
/// |---|---|---|
/// | timestamps | `2024-01-01T10:00:00Z`, `01/10/19 13:46:00`, `13:46:00` | `<ts>` |
/// | UUIDs | `8f14e45f-ceea-467f-a0f3-5e2b5c3b1b1a` | `<uuid>` |
/// | numbers, IPs, versions | `42`, `0.75`, `10.0.3.7` | `<num>` |
/// | hex strings (6+ chars): numbers in base 16 | `7f3a9c1e`, `0xdeadbeef` | `<num>` |
/// | ids mixing letters and digits | `i-0abc123`, `req_7f8a9b` | `<id>` |
/// | e-mail addresses | `ops@example.com` | `<email>` |
/// | quoted values | `'bob'`, `"orders"` | `<q>` |
///
/// Runs of white space become one space; the result is cut at
/// [`MAX_TEMPLATE_BYTES`]. Words of three characters or fewer that mix
/// letters and digits (`s3`, `ec2`, `5xx`) are kept: they name things.
pub fn message_template(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len().min(MAX_TEMPLATE_BYTES));
    let mut i = 0;
    let mut pending_space = false;
    while i < bytes.len() && out.len() < MAX_TEMPLATE_BYTES {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        if b.is_ascii_whitespace() {
            pending_space = !out.is_empty();
            i += 1;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        let starts_word = i == 0 || !bytes.get(i - 1).is_some_and(|p| p.is_ascii_alphanumeric());
        if matches!(b, b'\'' | b'"' | b'`')
            && starts_word
            && let Some(len) = quoted_len(bytes.get(i..).unwrap_or_default())
        {
            out.push_str("<q>");
            i += len;
            continue;
        }
        if b.is_ascii_digit() {
            let len = timestamp_len(bytes.get(i..).unwrap_or_default());
            if len > 0 {
                out.push_str("<ts>");
                i += len;
                continue;
            }
        }
        if is_word_byte(b) {
            let end = i + bytes
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| is_word_byte(**c))
                .count();
            let word = text.get(i..end).unwrap_or_default();
            // Sentence punctuation stays outside the word: "failed." keeps its dot.
            let core = word.trim_end_matches(['.', '-', '_']);
            out.push_str(classify(core).unwrap_or(core));
            out.push_str(word.get(core.len()..).unwrap_or_default());
            i = end;
            continue;
        }
        // Any other character (punctuation, non-ASCII) is copied whole.
        let ch_len = text
            .get(i..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8);
        out.push_str(text.get(i..i + ch_len).unwrap_or_default());
        i += ch_len;
    }
    if out.len() > MAX_TEMPLATE_BYTES {
        let mut cut = MAX_TEMPLATE_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@' | b'+')
}

/// The mask for a word, or `None` to keep it as it is.
fn classify(word: &str) -> Option<&'static str> {
    if word.is_empty() {
        return None;
    }
    let (mut digits, mut alphas) = (0usize, 0usize);
    for b in word.bytes() {
        if b.is_ascii_digit() {
            digits += 1;
        } else if b.is_ascii_alphabetic() {
            alphas += 1;
        }
    }
    if is_email(word) {
        return Some("<email>");
    }
    if digits == 0 {
        return hex_without_digits(word);
    }
    if is_uuid(word) {
        return Some("<uuid>");
    }
    if alphas == 0 {
        return Some("<num>");
    }
    let hex_body = word.strip_prefix("0x").unwrap_or(word);
    if hex_body.len() >= 6 && hex_body.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some("<num>");
    }
    if word.len() <= 3 {
        return None;
    }
    Some("<id>")
}

/// Hex ids can happen to hold no digit (`req-cefbbc`, `deadbeefcafe`): a
/// segment of 6+ hex letters inside a compound word, or a whole word of 8+.
/// Ordinary words made only of the letters a-f are shorter (`facade`, `decade`).
/// Masked as the same kinds as ids with digits: `<num>` alone, `<id>` in a compound.
fn hex_without_digits(word: &str) -> Option<&'static str> {
    let all_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    if word.len() >= 8 && all_hex(word) {
        return Some("<num>");
    }
    let compound_id = word.contains(['-', '_'])
        && word
            .split(['-', '_', '.'])
            .any(|segment| segment.len() >= 6 && all_hex(segment));
    compound_id.then_some("<id>")
}

fn is_email(word: &str) -> bool {
    match word.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }
        None => false,
    }
}

fn is_uuid(word: &str) -> bool {
    let groups = [8, 4, 4, 4, 12];
    let mut parts = word.split('-');
    for want in groups {
        match parts.next() {
            Some(p) if p.len() == want && p.bytes().all(|b| b.is_ascii_hexdigit()) => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

/// The length of a quoted value starting at `bytes[0]` (a quote), if it closes
/// on the same line within 256 bytes and the closing quote ends a word.
fn quoted_len(bytes: &[u8]) -> Option<usize> {
    let quote = *bytes.first()?;
    let body = bytes.get(1..)?;
    let close = body
        .iter()
        .take(256)
        .position(|b| *b == quote || *b == b'\n')?;
    if body.get(close) != Some(&quote) || close == 0 {
        return None;
    }
    let after = body.get(close + 1);
    if after.is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(close + 2)
}

/// The length of a timestamp starting at `b[0]` (a digit), or 0:
/// `YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|±hh[:]mm]`, `DD/MM/YY[YY][ hh:mm[:ss]]`,
/// or `hh:mm:ss[.fff]`.
fn timestamp_len(b: &[u8]) -> usize {
    let digits_at = |at: usize, n: usize| -> bool {
        b.get(at..at + n)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let byte_at = |at: usize| b.get(at).copied();
    // hh:mm[:ss[.fff]] at `at`; returns its length or 0.
    let time_at = |at: usize| -> usize {
        if !(digits_at(at, 2) && byte_at(at + 2) == Some(b':') && digits_at(at + 3, 2)) {
            return 0;
        }
        let mut n = 5;
        if byte_at(at + n) == Some(b':') && digits_at(at + n + 1, 2) {
            n += 3;
            if matches!(byte_at(at + n), Some(b'.' | b',')) && digits_at(at + n + 1, 1) {
                n += 1;
                while digits_at(at + n, 1) {
                    n += 1;
                }
            }
        }
        n
    };
    if digits_at(0, 4)
        && byte_at(4) == Some(b'-')
        && digits_at(5, 2)
        && byte_at(7) == Some(b'-')
        && digits_at(8, 2)
    {
        let mut n = 10;
        if matches!(byte_at(10), Some(b'T' | b' ')) {
            let t = time_at(11);
            if t > 0 {
                n = 11 + t;
                match byte_at(n) {
                    Some(b'Z') => n += 1,
                    Some(b'+' | b'-') if digits_at(n + 1, 2) => {
                        n += 3;
                        if byte_at(n) == Some(b':') && digits_at(n + 1, 2) {
                            n += 3;
                        } else if digits_at(n, 2) {
                            n += 2;
                        }
                    }
                    _ => {}
                }
            }
        }
        return n;
    }
    // DD/MM/YY or DD/MM/YYYY, as CloudWatch writes datapoint times.
    let day = if digits_at(0, 2) { 2 } else { 1 };
    if byte_at(day) == Some(b'/') && digits_at(day + 1, 2) && byte_at(day + 3) == Some(b'/') {
        let year_at = day + 4;
        let year = if digits_at(year_at, 4) {
            4
        } else if digits_at(year_at, 2) {
            2
        } else {
            0
        };
        if year > 0 {
            let mut n = year_at + year;
            if byte_at(n) == Some(b' ') {
                let t = time_at(n + 1);
                if t > 0 {
                    n += 1 + t;
                }
            }
            return n;
        }
    }
    time_at(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_and_values_are_masked() {
        assert_eq!(
            message_template(
                "Task timed out after 30.02 seconds RequestId: 8f14e45f-ceea-467f-a0f3-5e2b5c3b1b1a"
            ),
            "Task timed out after <num> seconds RequestId: <uuid>"
        );
    }

    #[test]
    fn timestamps_in_every_common_form_are_masked() {
        assert_eq!(
            message_template("at 2024-01-01T10:00:00.123Z done"),
            "at <ts> done"
        );
        assert_eq!(
            message_template("at 2019-10-02T17:04:40.989+0000"),
            "at <ts>"
        );
        assert_eq!(
            message_template("[99.5 (02/10/19 16:59:00)]"),
            "[<num> (<ts>)]"
        );
        assert_eq!(message_template("at 13:46:00,123 done"), "at <ts> done");
    }

    #[test]
    fn hosts_ips_hex_and_emails_are_masked() {
        assert_eq!(
            message_template("connect to 10.0.3.7:5432 from i-0abc123def456 refused"),
            "connect to <num>:<num> from <id> refused"
        );
        assert_eq!(
            message_template("commit 7f3a9c1e by ops@example.com"),
            "commit <num> by <email>"
        );
    }

    #[test]
    fn quoted_values_are_masked_but_apostrophes_are_not() {
        assert_eq!(
            message_template("user 'bob' can't read table \"orders\"."),
            "user <q> can't read table <q>."
        );
    }

    #[test]
    fn hex_ids_without_digits_are_masked_but_words_are_not() {
        assert_eq!(
            message_template("worker req-cefbbc trace deadbeefcafe"),
            "worker <id> trace <num>"
        );
        assert_eq!(message_template("facade decade"), "facade decade");
    }

    #[test]
    fn short_names_with_digits_are_kept() {
        assert_eq!(
            message_template("s3 GetObject on ec2 returned 5xx"),
            "s3 GetObject on ec2 returned 5xx"
        );
    }

    #[test]
    fn white_space_is_folded_and_the_template_is_bounded() {
        assert_eq!(message_template("  a \n\t b  "), "a b");
        assert!(message_template(&"word ".repeat(1000)).len() <= MAX_TEMPLATE_BYTES);
    }

    #[test]
    fn signatures_and_dedup_keys_are_32_hex_characters() {
        let basis = SignatureBasis {
            source: "webhook".into(),
            resource: "checkout".into(),
            subject: "t".into(),
            template: "m".into(),
        };
        let sig = basis.signature();
        assert_eq!(sig.as_str().len(), 32);
        assert!(Signature::try_from(sig.to_string()).is_ok());
        assert!(Signature::try_from("XYZ".to_owned()).is_err());
    }

    #[test]
    fn parts_do_not_run_into_each_other() {
        assert_ne!(
            DedupKey::from_parts(["ab", "c"]),
            DedupKey::from_parts(["a", "bc"])
        );
    }
}
