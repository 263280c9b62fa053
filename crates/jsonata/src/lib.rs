//! JSONata 2.0: parse an expression once, evaluate it against JSON.
//!
//! ```
//! use responder_jsonata::{Environment, Expression};
//! let expr = Expression::parse("Account.Order.Product.Price ~> $sum()").unwrap();
//! let data = serde_json::json!({"Account": {"Order": [
//!     {"Product": [{"Price": 10}, {"Price": 5}]},
//!     {"Product": {"Price": 1.5}}
//! ]}});
//! let total = expr.evaluate(Some(&data), &Environment::new()).unwrap();
//! assert_eq!(total, Some(serde_json::json!(16.5)));
//! ```
//!
//! The host binds variables (eagerly or through a resolver), adds its own
//! functions, and sets the clock, the random source and the limits on
//! recursion depth and time. A parsed [`Expression`] is `Send + Sync`;
//! evaluation runs on one thread. Errors carry JSONata's codes.

mod ancestry;
mod ast;
mod error;
mod eval;
mod function;
mod functions;
mod json;
mod lexer;
mod parser;
mod process;
mod signature;
mod stack;
mod value;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use error::{Error, Result};
pub use function::HostFunction;
pub use json::number_to_string;
pub use signature::Signature;
pub use stack::DEFAULT_STACK_BUDGET;
pub use value::{Object, Value};

use ast::Node;
use eval::Evaluator;
use function::{Env, Frame, Function};

/// A parsed expression.
#[derive(Debug)]
pub struct Expression {
    root: Node,
}

impl Expression {
    /// Parses `text`; a syntax error has an `S0...` code.
    pub fn parse(text: &str) -> Result<Self> {
        let raw = parser::Parser::new(text)?.parse()?;
        let root = process::Processor::default().run(raw)?;
        Ok(Self { root })
    }

    /// Evaluates against `input` (`None`: no input). `Ok(None)` is
    /// JSONata's `undefined`.
    pub fn evaluate(
        &self,
        input: Option<&serde_json::Value>,
        env: &Environment<'_>,
    ) -> Result<Option<serde_json::Value>> {
        let input = input.map(Value::from_json);
        Ok(self.evaluate_value(input, env)?.map(|v| v.to_json()))
    }

    /// Evaluates against a [`Value`] (converted from JSON once, if the host
    /// evaluates several expressions against the same input).
    pub fn evaluate_value(
        &self,
        input: Option<Value>,
        env: &Environment<'_>,
    ) -> Result<Option<Value>> {
        let frame = Frame::root();
        frame.bind("$", input.clone());
        let input = match input {
            Some(Value::Array(a)) if !a.has(value::SEQUENCE) => Some(Value::array(
                vec![Value::Array(a)],
                value::SEQUENCE | value::OUTER_WRAPPER,
            )),
            other => other,
        };
        let mut evaluator = Evaluator::new(env);
        self.eval_in(&mut evaluator, input.as_ref(), &frame)
    }

    pub(crate) fn eval_in(
        &self,
        evaluator: &mut Evaluator<'_>,
        input: Option<&Value>,
        env: &Env,
    ) -> Result<Option<Value>> {
        evaluator.eval(&self.root, input, env)
    }
}

/// A variable resolver: called for a name no binding has.
pub type Resolver<'a> = Box<dyn Fn(&str) -> Option<Value> + 'a>;

/// What an evaluation can see besides its input: variables, host
/// functions, the clock and the random source, and its limits.
pub struct Environment<'a> {
    vars: Vec<(String, Value)>,
    resolver: Option<Resolver<'a>>,
    functions: Vec<Rc<HostFunction>>,
    now: DateTime<Utc>,
    random: Option<Box<dyn Fn() -> f64>>,
    seed: Cell<u64>,
    max_depth: usize,
    stack_budget: usize,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Environment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field(
                "vars",
                &self.vars.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("functions", &self.functions)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Default for Environment<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// The deepest nesting of evaluation by default (the stack budget, in
/// bytes, usually stops a runaway recursion first).
pub const DEFAULT_MAX_DEPTH: usize = 10_000;

impl<'a> Environment<'a> {
    pub fn new() -> Self {
        let now = Utc::now();
        Self {
            vars: Vec::new(),
            resolver: None,
            functions: Vec::new(),
            now,
            random: None,
            seed: Cell::new(now.timestamp_nanos_opt().unwrap_or(1) as u64 | 1),
            max_depth: DEFAULT_MAX_DEPTH,
            stack_budget: DEFAULT_STACK_BUDGET,
            timeout: Some(Duration::from_secs(5)),
        }
    }

    /// Binds `$name` to `value`.
    pub fn bind(&mut self, name: &str, value: Value) -> &mut Self {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_owned(), value));
        self
    }

    pub fn bind_json(&mut self, name: &str, value: &serde_json::Value) -> &mut Self {
        self.bind(name, Value::from_json(value))
    }

    /// Asks `resolver` for variables not bound otherwise.
    pub fn resolver(&mut self, resolver: Resolver<'a>) -> &mut Self {
        self.resolver = Some(resolver);
        self
    }

    /// Adds (or replaces) the function `$name`. `signature` is JSONata's
    /// (`<n-n?:n>`), checked before each call; `arity` is how many
    /// arguments a higher-order function passes it.
    #[allow(clippy::type_complexity)]
    pub fn function(
        &mut self,
        name: &str,
        signature: Option<&str>,
        arity: usize,
        call: Rc<dyn Fn(&[Option<Value>]) -> Result<Option<Value>>>,
    ) -> Result<&mut Self> {
        let signature = signature.map(Signature::parse).transpose()?;
        self.functions.retain(|f| f.name != name);
        self.functions.push(Rc::new(HostFunction {
            name: name.to_owned(),
            signature,
            arity,
            call,
        }));
        Ok(self)
    }

    /// The time `$now()` and `$millis()` give.
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// The source of `$random()` and `$shuffle()`: numbers in [0, 1).
    pub fn with_random(mut self, random: Box<dyn Fn() -> f64>) -> Self {
        self.random = Some(random);
        self
    }

    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// The stack, in bytes, an evaluation may use before it fails with
    /// D1011 (for hosts whose threads have small stacks).
    pub fn with_stack_budget(mut self, bytes: usize) -> Self {
        self.stack_budget = bytes;
        self
    }

    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.vars.iter().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        if let Some(v) = self.resolver.as_ref().and_then(|r| r(name)) {
            return Some(v);
        }
        if let Some(f) = self.functions.iter().find(|f| f.name == name) {
            return Some(Value::Function(Rc::new(Function::Host(Rc::clone(f)))));
        }
        functions::builtin(name).map(|b| Value::Function(Rc::new(Function::Builtin(b))))
    }

    pub(crate) fn random(&self) -> f64 {
        if let Some(r) = &self.random {
            return r();
        }
        // xorshift64*, enough for `$random()` without a host source.
        let mut x = self.seed.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.seed.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}
