//! Regular expressions: JavaScript syntax translated for the `regex` crate
//! (no look-around or back-references: those are refused when parsed), and
//! the functions that take a pattern: `$match`, `$contains`, `$replace`,
//! `$split`. Positions count characters.

use std::rc::Rc;

use regex::Regex;

use super::{arg, num_arg, str_arg};
use crate::error::{Error, Result};
use crate::eval::{Evaluator, Out};
use crate::function::{Env, Function};
use crate::value::{Object, Value};

type Args<'a> = &'a [Option<Value>];

/// Compiles a `/pattern/flags` literal.
pub(crate) fn compile(pattern: &str, flags: &str, position: usize) -> Result<Regex> {
    let translated = translate(pattern);
    regex::RegexBuilder::new(&translated)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .build()
        .map_err(|e| {
            Error::new(
                "S0303",
                format!("the regular expression /{pattern}/ is not supported: {e}"),
            )
            .at(position)
        })
}

/// JavaScript's classes are ASCII; `\/` and `[^]` have meanings of their own.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                Some('D') => out.push_str(if in_class { r"\D" } else { "[^0-9]" }),
                Some('w') => out.push_str(if in_class {
                    "A-Za-z0-9_"
                } else {
                    "[A-Za-z0-9_]"
                }),
                Some('/') => out.push('/'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str(r"\\"),
            },
            '[' if !in_class => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                    if chars.peek() == Some(&']') {
                        chars.next();
                        out.push_str(r"[\s\S]");
                        continue;
                    }
                    out.push_str("[^");
                } else {
                    out.push('[');
                }
                in_class = true;
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str(r"\]");
                }
            }
            '[' => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

/// One match: text, character offsets, groups.
pub(crate) struct Found {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub groups: Vec<Option<String>>,
}

fn char_index(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.chars().count())
}

fn found(text: &str, caps: &regex::Captures<'_>) -> Option<Found> {
    let whole = caps.get(0)?;
    Some(Found {
        text: whole.as_str().to_owned(),
        start: char_index(text, whole.start()),
        end: char_index(text, whole.end()),
        groups: caps
            .iter()
            .skip(1)
            .map(|g| g.map(|m| m.as_str().to_owned()))
            .collect(),
    })
}

/// The matches of `re` in `text`, as JSONata finds them: a zero-length
/// match after the first is an error (D1004).
fn regex_matches(re: &Regex, text: &str, limit: Option<usize>) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    let Some(mut caps) = re.captures_at(text, 0) else {
        return Ok(out);
    };
    while let Some(m) = caps.get(0) {
        let end = m.end();
        if let Some(f) = found(text, &caps) {
            out.push(f);
        }
        if end >= text.len() {
            break;
        }
        let next = re.captures_at(text, end);
        match next {
            None => break,
            Some(n) if n.get(0).is_some_and(|m| m.as_str().is_empty()) => {
                return Err(Error::new(
                    "D1004",
                    "the regular expression matches a zero-length string",
                ));
            }
            Some(n) => caps = n,
        }
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    if let Some(l) = limit {
        out.truncate(l);
    }
    Ok(out)
}

/// The object a matcher function returns: `{match, start, end, groups}`.
pub(crate) fn match_object(re: &Regex, text: &str, from: usize) -> Option<Value> {
    let caps = re.captures_at(text, from)?;
    let f = found(text, &caps)?;
    let mut map = Object::new();
    map.insert(Rc::from("match"), Value::string(&f.text));
    map.insert(Rc::from("start"), Value::Number(f.start as f64));
    map.insert(Rc::from("end"), Value::Number(f.end as f64));
    map.insert(Rc::from("groups"), groups_value(&f.groups));
    Some(Value::object(map))
}

fn groups_value(groups: &[Option<String>]) -> Value {
    Value::array(
        groups
            .iter()
            .map(|g| g.as_deref().map_or(Value::Null, Value::string))
            .collect(),
        0,
    )
}

/// Matches of a pattern argument: a regex, or any function that answers
/// as a matcher does (`{match, start, end, groups, next}`).
fn matches(
    ev: &mut Evaluator<'_>,
    pattern: &Value,
    text: &str,
    limit: Option<usize>,
    env: &Env,
) -> Result<Vec<Found>> {
    let Value::Function(f) = pattern else {
        return Ok(Vec::new());
    };
    if let Function::Regex(re) = &**f {
        return regex_matches(re, text, limit);
    }
    let mut out = Vec::new();
    let mut result = ev.apply(
        Some(pattern.clone()),
        vec![Some(Value::string(text))],
        None,
        env,
    )?;
    loop {
        let m = match result {
            None => break,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(Error::new(
                    "T1010",
                    "the matcher function did not return the correct object structure",
                ));
            }
        };
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let number = |k: &str| m.get(k).and_then(Value::as_f64);
        let (Some(start), Some(end)) = (number("start"), number("end")) else {
            return Err(Error::new(
                "T1010",
                "the matcher function did not return the correct object structure",
            ));
        };
        out.push(Found {
            text: m
                .get("match")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            start: start as usize,
            end: end as usize,
            groups: m
                .get("groups")
                .map(Value::items)
                .unwrap_or_default()
                .iter()
                .map(|g| g.as_str().map(str::to_owned))
                .collect(),
        });
        result = match m.get("next") {
            Some(next @ Value::Function(_)) => {
                ev.apply(Some(next.clone()), Vec::new(), None, env)?
            }
            _ => None,
        };
    }
    Ok(out)
}

fn limit(args: Args<'_>, i: usize, code: &'static str, name: &str) -> Result<Option<usize>> {
    match num_arg(args, i) {
        None => Ok(None),
        Some(l) if l < 0.0 => Err(Error::new(
            code,
            format!("the limit of ${name} must not be negative"),
        )),
        Some(l) => Ok(Some(l as usize)),
    }
}

pub(super) fn match_fn(
    ev: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    env: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let limit = limit(args, 2, "D3040", "match")?;
    if limit == Some(0) {
        return Ok(Some(Value::sequence(Vec::new())));
    }
    let Some(pattern) = arg(args, 1) else {
        return Ok(None);
    };
    let found = matches(ev, pattern, text, limit, env)?;
    let items = found
        .into_iter()
        .map(|f| {
            let mut map = Object::new();
            map.insert(Rc::from("match"), Value::string(&f.text));
            map.insert(Rc::from("index"), Value::Number(f.start as f64));
            map.insert(Rc::from("groups"), groups_value(&f.groups));
            Value::object(map)
        })
        .collect();
    Ok(Some(Value::sequence(items)))
}

pub(super) fn contains(
    ev: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    env: &Env,
) -> Out {
    let (Some(text), Some(token)) = (str_arg(args, 0), arg(args, 1)) else {
        return Ok(None);
    };
    let found = match token {
        Value::String(s) => text.contains(&**s),
        pattern => !matches(ev, pattern, text, Some(1), env)?.is_empty(),
    };
    Ok(Some(Value::Bool(found)))
}

/// `$0`, `$1`... in a replacement string, as JSONata reads them.
fn substitute(replacement: &str, m: &Found) -> String {
    let chars: Vec<char> = replacement.chars().collect();
    let mut out = String::new();
    let mut position = 0;
    while let Some(offset) = chars
        .get(position..)
        .and_then(|rest| rest.iter().position(|c| *c == '$'))
    {
        let index = position + offset;
        out.extend(chars.get(position..index).unwrap_or_default());
        position = index + 1;
        match chars.get(position) {
            Some('$') => {
                out.push('$');
                position += 1;
            }
            Some('0') => {
                out.push_str(&m.text);
                position += 1;
            }
            _ => {
                let count = m.groups.len();
                let max_digits = if count == 0 {
                    1
                } else {
                    count.ilog10() as usize + 1
                };
                let digits = |n: usize| -> Option<usize> {
                    let text: String = chars
                        .get(position..(position + n).min(chars.len()))
                        .unwrap_or_default()
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    text.parse().ok()
                };
                let mut group = digits(max_digits);
                if max_digits > 1 && group.is_some_and(|g| g > count) {
                    group = digits(max_digits - 1);
                }
                match group {
                    Some(g) => {
                        if count > 0
                            && let Some(Some(text)) = g.checked_sub(1).and_then(|i| m.groups.get(i))
                        {
                            out.push_str(text);
                        }
                        position += g.to_string().len();
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out.extend(chars.get(position..).unwrap_or_default());
    out
}

pub(super) fn replace(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let (Some(pattern), Some(replacement)) = (arg(args, 1), arg(args, 2)) else {
        return Ok(None);
    };
    if pattern.as_str() == Some("") {
        return Err(Error::new(
            "D3010",
            "the second argument of $replace cannot be an empty string",
        ));
    }
    let limit = limit(args, 3, "D3011", "replace")?;
    if limit == Some(0) {
        return super::string(text);
    }
    if let Value::String(p) = pattern {
        let replacement = replacement.as_str().unwrap_or_default();
        let result = match limit {
            None => text.replace(&**p, replacement),
            Some(l) => text.replacen(&**p, replacement, l),
        };
        return super::string(result);
    }
    let found = matches(ev, pattern, text, limit, env)?;
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut position = 0;
    for m in found {
        out.extend(
            chars
                .get(position..m.start.max(position))
                .unwrap_or_default(),
        );
        let with = match replacement {
            Value::String(r) => substitute(r, &m),
            f @ Value::Function(_) => {
                let mut map = Object::new();
                map.insert(Rc::from("match"), Value::string(&m.text));
                map.insert(Rc::from("start"), Value::Number(m.start as f64));
                map.insert(Rc::from("end"), Value::Number(m.end as f64));
                map.insert(Rc::from("groups"), groups_value(&m.groups));
                match ev.apply(Some(f.clone()), vec![Some(Value::object(map))], None, env)? {
                    Some(Value::String(s)) => s.to_string(),
                    _ => {
                        return Err(Error::new(
                            "D3012",
                            "attempted to replace a matched string with a non-string value",
                        ));
                    }
                }
            }
            _ => String::new(),
        };
        out.push_str(&with);
        position = m.start + m.text.chars().count();
    }
    out.extend(chars.get(position.min(chars.len())..).unwrap_or_default());
    super::string(out)
}

pub(super) fn split(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let limit = limit(args, 2, "D3020", "split")?;
    let Some(separator) = arg(args, 1) else {
        return Ok(None);
    };
    let mut parts: Vec<String> = match separator {
        Value::String(s) if s.is_empty() => text.chars().map(String::from).collect(),
        Value::String(s) => text.split(&**s).map(str::to_owned).collect(),
        pattern => {
            let found = matches(ev, pattern, text, limit, env)?;
            let chars: Vec<char> = text.chars().collect();
            let mut parts = Vec::new();
            let mut start = 0;
            for m in &found {
                parts.push(
                    chars
                        .get(start..m.start.max(start))
                        .unwrap_or_default()
                        .iter()
                        .collect(),
                );
                start = m.end;
            }
            if limit.is_none_or(|l| found.len() < l) {
                parts.push(
                    chars
                        .get(start.min(chars.len())..)
                        .unwrap_or_default()
                        .iter()
                        .collect(),
                );
            }
            parts
        }
    };
    if let Some(l) = limit {
        parts.truncate(l);
    }
    let items = parts.into_iter().map(|p| Value::string(&p)).collect();
    Ok(Some(Value::array(items, 0)))
}
