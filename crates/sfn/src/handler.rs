//! How Task states reach code: one trait, keyed by function or resource.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::definition::Target;
use crate::error::StatesError;

/// One task invocation.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    pub execution_id: String,
    pub state: String,
    pub resource: String,
    /// The Lambda function, for `lambda:invoke` (its `FunctionName`) and for
    /// a function ARN as the resource.
    pub function: Option<String>,
    /// The state's effective input: for `lambda:invoke`, the `Payload`.
    pub input: Value,
    /// For `.waitForTaskToken`: the token to hand to whoever will answer.
    pub token: Option<String>,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    pub attempt: u32,
}

/// Runs tasks. An error's name is what `Retry` and `Catch` match on.
pub trait TaskHandler: Send + Sync + Debug {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>>;
}

type Function =
    Arc<dyn Fn(TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>> + Send + Sync>;

/// Handlers registered by function name (or by resource for other
/// integrations). An unknown name fails the task with `States.Runtime`: it
/// is a deployment mistake, not something to retry.
#[derive(Default, Clone)]
pub struct Registry {
    functions: HashMap<String, Function>,
}

impl Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.functions.keys().collect();
        names.sort();
        f.debug_struct("Registry")
            .field("functions", &names)
            .finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an async handler.
    pub fn register<F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>>
            + Send
            + Sync
            + 'static,
    {
        self.functions.insert(name.into(), Arc::new(handler));
        self
    }

    /// Registers a handler that answers at once.
    pub fn register_fn<F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(TaskRequest) -> Result<Value, StatesError> + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        self.register(name, move |request| {
            let result = handler(request);
            Box::pin(async move { result })
        })
    }
}

impl TaskHandler for Registry {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, StatesError>> {
        let key = request.function.as_deref().unwrap_or(&request.resource);
        match self.functions.get(key) {
            Some(f) => f(request),
            None => {
                let error = StatesError::runtime(format!(
                    "no task handler is registered for '{key}' (state '{}')",
                    request.state
                ));
                Box::pin(async move { Err(error) })
            }
        }
    }
}

/// The kind of target, for history events.
pub(crate) fn resource_type(target: &Target) -> &'static str {
    match target {
        Target::LambdaInvoke | Target::LambdaFunction(_) => "lambda",
        Target::Service(_) => "service",
    }
}
