//! Explicit limits on what the normalizer accepts and keeps.
//!
//! Payloads beyond these limits are rejected with an `InvalidAlert` error that
//! names the limit; text beyond the text limits is cut with a visible marker
//! (the untouched payload is kept in `Alert::raw`).

/// The largest payload accepted, in bytes: the Step Functions state and
/// EventBridge event limit.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// The deepest nesting of objects and arrays accepted: DynamoDB's limit on
/// nested attributes, so that an accepted alert can always be stored.
pub const MAX_NESTING_DEPTH: usize = 32;

/// The largest decompressed CloudWatch Logs subscription batch, in bytes.
/// Guards against gzip bombs; a real batch is at most 1 MiB uncompressed.
pub const MAX_DECODED_LOG_BYTES: usize = 1024 * 1024;

/// The most log events accepted in one CloudWatch Logs batch (PutLogEvents' own limit).
pub const MAX_LOG_EVENTS: usize = 10_000;

/// The most log events kept as evidence on one alert; the total is still counted.
pub const MAX_LOG_EVENTS_KEPT: usize = 50;

/// The most alerts accepted in one payload (Alertmanager or Grafana groups, SNS records).
pub const MAX_ALERTS_PER_PAYLOAD: usize = 1_000;

/// The most labels or tags on one alert (CloudWatch allows 50 tags per alarm).
pub const MAX_LABELS: usize = 64;

/// The longest label or tag key, in characters.
pub const MAX_LABEL_KEY_CHARS: usize = 256;

/// The longest label or tag value, in characters (longer values are cut).
pub const MAX_LABEL_VALUE_CHARS: usize = 1024;

/// The longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 256;

/// The longest message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// The longest log line kept as evidence, in characters.
pub const MAX_LOG_LINE_CHARS: usize = 2048;

/// The longest message template hashed into a signature, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 512;

/// The marker appended to text cut at a limit.
pub const TRUNCATION_MARKER: &str = "… [truncated]";

/// Cuts `text` to at most `max_chars` characters, marking the cut.
/// [`truncate_chars`] for an owned string: no copy when it fits.
pub fn truncate_owned(text: String, max_chars: usize) -> String {
    // No more bytes than the limit means no more characters either.
    if text.len() <= max_chars {
        return text;
    }
    truncate_chars(&text, max_chars)
}

pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let mut out = String::with_capacity(cut + TRUNCATION_MARKER.len());
            out.push_str(text.get(..cut).unwrap_or(text));
            out.push_str(TRUNCATION_MARKER);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(truncate_chars("héllo", 5), "héllo");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_with_a_marker() {
        assert_eq!(truncate_chars("ééééé", 2), format!("éé{TRUNCATION_MARKER}"));
    }
}
