//! Location paths: each step maps every item of the sequence so far; steps
//! that bind variables (`@`, `#`, `%`) carry tuples of bindings instead.

use std::rc::Rc;

use super::{Evaluator, Out, tuple_context};
use crate::ast::{Kind, Node, Slot, Stage};
use crate::error::{Error, Result};
use crate::function::Env;
use crate::value::{CONS, KEEP_SINGLETON, Object, SEQUENCE, TUPLE_STREAM, Value};

impl Evaluator<'_> {
    #[inline(never)]
    pub(super) fn path(
        &mut self,
        node: &Node,
        steps: &[Node],
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let first_is_variable = steps
            .first()
            .is_some_and(|s| matches!(s.kind, Kind::Variable(_)));
        let mut sequence: Vec<Option<Value>> = match input {
            Some(Value::Array(a)) if !first_is_variable => {
                a.items.iter().cloned().map(Some).collect()
            }
            other => vec![other.cloned()],
        };
        let mut result: Option<Value> = None;
        let mut tuples: Option<Vec<Value>> = None;
        let mut tuple_stream = false;
        for (i, step) in steps.iter().enumerate() {
            if step.tuple {
                tuple_stream = true;
            }
            if i == 0 && step.consarray {
                let whole = Value::sequence(sequence.iter().flatten().cloned().collect());
                result = self.eval(step, Some(&whole), env)?;
            } else if tuple_stream {
                tuples = Some(self.tuple_step(step, &sequence, tuples.take(), env)?);
            } else {
                result = Some(self.step(step, &sequence, env, i + 1 == steps.len())?);
            }
            if !tuple_stream {
                let empty = match &result {
                    None => true,
                    Some(Value::Array(a)) => a.items.is_empty(),
                    Some(_) => false,
                };
                if empty {
                    break;
                }
            }
            if step.focus.is_none() {
                sequence = match &result {
                    Some(Value::Array(a)) => a.items.iter().cloned().map(Some).collect(),
                    Some(other) => vec![Some(other.clone())],
                    None => Vec::new(),
                };
            }
        }
        let mut tuple_result = None;
        if tuple_stream {
            let tuples = tuples.unwrap_or_default();
            if node.group.is_some() {
                tuple_result = Some(Value::array(tuples.clone(), SEQUENCE | TUPLE_STREAM));
            }
            result = Some(if node.tuple {
                Value::array(tuples, SEQUENCE | TUPLE_STREAM)
            } else {
                let items = tuples
                    .iter()
                    .filter_map(|t| match t {
                        Value::Object(map) => map.get("@").cloned(),
                        _ => None,
                    })
                    .collect();
                Value::sequence(items)
            });
        }
        if node.keep_singleton_array {
            result = match result {
                Some(Value::Array(a)) if a.has(CONS) && !a.has(SEQUENCE) => Some(Value::array(
                    vec![Value::Array(a)],
                    SEQUENCE | KEEP_SINGLETON,
                )),
                Some(v @ Value::Array(_)) => Some(v.with_flag(KEEP_SINGLETON)),
                other => other,
            };
        }
        if let Some(group) = &node.group {
            let grouped = tuple_result.as_ref().or(result.as_ref());
            result = Some(self.group(&group.pairs, group.pos, grouped, env)?);
        }
        Ok(result)
    }

    /// One step over every item: the results flattened into one sequence.
    #[inline(never)]
    fn step(
        &mut self,
        step: &Node,
        input: &[Option<Value>],
        env: &Env,
        last: bool,
    ) -> Result<Value> {
        if let Kind::Sort(_) = step.kind {
            let items = input.iter().flatten().cloned().collect();
            let mut sorted = self.sort(step, items, false, env)?;
            if !step.stages.is_empty() {
                sorted = self.stages(&step.stages, sorted, env)?;
            }
            return Ok(sorted);
        }
        let mut results = Vec::with_capacity(input.len());
        for item in input {
            let mut res = self.eval(step, item.as_ref(), env)?;
            for stage in &step.stages {
                if let Stage::Filter(predicate) = stage {
                    res = self.filter(predicate, res, env)?;
                }
            }
            if let Some(res) = res {
                results.push(res);
            }
        }
        if last
            && results.len() == 1
            && matches!(results.first(), Some(Value::Array(a)) if !a.has(SEQUENCE))
            && let Some(only) = results.pop()
        {
            return Ok(only);
        }
        let mut out = Vec::with_capacity(results.len());
        for res in results {
            match res {
                Value::Array(a) if !a.has(CONS) => out.extend(a.items.iter().cloned()),
                other => out.push(other),
            }
        }
        Ok(Value::sequence(out))
    }

    /// One step of a tuple stream: each tuple's bindings are in scope, and
    /// each result extends the tuple.
    #[inline(never)]
    fn tuple_step(
        &mut self,
        step: &Node,
        input: &[Option<Value>],
        tuples: Option<Vec<Value>>,
        env: &Env,
    ) -> Result<Vec<Value>> {
        if let Kind::Sort(_) = step.kind {
            let sorted = match tuples {
                Some(t) => self.sort(step, t, true, env)?,
                None => {
                    let items: Vec<Value> = input.iter().flatten().cloned().collect();
                    let sorted = self.sort(step, items, false, env)?;
                    let tuples = sorted
                        .items()
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut map = Object::from_iter([(Rc::from("@"), v)]);
                            if let Some(index) = &step.index {
                                map.insert(Rc::from(&**index), Value::Number(i as f64));
                            }
                            Value::object(map)
                        })
                        .collect();
                    Value::array(tuples, SEQUENCE | TUPLE_STREAM)
                }
            };
            let staged = self.stages(&step.stages, sorted, env)?;
            return Ok(staged.items());
        }
        let tuples = tuples.unwrap_or_else(|| {
            input
                .iter()
                .map(|item| {
                    let mut map = Object::new();
                    if let Some(v) = item {
                        map.insert(Rc::from("@"), v.clone());
                    }
                    Value::object(map)
                })
                .collect()
        });
        let mut out = Vec::new();
        for tuple in &tuples {
            let Value::Object(bindings) = tuple else {
                continue;
            };
            let (context, step_env) = tuple_context(Some(tuple), env);
            let Some(res) = self.eval(step, context.as_ref(), &step_env)? else {
                continue;
            };
            let (items, res_tuples) = match &res {
                Value::Array(a) => (a.items.clone(), a.has(TUPLE_STREAM)),
                other => (vec![other.clone()], false),
            };
            for (bb, item) in items.into_iter().enumerate() {
                let mut next = (**bindings).clone();
                if res_tuples {
                    if let Value::Object(more) = &item {
                        for (k, v) in more.iter() {
                            next.insert(Rc::clone(k), v.clone());
                        }
                    }
                } else {
                    if let Some(focus) = &step.focus {
                        next.insert(Rc::from(&**focus), item);
                    } else {
                        next.insert(Rc::from("@"), item);
                    }
                    if let Some(index) = &step.index {
                        next.insert(Rc::from(&**index), Value::Number(bb as f64));
                    }
                    if let Some(Slot::Label(label)) = &step.ancestor
                        && let Some(at) = bindings.get("@")
                    {
                        next.insert(Rc::from(&**label), at.clone());
                    }
                }
                out.push(Value::object(next));
            }
        }
        if step.stages.is_empty() {
            return Ok(out);
        }
        let staged = self.stages(
            &step.stages,
            Value::array(out, SEQUENCE | TUPLE_STREAM),
            env,
        )?;
        Ok(staged.items())
    }

    #[inline(never)]
    fn stages(&mut self, stages: &[Stage], input: Value, env: &Env) -> Result<Value> {
        let mut result = input;
        for stage in stages {
            match stage {
                Stage::Filter(predicate) => {
                    result = self
                        .filter(predicate, Some(result), env)?
                        .unwrap_or_else(|| Value::array(Vec::new(), SEQUENCE | TUPLE_STREAM));
                }
                Stage::Index(name) => {
                    let items = result
                        .items()
                        .into_iter()
                        .enumerate()
                        .map(|(i, tuple)| match tuple {
                            Value::Object(map) => {
                                let mut map = (*map).clone();
                                map.insert(Rc::from(&**name), Value::Number(i as f64));
                                Value::object(map)
                            }
                            other => other,
                        })
                        .collect();
                    result = Value::array(items, SEQUENCE | TUPLE_STREAM);
                }
            }
        }
        Ok(result)
    }

    /// `^(...)`: a stable sort on each term in turn; undefined sorts last.
    #[inline(never)]
    pub(super) fn sort(
        &mut self,
        node: &Node,
        items: Vec<Value>,
        tuples: bool,
        env: &Env,
    ) -> Result<Value> {
        let Kind::Sort(terms) = &node.kind else {
            return Ok(Value::sequence(items));
        };
        let mut keyed = Vec::with_capacity(items.len());
        for item in items {
            let (context, item_env) = if tuples {
                tuple_context(Some(&item), env)
            } else {
                (Some(item.clone()), Rc::clone(env))
            };
            let mut keys = Vec::with_capacity(terms.len());
            for term in terms {
                keys.push(self.eval(&term.expr, context.as_ref(), &item_env)?);
            }
            keyed.push((keys, item));
        }
        let mut error: Option<Error> = None;
        keyed.sort_by(|(a, _), (b, _)| {
            for (term, (x, y)) in terms.iter().zip(a.iter().zip(b)) {
                let order = match (x, y) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(x), Some(y)) => match (x, y) {
                        (Value::Number(p), Value::Number(q)) => {
                            p.partial_cmp(q).unwrap_or(std::cmp::Ordering::Equal)
                        }
                        (Value::String(p), Value::String(q)) => {
                            p.encode_utf16().cmp(q.encode_utf16())
                        }
                        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
                            error.get_or_insert_with(|| {
                                Error::new("T2007", "type mismatch when comparing values in an order-by clause")
                                    .at(node.pos)
                            });
                            std::cmp::Ordering::Equal
                        }
                        _ => {
                            error.get_or_insert_with(|| {
                                Error::new(
                                    "T2008",
                                    "the expressions of an order-by clause must evaluate to numbers or strings",
                                )
                                .at(node.pos)
                            });
                            std::cmp::Ordering::Equal
                        }
                    },
                };
                let order = if term.descending && x.is_some() && y.is_some() {
                    order.reverse()
                } else {
                    order
                };
                if order != std::cmp::Ordering::Equal {
                    return order;
                }
            }
            std::cmp::Ordering::Equal
        });
        if let Some(e) = error {
            return Err(e);
        }
        let flags = SEQUENCE | if tuples { TUPLE_STREAM } else { 0 };
        Ok(Value::array(
            keyed.into_iter().map(|(_, v)| v).collect(),
            flags,
        ))
    }
}
