//! Date and time: `$now`, `$millis`, `$fromMillis`, `$toMillis`, with
//! XPath's date/time pictures (`[Y0001]-[M01]-[D01]`, `[FNn]`, `[h]:[m01][P]`,
//! `[Z01:01t]`, ...). Times are milliseconds since the epoch, in UTC.

use super::calendar::{component, date_utc};
use super::integer::{self, Case, IntegerFormat};
use super::{num_arg, str_arg};
use crate::error::{Error, Result};
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::Value;

type Args<'a> = &'a [Option<Value>];

pub(super) const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ISO_PICTURE: &str = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

#[derive(Debug, Clone)]
pub(super) struct Marker {
    pub component: char,
    pub presentation2: Option<char>,
    pub names: Option<Case>,
    pub width_max: Option<usize>,
    pub integer: Option<IntegerFormat>,
    /// For `Y`: keep this many digits (`None`: all).
    pub year_digits: Option<u32>,
}

#[derive(Debug, Clone)]
pub(super) enum Part {
    Literal(String),
    Marker(Marker),
}

fn default_presentation(component: char) -> Option<&'static str> {
    Some(match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

fn analyse(picture: &str) -> Result<Vec<Part>> {
    let chars: Vec<char> = picture.chars().collect();
    let mut parts = Vec::new();
    let literal = |from: usize, to: usize, parts: &mut Vec<Part>| {
        if to > from {
            let text: String = chars.get(from..to).unwrap_or_default().iter().collect();
            parts.push(Part::Literal(text.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0, 0);
    while pos < chars.len() {
        if chars.get(pos) != Some(&'[') {
            pos += 1;
            continue;
        }
        if chars.get(pos + 1) == Some(&'[') {
            literal(start, pos, &mut parts);
            parts.push(Part::Literal("[".to_owned()));
            pos += 2;
            start = pos;
            continue;
        }
        literal(start, pos, &mut parts);
        let Some(close) = chars
            .iter()
            .skip(pos)
            .position(|c| *c == ']')
            .map(|i| i + pos)
        else {
            return Err(Error::new(
                "D3135",
                "no closing bracket ']' in the date/time picture string",
            ));
        };
        let marker: String = chars
            .get(pos + 1..close)
            .unwrap_or_default()
            .iter()
            .filter(|c| !c.is_whitespace())
            .collect();
        let marker = marker_of(&marker, &mut parts)?;
        parts.push(Part::Marker(marker));
        start = close + 1;
        pos = close + 1;
    }
    literal(start, chars.len(), &mut parts);
    Ok(parts)
}

fn marker_of(text: &str, previous: &mut [Part]) -> Result<Marker> {
    let component = text.chars().next().unwrap_or(' ');
    let after = text.get(component.len_utf8()..).unwrap_or_default();
    let (presentation, width) = match after.rfind(',') {
        Some(i) => (after.get(..i).unwrap_or_default(), after.get(i + 1..)),
        None => (after, None),
    };
    let parse_width = |w: Option<&str>| -> Option<usize> {
        match w {
            None | Some("*") | Some("") => None,
            Some(w) => w
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok(),
        }
    };
    let (width_min, width_max) = match width {
        None => (None, None),
        Some(w) => match w.split_once('-') {
            Some((a, b)) => (parse_width(Some(a)), parse_width(Some(b))),
            None => (parse_width(Some(w)), None),
        },
    };
    let (presentation1, presentation2) = if presentation.chars().count() > 1
        && let Some(last) = presentation.chars().last()
        && "atco".contains(last)
    {
        (
            presentation
                .get(..presentation.len() - 1)
                .unwrap_or_default()
                .to_owned(),
            Some(last),
        )
    } else if presentation.is_empty() {
        match default_presentation(component) {
            Some(p) => (p.to_owned(), None),
            None => {
                return Err(Error::new(
                    "D3132",
                    format!("unknown component specifier {component} in the date/time picture"),
                ));
            }
        }
    } else {
        (presentation.to_owned(), None)
    };
    let mut marker = Marker {
        component,
        presentation2,
        names: None,
        width_max,
        integer: None,
        year_digits: None,
    };
    if presentation1.starts_with('n') {
        marker.names = Some(Case::Lower);
    } else if presentation1.starts_with('N') {
        marker.names = Some(if presentation1.get(1..2) == Some("n") {
            Case::Title
        } else {
            Case::Upper
        });
    } else if "YMDdFWwXxHhmsf".contains(component) {
        let mut picture = presentation1.clone();
        if let Some(p) = presentation2 {
            picture.push(';');
            picture.push(p);
        }
        let mut format = integer::analyse(&picture)?;
        if let Some(min) = width_min {
            format.mandatory = format.mandatory.max(min);
        }
        if component == 'Y' {
            if let Some(max) = width_max {
                marker.year_digits = Some(max as u32);
                format.mandatory = max;
            } else if format.mandatory + format.optional >= 2 {
                marker.year_digits = Some((format.mandatory + format.optional) as u32);
            }
        }
        if let Some(Part::Marker(before)) = previous.last_mut()
            && let Some(f) = &mut before.integer
        {
            f.parse_width = Some(f.mandatory);
        }
        marker.integer = Some(format);
    }
    if component == 'Z' || component == 'z' {
        marker.integer = Some(integer::analyse(&presentation1)?);
    }
    Ok(marker)
}

fn cased(text: &str, case: Option<Case>) -> String {
    match case {
        Some(Case::Upper) => text.to_uppercase(),
        Some(Case::Lower) => text.to_lowercase(),
        _ => text.to_owned(),
    }
}

fn format_marker(
    millis: f64,
    m: &Marker,
    offset_hours: i64,
    offset_minutes: i64,
) -> Result<String> {
    let value = component(millis, m.component);
    if "YMDdFWwXxHhms".contains(m.component) {
        let mut number = value.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
        if let Some(digits) = m.year_digits {
            number %= 10f64.powi(digits as i32);
        }
        if m.names.is_some() {
            let name = match m.component {
                'M' | 'x' => MONTHS.get((number as usize).wrapping_sub(1)).copied(),
                'F' => DAYS.get(number as usize).copied(),
                other => {
                    return Err(Error::new(
                        "D3133",
                        format!("the name modifier applies to months and days only, not {other}"),
                    ));
                }
            };
            let mut name = cased(name.unwrap_or_default(), m.names);
            if let Some(max) = m.width_max {
                name = name.chars().take(max).collect();
            }
            return Ok(name);
        }
        return match &m.integer {
            Some(f) => integer::format_with(number, f),
            None => Ok(String::new()),
        };
    }
    match m.component {
        'f' => match &m.integer {
            Some(f) => integer::format_with(value.and_then(|v| v.as_f64()).unwrap_or(0.0), f),
            None => Ok(String::new()),
        },
        'Z' | 'z' => {
            let offset = offset_hours * 100 + offset_minutes;
            let Some(f) = &m.integer else {
                return Ok(String::new());
            };
            let mut text = if f.regular.is_some() {
                integer::format_with(offset as f64, f)?
            } else {
                match f.mandatory {
                    1 | 2 => {
                        let mut t = integer::format_with(offset_hours as f64, f)?;
                        if offset_minutes != 0 {
                            t.push_str(&format!(":{:02}", offset_minutes));
                        }
                        t
                    }
                    3 | 4 => integer::format_with(offset as f64, f)?,
                    n => {
                        return Err(Error::new(
                            "D3134",
                            format!("a timezone picture has at most four digits, not {n}"),
                        ));
                    }
                }
            };
            if offset >= 0 {
                text.insert(0, '+');
            }
            if m.component == 'z' {
                text.insert_str(0, "GMT");
            }
            if offset == 0 && m.presentation2 == Some('t') {
                text = "Z".to_owned();
            }
            Ok(text)
        }
        'P' => {
            let text = value
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Ok(if m.names == Some(Case::Upper) {
                text.to_uppercase()
            } else {
                text
            })
        }
        'C' | 'E' => Ok("ISO".to_owned()),
        _ => Ok("undefined".to_owned()),
    }
}

/// `$fromMillis`: `timezone` is `±HHMM`.
fn format_date_time(millis: f64, picture: Option<&str>, timezone: Option<&str>) -> Result<String> {
    let (mut hours, mut minutes) = (0, 0);
    if let Some(tz) = timezone {
        let digits: String = tz
            .trim()
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '+' || *c == '-')))
            .map(|(_, c)| c)
            .collect();
        let offset: i64 = digits.parse().unwrap_or(0);
        hours = offset.div_euclid(100);
        minutes = offset % 100;
    }
    let parts = analyse(picture.unwrap_or(ISO_PICTURE))?;
    let shifted = millis + ((60 * hours + minutes) * 60 * 1000) as f64;
    let mut out = String::new();
    for part in &parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Marker(m) => out.push_str(&format_marker(shifted, m, hours, minutes)?),
        }
    }
    Ok(out)
}

pub(super) fn millis(ev: &mut Evaluator<'_>, _: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    super::number(ev.host.now.timestamp_millis() as f64)
}

pub(super) fn now(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let millis = ev.host.now.timestamp_millis() as f64;
    super::string(format_date_time(
        millis,
        str_arg(args, 0),
        str_arg(args, 1),
    )?)
}

pub(super) fn from_millis(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(millis) = num_arg(args, 0) else {
        return Ok(None);
    };
    super::string(format_date_time(
        millis,
        str_arg(args, 1),
        str_arg(args, 2),
    )?)
}

pub(super) fn to_millis(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    match str_arg(args, 1) {
        None => iso_millis(text).map(|m| Some(Value::Number(m))),
        Some(picture) => {
            let now = ev.host.now.timestamp_millis() as f64;
            Ok(super::parse_time::parse(text, &analyse(picture)?, now)?.map(Value::Number))
        }
    }
}

/// An ISO 8601 timestamp (date, optional time, fraction and offset).
fn iso_millis(text: &str) -> Result<f64> {
    let invalid = || {
        Error::new(
            "D3110",
            format!("the argument of $toMillis must be an ISO 8601 timestamp, not {text}"),
        )
    };
    let re = regex::Regex::new(
        r"^(\d{4})(?:-([01]\d))?(?:-([0-3]\d))?(?:T([0-2]\d):([0-5]\d):([0-5]\d))?(?:\.(\d+))?([+-][0-2]\d:?[0-5]\d|Z)?$",
    )
    .map_err(|_| invalid())?;
    let caps = re.captures(text).ok_or_else(invalid)?;
    let num = |i: usize, default: f64| -> f64 {
        caps.get(i)
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(default)
    };
    let fraction = caps
        .get(7)
        .map_or(0.0, |m| {
            format!("0.{}", m.as_str()).parse::<f64>().unwrap_or(0.0) * 1000.0
        })
        .floor();
    let mut millis = date_utc(
        num(1, 1970.0),
        num(2, 1.0) - 1.0,
        num(3, 1.0),
        num(4, 0.0),
        num(5, 0.0),
        num(6, 0.0),
        fraction,
    );
    if let Some(zone) = caps.get(8).map(|m| m.as_str()).filter(|z| *z != "Z") {
        let sign = if zone.starts_with('-') { -1.0 } else { 1.0 };
        let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
        let h: f64 = digits.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0.0);
        let m: f64 = digits.get(2..).and_then(|d| d.parse().ok()).unwrap_or(0.0);
        millis -= sign * (h * 60.0 + m) * 60_000.0;
    }
    Ok(millis)
}
