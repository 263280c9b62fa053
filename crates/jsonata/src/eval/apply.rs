//! Calling functions: arguments checked against the signature, lambdas run
//! in their closure, tail calls run in a loop (so tail recursion does not
//! grow the stack), partial application, `~>`, and transforms.

use std::rc::Rc;

use super::{Evaluator, Out};
use crate::ast::{Kind, Node, TransformDef};
use crate::error::{Error, Result};
use crate::function::{Env, Frame, Function};
use crate::value::{Object, Value};

/// What evaluating a body in tail position gives: a value, or a call to
/// make in its place.
pub(crate) enum Tail {
    Value(Option<Value>),
    Call(Value, Vec<Option<Value>>),
}

impl Evaluator<'_> {
    pub(super) fn call(
        &mut self,
        node: &Node,
        procedure: &Node,
        args: &[Node],
        input: Option<&Value>,
        env: &Env,
        context: Option<Option<Value>>,
    ) -> Out {
        let proc = self.eval(procedure, input, env)?;
        let name = procedure_name(procedure);
        if proc.is_none()
            && let Some(name) = &name
            && matches!(procedure.kind, Kind::Path(_))
            && (env.lookup(name).is_some() || self.host.lookup(name).is_some())
        {
            return Err(Error::new(
                "T1005",
                format!("attempted to invoke a non-function; did you mean ${name}?"),
            )
            .at(node.pos)
            .token(name.as_str()));
        }
        let mut evaluated = Vec::with_capacity(args.len() + 1);
        if let Some(context) = context {
            evaluated.push(context);
        }
        for arg in args {
            evaluated.push(self.eval(arg, input, env)?);
        }
        self.apply(proc, evaluated, input, env).map_err(|e| {
            let e = e.at(node.pos);
            match name {
                Some(n) => e.token(n),
                None => e,
            }
        })
    }

    /// Applies `proc` to `args`, following tail calls.
    pub fn apply(
        &mut self,
        proc: Option<Value>,
        args: Vec<Option<Value>>,
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let mut step = self.apply_once(proc, args, input, env)?;
        loop {
            match step {
                Tail::Value(v) => return Ok(v),
                Tail::Call(proc, args) => step = self.apply_once(Some(proc), args, input, env)?,
            }
        }
    }

    fn apply_once(
        &mut self,
        proc: Option<Value>,
        args: Vec<Option<Value>>,
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Tail> {
        let Some(Value::Function(function)) = proc else {
            return Err(Error::new("T1006", "attempted to invoke a non-function"));
        };
        // Each arm only calls, to keep this frame small (see `dispatch`).
        match &*function {
            Function::Lambda {
                def,
                params,
                env: closure,
                input: closure_input,
            } => self.apply_lambda(
                def,
                params.as_deref(),
                closure,
                closure_input.as_ref(),
                args,
                input,
            ),
            Function::Builtin(builtin) => self.apply_builtin(builtin, args, input, env),
            Function::Host(host) => apply_host(host, args, input),
            Function::Partial {
                target,
                args: bound,
            } => {
                let full = fill_holes(bound, args);
                self.apply_once(Some(Value::Function(Rc::clone(target))), full, input, env)
            }
            Function::Regex(re) => Ok(Tail::Value(match args.first() {
                Some(Some(Value::String(s))) => crate::functions::regex::match_object(re, s, 0),
                _ => None,
            })),
            Function::Transform { def, env: closure } => {
                let target = args.into_iter().next().flatten();
                self.transform(def, closure, target).map(Tail::Value)
            }
            Function::Chain(first, second) => self.apply_chain(first, second, args, input, env),
        }
    }

    fn apply_lambda(
        &mut self,
        def: &crate::ast::LambdaDef,
        params: Option<&Vec<std::sync::Arc<str>>>,
        closure: &Env,
        closure_input: Option<&Value>,
        args: Vec<Option<Value>>,
        input: Option<&Value>,
    ) -> Result<Tail> {
        let args = match (&def.signature, params) {
            (Some(signature), None) => signature.validate(&args, input)?,
            _ => args,
        };
        let frame = Frame::child(closure);
        let names = params.unwrap_or(&def.params);
        for (i, name) in names.iter().enumerate() {
            frame.bind(name, args.get(i).cloned().flatten());
        }
        self.eval_tail(&def.body, closure_input, &frame)
    }

    #[inline(never)]
    fn apply_builtin(
        &mut self,
        builtin: &crate::functions::Builtin,
        args: Vec<Option<Value>>,
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Tail> {
        let args = match builtin.signature() {
            Some(signature) => signature.validate(&args, input)?,
            None => args,
        };
        (builtin.call)(self, &args, input, env).map(Tail::Value)
    }

    #[inline(never)]
    fn apply_chain(
        &mut self,
        first: &Rc<Function>,
        second: &Rc<Function>,
        args: Vec<Option<Value>>,
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Tail> {
        let x = self.apply(Some(Value::Function(Rc::clone(first))), args, input, env)?;
        let y = self.apply(
            Some(Value::Function(Rc::clone(second))),
            vec![x],
            input,
            env,
        )?;
        Ok(Tail::Value(y))
    }

    /// Evaluates a lambda body: a call in tail position is returned, not
    /// made, so that `apply` makes it without nesting.
    fn eval_tail(&mut self, node: &Node, input: Option<&Value>, env: &Env) -> Result<Tail> {
        self.enter()?;
        let result = self.eval_tail_inner(node, input, env);
        self.leave();
        result
    }

    fn eval_tail_inner(&mut self, node: &Node, input: Option<&Value>, env: &Env) -> Result<Tail> {
        let plain = node.predicate.is_empty() && node.group.is_none() && !node.keep_array;
        if !plain {
            return self.eval(node, input, env).map(Tail::Value);
        }
        match &node.kind {
            Kind::Function(procedure, args) => self.tail_call(node, procedure, args, input, env),
            Kind::Condition(condition, then, otherwise) => {
                self.tail_condition(condition, then, otherwise.as_deref(), input, env)
            }
            Kind::Block(items) => self.tail_block(items, input, env),
            _ => self.eval(node, input, env).map(Tail::Value),
        }
    }

    fn tail_call(
        &mut self,
        node: &Node,
        procedure: &Node,
        args: &[Node],
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Tail> {
        let proc = self.eval(procedure, input, env)?;
        let Some(proc @ Value::Function(_)) = proc else {
            return self
                .call(node, procedure, args, input, env, None)
                .map(Tail::Value);
        };
        let mut evaluated = Vec::with_capacity(args.len());
        for arg in args {
            evaluated.push(self.eval(arg, input, env)?);
        }
        Ok(Tail::Call(proc, evaluated))
    }

    fn tail_condition(
        &mut self,
        condition: &Node,
        then: &Node,
        otherwise: Option<&Node>,
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Tail> {
        let test = self.eval(condition, input, env)?;
        if crate::value::boolean(test.as_ref()).unwrap_or(false) {
            self.eval_tail_inner(then, input, env)
        } else if let Some(otherwise) = otherwise {
            self.eval_tail_inner(otherwise, input, env)
        } else {
            Ok(Tail::Value(None))
        }
    }

    fn tail_block(&mut self, items: &[Node], input: Option<&Value>, env: &Env) -> Result<Tail> {
        let frame = Frame::child(env);
        let Some((last, init)) = items.split_last() else {
            return Ok(Tail::Value(None));
        };
        for item in init {
            self.eval(item, input, &frame)?;
        }
        self.eval_tail_inner(last, input, &frame)
    }

    #[inline(never)]
    pub(super) fn partial(
        &mut self,
        node: &Node,
        procedure: &Node,
        args: &[Node],
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let mut bound = Vec::with_capacity(args.len());
        for arg in args {
            bound.push(match arg.kind {
                Kind::Placeholder => None,
                _ => Some(self.eval(arg, input, env)?),
            });
        }
        let proc = self.eval(procedure, input, env)?;
        let name = procedure_name(procedure);
        let Some(Value::Function(function)) = proc else {
            let forgot_dollar = name
                .as_deref()
                .is_some_and(|n| env.lookup(n).is_some() || self.host.lookup(n).is_some());
            let (code, message) = if forgot_dollar && matches!(procedure.kind, Kind::Path(_)) {
                (
                    "T1007",
                    "attempted to partially apply a non-function; did you mean $...?",
                )
            } else {
                ("T1008", "attempted to partially apply a non-function")
            };
            return Err(Error::new(code, message).at(node.pos));
        };
        if let Function::Lambda {
            def,
            params,
            env: closure,
            input: closure_input,
        } = &*function
        {
            let frame = Frame::child(closure);
            let names = params.as_deref().unwrap_or(&def.params);
            let mut remaining = Vec::new();
            for (i, name) in names.iter().enumerate() {
                match bound.get(i) {
                    Some(None) => remaining.push(std::sync::Arc::clone(name)),
                    Some(Some(v)) => frame.bind(name, v.clone()),
                    None => frame.bind(name, None),
                }
            }
            return Ok(Some(Value::Function(Rc::new(Function::Lambda {
                def: std::sync::Arc::clone(def),
                params: Some(Rc::new(remaining)),
                env: frame,
                input: closure_input.clone(),
            }))));
        }
        Ok(Some(Value::Function(Rc::new(Function::Partial {
            target: function,
            args: bound,
        }))))
    }

    /// `lhs ~> rhs`: rhs called with lhs as its first argument, or two
    /// functions composed.
    #[inline(never)]
    pub(super) fn apply_operator(
        &mut self,
        node: &Node,
        lhs: &Node,
        rhs: &Node,
        input: Option<&Value>,
        env: &Env,
    ) -> Out {
        let left = self.eval(lhs, input, env)?;
        if let Kind::Function(procedure, args) = &rhs.kind {
            return self.call(rhs, procedure, args, input, env, Some(left));
        }
        let func = self.eval(rhs, input, env)?;
        let Some(Value::Function(f)) = func else {
            return Err(Error::new(
                "T2006",
                "the right side of the function application operator ~> must be a function",
            )
            .at(node.pos));
        };
        if let Some(Value::Function(g)) = left {
            return Ok(Some(Value::Function(Rc::new(Function::Chain(g, f)))));
        }
        self.apply(Some(Value::Function(f)), vec![left], input, env)
    }

    /// `| pattern | update, delete |` applied to `target`: a copy of it with
    /// the objects the pattern selects updated.
    #[inline(never)]
    fn transform(&mut self, def: &TransformDef, env: &Env, target: Option<Value>) -> Out {
        let Some(target) = target else {
            return Ok(None);
        };
        let clone = env
            .lookup("clone")
            .unwrap_or_else(|| self.host.lookup("clone"));
        let copy = match clone {
            Some(Value::Function(f)) if matches!(&*f, Function::Builtin(b) if b.name == "clone") => {
                deep_copy(&target)
            }
            Some(f @ Value::Function(_)) => {
                match self.apply(Some(f), vec![Some(target)], None, env)? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            }
            _ => {
                return Err(Error::new(
                    "T2013",
                    "the transform expression clones its input with $clone(), which is not a \
                     function here",
                ));
            }
        };
        let matches = self.eval(&def.pattern, Some(&copy), env)?;
        let matched = match matches {
            None => Vec::new(),
            Some(Value::Array(a)) => a.items.clone(),
            Some(other) => vec![other],
        };
        let mut edits: Vec<(*const Object, Object, Vec<String>)> = Vec::new();
        for m in &matched {
            let update = match self.eval(&def.update, Some(m), env)? {
                None => Object::new(),
                Some(Value::Object(map)) => (*map).clone(),
                Some(_) => {
                    return Err(Error::new(
                        "T2011",
                        "the update clause of a transform must evaluate to an object",
                    )
                    .at(def.update.pos));
                }
            };
            let mut deletions = Vec::new();
            if let Some(delete) = &def.delete {
                match self.eval(delete, Some(m), env)? {
                    None => {}
                    Some(Value::String(s)) => deletions.push(s.to_string()),
                    Some(Value::Array(a)) if a.items.iter().all(|v| v.as_str().is_some()) => {
                        deletions
                            .extend(a.items.iter().filter_map(|v| v.as_str().map(str::to_owned)));
                    }
                    Some(_) => {
                        return Err(Error::new(
                            "T2012",
                            "the delete clause of a transform must evaluate to a string or an \
                             array of strings",
                        )
                        .at(delete.pos));
                    }
                }
            }
            if let Value::Object(map) = m {
                edits.push((Rc::as_ptr(map), update, deletions));
            }
        }
        Ok(Some(rebuild(&copy, &edits)))
    }
}

fn apply_host(
    host: &crate::function::HostFunction,
    args: Vec<Option<Value>>,
    input: Option<&Value>,
) -> Result<Tail> {
    let args = match &host.signature {
        Some(signature) => signature.validate(&args, input)?,
        None => args,
    };
    (host.call)(&args).map(Tail::Value)
}

/// A partial application's arguments with its `?` holes filled in order.
fn fill_holes(bound: &[Option<Option<Value>>], args: Vec<Option<Value>>) -> Vec<Option<Value>> {
    let mut supplied = args.into_iter();
    bound
        .iter()
        .map(|b| match b {
            Some(v) => v.clone(),
            None => supplied.next().flatten(),
        })
        .collect()
}

fn procedure_name(procedure: &Node) -> Option<String> {
    match &procedure.kind {
        Kind::Path(steps) => match steps.first().map(|s| &s.kind) {
            Some(Kind::Name(n)) => Some(n.clone()),
            _ => None,
        },
        Kind::Variable(n) => Some(n.clone()),
        _ => None,
    }
}

/// A copy with fresh objects and arrays (so the transform's edits find
/// them by identity).
pub(crate) fn deep_copy(value: &Value) -> Value {
    match value {
        Value::Array(a) => Value::array(a.items.iter().map(deep_copy).collect(), 0),
        Value::Object(map) => Value::object(
            map.iter()
                .map(|(k, v)| (Rc::clone(k), deep_copy(v)))
                .collect(),
        ),
        Value::Function(_) => Value::string(""),
        other => other.clone(),
    }
}

fn rebuild(value: &Value, edits: &[(*const Object, Object, Vec<String>)]) -> Value {
    match value {
        Value::Array(a) => {
            Value::array(a.items.iter().map(|v| rebuild(v, edits)).collect(), a.flags)
        }
        Value::Object(map) => {
            let mut out: Object = map
                .iter()
                .map(|(k, v)| (Rc::clone(k), rebuild(v, edits)))
                .collect();
            let ptr = Rc::as_ptr(map);
            for (_, update, deletions) in edits.iter().filter(|(p, _, _)| *p == ptr) {
                for (k, v) in update {
                    out.insert(Rc::clone(k), v.clone());
                }
                for d in deletions {
                    out.shift_remove(d.as_str());
                }
            }
            Value::object(out)
        }
        other => other.clone(),
    }
}
