//! The local engine as the workflow's [`Executions`] port: what Step
//! Functions' `SendTaskSuccess`, `SendTaskFailure` and `StartExecution` do
//! in AWS, so that a decision takes the same step ([`decide`]) here and
//! there.
//!
//! [`decide`]: responder_workflow::steps::decide

use std::sync::Arc;

use responder_sfn::{Definition, Engine, EngineError};
use responder_workflow::error::names;
use responder_workflow::ports::Executions;
use responder_workflow::{Error, Result};
use serde_json::Value;

/// The state machine's name in execution ARNs.
pub const STATE_MACHINE: &str = "IncidentResponse";

#[derive(Debug, Clone)]
pub struct LocalExecutions {
    pub engine: Arc<Engine>,
    pub definition: Arc<Definition>,
}

/// A token whose task no longer waits is `Approval.Expired`, as the AWS
/// adapter names Step Functions' `TaskTimedOut` and `TaskDoesNotExist`.
fn callback_error(e: EngineError) -> Error {
    match e {
        EngineError::TaskDoesNotExist(_)
        | EngineError::TaskTimedOut
        | EngineError::InvalidToken(_) => Error::new(
            names::APPROVAL_EXPIRED,
            format!("the approval no longer waits ({e})"),
        ),
        EngineError::InvalidOutput(_) => Error::new(names::CALLBACK_FAILED, e.to_string()),
        other => Error::new(names::CALLBACK_TRANSIENT, other.to_string()),
    }
}

impl Executions for LocalExecutions {
    async fn send_task_success(&self, token: &str, output: &Value) -> Result<()> {
        self.engine
            .send_task_success(token, output.clone())
            .map(|_| ())
            .map_err(callback_error)
    }

    async fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> Result<()> {
        self.engine
            .send_task_failure(token, error, cause)
            .map(|_| ())
            .map_err(callback_error)
    }

    /// The engine keeps each token's answer: one there was taken, whether
    /// or not its execution has moved on since.
    async fn answered_before(&self, token: &str) -> Result<Option<bool>> {
        self.engine
            .task_answered(token)
            .map(Some)
            .map_err(|e| Error::new(names::CALLBACK_TRANSIENT, e.to_string()))
    }

    /// The engine gives a running execution of the same name and input
    /// back; another input under a used name is `None`, as in AWS.
    async fn start(&self, name: &str, input: &Value) -> Result<Option<String>> {
        match self
            .engine
            .start(&self.definition, STATE_MACHINE, Some(name), input.clone())
        {
            Ok(id) => Ok(Some(id)),
            Err(EngineError::ExecutionAlreadyExists(_)) => Ok(None),
            Err(EngineError::InvalidExecutionInput(m)) => Err(Error::invalid_input(m)),
            Err(other) => Err(Error::new(names::CALLBACK_TRANSIENT, other.to_string())),
        }
    }
}
