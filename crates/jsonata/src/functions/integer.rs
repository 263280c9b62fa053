//! `$formatInteger` and `$parseInteger`: XPath's integer pictures
//! (decimal digit patterns with grouping, `a`/`A` letters, `i`/`I` roman
//! numerals, `w`/`W`/`Ww` words, `;o` ordinals). Also used by the date
//! and time pictures.

use super::{num_arg, str_arg};
use crate::error::{Error, Result};
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::Value;

use super::words::{
    DECADES, FEW, MAGNITUDES, ORDINALS, from_letters, from_roman, to_letters, to_roman, words_of,
    words_to_number,
};

type Args<'a> = &'a [Option<Value>];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    Sequence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Debug, Clone)]
pub(crate) struct IntegerFormat {
    pub primary: Primary,
    pub case: Case,
    pub ordinal: bool,
    pub zero: u32,
    pub mandatory: usize,
    pub optional: usize,
    /// Regular grouping: every `n` digits, this character.
    pub regular: Option<(usize, char)>,
    /// Irregular grouping: (digits to the right, character).
    pub separators: Vec<(usize, char)>,
    pub token: String,
    /// When parsing, the exact number of digits (an integer right before
    /// another with no separator).
    pub parse_width: Option<usize>,
}

/// The zero of each Unicode decimal digit family.
const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

pub(crate) fn analyse(picture: &str) -> Result<IntegerFormat> {
    let mut format = IntegerFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero: 0x30,
        mandatory: 0,
        optional: 0,
        regular: None,
        separators: Vec::new(),
        token: String::new(),
        parse_width: None,
    };
    let primary = match picture.rfind(';') {
        None => picture,
        Some(i) => {
            format.ordinal = picture.get(i + 1..).is_some_and(|m| m.starts_with('o'));
            picture.get(..i).unwrap_or_default()
        }
    };
    match primary {
        "A" | "a" => {
            format.primary = Primary::Letters;
            if primary == "A" {
                format.case = Case::Upper;
            }
        }
        "I" | "i" => {
            format.primary = Primary::Roman;
            if primary == "I" {
                format.case = Case::Upper;
            }
        }
        "W" => (format.primary, format.case) = (Primary::Words, Case::Upper),
        "Ww" => (format.primary, format.case) = (Primary::Words, Case::Title),
        "w" => format.primary = Primary::Words,
        _ => {
            let mut zero: Option<u32> = None;
            let mut position = 0;
            let mut separators = Vec::new();
            for c in primary.chars().rev() {
                let code = c as u32;
                if let Some(group) = DECIMAL_GROUPS
                    .iter()
                    .find(|g| (**g..=**g + 9).contains(&code))
                {
                    format.mandatory += 1;
                    position += 1;
                    match zero {
                        None => zero = Some(*group),
                        Some(z) if z != *group => {
                            return Err(Error::new(
                                "D3131",
                                "all the digits of a decimal digit pattern must be of one family",
                            ));
                        }
                        Some(_) => {}
                    }
                } else if c == '#' {
                    position += 1;
                    format.optional += 1;
                } else {
                    separators.push((position, c));
                }
            }
            if format.mandatory == 0 {
                format.primary = Primary::Sequence;
                format.token = primary.to_owned();
                return Ok(format);
            }
            format.zero = zero.unwrap_or(0x30);
            format.regular = regular(&separators);
            format.separators = separators;
        }
    }
    Ok(format)
}

fn regular(separators: &[(usize, char)]) -> Option<(usize, char)> {
    let (_, first) = *separators.first()?;
    if separators.iter().any(|(_, c)| *c != first) {
        return None;
    }
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let positions: Vec<usize> = separators.iter().map(|(p, _)| *p).collect();
    let factor = positions.iter().copied().reduce(gcd)?;
    (factor > 0 && (1..=positions.len()).all(|i| positions.contains(&(i * factor))))
        .then_some((factor, first))
}

/// Formats `value` (already an integer) as `format` says.
pub(crate) fn format_with(value: f64, format: &IntegerFormat) -> Result<String> {
    let negative = value < 0.0;
    let magnitude = value.abs() as u128;
    let text = match format.primary {
        Primary::Letters => to_letters(
            magnitude,
            if format.case == Case::Upper { 'A' } else { 'a' },
        ),
        Primary::Roman => {
            let r = to_roman(magnitude);
            if format.case == Case::Upper {
                r.to_uppercase()
            } else {
                r
            }
        }
        Primary::Words => {
            let w = words_of(value.abs(), false, format.ordinal);
            match format.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => decimal(magnitude, format),
        Primary::Sequence => {
            return Err(Error::new(
                "D3130",
                format!(
                    "the numbering sequence starting with {} is not supported",
                    format.token
                ),
            ));
        }
    };
    Ok(if negative { format!("-{text}") } else { text })
}

fn decimal(value: u128, format: &IntegerFormat) -> String {
    let mut digits: Vec<char> = value.to_string().chars().collect();
    while digits.len() < format.mandatory {
        digits.insert(0, '0');
    }
    if format.zero != 0x30 {
        for d in &mut digits {
            *d = char::from_u32(*d as u32 + format.zero - 0x30).unwrap_or(*d);
        }
    }
    match format.regular {
        Some((every, c)) => {
            let groups = (digits.len().saturating_sub(1)) / every;
            for i in (1..=groups).rev() {
                let at = digits.len() - i * every;
                digits.insert(at, c);
            }
        }
        None => {
            for (position, c) in format.separators.iter().rev() {
                if let Some(at) = digits.len().checked_sub(*position) {
                    digits.insert(at, *c);
                }
            }
        }
    }
    let mut text: String = digits.iter().collect();
    if format.ordinal {
        let last = digits.last().copied();
        let tens = digits.len() > 1 && digits.get(digits.len() - 2) == Some(&'1');
        text.push_str(match last {
            Some('1') if !tens => "st",
            Some('2') if !tens => "nd",
            Some('3') if !tens => "rd",
            _ => "th",
        });
    }
    text
}

/// A regular expression that matches what `format` writes, and how to read it.
pub(crate) fn matcher(format: &IntegerFormat) -> Result<String> {
    let upper = format.case == Case::Upper;
    Ok(match format.primary {
        Primary::Letters => (if upper { "[A-Z]+" } else { "[a-z]+" }).to_owned(),
        Primary::Roman => (if upper { "[MDCLXVI]+" } else { "[mdclxvi]+" }).to_owned(),
        Primary::Words => {
            let mut words: Vec<String> = FEW
                .iter()
                .chain(&ORDINALS)
                .map(|w| w.to_lowercase())
                .collect();
            for d in DECADES {
                let l = d.to_lowercase();
                words.push(format!("{}ieth", l.get(..l.len() - 1).unwrap_or_default()));
                words.push(l);
            }
            words.push("hundredth".to_owned());
            for m in MAGNITUDES {
                let l = m.to_lowercase();
                words.push(format!("{l}th"));
                words.push(l);
            }
            words.sort_by_key(|w| std::cmp::Reverse(w.len()));
            format!("(?:{}|and|[\\-, ])+", words.join("|"))
        }
        Primary::Decimal => {
            let mut r = match format.parse_width {
                Some(w) => format!("[0-9]{{{w}}}"),
                None => "[0-9]+".to_owned(),
            };
            if format.ordinal {
                r.push_str("(?:th|st|nd|rd)");
            }
            r
        }
        Primary::Sequence => {
            return Err(Error::new(
                "D3130",
                format!(
                    "the numbering sequence starting with {} is not supported",
                    format.token
                ),
            ));
        }
    })
}

pub(crate) fn parse_with(text: &str, format: &IntegerFormat) -> Result<Option<f64>> {
    Ok(match format.primary {
        Primary::Letters => Some(from_letters(
            text,
            if format.case == Case::Upper { 'A' } else { 'a' },
        )),
        Primary::Roman => Some(from_roman(&text.to_uppercase())),
        Primary::Words => words_to_number(&text.to_lowercase()),
        Primary::Decimal => {
            let mut digits: String = if format.ordinal {
                let n = text.chars().count().saturating_sub(2);
                text.chars().take(n).collect()
            } else {
                text.to_owned()
            };
            if format.regular.is_some() {
                digits = digits.replace(',', "");
            } else {
                for (_, c) in &format.separators {
                    digits = digits.replace(*c, "");
                }
            }
            if format.zero != 0x30 {
                digits = digits
                    .chars()
                    .map(|c| char::from_u32(c as u32 + 0x30 - format.zero).unwrap_or(c))
                    .collect();
            }
            let leading: String = digits.chars().take_while(char::is_ascii_digit).collect();
            leading.parse::<f64>().ok()
        }
        Primary::Sequence => {
            return Err(Error::new(
                "D3130",
                format!(
                    "the numbering sequence starting with {} is not supported",
                    format.token
                ),
            ));
        }
    })
}

pub(super) fn format_integer(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(value) = num_arg(args, 0) else {
        return Ok(None);
    };
    let format = analyse(str_arg(args, 1).unwrap_or_default())?;
    super::string(format_with(value.floor(), &format)?)
}

pub(super) fn parse_integer(
    _: &mut Evaluator<'_>,
    args: Args<'_>,
    _: Option<&Value>,
    _: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let format = analyse(str_arg(args, 1).unwrap_or_default())?;
    Ok(parse_with(text, &format)?.map(Value::Number))
}
