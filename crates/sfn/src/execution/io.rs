//! Input and output processing: InputPath, Parameters, ResultSelector,
//! ResultPath, OutputPath, the context object, and the payload size limit.

use chrono::SecondsFormat;
use serde_json::json;

use crate::clock::splitmix;
use crate::error::names;

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

/// The context object (`$$`).
pub(super) fn context(
    run: &Run<'_>,
    th: &Thread,
    token: Option<&str>,
    item: Option<(usize, &Value)>,
) -> Value {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut ctx = json!({
        "Execution": {
            "Id": run.ident.id,
            "Input": run.ident.input,
            "Name": run.ident.name,
            "RoleArn": "arn:aws:iam::000000000000:role/responder-local",
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

/// InputPath, then Parameters: the state's effective input.
pub(super) fn effective_input(
    run: &mut Run<'_>,
    th: &Thread,
    token: Option<&str>,
) -> Result<Value, StatesError> {
    let state = state(run, th);
    let data = select_input(run, th, &state.io.input_path, "InputPath")?;
    match &state.io.parameters {
        None => Ok(data),
        Some(template) => {
            let ctx = if template.uses_context() {
                context(run, th, token, None)
            } else {
                Value::Null
            };
            let mut rng = run.tracker.rng;
            let out = template.evaluate(&data, &ctx, &mut || splitmix(&mut rng));
            run.tracker.rng = rng;
            out
        }
    }
}

pub(super) fn select_input(
    run: &Run<'_>,
    th: &Thread,
    path: &Option<crate::path::JsonPath>,
    field: &str,
) -> Result<Value, StatesError> {
    match path {
        None => Ok(json!({})),
        Some(p) if p.is_root() => Ok(th.input.clone()),
        Some(p) => {
            let ctx = if p.is_context() {
                context(run, th, None, None)
            } else {
                Value::Null
            };
            p.read(&th.input, &ctx).ok_or_else(|| {
                StatesError::runtime(format!(
                    "Invalid path '{p}' : The {field} could not be found in the input '{}' of state '{}'",
                    th.input,
                    state(run, th).name
                ))
            })
        }
    }
}

pub(super) fn apply_output_path(
    run: &Run<'_>,
    th: &Thread,
    value: Value,
) -> Result<Value, StatesError> {
    let state = state(run, th);
    match &state.io.output_path {
        None => Ok(json!({})),
        Some(p) if p.is_root() => Ok(value),
        Some(p) => {
            let ctx = if p.is_context() {
                context(run, th, None, None)
            } else {
                Value::Null
            };
            p.read(&value, &ctx).ok_or_else(|| {
                StatesError::runtime(format!(
                    "Invalid path '{p}' : The OutputPath could not be found in the output '{value}' \
                     of state '{}'",
                    state.name
                ))
            })
        }
    }
}

/// ResultSelector, ResultPath, OutputPath, then on to the next state.
pub(super) fn complete(run: &mut Run<'_>, th: &mut Thread, result: Value) {
    match shape_output(run, th, result) {
        Ok(output) => exit(run, th, output, None),
        Err(error) => fail(run, th, error),
    }
}

pub(super) fn shape_output(
    run: &mut Run<'_>,
    th: &Thread,
    result: Value,
) -> Result<Value, StatesError> {
    let state = state(run, th);
    let selected = match &state.io.result_selector {
        None => result,
        Some(template) => {
            let ctx = if template.uses_context() {
                context(run, th, None, None)
            } else {
                Value::Null
            };
            let mut rng = run.tracker.rng;
            let out = template.evaluate(&result, &ctx, &mut || splitmix(&mut rng));
            run.tracker.rng = rng;
            out?
        }
    };
    let merged = match &state.io.result_path {
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
    let output = apply_output_path(run, th, merged)?;
    check_size(&output, "output", &state.name)?;
    Ok(output)
}
