//! JSONata in a state: the `$states` variable (`input`, `result`,
//! `errorOutput`, `context`), the workflow variables, Step Functions' own
//! functions (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`),
//! and `States.QueryEvaluationError` as AWS reports it, with an
//! `EvaluationFailed` event.

use std::cell::Cell;
use std::rc::Rc;

use responder_jsonata::{Environment, Error as JsonataError, Object, Value as J};

use crate::clock::splitmix;
use crate::definition::{Jsonata, Query};
use crate::error::names;

use super::*;

/// What `$states` holds for one evaluation.
#[derive(Default, Clone, Copy)]
pub(super) struct States<'a> {
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
    pub token: Option<&'a str>,
    pub item: Option<(usize, &'a Value)>,
}

/// Evaluates a JSONata field of the thread's state; `field` names it in
/// errors (`Output`, `Arguments`, `Assign/name`...).
pub(super) fn evaluate(
    run: &mut Run<'_>,
    th: &mut Thread,
    value: &Jsonata,
    states: States<'_>,
    field: &str,
) -> Result<Value, StatesError> {
    if let Jsonata::Literal(v) = value {
        return Ok(v.clone());
    }
    let needs = Needs {
        context: value.uses_context(),
        execution_input: value.uses_execution_input(),
        functions: value.uses_functions(),
    };
    let result = with_env(run, th, needs, states, |env, _| walk(value, env, field));
    result.map_err(|failure| failed(run, th, failure))
}

/// Evaluates several fields (an `Assign`) against the same `$states`.
pub(super) fn evaluate_all(
    run: &mut Run<'_>,
    th: &mut Thread,
    fields: &[(String, Jsonata)],
    states: States<'_>,
    prefix: &str,
) -> Result<Vec<(String, Value)>, StatesError> {
    let needs = Needs {
        context: fields.iter().any(|(_, f)| f.uses_context()),
        execution_input: fields.iter().any(|(_, f)| f.uses_execution_input()),
        functions: fields.iter().any(|(_, f)| f.uses_functions()),
    };
    let result = with_env(run, th, needs, states, |env, _| {
        fields
            .iter()
            .map(|(name, f)| Ok((name.clone(), walk(f, env, &format!("{prefix}/{name}"))?)))
            .collect::<Result<Vec<_>, Failure>>()
    });
    result.map_err(|failure| failed(run, th, failure))
}

/// A failed evaluation: where, and the cause after AWS's prefix.
pub(super) struct Failure {
    location: String,
    cause: String,
    /// A value refused after its expression ran (a Wait's `Timestamp`):
    /// AWS chains that event to the state's entry, not to what preceded it.
    checked: bool,
}

impl Failure {
    pub(super) fn new(location: &str, cause: String) -> Self {
        Self {
            location: location.to_owned(),
            cause,
            checked: false,
        }
    }

    pub(super) fn checked(location: &str, cause: String) -> Self {
        Self {
            checked: true,
            ..Self::new(location, cause)
        }
    }
}

/// Records `EvaluationFailed` and gives the error the state fails with.
pub(super) fn failed(run: &mut Run<'_>, th: &mut Thread, failure: Failure) -> StatesError {
    let name = state(run, th).name.clone();
    let cause = format!(
        "An error occurred while executing the state '{name}' (entered at the event id #{}). {}",
        th.entered_event, failure.cause
    );
    let id = run.tracker.emit(
        run.now,
        "EvaluationFailed",
        if failure.checked {
            th.entered_event
        } else {
            th.entered_prev
        },
        Details {
            name: Some(name),
            ..Details::with(More {
                error: Some(names::QUERY_EVALUATION_ERROR.to_owned()),
                cause: Some(cause.clone()),
                location: Some(failure.location),
                ..More::default()
            })
        },
    );
    th.last_event = id;
    StatesError::new(names::QUERY_EVALUATION_ERROR, cause)
}

fn walk(value: &Jsonata, env: &Environment<'_>, field: &str) -> Result<Value, Failure> {
    Ok(match value {
        Jsonata::Literal(v) => v.clone(),
        Jsonata::Expr(q) => query(q, env, field)?,
        Jsonata::Object(fields) => {
            let mut map = serde_json::Map::with_capacity(fields.len());
            for (k, f) in fields {
                let location = if field.is_empty() {
                    k.clone()
                } else {
                    format!("{field}/{k}")
                };
                map.insert(k.clone(), walk(f, env, &location)?);
            }
            Value::Object(map)
        }
        Jsonata::Array(items) => Value::Array(
            items
                .iter()
                .map(|f| walk(f, env, field))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn query(q: &Query, env: &Environment<'_>, field: &str) -> Result<Value, Failure> {
    let prefix = || {
        format!(
            "The JSONata expression '{}' specified for the field '{field}'",
            q.text
        )
    };
    match q.expr.evaluate_value(None, env) {
        Ok(Some(J::Function(_))) => Err(Failure::new(
            field,
            format!("{} returned an unsupported result type.", prefix()),
        )),
        Ok(Some(v)) => Ok(v.to_json()),
        Ok(None) => Err(Failure::new(
            field,
            format!("{} returned nothing (undefined).", prefix()),
        )),
        Err(e) => Err(Failure::new(
            field,
            format!(
                "{} threw an error during evaluation. {}: {}",
                prefix(),
                e.code,
                capitalized(&e.message)
            ),
        )),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What an evaluation's environment must hold beyond `$states.input`.
#[derive(Clone, Copy)]
struct Needs {
    /// `$states.context`.
    context: bool,
    /// `$states.context.Execution.Input`, which may be large: left out of
    /// the context when no expression can read it.
    execution_input: bool,
    /// Step Functions' functions.
    functions: bool,
}

/// Builds the environment of one evaluation and runs `f` in it.
fn with_env<T>(
    run: &mut Run<'_>,
    th: &mut Thread,
    needs: Needs,
    states: States<'_>,
    f: impl FnOnce(&Environment<'_>, &Thread) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut object = Object::new();
    object.insert(Rc::from("input"), J::from_json(&th.input));
    if let Some(result) = states.result {
        object.insert(Rc::from("result"), J::from_json(result));
    }
    if let Some(error) = states.error_output {
        object.insert(Rc::from("errorOutput"), J::from_json(error));
    }
    if needs.context {
        let ctx = context(run, th, states.token, states.item, needs.execution_input);
        object.insert(Rc::from("context"), J::from_json(&ctx));
    }
    let rng = Rc::new(Cell::new(run.tracker.rng));
    let scopes = &run.tracker.scopes;
    let scope = th.scope;
    let mut env = Environment::new().with_now(run.now).with_random(Box::new({
        let rng = Rc::clone(&rng);
        move || unit(&rng)
    }));
    env.bind("states", J::object(object));
    env.resolver(Box::new(move |name| {
        scopes.get(scope, name).map(J::from_json)
    }));
    if needs.functions {
        aws_functions(&mut env, &rng);
    }
    let out = f(&env, th);
    drop(env);
    run.tracker.rng = rng.get();
    out
}

fn unit(rng: &Cell<u64>) -> f64 {
    let mut state = rng.get();
    let x = splitmix(&mut state);
    rng.set(state);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn error(code: &'static str, message: impl Into<String>) -> JsonataError {
    JsonataError::new(code, message)
}

/// Step Functions' additions to JSONata, and `$eval`, which it leaves out.
fn aws_functions(env: &mut Environment<'_>, rng: &Rc<Cell<u64>>) {
    let numbers = |args: &[Option<J>]| -> Vec<Option<f64>> {
        args.iter()
            .map(|a| a.as_ref().and_then(J::as_f64))
            .collect()
    };
    let _ = env.function(
        "partition",
        Some("<an:a>"),
        2,
        Rc::new(move |args| {
            let items = args
                .first()
                .cloned()
                .flatten()
                .map(|a| a.items())
                .unwrap_or_default();
            let size = numbers(args).get(1).copied().flatten().unwrap_or(0.0);
            if size < 1.0 || size.fract() != 0.0 {
                return Err(error(
                    "D3030",
                    "the size of $partition must be a positive integer",
                ));
            }
            let chunks = items
                .chunks(size as usize)
                .map(|c| J::array(c.to_vec(), 0))
                .collect();
            Ok(Some(J::array(chunks, 0)))
        }),
    );
    let _ = env.function(
        "range",
        Some("<nnn:a>"),
        3,
        Rc::new(move |args| {
            let n = numbers(args);
            let (Some(start), Some(end), Some(step)) = (
                n.first().copied().flatten(),
                n.get(1).copied().flatten(),
                n.get(2).copied().flatten(),
            ) else {
                return Ok(None);
            };
            if step == 0.0 {
                return Err(error("D3030", "the step of $range cannot be 0"));
            }
            let count = ((end - start) / step).floor() + 1.0;
            if count > 1000.0 {
                return Err(error("D2014", "$range builds at most 1000 items"));
            }
            let items = (0..count.max(0.0) as u64)
                .map(|i| J::Number(start + step * i as f64))
                .collect();
            // A sequence: one number comes out as itself, as on AWS.
            Ok(Some(J::sequence(items)))
        }),
    );
    let _ = env.function(
        "hash",
        Some("<ss:s>"),
        2,
        Rc::new(move |args| {
            let text = args.first().cloned().flatten();
            let algorithm = args.get(1).cloned().flatten();
            let (Some(J::String(text)), Some(J::String(algorithm))) = (text, algorithm) else {
                return Ok(None);
            };
            crate::intrinsics::hash(&text, &algorithm)
                .map(|h| Some(J::string(&h)))
                .map_err(|e| error("D3030", e))
        }),
    );
    let seeded = Rc::clone(rng);
    let _ = env.function(
        "random",
        Some("<n?:n>"),
        1,
        Rc::new(move |args| {
            let value = match numbers(args).first().copied().flatten() {
                Some(seed) => {
                    let mut state = seed.to_bits();
                    (splitmix(&mut state) >> 11) as f64 / (1u64 << 53) as f64
                }
                None => unit(&seeded),
            };
            Ok(Some(J::Number(value)))
        }),
    );
    let uuid_rng = Rc::clone(rng);
    let _ = env.function(
        "uuid",
        Some("<:s>"),
        0,
        Rc::new(move |_| {
            let mut state = uuid_rng.get();
            let (a, b) = (splitmix(&mut state), splitmix(&mut state));
            uuid_rng.set(state);
            Ok(Some(J::string(&crate::intrinsics::uuid_v4(a, b))))
        }),
    );
    let _ = env.function(
        "parse",
        Some("<s-:x>"),
        1,
        Rc::new(move |args| match args.first().cloned().flatten() {
            Some(J::String(text)) => serde_json::from_str::<Value>(&text)
                .map(|v| Some(J::from_json(&v)))
                .map_err(|e| error("D3030", format!("$parse: the string is not JSON: {e}"))),
            _ => Ok(None),
        }),
    );
    let _ = env.function(
        "eval",
        None,
        1,
        Rc::new(move |_| {
            Err(error(
                "T1006",
                "$eval is not available in Step Functions: use $parse",
            ))
        }),
    );
}
