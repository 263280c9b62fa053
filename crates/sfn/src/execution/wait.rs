//! The Wait state: until when (seconds, a timestamp, from a path or an
//! expression), then on with the input.

use crate::definition::{Io, WaitFor};

use super::query::States;
use super::states::{leave, leave_jsonata, seconds};
use super::*;

pub(super) fn start_wait(
    run: &mut Run<'_>,
    th: &mut Thread,
    wait: &WaitFor,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = match &state.io {
        Io::Path(io) => select_input(run, th, &io.input_path, "InputPath")?,
        Io::Jsonata(_) => th.input.clone(),
    };
    let bad = |what: &str, p: &dyn std::fmt::Display| {
        StatesError::runtime(format!(
            "The {what} parameter '{p}' of state '{}' does not reference a {}",
            state.name,
            if what.starts_with("Seconds") {
                "non-negative integer"
            } else {
                "valid ISO-8601 timestamp"
            }
        ))
    };
    let until = match wait {
        WaitFor::Seconds(s) => run.now + seconds(*s),
        WaitFor::Timestamp(t) => t.with_timezone(&Utc),
        WaitFor::SecondsPath(p) => {
            let s = read(run, th, p, &data)
                .and_then(|v| v.as_u64())
                .ok_or_else(|| bad("SecondsPath", p))?;
            run.now + seconds(s)
        }
        WaitFor::TimestampPath(p) => read(run, th, p, &data)
            .and_then(|v| v.as_str().and_then(crate::choice::timestamp))
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| bad("TimestampPath", p))?,
        WaitFor::SecondsJsonata(j) => {
            let v = query::evaluate(run, th, j, States::default(), "Seconds")?;
            let s = v.as_u64().ok_or_else(|| {
                query::failed(
                    run,
                    th,
                    query::Failure::checked(
                        "Seconds",
                        format!("The field 'Seconds' must be a non-negative integer, but was: {v}"),
                    ),
                )
            })?;
            run.now + seconds(s)
        }
        WaitFor::TimestampJsonata(j) => {
            let v = query::evaluate(run, th, j, States::default(), "Timestamp")?;
            v.as_str()
                .and_then(crate::choice::timestamp)
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| {
                    query::failed(
                        run,
                        th,
                        query::Failure::checked(
                            "Timestamp",
                            format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended \
                                 offset date-time format string: {}",
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                            ),
                        ),
                    )
                })?
        }
    };
    if matches!(state.io, Io::Path(_)) {
        th.input = data;
        th.input_payload = None;
    }
    th.step = Step::Sleep {
        until,
        retry: false,
    };
    Ok(())
}

pub(super) fn wake(run: &mut Run<'_>, th: &mut Thread) {
    let state = state(run, th);
    match &state.io {
        Io::Path(io) => {
            let data = std::mem::take(&mut th.input);
            let assigned = match path_assign(run, th, state.assign.as_ref(), &data) {
                Ok(a) => a,
                Err(e) => return fail(run, th, e),
            };
            match apply_output_path(run, th, io, data) {
                Ok(output) => leave(run, th, output, assigned, None),
                Err(e) => fail(run, th, e),
            }
        }
        Io::Jsonata(_) => leave_jsonata(run, th, None, None, state.assign.as_ref(), None, None),
    }
}
