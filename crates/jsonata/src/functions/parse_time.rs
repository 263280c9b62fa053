//! `$toMillis` with a picture: the picture becomes a regular
//! expression, the components read back, the missing ones defaulted.

use super::calendar::{DAY_MILLIS, component, date_utc, fields};
use super::datetime::{DAYS, MONTHS, Part};
use super::integer;
use crate::error::{Error, Result};
use crate::value::Value;

enum Reader {
    None,
    Integer(integer::IntegerFormat),
    Names(Vec<(String, f64)>),
    Fraction,
    Zone { gmt: bool, separator: Option<char> },
}

pub(crate) fn parse(text: &str, parts: &[Part], now: f64) -> Result<Option<f64>> {
    let mut pattern = String::from("^");
    let mut readers = Vec::new();
    for part in parts {
        match part {
            Part::Literal(l) => {
                pattern.push('(');
                pattern.push_str(&regex::escape(l));
                pattern.push(')');
                readers.push((' ', Reader::None));
            }
            Part::Marker(m) => {
                let (re, reader) = match m.component {
                    'Z' | 'z' => {
                        let separator = m.integer.as_ref().and_then(|f| f.regular).map(|(_, c)| c);
                        let mut re = String::new();
                        if m.component == 'z' {
                            re.push_str("GMT");
                        }
                        re.push_str("[-+][0-9]+");
                        if let Some(c) = separator {
                            re.push_str(&regex::escape(&c.to_string()));
                            re.push_str("[0-9]+");
                        }
                        (
                            re,
                            Reader::Zone {
                                gmt: m.component == 'z',
                                separator,
                            },
                        )
                    }
                    'f' => ("[0-9]+".to_owned(), Reader::Fraction),
                    _ if m.names.is_none()
                        && let Some(f) = &m.integer =>
                    {
                        (integer::matcher(f)?, Reader::Integer(f.clone()))
                    }
                    c => {
                        let truncate = |s: &str| -> String {
                            match m.width_max {
                                Some(max) if max > 0 => s.chars().take(max).collect(),
                                _ => s.to_owned(),
                            }
                        };
                        let names: Vec<(String, f64)> = match c {
                            'M' | 'x' => MONTHS
                                .iter()
                                .enumerate()
                                .map(|(i, n)| (truncate(n), i as f64 + 1.0))
                                .collect(),
                            'F' => DAYS
                                .iter()
                                .enumerate()
                                .skip(1)
                                .map(|(i, n)| (truncate(n), i as f64))
                                .collect(),
                            'P' => vec![
                                ("am".to_owned(), 0.0),
                                ("AM".to_owned(), 0.0),
                                ("pm".to_owned(), 1.0),
                                ("PM".to_owned(), 1.0),
                            ],
                            other => {
                                return Err(Error::new(
                                    "D3133",
                                    format!(
                                        "the name modifier applies to months and days only, not {other}"
                                    ),
                                ));
                            }
                        };
                        ("[a-zA-Z]+".to_owned(), Reader::Names(names))
                    }
                };
                pattern.push('(');
                pattern.push_str(&re);
                pattern.push(')');
                readers.push((m.component, reader));
            }
        }
    }
    pattern.push('$');
    let re = regex::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| Error::new("D3110", format!("the picture cannot be read: {e}")))?;
    let Some(caps) = re.captures(text) else {
        return Ok(None);
    };
    let mut values: std::collections::HashMap<char, f64> = std::collections::HashMap::new();
    for (i, (c, reader)) in readers.iter().enumerate() {
        let Some(m) = caps.get(i + 1) else { continue };
        let s = m.as_str();
        let value = match reader {
            Reader::None => None,
            Reader::Integer(f) => integer::parse_with(s, f)?,
            Reader::Names(names) => names.iter().find(|(n, _)| n == s).map(|(_, v)| *v),
            Reader::Fraction => {
                let digits: String = s.chars().take(3).collect();
                format!("0.{digits}")
                    .parse::<f64>()
                    .ok()
                    .map(|f| f * 1000.0)
            }
            Reader::Zone { gmt, separator } => {
                let s = if *gmt {
                    s.get(3..).unwrap_or_default()
                } else {
                    s
                };
                Some(zone_minutes(s, *separator))
            }
        };
        if let Some(v) = value {
            values.insert(*c, v);
        }
    }
    if values.is_empty() {
        return Ok(None);
    }
    let has = |c: char| values.contains_key(&c);
    let mask = |order: &str| {
        order
            .chars()
            .fold(0u32, |m, c| (m << 1) | u32::from(has(c)))
    };
    let is_type = |m: u32, t: u32| (!t & m) == 0 && (t & m) != 0;
    let date_mask = mask("YXMxWwdD");
    let date_a = is_type(date_mask, 161);
    let date_b = !date_a && is_type(date_mask, 130);
    let date_c = is_type(date_mask, 84);
    let date_d = !date_c && is_type(date_mask, 72);
    let time_mask = mask("PHhmsf");
    let time_a = is_type(time_mask, 23);
    let time_b = !time_a && is_type(time_mask, 47);
    let date_parts = if date_b {
        "Yd"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_parts = if time_b { "Phmsf" } else { "Hmsf" };
    let (mut started, mut ended) = (false, false);
    for c in date_parts.chars().chain(time_parts.chars()) {
        match values.entry(c) {
            std::collections::hash_map::Entry::Occupied(_) => {
                started = true;
                if ended {
                    return Err(Error::new(
                        "D3136",
                        "the date/time picture misses components needed to read the timestamp",
                    ));
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) if started => {
                slot.insert(if "MDd".contains(c) { 1.0 } else { 0.0 });
                ended = true;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                let v = component(now, c).and_then(|v| match v {
                    Value::Number(n) => Some(n),
                    Value::String(s) => Some(if &*s == "pm" { 1.0 } else { 0.0 }),
                    _ => None,
                });
                slot.insert(v.unwrap_or(0.0));
            }
        }
    }
    if date_c || date_d {
        return Err(Error::new(
            "D3136",
            "reading week-based dates is not supported",
        ));
    }
    let get = |c: char| values.get(&c).copied().unwrap_or(0.0);
    let mut month = if get('M') > 0.0 { get('M') - 1.0 } else { 0.0 };
    let mut day = get('D');
    if date_b {
        let first = date_utc(get('Y'), 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
        let f = fields(first + (get('d') - 1.0) * DAY_MILLIS);
        month = f.month as f64;
        day = f.day as f64;
    }
    let hour = if time_b {
        let h = if get('h') == 12.0 { 0.0 } else { get('h') };
        if get('P') == 1.0 { h + 12.0 } else { h }
    } else {
        get('H')
    };
    let mut millis = date_utc(get('Y'), month, day, hour, get('m'), get('s'), get('f'));
    let zone = values
        .get(&'Z')
        .or(values.get(&'z'))
        .copied()
        .unwrap_or(0.0);
    millis -= zone * 60_000.0;
    Ok(Some(millis))
}

fn zone_minutes(s: &str, separator: Option<char>) -> f64 {
    let int = |t: &str| -> f64 {
        let t: String = t
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '+' || *c == '-')))
            .map(|(_, c)| c)
            .collect();
        t.parse().unwrap_or(0.0)
    };
    let (hours, minutes) = match separator.and_then(|c| s.split_once(c)) {
        Some((h, m)) => (int(h), int(m)),
        None => {
            if s.chars().count() - 1 <= 2 {
                (int(s), 0.0)
            } else {
                (
                    int(s.get(..3).unwrap_or_default()),
                    int(s.get(3..).unwrap_or_default()),
                )
            }
        }
    };
    hours * 60.0 + minutes
}
