//! String functions. Positions and lengths count characters (code points).

use base64::Engine as _;

use super::{arg, items_arg, num_arg, str_arg, string as out};
use crate::error::Error;
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::Value;

type Args<'a> = &'a [Option<Value>];

pub(super) fn string(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(value) = arg(args, 0) else {
        return Ok(None);
    };
    let pretty = matches!(arg(args, 1), Some(Value::Bool(true)));
    out(crate::json::string(value, pretty)?)
}

/// JavaScript's `Array.prototype.slice` bounds on `len` items.
fn slice_bounds(len: usize, start: f64, end: Option<f64>) -> (usize, usize) {
    let len_f = len as f64;
    let clamp = |i: f64| -> usize {
        let i = i.trunc();
        if i < 0.0 {
            (len_f + i).max(0.0) as usize
        } else {
            i.min(len_f) as usize
        }
    };
    let s = clamp(start);
    let e = end.map_or(len, clamp);
    (s, e.max(s))
}

pub(crate) fn substring_of(text: &str, start: f64, length: Option<f64>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len() as f64;
    let start = if len + start < 0.0 { 0.0 } else { start };
    let end = match length {
        Some(l) if l <= 0.0 => return String::new(),
        Some(l) => Some(if start >= 0.0 {
            start + l
        } else {
            len + start + l
        }),
        None => None,
    };
    let (s, e) = slice_bounds(chars.len(), start, end);
    chars.get(s..e).unwrap_or_default().iter().collect()
}

pub(super) fn substring(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let start = num_arg(args, 1).unwrap_or(0.0);
    out(substring_of(text, start, num_arg(args, 2)))
}

pub(super) fn substring_before(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let chars = str_arg(args, 1).unwrap_or_default();
    out(match text.find(chars) {
        Some(i) => text.get(..i).unwrap_or_default(),
        None => text,
    })
}

pub(super) fn substring_after(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let chars = str_arg(args, 1).unwrap_or_default();
    out(match text.find(chars) {
        Some(i) => text.get(i + chars.len()..).unwrap_or_default(),
        None => text,
    })
}

pub(super) fn lowercase(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| out(s.to_lowercase()))
}

pub(super) fn uppercase(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| out(s.to_uppercase()))
}

pub(super) fn length(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| super::number(s.chars().count() as f64))
}

pub(super) fn trim(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let mut result = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !in_space {
                result.push(' ');
            }
            in_space = true;
        } else {
            result.push(c);
            in_space = false;
        }
    }
    let result = result.strip_prefix(' ').unwrap_or(&result);
    let result = result.strip_suffix(' ').unwrap_or(result);
    out(result)
}

pub(super) fn pad(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let width = num_arg(args, 1).unwrap_or(0.0).trunc();
    let fill = match str_arg(args, 2) {
        Some(c) if !c.is_empty() => c,
        _ => " ",
    };
    let missing = width.abs() as i64 - text.chars().count() as i64;
    if missing <= 0 {
        return out(text);
    }
    let padding: String = fill.chars().cycle().take(missing as usize).collect();
    out(if width > 0.0 {
        format!("{text}{padding}")
    } else {
        format!("{padding}{text}")
    })
}

pub(super) fn join(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(items) = items_arg(args, 0) else {
        return Ok(None);
    };
    let separator = str_arg(args, 1).unwrap_or_default();
    let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
    out(parts.join(separator))
}

/// `btoa` over the string's characters as bytes (Latin-1), as JSONata does.
pub(super) fn base64_encode(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let bytes: Vec<u8> = text.chars().map(|c| (c as u32 & 0xff) as u8).collect();
    out(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub(super) fn base64_decode(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let bytes = engine
        .decode(cleaned.trim_end_matches('='))
        .unwrap_or_default();
    out(bytes.iter().map(|b| char::from(*b)).collect::<String>())
}

const URI_UNRESERVED: &str = "-_.!~*'()";
const URI_RESERVED: &str = ";,/?:@&=+$#";

fn encode(text: &str, keep: &str) -> String {
    let mut result = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || URI_UNRESERVED.contains(c) || keep.contains(c) {
            result.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                result.push_str(&format!("%{b:02X}"));
            }
        }
    }
    result
}

fn decode(text: &str, keep: &str, function: &str) -> Result<String, Error> {
    let malformed = || {
        Error::new(
            "D3140",
            format!("malformed URL passed to ${function}(): {text}"),
        )
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).ok_or_else(malformed)?;
        let value = std::str::from_utf8(hex)
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(malformed)?;
        if value < 0x80 && keep.contains(char::from(value)) {
            out.extend_from_slice(bytes.get(i..i + 3).unwrap_or_default());
        } else {
            out.push(value);
        }
        i += 3;
    }
    String::from_utf8(out).map_err(|_| malformed())
}

pub(super) fn encode_url_component(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| out(encode(s, "")))
}

pub(super) fn encode_url(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| out(encode(s, URI_RESERVED)))
}

pub(super) fn decode_url_component(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| out(decode(s, "", "decodeUrlComponent")?))
}

pub(super) fn decode_url(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    str_arg(args, 0).map_or(Ok(None), |s| out(decode(s, URI_RESERVED, "decodeUrl")?))
}
