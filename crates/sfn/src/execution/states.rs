//! Running a thread through its states: entering, the work of each state
//! type, and leaving to the next.

use crate::definition::{Kind, Seconds, Text, Transition, WaitFor};

use super::*;

/// Runs the thread until it waits for something or ends.
pub(crate) fn advance(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) {
    loop {
        let progressed = match &th.step {
            Step::Done => return,
            Step::Enter => {
                enter(run, th);
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
                    wake(run, th);
                    true
                }
            }
            Step::Fanout(_) => poll_fanout(run, th, path),
        };
        if !progressed {
            return;
        }
    }
}

pub(super) fn enter(run: &mut Run<'_>, th: &mut Thread) {
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
    emit(
        run,
        th,
        state_events(&state.kind).0,
        Details {
            name: Some(state.name.clone()),
            input: Some(th.input.clone()),
            ..Details::default()
        },
    );
    attempt(run, th);
}

/// Starts (or, after a retry delay, restarts) the state's work.
pub(super) fn attempt(run: &mut Run<'_>, th: &mut Thread) {
    let state = state(run, th);
    let result = match &state.kind {
        Kind::Pass { result } => effective_input(run, th, None).map(|effective| {
            let value = result.clone().unwrap_or(effective);
            complete(run, th, value);
        }),
        Kind::Choice { choices, default } => choose(run, th, choices, *default),
        Kind::Wait(wait) => start_wait(run, th, wait),
        Kind::Succeed => select_input(run, th, &state.io.input_path, "InputPath")
            .and_then(|data| apply_output_path(run, th, data))
            .map(|output| exit(run, th, output, None)),
        Kind::Fail { error, cause } => {
            let text = |t: &Option<Text>| match t {
                None => String::new(),
                Some(Text::Literal(s)) => s.clone(),
                Some(Text::Path(p)) => match p.read(&th.input, &Value::Null) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
            };
            th.finish(Err(StatesError::new(text(error), text(cause))));
            Ok(())
        }
        Kind::Task(task) => start_task(run, th, task),
        Kind::Parallel { branches, .. } => effective_input(run, th, None).and_then(|effective| {
            check_size(&effective, "input", &state.name)?;
            let started = emit(run, th, "ParallelStateStarted", Details::default());
            let inputs = vec![effective; branches.len()];
            let children = branches
                .iter()
                .zip(&inputs)
                .map(|(machine, input)| {
                    let start = run.def.machine(*machine).map_or(0, |m| m.start);
                    Thread::new(*machine, start, input.clone(), started, run.now)
                })
                .collect();
            th.step = Step::Fanout(Fanout {
                is_map: false,
                results: vec![None; inputs.len()],
                inputs,
                children,
                finished: 0,
                max_concurrency: 0,
                tolerated_count: None,
                tolerated_percentage: None,
                failures: 0,
                started_event: started,
            });
            Ok(())
        }),
        Kind::Map(map) => start_map(run, th, map),
    };
    if let Err(error) = result {
        fail(run, th, error);
    }
}

pub(super) fn choose(
    run: &mut Run<'_>,
    th: &mut Thread,
    choices: &[(crate::choice::Rule, usize)],
    default: Option<usize>,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    let ctx = if choices.iter().any(|(rule, _)| rule.uses_context()) {
        context(run, th, None, None)
    } else {
        Value::Null
    };
    let mut next = None;
    for (rule, target) in choices {
        if rule.evaluate(&data, &ctx)? {
            next = Some(*target);
            break;
        }
    }
    let next = next.or(default).ok_or_else(|| {
        // AWS reports a Choice with no match as States.Runtime; NoChoiceMatched is reserved.
        StatesError::runtime(format!(
            "An error occurred while executing the state '{}'. No Choice Rule matched and no \
             Default was specified",
            state.name
        ))
    })?;
    let output = apply_output_path(run, th, data)?;
    exit(run, th, output, Some(next));
    Ok(())
}

pub(super) fn start_wait(
    run: &mut Run<'_>,
    th: &mut Thread,
    wait: &WaitFor,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    let until = match wait {
        WaitFor::Seconds(s) => run.now + seconds(*s),
        WaitFor::Timestamp(t) => t.with_timezone(&Utc),
        WaitFor::SecondsPath(p) => {
            let s = p
                .read(&data, &Value::Null)
                .and_then(|v| v.as_u64())
                .ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The SecondsPath parameter '{p}' of state '{}' does not reference a \
                     non-negative integer",
                        state.name
                    ))
                })?;
            run.now + seconds(s)
        }
        WaitFor::TimestampPath(p) => p
            .read(&data, &Value::Null)
            .and_then(|v| v.as_str().and_then(crate::choice::timestamp))
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                StatesError::runtime(format!(
                    "The TimestampPath parameter '{p}' of state '{}' does not reference a valid \
                     ISO-8601 timestamp",
                    state.name
                ))
            })?,
    };
    th.input = data;
    th.step = Step::Sleep {
        until,
        retry: false,
    };
    Ok(())
}

pub(super) fn wake(run: &mut Run<'_>, th: &mut Thread) {
    let data = std::mem::take(&mut th.input);
    match apply_output_path(run, th, data) {
        Ok(output) => exit(run, th, output, None),
        Err(e) => fail(run, th, e),
    }
}

/// Leaves the current state with `output`: to `next` (a Choice's pick), or
/// to the state's `Next`, or ends the thread.
pub(super) fn exit(run: &mut Run<'_>, th: &mut Thread, output: Value, next: Option<usize>) {
    let state = state(run, th);
    emit(
        run,
        th,
        state_events(&state.kind).1,
        Details {
            name: Some(state.name.clone()),
            output: Some(output.clone()),
            ..Details::default()
        },
    );
    match next.map(Transition::Next).unwrap_or(state.next) {
        Transition::Next(n) => {
            th.state = n;
            th.input = output;
            th.step = Step::Enter;
        }
        Transition::End | Transition::Own => th.finish(Ok(output)),
    }
}

pub(super) fn seconds(s: u64) -> Duration {
    Duration::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

pub(super) fn read_seconds(
    run: &Run<'_>,
    th: &Thread,
    data: &Value,
    value: &Option<Seconds>,
    field: &str,
) -> Result<Option<u64>, StatesError> {
    match value {
        None => Ok(None),
        Some(Seconds::Fixed(s)) => Ok(Some(*s)),
        Some(Seconds::Path(p)) => p
            .read(data, &Value::Null)
            .and_then(|v| v.as_u64())
            .map(Some)
            .ok_or_else(|| {
                StatesError::runtime(format!(
                    "The {field}Path '{p}' of state '{}' does not reference a non-negative integer",
                    state(run, th).name
                ))
            }),
    }
}
