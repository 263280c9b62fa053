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

/// A multiply-rotate hash over 8 bytes at a time (the Fx hash's step): a
/// template is hashed word by word, each word in one or two steps. Good
/// enough to tell templates apart (a collision merges two kinds of line,
/// nothing worse); it runs once per log line, so speed matters more.
#[derive(Clone, Copy)]
struct Fnv {
    state: u64,
    /// Separator bytes (punctuation, a space) gathered 8 at a time: most
    /// of a JSON line is separators, and one step per byte would cost the
    /// most.
    pending: u64,
    pending_len: u32,
}

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const K: u64 = 0x517c_c1b7_2722_0a95;

impl Fnv {
    const fn new() -> Self {
        Self {
            state: SEED,
            pending: 0,
            pending_len: 0,
        }
    }

    fn step(&mut self, v: u64) {
        self.state = (self.state.rotate_left(5) ^ v).wrapping_mul(K);
    }

    fn flush(&mut self) {
        if self.pending_len > 0 {
            self.step(self.pending ^ (u64::from(self.pending_len) << 59) ^ (1 << 58));
            self.pending = 0;
            self.pending_len = 0;
        }
    }

    /// A word (or a mask) whole.
    fn write(&mut self, bytes: &[u8]) {
        self.flush();
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.step(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Gathered in a register: a copy through memory of a length
            // unknown until run time stalls the load that follows it.
            let v = rest
                .iter()
                .enumerate()
                .fold(0u64, |v, (i, &b)| v | (u64::from(b) << (8 * i)));
            // The length tells `ab` + `c` from `a` + `bc` within a word.
            self.step(v ^ ((rest.len() as u64) << 59));
        }
    }

    /// One separator byte.
    fn write_byte(&mut self, b: u8) {
        self.pending |= u64::from(b) << (8 * self.pending_len);
        self.pending_len += 1;
        if self.pending_len == 8 {
            self.step(self.pending);
            self.pending = 0;
            self.pending_len = 0;
        }
    }

    fn finish(mut self) -> u64 {
        self.flush();
        self.state
    }
}

/// Which bytes make words: letters, digits and `_ - . : +`.
#[allow(clippy::indexing_slicing)] // `b < 256`, the table's length (a const block has no `get_mut`).
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':' | b'+');
        b += 1;
    }
    table
};

fn is_word(b: u8) -> bool {
    // A `u8` is always in the table: the check compiles away.
    WORD_BYTES.get(usize::from(b)).copied().unwrap_or(false)
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

/// Hashes the template of `line` (its first [`TEMPLATE_BYTES`] bytes) in
/// one pass. Whether the line speaks HTTP is only known at its end, so a
/// number that could be a status (100 to 599) is hashed as a mask, and its
/// class on the side; the classes join the hash if the line speaks HTTP.
fn hash_line(line: &[u8], hasher: &mut Fnv) {
    let line = line.get(..TEMPLATE_BYTES).unwrap_or(line);
    let mut classes = Fnv::new();
    let mut http = false;
    let mut i = 0;
    let mut in_space = false;
    while let Some(&b) = line.get(i) {
        if !is_word(b) {
            if b.is_ascii_whitespace() {
                // Runs of white space are one space.
                if !in_space {
                    hasher.write_byte(b' ');
                }
                in_space = true;
            } else {
                hasher.write_byte(b);
                in_space = false;
            }
            i += 1;
            continue;
        }
        in_space = false;
        let start = i;
        let (mut digits, mut letters, mut hex) = (0usize, 0usize, true);
        while let Some(&c) = line.get(i) {
            if !is_word(c) {
                break;
            }
            if c.is_ascii_digit() {
                digits += 1;
            } else if c.is_ascii_alphabetic() {
                letters += 1;
                hex &= matches!(c | 0x20, b'a'..=b'f');
            } else {
                hex &= c == b'-';
            }
            i += 1;
        }
        let word = line.get(start..i).unwrap_or_default();
        if !http && letters >= 4 {
            http =
                starts_with_ignore_case(word, b"http") || starts_with_ignore_case(word, b"status");
        }
        match classify(word, digits, letters, hex) {
            Masked::Kept => hasher.write(word),
            Masked::Mask => hasher.write(MASK),
            Masked::Status(class) => {
                hasher.write(MASK);
                classes.write(class);
            }
        }
    }
    if http {
        hasher.step(classes.finish());
    }
}

fn starts_with_ignore_case(word: &[u8], prefix: &[u8]) -> bool {
    word.get(..prefix.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(prefix))
}

/// What a word becomes.
enum Masked {
    Kept,
    Mask,
    /// A number from 100 to 599: a status class on a line that speaks HTTP.
    Status(&'static [u8]),
}

/// [`mask`] from the counts gathered while reading the word.
fn classify(word: &[u8], digits: usize, letters: usize, hex: bool) -> Masked {
    if digits > 0 {
        if digits == 3
            && word.len() == 3
            && let Some(class) = word
                .first()
                .and_then(|d| CLASSES.get(usize::from(d.wrapping_sub(b'1'))))
        {
            return Masked::Status(class);
        }
        // Short names with a digit or two stay (`s3`, `ec2`, `http2`, `p95`).
        if letters > 0
            && word.len() <= 5
            && digits <= 2
            && word.first().is_some_and(u8::is_ascii_alphabetic)
        {
            return Masked::Kept;
        }
        return Masked::Mask;
    }
    // Hex without digits (`deadbeefcafe`).
    if word.len() >= 12 && hex {
        return Masked::Mask;
    }
    Masked::Kept
}

/// The template's text, for people (the hash's reading, word by word).
fn text_line(line: &[u8], out: &mut String) {
    let line = line.get(..TEMPLATE_BYTES).unwrap_or(line);
    let http = speaks_http(line);
    let mut i = 0;
    let mut in_space = false;
    while let Some(&b) = line.get(i) {
        if is_word(b) {
            let start = i;
            while line.get(i).copied().is_some_and(is_word) {
                i += 1;
            }
            let word = line.get(start..i).unwrap_or_default();
            let piece = mask(word, http).unwrap_or(word);
            out.push_str(&String::from_utf8_lossy(piece));
            in_space = false;
            continue;
        }
        if b.is_ascii_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(char::from(b));
            in_space = false;
        }
        i += 1;
    }
}

/// Whether a line speaks HTTP: `http` or `status` in any case. One pass:
/// only an `h` or an `s` is looked at further.
fn speaks_http(line: &[u8]) -> bool {
    line.iter().enumerate().any(|(i, &b)| match b | 0x20 {
        b'h' => line
            .get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"http")),
        b's' => line
            .get(i..i + 6)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"status")),
        _ => false,
    })
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
    hash_line(first.as_bytes(), &mut hasher);
    if let Some(last) = last {
        hasher.write_byte(b'\n');
        hash_line(last.as_bytes(), &mut hasher);
    }
    hasher.finish()
}

/// The template itself, for people: `ERROR <id> connect ETIMEDOUT <n>`.
pub fn template_text(message: &str) -> String {
    let (first, last) = telling_lines(message);
    let mut out = String::new();
    text_line(first.as_bytes(), &mut out);
    if let Some(last) = last {
        out.push_str(" … ");
        text_line(last.as_bytes(), &mut out);
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
