//! JSONPath input and output processing: InputPath, Parameters,
//! ResultSelector, ResultPath, OutputPath and `Assign`; the context object;
//! the payload size limit.

use chrono::SecondsFormat;
use serde_json::json;

use crate::clock::splitmix;
use crate::definition::{Assign, PathIo};
use crate::error::names;
use crate::path::{JsonPath, Sources};
use crate::template::Template;

use super::vars::View;
use super::*;

/// An upper bound of the serialized size, from lengths alone: a character
/// escapes to at most 6 bytes, a number prints in at most 24.
pub(super) fn json_size_bound(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => s.len() * 6 + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_size_bound(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() * 6 + 4 + json_size_bound(v))
                .sum::<usize>()
        }
    }
}

/// The serialized size of a value, without building the text.
pub(crate) fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

pub(super) fn check_size(value: &Value, what: &str, state: &str) -> Result<(), StatesError> {
    // Most values are far below the limit: the bound proves it without
    // serializing them.
    if json_size_bound(value) <= MAX_PAYLOAD_BYTES {
        return Ok(());
    }
    let size = json_size(value);
    if size > MAX_PAYLOAD_BYTES {
        return Err(StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The {what} of state '{state}' has {size} bytes, more than the limit of \
                 {MAX_PAYLOAD_BYTES} bytes (256 KiB)"
            ),
        ));
    }
    Ok(())
}

/// The context object (`$$`, `$states.context`).
pub(super) fn context(
    run: &Run<'_>,
    th: &Thread,
    token: Option<&str>,
    item: Option<(usize, &Value)>,
    with_input: bool,
) -> Value {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut ctx = json!({
        "Execution": {
            "Id": run.ident.id,
            "Input": if with_input { run.ident.input.clone() } else { Value::Null },
            "Name": run.ident.name,
            "RoleArn": ROLE_ARN,
            "StartTime": time(run.ident.started_at),
            "RedriveCount": 0,
        },
        "State": {
            "EnteredTime": time(th.entered_at),
            "Name": state(run, th).name,
            "RetryCount": th.retry_count,
        },
        "StateMachine": {
            "Id": run.ident.state_machine,
            "Name": run.ident.state_machine.rsplit(':').next().unwrap_or_default(),
        },
    });
    if let Some(obj) = ctx.as_object_mut() {
        if let Some(token) = token {
            obj.insert("Task".into(), json!({ "Token": token }));
        }
        if let Some((index, value)) = item {
            obj.insert(
                "Map".into(),
                json!({ "Item": { "Index": index, "Value": value } }),
            );
        }
    }
    ctx
}

pub(super) fn random(run: &mut Run<'_>) -> u64 {
    splitmix(&mut run.tracker.rng)
}

/// Evaluates a payload template (Parameters, ResultSelector, ItemSelector,
/// a JSONPath `Assign`) against `data`.
pub(super) fn template(
    run: &mut Run<'_>,
    th: &Thread,
    template: &Template,
    data: &Value,
    token: Option<&str>,
    item: Option<(usize, &Value)>,
) -> Result<Value, StatesError> {
    let ctx = if template.uses_context() || item.is_some() {
        context(run, th, token, item, true)
    } else {
        Value::Null
    };
    let mut rng = run.tracker.rng;
    let view = View {
        scopes: &run.tracker.scopes,
        scope: th.scope,
    };
    let src = Sources {
        data,
        context: &ctx,
        vars: &view,
    };
    let out = template.evaluate(&src, &mut || splitmix(&mut rng));
    run.tracker.rng = rng;
    out
}

/// Reads a path against the thread's input, the context or a variable.
pub(super) fn read(run: &Run<'_>, th: &Thread, path: &JsonPath, data: &Value) -> Option<Value> {
    let ctx = if path.is_context() {
        context(run, th, None, None, true)
    } else {
        Value::Null
    };
    let view = View {
        scopes: &run.tracker.scopes,
        scope: th.scope,
    };
    path.read_in(&Sources {
        data,
        context: &ctx,
        vars: &view,
    })
}

pub(super) fn select_input(
    run: &Run<'_>,
    th: &Thread,
    path: &Option<JsonPath>,
    field: &str,
) -> Result<Value, StatesError> {
    match path {
        None => Ok(json!({})),
        Some(p) if p.is_root() => Ok(th.input.clone()),
        Some(p) => read(run, th, p, &th.input).ok_or_else(|| {
            StatesError::runtime(format!(
                "Invalid path '{p}' : The {field} could not be found in the input '{}' of state '{}'",
                th.input,
                state(run, th).name
            ))
        }),
    }
}

/// InputPath, then Parameters: the state's effective input.
pub(super) fn path_effective_input(
    run: &mut Run<'_>,
    th: &Thread,
    io: &PathIo,
    token: Option<&str>,
) -> Result<Value, StatesError> {
    let data = select_input(run, th, &io.input_path, "InputPath")?;
    match &io.parameters {
        None => Ok(data),
        Some(t) => template(run, th, t, &data, token, None),
    }
}

pub(super) fn apply_output_path(
    run: &Run<'_>,
    th: &Thread,
    io: &PathIo,
    value: Value,
) -> Result<Value, StatesError> {
    match &io.output_path {
        None => Ok(json!({})),
        Some(p) if p.is_root() => Ok(value),
        Some(p) => read(run, th, p, &value).ok_or_else(|| {
            StatesError::runtime(format!(
                "Invalid path '{p}' : The OutputPath could not be found in the output '{value}' \
                 of state '{}'",
                state(run, th).name
            ))
        }),
    }
}

/// A JSONPath `Assign`, against `data` (the state's result, or its input).
pub(super) fn path_assign(
    run: &mut Run<'_>,
    th: &Thread,
    assign: Option<&Assign>,
    data: &Value,
) -> Result<Vec<(String, Value)>, StatesError> {
    let Some(Assign::Path(t)) = assign else {
        return Ok(Vec::new());
    };
    match template(run, th, t, data, None, None)? {
        Value::Object(map) => Ok(map.into_iter().collect()),
        _ => Ok(Vec::new()),
    }
}

/// ResultSelector, `Assign`, ResultPath, OutputPath: what a JSONPath state
/// with a result leaves with, and the variables it assigns.
pub(super) fn path_result(
    run: &mut Run<'_>,
    th: &Thread,
    io: &PathIo,
    assign: Option<&Assign>,
    result: Value,
) -> Result<(Value, Vec<(String, Value)>), StatesError> {
    let state = state(run, th);
    let selected = match &io.result_selector {
        None => result,
        Some(t) => template(run, th, t, &result, None, None)?,
    };
    let assigned = path_assign(run, th, assign, &selected)?;
    let merged = match &io.result_path {
        None => th.input.clone(),
        Some(p) if p.is_root() => selected,
        Some(p) => {
            let mut base = th.input.clone();
            p.write(&mut base, selected).map_err(|e| {
                StatesError::runtime(format!("{e} (state '{}', input {})", state.name, th.input))
            })?;
            base
        }
    };
    let output = apply_output_path(run, th, io, merged)?;
    Ok((output, assigned))
}
