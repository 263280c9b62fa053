//! Higher-order functions: `$map`, `$filter`, `$single`, `$reduce`,
//! `$sift`, `$each`, and `$sort` with a comparator.

use std::rc::Rc;

use super::{arg, items_arg};
use crate::error::{Error, Result};
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::{Object, Value, boolean};

type Args<'a> = &'a [Option<Value>];

fn arity(f: &Value) -> usize {
    match f {
        Value::Function(f) => f.arity(),
        _ => 0,
    }
}

/// The value, then its index and the whole array, as far as `f` takes them.
fn hof_args(f: &Value, value: Value, index: Value, all: &Value) -> Vec<Option<Value>> {
    let n = arity(f);
    let mut args = vec![Some(value)];
    if n >= 2 {
        args.push(Some(index));
    }
    if n >= 3 {
        args.push(Some(all.clone()));
    }
    args
}

fn call(ev: &mut Evaluator<'_>, f: &Value, args: Vec<Option<Value>>, env: &Env) -> Out {
    ev.apply(Some(f.clone()), args, None, env)
}

pub(super) fn map(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let (Some(array), Some(f)) = (arg(args, 0), arg(args, 1)) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, item) in array.items().into_iter().enumerate() {
        let a = hof_args(f, item, Value::Number(i as f64), array);
        if let Some(v) = call(ev, f, a, env)? {
            out.push(v);
        }
    }
    Ok(Some(Value::sequence(out)))
}

pub(super) fn filter(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let (Some(array), Some(f)) = (arg(args, 0), arg(args, 1)) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, item) in array.items().into_iter().enumerate() {
        let a = hof_args(f, item.clone(), Value::Number(i as f64), array);
        if boolean(call(ev, f, a, env)?.as_ref()).unwrap_or(false) {
            out.push(item);
        }
    }
    Ok(Some(Value::sequence(out)))
}

pub(super) fn single(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let Some(array) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1);
    let mut found = None;
    for (i, item) in array.items().into_iter().enumerate() {
        let keep = match f {
            None => true,
            Some(f) => {
                let a = hof_args(f, item.clone(), Value::Number(i as f64), array);
                boolean(call(ev, f, a, env)?.as_ref()).unwrap_or(false)
            }
        };
        if keep {
            if found.is_some() {
                return Err(Error::new(
                    "D3138",
                    "the $single() function expected exactly 1 matching result, and matched more",
                ));
            }
            found = Some(item);
        }
    }
    match found {
        Some(v) => Ok(Some(v)),
        None => Err(Error::new(
            "D3139",
            "the $single() function expected exactly 1 matching result, and matched none",
        )),
    }
}

pub(super) fn reduce(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let (Some(sequence), Some(f)) = (arg(args, 0), arg(args, 1)) else {
        return Ok(None);
    };
    let n = arity(f);
    if n < 2 {
        return Err(Error::new(
            "D3050",
            "the second argument of $reduce must be a function of at least two arguments",
        ));
    }
    let items = sequence.items();
    let (mut result, start) = match arg(args, 2) {
        None if !items.is_empty() => (items.first().cloned(), 1),
        init => (init.cloned(), 0),
    };
    for (index, item) in items.iter().enumerate().skip(start) {
        let mut a = vec![result, Some(item.clone())];
        if n >= 3 {
            a.push(Some(Value::Number(index as f64)));
        }
        if n >= 4 {
            a.push(Some(sequence.clone()));
        }
        result = call(ev, f, a, env)?;
    }
    Ok(result)
}

pub(super) fn sift(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let (Some(object), Some(f)) = (arg(args, 0), arg(args, 1)) else {
        return Ok(None);
    };
    let Value::Object(map) = object else {
        return Ok(None);
    };
    let mut out = Object::new();
    for (k, v) in map.iter() {
        let a = hof_args(f, v.clone(), Value::String(Rc::clone(k)), object);
        if boolean(call(ev, f, a, env)?.as_ref()).unwrap_or(false) {
            out.insert(Rc::clone(k), v.clone());
        }
    }
    Ok((!out.is_empty()).then(|| Value::object(out)))
}

pub(super) fn each(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let (Some(object), Some(f)) = (arg(args, 0), arg(args, 1)) else {
        return Ok(None);
    };
    let Value::Object(map) = object else {
        return Ok(Some(Value::sequence(Vec::new())));
    };
    let mut out = Vec::new();
    for (k, v) in map.iter() {
        let a = hof_args(f, v.clone(), Value::String(Rc::clone(k)), object);
        if let Some(r) = call(ev, f, a, env)? {
            out.push(r);
        }
    }
    Ok(Some(Value::sequence(out)))
}

pub(super) fn sort(ev: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, env: &Env) -> Out {
    let Some(items) = items_arg(args, 0) else {
        return Ok(None);
    };
    if items.len() <= 1 {
        return Ok(arg(args, 0).cloned());
    }
    let comparator = arg(args, 1).cloned();
    if comparator.is_none() {
        let numbers = items.iter().all(|v| matches!(v, Value::Number(_)));
        let strings = items.iter().all(|v| matches!(v, Value::String(_)));
        if !numbers && !strings {
            return Err(Error::new(
                "D3070",
                "the single-argument form of $sort applies only to an array of strings or an \
                 array of numbers",
            ));
        }
    }
    let mut greater = |a: &Value, b: &Value| -> Result<bool> {
        match &comparator {
            None => Ok(match (a, b) {
                (Value::Number(x), Value::Number(y)) => x > y,
                (Value::String(x), Value::String(y)) => {
                    x.encode_utf16().cmp(y.encode_utf16()).is_gt()
                }
                _ => false,
            }),
            Some(f) => {
                let r = call(ev, f, vec![Some(a.clone()), Some(b.clone())], env)?;
                Ok(boolean(r.as_ref()).unwrap_or(false))
            }
        }
    };
    let sorted = merge_sort(items, &mut greater)?;
    Ok(Some(Value::array(sorted, 0)))
}

/// JSONata's merge sort: `greater(a, b)` puts `b` first.
fn merge_sort(
    mut items: Vec<Value>,
    greater: &mut dyn FnMut(&Value, &Value) -> Result<bool>,
) -> Result<Vec<Value>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, greater)?;
    let right = merge_sort(right, greater)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                if greater(a, b)? {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.by_ref()),
            (None, Some(_)) => out.extend(r.by_ref()),
            (None, None) => break,
        }
    }
    Ok(out)
}
