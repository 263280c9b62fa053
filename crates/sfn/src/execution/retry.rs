//! Errors in a state: Retry, then Catch, then the thread fails. A Map or
//! Parallel state records its `...StateFailed` event only when it is not
//! retried and the error is not terminal, as AWS does.

use serde_json::json;

use crate::definition::{Assign, CatchResult, Catcher, Kind};

use super::query::States;
use super::*;

/// Records a task's failure event (`TaskFailed`, `LambdaFunctionTimedOut`,
/// ...) with the error, then lets the state's Retry and Catch decide.
pub(super) fn fail_with_event(
    run: &mut Run<'_>,
    th: &mut Thread,
    kind: &'static str,
    details: Details,
    error: StatesError,
) {
    emit(run, th, kind, details.failed(&error.error, &error.cause));
    fail(run, th, error);
}

/// An error in the current state: a matching retrier waits and tries again;
/// else a matching catcher moves on; else the thread fails.
pub(super) fn fail(run: &mut Run<'_>, th: &mut Thread, error: StatesError) {
    let state = state(run, th);
    let (handlers, failed_event) = match &state.kind {
        Kind::Task(t) => (Some(&t.handlers), None),
        Kind::Parallel { handlers, .. } => (Some(handlers), Some("ParallelStateFailed")),
        Kind::Map(m) => (Some(&m.handlers), Some("MapStateFailed")),
        _ => (None, None),
    };
    let handlers = handlers.filter(|_| !error.is_terminal());
    if let Some(handlers) = handlers {
        for (i, retrier) in handlers.retry.iter().enumerate() {
            if !retrier.errors.iter().any(|e| error.matches(e)) {
                continue;
            }
            let used = th.retries.get(i).copied().unwrap_or(0);
            if used < retrier.max_attempts {
                let mut delay = retrier.interval_seconds
                    * retrier
                        .backoff_rate
                        .powi(i32::try_from(used).unwrap_or(i32::MAX));
                if let Some(max) = retrier.max_delay_seconds {
                    delay = delay.min(max);
                }
                if retrier.full_jitter {
                    let fraction = (random(run) >> 11) as f64 / (1u64 << 53) as f64;
                    delay *= fraction;
                }
                if let Some(n) = th.retries.get_mut(i) {
                    *n += 1;
                }
                th.retry_count += 1;
                run.tracker.transitions += 1;
                let millis = (delay * 1000.0).round().min(1e15) as i64;
                th.step = Step::Sleep {
                    until: run.now + Duration::milliseconds(millis),
                    retry: true,
                };
                return;
            }
            // The first matching retrier decides, even when it is used up.
            break;
        }
    }
    // A terminal error (States.Runtime) fails the execution at once: AWS
    // records no `MapStateFailed` or `ParallelStateFailed` for it.
    if let Some(kind) = failed_event
        && !error.is_terminal()
    {
        emit(run, th, kind, Details::default());
    }
    if let Some(handlers) = handlers
        && let Some(catcher) = handlers
            .catch
            .iter()
            .find(|c| c.errors.iter().any(|e| error.matches(e)))
    {
        catch(run, th, catcher, &error);
        return;
    }
    th.finish(Err(error));
}

/// Leaves the state through a catcher: the error output placed as its
/// `ResultPath` (JSONPath) or `Output` (JSONata) says, its `Assign` done.
fn catch(run: &mut Run<'_>, th: &mut Thread, catcher: &Catcher, error: &StatesError) {
    let state = state(run, th);
    let error_output = json!({ "Error": error.error, "Cause": error.cause });
    let outcome = match &catcher.result {
        CatchResult::Path(result_path) => {
            let output = match result_path {
                None => Ok(th.input.clone()),
                Some(p) if p.is_root() => Ok(error_output.clone()),
                Some(p) => {
                    let mut base = th.input.clone();
                    p.write(&mut base, error_output.clone())
                        .map(|()| base)
                        .map_err(|e| {
                            StatesError::runtime(format!("{e} (Catch of state '{}')", state.name))
                        })
                }
            };
            output.and_then(|o| {
                Ok((
                    o,
                    path_assign(run, th, catcher.assign.as_ref(), &error_output)?,
                ))
            })
        }
        CatchResult::Jsonata(output) => {
            let states = States {
                error_output: Some(&error_output),
                ..States::default()
            };
            let out = match output {
                Some(o) => query::evaluate(run, th, o, states, "Output"),
                None => Ok(error_output.clone()),
            };
            let assigned = match &catcher.assign {
                Some(Assign::Jsonata(fields)) => {
                    query::evaluate_all(run, th, fields, states, "Assign")
                }
                _ => Ok(Vec::new()),
            };
            out.and_then(|o| Ok((o, assigned?)))
        }
    };
    match outcome {
        Ok((output, assigned)) => leave(run, th, output, assigned, Some(catcher.next)),
        Err(e) => th.finish(Err(e)),
    }
}
