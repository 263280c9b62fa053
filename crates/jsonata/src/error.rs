//! Errors, with JSONata's codes: `S0xxx` while parsing, `T` for types,
//! `D` for other failures while evaluating. The code is the stable part;
//! the message says what went wrong in words.

use std::fmt;

/// A JSONata error: its code, where in the expression, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// JSONata's code, such as `T2001` or `S0201`.
    pub code: &'static str,
    /// The character offset in the expression, when known.
    pub position: Option<usize>,
    /// The token or function the error is about, when there is one.
    pub token: Option<String>,
    pub message: String,
}

impl Error {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            position: None,
            token: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, position: usize) -> Self {
        if self.position.is_none() {
            self.position = Some(position);
        }
        self
    }

    pub(crate) fn token(mut self, token: impl Into<String>) -> Self {
        if self.token.is_none() {
            self.token = Some(token.into());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(p) = self.position {
            write!(f, " (at {p})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A parse error at `position`.
pub(crate) fn syntax(code: &'static str, position: usize, message: impl Into<String>) -> Error {
    Error::new(code, message).at(position)
}
