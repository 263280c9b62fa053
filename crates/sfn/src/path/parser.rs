//! Parsing JSONPath text into segments and filters.

use super::*;

/// A bare literal (a number, `true`, `false`, `null`) starting at `pos`,
/// which moves past it. Shared by filters and intrinsic arguments.
pub(crate) fn bare_word<'t>(text: &'t [u8], pos: &mut usize) -> &'t str {
    let start = *pos;
    while text
        .get(*pos)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
    {
        *pos += 1;
    }
    std::str::from_utf8(text.get(start..*pos).unwrap_or_default()).unwrap_or_default()
}

pub(super) struct Parser<'a> {
    pub(super) text: &'a [u8],
    pub(super) pos: usize,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, offset: usize) -> Option<u8> {
        self.text.get(self.pos + offset).copied()
    }

    pub(super) fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|b| b == b' ') {
            self.pos += 1;
        }
    }

    /// Segments until the end, or (inside a filter) until an operator.
    pub(super) fn segments(&mut self, in_filter: bool) -> Result<Vec<Segment>, String> {
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.peek_at(1) == Some(b'.') => {
                    self.pos += 2;
                    if self.eat(b'*') {
                        segments.push(Segment::Descendant(None));
                    } else {
                        let name = self.name()?;
                        segments.push(Segment::Descendant(Some(name)));
                    }
                }
                Some(b'.') => {
                    self.pos += 1;
                    if self.eat(b'*') {
                        segments.push(Segment::Wildcard);
                    } else {
                        segments.push(Segment::Field(self.name()?));
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    segments.push(self.bracket()?);
                }
                _ if in_filter => return Ok(segments),
                None => return Ok(segments),
                Some(other) => return Err(format!("unexpected '{}'", char::from(other))),
            }
        }
    }

    pub(super) fn name(&mut self) -> Result<String, String> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(
                b,
                b'.' | b'[' | b' ' | b')' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|'
            ) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err("a field name is missing after '.'".to_owned());
        }
        let bytes = self.text.get(start..self.pos).unwrap_or_default();
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    pub(super) fn bracket(&mut self) -> Result<Segment, String> {
        self.skip_spaces();
        if self.eat(b'*') {
            self.expect(b']')?;
            return Ok(Segment::Wildcard);
        }
        if self.peek() == Some(b'?') {
            self.pos += 1;
            self.expect(b'(')?;
            let filter = self.filter_or()?;
            self.skip_spaces();
            self.expect(b')')?;
            self.skip_spaces();
            self.expect(b']')?;
            return Ok(Segment::Filter(Box::new(filter)));
        }
        let mut keys = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                Some(b'\'' | b'"') => keys.push(Key::Field(self.quoted()?)),
                Some(b':') => return self.slice(None),
                _ => {
                    let n = self.integer()?;
                    self.skip_spaces();
                    if self.peek() == Some(b':') {
                        return self.slice(Some(n));
                    }
                    keys.push(Key::Index(n));
                }
            }
            self.skip_spaces();
            if self.eat(b']') {
                break;
            }
            self.expect(b',')?;
        }
        Ok(match <[Key; 1]>::try_from(keys) {
            Ok([Key::Field(name)]) => Segment::Field(name),
            Ok([Key::Index(i)]) => Segment::Index(i),
            Err(keys) => Segment::Union(keys),
        })
    }

    pub(super) fn slice(&mut self, start: Option<i64>) -> Result<Segment, String> {
        self.expect(b':')?;
        self.skip_spaces();
        let end = if matches!(self.peek(), Some(b':' | b']')) {
            None
        } else {
            Some(self.integer()?)
        };
        let step = if self.eat(b':') {
            self.skip_spaces();
            if self.peek() == Some(b']') {
                1
            } else {
                self.integer()?
            }
        } else {
            1
        };
        self.skip_spaces();
        self.expect(b']')?;
        if step == 0 {
            return Err("a slice step cannot be 0".to_owned());
        }
        Ok(Segment::Slice(start, end, step))
    }

    pub(super) fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at offset {}",
                char::from(byte),
                self.pos
            ))
        }
    }

    pub(super) fn integer(&mut self) -> Result<i64, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let text = std::str::from_utf8(self.text.get(start..self.pos).unwrap_or_default())
            .unwrap_or_default();
        text.parse()
            .map_err(|_| format!("expected an index at offset {start}"))
    }

    pub(super) fn quoted(&mut self) -> Result<String, String> {
        let quote = self.peek().unwrap_or(b'\'');
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err("a quoted name is not closed".to_owned()),
                Some(b'\\') => {
                    out.extend(self.peek_at(1));
                    self.pos += 2;
                }
                Some(b) if b == quote => {
                    self.pos += 1;
                    break;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    pub(super) fn filter_or(&mut self) -> Result<Filter, String> {
        let mut left = self.filter_and()?;
        loop {
            self.skip_spaces();
            if self.peek() == Some(b'|') && self.peek_at(1) == Some(b'|') {
                self.pos += 2;
                let right = self.filter_and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    pub(super) fn filter_and(&mut self) -> Result<Filter, String> {
        let mut left = self.filter_unary()?;
        loop {
            self.skip_spaces();
            if self.peek() == Some(b'&') && self.peek_at(1) == Some(b'&') {
                self.pos += 2;
                let right = self.filter_unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    pub(super) fn filter_unary(&mut self) -> Result<Filter, String> {
        self.skip_spaces();
        if self.peek() == Some(b'!') && self.peek_at(1) != Some(b'=') {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.filter_unary()?)));
        }
        if self.eat(b'(') {
            let inner = self.filter_or()?;
            self.skip_spaces();
            self.expect(b')')?;
            return Ok(inner);
        }
        let left = self.operand()?;
        self.skip_spaces();
        let op = match (self.peek(), self.peek_at(1)) {
            (Some(b'='), Some(b'=')) => Some((Op::Eq, 2)),
            (Some(b'!'), Some(b'=')) => Some((Op::Ne, 2)),
            (Some(b'<'), Some(b'=')) => Some((Op::Le, 2)),
            (Some(b'>'), Some(b'=')) => Some((Op::Ge, 2)),
            (Some(b'<'), _) => Some((Op::Lt, 1)),
            (Some(b'>'), _) => Some((Op::Gt, 1)),
            _ => None,
        };
        match op {
            Some((op, width)) => {
                self.pos += width;
                let right = self.operand()?;
                Ok(Filter::Compare(left, op, right))
            }
            None => Ok(Filter::Exists(left)),
        }
    }

    pub(super) fn operand(&mut self) -> Result<Operand, String> {
        self.skip_spaces();
        match self.peek() {
            Some(b'@') => {
                self.pos += 1;
                Ok(Operand::Item(self.definite_segments()?))
            }
            Some(b'$') => {
                self.pos += 1;
                Ok(Operand::Root(self.definite_segments()?))
            }
            Some(b'\'' | b'"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            _ => {
                let text = bare_word(self.text, &mut self.pos);
                serde_json::from_str(text)
                    .map(Operand::Literal)
                    .map_err(|_| format!("'{text}' is not a value a filter can compare with"))
            }
        }
    }

    pub(super) fn definite_segments(&mut self) -> Result<Vec<Segment>, String> {
        let segments = self.segments(true)?;
        if segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)))
        {
            Ok(segments)
        } else {
            Err("a filter can only read fields and indexes".to_owned())
        }
    }
}
