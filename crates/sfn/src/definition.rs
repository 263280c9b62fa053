//! Loading a state machine: Amazon States Language (JSONPath) parsed,
//! checked and compiled once, so that running it does no name lookups.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::choice::{Rule, timestamp};
use crate::error::{DefinitionError, names};
use crate::path::JsonPath;
use crate::template::Template;

/// A loaded, valid state machine. Index 0 of `machines` is the top level;
/// the others are Parallel branches and Map item processors.
#[derive(Debug)]
pub struct Definition {
    pub(crate) machines: Vec<Machine>,
    pub(crate) timeout_seconds: Option<u64>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Next(usize),
    End,
    /// Choice, Succeed and Fail decide for themselves.
    Own,
}

/// Input and output processing, in the order AWS applies it.
#[derive(Debug)]
pub(crate) struct Io {
    /// `None` is `"InputPath": null`: the state sees `{}`.
    pub input_path: Option<JsonPath>,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    /// `None` is `"ResultPath": null`: the result is discarded.
    pub result_path: Option<JsonPath>,
    pub output_path: Option<JsonPath>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Pass {
        result: Option<Value>,
    },
    Task(Box<Task>),
    Choice {
        choices: Vec<(Rule, usize)>,
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

#[derive(Debug)]
pub(crate) enum Text {
    Literal(String),
    Path(JsonPath),
}

#[derive(Debug)]
pub(crate) enum Seconds {
    Fixed(u64),
    Path(JsonPath),
}

#[derive(Debug)]
pub(crate) enum WaitFor {
    Seconds(u64),
    Timestamp(DateTime<FixedOffset>),
    SecondsPath(JsonPath),
    TimestampPath(JsonPath),
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
    pub result_path: Option<JsonPath>,
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
    pub items_path: Option<JsonPath>,
    pub item_selector: Option<Template>,
    pub max_concurrency: Option<Seconds>,
    pub tolerated_count: Option<Seconds>,
    pub tolerated_percentage: Option<Percentage>,
    pub handlers: Handlers,
}

#[derive(Debug)]
pub(crate) enum Percentage {
    Fixed(f64),
    Path(JsonPath),
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
        let mut loader = Loader {
            machines: Vec::new(),
        };
        check_query_language(top, None)?;
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
        loader.machine(top, None)?;
        Ok(Self {
            machines: loader.machines,
            timeout_seconds,
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

fn check_query_language(
    map: &Map<String, Value>,
    state: Option<&str>,
) -> Result<(), DefinitionError> {
    match map.get("QueryLanguage") {
        None => Ok(()),
        Some(Value::String(l)) if l == "JSONPath" => Ok(()),
        Some(other) => Err(DefinitionError::new(
            state,
            format!("QueryLanguage {other} is not supported: only JSONPath is (JSONata is not)"),
        )),
    }
}

struct Loader {
    machines: Vec<Machine>,
}

impl Loader {
    /// Compiles one (sub-)machine and returns its id.
    fn machine(
        &mut self,
        map: &Map<String, Value>,
        owner: Option<&str>,
    ) -> Result<usize, DefinitionError> {
        let id = self.machines.len();
        self.machines.push(Machine {
            start: 0,
            states: Vec::new(),
        });
        let start = match map.get("StartAt") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(DefinitionError::new(
                    owner,
                    "StartAt is missing or not a string",
                ));
            }
        };
        let Some(Value::Object(states)) = map.get("States") else {
            return Err(DefinitionError::new(
                owner,
                "States is missing or not an object",
            ));
        };
        if states.is_empty() {
            return Err(DefinitionError::new(owner, "States is empty"));
        }
        let index: HashMap<&str, usize> = states
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let start = *index.get(start.as_str()).ok_or_else(|| {
            DefinitionError::new(
                owner,
                format!("StartAt names '{start}', which is not a state"),
            )
        })?;
        let mut compiled = Vec::with_capacity(states.len());
        for (name, value) in states {
            if name.is_empty() || name.chars().count() > 80 {
                return Err(DefinitionError::new(
                    Some(name),
                    "a state name must have 1 to 80 characters",
                ));
            }
            let Value::Object(fields) = value else {
                return Err(DefinitionError::new(
                    Some(name),
                    "a state must be an object",
                ));
            };
            compiled.push(self.state(name, fields, &index)?);
        }
        check_reachable(start, &compiled)?;
        if let Some(machine) = self.machines.get_mut(id) {
            machine.start = start;
            machine.states = compiled;
        }
        Ok(id)
    }

    fn state(
        &mut self,
        name: &str,
        map: &Map<String, Value>,
        index: &HashMap<&str, usize>,
    ) -> Result<State, DefinitionError> {
        let err = |m: String| DefinitionError::new(Some(name), m);
        check_query_language(map, Some(name))?;
        for jsonata in ["Assign", "Arguments", "Output"] {
            if map.contains_key(jsonata) {
                return Err(err(format!(
                    "'{jsonata}' is not supported: variables and JSONata are not implemented"
                )));
            }
        }
        let kind_name = match map.get("Type") {
            Some(Value::String(t)) => t.as_str(),
            _ => return Err(err("Type is missing or not a string".to_owned())),
        };
        let f = Fields { state: name, map };
        let (allowed, transitions): (&[&str], bool) = match kind_name {
            "Pass" => (
                &[
                    "InputPath",
                    "OutputPath",
                    "Parameters",
                    "ResultPath",
                    "Result",
                ],
                true,
            ),
            "Task" => (
                &[
                    "InputPath",
                    "OutputPath",
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "Resource",
                    "TimeoutSeconds",
                    "TimeoutSecondsPath",
                    "HeartbeatSeconds",
                    "HeartbeatSecondsPath",
                    "Retry",
                    "Catch",
                ],
                true,
            ),
            "Choice" => (&["InputPath", "OutputPath", "Choices", "Default"], false),
            "Wait" => (
                &[
                    "InputPath",
                    "OutputPath",
                    "Seconds",
                    "Timestamp",
                    "SecondsPath",
                    "TimestampPath",
                ],
                true,
            ),
            "Succeed" => (&["InputPath", "OutputPath"], false),
            "Fail" => (&["Error", "ErrorPath", "Cause", "CausePath"], false),
            "Parallel" => (
                &[
                    "InputPath",
                    "OutputPath",
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "Branches",
                    "Retry",
                    "Catch",
                ],
                true,
            ),
            "Map" => (
                &[
                    "InputPath",
                    "OutputPath",
                    "Parameters",
                    "ItemSelector",
                    "ResultSelector",
                    "ResultPath",
                    "ItemsPath",
                    "MaxConcurrency",
                    "MaxConcurrencyPath",
                    "ItemProcessor",
                    "Iterator",
                    "ToleratedFailureCount",
                    "ToleratedFailureCountPath",
                    "ToleratedFailurePercentage",
                    "ToleratedFailurePercentagePath",
                    "Retry",
                    "Catch",
                    "Label",
                    "ItemReader",
                    "ResultWriter",
                    "ItemBatcher",
                ],
                true,
            ),
            other => return Err(err(format!("Type '{other}' is not a state type"))),
        };
        for key in map.keys() {
            let known = matches!(key.as_str(), "Type" | "Comment" | "QueryLanguage")
                || allowed.contains(&key.as_str())
                || (transitions && matches!(key.as_str(), "Next" | "End"));
            if !known {
                return Err(err(format!(
                    "the field '{key}' is not supported in a {kind_name} state"
                )));
            }
        }
        let next = if transitions {
            match (map.get("Next"), map.get("End")) {
                (Some(Value::String(n)), None) => Transition::Next(f.target(n, index)?),
                (None, Some(Value::Bool(true))) => Transition::End,
                (Some(_), Some(_)) => return Err(err("has both Next and End".to_owned())),
                (Some(_), None) => return Err(err("Next must be a state name".to_owned())),
                _ => return Err(err("has neither Next nor \"End\": true".to_owned())),
            }
        } else {
            Transition::Own
        };
        let io = Io {
            input_path: f.nullable_path("InputPath")?,
            // A Map's `Parameters` is the old name of its ItemSelector, read below.
            parameters: if kind_name == "Map" {
                None
            } else {
                f.template("Parameters")?
            },
            result_selector: f.template("ResultSelector")?,
            result_path: f.nullable_reference("ResultPath")?,
            output_path: f.nullable_path("OutputPath")?,
        };
        let kind = match kind_name {
            "Pass" => Kind::Pass {
                result: map.get("Result").cloned(),
            },
            "Task" => Kind::Task(Box::new(self.task(&f, index)?)),
            "Choice" => {
                let Some(Value::Array(rules)) = map.get("Choices") else {
                    return Err(err("Choices is missing or not an array".to_owned()));
                };
                if rules.is_empty() {
                    return Err(err("Choices must hold at least one rule".to_owned()));
                }
                let mut choices = Vec::with_capacity(rules.len());
                for (i, rule) in rules.iter().enumerate() {
                    let compiled =
                        Rule::compile(rule).map_err(|e| err(format!("Choices[{i}]: {e}")))?;
                    let next = match rule.get("Next") {
                        Some(Value::String(n)) => f.target(n, index)?,
                        _ => return Err(err(format!("Choices[{i}] has no Next"))),
                    };
                    choices.push((compiled, next));
                }
                let default = match map.get("Default") {
                    None => None,
                    Some(Value::String(n)) => Some(f.target(n, index)?),
                    Some(_) => return Err(err("Default must be a state name".to_owned())),
                };
                Kind::Choice { choices, default }
            }
            "Wait" => {
                let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
                    .into_iter()
                    .filter(|k| map.contains_key(*k))
                    .collect();
                let [which] = given.as_slice() else {
                    return Err(err(
                        "needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath"
                            .to_owned(),
                    ));
                };
                Kind::Wait(match *which {
                    "Seconds" => WaitFor::Seconds(f.u64("Seconds")?.unwrap_or(0)),
                    "Timestamp" => {
                        let text = f.string("Timestamp")?.unwrap_or_default();
                        WaitFor::Timestamp(timestamp(text).ok_or_else(|| {
                            err(format!("Timestamp '{text}' is not an RFC 3339 timestamp"))
                        })?)
                    }
                    "SecondsPath" => WaitFor::SecondsPath(f.path("SecondsPath")?),
                    _ => WaitFor::TimestampPath(f.path("TimestampPath")?),
                })
            }
            "Succeed" => Kind::Succeed,
            "Fail" => {
                let text = |plain: &str, path: &str| -> Result<Option<Text>, DefinitionError> {
                    match (f.string(plain)?, map.contains_key(path)) {
                        (Some(_), true) => Err(err(format!("has both {plain} and {path}"))),
                        (Some(s), false) => Ok(Some(Text::Literal(s.to_owned()))),
                        (None, true) => Ok(Some(Text::Path(f.path(path)?))),
                        (None, false) => Ok(None),
                    }
                };
                Kind::Fail {
                    error: text("Error", "ErrorPath")?,
                    cause: text("Cause", "CausePath")?,
                }
            }
            "Parallel" => {
                let Some(Value::Array(branches)) = map.get("Branches") else {
                    return Err(err("Branches is missing or not an array".to_owned()));
                };
                if branches.is_empty() {
                    return Err(err("Branches must hold at least one branch".to_owned()));
                }
                let mut ids = Vec::with_capacity(branches.len());
                for branch in branches {
                    let Value::Object(b) = branch else {
                        return Err(err("each branch must be an object".to_owned()));
                    };
                    ids.push(self.machine(b, Some(name))?);
                }
                Kind::Parallel {
                    branches: ids,
                    handlers: f.handlers(index)?,
                }
            }
            _ => Kind::Map(Box::new(self.map_state(&f, index)?)),
        };
        Ok(State {
            name: name.to_owned(),
            kind,
            io,
            next,
        })
    }

    fn task(
        &mut self,
        f: &Fields<'_>,
        index: &HashMap<&str, usize>,
    ) -> Result<Task, DefinitionError> {
        let resource = f
            .string("Resource")?
            .ok_or_else(|| f.error("Resource is missing".to_owned()))?;
        let (base, callback) = match resource.strip_suffix(".waitForTaskToken") {
            Some(base) => (base, true),
            None => (resource, false),
        };
        let target = if base == "arn:aws:states:::lambda:invoke" {
            Target::LambdaInvoke
        } else if let Some(name) = lambda_function_name(base) {
            Target::LambdaFunction(name)
        } else {
            Target::Service(base.to_owned())
        };
        if callback && target != Target::LambdaInvoke && !matches!(target, Target::Service(_)) {
            return Err(f.error(
                ".waitForTaskToken needs a service integration (arn:aws:states:::...)".to_owned(),
            ));
        }
        let timeout = f.seconds("TimeoutSeconds")?;
        let heartbeat = f.seconds("HeartbeatSeconds")?;
        if let (Some(Seconds::Fixed(t)), Some(Seconds::Fixed(h))) = (&timeout, &heartbeat)
            && h >= t
        {
            return Err(f.error(format!(
                "HeartbeatSeconds ({h}) must be smaller than TimeoutSeconds ({t})"
            )));
        }
        Ok(Task {
            resource: resource.to_owned(),
            target,
            callback,
            timeout,
            heartbeat,
            handlers: f.handlers(index)?,
        })
    }

    fn map_state(
        &mut self,
        f: &Fields<'_>,
        index: &HashMap<&str, usize>,
    ) -> Result<MapState, DefinitionError> {
        for distributed in ["ItemReader", "ResultWriter", "ItemBatcher"] {
            if f.map.contains_key(distributed) {
                return Err(f.error(format!(
                    "'{distributed}' belongs to a Distributed Map, which is not supported: use an inline Map"
                )));
            }
        }
        let processor = match (f.map.get("ItemProcessor"), f.map.get("Iterator")) {
            (Some(Value::Object(p)), None) | (None, Some(Value::Object(p))) => p,
            (Some(_), Some(_)) => {
                return Err(f.error("has both ItemProcessor and Iterator".to_owned()));
            }
            _ => return Err(f.error("ItemProcessor is missing or not an object".to_owned())),
        };
        if let Some(config) = processor.get("ProcessorConfig") {
            let mode = config
                .get("Mode")
                .and_then(Value::as_str)
                .unwrap_or("INLINE");
            if mode != "INLINE" {
                return Err(f.error(format!(
                    "ProcessorConfig Mode '{mode}' is not supported: only INLINE is (Distributed Map is not)"
                )));
            }
        }
        let mut processor = processor.clone();
        processor.remove("ProcessorConfig");
        let item_selector = match (
            f.map.contains_key("ItemSelector"),
            f.map.contains_key("Parameters"),
        ) {
            (true, true) => return Err(f.error("has both ItemSelector and Parameters".to_owned())),
            (true, false) => f.template("ItemSelector")?,
            (false, _) => f.template("Parameters")?,
        };
        Ok(MapState {
            processor: self.machine(&processor, Some(f.state))?,
            items_path: f.nullable_path("ItemsPath")?,
            item_selector,
            max_concurrency: f.seconds("MaxConcurrency")?,
            tolerated_count: f.seconds("ToleratedFailureCount")?,
            tolerated_percentage: match (
                f.map.get("ToleratedFailurePercentage"),
                f.map.contains_key("ToleratedFailurePercentagePath"),
            ) {
                (Some(_), true) => {
                    return Err(f.error(
                        "has both ToleratedFailurePercentage and ToleratedFailurePercentagePath"
                            .to_owned(),
                    ));
                }
                (Some(v), false) => {
                    let p = v
                        .as_f64()
                        .filter(|p| (0.0..=100.0).contains(p))
                        .ok_or_else(|| {
                            f.error(
                                "ToleratedFailurePercentage must be a number from 0 to 100"
                                    .to_owned(),
                            )
                        })?;
                    Some(Percentage::Fixed(p))
                }
                (None, true) => Some(Percentage::Path(f.path("ToleratedFailurePercentagePath")?)),
                (None, false) => None,
            },
            handlers: f.handlers(index)?,
        })
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
                stack.extend(choices.iter().map(|(_, n)| *n));
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

/// Typed access to one state's fields, with errors that name the state.
struct Fields<'a> {
    state: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn error(&self, message: String) -> DefinitionError {
        DefinitionError::new(Some(self.state), message)
    }

    fn target(&self, name: &str, index: &HashMap<&str, usize>) -> Result<usize, DefinitionError> {
        index.get(name).copied().ok_or_else(|| {
            self.error(format!(
                "names '{name}' as a next state, but there is no such state"
            ))
        })
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(format!("{key} must be a string"))),
        }
    }

    fn u64(&self, key: &str) -> Result<Option<u64>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                self.error(format!("{key} must be a non-negative integer, got {v}"))
            }),
        }
    }

    fn path(&self, key: &str) -> Result<JsonPath, DefinitionError> {
        let text = self.string(key)?.unwrap_or_default();
        JsonPath::parse(text).map_err(|e| self.error(format!("{key}: {e}")))
    }

    /// A path field that defaults to `$` and may be `null`.
    fn nullable_path(&self, key: &str) -> Result<Option<JsonPath>, DefinitionError> {
        match self.map.get(key) {
            Some(Value::Null) => Ok(None),
            None => Ok(Some(root())),
            Some(_) => self.path(key).map(Some),
        }
    }

    fn nullable_reference(&self, key: &str) -> Result<Option<JsonPath>, DefinitionError> {
        match self.map.get(key) {
            Some(Value::Null) => Ok(None),
            None => Ok(Some(root())),
            Some(Value::String(text)) => JsonPath::parse_reference(text)
                .map(Some)
                .map_err(|e| self.error(format!("{key}: {e}"))),
            Some(_) => Err(self.error(format!("{key} must be a path string or null"))),
        }
    }

    fn template(&self, key: &str) -> Result<Option<Template>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Template::compile(v)
                .map(Some)
                .map_err(|e| self.error(format!("{key}: {e}"))),
            Some(v) if key == "Parameters" || key == "ItemSelector" => {
                // AWS accepts any JSON value as Parameters; only objects have `.$` fields.
                Template::compile(v)
                    .map(Some)
                    .map_err(|e| self.error(format!("{key}: {e}")))
            }
            Some(_) => Err(self.error(format!("{key} must be an object"))),
        }
    }

    /// `KEY` (a fixed count) or `KEYPath` (read at run time), not both.
    fn seconds(&self, key: &str) -> Result<Option<Seconds>, DefinitionError> {
        let path_key = format!("{key}Path");
        match (self.map.contains_key(key), self.map.contains_key(&path_key)) {
            (true, true) => Err(self.error(format!("has both {key} and {path_key}"))),
            (true, false) => Ok(self.u64(key)?.map(Seconds::Fixed)),
            (false, true) => Ok(Some(Seconds::Path(self.path(&path_key)?))),
            (false, false) => Ok(None),
        }
    }

    fn handlers(&self, index: &HashMap<&str, usize>) -> Result<Handlers, DefinitionError> {
        let mut handlers = Handlers::default();
        if let Some(retry) = self.map.get("Retry") {
            let Value::Array(items) = retry else {
                return Err(self.error("Retry must be an array".to_owned()));
            };
            for (i, item) in items.iter().enumerate() {
                let at = |m: String| self.error(format!("Retry[{i}]: {m}"));
                let Value::Object(r) = item else {
                    return Err(at("must be an object".to_owned()));
                };
                for key in r.keys() {
                    if !matches!(
                        key.as_str(),
                        "ErrorEquals"
                            | "IntervalSeconds"
                            | "MaxAttempts"
                            | "BackoffRate"
                            | "MaxDelaySeconds"
                            | "JitterStrategy"
                            | "Comment"
                    ) {
                        return Err(at(format!("the field '{key}' is not supported")));
                    }
                }
                let errors = error_equals(r, i + 1 == items.len()).map_err(at)?;
                let number = |k: &str, default: f64| -> Result<f64, DefinitionError> {
                    match r.get(k) {
                        None => Ok(default),
                        Some(v) => v
                            .as_f64()
                            .ok_or_else(|| at(format!("{k} must be a number"))),
                    }
                };
                let interval_seconds = number("IntervalSeconds", 1.0)?;
                let backoff_rate = number("BackoffRate", 2.0)?;
                if interval_seconds < 1.0 || backoff_rate < 1.0 {
                    return Err(at(
                        "IntervalSeconds and BackoffRate must be at least 1".to_owned()
                    ));
                }
                let max_attempts = match r.get("MaxAttempts") {
                    None => 3,
                    Some(v) => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            at("MaxAttempts must be a non-negative integer".to_owned())
                        })?,
                };
                let full_jitter = match r.get("JitterStrategy").and_then(Value::as_str) {
                    None | Some("NONE") => false,
                    Some("FULL") => true,
                    Some(other) => {
                        return Err(at(format!("JitterStrategy '{other}' is not FULL or NONE")));
                    }
                };
                handlers.retry.push(Retrier {
                    errors,
                    interval_seconds,
                    max_attempts,
                    backoff_rate,
                    max_delay_seconds: r.get("MaxDelaySeconds").and_then(Value::as_f64),
                    full_jitter,
                });
            }
        }
        if let Some(catch) = self.map.get("Catch") {
            let Value::Array(items) = catch else {
                return Err(self.error("Catch must be an array".to_owned()));
            };
            for (i, item) in items.iter().enumerate() {
                let at = |m: String| self.error(format!("Catch[{i}]: {m}"));
                let Value::Object(c) = item else {
                    return Err(at("must be an object".to_owned()));
                };
                let errors = error_equals(c, i + 1 == items.len()).map_err(at)?;
                let next = match c.get("Next") {
                    Some(Value::String(n)) => self.target(n, index)?,
                    _ => return Err(at("Next is missing".to_owned())),
                };
                let result_path = match c.get("ResultPath") {
                    Some(Value::Null) => None,
                    None => Some(root()),
                    Some(Value::String(p)) => Some(JsonPath::parse_reference(p).map_err(at)?),
                    Some(_) => {
                        return Err(at("ResultPath must be a path string or null".to_owned()));
                    }
                };
                handlers.catch.push(Catcher {
                    errors,
                    next,
                    result_path,
                });
            }
        }
        Ok(handlers)
    }
}

fn root() -> JsonPath {
    JsonPath::root()
}

fn error_equals(map: &Map<String, Value>, last: bool) -> Result<Vec<String>, String> {
    let Some(Value::Array(items)) = map.get("ErrorEquals") else {
        return Err("ErrorEquals is missing or not an array".to_owned());
    };
    if items.is_empty() {
        return Err("ErrorEquals must name at least one error".to_owned());
    }
    let errors: Vec<String> = items
        .iter()
        .map(|e| {
            e.as_str()
                .map(str::to_owned)
                .ok_or("ErrorEquals must hold strings")
        })
        .collect::<Result<_, _>>()?;
    if errors.iter().any(|e| e == names::ALL) {
        if errors.len() > 1 {
            return Err("States.ALL must appear alone in ErrorEquals".to_owned());
        }
        if !last {
            return Err("States.ALL must be in the last retrier or catcher".to_owned());
        }
    }
    Ok(errors)
}
