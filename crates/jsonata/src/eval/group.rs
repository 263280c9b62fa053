//! Grouping (`{key: value}` over a sequence) and filters (`[predicate]`).

use std::rc::Rc;

use super::{Evaluator, Out, append, check_finite, reduce_tuples, tuple_context};
use crate::ast::{Kind, Node};
use crate::error::{Error, Result};
use crate::function::Env;
use crate::value::{SEQUENCE, TUPLE_STREAM, Value};

impl Evaluator<'_> {
    /// Object construction and grouping: `{key: value}` over the input
    /// sequence, items with the same key grouped together.
    #[inline(never)]
    pub fn group(
        &mut self,
        pairs: &[(Node, Node)],
        pos: usize,
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Value> {
        let reduce = matches!(input, Some(Value::Array(a)) if a.has(TUPLE_STREAM));
        let mut items: Vec<Option<Value>> = match input {
            Some(Value::Array(a)) => a.items.iter().cloned().map(Some).collect(),
            other => vec![other.cloned()],
        };
        if items.is_empty() && !reduce {
            items.push(None);
        }
        let mut groups: indexmap::IndexMap<Rc<str>, (Option<Value>, usize)> =
            indexmap::IndexMap::new();
        for item in &items {
            let (context, item_env) = if reduce {
                tuple_context(item.as_ref(), env)
            } else {
                (item.clone(), Rc::clone(env))
            };
            for (index, (key_expr, _)) in pairs.iter().enumerate() {
                let key = match self.eval(key_expr, context.as_ref(), &item_env)? {
                    None => continue,
                    Some(Value::String(s)) => s,
                    Some(_) => {
                        return Err(Error::new(
                            "T1003",
                            "a key in an object must evaluate to a string",
                        )
                        .at(pos));
                    }
                };
                match groups.get_mut(&key) {
                    Some((data, existing)) => {
                        if *existing != index {
                            return Err(Error::new(
                                "D1009",
                                format!("several key definitions evaluate to the same key: {key}"),
                            )
                            .at(pos));
                        }
                        *data = append(data.take(), item.clone());
                    }
                    None => {
                        groups.insert(key, (item.clone(), index));
                    }
                }
            }
        }
        let mut out = crate::value::Object::new();
        for (key, (data, index)) in groups {
            let Some((_, value_expr)) = pairs.get(index) else {
                continue;
            };
            let value = if reduce {
                let tuple = reduce_tuples(data.as_ref());
                let (context, item_env) = tuple_context(tuple.as_ref(), env);
                self.eval(value_expr, context.as_ref(), &item_env)?
            } else {
                self.eval(value_expr, data.as_ref(), env)?
            };
            if let Some(value) = value {
                out.insert(key, value);
            }
        }
        Ok(Value::object(out))
    }

    /// A filter `[predicate]`: a number picks by position (negative from the
    /// end), anything else keeps the items for which it is true.
    #[inline(never)]
    pub fn filter(&mut self, predicate: &Node, input: Option<Value>, env: &Env) -> Out {
        let (items, tuple_stream) = match &input {
            Some(Value::Array(a)) => (a.items.clone(), a.has(TUPLE_STREAM)),
            Some(other) => (vec![other.clone()], false),
            None => (Vec::new(), false),
        };
        let flags = SEQUENCE | if tuple_stream { TUPLE_STREAM } else { 0 };
        let mut out = Vec::new();
        if let Kind::Num(n) = predicate.kind {
            let mut index = n.floor();
            if index < 0.0 {
                index += items.len() as f64;
            }
            if index >= 0.0
                && let Some(item) = items.get(index as usize)
            {
                if let Value::Array(a) = item {
                    return Ok(Some(Value::Array(Rc::clone(a))));
                }
                out.push(item.clone());
            }
            return Ok(Some(Value::array(out, flags)));
        }
        let len = items.len() as f64;
        for (index, item) in items.iter().enumerate() {
            let (context, item_env) = if tuple_stream {
                tuple_context(Some(item), env)
            } else {
                (Some(item.clone()), Rc::clone(env))
            };
            let res = self.eval(predicate, context.as_ref(), &item_env)?;
            let numbers: Option<Vec<f64>> = match &res {
                Some(Value::Number(n)) => Some(vec![*n]),
                Some(Value::Array(a)) => a.items.iter().map(Value::as_f64).collect(),
                _ => None,
            };
            match numbers {
                Some(positions) => {
                    for p in positions {
                        check_finite(p)?;
                        let mut p = p.floor();
                        if p < 0.0 {
                            p += len;
                        }
                        if p == index as f64 {
                            out.push(item.clone());
                        }
                    }
                }
                None => {
                    if crate::value::boolean(res.as_ref()).unwrap_or(false) {
                        out.push(item.clone());
                    }
                }
            }
        }
        Ok(Some(Value::array(out, flags)))
    }
}
