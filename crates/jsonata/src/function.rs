//! Function values (lambdas, built-ins, host functions, partial
//! applications, regular expressions, transforms) and the frames that hold
//! variable bindings.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::{LambdaDef, TransformDef};
use crate::error::Result;
use crate::functions::Builtin;
use crate::signature::Signature;
use crate::value::Value;

/// A function given by the host (see [`crate::Environment::function`]).
pub struct HostFunction {
    pub name: String,
    pub signature: Option<Signature>,
    pub arity: usize,
    #[allow(clippy::type_complexity)]
    pub call: Rc<dyn Fn(&[Option<Value>]) -> Result<Option<Value>>>,
}

impl fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostFunction({})", self.name)
    }
}

#[allow(private_interfaces)] // Function values are opaque to the host.
pub enum Function {
    Lambda {
        def: Arc<LambdaDef>,
        /// After a partial application: the parameters still to bind.
        params: Option<Rc<Vec<Arc<str>>>>,
        env: Env,
        input: Option<Value>,
    },
    Builtin(&'static Builtin),
    Host(Rc<HostFunction>),
    /// A function with some arguments bound; `None` marks a `?`.
    Partial {
        target: Rc<Function>,
        args: Vec<Option<Option<Value>>>,
    },
    Regex(Arc<regex::Regex>),
    Transform {
        def: Arc<TransformDef>,
        env: Env,
    },
    /// `f ~> g` of two functions: `g(f(x))`.
    Chain(Rc<Function>, Rc<Function>),
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lambda { .. } => f.write_str("lambda"),
            Self::Builtin(b) => write!(f, "${}", b.name),
            Self::Host(h) => write!(f, "${}", h.name),
            Self::Partial { .. } => f.write_str("partial"),
            Self::Regex(r) => write!(f, "/{}/", r.as_str()),
            Self::Transform { .. } => f.write_str("transform"),
            Self::Chain(..) => f.write_str("chain"),
        }
    }
}

impl Function {
    /// How many arguments a higher-order function passes it (the value,
    /// then the index, then the whole array, as far as it takes them).
    pub fn arity(&self) -> usize {
        match self {
            Self::Lambda { def, params, .. } => {
                params.as_ref().map_or(def.params.len(), |p| p.len())
            }
            Self::Builtin(b) => b.arity,
            Self::Host(h) => h.arity,
            Self::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Self::Regex(_) | Self::Transform { .. } | Self::Chain(..) => 1,
        }
    }
}

/// Variable bindings, chained to the enclosing scope.
pub struct Frame {
    vars: RefCell<Vec<(Rc<str>, Option<Value>)>>,
    parent: Option<Env>,
}

pub type Env = Rc<Frame>;

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Frame")
    }
}

impl Frame {
    pub fn root() -> Env {
        Rc::new(Self {
            vars: RefCell::new(Vec::new()),
            parent: None,
        })
    }

    pub fn child(parent: &Env) -> Env {
        Rc::new(Self {
            vars: RefCell::new(Vec::new()),
            parent: Some(Rc::clone(parent)),
        })
    }

    pub fn bind(&self, name: &str, value: Option<Value>) {
        let mut vars = self.vars.borrow_mut();
        match vars.iter_mut().find(|(n, _)| &**n == name) {
            Some(slot) => slot.1 = value,
            None => vars.push((Rc::from(name), value)),
        }
    }

    pub fn bind_rc(&self, name: Rc<str>, value: Option<Value>) {
        let mut vars = self.vars.borrow_mut();
        match vars.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => vars.push((name, value)),
        }
    }

    /// `Some(binding)` if bound here or above (the binding may be undefined).
    pub fn lookup(&self, name: &str) -> Option<Option<Value>> {
        if let Some((_, v)) = self.vars.borrow().iter().find(|(n, _)| &**n == name) {
            return Some(v.clone());
        }
        self.parent.as_ref()?.lookup(name)
    }
}
