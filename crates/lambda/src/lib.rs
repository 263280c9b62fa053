//! The Lambda functions' handlers: each function of the state machine is
//! the workflow step of the same name on the AWS adapters, plus the
//! metrics it emits (CloudWatch Embedded Metric Format). The binaries in
//! `functions/` only read their configuration and call [`run`].
//!
//! The handlers are generic over the ports, so the tests feed them the
//! inputs their states receive (`events/functions/`) on any backend.

pub mod handlers;

/// Every function binary links this crate, so every function allocates with
/// mimalloc: normalization measured 1.14x faster with it than with glibc's
/// malloc (`make bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::future::Future;

pub use lambda_runtime::Error;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use responder_workflow::budget;
use serde_json::Value;

/// A workflow error as Lambda reports it: `errorType` is the name the
/// state machine's Retry and Catch match.
#[derive(Debug)]
pub struct TaskError(pub responder_workflow::Error);

impl From<TaskError> for Diagnostic {
    fn from(e: TaskError) -> Self {
        Diagnostic {
            error_type: e.0.name().into(),
            error_message: e.0.message().to_owned(),
        }
    }
}

/// Runs a handler as the function `function` (its name in the state
/// machine): JSON logs through tracing (Lambda's `AWS_LAMBDA_LOG_FORMAT`/
/// `AWS_LAMBDA_LOG_LEVEL` are honoured), one invocation at a time, each
/// within its budget (`responder_workflow::budget`) and a second before the
/// invocation's own deadline, whichever comes first.
pub async fn run<F, Fut>(function: &'static str, handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = responder_workflow::Result<Value>>,
{
    lambda_runtime::tracing::init_default_subscriber();
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let left = event
            .context
            .deadline()
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default()
            .saturating_sub(std::time::Duration::from_secs(1));
        let budget = budget::of(function).min(left);
        budget::within(function, budget, handler(event.payload))
            .await
            .map_err(TaskError)
    }))
    .await
}

/// Configuration failures at cold start: logged with their name, then the
/// init fails (Lambda reports `Runtime.ExitError` and retries the init).
pub fn config_failure(e: responder_workflow::Error) -> lambda_runtime::Error {
    Box::new(e)
}
