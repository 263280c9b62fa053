//! Parallel branches and Map items: the child threads, their results, and
//! a Map's failure tolerance.

use serde_json::json;

use crate::clock::splitmix;
use crate::definition::{Kind, Percentage};
use crate::error::names;

use super::*;

pub(super) fn start_map(
    run: &mut Run<'_>,
    th: &mut Thread,
    map: &crate::definition::MapState,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    let items = match &map.items_path {
        None => Value::Null,
        Some(p) if p.is_root() => data.clone(),
        Some(p) => p.read(&data, &Value::Null).unwrap_or(Value::Null),
    };
    let Value::Array(items) = items else {
        return Err(StatesError::runtime(format!(
            "Item selector: the ItemsPath of state '{}' does not reference an array",
            state.name
        )));
    };
    let mut inputs = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        inputs.push(match &map.item_selector {
            None => item.clone(),
            Some(template) => {
                let ctx = context(run, th, None, Some((index, item)));
                let mut rng = run.tracker.rng;
                let out = template.evaluate(&data, &ctx, &mut || splitmix(&mut rng));
                run.tracker.rng = rng;
                out?
            }
        });
    }
    let max_concurrency =
        read_seconds(run, th, &data, &map.max_concurrency, "MaxConcurrency")?.unwrap_or(0);
    let tolerated_count = read_seconds(
        run,
        th,
        &data,
        &map.tolerated_count,
        "ToleratedFailureCount",
    )?;
    let tolerated_percentage = match &map.tolerated_percentage {
        None => None,
        Some(Percentage::Fixed(p)) => Some(*p),
        Some(Percentage::Path(p)) => Some(
            p.read(&data, &Value::Null)
                .and_then(|v| v.as_f64())
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The ToleratedFailurePercentagePath '{p}' of state '{}' does not reference a \
                         number from 0 to 100",
                        state.name
                    ))
                })?,
        ),
    };
    let started = emit(
        run,
        th,
        "MapStateStarted",
        Details {
            length: Some(inputs.len()),
            ..Details::default()
        },
    );
    th.step = Step::Fanout(Fanout {
        is_map: true,
        results: vec![None; inputs.len()],
        inputs,
        children: Vec::new(),
        finished: 0,
        max_concurrency: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
        tolerated_count,
        tolerated_percentage,
        failures: 0,
        started_event: started,
    });
    Ok(())
}

pub(super) fn poll_fanout(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) -> bool {
    let state = state(run, th);
    let mut last_event = th.last_event;
    let Step::Fanout(f) = &mut th.step else {
        return false;
    };
    let mut progressed = false;
    let mut failure: Option<StatesError> = None;
    let processor = match &state.kind {
        Kind::Map(m) => m.processor,
        _ => 0,
    };
    loop {
        // Start items while there is room.
        while f.is_map
            && f.children.len() < f.inputs.len()
            && (f.max_concurrency == 0 || f.children.len() - f.finished < f.max_concurrency)
        {
            let index = f.children.len();
            let id = run.tracker.emit(
                run.now,
                "MapIterationStarted",
                f.started_event,
                Details {
                    name: Some(state.name.clone()),
                    index: Some(index),
                    ..Details::default()
                },
            );
            let start = run.def.machine(processor).map_or(0, |m| m.start);
            let input = f
                .inputs
                .get_mut(index)
                .map(std::mem::take)
                .unwrap_or_default();
            f.children
                .push(Thread::new(processor, start, input, id, run.now));
        }
        let mut finished_now = false;
        for (i, child) in f.children.iter_mut().enumerate() {
            if f.results.get(i).is_some_and(Option::is_some) {
                continue;
            }
            path.push(i);
            advance(run, child, path);
            path.pop();
            let Some(outcome) = &child.outcome else {
                continue;
            };
            finished_now = true;
            f.finished += 1;
            let (kind, value) = match outcome {
                Ok(v) => ("MapIterationSucceeded", v.clone()),
                Err(e) => {
                    f.failures += 1;
                    let tolerance = Tolerance {
                        is_map: f.is_map,
                        count: f.tolerated_count,
                        percentage: f.tolerated_percentage,
                        failures: f.failures,
                        total: f.inputs.len(),
                    };
                    if failure.is_none() && tolerance.exceeded_by(e) {
                        failure = Some(tolerance.error(e));
                    }
                    (
                        "MapIterationFailed",
                        json!({ "Error": e.error, "Cause": e.cause }),
                    )
                }
            };
            if let Some(slot) = f.results.get_mut(i) {
                *slot = Some(value);
            }
            if f.is_map {
                last_event = run.tracker.emit(
                    run.now,
                    kind,
                    child.last_event,
                    Details {
                        name: Some(state.name.clone()),
                        index: Some(i),
                        ..Details::default()
                    },
                );
            } else {
                last_event = child.last_event;
            }
            if failure.is_some() {
                break;
            }
        }
        progressed |= finished_now;
        if failure.is_some() || !finished_now || f.finished == f.inputs.len() {
            break;
        }
    }
    th.last_event = last_event;
    let (failed_event, succeeded_event) = if f.is_map {
        ("MapStateFailed", "MapStateSucceeded")
    } else {
        ("ParallelStateFailed", "ParallelStateSucceeded")
    };
    if let Some(error) = failure {
        for child in &mut f.children {
            child.abort();
        }
        fail_with_event(run, th, failed_event, error);
        return true;
    }
    if f.finished == f.inputs.len() {
        let results: Vec<Value> = std::mem::take(&mut f.results)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        emit(run, th, succeeded_event, Details::default());
        complete(run, th, Value::Array(results));
        return true;
    }
    progressed
}

/// A Map's failure tolerance, and how many items have failed so far.
pub(super) struct Tolerance {
    pub(super) is_map: bool,
    pub(super) count: Option<u64>,
    pub(super) percentage: Option<f64>,
    pub(super) failures: u64,
    pub(super) total: usize,
}

impl Tolerance {
    pub(super) fn configured(&self) -> bool {
        self.is_map && (self.count.is_some() || self.percentage.is_some())
    }

    /// Whether the failures so far fail the state. A Parallel state, and a
    /// Map without a tolerance, fail on the first error.
    pub(super) fn exceeded_by(&self, error: &StatesError) -> bool {
        if !self.configured() || error.is_terminal() {
            return true;
        }
        let over_count = self.count.is_some_and(|c| self.failures > c);
        let share = self.failures as f64 * 100.0 / self.total.max(1) as f64;
        let over_percentage = self.percentage.is_some_and(|p| share > p);
        over_count || over_percentage
    }

    pub(super) fn error(&self, error: &StatesError) -> StatesError {
        if self.configured() && !error.is_terminal() {
            StatesError::new(
                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                format!(
                    "The specified tolerated failure threshold was exceeded: {} of {} items \
                     failed; the last error was {}",
                    self.failures, self.total, error.error
                ),
            )
        } else {
            error.clone()
        }
    }
}
