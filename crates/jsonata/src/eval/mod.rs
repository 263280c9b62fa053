//! The evaluator: walks the processed tree against an input value.
//! Results of path steps are sequences, flattened into their parent and
//! collapsed to their single item, as JSONata defines.

mod apply;
mod group;

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
    pub host: &'e Environment<'e>,
    depth: usize,
    ticks: u32,
    deadline: Option<Instant>,
    stack: crate::stack::StackGuard,
}

impl<'e> Evaluator<'e> {
    pub fn new(host: &'e Environment<'e>) -> Self {
        Self {
            host,
            depth: 0,
            ticks: 0,
            deadline: host.timeout.map(|t| Instant::now() + t),
            stack: crate::stack::StackGuard::new(host.stack_budget),
        }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.host.max_depth || !self.stack.ok() {
            return Err(Error::new(
                "D1011",
                "stack overflow: the expression recursed too deeply (write recursive functions \
                 as tail calls)",
            ));
        }
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(1024)
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
        let result = self.dispatch(node, input, env)?;
        if node.predicate.is_empty() && node.group.is_none() {
            return Ok(normalize(result, node.keep_array));
        }
        self.finish_step(node, result, env)
    }

    /// Predicates and grouping on an expression that is not a path.
    #[inline(never)]
    fn finish_step(&mut self, node: &Node, mut result: Option<Value>, env: &Env) -> Out {
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

    // Each arm only calls: in a debug build a frame holds every arm's
    // temporaries, and this frame is on the stack once per nesting level.
    fn dispatch(&mut self, node: &Node, input: Option<&Value>, env: &Env) -> Out {
        match &node.kind {
            Kind::Path(steps) => self.path(node, steps, input, env),
            Kind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, input, env),
            Kind::Negate(inner) => self.negate(node, inner, input, env),
            Kind::Array(items) => self.array_constructor(node, items, input, env),
            Kind::Object(pairs) => self.group(pairs, node.pos, input, env).map(Some),
            Kind::Name(name) => Ok(lookup(input, name)),
            Kind::Str(s) => Ok(Some(Value::string(s))),
            Kind::Num(n) => Ok(Some(Value::Number(*n))),
            Kind::Bool(b) => Ok(Some(Value::Bool(*b))),
            Kind::Null => Ok(Some(Value::Null)),
            Kind::Wildcard => Ok(wildcard(input)),
            Kind::Descendant => Ok(descendants(input)),
            Kind::Parent(Slot::Label(label)) => Ok(env.lookup(label).flatten()),
            Kind::Condition(condition, then, otherwise) => {
                self.condition(condition, then, otherwise.as_deref(), input, env)
            }
            Kind::Block(items) => self.block(items, input, env),
            Kind::Bind(name, rhs) => self.bind(name, rhs, input, env),
            Kind::Function(procedure, args) => self.call(node, procedure, args, input, env, None),
            Kind::Partial(procedure, args) => self.partial(node, procedure, args, input, env),
            Kind::Variable(name) => Ok(self.variable(name, input, env)),
            Kind::Apply(lhs, rhs) => self.apply_operator(node, lhs, rhs, input, env),
            Kind::Regex(_) | Kind::Lambda(_) | Kind::Transform(_) => {
                Ok(function_value(node, input, env))
            }
            Kind::Sort(_) => self.sort_input(node, input, env),
            Kind::Parent(Slot::Id(_)) | Kind::Placeholder | Kind::End => Ok(None),
            _ => Err(Error::new("S0206", "unknown expression type").at(node.pos)),
        }
    }

    fn negate(&mut self, node: &Node, inner: &Node, input: Option<&Value>, env: &Env) -> Out {
        match self.eval(inner, input, env)? {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(Value::Number(-n))),
            Some(_) => Err(Error::new("D1002", "cannot negate a non-numeric value")
                .at(node.pos)
                .token("-")),
        }
    }

    fn condition(
        &mut self,
        condition: &Node,
        then: &Node,
        otherwise: Option<&Node>,
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let test = self.eval(condition, input, env)?;
        if crate::value::boolean(test.as_ref()).unwrap_or(false) {
            self.eval(then, input, env)
        } else if let Some(otherwise) = otherwise {
            self.eval(otherwise, input, env)
        } else {
            Ok(None)
        }
    }

    fn block(&mut self, items: &[Node], input: Option<&Value>, env: &Env) -> Out {
        let frame = Frame::child(env);
        let mut last = None;
        for item in items {
            last = self.eval(item, input, &frame)?;
        }
        Ok(last)
    }

    fn bind(&mut self, name: &str, rhs: &Node, input: Option<&Value>, env: &Env) -> Out {
        let value = self.eval(rhs, input, env)?;
        env.bind(name, value.clone());
        Ok(value)
    }

    #[inline(never)]
    fn sort_input(&mut self, node: &Node, input: Option<&Value>, env: &Env) -> Out {
        let items = input.map(Value::items).unwrap_or_default();
        self.sort(node, items, false, env).map(Some)
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

    #[inline(never)]
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
        let flags = if node.consarray {
            crate::value::CONS
        } else {
            0
        };
        Ok(Some(Value::array(out, flags)))
    }
}

/// A regex, lambda or transform expression: a function value closing over
/// the current scope.
fn function_value(node: &Node, input: Option<&Value>, env: &Env) -> Option<Value> {
    let function = match &node.kind {
        Kind::Regex(re) => Function::Regex(std::sync::Arc::clone(re)),
        Kind::Lambda(def) => Function::Lambda {
            def: std::sync::Arc::clone(def),
            params: None,
            env: Rc::clone(env),
            input: input.cloned(),
        },
        Kind::Transform(def) => Function::Transform {
            def: std::sync::Arc::clone(def),
            env: Rc::clone(env),
        },
        _ => return None,
    };
    Some(Value::Function(Rc::new(function)))
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
    if let Value::Array(a) = input {
        for value in &a.items {
            flatten(value, &mut out);
        }
    }
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
pub(crate) fn reduce_tuples(tuples: Option<&Value>) -> Option<Value> {
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
