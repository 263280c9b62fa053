//! Step Functions: SendTaskSuccess and SendTaskFailure for approvals, and
//! StartExecution under a name derived from the alert's dedup key, so that
//! a redelivered alert starts nothing new.

use aws_sdk_sfn::Client;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use responder_workflow::ports::Executions;
use responder_workflow::{Error, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{Failure, named};

/// A task token that no longer waits (answered, timed out, or not one).
pub const APPROVAL_EXPIRED: responder_workflow::error::ErrorName =
    responder_workflow::error::names::APPROVAL_EXPIRED;
pub const CALLBACK_TRANSIENT: responder_workflow::error::ErrorName =
    responder_workflow::error::names::CALLBACK_TRANSIENT;
pub const CALLBACK_FAILED: responder_workflow::error::ErrorName =
    responder_workflow::error::names::CALLBACK_FAILED;

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

    /// Step Functions answers `TaskTimedOut` for a token answered and for
    /// one that timed out alike, and keeps no answer to ask for.
    async fn answered_before(&self, _token: &str) -> Result<Option<bool>> {
        Ok(None)
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

/// The most history events read for one execution's view.
const MAX_HISTORY_EVENTS: usize = 5000;

impl SfnExecutions {
    /// Starts an execution under a fresh name (`api-` and a UUID): the
    /// workflow itself deduplicates the alerts it carries.
    pub async fn start_fresh(&self, input: &Value) -> Result<String> {
        let name = format!("api-{}", uuid_v4());
        self.start(&name, input).await?.ok_or_else(|| {
            Error::new(
                CALLBACK_FAILED,
                format!("StartExecution: the name {name} was taken"),
            )
        })
    }

    /// An execution as the console shows it: `DescribeExecution` and its
    /// history events (oldest first, at most 5000). `None` if unknown.
    pub async fn view(&self, arn: &str) -> Result<Option<Value>> {
        let described = match self
            .client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(aws_sdk_sfn::operation::describe_execution::DescribeExecutionError::ExecutionDoesNotExist(_))
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(crate::error::named("DescribeExecution", &e, CALLBACK_TRANSIENT, CALLBACK_FAILED)),
        };
        let mut events = Vec::new();
        let mut pages = self
            .client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(1000)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                crate::error::named(
                    "GetExecutionHistory",
                    &e,
                    CALLBACK_TRANSIENT,
                    CALLBACK_FAILED,
                )
            })?;
            events.extend(page.events().iter().map(event_view));
            if events.len() >= MAX_HISTORY_EVENTS {
                break;
            }
        }
        let status = described.status().as_str().to_owned();
        let current_state = (status == "RUNNING")
            .then(|| responder_workflow::backend::current_state(&events))
            .flatten();
        let parse = |text: Option<&str>| {
            text.map(|t| {
                serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_owned()))
            })
        };
        Ok(Some(json!({
            "execution_id": described.execution_arn(),
            "name": described.name(),
            "state_machine": described.state_machine_arn(),
            "status": status,
            "current_state": current_state,
            "started_at": described.start_date().fmt(aws_smithy_types::date_time::Format::DateTime).ok(),
            "stopped_at": described.stop_date().and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
            "input": parse(described.input()),
            "output": parse(described.output()),
            "error": described.error().map(|e| json!({"error": e, "cause": described.cause()})),
            "events": events,
        })))
    }
}

/// One history event: its type, and from its details the state's name,
/// input and output, or the error and cause.
fn event_view(event: &aws_sdk_sfn::types::HistoryEvent) -> Value {
    let parse = |text: Option<&str>| {
        text.map(|t| {
            serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_owned()))
        })
    };
    let mut view = serde_json::Map::new();
    view.insert("id".into(), json!(event.id()));
    view.insert("previous_event_id".into(), json!(event.previous_event_id()));
    view.insert(
        "timestamp".into(),
        json!(
            event
                .timestamp()
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .ok()
        ),
    );
    view.insert("type".into(), json!(event.r#type().as_str()));
    if let Some(d) = event.state_entered_event_details() {
        view.insert("name".into(), json!(d.name()));
        view.insert("input".into(), json!(parse(d.input())));
    }
    if let Some(d) = event.state_exited_event_details() {
        view.insert("name".into(), json!(d.name()));
        view.insert("output".into(), json!(parse(d.output())));
    }
    // A Map iteration's events name the Map; EvaluationFailed its state.
    let iteration = event
        .map_iteration_started_event_details()
        .or_else(|| event.map_iteration_succeeded_event_details())
        .or_else(|| event.map_iteration_failed_event_details())
        .or_else(|| event.map_iteration_aborted_event_details());
    if let Some(d) = iteration {
        view.insert("name".into(), json!(d.name()));
        view.insert("index".into(), json!(d.index()));
    }
    if let Some(d) = event.evaluation_failed_event_details() {
        view.insert("name".into(), json!(d.state()));
    }
    let failure = event
        .lambda_function_failed_event_details()
        .map(|d| (d.error(), d.cause()))
        .or_else(|| {
            event
                .lambda_function_timed_out_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .or_else(|| {
            event
                .evaluation_failed_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .or_else(|| {
            event
                .task_failed_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .or_else(|| {
            event
                .execution_failed_event_details()
                .map(|d| (d.error(), d.cause()))
        })
        .or_else(|| {
            event
                .task_timed_out_event_details()
                .map(|d| (d.error(), d.cause()))
        });
    if let Some((error, cause)) = failure {
        view.insert("error".into(), json!(error));
        view.insert("cause".into(), json!(cause));
    }
    Value::Object(view)
}

/// A UUID-shaped name that differs per call: the clock's nanoseconds, the
/// process and a counter, through SHA-256 (names must be unique, not secret).
fn uuid_v4() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = format!(
        "{}:{}:{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let hex: String = Sha256::digest(seed.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    format!(
        "{}-{}-4{}-8{}-{}",
        part(0..8),
        part(8..12),
        part(13..16),
        part(17..20),
        part(20..32)
    )
}
