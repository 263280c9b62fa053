//! Numbers and values as text, the way JavaScript writes them (JSONata's
//! `$string`, `&`, `$join` and error messages depend on it).

use crate::error::{Error, Result};
use crate::value::{OUTER_WRAPPER, Value};

/// `Number.prototype.toString()`: the shortest digits that read back as the
/// same double, with an exponent from 1e21 up and below 1e-6.
pub fn number_to_string(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let e: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = e + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let sign = if n - 1 < 0 { "-" } else { "+" };
        if rest.is_empty() {
            format!("{first}e{sign}{}", (n - 1).abs())
        } else {
            format!("{first}.{rest}e{sign}{}", (n - 1).abs())
        }
    };
    format!("{sign}{body}")
}

/// `Number(x.toPrecision(15))`: how `$string` rounds a non-integer.
pub fn precision15(x: f64) -> f64 {
    format!("{x:.14e}").parse().unwrap_or(x)
}

/// `$string`: strings as they are, functions as `""`, anything else as
/// JSON with non-integers to 15 significant digits.
pub fn string(value: &Value, pretty: bool) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.to_string()),
        Value::Function(_) => Ok(String::new()),
        Value::Number(n) if !n.is_finite() => Err(Error::new(
            "D3001",
            "attempting to invoke a string function on Infinity or NaN",
        )),
        Value::Array(a) if a.has(OUTER_WRAPPER) => match a.items.first() {
            Some(first) => string(first, pretty),
            None => Ok(String::new()),
        },
        other => {
            let mut out = String::new();
            write(other, if pretty { Some(0) } else { None }, &mut out)?;
            Ok(out)
        }
    }
}

fn write(value: &Value, indent: Option<usize>, out: &mut String) -> Result<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err(Error::new("D1001", format!("number out of range: {n}")));
            }
            let n = if n.fract() == 0.0 {
                *n
            } else {
                precision15(*n)
            };
            out.push_str(&number_to_string(n));
        }
        Value::String(s) => quote(s, out),
        Value::Function(_) => out.push_str("\"\""),
        Value::Array(a) => {
            if a.items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent.map(|d| d + 1), out);
                write(item, indent.map(|d| d + 1), out)?;
            }
            newline(indent, out);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(indent.map(|d| d + 1), out);
                quote(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(v, indent.map(|d| d + 1), out)?;
            }
            newline(indent, out);
            out.push('}');
        }
    }
    Ok(())
}

fn newline(indent: Option<usize>, out: &mut String) {
    if let Some(depth) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

/// A JSON string literal, escaped as `JSON.stringify` escapes it.
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (x, text) in [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(number_to_string(x), text);
        }
        assert_eq!(number_to_string(precision15(0.1 + 0.2)), "0.3");
    }
}
