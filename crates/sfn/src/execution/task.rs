//! Task states: the dispatch of a task, its callback token, timeouts and
//! heartbeats, and the answer that completes it, with the events AWS
//! records (`LambdaFunction*` for a Lambda function ARN as the resource,
//! `Task*` for service integrations).

use serde_json::json;

use crate::definition::{Io, Kind, Seconds, Target, Task};
use crate::error::names;

use super::query::States;
use super::*;

/// The event names of a task, by what it calls.
struct Names {
    scheduled: &'static str,
    started: &'static str,
    succeeded: &'static str,
    failed: &'static str,
    timed_out: &'static str,
}

fn names_of(task: &Task) -> Names {
    if matches!(task.target, Target::LambdaFunction(_)) {
        Names {
            scheduled: "LambdaFunctionScheduled",
            started: "LambdaFunctionStarted",
            succeeded: "LambdaFunctionSucceeded",
            failed: "LambdaFunctionFailed",
            timed_out: "LambdaFunctionTimedOut",
        }
    } else {
        Names {
            scheduled: "TaskScheduled",
            started: "TaskStarted",
            succeeded: "TaskSucceeded",
            failed: "TaskFailed",
            timed_out: "TaskTimedOut",
        }
    }
}

/// `(resourceType, resource)` as AWS's events give them: for
/// `arn:aws:states:::sqs:sendMessage.waitForTaskToken`, `sqs` and
/// `sendMessage.waitForTaskToken`.
fn aws_resource(task: &Task) -> (Option<String>, String) {
    if matches!(task.target, Target::LambdaFunction(_)) {
        return (None, task.resource.clone());
    }
    match task
        .resource
        .strip_prefix("arn:aws:states:::")
        .and_then(|rest| rest.rsplit_once(':'))
    {
        Some((service, action)) => (Some(service.to_owned()), action.to_owned()),
        None => (
            Some(crate::handler::resource_type(&task.target).to_owned()),
            task.resource.clone(),
        ),
    }
}

/// Details naming the task's resource (none for a Lambda function's).
fn resource_details(task: &Task) -> Details {
    if matches!(task.target, Target::LambdaFunction(_)) {
        return Details::default();
    }
    match aws_resource(task) {
        (None, _) => Details::default(),
        (kind, resource) => Details {
            resource: Some(resource),
            ..Details::with(More {
                resource_type: kind,
                ..More::default()
            })
        },
    }
}

pub(super) fn start_task(
    run: &mut Run<'_>,
    th: &mut Thread,
    task: &Task,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let token = task.callback.then(|| new_token(run));
    let effective = match &state.io {
        Io::Path(io) => path_effective_input(run, th, io, token.as_deref())?,
        Io::Jsonata(io) => match &io.arguments {
            None => th.input.clone(),
            Some(args) => {
                let states = States {
                    token: token.as_deref(),
                    ..States::default()
                };
                query::evaluate(run, th, args, states, "Arguments")?
            }
        },
    };
    check_size(&effective, "input", &state.name)?;
    // `...Path` timeouts read the state's input after InputPath.
    let reads_paths = matches!(task.timeout, Some(Seconds::Path(_)))
        || matches!(task.heartbeat, Some(Seconds::Path(_)));
    let data = match &state.io {
        Io::Path(io) if reads_paths => select_input(run, th, &io.input_path, "InputPath")?,
        _ => Value::Null,
    };
    let timeout = read_seconds(run, th, &data, &task.timeout, "TimeoutSeconds")?;
    let heartbeat = read_seconds(run, th, &data, &task.heartbeat, "HeartbeatSeconds")?;
    let invocation = run.tracker.next_invocation;
    run.tracker.next_invocation += 1;
    let lambda = matches!(task.target, Target::LambdaFunction(_));
    let (kind, resource) = aws_resource(task);
    // The state's input as it entered, when the task gets it whole.
    let input_text = if effective == th.input {
        th.input_payload()
    } else {
        Payload::new(&effective)
    };
    emit(
        run,
        th,
        names_of(task).scheduled,
        Details {
            input: Some(input_text),
            resource: Some(resource),
            // A service integration always has a kind (and a region).
            more: (kind.is_some() || timeout.is_some()).then(|| {
                Box::new(More {
                    resource_type: kind,
                    region: (!lambda).then(|| REGION.to_owned()),
                    timeout_seconds: timeout,
                    heartbeat_seconds: if lambda { None } else { heartbeat },
                    ..More::default()
                })
            }),
            ..Details::default()
        },
    );
    th.step = Step::Task(TaskStep {
        invocation,
        effective,
        token,
        phase: Phase::Ready,
        timeout_at: timeout.map(|s| run.now + seconds(s)),
        heartbeat_seconds: heartbeat,
        heartbeat_at: heartbeat.map(|s| run.now + seconds(s)),
    });
    Ok(())
}

/// An opaque token: 48 random bytes, base64url. Long like AWS's, and
/// unguessable when the engine's random source is the OS's.
fn new_token(run: &mut Run<'_>) -> String {
    use base64::Engine as _;
    let bytes: Vec<u8> = (0..6)
        .flat_map(|_| run.random.next_u64().to_le_bytes())
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn poll_task(run: &mut Run<'_>, th: &mut Thread, path: &[usize]) -> bool {
    let state = state(run, th);
    let Kind::Task(task) = &state.kind else {
        return false;
    };
    let Step::Task(step) = &mut th.step else {
        return false;
    };
    match step.phase {
        Phase::Ready => {
            step.phase = Phase::InFlight;
            let (function, input) = match &task.target {
                Target::LambdaInvoke => (
                    step.effective
                        .get("FunctionName")
                        .and_then(Value::as_str)
                        .map(crate::definition::function_name),
                    step.effective
                        .get("Payload")
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
                Target::LambdaFunction(name) => (Some(name.clone()), step.effective.clone()),
                Target::Service(_) => (None, step.effective.clone()),
            };
            run.dispatches.push(Dispatch {
                path: path.to_vec(),
                invocation: step.invocation,
                callback: task.callback,
                request: TaskRequest {
                    execution_id: run.ident.id.to_owned(),
                    state: state.name.clone(),
                    resource: task.resource.clone(),
                    function,
                    input,
                    token: step.token.clone(),
                    attempt: th.retry_count,
                },
            });
            emit(run, th, names_of(task).started, resource_details(task));
            false
        }
        Phase::InFlight | Phase::AwaitingCallback => {
            let timed_out = step.timeout_at.is_some_and(|t| run.now >= t);
            let heartbeat_missed = step.heartbeat_at.is_some_and(|t| run.now >= t);
            if !timed_out && !heartbeat_missed {
                return false;
            }
            let error = if timed_out {
                StatesError::new(
                    names::TIMEOUT,
                    format!("The task of state '{}' timed out", state.name),
                )
            } else {
                StatesError::new(
                    names::HEARTBEAT_TIMEOUT,
                    format!(
                        "The task of state '{}' sent no heartbeat in time",
                        state.name
                    ),
                )
            };
            run.retired_tokens.extend(step.token.clone());
            fail_with_event(
                run,
                th,
                names_of(task).timed_out,
                resource_details(task),
                error,
            );
            true
        }
    }
}

/// Applies an answer to the task at `path`; stale answers (an earlier
/// attempt, a task that timed out) are ignored. Returns whether it applied.
pub(crate) fn deliver(
    run: &mut Run<'_>,
    root: &mut Thread,
    path: &[usize],
    invocation: u64,
    delivery: Delivery,
) -> bool {
    let Some(th) = root.find(path) else {
        return false;
    };
    let state = state(run, th);
    let Kind::Task(task) = &state.kind else {
        return false;
    };
    let Step::Task(step) = &mut th.step else {
        return false;
    };
    if step.invocation != invocation {
        return false;
    }
    let result = match (step.phase, delivery) {
        (Phase::InFlight, Delivery::Handler { result, wrapped }) => {
            if task.callback {
                match result {
                    Ok(response) => {
                        step.phase = Phase::AwaitingCallback;
                        let details = Details {
                            output: Some(Payload::new(&response)),
                            ..resource_details(task)
                        };
                        emit(run, th, "TaskSubmitted", details);
                        return true;
                    }
                    Err(e) => Err(e),
                }
            } else if task.target == Target::LambdaInvoke && !wrapped {
                result.map(lambda_envelope)
            } else {
                result
            }
        }
        (Phase::AwaitingCallback, Delivery::Success(output)) => Ok(output),
        (Phase::AwaitingCallback, Delivery::Failure(error)) => Err(error),
        (Phase::AwaitingCallback, Delivery::Heartbeat(at)) => {
            if let Some(s) = step.heartbeat_seconds {
                step.heartbeat_at = Some(at + seconds(s));
            }
            return true;
        }
        _ => return false,
    };
    run.retired_tokens.extend(step.token.clone());
    match result {
        Ok(value) => {
            if let Err(e) = check_size(&value, "task result", &state.name) {
                fail(run, th, e);
                return true;
            }
            // A result equal to the input (a handler that passes it on)
            // shares the input's text.
            let text = if value == th.input {
                th.input_payload()
            } else {
                Payload::new(&value)
            };
            let details = Details {
                output: Some(text.clone()),
                ..resource_details(task)
            };
            emit(run, th, names_of(task).succeeded, details);
            finish_result(run, th, value, Some(text));
        }
        Err(error) => {
            fail_with_event(
                run,
                th,
                names_of(task).failed,
                resource_details(task),
                error,
            );
        }
    }
    true
}

/// The response `lambda:invoke` gives: the function's output under `Payload`.
fn lambda_envelope(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": { "HttpHeaders": {}, "HttpStatusCode": 200 },
        "SdkResponseMetadata": {},
        "StatusCode": 200,
    })
}
