//! Numbers as English words, roman numerals and letters, both ways.

pub(super) const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
pub(super) const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
pub(super) const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
pub(super) const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];

pub(super) fn words_of(num: f64, previous: bool, ordinal: bool) -> String {
    let at = |list: &[&str], i: f64| list.get(i as usize).copied().unwrap_or_default().to_owned();
    if num <= 19.0 {
        let word = if ordinal {
            at(&ORDINALS, num)
        } else {
            at(&FEW, num)
        };
        return format!("{}{word}", if previous { " and " } else { "" });
    }
    if num < 100.0 {
        let (tens, rest) = ((num / 10.0).floor(), num % 10.0);
        let mut words = format!(
            "{}{}",
            if previous { " and " } else { "" },
            at(&DECADES, tens - 2.0)
        );
        if rest > 0.0 {
            words = format!("{words}-{}", words_of(rest, false, ordinal));
        } else if ordinal {
            words.pop();
            words.push_str("ieth");
        }
        return words;
    }
    if num < 1000.0 {
        let (hundreds, rest) = ((num / 100.0).floor(), num % 100.0);
        let mut words = format!(
            "{}{} Hundred",
            if previous { ", " } else { "" },
            at(&FEW, hundreds)
        );
        if rest > 0.0 {
            words.push_str(&words_of(rest, true, ordinal));
        } else if ordinal {
            words.push_str("th");
        }
        return words;
    }
    let mag = (num.log10() / 3.0).floor().min(MAGNITUDES.len() as f64);
    let factor = 10f64.powf(mag * 3.0);
    let mant = (num / factor).floor();
    let rest = num - mant * factor;
    let mut words = format!(
        "{}{} {}",
        if previous { ", " } else { "" },
        words_of(mant, false, false),
        MAGNITUDES
            .get(mag as usize - 1)
            .copied()
            .unwrap_or_default()
    );
    if rest > 0.0 {
        words.push_str(&words_of(rest, true, ordinal));
    } else if ordinal {
        words.push_str("th");
    }
    words
}

fn word_value(word: &str) -> Option<f64> {
    let lower = |w: &str| w.to_lowercase();
    for (i, w) in FEW.iter().enumerate() {
        if lower(w) == word {
            return Some(i as f64);
        }
    }
    for (i, w) in ORDINALS.iter().enumerate() {
        if lower(w) == word {
            return Some(i as f64);
        }
    }
    for (i, w) in DECADES.iter().enumerate() {
        let l = lower(w);
        let ieth = format!("{}ieth", l.get(..l.len() - 1).unwrap_or_default());
        if l == word || ieth == word {
            return Some((i as f64 + 2.0) * 10.0);
        }
    }
    if word == "hundredth" {
        return Some(100.0);
    }
    for (i, w) in MAGNITUDES.iter().enumerate() {
        let l = lower(w);
        if l == word || format!("{l}th") == word {
            return Some(10f64.powi((i as i32 + 1) * 3));
        }
    }
    None
}

pub(super) fn words_to_number(text: &str) -> Option<f64> {
    let text = text.replace(", ", " ").replace(" and ", " ");
    let mut segments: Vec<f64> = vec![0.0];
    for part in text
        .split([' ', '\t', '\n', '-', '\\'])
        .filter(|p| !p.is_empty())
    {
        let value = word_value(part)?;
        if value < 100.0 {
            let mut top = segments.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segments.push(top);
                top = 0.0;
            }
            segments.push(top + value);
        } else {
            let top = segments.pop().unwrap_or(0.0);
            segments.push(top * value);
        }
    }
    Some(segments.iter().sum::<f64>())
}

const ROMAN: [(u128, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

pub(super) fn to_roman(mut value: u128) -> String {
    let mut out = String::new();
    for (n, numeral) in ROMAN {
        while value >= n {
            out.push_str(numeral);
            value -= n;
        }
    }
    out
}

pub(super) fn from_roman(text: &str) -> f64 {
    let mut total = 0i64;
    let mut max = 1;
    for c in text.chars().rev() {
        let v = match c {
            'M' => 1000,
            'D' => 500,
            'C' => 100,
            'L' => 50,
            'X' => 10,
            'V' => 5,
            'I' => 1,
            _ => 0,
        };
        if v < max {
            total -= v;
        } else {
            max = v;
            total += v;
        }
    }
    total as f64
}

pub(super) fn to_letters(mut value: u128, a: char) -> String {
    let mut letters = Vec::new();
    while value > 0 {
        letters.push(char::from_u32(((value - 1) % 26) as u32 + a as u32).unwrap_or(a));
        value = (value - 1) / 26;
    }
    letters.iter().rev().collect()
}

pub(super) fn from_letters(text: &str, a: char) -> f64 {
    text.chars()
        .rev()
        .enumerate()
        .map(|(i, c)| (c as i64 - a as i64 + 1) as f64 * 26f64.powi(i as i32))
        .sum()
}
