//! Running a thread through its states: entering, the work of each state
//! type, and leaving with the output and the variables the state assigns.

use serde_json::json;

use crate::definition::{Assign, Condition, Io, Jsonata, Kind, Seconds, Text, Transition};
use crate::path::Sources;

use super::query::States;
use super::vars::View;
use super::*;

/// Runs the thread until it waits for something or ends.
pub(crate) fn advance(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) {
    while !run.tracker.exhausted && step(run, th, path) {}
}

/// One step of the thread: whether anything happened.
pub(super) fn step(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) -> bool {
    match &th.step {
        Step::Done => false,
        Step::Enter => {
            enter(run, th);
            true
        }
        Step::Work => {
            attempt(run, th);
            true
        }
        Step::Task(_) => poll_task(run, th, path),
        Step::Sleep { until, retry } => {
            if run.now < *until {
                false
            } else if *retry {
                attempt(run, th);
                true
            } else {
                super::wait::wake(run, th);
                true
            }
        }
        Step::Fanout(_) => poll_fanout(run, th, path),
    }
}

fn enter(run: &mut Run<'_>, th: &mut Thread) {
    let state = state(run, th);
    run.tracker.transitions += 1;
    th.entered_at = run.now;
    th.retry_count = 0;
    th.retries.clear();
    let retriers = match &state.kind {
        Kind::Task(t) => t.handlers.retry.len(),
        Kind::Parallel { handlers, .. } => handlers.retry.len(),
        Kind::Map(m) => m.handlers.retry.len(),
        _ => 0,
    };
    th.retries.resize(retriers, 0);
    th.entered_prev = th.last_event;
    let input = th.input_payload();
    th.entered_event = emit(
        run,
        th,
        state_events(&state.kind).0,
        Details {
            name: Some(state.name.clone()),
            input: Some(input),
            ..Details::default()
        },
    );
    th.step = Step::Work;
}

/// Starts (or, after a retry delay, restarts) the state's work.
pub(super) fn attempt(run: &mut Run<'_>, th: &mut Thread) {
    let state = state(run, th);
    let result = match (&state.kind, &state.io) {
        (Kind::Pass { result }, Io::Path(io)) => {
            path_effective_input(run, th, io, None).map(|effective| {
                let value = result.clone().unwrap_or(effective);
                finish_result(run, th, value, None);
            })
        }
        (Kind::Pass { .. }, Io::Jsonata(_)) => {
            leave_jsonata(run, th, None, None, state.assign.as_ref(), None, None);
            Ok(())
        }
        (Kind::Choice { choices, default }, _) => choose(run, th, choices, *default),
        (Kind::Wait(wait), _) => super::wait::start_wait(run, th, wait),
        (Kind::Succeed, Io::Path(io)) => select_input(run, th, &io.input_path, "InputPath")
            .and_then(|data| apply_output_path(run, th, io, data))
            .map(|output| leave(run, th, output, Vec::new(), None)),
        (Kind::Succeed, Io::Jsonata(_)) => {
            leave_jsonata(run, th, None, None, None, None, None);
            Ok(())
        }
        (Kind::Fail { error, cause }, _) => text(run, th, error.as_ref(), "Error").and_then(|e| {
            let c = text(run, th, cause.as_ref(), "Cause")?;
            th.finish(Err(StatesError::new(e, c)));
            Ok(())
        }),
        (Kind::Task(task), _) => start_task(run, th, task),
        (Kind::Parallel { branches, .. }, _) => start_parallel(run, th, branches),
        (Kind::Map(map), _) => start_map(run, th, map),
    };
    if let Err(error) = result {
        fail(run, th, error);
    }
}

/// A Fail state's `Error` or `Cause`.
fn text(
    run: &mut Run<'_>,
    th: &mut Thread,
    text: Option<&Text>,
    field: &str,
) -> Result<String, StatesError> {
    Ok(match text {
        None => String::new(),
        Some(Text::Literal(s)) => s.clone(),
        Some(Text::Path(p)) => match read(run, th, p, &th.input) {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        },
        Some(Text::Jsonata(j)) => match query::evaluate(run, th, j, States::default(), field)? {
            Value::String(s) => s,
            other => other.to_string(),
        },
    })
}

/// A state with a result (Pass, Task, Parallel, Map) is done: its output
/// and variables from the result, then on.
/// `result_text` is the result's history text when already made (a task's
/// result, recorded in its `...Succeeded` event): the output reuses it when
/// it is the result unchanged.
pub(super) fn finish_result(
    run: &mut Run<'_>,
    th: &mut Thread,
    result: Value,
    result_text: Option<Payload>,
) {
    let state = state(run, th);
    match &state.io {
        Io::Path(io) => {
            let root = |p: &Option<crate::path::JsonPath>| p.as_ref().is_some_and(|p| p.is_root());
            let known = match (&io.result_selector, &io.result_path) {
                (None, Some(_)) if root(&io.result_path) && root(&io.output_path) => result_text,
                (_, None) if root(&io.output_path) => Some(th.input_payload()),
                _ => None,
            };
            match path_result(run, th, io, state.assign.as_ref(), result) {
                Ok((output, assigned)) => leave_known(run, th, output, assigned, None, known),
                Err(e) => fail(run, th, e),
            }
        }
        Io::Jsonata(_) => leave_jsonata(
            run,
            th,
            Some(&result),
            None,
            state.assign.as_ref(),
            None,
            result_text,
        ),
    }
}

/// JSONata's `Output` (or `output`, a Choice rule's) and `Assign`, both
/// against the values from before the state; then on to `next`.
pub(super) fn leave_jsonata(
    run: &mut Run<'_>,
    th: &mut Thread,
    result: Option<&Value>,
    output: Option<&Jsonata>,
    assign: Option<&Assign>,
    next: Option<usize>,
    result_text: Option<Payload>,
) {
    let state = state(run, th);
    let states = States {
        result,
        ..States::default()
    };
    let expr = output.or(match &state.io {
        Io::Jsonata(io) => io.output.as_ref(),
        Io::Path(_) => None,
    });
    // Without `Output`, what leaves is the result (or the input) unchanged.
    let known = match (expr, result) {
        (Some(_), _) => None,
        (None, Some(_)) => result_text,
        (None, None) => Some(th.input_payload()),
    };
    let output = match expr {
        Some(e) => query::evaluate(run, th, e, states, "Output"),
        None => Ok(result.cloned().unwrap_or_else(|| th.input.clone())),
    };
    let assigned = match assign {
        Some(Assign::Jsonata(fields)) => query::evaluate_all(run, th, fields, states, "Assign"),
        _ => Ok(Vec::new()),
    };
    match (output, assigned) {
        (Ok(output), Ok(assigned)) => leave_known(run, th, output, assigned, next, known),
        (Err(e), _) | (_, Err(e)) => fail(run, th, e),
    }
}

/// Leaves the current state with `output`, assigning `assigned`: to `next`
/// (a Choice's pick, a Catch's), or to the state's `Next`, or ends the thread.
pub(super) fn leave(
    run: &mut Run<'_>,
    th: &mut Thread,
    output: Value,
    assigned: Vec<(String, Value)>,
    next: Option<usize>,
) {
    leave_known(run, th, output, assigned, next, None);
}

/// [`leave`], with the output's history text when it is already made.
fn leave_known(
    run: &mut Run<'_>,
    th: &mut Thread,
    output: Value,
    assigned: Vec<(String, Value)>,
    next: Option<usize>,
    known: Option<Payload>,
) {
    let state = state(run, th);
    if let Err(e) = check_size(&output, "output", &state.name) {
        th.finish(Err(e));
        return;
    }
    let assigned = if assigned.is_empty() {
        None
    } else {
        match run.tracker.scopes.assign(th.scope, assigned, &state.name) {
            Ok(a) => Some(a),
            Err(e) => {
                th.finish(Err(e));
                return;
            }
        }
    };
    let payload = known.unwrap_or_else(|| Payload::new(&output));
    emit(
        run,
        th,
        state_events(&state.kind).1,
        Details {
            name: Some(state.name.clone()),
            output: Some(payload.clone()),
            more: assigned.map(|assigned| {
                Box::new(More {
                    assigned: Some(assigned),
                    ..More::default()
                })
            }),
            ..Details::default()
        },
    );
    match next.map(Transition::Next).unwrap_or(state.next) {
        Transition::Next(n) => {
            th.state = n;
            th.input = output;
            th.input_payload = Some(payload);
            th.step = Step::Enter;
        }
        Transition::End | Transition::Own => th.finish(Ok(output)),
    }
}

fn choose(
    run: &mut Run<'_>,
    th: &mut Thread,
    choices: &[crate::definition::Choice],
    default: Option<usize>,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let no_match = || {
        // AWS reports a Choice with no match as States.Runtime.
        StatesError::runtime(format!(
            "An error occurred while executing the state '{}'. No Choice Rule matched and no \
             Default was specified",
            state.name
        ))
    };
    match &state.io {
        Io::Path(io) => {
            let data = select_input(run, th, &io.input_path, "InputPath")?;
            let needs_context = choices
                .iter()
                .any(|c| matches!(&c.condition, Condition::Path(r) if r.uses_context()));
            let ctx = if needs_context {
                context(run, th, None, None, true)
            } else {
                Value::Null
            };
            let mut picked = None;
            {
                let view = View {
                    scopes: &run.tracker.scopes,
                    scope: th.scope,
                };
                let src = Sources {
                    data: &data,
                    context: &ctx,
                    vars: &view,
                };
                for choice in choices {
                    if let Condition::Path(rule) = &choice.condition
                        && rule.evaluate(&src)?
                    {
                        picked = Some(choice);
                        break;
                    }
                }
            }
            let (next, assign) = match picked {
                Some(c) => (c.next, c.assign.as_ref().or(state.assign.as_ref())),
                None => (default.ok_or_else(no_match)?, state.assign.as_ref()),
            };
            let assigned = path_assign(run, th, assign, &data)?;
            let output = apply_output_path(run, th, io, data)?;
            leave(run, th, output, assigned, Some(next));
        }
        Io::Jsonata(_) => {
            for (i, choice) in choices.iter().enumerate() {
                let Condition::Jsonata(condition) = &choice.condition else {
                    continue;
                };
                let field = format!("Choices[{i}].Condition");
                match query::evaluate(run, th, condition, States::default(), &field)? {
                    Value::Bool(true) => {
                        let assign = choice.assign.as_ref().or(state.assign.as_ref());
                        leave_jsonata(
                            run,
                            th,
                            None,
                            choice.output.as_ref(),
                            assign,
                            Some(choice.next),
                            None,
                        );
                        return Ok(());
                    }
                    Value::Bool(false) => {}
                    other => {
                        return Err(query::failed(
                            run,
                            th,
                            query::Failure::new(
                                &field,
                                format!(
                                    "The Condition of rule {i} returned an unexpected result \
                                     type. Expected 'boolean', but was: {other}"
                                ),
                            ),
                        ));
                    }
                }
            }
            let next = default.ok_or_else(no_match)?;
            leave_jsonata(run, th, None, None, state.assign.as_ref(), Some(next), None);
        }
    }
    Ok(())
}

pub(super) fn seconds(s: u64) -> Duration {
    Duration::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

/// A count a state reads at run time (`TimeoutSeconds`, `MaxConcurrency`,
/// ...): fixed, from a path into `data`, or from an expression.
pub(super) fn read_seconds(
    run: &mut Run<'_>,
    th: &mut Thread,
    data: &Value,
    value: &Option<Seconds>,
    field: &str,
) -> Result<Option<u64>, StatesError> {
    match value {
        None => Ok(None),
        Some(Seconds::Fixed(s)) => Ok(Some(*s)),
        Some(Seconds::Path(p)) => read(run, th, p, data)
            .and_then(|v| v.as_u64())
            .map(Some)
            .ok_or_else(|| {
                StatesError::runtime(format!(
                    "The {field}Path '{p}' of state '{}' does not reference a non-negative integer",
                    state(run, th).name
                ))
            }),
        Some(Seconds::Jsonata(j)) => {
            let v = query::evaluate(run, th, j, States::default(), field)?;
            match v.as_u64() {
                Some(n) => Ok(Some(n)),
                None => Err(query::failed(
                    run,
                    th,
                    query::Failure::new(
                        field,
                        format!(
                            "The field '{field}' returned an unexpected result type. Expected a \
                             non-negative integer, but was: {}",
                            json!(v)
                        ),
                    ),
                )),
            }
        }
    }
}
