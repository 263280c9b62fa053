//! Compiling a (sub-)machine and each of its states.

use super::*;

pub(super) struct Loader {
    pub(super) machines: Vec<Machine>,
}

impl Loader {
    /// Compiles one (sub-)machine and returns its id.
    pub(super) fn machine(
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

    pub(super) fn state(
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

    pub(super) fn task(
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

    pub(super) fn map_state(
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
