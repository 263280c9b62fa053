//! Why a payload was refused.

use std::fmt;

/// A payload the normalizer refuses. `Display` says what is wrong, naming the
/// field (`detail.state.value is missing`); [`NormalizeError::error_type`] is
/// the stable name that the state machine's `Retry`/`Catch` match and that
/// the CLI prints first (`InvalidAlert: detail.state.value is missing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalizeError {
    /// The payload is of a supported source but malformed, too large, or
    /// missing what an alert needs.
    InvalidAlert(String),
    /// The payload is well-formed but of no source we support.
    UnsupportedSource(String),
}

impl NormalizeError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidAlert(_) => "InvalidAlert",
            Self::UnsupportedSource(_) => "UnsupportedSource",
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidAlert(message.into())
    }

    pub(crate) fn missing(path: &str) -> Self {
        Self::InvalidAlert(format!("{path} is missing"))
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::UnsupportedSource(message.into())
    }

    /// Turns a serde error found at `inner_path` below `prefix` into one that
    /// names the full field path.
    pub(crate) fn from_serde(prefix: &str, inner_path: &str, error: &serde_json::Error) -> Self {
        let text = error.to_string();
        let syntax = matches!(
            error.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        );
        // A syntax error has no field to blame inside the fragment.
        let path = if syntax {
            prefix.to_owned()
        } else {
            join_path(prefix, inner_path)
        };
        // serde_json appends a position inside the fragment; it helps nobody.
        let text = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(head, _)| head);
        if syntax {
            return Self::invalid(format!("{path} is not valid JSON: {text}"));
        }
        if text.starts_with("recursion limit exceeded") {
            return Self::invalid(format!("{path} nests deeper than 128 levels"));
        }
        if let Some(field) = text
            .strip_prefix("missing field `")
            .and_then(|t| t.strip_suffix('`'))
        {
            return Self::missing(&join_path(&path, field));
        }
        if let Some(field) = text
            .strip_prefix("duplicate field `")
            .and_then(|t| t.strip_suffix('`'))
        {
            return Self::invalid(format!("{} appears twice", join_path(&path, field)));
        }
        Self::invalid(format!("{path}: {text}"))
    }
}

/// `detail` + `state.value` → `detail.state.value`; `alerts` + `[0].labels` →
/// `alerts[0].labels`; an empty side is left out.
pub(crate) fn join_path(prefix: &str, inner: &str) -> String {
    match (prefix.is_empty(), inner.is_empty() || inner == ".") {
        (true, _) => inner.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if inner.starts_with('[') => format!("{prefix}{inner}"),
        (false, false) => format!("{prefix}.{inner}"),
    }
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidAlert(m) | Self::UnsupportedSource(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for NormalizeError {}

/// Untrusted text quoted in an error: cut short, control characters dropped.
pub(crate) fn quote(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    format!("'{out}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_with_dots_and_brackets() {
        assert_eq!(join_path("detail", "state.value"), "detail.state.value");
        assert_eq!(join_path("alerts", "[0].labels"), "alerts[0].labels");
        assert_eq!(join_path("", "Records"), "Records");
        assert_eq!(join_path("detail", "."), "detail");
    }

    #[test]
    fn quoted_untrusted_text_is_short_and_printable() {
        assert_eq!(quote("a\u{7}b"), "'ab'");
        assert!(quote(&"x".repeat(500)).chars().count() < 70);
    }
}
