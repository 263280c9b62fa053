//! Loading a state machine: Amazon States Language, in JSONPath or JSONata
//! (per state machine and per state), parsed, checked and compiled once, so
//! that running it does no name lookups and parses no expressions.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::choice::{Rule, timestamp};
use crate::error::{DefinitionError, names};
use crate::path::JsonPath;
use crate::template::Template;

mod fields;
mod jsonata;
mod kinds;
mod loader;

pub(crate) use jsonata::{Jsonata, Query};

use fields::*;
use loader::*;

/// A loaded, valid state machine. Index 0 of `machines` is the top level;
/// the others are Parallel branches and Map item processors.
#[derive(Debug)]
pub struct Definition {
    pub(crate) machines: Vec<Machine>,
    pub(crate) timeout_seconds: Option<u64>,
    /// Whether any state assigns variables: if none does, branches and
    /// iterations need no scopes of their own.
    pub(crate) assigns: bool,
    text: String,
}

#[derive(Debug)]
pub(crate) struct Machine {
    pub start: usize,
    pub states: Vec<State>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub name: String,
    pub kind: Kind,
    pub io: Io,
    pub next: Transition,
    /// `Assign`: the variables the state sets when it leaves.
    pub assign: Option<Assign>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Next(usize),
    End,
    /// Choice, Succeed and Fail decide for themselves.
    Own,
}

/// Input and output processing.
#[derive(Debug)]
// Built once per state at load; boxing the JSONPath fields would add an
// indirection to every state the engine runs.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Io {
    Path(PathIo),
    Jsonata(JsonataIo),
}

/// JSONPath's five fields, in the order AWS applies them.
#[derive(Debug)]
pub(crate) struct PathIo {
    /// `None` is `"InputPath": null`: the state sees `{}`.
    pub input_path: Option<JsonPath>,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    /// `None` is `"ResultPath": null`: the result is discarded.
    pub result_path: Option<JsonPath>,
    pub output_path: Option<JsonPath>,
}

/// JSONata's two: `Arguments` for the work, `Output` for what leaves.
#[derive(Debug, Default)]
pub(crate) struct JsonataIo {
    pub arguments: Option<Jsonata>,
    pub output: Option<Jsonata>,
}

/// `Assign`: variable names and how each value is computed.
#[derive(Debug)]
pub(crate) enum Assign {
    /// JSONPath: a payload template (`name.$` fields read paths).
    Path(Template),
    Jsonata(Vec<(String, Jsonata)>),
}

#[derive(Debug)]
pub(crate) enum Kind {
    Pass {
        result: Option<Value>,
    },
    Task(Box<Task>),
    Choice {
        choices: Vec<Choice>,
        default: Option<usize>,
    },
    Wait(WaitFor),
    Succeed,
    Fail {
        error: Option<Text>,
        cause: Option<Text>,
    },
    Parallel {
        branches: Vec<usize>,
        handlers: Handlers,
    },
    Map(Box<MapState>),
}

/// One Choice rule.
#[derive(Debug)]
pub(crate) struct Choice {
    pub condition: Condition,
    pub next: usize,
    pub assign: Option<Assign>,
    /// JSONata: the state's output when this rule matches.
    pub output: Option<Jsonata>,
}

#[derive(Debug)]
pub(crate) enum Condition {
    Path(Rule),
    Jsonata(Jsonata),
}

#[derive(Debug)]
pub(crate) enum Text {
    Literal(String),
    Path(JsonPath),
    Jsonata(Jsonata),
}

/// A count read at run time: fixed, from a path, or from an expression.
#[derive(Debug)]
pub(crate) enum Seconds {
    Fixed(u64),
    Path(JsonPath),
    Jsonata(Jsonata),
}

#[derive(Debug)]
pub(crate) enum WaitFor {
    Seconds(u64),
    Timestamp(DateTime<FixedOffset>),
    SecondsPath(JsonPath),
    TimestampPath(JsonPath),
    SecondsJsonata(Jsonata),
    TimestampJsonata(Jsonata),
}

#[derive(Debug, Default)]
pub(crate) struct Handlers {
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug)]
pub(crate) struct Retrier {
    pub errors: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub full_jitter: bool,
}

#[derive(Debug)]
pub(crate) struct Catcher {
    pub errors: Vec<String>,
    pub next: usize,
    pub result: CatchResult,
    pub assign: Option<Assign>,
}

/// Where a caught error goes.
#[derive(Debug)]
pub(crate) enum CatchResult {
    /// JSONPath `ResultPath` (`None`: `null`, the input passes on).
    Path(Option<JsonPath>),
    /// JSONata `Output` (absent: the error output).
    Jsonata(Option<Jsonata>),
}

/// What a Task state calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `arn:aws:states:::lambda:invoke`: the function is the `FunctionName`
    /// parameter and the result is the invoke response envelope.
    LambdaInvoke,
    /// A Lambda function ARN (or a `${...}` placeholder) as the resource:
    /// the result is the function's output.
    LambdaFunction(String),
    /// Any other service integration, dispatched by its resource.
    Service(String),
}

#[derive(Debug)]
pub(crate) struct Task {
    pub resource: String,
    pub target: Target,
    pub callback: bool,
    pub timeout: Option<Seconds>,
    pub heartbeat: Option<Seconds>,
    pub handlers: Handlers,
}

#[derive(Debug)]
pub(crate) struct MapState {
    pub processor: usize,
    pub items: Items,
    pub item_selector: Option<Selector>,
    pub max_concurrency: Option<Seconds>,
    pub tolerated_count: Option<Seconds>,
    pub tolerated_percentage: Option<Percentage>,
    pub handlers: Handlers,
}

/// Where a Map's items come from.
#[derive(Debug)]
pub(crate) enum Items {
    /// `ItemsPath` (`None`: `null`).
    Path(Option<JsonPath>),
    /// `Items` (absent: the state input).
    Jsonata(Option<Jsonata>),
}

#[derive(Debug)]
pub(crate) enum Selector {
    Path(Template),
    Jsonata(Jsonata),
}

#[derive(Debug)]
pub(crate) enum Percentage {
    Fixed(f64),
    Path(JsonPath),
    Jsonata(Jsonata),
}

impl Definition {
    /// Loads a definition, replacing each `${Name}` by `substitutions[Name]`
    /// first (as CDK's `definitionSubstitutions` does). A placeholder left
    /// unreplaced stays in the text: as a Lambda resource or `FunctionName`
    /// it names the function `Name`.
    pub fn load(
        text: &str,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, DefinitionError> {
        let mut resolved = text.to_owned();
        for (name, value) in substitutions {
            resolved = resolved.replace(&format!("${{{name}}}"), value);
        }
        let value: Value = serde_json::from_str(&resolved).map_err(|e| {
            DefinitionError::new(None, format!("the definition is not valid JSON: {e}"))
        })?;
        let Value::Object(top) = &value else {
            return Err(DefinitionError::new(
                None,
                "the definition must be a JSON object",
            ));
        };
        let jsonata = query_language(top, None, false)?;
        let timeout_seconds = match top.get("TimeoutSeconds") {
            None => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| {
                DefinitionError::new(None, "TimeoutSeconds must be a positive integer")
            })?),
        };
        for key in top.keys() {
            if !matches!(
                key.as_str(),
                "StartAt" | "States" | "Comment" | "Version" | "TimeoutSeconds" | "QueryLanguage"
            ) {
                return Err(DefinitionError::new(
                    None,
                    format!("the top-level field '{key}' is not supported"),
                ));
            }
        }
        let mut loader = Loader {
            machines: Vec::new(),
            jsonata,
            scopes: Vec::new(),
            open: Vec::new(),
        };
        loader.machine(top, None)?;
        loader.check_scopes()?;
        let assigns = loader.scopes.iter().any(|(_, names)| !names.is_empty());
        Ok(Self {
            machines: loader.machines,
            timeout_seconds,
            assigns,
            text: resolved,
        })
    }

    /// The number of states, nested ones included.
    pub fn state_count(&self) -> usize {
        self.machines.iter().map(|m| m.states.len()).sum()
    }

    /// The definition text, after substitutions.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn machine(&self, id: usize) -> Option<&Machine> {
        self.machines.get(id)
    }

    pub(crate) fn state(&self, machine: usize, state: usize) -> Option<&State> {
        self.machines.get(machine)?.states.get(state)
    }
}

/// The query language a map (the definition or a state) declares:
/// `inherited` unless it says otherwise. A state may not go back to
/// JSONPath when the state machine is JSONata, as AWS refuses.
fn query_language(
    map: &Map<String, Value>,
    state: Option<&str>,
    inherited: bool,
) -> Result<bool, DefinitionError> {
    match map.get("QueryLanguage") {
        None => Ok(inherited),
        Some(Value::String(l)) if l == "JSONata" => Ok(true),
        Some(Value::String(l)) if l == "JSONPath" => {
            if inherited && state.is_some() {
                return Err(DefinitionError::new(
                    state,
                    "QueryLanguage cannot be JSONPath in a state when the state machine's \
                     QueryLanguage is JSONata",
                ));
            }
            Ok(false)
        }
        Some(other) => Err(DefinitionError::new(
            state,
            format!("QueryLanguage {other} is not JSONPath or JSONata"),
        )),
    }
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` or `${Name}`.
pub(crate) fn lambda_function_name(resource: &str) -> Option<String> {
    if let Some(name) = resource
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
    {
        return Some(name.to_owned());
    }
    let rest = resource.strip_prefix("arn:aws:lambda:")?;
    let mut parts = rest.split(':');
    let (_region, _account, kind, name) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (kind == "function").then(|| name.to_owned())
}

/// The function a `lambda:invoke` `FunctionName` names: a plain name, a
/// (partial) ARN with or without qualifier, or a `${Name}` placeholder.
pub fn function_name(value: &str) -> String {
    if let Some(name) = lambda_function_name(value) {
        return name;
    }
    // `ACCOUNT:function:NAME` or `NAME:QUALIFIER`.
    let mut parts: Vec<&str> = value.split(':').collect();
    if let Some(i) = parts.iter().position(|p| *p == "function") {
        parts.drain(..=i);
    }
    parts.first().copied().unwrap_or(value).to_owned()
}

fn check_reachable(start: usize, states: &[State]) -> Result<(), DefinitionError> {
    let mut seen = vec![false; states.len()];
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        match seen.get_mut(i) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        let Some(state) = states.get(i) else { continue };
        if let Transition::Next(n) = state.next {
            stack.push(n);
        }
        match &state.kind {
            Kind::Choice { choices, default } => {
                stack.extend(choices.iter().map(|c| c.next));
                stack.extend(*default);
            }
            Kind::Task(t) => stack.extend(t.handlers.catch.iter().map(|c| c.next)),
            Kind::Parallel { handlers, .. } => stack.extend(handlers.catch.iter().map(|c| c.next)),
            Kind::Map(m) => stack.extend(m.handlers.catch.iter().map(|c| c.next)),
            _ => {}
        }
    }
    match seen.iter().position(|s| !s) {
        Some(i) => Err(DefinitionError::new(
            states.get(i).map(|s| s.name.as_str()),
            "is not reachable from StartAt",
        )),
        None => Ok(()),
    }
}
