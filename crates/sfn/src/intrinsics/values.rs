//! What the functions share: argument checks, `States.Format`'s printing,
//! hashes and UUIDs (also used by the JSONata functions `$hash` and `$uuid`).

use serde_json::{Map, Value};

use super::MAX_STRING_INPUT;

pub(super) fn string(value: Value, what: &str) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "{what} must be a string, got {}",
            type_name(&other)
        )),
    }
}

pub(super) fn limited_string(value: Value) -> Result<String, String> {
    let text = string(value, "the argument")?;
    if text.chars().count() > MAX_STRING_INPUT {
        return Err(format!(
            "the string has {} characters; the limit is {MAX_STRING_INPUT}",
            text.chars().count()
        ));
    }
    Ok(text)
}

pub(super) fn array(value: Value, what: &str) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(format!(
            "{what} must be an array, got {}",
            type_name(&other)
        )),
    }
}

pub(super) fn object(value: Value, what: &str) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!(
            "{what} must be an object, got {}",
            type_name(&other)
        )),
    }
}

pub(super) fn integer(value: &Value, what: &str) -> Result<i64, String> {
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

/// A number rounded as Java's `Math.round` does: half up.
pub(super) fn rounded(value: &Value, what: &str) -> Result<i64, String> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None => n
                .as_f64()
                .map(|f| (f + 0.5).floor())
                .filter(|f| f.abs() < 9.0e15)
                .map(|f| f as i64)
                .ok_or_else(|| format!("{what} is out of range, got {n}")),
        },
        other => Err(format!("{what} must be a number, got {}", type_name(other))),
    }
}

pub(super) fn without_negative_zero(value: Value) -> Value {
    match value {
        Value::Number(n)
            if n.as_f64() == Some(0.0) && n.as_i64().is_none() && n.as_u64().is_none() =>
        {
            Value::from(0)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_negative_zero).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_negative_zero(v)))
                .collect(),
        ),
        other => other,
    }
}

/// How AWS prints an argument of `States.Format`: a string as itself, an
/// object as `{key=value, ...}` and an array as `[a, b]` (Java's forms).
pub(super) fn format_argument(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                format_argument(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                format_argument(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

pub(super) fn type_name(value: &Value) -> &'static str {
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
pub(super) fn format_template(template: &str, args: &[Value]) -> Result<String, String> {
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
                format_argument(arg, &mut out);
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
pub(super) const ESCAPED_OPEN: char = '\u{F0000}';
pub(super) const ESCAPED_CLOSE: char = '\u{F0001}';

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
