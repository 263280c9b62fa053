//! Binary operators: arithmetic, comparison, `and`/`or`, `&`, `in`, `..`.

use super::{Evaluator, Out, check_finite};
use crate::ast::{BinOp, Node};
use crate::error::Error;
use crate::function::Env;
use crate::value::{SEQUENCE, Value, boolean, deep_equal};

/// The largest sequence `..` builds.
const MAX_RANGE: f64 = 1e7;

impl Evaluator<'_> {
    pub(super) fn binary(
        &mut self,
        op: BinOp,
        lhs: &Node,
        rhs: &Node,
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let left = self.eval(lhs, input, env)?;
        if matches!(op, BinOp::And | BinOp::Or) {
            let l = boolean(left.as_ref()).unwrap_or(false);
            let result = match op {
                BinOp::And if !l => false,
                BinOp::Or if l => true,
                _ => {
                    let right = self.eval(rhs, input, env)?;
                    boolean(right.as_ref()).unwrap_or(false)
                }
            };
            return Ok(Some(Value::Bool(result)));
        }
        let right = self.eval(rhs, input, env)?;
        operate(op, left, right).map_err(|e| {
            e.at(lhs.pos.max(rhs.pos.saturating_sub(1)))
                .token(op.symbol())
        })
    }
}

/// A binary operator on its evaluated operands (not `and`, `or`).
#[inline(never)]
fn operate(op: BinOp, left: Option<Value>, right: Option<Value>) -> Out {
    {
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let l = number_operand(left.as_ref(), "T2001", "left")?;
                let r = number_operand(right.as_ref(), "T2002", "right")?;
                let (Some(l), Some(r)) = (l, r) else {
                    return Ok(None);
                };
                Ok(Some(Value::Number(match op {
                    BinOp::Add => l + r,
                    BinOp::Sub => l - r,
                    BinOp::Mul => l * r,
                    BinOp::Div => l / r,
                    _ => l % r,
                })))
            }
            BinOp::Eq | BinOp::Ne => {
                let (Some(l), Some(r)) = (&left, &right) else {
                    return Ok(Some(Value::Bool(false)));
                };
                let equal = deep_equal(l, r);
                Ok(Some(Value::Bool(if op == BinOp::Eq {
                    equal
                } else {
                    !equal
                })))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                compare(op, left.as_ref(), right.as_ref())
            }
            BinOp::Concat => {
                let mut out = String::new();
                for v in [&left, &right].into_iter().flatten() {
                    out.push_str(&crate::json::string(v, false)?);
                }
                Ok(Some(Value::String(out.into())))
            }
            BinOp::In => {
                let (Some(l), Some(r)) = (&left, &right) else {
                    return Ok(Some(Value::Bool(false)));
                };
                let found = match r {
                    Value::Array(a) => a.items.iter().any(|item| same(l, item)),
                    other => same(l, other),
                };
                Ok(Some(Value::Bool(found)))
            }
            BinOp::Range => range(left.as_ref(), right.as_ref()),
            BinOp::And | BinOp::Or => Ok(None),
        }
    }
}

fn number_operand(
    value: Option<&Value>,
    code: &'static str,
    side: &str,
) -> Result<Option<f64>, Error> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => {
            check_finite(*n)?;
            Ok(Some(*n))
        }
        Some(_) => Err(Error::new(
            code,
            format!("the {side} side of the operator must evaluate to a number"),
        )),
    }
}

fn compare(op: BinOp, left: Option<&Value>, right: Option<&Value>) -> Out {
    let comparable =
        |v: Option<&Value>| matches!(v, None | Some(Value::Number(_) | Value::String(_)));
    if !comparable(left) || !comparable(right) {
        return Err(Error::new(
            "T2010",
            "the expressions either side of the operator must evaluate to numbers or strings",
        ));
    }
    let (Some(l), Some(r)) = (left, right) else {
        return Ok(None);
    };
    let order = match (l, r) {
        (Value::Number(a), Value::Number(b)) => {
            check_finite(*a)?;
            check_finite(*b)?;
            a.partial_cmp(b)
        }
        (Value::String(a), Value::String(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
        _ => {
            return Err(Error::new(
                "T2009",
                "the values either side of the operator must be of the same type",
            ));
        }
    };
    let Some(order) = order else {
        return Ok(Some(Value::Bool(false)));
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    Ok(Some(Value::Bool(match op {
        BinOp::Lt => order == Less,
        BinOp::Le => order != Greater,
        BinOp::Gt => order == Greater,
        _ => order != Less || order == Equal,
    })))
}

/// `in`: JavaScript's strict equality (values by value, arrays and objects
/// by identity).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => std::rc::Rc::ptr_eq(x, y),
        (Value::Object(x), Value::Object(y)) => std::rc::Rc::ptr_eq(x, y),
        _ => deep_equal(a, b),
    }
}

fn range(left: Option<&Value>, right: Option<&Value>) -> Out {
    let integer = |v: Option<&Value>, code: &'static str, side: &str| match v {
        None => Ok(None),
        Some(Value::Number(n)) if n.fract() == 0.0 && n.is_finite() => Ok(Some(*n)),
        Some(_) => Err(Error::new(
            code,
            format!("the {side} side of the range operator (..) must evaluate to an integer"),
        )),
    };
    let l = integer(left, "T2003", "left")?;
    let r = integer(right, "T2004", "right")?;
    let (Some(l), Some(r)) = (l, r) else {
        return Ok(None);
    };
    if l > r {
        return Ok(None);
    }
    let size = r - l + 1.0;
    if size > MAX_RANGE {
        return Err(Error::new(
            "D2014",
            format!("the range operator (..) would build {size} items; the limit is 1e7"),
        ));
    }
    let items = (0..size as u64)
        .map(|i| Value::Number(l + i as f64))
        .collect();
    Ok(Some(Value::array(items, SEQUENCE)))
}
