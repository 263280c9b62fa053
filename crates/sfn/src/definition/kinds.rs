//! The fields of each state type, in JSONPath and in JSONata.

use super::jsonata::expression_text;
use super::*;

impl Loader {
    pub(super) fn kind(
        &mut self,
        machine: usize,
        kind_name: &str,
        f: &Fields<'_>,
        index: &HashMap<&str, usize>,
    ) -> Result<Kind, DefinitionError> {
        let kind = match kind_name {
            "Pass" => Kind::Pass {
                result: f.map.get("Result").cloned(),
            },
            "Task" => Kind::Task(Box::new(self.task(machine, f, index)?)),
            "Choice" => self.choice(machine, f, index)?,
            "Wait" => Kind::Wait(wait(f)?),
            "Succeed" => Kind::Succeed,
            "Fail" => Kind::Fail {
                error: text(f, "Error", "ErrorPath")?,
                cause: text(f, "Cause", "CausePath")?,
            },
            "Parallel" => {
                let Some(Value::Array(branches)) = f.map.get("Branches") else {
                    return Err(f.error("Branches is missing or not an array".to_owned()));
                };
                if branches.is_empty() {
                    return Err(f.error("Branches must hold at least one branch".to_owned()));
                }
                let mut ids = Vec::with_capacity(branches.len());
                for branch in branches {
                    let Value::Object(b) = branch else {
                        return Err(f.error("each branch must be an object".to_owned()));
                    };
                    ids.push(self.machine(b, Some(f.state))?);
                }
                Kind::Parallel {
                    branches: ids,
                    handlers: self.handlers(machine, f, index)?,
                }
            }
            _ => Kind::Map(Box::new(self.map_state(machine, f, index)?)),
        };
        Ok(kind)
    }

    fn handlers(
        &mut self,
        machine: usize,
        f: &Fields<'_>,
        index: &HashMap<&str, usize>,
    ) -> Result<Handlers, DefinitionError> {
        let handlers = f.handlers(index)?;
        for catcher in &handlers.catch {
            self.note_assigned(machine, f.state, &catcher.assign);
        }
        Ok(handlers)
    }

    fn task(
        &mut self,
        machine: usize,
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
        if resource.starts_with("arn:aws:states:") && resource.contains(":activity:") {
            return Err(f.error(format!(
                "Resource '{resource}' is an activity, which is not supported: activities need \
                 workers polling AWS"
            )));
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
            handlers: self.handlers(machine, f, index)?,
        })
    }

    fn choice(
        &mut self,
        machine: usize,
        f: &Fields<'_>,
        index: &HashMap<&str, usize>,
    ) -> Result<Kind, DefinitionError> {
        let Some(Value::Array(rules)) = f.map.get("Choices") else {
            return Err(f.error("Choices is missing or not an array".to_owned()));
        };
        if rules.is_empty() {
            return Err(f.error("Choices must hold at least one rule".to_owned()));
        }
        let mut choices = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let at = |m: String| f.error(format!("Choices[{i}]: {m}"));
            let Value::Object(r) = rule else {
                return Err(at("a choice rule must be an object".to_owned()));
            };
            let condition = if f.jsonata {
                if let Some(key) = r.keys().find(|k| {
                    !matches!(
                        k.as_str(),
                        "Condition" | "Next" | "Assign" | "Output" | "Comment"
                    )
                }) {
                    return Err(at(format!(
                        "the field '{key}' is not supported in a JSONata rule"
                    )));
                }
                match r.get("Condition") {
                    Some(Value::Bool(b)) => Condition::Jsonata(Jsonata::Literal(Value::Bool(*b))),
                    Some(Value::String(s)) if expression_text(s).is_some() => {
                        Condition::Jsonata(compile_jsonata(
                            f.state,
                            &format!("Choices[{i}].Condition"),
                            &Value::String(s.clone()),
                        )?)
                    }
                    _ => {
                        return Err(at(
                            "Condition must be a JSONata expression {% ... %} or a boolean"
                                .to_owned(),
                        ));
                    }
                }
            } else {
                let mut plain = r.clone();
                plain.remove("Assign");
                Condition::Path(Rule::compile(&Value::Object(plain)).map_err(at)?)
            };
            let next = match r.get("Next") {
                Some(Value::String(n)) => f.target(n, index)?,
                _ => return Err(at("has no Next".to_owned())),
            };
            let assign = r
                .get("Assign")
                .map(|v| compile_assign(f.state, f.jsonata, &format!("Choices[{i}].Assign"), v))
                .transpose()?;
            self.note_assigned(machine, f.state, &assign);
            let output = r
                .get("Output")
                .map(|v| compile_jsonata(f.state, &format!("Choices[{i}].Output"), v))
                .transpose()?;
            choices.push(Choice {
                condition,
                next,
                assign,
                output,
            });
        }
        let default = match f.map.get("Default") {
            None => None,
            Some(Value::String(n)) => Some(f.target(n, index)?),
            Some(_) => return Err(f.error("Default must be a state name".to_owned())),
        };
        Ok(Kind::Choice { choices, default })
    }

    fn map_state(
        &mut self,
        machine: usize,
        f: &Fields<'_>,
        index: &HashMap<&str, usize>,
    ) -> Result<MapState, DefinitionError> {
        for distributed in ["ItemReader", "ResultWriter", "ItemBatcher"] {
            if f.map.contains_key(distributed) {
                return Err(f.error(format!(
                    "'{distributed}' belongs to a Distributed Map, which is not supported: use an \
                     inline Map"
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
                    "ProcessorConfig Mode '{mode}' is not supported: only INLINE is (Distributed \
                     Map is not)"
                )));
            }
        }
        let mut processor = processor.clone();
        processor.remove("ProcessorConfig");
        let (items, item_selector) = if f.jsonata {
            (
                Items::Jsonata(f.jsonata("Items")?),
                f.jsonata("ItemSelector")?.map(Selector::Jsonata),
            )
        } else {
            let selector = match (
                f.map.contains_key("ItemSelector"),
                f.map.contains_key("Parameters"),
            ) {
                (true, true) => {
                    return Err(f.error("has both ItemSelector and Parameters".to_owned()));
                }
                (true, false) => f.template("ItemSelector")?,
                (false, _) => f.template("Parameters")?,
            };
            (
                Items::Path(f.nullable_path("ItemsPath")?),
                selector.map(Selector::Path),
            )
        };
        Ok(MapState {
            processor: self.machine(&processor, Some(f.state))?,
            items,
            item_selector,
            max_concurrency: f.seconds("MaxConcurrency")?,
            tolerated_count: f.seconds("ToleratedFailureCount")?,
            tolerated_percentage: percentage(f)?,
            handlers: self.handlers(machine, f, index)?,
        })
    }
}

fn percentage(f: &Fields<'_>) -> Result<Option<Percentage>, DefinitionError> {
    let key = "ToleratedFailurePercentage";
    let fixed = |v: &Value| {
        v.as_f64()
            .filter(|p| (0.0..=100.0).contains(p))
            .map(Percentage::Fixed)
            .ok_or_else(|| f.error(format!("{key} must be a number from 0 to 100")))
    };
    if f.jsonata {
        return match f.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if expression_text(s).is_some() => {
                Ok(f.jsonata(key)?.map(Percentage::Jsonata))
            }
            Some(v) => fixed(v).map(Some),
        };
    }
    match (
        f.map.get(key),
        f.map.contains_key("ToleratedFailurePercentagePath"),
    ) {
        (Some(_), true) => Err(f.error(format!("has both {key} and {key}Path"))),
        (Some(v), false) => fixed(v).map(Some),
        (None, true) => Ok(Some(Percentage::Path(
            f.path("ToleratedFailurePercentagePath")?,
        ))),
        (None, false) => Ok(None),
    }
}

fn wait(f: &Fields<'_>) -> Result<WaitFor, DefinitionError> {
    let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
        .into_iter()
        .filter(|k| f.map.contains_key(*k))
        .collect();
    let [which] = given.as_slice() else {
        return Err(f.error(if f.jsonata {
            "needs exactly one of Seconds, Timestamp".to_owned()
        } else {
            "needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath".to_owned()
        }));
    };
    let expression = f
        .map
        .get(*which)
        .and_then(Value::as_str)
        .is_some_and(|s| expression_text(s).is_some());
    Ok(match *which {
        "Seconds" if f.jsonata && expression => WaitFor::SecondsJsonata(
            f.jsonata("Seconds")?
                .unwrap_or(Jsonata::Literal(Value::Null)),
        ),
        "Timestamp" if f.jsonata && expression => WaitFor::TimestampJsonata(
            f.jsonata("Timestamp")?
                .unwrap_or(Jsonata::Literal(Value::Null)),
        ),
        "Seconds" => WaitFor::Seconds(f.u64("Seconds")?.unwrap_or(0)),
        "Timestamp" => {
            let text = f.string("Timestamp")?.unwrap_or_default();
            WaitFor::Timestamp(timestamp(text).ok_or_else(|| {
                f.error(format!("Timestamp '{text}' is not an RFC 3339 timestamp"))
            })?)
        }
        "SecondsPath" => WaitFor::SecondsPath(f.path("SecondsPath")?),
        _ => WaitFor::TimestampPath(f.path("TimestampPath")?),
    })
}

fn text(f: &Fields<'_>, plain: &str, path: &str) -> Result<Option<Text>, DefinitionError> {
    if f.jsonata {
        return match f.map.get(plain) {
            None => Ok(None),
            Some(Value::String(s)) if expression_text(s).is_some() => {
                Ok(f.jsonata(plain)?.map(Text::Jsonata))
            }
            Some(Value::String(s)) => Ok(Some(Text::Literal(s.clone()))),
            Some(_) => Err(f.error(format!("{plain} must be a string"))),
        };
    }
    match (f.string(plain)?, f.map.contains_key(path)) {
        (Some(_), true) => Err(f.error(format!("has both {plain} and {path}"))),
        (Some(s), false) => Ok(Some(Text::Literal(s.to_owned()))),
        (None, true) => Ok(Some(Text::Path(f.path(path)?))),
        (None, false) => Ok(None),
    }
}
