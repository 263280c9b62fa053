//! Compiling a (sub-)machine and the fields every state shares: its query
//! language, the fields it may have, its transition, input and output
//! processing, and `Assign`.

use super::*;

/// A machine's parent machine, and each variable its states assign (with
/// the state that assigns it).
pub(super) type Scope = (Option<usize>, Vec<(String, String)>);

pub(super) struct Loader {
    pub(super) machines: Vec<Machine>,
    /// The state machine's query language: JSONata, or JSONPath.
    pub(super) jsonata: bool,
    /// Per machine: its parent, and each variable its states assign (with
    /// the state), to refuse an inner scope that assigns an outer name.
    pub(super) scopes: Vec<Scope>,
    /// The machines being compiled, innermost last.
    pub(super) open: Vec<usize>,
}

/// The fields a state may have besides `Type`, `Comment`, `QueryLanguage`.
fn allowed(kind: &str, jsonata: bool) -> Result<(&'static [&'static str], bool), String> {
    Ok(match (kind, jsonata) {
        ("Pass", false) => (
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "Result",
                "Assign",
            ],
            true,
        ),
        ("Pass", true) => (&["Output", "Assign"], true),
        ("Task", false) => (
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
                "Assign",
                "Credentials",
            ],
            true,
        ),
        ("Task", true) => (
            &[
                "Arguments",
                "Output",
                "Resource",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Retry",
                "Catch",
                "Assign",
                "Credentials",
            ],
            true,
        ),
        ("Choice", false) => (
            &["InputPath", "OutputPath", "Choices", "Default", "Assign"],
            false,
        ),
        ("Choice", true) => (&["Output", "Choices", "Default", "Assign"], false),
        ("Wait", false) => (
            &[
                "InputPath",
                "OutputPath",
                "Seconds",
                "Timestamp",
                "SecondsPath",
                "TimestampPath",
                "Assign",
            ],
            true,
        ),
        ("Wait", true) => (&["Output", "Seconds", "Timestamp", "Assign"], true),
        ("Succeed", false) => (&["InputPath", "OutputPath"], false),
        ("Succeed", true) => (&["Output"], false),
        ("Fail", false) => (&["Error", "ErrorPath", "Cause", "CausePath"], false),
        ("Fail", true) => (&["Error", "Cause"], false),
        ("Parallel", false) => (
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "Branches",
                "Retry",
                "Catch",
                "Assign",
            ],
            true,
        ),
        ("Parallel", true) => (
            &[
                "Arguments",
                "Output",
                "Branches",
                "Retry",
                "Catch",
                "Assign",
            ],
            true,
        ),
        ("Map", false) => (
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
                "Assign",
            ],
            true,
        ),
        ("Map", true) => (
            &[
                "Output",
                "Items",
                "ItemSelector",
                "MaxConcurrency",
                "ItemProcessor",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Retry",
                "Catch",
                "Label",
                "ItemReader",
                "ResultWriter",
                "ItemBatcher",
                "Assign",
            ],
            true,
        ),
        (other, _) => return Err(format!("Type '{other}' is not a state type")),
    })
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
        let parent = self.open.last().copied();
        self.scopes.push((parent, Vec::new()));
        self.open.push(id);
        let result = self.machine_states(id, map, owner);
        self.open.pop();
        result
    }

    fn machine_states(
        &mut self,
        id: usize,
        map: &Map<String, Value>,
        owner: Option<&str>,
    ) -> Result<usize, DefinitionError> {
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
            compiled.push(self.state(id, name, fields, &index)?);
        }
        check_reachable(start, &compiled)?;
        if let Some(machine) = self.machines.get_mut(id) {
            machine.start = start;
            machine.states = compiled;
        }
        Ok(id)
    }

    /// An inner scope may read its outer scopes' variables, not assign them.
    pub(super) fn check_scopes(&self) -> Result<(), DefinitionError> {
        (0..self.scopes.len()).try_for_each(|id| self.check_scope(id))
    }

    fn check_scope(&self, id: usize) -> Result<(), DefinitionError> {
        let Some((mut parent, names)) = self.scopes.get(id).cloned() else {
            return Ok(());
        };
        while let Some(p) = parent {
            let Some((up, outer)) = self.scopes.get(p) else {
                break;
            };
            for (state, name) in &names {
                if outer.iter().any(|(_, n)| n == name) {
                    return Err(DefinitionError::new(
                        Some(state),
                        format!(
                            "Assign: the variable '{name}' is assigned in an outer scope; a \
                             Parallel branch or Map iteration cannot assign it"
                        ),
                    ));
                }
            }
            parent = *up;
        }
        Ok(())
    }

    pub(super) fn note_assigned(&mut self, machine: usize, state: &str, assign: &Option<Assign>) {
        let names: Vec<String> = match assign {
            None => return,
            Some(Assign::Jsonata(fields)) => fields.iter().map(|(n, _)| n.clone()).collect(),
            Some(Assign::Path(template)) => template.field_names(),
        };
        if let Some((_, list)) = self.scopes.get_mut(machine) {
            list.extend(names.into_iter().map(|n| (state.to_owned(), n)));
        }
    }

    fn state(
        &mut self,
        machine: usize,
        name: &str,
        map: &Map<String, Value>,
        index: &HashMap<&str, usize>,
    ) -> Result<State, DefinitionError> {
        let err = |m: String| DefinitionError::new(Some(name), m);
        let jsonata = query_language(map, Some(name), self.jsonata)?;
        let kind_name = match map.get("Type") {
            Some(Value::String(t)) => t.as_str(),
            _ => return Err(err("Type is missing or not a string".to_owned())),
        };
        let f = Fields {
            state: name,
            map,
            jsonata,
        };
        let (fields, transitions) = allowed(kind_name, jsonata).map_err(err)?;
        for key in map.keys() {
            let known = matches!(key.as_str(), "Type" | "Comment" | "QueryLanguage")
                || fields.contains(&key.as_str())
                || (transitions && matches!(key.as_str(), "Next" | "End"));
            if known {
                continue;
            }
            let other_language =
                allowed(kind_name, !jsonata).is_ok_and(|(other, _)| other.contains(&key.as_str()));
            return Err(err(if other_language {
                format!(
                    "the field '{key}' is not supported in a {} state",
                    if jsonata { "JSONata" } else { "JSONPath" }
                )
            } else {
                format!("the field '{key}' is not supported in a {kind_name} state")
            }));
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
        let io = if jsonata {
            Io::Jsonata(JsonataIo {
                arguments: f.jsonata("Arguments")?,
                output: f.jsonata("Output")?,
            })
        } else {
            Io::Path(PathIo {
                input_path: f.nullable_path("InputPath")?,
                // A Map's `Parameters` is the old name of its ItemSelector.
                parameters: if kind_name == "Map" {
                    None
                } else {
                    f.template("Parameters")?
                },
                result_selector: f.template("ResultSelector")?,
                result_path: f.nullable_reference("ResultPath")?,
                output_path: f.nullable_path("OutputPath")?,
            })
        };
        let assign = f.assign("Assign")?;
        self.note_assigned(machine, name, &assign);
        let kind = self.kind(machine, kind_name, &f, index)?;
        Ok(State {
            name: name.to_owned(),
            kind,
            io,
            next,
            assign,
        })
    }
}
