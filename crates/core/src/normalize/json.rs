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

/// Deserializers that borrow strings from the payload wherever they have no
/// escapes. serde borrows a `Cow<str>` only when it is a field's whole type;
/// inside an `Option`, a `Vec` or a map it always copies, and those copies
/// were a tenth of normalization's time.
pub(crate) mod borrowed {
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::Deserializer;
    use serde::de::{Deserialize, MapAccess, SeqAccess, Visitor};

    /// A JSON object of strings.
    type StrMap<'a> = BTreeMap<Cow<'a, str>, Cow<'a, str>>;

    /// One string, borrowed when it can be.
    struct Text<'a>(Cow<'a, str>);

    impl<'de> Deserialize<'de> for Text<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct TextVisitor;
            impl<'de> Visitor<'de> for TextVisitor {
                type Value = Text<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a string")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                    Ok(Text(Cow::Borrowed(v)))
                }
                fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                    Ok(Text(Cow::Owned(v.to_owned())))
                }
                fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                    Ok(Text(Cow::Owned(v)))
                }
            }
            deserializer.deserialize_str(TextVisitor)
        }
    }

    /// `Option<Cow<str>>`: null or absent is `None`.
    pub(crate) fn opt<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Cow<'de, str>>, D::Error> {
        Ok(Option::<Text<'de>>::deserialize(deserializer)?.map(|t| t.0))
    }

    /// `Vec<Cow<str>>`.
    pub(crate) fn vec<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Cow<'de, str>>, D::Error> {
        struct SeqVisitor;
        impl<'de> Visitor<'de> for SeqVisitor {
            type Value = Vec<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(Text(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(items)
            }
        }
        deserializer.deserialize_seq(SeqVisitor)
    }

    /// `BTreeMap<Cow<str>, Cow<str>>`.
    pub(crate) fn map<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StrMap<'de>, D::Error> {
        deserializer.deserialize_map(MapVisitor)
    }

    /// `Option<BTreeMap<Cow<str>, Cow<str>>>`: null or absent is `None`.
    pub(crate) fn opt_map<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<StrMap<'de>>, D::Error> {
        struct OptVisitor;
        impl<'de> Visitor<'de> for OptVisitor {
            type Value = Option<StrMap<'de>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings or null")
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                map(d).map(Some)
            }
        }
        deserializer.deserialize_option(OptVisitor)
    }

    struct MapVisitor;
    impl<'de> Visitor<'de> for MapVisitor {
        type Value = StrMap<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = BTreeMap::new();
            while let Some((Text(key), Text(value))) = access.next_entry()? {
                map.insert(key, value);
            }
            Ok(map)
        }
    }
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
