//! Log events from a log group's text: lines as `aws logs tail GROUP
//! --format detailed` prints them (`<ISO-8601 timestamp> <stream> <message>`),
//! JSON lines (`{"timestamp": ..., "message": ...}`), or lines that start
//! with a timestamp. A line without a timestamp continues the event above
//! it (a stack trace, a deadlock dump): one event, with the first line's
//! time.
//!
//! Log files are in time order, so only the part of a file inside a span is
//! read: the span's start is found by bisection, and reading stops at its
//! end.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::window::Span;

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub at: DateTime<Utc>,
    /// The log stream, when the format names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The message; the lines of a multi-line event joined with `\n`.
    pub message: String,
}

/// The most lines one event gathers (a runaway dump is cut there).
const MAX_EVENT_LINES: usize = 60;

/// The events of `text` whose time lies in `span` (all of them without one).
pub fn parse(text: &str, span: Option<Span>) -> Vec<LogEvent> {
    let start = match span {
        Some(span) if leading_millis(text.as_bytes()).is_some() => seek(text, span.start),
        _ => 0,
    };
    let end_millis = span.map(|s| s.end.timestamp_millis());
    let start_millis = span.map(|s| s.start.timestamp_millis());
    let mut events: Vec<LogEvent> = Vec::new();
    let mut keep_continuations = false;
    let mut lines_in_event = 0usize;
    for line in text.get(start..).unwrap_or_default().lines() {
        let Some((at, stream, message)) = split_line(line) else {
            // A continuation of the event above.
            if keep_continuations
                && lines_in_event < MAX_EVENT_LINES
                && let Some(last) = events.last_mut()
            {
                last.message.push('\n');
                last.message.push_str(line);
                lines_in_event += 1;
            }
            continue;
        };
        if end_millis.is_some_and(|end| at >= end) {
            break;
        }
        keep_continuations = start_millis.is_none_or(|start| at >= start);
        if !keep_continuations {
            continue;
        }
        lines_in_event = 1;
        events.push(LogEvent {
            at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
            stream: stream.map(str::to_owned),
            message: message.into_owned(),
        });
    }
    events
}

/// A line's time (Unix milliseconds), stream and message; `None` for a line
/// without a leading time (a continuation).
fn split_line(line: &str) -> Option<(i64, Option<&str>, Cow<'_, str>)> {
    if line.starts_with('{') {
        return json_line(line);
    }
    let (millis, used) = rfc3339_millis(line.as_bytes())?;
    let rest = line.get(used..)?.trim_start_matches([' ', '\t']);
    // `--format detailed`: the stream, then the message. A line written by
    // a timestamp and a message only has no stream: the message keeps all.
    match rest.split_once([' ', '\t']) {
        Some((stream, message)) if looks_like_stream(stream) => {
            Some((millis, Some(stream), Cow::Borrowed(message)))
        }
        _ => Some((millis, None, Cow::Borrowed(rest))),
    }
}

/// Stream names: `2026/11/20/[$LATEST]7d1f…`, `ecs/app/3f2e…`, `i-0abc…`,
/// an id. A word of the message (`ERROR`, `INFO`) is none.
fn looks_like_stream(word: &str) -> bool {
    word.len() >= 8
        && (word.contains('/') || word.contains('-') || word.contains('.') || word.contains('_'))
        && word.bytes().any(|b| b.is_ascii_digit())
}

/// `{"timestamp": "2026-…" | 1732094047000, "message": "…"}`.
fn json_line(line: &str) -> Option<(i64, Option<&str>, Cow<'_, str>)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let millis = match value.get("timestamp").unwrap_or(&serde_json::Value::Null) {
        serde_json::Value::String(text) => rfc3339_millis(text.as_bytes())?.0,
        serde_json::Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    // The event is its message, decoded (`\t` is a tab), as CloudWatch
    // Logs shows it; a record without one is the whole line.
    let message = match value.get("message") {
        Some(serde_json::Value::String(message)) => Cow::Owned(message.clone()),
        _ => Cow::Borrowed(line),
    };
    Some((millis, None, message))
}

/// The byte offset of the first line at or after `start` (the file is in
/// time order): bisection over the file's lines with a timestamp.
fn seek(text: &str, start: DateTime<Utc>) -> usize {
    let target = start.timestamp_millis();
    let bytes = text.as_bytes();
    let (mut low, mut high) = (0usize, bytes.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match next_stamped_line(bytes, mid) {
            Some((offset, millis)) if millis < target => low = offset + 1,
            Some(_) | None => high = mid,
        }
    }
    // `low` may sit inside a line: back up to its start.
    bytes
        .get(..low)
        .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        .map_or(0, |p| p + 1)
}

/// The first line starting at or after `from` that has a time.
fn next_stamped_line(bytes: &[u8], from: usize) -> Option<(usize, i64)> {
    let mut at = match from {
        0 => 0,
        _ => from + bytes.get(from..)?.iter().position(|&c| c == b'\n')? + 1,
    };
    while at < bytes.len() {
        if let Some(millis) = leading_millis(bytes.get(at..)?) {
            return Some((at, millis));
        }
        at += bytes.get(at..)?.iter().position(|&c| c == b'\n')? + 1;
    }
    None
}

fn leading_millis(bytes: &[u8]) -> Option<i64> {
    rfc3339_millis(bytes).map(|(millis, _)| millis)
}

/// A leading `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm|±hhmm]` (a space for
/// the `T` too) as Unix milliseconds, and the bytes it took. Hand-written:
/// it runs once per log line.
pub fn rfc3339_millis(b: &[u8]) -> Option<(i64, usize)> {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let mut n = 0i64;
        for &c in b.get(range)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        Some(n)
    };
    if b.len() < 19
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let mut scale = 100i64;
        while let Some(c) = b.get(at).filter(|c| c.is_ascii_digit()) {
            millis += i64::from(c - b'0') * scale;
            scale /= 10;
            at += 1;
        }
    }
    let offset_minutes = match b.get(at) {
        Some(b'Z') => {
            at += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let sign = if *sign == b'-' { -1 } else { 1 };
            let hours = digits(at + 1..at + 3)?;
            let (minutes, used) = if b.get(at + 3) == Some(&b':') {
                (digits(at + 4..at + 6)?, 6)
            } else {
                (digits(at + 3..at + 5).unwrap_or(0), 5)
            };
            at += used;
            sign * (hours * 60 + minutes)
        }
        // No offset: UTC.
        _ => 0,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some((seconds * 1000 + millis, at))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn timestamps_parse_in_every_form_logs_use() {
        for (text, expected) in [
            (
                "2026-11-20T09:13:02.118000+00:00",
                "2026-11-20T09:13:02.118Z",
            ),
            ("2026-11-20T09:13:02Z", "2026-11-20T09:13:02Z"),
            ("2026-11-20 09:13:02.5+01:00", "2026-11-20T08:13:02.500Z"),
            ("2026-02-28T23:59:59-0230", "2026-03-01T02:29:59Z"),
        ] {
            let (millis, _) = rfc3339_millis(text.as_bytes()).unwrap();
            assert_eq!(millis, at(expected).timestamp_millis(), "{text}");
        }
        assert!(rfc3339_millis(b"\tat com.example.Handler(Handler.java:42)").is_none());
        assert!(rfc3339_millis(b"2026-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn detailed_lines_give_stream_and_message_and_continuations_join_their_event() {
        let text = "2026-11-20T09:00:00.000000+00:00 2026/11/20/[$LATEST]7d1f0c2b9e8a4f6d START RequestId: a Version: $LATEST\n\
2026-11-20T09:00:01.000000+00:00 ecs/app/3f2e9d1c8b7a6f5e4d3c2b1a ERROR boom\n\
Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in f\nKeyError: 'loyalty_tier'\n\
2026-11-20T09:00:02.000000+00:00 plain message without a stream\n";
        let events = parse(text, None);
        assert_eq!(events.len(), 3);
        assert_eq!(
            events[0].stream.as_deref(),
            Some("2026/11/20/[$LATEST]7d1f0c2b9e8a4f6d")
        );
        assert_eq!(events[0].message, "START RequestId: a Version: $LATEST");
        assert_eq!(
            events[1].message,
            "ERROR boom\nTraceback (most recent call last):\n  File \"/app/x.py\", line 3, in f\nKeyError: 'loyalty_tier'"
        );
        assert_eq!(events[2].stream, None);
        assert_eq!(events[2].message, "plain message without a stream");
    }

    #[test]
    fn only_the_span_is_read_and_json_lines_are_read_too() {
        let mut text = String::new();
        for minute in 0..60 {
            text.push_str(&format!(
                "2026-11-20T09:{minute:02}:00.000000+00:00 stream-0001 line {minute}\n"
            ));
            text.push_str("  continued\n");
        }
        let span = Span {
            start: at("2026-11-20T09:10:00Z"),
            end: at("2026-11-20T09:20:00Z"),
        };
        let events = parse(&text, Some(span));
        assert_eq!(events.len(), 10);
        assert_eq!(events[0].message, "line 10\n  continued");
        let json = "{\"timestamp\":\"2026-11-20T09:01:15.004Z\",\"message\":\"ERROR\\tboom\"}\n";
        let events = parse(json, None);
        assert_eq!(events[0].at, at("2026-11-20T09:01:15.004Z"));
        assert_eq!(events[0].message, "ERROR\tboom", "the message, decoded");
    }
}
