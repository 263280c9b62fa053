//! `$formatNumber(number, picture, options)`: XPath's `format-number`
//! picture strings (`#,##0.00`, `0.0e0`, `%`, `‰`, two sub-pictures).

use super::{arg, num_arg, str_arg};
use crate::error::{Error, Result};
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::Value;

type Args<'a> = &'a [Option<Value>];

struct Symbols {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: char,
    percent: char,
    per_mille: char,
    zero: char,
    digit: char,
    pattern: char,
}

impl Symbols {
    fn family(&self) -> Vec<char> {
        (0..10)
            .filter_map(|i| char::from_u32(self.zero as u32 + i))
            .collect()
    }
}

struct Parts {
    prefix: Vec<char>,
    suffix: Vec<char>,
    active: Vec<char>,
    mantissa: Vec<char>,
    exponent: Option<Vec<char>>,
    integer: Vec<char>,
    fraction: Vec<char>,
    picture: Vec<char>,
}

struct Analysis {
    integer_groupings: Vec<usize>,
    regular_grouping: usize,
    min_integer: usize,
    scaling: usize,
    prefix: Vec<char>,
    fraction_groupings: Vec<usize>,
    min_fraction: usize,
    max_fraction: usize,
    min_exponent: usize,
    suffix: Vec<char>,
    picture: Vec<char>,
}

fn position(chars: &[char], c: char) -> Option<usize> {
    chars.iter().position(|x| *x == c)
}

fn slice(chars: &[char], from: usize, to: usize) -> Vec<char> {
    chars
        .get(from.min(chars.len())..to.min(chars.len()).max(from.min(chars.len())))
        .unwrap_or_default()
        .to_vec()
}

fn split_parts(sub: &[char], sym: &Symbols, active: &dyn Fn(char) -> bool) -> Parts {
    let is_active = |c: char| active(c) && c != sym.exponent;
    let prefix_len = sub.iter().position(|c| is_active(*c)).unwrap_or(0);
    let suffix_start = sub
        .iter()
        .rposition(|c| is_active(*c))
        .map_or(sub.len(), |i| i + 1);
    let prefix = slice(sub, 0, prefix_len);
    let suffix = slice(sub, suffix_start, sub.len());
    let active_part = slice(sub, prefix.len(), sub.len() - suffix.len());
    let exponent_position = sub
        .iter()
        .skip(prefix.len())
        .position(|c| *c == sym.exponent)
        .map(|i| i + prefix.len());
    let (mantissa, exponent) = match exponent_position {
        Some(p) if p <= sub.len() - suffix.len() => (
            slice(&active_part, 0, p),
            Some(slice(&active_part, p + 1, active_part.len())),
        ),
        _ => (active_part.clone(), None),
    };
    let (integer, fraction) = match position(&mantissa, sym.decimal) {
        None => (mantissa.clone(), suffix.clone()),
        Some(d) => (
            slice(&mantissa, 0, d),
            slice(&mantissa, d + 1, mantissa.len()),
        ),
    };
    Parts {
        prefix,
        suffix,
        active: active_part,
        mantissa,
        exponent,
        integer,
        fraction,
        picture: sub.to_vec(),
    }
}

fn validate(
    parts: &Parts,
    sym: &Symbols,
    family: &[char],
    active: &dyn Fn(char) -> bool,
) -> Result<()> {
    let sub = &parts.picture;
    let count = |c: char| sub.iter().filter(|x| **x == c).count();
    let mut error = None;
    if count(sym.decimal) > 1 {
        error = Some("D3081");
    }
    if count(sym.percent) > 1 {
        error = Some("D3082");
    }
    if count(sym.per_mille) > 1 {
        error = Some("D3083");
    }
    if count(sym.percent) > 0 && count(sym.per_mille) > 0 {
        error = Some("D3084");
    }
    if !parts
        .mantissa
        .iter()
        .any(|c| family.contains(c) || *c == sym.digit)
    {
        error = Some("D3085");
    }
    if parts.active.iter().any(|c| !active(*c)) {
        error = Some("D3086");
    }
    match position(sub, sym.decimal) {
        Some(d) => {
            let before = d.checked_sub(1).and_then(|i| sub.get(i));
            if before == Some(&sym.grouping) || sub.get(d + 1) == Some(&sym.grouping) {
                error = Some("D3087");
            }
        }
        None => {
            if parts.integer.last() == Some(&sym.grouping) {
                error = Some("D3088");
            }
        }
    }
    if sub.windows(2).any(|w| w == [sym.grouping, sym.grouping]) {
        error = Some("D3089");
    }
    if let Some(p) = position(&parts.integer, sym.digit)
        && parts.integer.iter().take(p).any(|c| family.contains(c))
    {
        error = Some("D3090");
    }
    if let Some(p) = parts.fraction.iter().rposition(|c| *c == sym.digit)
        && parts.fraction.iter().skip(p).any(|c| family.contains(c))
    {
        error = Some("D3091");
    }
    if let Some(exponent) = &parts.exponent {
        if !exponent.is_empty() && (count(sym.percent) > 0 || count(sym.per_mille) > 0) {
            error = Some("D3092");
        }
        if exponent.is_empty() || exponent.iter().any(|c| !family.contains(c)) {
            error = Some("D3093");
        }
    }
    match error {
        Some(code) => Err(Error::new(code, "invalid picture string for $formatNumber")),
        None => Ok(()),
    }
}

fn analyse(parts: &Parts, sym: &Symbols, family: &[char]) -> Analysis {
    let digitish = |c: &char| family.contains(c) || *c == sym.digit;
    let groupings = |part: &[char], to_left: bool| -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = position(part, sym.grouping);
        while let Some(g) = at {
            let counted = if to_left {
                part.iter().take(g).filter(|c| digitish(c)).count()
            } else {
                part.iter().skip(g).filter(|c| digitish(c)).count()
            };
            out.push(counted);
            at = parts
                .integer
                .iter()
                .skip(g + 1)
                .position(|c| *c == sym.grouping)
                .map(|i| i + g + 1);
        }
        out
    };
    let integer_groupings = groupings(&parts.integer, false);
    let regular_grouping = {
        fn gcd(a: usize, b: usize) -> usize {
            if b == 0 { a } else { gcd(b, a % b) }
        }
        match integer_groupings.iter().copied().reduce(gcd) {
            None => 0,
            Some(factor) => {
                let regular = (1..=integer_groupings.len())
                    .all(|i| integer_groupings.contains(&(i * factor)));
                if regular { factor } else { 0 }
            }
        }
    };
    let fraction_groupings = groupings(&parts.fraction, true);
    let mut min_integer = parts.integer.iter().filter(|c| family.contains(c)).count();
    let scaling = min_integer;
    let mut min_fraction = parts.fraction.iter().filter(|c| family.contains(c)).count();
    let mut max_fraction = parts.fraction.iter().filter(|c| digitish(c)).count();
    let exponent_present = parts.exponent.is_some();
    if min_integer == 0 && max_fraction == 0 {
        if exponent_present {
            min_fraction = 1;
            max_fraction = 1;
        } else {
            min_integer = 1;
        }
    }
    if exponent_present && min_integer == 0 && parts.integer.contains(&sym.digit) {
        min_integer = 1;
    }
    if min_integer == 0 && min_fraction == 0 {
        min_fraction = 1;
    }
    let min_exponent = parts
        .exponent
        .as_ref()
        .map_or(0, |e| e.iter().filter(|c| family.contains(c)).count());
    Analysis {
        integer_groupings,
        regular_grouping,
        min_integer,
        scaling,
        prefix: parts.prefix.clone(),
        fraction_groupings,
        min_fraction,
        max_fraction,
        min_exponent,
        suffix: parts.suffix.clone(),
        picture: parts.picture.clone(),
    }
}

pub(super) fn format_number(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(value) = num_arg(args, 0) else {
        return Ok(None);
    };
    let picture: Vec<char> = str_arg(args, 1).unwrap_or_default().chars().collect();
    let option = |key: &str, default: char| -> char {
        match arg(args, 2) {
            Some(Value::Object(map)) => map
                .get(key)
                .and_then(Value::as_str)
                .and_then(|s| s.chars().next())
                .unwrap_or(default),
            _ => default,
        }
    };
    let sym = Symbols {
        decimal: option("decimal-separator", '.'),
        grouping: option("grouping-separator", ','),
        exponent: option("exponent-separator", 'e'),
        minus: option("minus-sign", '-'),
        percent: option("percent", '%'),
        per_mille: option("per-mille", '\u{2030}'),
        zero: option("zero-digit", '0'),
        digit: option("digit", '#'),
        pattern: option("pattern-separator", ';'),
    };
    let family = sym.family();
    let active_set: Vec<char> = family
        .iter()
        .copied()
        .chain([
            sym.decimal,
            sym.exponent,
            sym.grouping,
            sym.digit,
            sym.pattern,
        ])
        .collect();
    let active = |c: char| active_set.contains(&c);
    let subpictures: Vec<Vec<char>> = picture
        .split(|c| *c == sym.pattern)
        .map(<[char]>::to_vec)
        .collect();
    if subpictures.len() > 2 {
        return Err(Error::new(
            "D3080",
            "the picture string must have at most two sub-pictures",
        ));
    }
    let parts: Vec<Parts> = subpictures
        .iter()
        .map(|s| split_parts(s, &sym, &active))
        .collect();
    for p in &parts {
        validate(p, &sym, &family, &active)?;
    }
    let mut analyses: Vec<Analysis> = parts.iter().map(|p| analyse(p, &sym, &family)).collect();
    if analyses.len() == 1
        && let Some(first) = parts.first()
    {
        let mut negative = analyse(first, &sym, &family);
        negative.prefix.insert(0, sym.minus);
        analyses.push(negative);
    }
    let Some(pic) = analyses.get(if value >= 0.0 { 0 } else { 1 }) else {
        return Ok(None);
    };
    super::string(render(value, pic, &sym, &family))
}

fn render(value: f64, pic: &Analysis, sym: &Symbols, family: &[char]) -> String {
    let adjusted = if pic.picture.contains(&sym.percent) {
        value * 100.0
    } else if pic.picture.contains(&sym.per_mille) {
        value * 1000.0
    } else {
        value
    };
    let (mantissa, exponent) = if pic.min_exponent == 0 {
        (adjusted, None)
    } else {
        let max = 10f64.powi(pic.scaling as i32);
        let min = 10f64.powi(pic.scaling as i32 - 1);
        let mut m = adjusted;
        let mut e = 0i32;
        if m != 0.0 {
            while m.abs() < min {
                m *= 10.0;
                e -= 1;
            }
            while m.abs() > max {
                m /= 10.0;
                e += 1;
            }
        }
        (m, Some(e))
    };
    let rounded = super::numeric::round_half_even(mantissa, pic.max_fraction as i32);
    let make = |v: f64, dp: usize| -> Vec<char> {
        format!("{:.*}", dp, v.abs())
            .chars()
            .map(|d| match d.to_digit(10) {
                Some(n) => family.get(n as usize).copied().unwrap_or(d),
                None => d,
            })
            .collect()
    };
    let mut s = make(rounded, pic.max_fraction);
    match position(&s, '.') {
        None => s.push(sym.decimal),
        Some(i) => {
            if let Some(c) = s.get_mut(i) {
                *c = sym.decimal;
            }
        }
    }
    while s.first() == Some(&sym.zero) {
        s.remove(0);
    }
    while s.last() == Some(&sym.zero) {
        s.pop();
    }
    let decimal = position(&s, sym.decimal).unwrap_or(0);
    let pad_left = pic.min_integer.saturating_sub(decimal);
    let pad_right = pic.min_fraction.saturating_sub(s.len() - decimal - 1);
    let mut s: Vec<char> = std::iter::repeat_n(sym.zero, pad_left)
        .chain(s)
        .chain(std::iter::repeat_n(sym.zero, pad_right))
        .collect();
    let mut decimal = position(&s, sym.decimal).unwrap_or(0);
    if let Some(groups) = decimal.saturating_sub(1).checked_div(pic.regular_grouping) {
        for group in 1..=groups {
            s.insert(decimal - group * pic.regular_grouping, sym.grouping);
        }
    } else {
        for pos in &pic.integer_groupings {
            if let Some(at) = decimal.checked_sub(*pos) {
                s.insert(at, sym.grouping);
                decimal += 1;
            }
        }
    }
    let decimal = position(&s, sym.decimal).unwrap_or(0);
    for pos in &pic.fraction_groupings {
        let at = (pos + decimal + 1).min(s.len());
        s.insert(at, sym.grouping);
    }
    let decimal = position(&s, sym.decimal).unwrap_or(0);
    if !pic.picture.contains(&sym.decimal) || decimal + 1 == s.len() {
        s.pop();
    }
    if let Some(e) = exponent {
        let mut digits = make(f64::from(e), 0);
        let pad = pic.min_exponent.saturating_sub(digits.len());
        digits.splice(0..0, std::iter::repeat_n(sym.zero, pad));
        s.push(sym.exponent);
        if e < 0 {
            s.push(sym.minus);
        }
        s.extend(digits);
    }
    pic.prefix.iter().chain(&s).chain(&pic.suffix).collect()
}
