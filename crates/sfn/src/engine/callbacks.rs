//! Answers to task tokens (`SendTaskSuccess`, `SendTaskFailure`,
//! `SendTaskHeartbeat`) and `StopExecution`.

use serde_json::Value;

use super::Engine;
use crate::error::{EngineError, StatesError};
use crate::execution::{Delivery, Execution, MAX_PAYLOAD_BYTES, Status, json_size};

impl Engine {
    /// `SendTaskSuccess`: returns the execution to resume with [`run`](Self::run).
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<String, EngineError> {
        let size = json_size(&output);
        if size > MAX_PAYLOAD_BYTES {
            return Err(EngineError::InvalidOutput(format!(
                "the output has {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes (256 KiB)"
            )));
        }
        check_token(token)?;
        self.store.answer(token, &Delivery::Success(output))
    }

    /// `SendTaskFailure`: the task fails with `error` (matched by Retry and
    /// Catch) and `cause`.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<String, EngineError> {
        check_token(token)?;
        if error.chars().count() > 256 || cause.chars().count() > 32_768 {
            return Err(EngineError::InvalidOutput(
                "error has at most 256 characters and cause at most 32768".to_owned(),
            ));
        }
        self.store
            .answer(token, &Delivery::Failure(StatesError::new(error, cause)))
    }

    /// Whether the task of `token` took an answer, kept after its execution
    /// moved on: after `TaskDoesNotExist`, it tells an answer already given
    /// from a task that ended without one (Step Functions cannot).
    pub fn task_answered(&self, token: &str) -> Result<bool, EngineError> {
        self.store.answered(token)
    }

    /// `SendTaskHeartbeat`: restarts the task's `HeartbeatSeconds` count.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<String, EngineError> {
        check_token(token)?;
        self.store
            .answer(token, &Delivery::Heartbeat(self.clock.now()))
    }

    /// Marks a running execution as aborted (`StopExecution`).
    pub fn stop(&self, id: &str, error: &str, cause: &str) -> Result<Execution, EngineError> {
        let (mut exec, text) = self
            .store
            .load(id)?
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(id.to_owned()))?;
        if exec.status == Status::Running {
            self.close(&exec, false)?;
            exec.finish(
                self.clock.now(),
                Status::Aborted,
                Err(StatesError::new(error, cause)),
            );
            self.store.save(&exec, &text)?;
        }
        Ok(exec)
    }
}

fn check_token(token: &str) -> Result<(), EngineError> {
    if token.is_empty() || token.len() > 2048 {
        return Err(EngineError::InvalidToken(format!(
            "a task token has 1 to 2048 characters, this one has {}",
            token.len()
        )));
    }
    Ok(())
}
