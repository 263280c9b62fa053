//! Parallel branches and Map items: one child thread each, in a variable
//! scope of its own. Running children take a step each in turn, as
//! concurrent branches and iterations do; a Map starts items while its
//! `MaxConcurrency` allows. Events follow AWS's `previousEventId` chains.

use serde_json::json;

use crate::definition::{Io, Items, Kind, MapState, Percentage, Selector};
use crate::error::names;

use super::query::{Failure, States};
use super::*;

/// The state's effective input: JSONPath's InputPath and Parameters, or
/// JSONata's `Arguments` (the input when absent).
fn effective(run: &mut Run<'_>, th: &mut Thread) -> Result<Value, StatesError> {
    let state = state(run, th);
    match &state.io {
        Io::Path(io) => path_effective_input(run, th, io, None),
        Io::Jsonata(io) => match &io.arguments {
            None => Ok(th.input.clone()),
            Some(args) => query::evaluate(run, th, args, States::default(), "Arguments"),
        },
    }
}

/// A branch's or iteration's own scope, when the machine has variables.
fn open_scope(run: &mut Run<'_>, parent: u64) -> u64 {
    if run.def.assigns {
        run.tracker.scopes.open(parent)
    } else {
        parent
    }
}

pub(super) fn start_parallel(
    run: &mut Run<'_>,
    th: &mut Thread,
    branches: &[usize],
) -> Result<(), StatesError> {
    let state = state(run, th);
    let input = effective(run, th)?;
    check_size(&input, "input", &state.name)?;
    let started = emit(run, th, "ParallelStateStarted", Details::default());
    let children = branches
        .iter()
        .map(|machine| {
            let start = run.def.machine(*machine).map_or(0, |m| m.start);
            let scope = open_scope(run, th.scope);
            Thread::new(*machine, start, input.clone(), started, run.now, scope)
        })
        .collect();
    th.step = Step::Fanout(Fanout {
        is_map: false,
        results: vec![None; branches.len()],
        inputs: vec![Value::Null; branches.len()],
        children,
        finished: 0,
        max_concurrency: 0,
        tolerated_count: None,
        tolerated_percentage: None,
        failures: 0,
        started_event: started,
        cursor: started,
        last_success: started,
    });
    Ok(())
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn start_map(
    run: &mut Run<'_>,
    th: &mut Thread,
    map: &MapState,
) -> Result<(), StatesError> {
    let state = state(run, th);
    let data = match &state.io {
        Io::Path(io) => select_input(run, th, &io.input_path, "InputPath")?,
        Io::Jsonata(_) => th.input.clone(),
    };
    let items = match &map.items {
        Items::Path(None) => Value::Null,
        Items::Path(Some(p)) if p.is_root() => data.clone(),
        Items::Path(Some(p)) => read(run, th, p, &data).unwrap_or(Value::Null),
        Items::Jsonata(None) => data.clone(),
        Items::Jsonata(Some(j)) => query::evaluate(run, th, j, States::default(), "Items")?,
    };
    let Value::Array(items) = items else {
        return Err(match &map.items {
            Items::Path(_) => StatesError::runtime(format!(
                "Item selector: the ItemsPath of state '{}' does not reference an array",
                state.name
            )),
            Items::Jsonata(j) => {
                let cause = match j {
                    Some(crate::definition::Jsonata::Expr(q)) => format!(
                        "The JSONata expression '{}' specified for the field 'Items' returned an \
                         unexpected result type. Expected 'array', but was '{}' for value: {items}",
                        q.text,
                        kind_name(&items)
                    ),
                    _ => format!("Map state input must be an array but was: {items}"),
                };
                query::failed(run, th, Failure::new("Items", cause))
            }
        });
    };
    let mut inputs = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        inputs.push(match &map.item_selector {
            None => item,
            Some(Selector::Path(t)) => template(run, th, t, &data, None, Some((index, &item)))?,
            Some(Selector::Jsonata(j)) => {
                let states = States {
                    item: Some((index, &item)),
                    ..States::default()
                };
                query::evaluate(run, th, j, states, "ItemSelector")?
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
            read(run, th, p, &data)
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
        Some(Percentage::Jsonata(j)) => {
            let field = "ToleratedFailurePercentage";
            let v = query::evaluate(run, th, j, States::default(), field)?;
            match v.as_f64().filter(|p| (0.0..=100.0).contains(p)) {
                Some(p) => Some(p),
                None => {
                    return Err(query::failed(
                        run,
                        th,
                        Failure::new(field, format!("{field} must be between 0 and 100, but was: {v}")),
                    ));
                }
            }
        }
    };
    let started = emit(
        run,
        th,
        "MapStateStarted",
        Details::with(More {
            length: Some(inputs.len()),
            ..More::default()
        }),
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
        cursor: started,
        last_success: started,
    });
    Ok(())
}

/// Runs the children in turns until none can move; records each one that
/// ends; ends the state when all have, or when a failure fails it.
pub(super) fn poll_fanout(run: &mut Run<'_>, th: &mut Thread, path: &mut Vec<usize>) -> bool {
    let state = state(run, th);
    let scope = th.scope;
    let Step::Fanout(f) = &mut th.step else {
        return false;
    };
    let processor = match &state.kind {
        Kind::Map(m) => m.processor,
        _ => 0,
    };
    let mut progressed = false;
    let mut failure: Option<(StatesError, u64)> = None;
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
                f.cursor,
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
            let child_scope = open_scope(run, scope);
            f.children.push(Thread::new(
                processor,
                start,
                input,
                id,
                run.now,
                child_scope,
            ));
            progressed = true;
        }
        let mut moved = false;
        for (i, child) in f.children.iter_mut().enumerate() {
            if run.tracker.exhausted {
                return true;
            }
            if f.results.get(i).is_some_and(Option::is_some) {
                continue;
            }
            path.push(i);
            moved |= step(run, child, path);
            path.pop();
            let Some(outcome) = child.outcome.take() else {
                continue;
            };
            f.finished += 1;
            f.cursor = child.last_event;
            let value = match outcome {
                Ok(v) => {
                    if f.is_map {
                        f.last_success = run.tracker.emit(
                            run.now,
                            "MapIterationSucceeded",
                            child.last_event,
                            Details {
                                name: Some(state.name.clone()),
                                index: Some(i),
                                ..Details::default()
                            },
                        );
                    } else {
                        f.last_success = child.last_event;
                    }
                    v
                }
                Err(e) => {
                    f.failures += 1;
                    let tolerance = Tolerance {
                        is_map: f.is_map,
                        count: f.tolerated_count,
                        percentage: f.tolerated_percentage,
                        failures: f.failures,
                        total: f.inputs.len(),
                    };
                    if f.is_map {
                        run.tracker.emit(
                            run.now,
                            "MapIterationFailed",
                            child.last_event,
                            Details {
                                name: Some(state.name.clone()),
                                index: Some(i),
                                ..Details::default()
                            },
                        );
                    }
                    if failure.is_none() && tolerance.exceeded_by(&e) {
                        failure = Some((tolerance.error(&e), child.last_event));
                    }
                    json!({ "Error": e.error, "Cause": e.cause })
                }
            };
            if let Some(slot) = f.results.get_mut(i) {
                *slot = Some(value);
            }
            run.tracker.scopes.close(child.scope);
            *child = child.spent();
            moved = true;
            if failure.is_some() {
                break;
            }
        }
        progressed |= moved;
        if failure.is_some() || !moved || f.finished == f.inputs.len() {
            break;
        }
    }
    let (succeeded_event, last_success) = if f.is_map {
        ("MapStateSucceeded", f.last_success)
    } else {
        ("ParallelStateSucceeded", f.last_success)
    };
    if let Some((error, last)) = failure {
        for child in &mut f.children {
            child.abort(&mut run.tracker.scopes);
            run.tracker.scopes.close(child.scope);
        }
        th.last_event = last;
        fail(run, th, error);
        return true;
    }
    if f.finished == f.inputs.len() {
        let results: Vec<Value> = std::mem::take(&mut f.results)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        run.tracker
            .emit(run.now, succeeded_event, last_success, Details::default());
        th.last_event = last_success;
        finish_result(run, th, Value::Array(results), None);
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
