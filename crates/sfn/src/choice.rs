//! Choice rules: every comparison operator, its `...Path` variant, the type
//! tests, and `And`, `Or`, `Not`.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::path::{JsonPath, Sources};

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Test {
        variable: JsonPath,
        comparator: Comparator,
        operand: Operand,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(JsonPath),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Compare(Kind, Relation),
    StringMatches,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

const RELATIONS: [(&str, Relation); 5] = [
    ("Equals", Relation::Equals),
    ("LessThanEquals", Relation::LessThanEquals),
    ("GreaterThanEquals", Relation::GreaterThanEquals),
    ("LessThan", Relation::LessThan),
    ("GreaterThan", Relation::GreaterThan),
];

const KINDS: [(&str, Kind); 4] = [
    ("String", Kind::String),
    ("Numeric", Kind::Numeric),
    ("Boolean", Kind::Boolean),
    ("Timestamp", Kind::Timestamp),
];

/// Recognises an operator field name: `(comparator, is_path_variant)`.
fn comparator(name: &str) -> Option<(Comparator, bool)> {
    let (base, path) = match name.strip_suffix("Path") {
        Some(base) if !matches!(name, "IsPresent") => (base, true),
        _ => (name, false),
    };
    let simple = match base {
        "StringMatches" if !path => Some(Comparator::StringMatches),
        "IsNull" => Some(Comparator::IsNull),
        "IsPresent" => Some(Comparator::IsPresent),
        "IsNumeric" => Some(Comparator::IsNumeric),
        "IsString" => Some(Comparator::IsString),
        "IsBoolean" => Some(Comparator::IsBoolean),
        "IsTimestamp" => Some(Comparator::IsTimestamp),
        _ => None,
    };
    if let Some(c) = simple {
        return (!path).then_some((c, false));
    }
    for (kind_name, kind) in KINDS {
        let Some(relation_name) = base.strip_prefix(kind_name) else {
            continue;
        };
        if kind == Kind::Boolean && relation_name != "Equals" {
            return None;
        }
        for (name, relation) in RELATIONS {
            if relation_name == name {
                return Some((Comparator::Compare(kind, relation), path));
            }
        }
    }
    None
}

impl Rule {
    /// Compiles one rule (a top-level rule without its `Next`).
    pub fn compile(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("a choice rule must be an object".to_owned());
        };
        Self::compile_map(map, true)
    }

    fn compile_map(map: &Map<String, Value>, top_level: bool) -> Result<Self, String> {
        let mut rule = None;
        let mut set = |r: Rule| {
            if rule.replace(r).is_some() {
                Err("a choice rule must have exactly one operator".to_owned())
            } else {
                Ok(())
            }
        };
        for (key, value) in map {
            match key.as_str() {
                "Variable" | "Comment" => {}
                "Next" if top_level => {}
                "Next" => return Err("a nested choice rule cannot have 'Next'".to_owned()),
                "And" | "Or" => {
                    let Value::Array(items) = value else {
                        return Err(format!("'{key}' must be an array of rules"));
                    };
                    if items.is_empty() {
                        return Err(format!("'{key}' must hold at least one rule"));
                    }
                    let rules = items
                        .iter()
                        .map(|item| match item {
                            Value::Object(m) => Self::compile_map(m, false),
                            _ => Err(format!("'{key}' must hold rule objects")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    set(if key == "And" {
                        Rule::And(rules)
                    } else {
                        Rule::Or(rules)
                    })?;
                }
                "Not" => {
                    let Value::Object(m) = value else {
                        return Err("'Not' must hold one rule object".to_owned());
                    };
                    set(Rule::Not(Box::new(Self::compile_map(m, false)?)))?;
                }
                other => {
                    let (comparator, is_path) = comparator(other)
                        .ok_or_else(|| format!("'{other}' is not a choice operator"))?;
                    let variable = match map.get("Variable") {
                        Some(Value::String(v)) => JsonPath::parse(v)?,
                        Some(_) => return Err("'Variable' must be a path string".to_owned()),
                        None => return Err(format!("'{other}' needs a 'Variable'")),
                    };
                    let operand = if is_path {
                        match value {
                            Value::String(p) => Operand::Path(JsonPath::parse(p)?),
                            _ => return Err(format!("'{other}' must be a path string")),
                        }
                    } else {
                        check_literal(other, comparator, value)?;
                        Operand::Literal(value.clone())
                    };
                    set(Rule::Test {
                        variable,
                        comparator,
                        operand,
                    })?;
                }
            }
        }
        let rule = rule.ok_or("a choice rule has no operator")?;
        if map.contains_key("Variable") && !matches!(rule, Rule::Test { .. }) {
            return Err("'Variable' cannot be used with And, Or or Not".to_owned());
        }
        Ok(rule)
    }

    /// Whether any path of the rule reads the context object (`$$`).
    pub fn uses_context(&self) -> bool {
        match self {
            Self::And(rules) | Self::Or(rules) => rules.iter().any(Self::uses_context),
            Self::Not(rule) => rule.uses_context(),
            Self::Test {
                variable, operand, ..
            } => variable.is_context() || matches!(operand, Operand::Path(p) if p.is_context()),
        }
    }

    pub(crate) fn evaluate(&self, src: &Sources<'_>) -> Result<bool, StatesError> {
        match self {
            Self::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(src)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(src)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Self::Not(rule) => Ok(!rule.evaluate(src)?),
            Self::Test {
                variable,
                comparator,
                operand,
            } => test(variable, *comparator, operand, src),
        }
    }
}

fn check_literal(name: &str, comparator: Comparator, value: &Value) -> Result<(), String> {
    let ok = match comparator {
        Comparator::Compare(Kind::String, _) | Comparator::StringMatches => value.is_string(),
        Comparator::Compare(Kind::Numeric, _) => value.is_number(),
        Comparator::Compare(Kind::Timestamp, _) => {
            value.as_str().is_some_and(|s| timestamp(s).is_some())
        }
        _ => value.is_boolean(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("the value of '{name}' has the wrong type: {value}"))
    }
}

fn invalid_path(path: &JsonPath) -> StatesError {
    StatesError::runtime(format!(
        "Invalid path '{path}': The choice state's condition path references an invalid value."
    ))
}

fn test(
    variable: &JsonPath,
    comparator: Comparator,
    operand: &Operand,
    src: &Sources<'_>,
) -> Result<bool, StatesError> {
    let value = variable.read_in(src);
    let expected = match operand {
        Operand::Literal(v) => v.clone(),
        Operand::Path(p) => p.read_in(src).ok_or_else(|| invalid_path(p))?,
    };
    if comparator == Comparator::IsPresent {
        return Ok(expected.as_bool() == Some(value.is_some()));
    }
    let value = value.ok_or_else(|| invalid_path(variable))?;
    let flag = expected.as_bool();
    Ok(match comparator {
        Comparator::IsNull => flag == Some(value.is_null()),
        Comparator::IsNumeric => flag == Some(value.is_number()),
        Comparator::IsString => flag == Some(value.is_string()),
        Comparator::IsBoolean => flag == Some(value.is_boolean()),
        Comparator::IsTimestamp => {
            flag == Some(value.as_str().is_some_and(|s| timestamp(s).is_some()))
        }
        // Answered above, before the variable is required.
        Comparator::IsPresent => true,
        Comparator::StringMatches => match (value.as_str(), expected.as_str()) {
            (Some(text), Some(pattern)) => string_matches(text, pattern),
            _ => false,
        },
        Comparator::Compare(kind, relation) => {
            let ordering = match kind {
                Kind::String => match (value.as_str(), expected.as_str()) {
                    (Some(a), Some(b)) => Some(a.cmp(b)),
                    _ => None,
                },
                Kind::Numeric => match (value.as_f64(), expected.as_f64()) {
                    (Some(a), Some(b)) if value.is_number() => a.partial_cmp(&b),
                    _ => None,
                },
                Kind::Boolean => match (value.as_bool(), expected.as_bool()) {
                    (Some(a), Some(b)) => Some(a.cmp(&b)),
                    _ => None,
                },
                Kind::Timestamp => match (
                    value.as_str().and_then(timestamp),
                    expected.as_str().and_then(timestamp),
                ) {
                    (Some(a), Some(b)) => Some(a.cmp(&b)),
                    _ => None,
                },
            };
            ordering.is_some_and(|o| holds(relation, o))
        }
    })
}

fn holds(relation: Relation, ordering: Ordering) -> bool {
    match relation {
        Relation::Equals => ordering == Ordering::Equal,
        Relation::LessThan => ordering == Ordering::Less,
        Relation::GreaterThan => ordering == Ordering::Greater,
        Relation::LessThanEquals => ordering != Ordering::Greater,
        Relation::GreaterThanEquals => ordering != Ordering::Less,
    }
}

/// RFC 3339 with an uppercase `T` and `Z` (or an offset), as AWS requires.
pub(crate) fn timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    if text.contains('t') || text.contains('z') {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok()
}

/// `*` matches any run of characters; `\*` is a literal star, `\\` a backslash.
pub(crate) fn string_matches(text: &str, pattern: &str) -> bool {
    enum Token {
        Star,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '*' => Token::Star,
            c => Token::Char(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Classic wildcard matching with backtracking to the last star.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Char(c)) if Some(c) == text.get(t) => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|t| matches!(t, Token::Star))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_matches_honours_stars_and_escapes() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("abc", "*"));
        assert!(string_matches("", "*"));
        assert!(!string_matches("log.txt", "log-*"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("a\\b", "a\\\\b"));
        assert!(string_matches("aXbYc", "a*b*c"));
    }

    #[test]
    fn operator_names_are_recognised_with_their_path_variants() {
        assert!(comparator("StringEquals").is_some());
        assert_eq!(
            comparator("NumericLessThanEqualsPath"),
            Some((
                Comparator::Compare(Kind::Numeric, Relation::LessThanEquals),
                true
            ))
        );
        assert!(comparator("BooleanLessThan").is_none());
        assert!(comparator("StringMatchesPath").is_none());
        assert_eq!(
            comparator("IsPresent"),
            Some((Comparator::IsPresent, false))
        );
        assert!(comparator("Nope").is_none());
    }
}
