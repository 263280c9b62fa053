//! The template of a log event: its text with the parts that vary from one
//! occurrence to the next masked as `<*>` (numbers, ids, UUIDs, hex, IPs,
//! times, versions; not HTTP statuses), hashed in one pass over its bytes. Events with the same
//! template are one kind of event, told once with a count.
//!
//! Unlike a signature's template ([`crate::signature::message_template`]),
//! quoted text is kept: in JSON logs every key is quoted, and the keys are
//! what tells one kind of line from another.

/// The bytes of a line read for its template. JSON lines carry what tells
/// them apart late (a delivery's `providerResponse`, an error's `reason`
/// after the request's ids), so a long prefix is read.
const TEMPLATE_BYTES: usize = 1024;

/// FNV-1a, 64 bits: fast on short keys, and good enough to tell templates
/// apart (a collision merges two kinds of line, nothing worse).
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    const fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'+')
}

/// What a variable word becomes.
const MASK: &[u8] = b"<*>";

/// HTTP status classes, for lines that speak HTTP.
const CLASSES: [&[u8]; 5] = [b"1xx", b"2xx", b"3xx", b"4xx", b"5xx"];

/// What a word becomes in the template, or `None` to keep it. On a line
/// that speaks HTTP (`http`, `status`), a number from 100 to 599 becomes
/// its status class: a 503 and a 200 are different kinds of line.
fn mask(word: &[u8], http: bool) -> Option<&'static [u8]> {
    let digits = word.iter().filter(|b| b.is_ascii_digit()).count();
    if digits > 0 {
        if http
            && digits == 3
            && word.len() == 3
            && let Some(class) = word
                .first()
                .and_then(|d| CLASSES.get(usize::from(d.wrapping_sub(b'1'))))
        {
            return Some(class);
        }
        // Short names with a digit or two stay (`s3`, `ec2`, `http2`, `p95`).
        let letters = word.iter().filter(|b| b.is_ascii_alphabetic()).count();
        if letters > 0
            && word.len() <= 5
            && digits <= 2
            && word.first().is_some_and(u8::is_ascii_alphabetic)
        {
            return None;
        }
        // Numbers, versions, IPs, dates, durations, ids, UUIDs.
        return Some(MASK);
    }
    // Hex without digits (`deadbeefcafe`).
    if word.len() >= 12
        && word
            .iter()
            .all(|b| matches!(b, b'a'..=b'f' | b'A'..=b'F' | b'-'))
    {
        return Some(MASK);
    }
    None
}

/// Hashes the template of `line` (its first [`TEMPLATE_BYTES`] bytes) into
/// `hasher`; writes the template into `out` too when asked.
fn hash_line(line: &[u8], hasher: &mut Fnv, mut out: Option<&mut String>) {
    let line = line.get(..TEMPLATE_BYTES).unwrap_or(line);
    let http = speaks_http(line);
    let mut i = 0;
    let mut in_space = false;
    while i < line.len() {
        let b = line.get(i).copied().unwrap_or(b' ');
        if is_word(b) {
            let start = i;
            while i < line.len() && line.get(i).copied().is_some_and(is_word) {
                i += 1;
            }
            let word = line.get(start..i).unwrap_or_default();
            let piece = mask(word, http).unwrap_or(word);
            hasher.write(piece);
            if let Some(out) = out.as_deref_mut() {
                out.push_str(&String::from_utf8_lossy(piece));
            }
            in_space = false;
            continue;
        }
        if b.is_ascii_whitespace() {
            // Runs of white space are one space.
            if !in_space {
                hasher.write(b" ");
                if let Some(out) = out.as_deref_mut() {
                    out.push(' ');
                }
            }
            in_space = true;
        } else {
            hasher.write(&[b]);
            if let Some(out) = out.as_deref_mut() {
                out.push(char::from(b));
            }
            in_space = false;
        }
        i += 1;
    }
}

/// Whether a line speaks HTTP: `http` or `status` in any case.
fn speaks_http(line: &[u8]) -> bool {
    line.windows(4).any(|w| w.eq_ignore_ascii_case(b"http"))
        || line.windows(6).any(|w| w.eq_ignore_ascii_case(b"status"))
}

/// The lines a template is made of: the first, and the last of a
/// multi-line event (a traceback's exception, a dump's verdict).
fn telling_lines(message: &str) -> (&str, Option<&str>) {
    match message.split_once('\n') {
        Some((first, rest)) => {
            let last = rest.lines().rev().find(|l| !l.trim().is_empty());
            (first, last)
        }
        None => (message, None),
    }
}

/// The template's hash of an event's message.
pub fn template_hash(message: &str) -> u64 {
    let (first, last) = telling_lines(message);
    let mut hasher = Fnv::new();
    hash_line(first.as_bytes(), &mut hasher, None);
    if let Some(last) = last {
        hasher.write(b"\n");
        hash_line(last.as_bytes(), &mut hasher, None);
    }
    hasher.0
}

/// The template itself, for people: `ERROR <id> connect ETIMEDOUT <n>`.
pub fn template_text(message: &str) -> String {
    let (first, last) = telling_lines(message);
    let mut hasher = Fnv::new();
    let mut out = String::new();
    hash_line(first.as_bytes(), &mut hasher, Some(&mut out));
    if let Some(last) = last {
        out.push_str(" … ");
        hash_line(last.as_bytes(), &mut hasher, Some(&mut out));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurrences_differing_only_in_values_share_a_template() {
        let a = "REPORT RequestId: 0c7e5d1a-3b2f-4e8a-9c6d-5f4e3d2c1b0a\tDuration: 1532.21 ms\tMax Memory Used: 1024 MB";
        let b = "REPORT RequestId: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\tDuration: 98.10 ms\tMax Memory Used: 211 MB";
        assert_eq!(template_hash(a), template_hash(b));
        assert_eq!(
            template_text(a),
            "REPORT RequestId: <*> Duration: <*> ms Max Memory Used: <*> MB"
        );
        assert_ne!(
            template_hash("ERROR connect ETIMEDOUT 10.0.0.1:443"),
            template_hash("ERROR connect ECONNREFUSED 10.0.0.1:443")
        );
    }

    #[test]
    fn names_json_keys_and_short_words_are_kept() {
        assert_eq!(
            template_text(
                r#"{"level":"ERROR","msg":"s3 put failed","key":"statements/2026-11-20/acct-88123.csv"}"#
            ),
            r#"{"level":"ERROR","msg":"s3 put failed","key":"statements/<*>/<*>"}"#
        );
        assert_eq!(
            template_text("ledger-worker 2.14.0 (git 9c1e4ab) starting"),
            "ledger-worker <*> (git <*>) starting"
        );
        assert_ne!(
            template_hash("\"GET /v1 HTTP/1.1\" 200"),
            template_hash("\"GET /v1 HTTP/1.1\" 503")
        );
        assert_eq!(
            template_hash("\"GET /v1 HTTP/1.1\" 503"),
            template_hash("\"GET /v1 HTTP/1.1\" 504")
        );
    }

    #[test]
    fn a_multi_line_event_is_told_by_its_first_and_last_lines() {
        let one = "Traceback (most recent call last):\n  File \"/app/a.py\", line 3\nKeyError: 'loyalty_tier'";
        let other = "Traceback (most recent call last):\n  File \"/app/b.py\", line 9\nTypeError: bad operand";
        assert_ne!(template_hash(one), template_hash(other));
        assert_eq!(
            template_text(one),
            "Traceback (most recent call last): … KeyError: 'loyalty_tier'"
        );
    }
}
