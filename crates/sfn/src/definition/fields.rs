//! Typed access to one state's fields, with errors that name the state.

use super::*;

/// Typed access to one state's fields, with errors that name the state.
pub(super) struct Fields<'a> {
    pub(super) state: &'a str,
    pub(super) map: &'a Map<String, Value>,
    /// The state's query language is JSONata.
    pub(super) jsonata: bool,
}

impl<'a> Fields<'a> {
    pub(super) fn error(&self, message: String) -> DefinitionError {
        DefinitionError::new(Some(self.state), message)
    }

    pub(super) fn target(
        &self,
        name: &str,
        index: &HashMap<&str, usize>,
    ) -> Result<usize, DefinitionError> {
        index.get(name).copied().ok_or_else(|| {
            self.error(format!(
                "names '{name}' as a next state, but there is no such state"
            ))
        })
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<&'a str>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(format!("{key} must be a string"))),
        }
    }

    pub(super) fn u64(&self, key: &str) -> Result<Option<u64>, DefinitionError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                self.error(format!("{key} must be a non-negative integer, got {v}"))
            }),
        }
    }

    pub(super) fn path(&self, key: &str) -> Result<JsonPath, DefinitionError> {
        let text = self.string(key)?.unwrap_or_default();
        JsonPath::parse(text).map_err(|e| self.error(format!("{key}: {e}")))
    }

    /// A path field that defaults to `$` and may be `null`.
    pub(super) fn nullable_path(&self, key: &str) -> Result<Option<JsonPath>, DefinitionError> {
        match self.map.get(key) {
            Some(Value::Null) => Ok(None),
            None => Ok(Some(root())),
            Some(_) => self.path(key).map(Some),
        }
    }

    pub(super) fn nullable_reference(
        &self,
        key: &str,
    ) -> Result<Option<JsonPath>, DefinitionError> {
        match self.map.get(key) {
            Some(Value::Null) => Ok(None),
            None => Ok(Some(root())),
            Some(Value::String(text)) => JsonPath::parse_reference(text)
                .map(Some)
                .map_err(|e| self.error(format!("{key}: {e}"))),
            Some(_) => Err(self.error(format!("{key} must be a path string or null"))),
        }
    }

    pub(super) fn template(&self, key: &str) -> Result<Option<Template>, DefinitionError> {
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

    /// A JSONata field: literal JSON with `{% %}` expressions inside.
    pub(super) fn jsonata(&self, key: &str) -> Result<Option<Jsonata>, DefinitionError> {
        self.map
            .get(key)
            .map(|v| compile_jsonata(self.state, key, v))
            .transpose()
    }

    /// `Assign`: an object of variable names.
    pub(super) fn assign(&self, key: &str) -> Result<Option<Assign>, DefinitionError> {
        self.map
            .get(key)
            .map(|v| compile_assign(self.state, self.jsonata, key, v))
            .transpose()
    }

    /// `KEY` (a fixed count) or `KEYPath` (read at run time), not both; in
    /// JSONata, `KEY` may be an expression.
    pub(super) fn seconds(&self, key: &str) -> Result<Option<Seconds>, DefinitionError> {
        if self.jsonata {
            return match self.map.get(key) {
                None => Ok(None),
                Some(Value::String(s)) if jsonata::expression_text(s).is_some() => {
                    Ok(self.jsonata(key)?.map(Seconds::Jsonata))
                }
                Some(_) => Ok(self.u64(key)?.map(Seconds::Fixed)),
            };
        }
        let path_key = format!("{key}Path");
        match (self.map.contains_key(key), self.map.contains_key(&path_key)) {
            (true, true) => Err(self.error(format!("has both {key} and {path_key}"))),
            (true, false) => Ok(self.u64(key)?.map(Seconds::Fixed)),
            (false, true) => Ok(Some(Seconds::Path(self.path(&path_key)?))),
            (false, false) => Ok(None),
        }
    }

    pub(super) fn handlers(
        &self,
        index: &HashMap<&str, usize>,
    ) -> Result<Handlers, DefinitionError> {
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
                let allowed: &[&str] = if self.jsonata {
                    &["ErrorEquals", "Next", "Output", "Assign", "Comment"]
                } else {
                    &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
                };
                if let Some(key) = c.keys().find(|k| !allowed.contains(&k.as_str())) {
                    return Err(at(format!("the field '{key}' is not supported")));
                }
                let result = if self.jsonata {
                    CatchResult::Jsonata(
                        c.get("Output")
                            .map(|v| compile_jsonata(self.state, &format!("Catch[{i}].Output"), v))
                            .transpose()?,
                    )
                } else {
                    CatchResult::Path(match c.get("ResultPath") {
                        Some(Value::Null) => None,
                        None => Some(root()),
                        Some(Value::String(p)) => Some(JsonPath::parse_reference(p).map_err(at)?),
                        Some(_) => {
                            return Err(at("ResultPath must be a path string or null".to_owned()));
                        }
                    })
                };
                let assign = c
                    .get("Assign")
                    .map(|v| {
                        compile_assign(self.state, self.jsonata, &format!("Catch[{i}].Assign"), v)
                    })
                    .transpose()?;
                handlers.catch.push(Catcher {
                    errors,
                    next,
                    result,
                    assign,
                });
            }
        }
        Ok(handlers)
    }
}

pub(super) fn compile_jsonata(
    state: &str,
    field: &str,
    value: &Value,
) -> Result<Jsonata, DefinitionError> {
    Jsonata::compile(value).map_err(|e| {
        let message = if e.starts_with('/') {
            format!("{field}{e}")
        } else {
            format!("{field}: {e}")
        };
        DefinitionError::new(Some(state), message)
    })
}

/// A variable name AWS accepts: letters, digits and `_`, not starting with
/// a digit, at most 80 characters, not the reserved `states`.
fn check_variable(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.chars().count() <= 80
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(format!(
            "'{name}' is not a variable name (letters, digits and '_', not starting with a digit, \
             at most 80 characters)"
        ));
    }
    if name == "states" {
        return Err("'states' is a reserved variable name".to_owned());
    }
    Ok(())
}

pub(super) fn compile_assign(
    state: &str,
    jsonata: bool,
    field: &str,
    value: &Value,
) -> Result<Assign, DefinitionError> {
    let err = |m: String| DefinitionError::new(Some(state), format!("{field}: {m}"));
    let Value::Object(map) = value else {
        return Err(err("must be an object of variable names".to_owned()));
    };
    for key in map.keys() {
        let name = if jsonata {
            key.as_str()
        } else {
            key.strip_suffix(".$").unwrap_or(key)
        };
        check_variable(name).map_err(err)?;
    }
    if jsonata {
        let mut fields = Vec::with_capacity(map.len());
        for (name, v) in map {
            fields.push((
                name.clone(),
                compile_jsonata(state, &format!("{field}/{name}"), v)?,
            ));
        }
        return Ok(Assign::Jsonata(fields));
    }
    Template::compile(value).map(Assign::Path).map_err(err)
}

pub(super) fn root() -> JsonPath {
    JsonPath::root()
}

pub(super) fn error_equals(map: &Map<String, Value>, last: bool) -> Result<Vec<String>, String> {
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
