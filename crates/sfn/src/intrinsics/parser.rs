//! The parser of `States.Name(arg, ...)`: literals, paths and nested calls.

use serde_json::Value;

use super::values::{ESCAPED_CLOSE, ESCAPED_OPEN};
use super::{Arg, Function, Intrinsic};
use crate::path::JsonPath;

pub(super) struct Parser<'a> {
    pub(super) text: &'a [u8],
    pub(super) pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    pub(super) fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    pub(super) fn call(&mut self) -> Result<Intrinsic, String> {
        self.skip_spaces();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.')
        {
            self.pos += 1;
        }
        let name = String::from_utf8_lossy(self.text.get(start..self.pos).unwrap_or_default())
            .into_owned();
        let function = Function::from_name(&name)
            .ok_or_else(|| format!("unknown intrinsic function '{name}'"))?;
        self.skip_spaces();
        if self.peek() != Some(b'(') {
            return Err(format!("'{name}' must be followed by '('"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            loop {
                args.push(self.arg()?);
                self.skip_spaces();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(format!("expected ',' or ')' in the arguments of {name}")),
                }
            }
        }
        let (min, max) = function.arity();
        if args.len() < min || args.len() > max {
            return Err(format!(
                "{name} takes {} arguments, got {}",
                if min == max {
                    min.to_string()
                } else if max == usize::MAX {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                },
                args.len()
            ));
        }
        Ok(Intrinsic { function, args })
    }

    fn arg(&mut self) -> Result<Arg, String> {
        self.skip_spaces();
        match self.peek() {
            Some(b'\'') => self.string().map(|s| Arg::Literal(Value::String(s))),
            Some(b'$') => {
                let start = self.pos;
                let mut depth = 0usize;
                let mut quote = None;
                while let Some(b) = self.peek() {
                    match (quote, b) {
                        (Some(q), _) if b == q => quote = None,
                        (Some(_), _) => {}
                        (None, b'\'' | b'"') => quote = Some(b),
                        (None, b'[' | b'(') => depth += 1,
                        (None, b']') => depth = depth.saturating_sub(1),
                        (None, b')') if depth > 0 => depth -= 1,
                        (None, b',' | b')') if depth == 0 => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                let text = std::str::from_utf8(self.text.get(start..self.pos).unwrap_or_default())
                    .unwrap_or_default()
                    .trim_end();
                JsonPath::parse(text).map(Arg::Path)
            }
            Some(b'S') => self.call().map(Arg::Call),
            _ => {
                let text = crate::path::bare_word(self.text, &mut self.pos);
                match serde_json::from_str::<Value>(text) {
                    Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                        Ok(Arg::Literal(v))
                    }
                    _ => Err(format!("'{text}' is not a valid intrinsic argument")),
                }
            }
        }
    }

    /// A single-quoted literal; `\'`, `\{`, `\}` and `\\` are escapes.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err("a string argument is not closed with '".to_owned()),
                Some(b'\\') => {
                    let escaped = self.text.get(self.pos + 1).copied();
                    self.pos += 2;
                    match escaped {
                        Some(b'{') => out.extend(ESCAPED_OPEN.to_string().as_bytes()),
                        Some(b'}') => out.extend(ESCAPED_CLOSE.to_string().as_bytes()),
                        Some(b) => out.push(b),
                        None => return Err("a string argument ends with '\\'".to_owned()),
                    }
                }
                Some(b'\'') => {
                    self.pos += 1;
                    break;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        let text = String::from_utf8(out).map_err(|_| "a string argument is not UTF-8")?;
        Ok(text)
    }
}

/// Turns the escape markers back into plain braces.
pub(super) fn unmark(value: Value) -> Value {
    match value {
        Value::String(s) if s.contains([ESCAPED_OPEN, ESCAPED_CLOSE]) => {
            Value::String(s.replace(ESCAPED_OPEN, "{").replace(ESCAPED_CLOSE, "}"))
        }
        other => other,
    }
}
