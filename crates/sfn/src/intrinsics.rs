//! The 18 intrinsic functions (`States.Format(...)` and the rest), parsed at
//! load and evaluated against the state's data and the context object.
//! AWS reports every intrinsic failure as `States.Runtime`, so we do too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::path::{JsonPath, Sources};

/// AWS's limit on the string given to `Base64Encode`, `Base64Decode` and `Hash`.
const MAX_STRING_INPUT: usize = 10_000;
/// AWS's limit on the array `ArrayRange` builds.
const MAX_RANGE_ITEMS: i64 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    function: Function,
    args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Literal(Value),
    Path(JsonPath),
    Call(Intrinsic),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Function {
    /// Every function with the name AWS gives it.
    const ALL: [(&'static str, Self); 18] = [
        ("States.Format", Self::Format),
        ("States.StringToJson", Self::StringToJson),
        ("States.JsonToString", Self::JsonToString),
        ("States.Array", Self::Array),
        ("States.ArrayPartition", Self::ArrayPartition),
        ("States.ArrayContains", Self::ArrayContains),
        ("States.ArrayRange", Self::ArrayRange),
        ("States.ArrayGetItem", Self::ArrayGetItem),
        ("States.ArrayLength", Self::ArrayLength),
        ("States.ArrayUnique", Self::ArrayUnique),
        ("States.Base64Encode", Self::Base64Encode),
        ("States.Base64Decode", Self::Base64Decode),
        ("States.Hash", Self::Hash),
        ("States.JsonMerge", Self::JsonMerge),
        ("States.MathRandom", Self::MathRandom),
        ("States.MathAdd", Self::MathAdd),
        ("States.StringSplit", Self::StringSplit),
        ("States.UUID", Self::Uuid),
    ];

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("States.?", |(n, _)| n)
    }

    /// The number of arguments accepted: (min, max).
    fn arity(self) -> (usize, usize) {
        match self {
            Self::Format => (1, usize::MAX),
            Self::Array => (0, usize::MAX),
            Self::StringToJson
            | Self::JsonToString
            | Self::ArrayLength
            | Self::ArrayUnique
            | Self::Base64Encode
            | Self::Base64Decode => (1, 1),
            Self::ArrayPartition
            | Self::ArrayContains
            | Self::ArrayGetItem
            | Self::Hash
            | Self::MathAdd
            | Self::StringSplit => (2, 2),
            Self::ArrayRange | Self::JsonMerge => (3, 3),
            Self::MathRandom => (2, 3),
            Self::Uuid => (0, 0),
        }
    }
}

impl Intrinsic {
    /// Parses `States.Name(arg, ...)`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            text: text.as_bytes(),
            pos: 0,
        };
        let call = parser.call()?;
        parser.skip_spaces();
        if parser.pos != parser.text.len() {
            return Err(format!("unexpected text after the call in '{text}'"));
        }
        Ok(call)
    }

    pub fn uses_context(&self) -> bool {
        self.args.iter().any(|a| match a {
            Arg::Path(p) => p.is_context(),
            Arg::Call(c) => c.uses_context(),
            Arg::Literal(_) => false,
        })
    }

    pub(crate) fn evaluate(
        &self,
        src: &Sources<'_>,
        random: &mut dyn FnMut() -> u64,
    ) -> Result<Value, StatesError> {
        let mut args = Vec::with_capacity(self.args.len());
        for (i, arg) in self.args.iter().enumerate() {
            args.push(match arg {
                // Only the format string gives `\{` and `\}` a meaning of their own.
                Arg::Literal(v) if i == 0 && self.function == Function::Format => v.clone(),
                Arg::Literal(v) => unmark(v.clone()),
                Arg::Path(path) => path.read_in(src).ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The JsonPath argument '{path}' of the intrinsic function {} could not be \
                         found in the input",
                        self.name()
                    ))
                })?,
                Arg::Call(call) => call.evaluate(src, random)?,
            });
        }
        self.apply(args, random)
            .map_err(|cause| StatesError::runtime(format!("{}: {cause}", self.name())))
    }

    fn name(&self) -> &'static str {
        self.function.name()
    }

    fn apply(&self, args: Vec<Value>, random: &mut dyn FnMut() -> u64) -> Result<Value, String> {
        let mut args = args.into_iter();
        let mut next = || args.next().unwrap_or(Value::Null);
        Ok(match self.function {
            Function::Format => {
                let template = string(next(), "the format string")?;
                let rest: Vec<Value> = std::iter::from_fn(|| Some(next()))
                    .take(self.args.len().saturating_sub(1))
                    .collect();
                Value::String(format_template(&template, &rest)?)
            }
            Function::StringToJson => {
                let text = string(next(), "the argument")?;
                serde_json::from_str(&text).map_err(|e| format!("the string is not JSON: {e}"))?
            }
            Function::JsonToString => Value::String(next().to_string()),
            Function::Array => Value::Array(
                std::iter::from_fn(|| Some(next()))
                    .take(self.args.len())
                    .collect(),
            ),
            Function::ArrayPartition => {
                let items = array(next(), "the first argument")?;
                let size = integer(&next(), "the chunk size")?;
                let size = usize::try_from(size)
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or("the chunk size must be a positive integer")?;
                Value::Array(
                    items
                        .chunks(size)
                        .map(|c| Value::Array(c.to_vec()))
                        .collect(),
                )
            }
            Function::ArrayContains => {
                let items = array(next(), "the first argument")?;
                let wanted = next();
                Value::Bool(items.contains(&wanted))
            }
            Function::ArrayRange => {
                let (start, end, step) = (
                    integer(&next(), "the start")?,
                    integer(&next(), "the end")?,
                    integer(&next(), "the step")?,
                );
                if step == 0 {
                    return Err("the step cannot be 0".to_owned());
                }
                let count = (end - start) / step + 1;
                if count > MAX_RANGE_ITEMS {
                    return Err(format!(
                        "the range has {count} items; the limit is {MAX_RANGE_ITEMS}"
                    ));
                }
                let mut out = Vec::new();
                let mut i = start;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    out.push(Value::from(i));
                    i += step;
                }
                Value::Array(out)
            }
            Function::ArrayGetItem => {
                let items = array(next(), "the first argument")?;
                let index = integer(&next(), "the index")?;
                usize::try_from(index)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .ok_or_else(|| {
                        format!(
                            "index {index} is out of bounds (the array has {} items)",
                            items.len()
                        )
                    })?
            }
            Function::ArrayLength => Value::from(array(next(), "the argument")?.len()),
            Function::ArrayUnique => {
                let mut unique: Vec<Value> = Vec::new();
                for item in array(next(), "the argument")? {
                    if !unique.contains(&item) {
                        unique.push(item);
                    }
                }
                Value::Array(unique)
            }
            Function::Base64Encode => {
                let text = limited_string(next())?;
                Value::String(BASE64.encode(text.as_bytes()))
            }
            Function::Base64Decode => {
                let text = limited_string(next())?;
                let bytes = BASE64
                    .decode(text.as_bytes())
                    .map_err(|e| format!("the string is not base64: {e}"))?;
                Value::String(
                    String::from_utf8(bytes).map_err(|_| "the decoded bytes are not UTF-8")?,
                )
            }
            Function::Hash => {
                let text = limited_string(next())?;
                let algorithm = string(next(), "the algorithm")?;
                Value::String(hash(&text, &algorithm)?)
            }
            Function::JsonMerge => {
                let (mut left, right) = (
                    object(next(), "the first argument")?,
                    object(next(), "the second argument")?,
                );
                if next() != Value::Bool(false) {
                    return Err("only a shallow merge (false) is supported, as on AWS".to_owned());
                }
                left.extend(right);
                Value::Object(left)
            }
            Function::MathRandom => {
                let (start, end) = (integer(&next(), "the start")?, integer(&next(), "the end")?);
                if end <= start {
                    return Err(format!(
                        "the end ({end}) must be greater than the start ({start})"
                    ));
                }
                let span = u64::try_from(end - start).unwrap_or(1);
                let offset = i64::try_from(random() % span).unwrap_or(0);
                Value::from(start + offset)
            }
            Function::MathAdd => {
                let (a, b) = (
                    integer(&next(), "the first argument")?,
                    integer(&next(), "the second argument")?,
                );
                Value::from(a.checked_add(b).ok_or("the sum overflows")?)
            }
            Function::StringSplit => {
                let text = string(next(), "the string")?;
                let delimiters = string(next(), "the delimiter")?;
                Value::Array(
                    text.split(|c| delimiters.contains(c))
                        .filter(|piece| !piece.is_empty())
                        .map(|piece| Value::String(piece.to_owned()))
                        .collect(),
                )
            }
            Function::Uuid => Value::String(uuid_v4(random(), random())),
        })
    }
}

fn string(value: Value, what: &str) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "{what} must be a string, got {}",
            type_name(&other)
        )),
    }
}

fn limited_string(value: Value) -> Result<String, String> {
    let text = string(value, "the argument")?;
    if text.chars().count() > MAX_STRING_INPUT {
        return Err(format!(
            "the string has {} characters; the limit is {MAX_STRING_INPUT}",
            text.chars().count()
        ));
    }
    Ok(text)
}

fn array(value: Value, what: &str) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(format!(
            "{what} must be an array, got {}",
            type_name(&other)
        )),
    }
}

fn object(value: Value, what: &str) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!(
            "{what} must be an object, got {}",
            type_name(&other)
        )),
    }
}

fn integer(value: &Value, what: &str) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| format!("{what} must be an integer, got {n}")),
        other => Err(format!(
            "{what} must be an integer, got {}",
            type_name(other)
        )),
    }
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `{}` takes the next argument; `\{`, `\}`, `\'` and `\\` were unescaped
/// by the parser into private markers, so they print as themselves.
fn format_template(template: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut args = args.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let arg = args
                    .next()
                    .ok_or("the format string has more {} than arguments")?;
                match arg {
                    Value::String(s) => out.push_str(s),
                    Value::Array(_) | Value::Object(_) => {
                        return Err("arguments of States.Format cannot be arrays or objects".into());
                    }
                    other => out.push_str(&other.to_string()),
                }
            }
            ESCAPED_OPEN => out.push('{'),
            ESCAPED_CLOSE => out.push('}'),
            other => out.push(other),
        }
    }
    if args.next().is_some() {
        return Err("the format string has fewer {} than arguments".to_owned());
    }
    Ok(out)
}

/// Private-use characters standing for `\{` and `\}` inside a literal.
const ESCAPED_OPEN: char = '\u{F0000}';
const ESCAPED_CLOSE: char = '\u{F0001}';

pub(crate) fn hash(text: &str, algorithm: &str) -> Result<String, String> {
    use sha2::Digest as _;
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(text.as_bytes()).to_vec(),
        "SHA-1" => sha1::Sha1::digest(text.as_bytes()).to_vec(),
        "SHA-256" => sha2::Sha256::digest(text.as_bytes()).to_vec(),
        "SHA-384" => sha2::Sha384::digest(text.as_bytes()).to_vec(),
        "SHA-512" => sha2::Sha512::digest(text.as_bytes()).to_vec(),
        other => {
            return Err(format!(
                "unknown algorithm '{other}'; expected MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
            ));
        }
    };
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// A version 4 UUID from 128 random bits.
pub(crate) fn uuid_v4(high: u64, low: u64) -> String {
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn call(&mut self) -> Result<Intrinsic, String> {
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
fn unmark(value: Value) -> Value {
    match value {
        Value::String(s) if s.contains([ESCAPED_OPEN, ESCAPED_CLOSE]) => {
            Value::String(s.replace(ESCAPED_OPEN, "{").replace(ESCAPED_CLOSE, "}"))
        }
        other => other,
    }
}
