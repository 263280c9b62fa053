//! EventBridge event patterns, with EventBridge's semantics: every field of
//! the pattern must match; a list matches when any of its values does; a
//! field that is a list in the event matches when any element does;
//! `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but`,
//! `numeric`, `exists` and `$or`. A pattern this module does not know
//! (`cidr`, say) is an error, never a silent non-match.

use serde_json::{Map, Value};

/// Whether `event` matches `pattern`.
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, String> {
    let pattern = pattern
        .as_object()
        .ok_or_else(|| "an event pattern is a JSON object".to_owned())?;
    object(pattern, Some(event))
}

fn object(pattern: &Map<String, Value>, event: Option<&Value>) -> Result<bool, String> {
    for (key, expected) in pattern {
        if key == "$or" {
            let alternatives = expected
                .as_array()
                .ok_or_else(|| "$or takes a list of patterns".to_owned())?;
            let mut any = false;
            for alternative in alternatives {
                let alternative = alternative
                    .as_object()
                    .ok_or_else(|| "each $or alternative is a pattern object".to_owned())?;
                any |= object(alternative, event)?;
            }
            if !any {
                return Ok(false);
            }
            continue;
        }
        let field = event.and_then(|e| e.get(key));
        let ok = match expected {
            Value::Object(nested) => match field {
                Some(Value::Object(_)) => object(nested, field)?,
                // A nested pattern only of `exists: false` matches an absent object.
                _ => object(nested, None)?,
            },
            Value::Array(rules) => rules_match(key, rules, field)?,
            other => {
                return Err(format!(
                    "the pattern of '{key}' must be a list or an object, not {other}"
                ));
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A field against its list of rules.
fn rules_match(key: &str, rules: &[Value], field: Option<&Value>) -> Result<bool, String> {
    let values: Vec<&Value> = match field {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    for rule in rules {
        if let Some(exists) = rule.get("exists") {
            let wanted = exists
                .as_bool()
                .ok_or_else(|| format!("'{key}': exists takes true or false"))?;
            if wanted == field.is_some() {
                return Ok(true);
            }
            continue;
        }
        if let Some(anything_but) = rule.get("anything-but") {
            if !values.is_empty()
                && values
                    .iter()
                    .all(|v| !any_of(key, anything_but, v).unwrap_or(true))
            {
                return Ok(true);
            }
            // Errors in the rule surface even when the field is absent.
            any_of(key, anything_but, &Value::Null)?;
            continue;
        }
        for value in &values {
            if one(key, rule, value)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `anything-but`'s operand: a value, a list of values, or a `prefix`/`suffix`/
/// `equals-ignore-case`/`wildcard` rule. True when `value` is excluded.
fn any_of(key: &str, operand: &Value, value: &Value) -> Result<bool, String> {
    match operand {
        Value::Array(list) => {
            for item in list {
                if one(key, item, value)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => one(key, other, value),
    }
}

/// One rule against one value.
fn one(key: &str, rule: &Value, value: &Value) -> Result<bool, String> {
    let Value::Object(rule) = rule else {
        // A literal: exact equality (numbers compare as numbers).
        return Ok(match (rule, value) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        });
    };
    let (operator, operand) = rule
        .iter()
        .next()
        .filter(|_| rule.len() == 1)
        .ok_or_else(|| format!("'{key}': a rule object has one operator"))?;
    let text = value.as_str();
    let operand_text = || {
        operand
            .as_str()
            .ok_or_else(|| format!("'{key}': {operator} takes a string"))
    };
    Ok(match operator.as_str() {
        "prefix" => match operand {
            Value::Object(inner) => match inner.get("equals-ignore-case").and_then(Value::as_str) {
                Some(p) => text.is_some_and(|t| t.to_lowercase().starts_with(&p.to_lowercase())),
                None => {
                    return Err(format!(
                        "'{key}': prefix takes a string or equals-ignore-case"
                    ));
                }
            },
            _ => {
                let p = operand_text()?;
                text.is_some_and(|t| t.starts_with(p))
            }
        },
        "suffix" => match operand {
            Value::Object(inner) => match inner.get("equals-ignore-case").and_then(Value::as_str) {
                Some(s) => text.is_some_and(|t| t.to_lowercase().ends_with(&s.to_lowercase())),
                None => {
                    return Err(format!(
                        "'{key}': suffix takes a string or equals-ignore-case"
                    ));
                }
            },
            _ => {
                let p = operand_text()?;
                text.is_some_and(|t| t.ends_with(p))
            }
        },
        "equals-ignore-case" => {
            let operand = operand_text()?;
            text.is_some_and(|t| t.to_lowercase() == operand.to_lowercase())
        }
        "wildcard" => {
            let operand = operand_text()?;
            text.is_some_and(|t| wildcard(operand, t))
        }
        "numeric" => numeric(key, operand, value)?,
        other => {
            return Err(format!(
                "'{key}': the pattern operator '{other}' is not supported by aws-local"
            ));
        }
    })
}

/// EventBridge's `wildcard`: `*` only (no `?`).
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = rest.get(at + part.len()..).unwrap_or_default(),
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// `numeric`: `[op, n]` or `[op, n, op, n]`.
fn numeric(key: &str, operand: &Value, value: &Value) -> Result<bool, String> {
    let list = operand
        .as_array()
        .ok_or_else(|| format!("'{key}': numeric takes a list"))?;
    let Some(number) = value.as_f64() else {
        return Ok(false);
    };
    let mut ok = true;
    for pair in list.chunks(2) {
        let (Some(op), Some(bound)) = (
            pair.first().and_then(Value::as_str),
            pair.get(1).and_then(Value::as_f64),
        ) else {
            return Err(format!("'{key}': numeric takes operator and number pairs"));
        };
        ok &= match op {
            "<" => number < bound,
            "<=" => number <= bound,
            ">" => number > bound,
            ">=" => number >= bound,
            "=" => number == bound,
            other => return Err(format!("'{key}': numeric operator '{other}'")),
        };
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(pattern: Value, event: Value) -> bool {
        matches(&pattern, &event).unwrap()
    }

    #[test]
    fn every_field_must_match_one_of_its_values() {
        let p = json!({"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change", "X"]});
        assert!(m(
            p.clone(),
            json!({"source": "aws.cloudwatch", "detail-type": "X", "detail": {}})
        ));
        assert!(!m(
            p.clone(),
            json!({"source": "aws.ec2", "detail-type": "X"})
        ));
        assert!(!m(p, json!({"detail-type": "X"})));
    }

    #[test]
    fn nested_fields_and_event_lists_match_as_eventbridge_does() {
        let p = json!({"detail": {"state": {"value": ["ALARM"]}}, "resources": ["arn:a"]});
        assert!(m(
            p.clone(),
            json!({"detail": {"state": {"value": "ALARM"}}, "resources": ["arn:b", "arn:a"]})
        ));
        assert!(!m(
            p,
            json!({"detail": {"state": {"value": "OK"}}, "resources": ["arn:a"]})
        ));
    }

    #[test]
    fn content_filters_match() {
        assert!(m(
            json!({"a": [{"prefix": "orders-"}]}),
            json!({"a": "orders-api"})
        ));
        assert!(m(json!({"a": [{"suffix": "-p1"}]}), json!({"a": "x-p1"})));
        assert!(m(
            json!({"a": [{"equals-ignore-case": "alarm"}]}),
            json!({"a": "ALARM"})
        ));
        assert!(m(
            json!({"a": [{"anything-but": ["OK"]}]}),
            json!({"a": "ALARM"})
        ));
        assert!(!m(
            json!({"a": [{"anything-but": "OK"}]}),
            json!({"a": "OK"})
        ));
        assert!(!m(json!({"a": [{"anything-but": "OK"}]}), json!({})));
        assert!(m(
            json!({"a": [{"numeric": [">", 0, "<=", 5]}]}),
            json!({"a": 5})
        ));
        assert!(!m(json!({"a": [{"numeric": [">", 0]}]}), json!({"a": "5"})));
        assert!(m(json!({"a": [{"exists": false}]}), json!({})));
        assert!(m(
            json!({"a": [{"wildcard": "arn:*:alarm:*"}]}),
            json!({"a": "arn:x:alarm:y"})
        ));
        assert!(m(
            json!({"$or": [{"a": ["1"]}, {"b": ["2"]}]}),
            json!({"b": "2"})
        ));
    }

    #[test]
    fn an_unknown_operator_is_an_error() {
        let error = matches(
            &json!({"ip": [{"cidr": "10.0.0.0/8"}]}),
            &json!({"ip": "10.1.1.1"}),
        )
        .unwrap_err();
        assert!(error.contains("'cidr' is not supported"), "{error}");
    }
}
