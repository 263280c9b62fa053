//! The tokenizer: one token at a time, told by the parser whether an
//! operand or an operator comes next (a `/` starts a regular expression only
//! where an operand is expected).

use crate::error::{Result, syntax};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Op(&'static str),
    Name(String),
    Variable(String),
    Str(String),
    Num(f64),
    True,
    False,
    Null,
    Regex { pattern: String, flags: String },
    End,
}

/// Operators with their binding power (0 for punctuation).
pub(crate) const OPERATORS: [(&str, u8); 38] = [
    (".", 75),
    ("[", 80),
    ("]", 0),
    ("{", 70),
    ("}", 0),
    ("(", 80),
    (")", 0),
    (",", 0),
    ("@", 80),
    ("#", 80),
    (";", 80),
    (":", 80),
    ("?", 20),
    ("+", 50),
    ("-", 50),
    ("*", 60),
    ("/", 60),
    ("%", 60),
    ("|", 20),
    ("=", 40),
    ("<", 40),
    (">", 40),
    ("^", 40),
    ("**", 60),
    ("..", 20),
    (":=", 10),
    ("!=", 40),
    ("<=", 40),
    (">=", 40),
    ("~>", 40),
    ("?:", 40),
    ("??", 40),
    ("and", 30),
    ("or", 25),
    ("in", 40),
    ("&", 50),
    ("!", 0),
    ("~", 0),
];

const SINGLE: &str = ".[]{}(),@#;:?+-*/%|=<>^&!~";

pub(crate) fn binding_power(op: &str) -> u8 {
    OPERATORS
        .iter()
        .find(|(o, _)| *o == op)
        .map_or(0, |(_, bp)| *bp)
}

fn stop(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}') || SINGLE.contains(c)
}

pub(crate) struct Lexer<'a> {
    chars: Vec<char>,
    pub pos: usize,
    _text: &'a str,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
            _text: text,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    /// The next token and its start. `operand`: a value is expected, so
    /// `/` starts a regular expression.
    pub fn next(&mut self, operand: bool) -> Result<(Tok, usize)> {
        loop {
            while self
                .at(self.pos)
                .is_some_and(|c| " \t\n\r\u{b}".contains(c))
            {
                self.pos += 1;
            }
            if self.at(self.pos) == Some('/') && self.at(self.pos + 1) == Some('*') {
                let start = self.pos;
                self.pos += 2;
                loop {
                    match (self.at(self.pos), self.at(self.pos + 1)) {
                        (Some('*'), Some('/')) => {
                            self.pos += 2;
                            break;
                        }
                        (None, _) => {
                            return Err(syntax("S0106", start, "a comment is not closed with */"));
                        }
                        _ => self.pos += 1,
                    }
                }
                continue;
            }
            break;
        }
        let start = self.pos;
        let Some(c) = self.at(self.pos) else {
            return Ok((Tok::End, start));
        };
        if operand && c == '/' {
            self.pos += 1;
            return self.regex().map(|t| (t, start));
        }
        let two: String = [Some(c), self.at(self.pos + 1)]
            .into_iter()
            .flatten()
            .collect();
        for op in ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"] {
            if two == op {
                self.pos += 2;
                return Ok((Tok::Op(op), start));
            }
        }
        if SINGLE.contains(c) {
            self.pos += 1;
            let op = OPERATORS
                .iter()
                .find(|(o, _)| o.len() == c.len_utf8() && o.starts_with(c))
                .map_or("!", |(o, _)| *o);
            return Ok((Tok::Op(op), start));
        }
        if c == '"' || c == '\'' {
            self.pos += 1;
            return self.string(c).map(|s| (Tok::Str(s), start));
        }
        if c.is_ascii_digit() {
            return self.number().map(|n| (Tok::Num(n), start));
        }
        if c == '`' {
            self.pos += 1;
            let from = self.pos;
            while let Some(ch) = self.at(self.pos) {
                if ch == '`' {
                    let name = self.text(from, self.pos);
                    self.pos += 1;
                    return Ok((Tok::Name(name), start));
                }
                self.pos += 1;
            }
            return Err(syntax(
                "S0105",
                self.pos,
                "a quoted name is not closed with a backquote",
            ));
        }
        let mut end = self.pos;
        while self.at(end).is_some_and(|ch| !stop(ch)) {
            end += 1;
        }
        if c == '$' {
            let name = self.text(self.pos + 1, end);
            self.pos = end;
            return Ok((Tok::Variable(name), start));
        }
        let name = self.text(self.pos, end);
        self.pos = end;
        Ok((
            match name.as_str() {
                "and" => Tok::Op("and"),
                "or" => Tok::Op("or"),
                "in" => Tok::Op("in"),
                "true" => Tok::True,
                "false" => Tok::False,
                "null" => Tok::Null,
                _ => Tok::Name(name),
            },
            start,
        ))
    }

    fn number(&mut self) -> Result<f64> {
        let start = self.pos;
        let digits = |lexer: &mut Self| {
            while lexer.at(lexer.pos).is_some_and(|c| c.is_ascii_digit()) {
                lexer.pos += 1;
            }
        };
        if self.at(self.pos) == Some('0') {
            self.pos += 1;
        } else {
            digits(self);
        }
        if self.at(self.pos) == Some('.')
            && self.at(self.pos + 1).is_some_and(|c| c.is_ascii_digit())
        {
            self.pos += 1;
            digits(self);
        }
        if matches!(self.at(self.pos), Some('e' | 'E')) {
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.at(self.pos), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.at(self.pos).is_some_and(|c| c.is_ascii_digit()) {
                digits(self);
            } else {
                self.pos = mark;
            }
        }
        let text = self.text(start, self.pos);
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(syntax("S0102", start, format!("number out of range: {text}")).token(text)),
        }
    }

    fn string(&mut self, quote: char) -> Result<String> {
        let mut out = String::new();
        let mut pending_high: Option<u32> = None;
        loop {
            let Some(c) = self.at(self.pos) else {
                return Err(syntax("S0101", self.pos, "a string is not closed"));
            };
            self.pos += 1;
            if c == quote {
                if pending_high.take().is_some() {
                    out.push('\u{FFFD}');
                }
                return Ok(out);
            }
            if c != '\\' {
                if pending_high.take().is_some() {
                    out.push('\u{FFFD}');
                }
                out.push(c);
                continue;
            }
            let Some(e) = self.at(self.pos) else {
                return Err(syntax("S0101", self.pos, "a string is not closed"));
            };
            self.pos += 1;
            let simple = match e {
                '"' => Some('"'),
                '\\' => Some('\\'),
                '/' => Some('/'),
                'b' => Some('\u{8}'),
                'f' => Some('\u{c}'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                _ => None,
            };
            if let Some(s) = simple {
                if pending_high.take().is_some() {
                    out.push('\u{FFFD}');
                }
                out.push(s);
                continue;
            }
            if e != 'u' {
                return Err(syntax(
                    "S0103",
                    self.pos - 1,
                    format!("unsupported escape sequence: \\{e}"),
                )
                .token(e.to_string()));
            }
            let hex = self.text(self.pos, self.pos + 4);
            let unit = match u32::from_str_radix(&hex, 16) {
                Ok(u) if hex.len() == 4 => u,
                _ => {
                    return Err(syntax(
                        "S0104",
                        self.pos,
                        "\\u must be followed by 4 hexadecimal digits",
                    ));
                }
            };
            self.pos += 4;
            match (pending_high.take(), unit) {
                (Some(high), 0xDC00..=0xDFFF) => {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                (previous, 0xD800..=0xDBFF) => {
                    if previous.is_some() {
                        out.push('\u{FFFD}');
                    }
                    pending_high = Some(unit);
                }
                (previous, _) => {
                    if previous.is_some() {
                        out.push('\u{FFFD}');
                    }
                    out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
                }
            }
        }
    }

    /// After the opening `/`: the pattern up to the closing `/` (not
    /// escaped, not inside brackets), then the flags `i` and `m`.
    fn regex(&mut self) -> Result<Tok> {
        let start = self.pos;
        let mut depth = 0i32;
        while let Some(c) = self.at(self.pos) {
            let escaped = {
                let mut n = 0;
                while self.pos > n && self.at(self.pos - n - 1) == Some('\\') {
                    n += 1;
                }
                n % 2 == 1
            };
            if c == '/' && depth == 0 && !escaped {
                let pattern = self.text(start, self.pos);
                if pattern.is_empty() {
                    return Err(syntax(
                        "S0301",
                        self.pos,
                        "empty regular expressions are not allowed",
                    ));
                }
                self.pos += 1;
                let from = self.pos;
                while matches!(self.at(self.pos), Some('i' | 'm')) {
                    self.pos += 1;
                }
                let flags = self.text(from, self.pos);
                return Ok(Tok::Regex { pattern, flags });
            }
            let previous_backslash = self.pos > 0 && self.at(self.pos - 1) == Some('\\');
            if matches!(c, '(' | '[' | '{') && !previous_backslash {
                depth += 1;
            }
            if matches!(c, ')' | ']' | '}') && !previous_backslash {
                depth -= 1;
            }
            self.pos += 1;
        }
        Err(syntax(
            "S0302",
            self.pos,
            "a regular expression is not closed with /",
        ))
    }
}
