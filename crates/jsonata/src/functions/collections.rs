//! Functions on values, arrays and objects.

use std::rc::Rc;

use super::{arg, items_arg, str_arg};
use crate::error::Error;
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::{OUTER_WRAPPER, Object, SEQUENCE, Value, deep_equal};

type Args<'a> = &'a [Option<Value>];

pub(super) fn boolean(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Ok(crate::value::boolean(arg(args, 0)).map(Value::Bool))
}

pub(super) fn not(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Ok(crate::value::boolean(arg(args, 0)).map(|b| Value::Bool(!b)))
}

pub(super) fn exists(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Ok(Some(Value::Bool(arg(args, 0).is_some())))
}

pub(super) fn zip(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let arrays: Vec<Vec<Value>> = args
        .iter()
        .map(|a| match a {
            Some(Value::Array(arr)) => arr.items.clone(),
            _ => Vec::new(),
        })
        .collect();
    let len = arrays.iter().map(Vec::len).min().unwrap_or(0);
    let tuples = (0..len)
        .map(|i| Value::array(arrays.iter().filter_map(|a| a.get(i).cloned()).collect(), 0))
        .collect();
    Ok(Some(Value::array(tuples, 0)))
}

pub(crate) fn keys_of(value: Option<&Value>) -> Vec<Rc<str>> {
    match value {
        Some(Value::Array(a)) => {
            let mut seen: indexmap::IndexSet<Rc<str>> = indexmap::IndexSet::new();
            for item in &a.items {
                seen.extend(keys_of(Some(item)));
            }
            seen.into_iter().collect()
        }
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

pub(super) fn keys(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let keys = keys_of(arg(args, 0))
        .into_iter()
        .map(Value::String)
        .collect();
    Ok(crate::eval::normalize(Some(Value::sequence(keys)), false))
}

pub(super) fn lookup(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let key = str_arg(args, 1).unwrap_or_default();
    Ok(crate::eval::normalize(
        crate::eval::lookup(arg(args, 0), key),
        false,
    ))
}

pub(super) fn append(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Ok(crate::eval::append(
        arg(args, 0).cloned(),
        arg(args, 1).cloned(),
    ))
}

fn spread_into(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(a) => a.items.iter().for_each(|v| spread_into(v, out)),
        Value::Object(map) => {
            for (k, v) in map.iter() {
                out.push(Value::object(Object::from_iter([(
                    Rc::clone(k),
                    v.clone(),
                )])));
            }
        }
        other => out.push(other.clone()),
    }
}

pub(super) fn spread(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match arg(args, 0) {
        None => Ok(None),
        Some(v @ (Value::Array(_) | Value::Object(_))) => {
            let mut out = Vec::new();
            spread_into(v, &mut out);
            Ok(crate::eval::normalize(Some(Value::sequence(out)), false))
        }
        Some(other) => Ok(Some(other.clone())),
    }
}

pub(super) fn merge(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(items) = items_arg(args, 0) else {
        return Ok(None);
    };
    let mut out = Object::new();
    for item in items {
        if let Value::Object(map) = item {
            for (k, v) in map.iter() {
                out.insert(Rc::clone(k), v.clone());
            }
        }
    }
    Ok(Some(Value::object(out)))
}

pub(super) fn reverse(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    match arg(args, 0) {
        None => Ok(None),
        Some(Value::Array(a)) if a.items.len() <= 1 => Ok(Some(Value::Array(Rc::clone(a)))),
        Some(v) => {
            let mut items = v.items();
            items.reverse();
            Ok(Some(Value::array(items, 0)))
        }
    }
}

pub(super) fn error(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let message = str_arg(args, 0).unwrap_or("$error() function evaluated");
    Err(Error::new("D3137", message))
}

pub(super) fn assert(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    if matches!(arg(args, 0), Some(Value::Bool(true))) {
        return Ok(None);
    }
    let message = str_arg(args, 1).unwrap_or("$assert() statement failed");
    Err(Error::new("D3141", message))
}

pub(super) fn type_of(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let name = match arg(args, 0) {
        None => return Ok(None),
        Some(Value::Null) => "null",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Array(_)) => "array",
        Some(Value::Function(_)) => "function",
        Some(Value::Object(_)) => "object",
    };
    super::string(name)
}

pub(super) fn shuffle(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(value) = arg(args, 0) else {
        return Ok(None);
    };
    let mut items = value.items();
    for i in (1..items.len()).rev() {
        let j = (ev.host.random() * (i + 1) as f64) as usize;
        items.swap(i, j.min(i));
    }
    Ok(Some(Value::array(items, 0)))
}

pub(super) fn distinct(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(value) = arg(args, 0) else {
        return Ok(None);
    };
    let Value::Array(a) = value else {
        return Ok(Some(value.clone()));
    };
    if a.items.len() <= 1 {
        return Ok(Some(value.clone()));
    }
    let mut out: Vec<Value> = Vec::new();
    for item in &a.items {
        if !out.iter().any(|seen| deep_equal(seen, item)) {
            out.push(item.clone());
        }
    }
    let flags = if a.has(SEQUENCE) { SEQUENCE } else { 0 };
    Ok(Some(Value::array(out, flags)))
}

pub(super) fn clone(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Ok(arg(args, 0).map(crate::eval::deep_copy))
}

pub(super) fn eval(
    ev: &mut Evaluator<'_>,
    args: Args<'_>,
    input: Option<&Value>,
    env: &Env,
) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    let focus = match arg(args, 1) {
        None => input.cloned(),
        Some(Value::Array(a)) if !a.has(SEQUENCE) => Some(Value::array(
            vec![Value::Array(Rc::clone(a))],
            SEQUENCE | OUTER_WRAPPER,
        )),
        Some(other) => Some(other.clone()),
    };
    let expr = crate::Expression::parse(text).map_err(|e| {
        Error::new(
            "D3120",
            format!(
                "syntax error in the expression passed to $eval: {}",
                e.message
            ),
        )
    })?;
    expr.eval_in(ev, focus.as_ref(), env).map_err(|e| {
        Error::new(
            "D3121",
            format!(
                "error evaluating the expression passed to $eval: {}",
                e.message
            ),
        )
    })
}
