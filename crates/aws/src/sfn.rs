//! Step Functions: SendTaskSuccess and SendTaskFailure for approvals, and
//! StartExecution under a name derived from the alert's dedup key, so that
//! a redelivered alert starts nothing new.

use aws_sdk_sfn::Client;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use responder_workflow::ports::Executions;
use responder_workflow::{Error, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Failure, named};

/// A task token that no longer waits (answered, timed out, or not one).
pub const APPROVAL_EXPIRED: &str = "Approval.Expired";
pub const CALLBACK_TRANSIENT: &str = "Callback.Transient";
pub const CALLBACK_FAILED: &str = "Callback.Failed";

/// SendTaskFailure's limits on `error` and `cause`.
const MAX_ERROR_CHARS: usize = 256;
const MAX_CAUSE_CHARS: usize = 32_768;

#[derive(Debug, Clone)]
pub struct SfnExecutions {
    client: Client,
    state_machine_arn: String,
}

impl SfnExecutions {
    pub fn new(client: Client, state_machine_arn: String) -> Self {
        Self {
            client,
            state_machine_arn,
        }
    }

    pub fn from_sdk(sdk: &aws_config::SdkConfig, env: &crate::config::Env) -> Result<Self> {
        Ok(Self::new(
            Client::new(sdk),
            env.required("STATE_MACHINE_ARN")?,
        ))
    }
}

/// `alert-` and 40 hex digits of SHA-256 of the dedup key: names are at
/// most 80 characters, without `:` or `/`, and unique per state machine
/// for 90 days after the execution closes.
pub fn execution_name(dedup_key: &str) -> String {
    let digest = Sha256::digest(dedup_key.as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("alert-{hex}")
}

fn callback_error<E, R>(
    operation: &str,
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> Error
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let failure = Failure::of(operation, e);
    if ["TaskDoesNotExist", "TaskTimedOut", "InvalidToken"]
        .iter()
        .any(|code| failure.is(code))
    {
        return Error::new(
            APPROVAL_EXPIRED,
            format!("{operation}: the approval no longer waits (decided, timed out or unknown)"),
        );
    }
    failure.named(CALLBACK_TRANSIENT, CALLBACK_FAILED)
}

impl Executions for SfnExecutions {
    async fn send_task_success(&self, token: &str, output: &Value) -> Result<()> {
        self.client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await
            .map_err(|e| callback_error("SendTaskSuccess", &e))?;
        Ok(())
    }

    async fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> Result<()> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let cause: String = cause.chars().take(MAX_CAUSE_CHARS).collect();
        self.client
            .send_task_failure()
            .task_token(token)
            .error(error)
            .cause(cause)
            .send()
            .await
            .map_err(|e| callback_error("SendTaskFailure", &e))?;
        Ok(())
    }

    async fn start(&self, name: &str, input: &Value) -> Result<Option<String>> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(out.execution_arn().to_owned())),
            // Started before under this name: the alert is already handled.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StartExecutionError::ExecutionAlreadyExists(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(named(
                "StartExecution",
                &e,
                CALLBACK_TRANSIENT,
                CALLBACK_FAILED,
            )),
        }
    }
}
