//! The evaluator: walks the processed tree against an input value.
//! Results of path steps are sequences, flattened into their parent and
//! collapsed to their single item, as JSONata defines.

mod apply;

pub(crate) use apply::deep_copy;
mod operators;
mod path;

use std::rc::Rc;
use std::time::Instant;

use crate::Environment;
use crate::ast::{Kind, Node, Slot, Stage};
use crate::error::{Error, Result};
use crate::function::{Env, Frame, Function};
use crate::value::{Array, KEEP_SINGLETON, OUTER_WRAPPER, SEQUENCE, TUPLE_STREAM, Value};

pub(crate) type Out = Result<Option<Value>>;

/// One evaluation: the host's environment, and the guards on depth and time.
pub(crate) struct Evaluator<'e> {
    pub host: &'e Environment,
    depth: usize,
    ticks: u32,
    deadline: Option<Instant>,
}

impl<'e> Evaluator<'e> {
    pub fn new(host: &'e Environment) -> Self {
        Self {
            host,
            depth: 0,
            ticks: 0,
            deadline: host.timeout.map(|t| Instant::now() + t),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.host.max_depth {
            return Err(Error::new(
                "D1011",
                "stack overflow: the expression recursed too deeply (write recursive functions \
                 as tail calls)",
            ));
        }
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 1024 == 0
            && let Some(deadline) = self.deadline
            && Instant::now() > deadline
        {
            return Err(Error::new(
                "D1012",
                "the evaluation ran out of time: check for an infinite loop",
            ));
        }
        Ok(())
    }

    pub fn eval(&mut self, node: &Node, input: Option<&Value>, env: &Env) -> Out {
        self.enter()?;
        let result = self.eval_inner(node, input, env);
        self.depth -= 1;
        result
    }

    fn eval_inner(&mut self, node: &Node, input: Option<&Value>, env: &Env) -> Out {
        let mut result = match &node.kind {
            Kind::Path(steps) => self.path(node, steps, input, env)?,
            Kind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, input, env)?,
            Kind::Negate(inner) => match self.eval(inner, input, env)? {
                None => None,
                Some(Value::Number(n)) => Some(Value::Number(-n)),
                Some(_) => {
                    return Err(Error::new("D1002", "cannot negate a non-numeric value")
                        .at(node.pos)
                        .token("-"));
                }
            },
            Kind::Array(items) => self.array_constructor(node, items, input, env)?,
            Kind::Object(pairs) => Some(self.group(pairs, node.pos, input, env)?),
            Kind::Name(name) => lookup(input, name),
            Kind::Str(s) => Some(Value::string(s)),
            Kind::Num(n) => Some(Value::Number(*n)),
            Kind::Bool(b) => Some(Value::Bool(*b)),
            Kind::Null => Some(Value::Null),
            Kind::Wildcard => wildcard(input),
            Kind::Descendant => descendants(input),
            Kind::Parent(Slot::Label(label)) => env.lookup(label).flatten(),
            Kind::Parent(Slot::Id(_)) => None,
            Kind::Condition(condition, then, otherwise) => {
                let test = self.eval(condition, input, env)?;
                if crate::value::boolean(test.as_ref()).unwrap_or(false) {
                    self.eval(then, input, env)?
                } else if let Some(otherwise) = otherwise {
                    self.eval(otherwise, input, env)?
                } else {
                    None
                }
            }
            Kind::Block(items) => {
                let frame = Frame::child(env);
                let mut last = None;
                for item in items {
                    last = self.eval(item, input, &frame)?;
                }
                last
            }
            Kind::Bind(name, rhs) => {
                let value = self.eval(rhs, input, env)?;
                env.bind(name, value.clone());
                value
            }
            Kind::Regex(re) => Some(Value::Function(Rc::new(Function::Regex(std::sync::Arc::clone(re))))),
            Kind::Function(procedure, args) => self.call(node, procedure, args, input, env, None)?,
            Kind::Partial(procedure, args) => self.partial(node, procedure, args, input, env)?,
            Kind::Variable(name) => self.variable(name, input, env),
            Kind::Lambda(def) => Some(Value::Function(Rc::new(Function::Lambda {
                def: std::sync::Arc::clone(def),
                params: None,
                env: Rc::clone(env),
                input: input.cloned(),
            }))),
            Kind::Apply(lhs, rhs) => self.apply_operator(node, lhs, rhs, input, env)?,
            Kind::Transform(def) => Some(Value::Function(Rc::new(Function::Transform {
                def: std::sync::Arc::clone(def),
                env: Rc::clone(env),
            }))),
            Kind::Sort(_) => {
                let items = input.map(Value::items).unwrap_or_default();
                Some(self.sort(node, items, false, env)?)
            }
            Kind::Placeholder | Kind::End => None,
            _ => {
                return Err(Error::new("S0206", "unknown expression type").at(node.pos));
            }
        };
        for stage in &node.predicate {
            if let Stage::Filter(predicate) = stage {
                result = self.filter(predicate, result, env)?;
            }
        }
        if !node.is_path()
            && let Some(group) = &node.group
        {
            result = Some(self.group(&group.pairs, group.pos, result.as_ref(), env)?);
        }
        Ok(normalize(result, node.keep_array))
    }

    fn variable(&mut self, name: &str, input: Option<&Value>, env: &Env) -> Option<Value> {
        if name.is_empty() {
            return match input {
                Some(Value::Array(a)) if a.has(OUTER_WRAPPER) => a.items.first().cloned(),
                other => other.cloned(),
            };
        }
        if let Some(bound) = env.lookup(name) {
            return bound;
        }
        self.host.lookup(name)
    }

    fn array_constructor(
        &mut self,
        node: &Node,
        items: &[Node],
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let mut out: Vec<Value> = Vec::new();
        for item in items {
            let Some(value) = self.eval(item, input, env)? else {
                continue;
            };
            if matches!(item.kind, Kind::Array(_)) {
                out.push(value);
            } else {
                match value {
                    Value::Array(a) => out.extend(a.items.iter().cloned()),
                    other => out.push(other),
                }
            }
        }
        let flags = if node.consarray { crate::value::CONS } else { 0 };
        Ok(Some(Value::array(out, flags)))
    }

    /// Object construction and grouping: `{key: value}` over the input
    /// sequence, items with the same key grouped together.
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

/// Collapses a sequence: empty is undefined, one item is that item (unless
/// the expression keeps singletons).
pub(crate) fn normalize(result: Option<Value>, keep_array: bool) -> Option<Value> {
    match result {
        Some(Value::Array(a)) if a.has(SEQUENCE) && !a.has(TUPLE_STREAM) => {
            let keep = keep_array || a.has(KEEP_SINGLETON);
            match a.items.len() {
                0 => None,
                1 if !keep => a.items.first().cloned(),
                _ if keep_array && !a.has(KEEP_SINGLETON) => {
                    Some(Value::Array(a).with_flag(KEEP_SINGLETON))
                }
                _ => Some(Value::Array(a)),
            }
        }
        other => other,
    }
}

pub(crate) fn check_finite(n: f64) -> Result<()> {
    if n.is_finite() {
        Ok(())
    } else {
        Err(Error::new("D1001", format!("number out of range: {n}")))
    }
}

/// `name` in each item of the input (arrays searched item by item).
pub(crate) fn lookup(input: Option<&Value>, name: &str) -> Option<Value> {
    match input? {
        Value::Array(a) => {
            let mut out = Vec::new();
            for item in &a.items {
                match lookup(Some(item), name) {
                    Some(Value::Array(inner)) => out.extend(inner.items.iter().cloned()),
                    Some(v) => out.push(v),
                    None => {}
                }
            }
            Some(Value::sequence(out))
        }
        Value::Object(map) => map.get(name).cloned(),
        _ => None,
    }
}

fn wildcard(input: Option<&Value>) -> Option<Value> {
    let input = match input? {
        Value::Array(a) if a.has(OUTER_WRAPPER) => a.items.first()?,
        other => other,
    };
    let mut out = Vec::new();
    if let Value::Object(map) = input {
        for value in map.values() {
            match value {
                Value::Array(_) => flatten(value, &mut out),
                other => out.push(other.clone()),
            }
        }
    }
    Some(Value::sequence(out))
}

pub(crate) fn flatten(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(a) => a.items.iter().for_each(|v| flatten(v, out)),
        other => out.push(other.clone()),
    }
}

fn descendants(input: Option<&Value>) -> Option<Value> {
    let input = input?;
    let mut out = Vec::new();
    recurse_descendants(input, &mut out);
    if out.len() == 1 {
        return out.pop();
    }
    Some(Value::sequence(out))
}

fn recurse_descendants(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(a) => a.items.iter().for_each(|v| recurse_descendants(v, out)),
        Value::Object(map) => {
            out.push(value.clone());
            map.values().for_each(|v| recurse_descendants(v, out));
        }
        other => out.push(other.clone()),
    }
}

/// JSONata's `$append`: undefined is no item, a value is one.
pub(crate) fn append(a: Option<Value>, b: Option<Value>) -> Option<Value> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let mut items = match a {
                Value::Array(arr) => arr.items.clone(),
                other => vec![other],
            };
            match b {
                Value::Array(arr) => items.extend(arr.items.iter().cloned()),
                other => items.push(other),
            }
            Some(Value::Array(Rc::new(Array { items, flags: 0 })))
        }
    }
}

/// A tuple's `@` value, and a frame binding its other entries.
pub(crate) fn tuple_context(tuple: Option<&Value>, env: &Env) -> (Option<Value>, Env) {
    let frame = Frame::child(env);
    let mut context = None;
    if let Some(Value::Object(map)) = tuple {
        for (k, v) in map.iter() {
            if &**k == "@" {
                context = Some(v.clone());
            } else {
                frame.bind_rc(Rc::clone(k), Some(v.clone()));
            }
        }
    }
    (context, frame)
}

/// Merges a group of tuples into one, appending the values of each name.
fn reduce_tuples(tuples: Option<&Value>) -> Option<Value> {
    let Some(Value::Array(a)) = tuples else {
        return tuples.cloned();
    };
    let mut items = a.items.iter();
    let Some(Value::Object(first)) = items.next() else {
        return None;
    };
    let mut out = (**first).clone();
    for tuple in items {
        if let Value::Object(map) = tuple {
            for (k, v) in map.iter() {
                let merged = append(out.get(k).cloned(), Some(v.clone()));
                if let Some(m) = merged {
                    out.insert(Rc::clone(k), m);
                }
            }
        }
    }
    Some(Value::object(out))
}
