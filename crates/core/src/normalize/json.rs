//! Typed parsing that names the failing field.

use serde::Deserialize;

use super::error::NormalizeError;
use crate::limits::MAX_NESTING_DEPTH;

/// Parses `text` (found at `path` in the payload) as `T`. The fast path has no
/// bookkeeping; only when it fails is the input parsed again to find the
/// exact field to blame.
pub(crate) fn parse_at<'a, T: Deserialize<'a>>(
    text: &'a str,
    path: impl std::fmt::Display,
) -> Result<T, NormalizeError> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => {
            let path = path.to_string();
            let mut de = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => Err(NormalizeError::from_serde(
                    &path,
                    &e.path().to_string(),
                    e.inner(),
                )),
                // Only trailing characters can fail the first parse and not this one.
                Ok(_) => Err(NormalizeError::from_serde(&path, "", &first)),
            }
        }
    }
}

/// Refuses JSON text nested deeper than [`MAX_NESTING_DEPTH`]: one pass over
/// the bytes, skipping strings. `what` names the text in the error.
pub(crate) fn check_depth(text: &str, what: &str) -> Result<(), NormalizeError> {
    let bytes = text.as_bytes();
    // Fast exit: text with no more brackets than the limit cannot nest deeper
    // than it. This count vectorizes; the exact scan below does not, and
    // almost every real payload stops here.
    // `b | 0x20` maps `[` (0x5B) onto `{` (0x7B) and nothing else onto it;
    // a u8 sum over 255 bytes cannot overflow.
    let openers: usize = bytes
        .chunks(255)
        .map(|chunk| {
            let n: u8 = chunk.iter().map(|&b| u8::from(b | 0x20 == b'{')).sum();
            usize::from(n)
        })
        .sum();
    if openers <= MAX_NESTING_DEPTH {
        return Ok(());
    }
    let (mut depth, mut i) = (0usize, 0usize);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING_DEPTH {
                    return Err(NormalizeError::invalid(format!(
                        "{what} nests deeper than {MAX_NESTING_DEPTH} levels (at byte {i})"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                // Skip the string, honouring backslash escapes.
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_within_the_limit_is_accepted() {
        let text = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH),
            "]".repeat(MAX_NESTING_DEPTH)
        );
        assert!(check_depth(&text, "payload").is_ok());
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_with_its_position() {
        let text = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH + 1),
            "]".repeat(MAX_NESTING_DEPTH + 1)
        );
        let error = check_depth(&text, "payload").unwrap_err();
        assert_eq!(
            error.to_string(),
            "payload nests deeper than 32 levels (at byte 32)"
        );
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = format!(r#"{{"a": "{}\" {}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(check_depth(&text, "payload").is_ok());
    }
}
