//! Numeric functions and aggregates.

use super::number as num;
use super::{arg, items_arg, num_arg};
use crate::error::Error;
use crate::eval::{Evaluator, Out, check_finite};
use crate::function::Env;
use crate::json::number_to_string;
use crate::value::Value;

type Args<'a> = &'a [Option<Value>];

fn numbers(args: Args<'_>) -> Option<Vec<f64>> {
    items_arg(args, 0).map(|items| items.iter().filter_map(Value::as_f64).collect())
}

pub(super) fn sum(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match numbers(args) {
        None => Ok(None),
        Some(ns) => num(ns.iter().sum()),
    }
}

pub(super) fn count(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    num(items_arg(args, 0).map_or(0, |i| i.len()) as f64)
}

pub(super) fn max(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match numbers(args) {
        Some(ns) if !ns.is_empty() => num(ns.into_iter().fold(f64::NEG_INFINITY, f64::max)),
        _ => Ok(None),
    }
}

pub(super) fn min(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match numbers(args) {
        Some(ns) if !ns.is_empty() => num(ns.into_iter().fold(f64::INFINITY, f64::min)),
        _ => Ok(None),
    }
}

pub(super) fn average(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match numbers(args) {
        Some(ns) if !ns.is_empty() => num(ns.iter().sum::<f64>() / ns.len() as f64),
        _ => Ok(None),
    }
}

pub(super) fn number_fn(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let decimal = {
        let body = s.strip_prefix('-').unwrap_or(s);
        let (mantissa, exponent) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e)),
            None => (body, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (mantissa, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        digits(int)
            && frac.is_none_or(digits)
            && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
    };
    if decimal {
        return s.parse::<f64>().ok().filter(|n| n.is_finite());
    }
    let rest = s.get(2..).unwrap_or_default();
    let (radix, digits) = match s.get(..2) {
        Some("0x" | "0X") => (16, rest),
        Some("0o" | "0O") => (8, rest),
        Some("0b" | "0B") => (2, rest),
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    u128::from_str_radix(digits, radix).ok().map(|n| n as f64)
}

pub(super) fn number(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(value) = arg(args, 0) else {
        return Ok(None);
    };
    match number_fn(value) {
        Some(n) => super::number(n),
        None => Err(Error::new(
            "D3030",
            format!(
                "unable to cast the value to a number: {}",
                crate::json::string(value, false).unwrap_or_default()
            ),
        )),
    }
}

fn unary(args: Args<'_>, f: fn(f64) -> f64) -> Out {
    match num_arg(args, 0) {
        None => Ok(None),
        Some(n) => super::number(f(n)),
    }
}

pub(super) fn floor(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    unary(args, f64::floor)
}

pub(super) fn ceil(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    unary(args, f64::ceil)
}

pub(super) fn abs(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    unary(args, f64::abs)
}

pub(super) fn sqrt(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match num_arg(args, 0) {
        None => Ok(None),
        Some(n) if n < 0.0 => Err(Error::new(
            "D3060",
            format!(
                "the sqrt function cannot be applied to a negative number: {}",
                number_to_string(n)
            ),
        )),
        Some(n) => super::number(n.sqrt()),
    }
}

pub(super) fn power(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let (Some(base), Some(exp)) = (num_arg(args, 0), num_arg(args, 1)) else {
        return Ok(None);
    };
    let result = base.powf(exp);
    if !result.is_finite() {
        return Err(Error::new(
            "D3061",
            "the power function gave a value that cannot be represented as a JSON number",
        ));
    }
    super::number(result)
}

pub(super) fn random(ev: &mut Evaluator<'_>, _: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    super::number(ev.host.random())
}

/// JSONata's `$round`: to `precision` decimal places, halves to even.
pub(crate) fn round_half_even(value: f64, precision: i32) -> f64 {
    let shift = |x: f64, by: i32| -> f64 {
        let text = number_to_string(x);
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m.to_owned(), e.parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        format!("{mantissa}e{}", exponent + by).parse().unwrap_or(x)
    };
    let x = if precision != 0 {
        shift(value, precision)
    } else {
        value
    };
    let floor = x.floor();
    let mut result = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    if (result - x).abs() == 0.5 && (result % 2.0).abs() == 1.0 {
        result -= 1.0;
    }
    if precision != 0 {
        result = shift(result, -precision);
    }
    if result == 0.0 { 0.0 } else { result }
}

pub(super) fn round(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(value) = num_arg(args, 0) else {
        return Ok(None);
    };
    let precision = num_arg(args, 1).unwrap_or(0.0) as i32;
    super::number(round_half_even(value, precision))
}

pub(super) fn format_base(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(value) = num_arg(args, 0) else {
        return Ok(None);
    };
    check_finite(value)?;
    let value = round_half_even(value, 0);
    let radix = num_arg(args, 1).map_or(10.0, |r| round_half_even(r, 0));
    if !(2.0..=36.0).contains(&radix) {
        return Err(Error::new(
            "D3100",
            format!(
                "the radix of formatBase must be from 2 to 36, not {}",
                number_to_string(radix)
            ),
        ));
    }
    let radix = radix as u32;
    let negative = value < 0.0;
    let mut n = value.abs() as u128;
    let mut digits = Vec::new();
    loop {
        let d = (n % u128::from(radix)) as u32;
        digits.push(char::from_digit(d, radix).unwrap_or('0'));
        n /= u128::from(radix);
        if n == 0 {
            break;
        }
    }
    if negative {
        digits.push('-');
    }
    super::string(digits.iter().rev().collect::<String>())
}
