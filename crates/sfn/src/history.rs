//! Execution history, with AWS's event types, ids and `previousEventId`.
//! Inputs and outputs are kept as compact JSON text, shared between the
//! events that carry the same value (a state's output is the next state's
//! input), so a long history stays small.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One history event. Details are kept typed and small while the execution
/// runs; [`Event::to_aws`] renders them as `GetExecutionHistory` does.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "Record")]
pub struct Event {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: DateTime<Utc>,
    pub kind: Cow<'static, str>,
    /// Boxed: most events carry few details, and the history stays compact.
    pub details: Box<Details>,
}

/// A JSON value as its compact text, shared by the events that carry it.
/// It serializes as the JSON value itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload(Arc<str>);

impl Payload {
    pub fn new(value: &Value) -> Self {
        Self(Arc::from(value.to_string()))
    }

    /// The value (parsed from its text).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The compact JSON text.
    pub fn text(&self) -> &str {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&Value> for Payload {
    fn from(value: &Value) -> Self {
        Self::new(value)
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::value::RawValue::from_string(self.0.to_string()) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        Ok(Self(Arc::from(raw.get())))
    }
}

/// How an event is stored in a snapshot: a JSON array
/// `[id, previousEventId, epoch millis, type, details?]`. Snapshots hold
/// thousands of events; field names would be a third of their bytes.
#[derive(Deserialize)]
struct Record(
    u64,
    u64,
    i64,
    Cow<'static, str>,
    #[serde(default)] Option<Box<Details>>,
);

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple as _;
        let with_details = !is_empty(&self.details);
        let mut tuple = serializer.serialize_tuple(if with_details { 5 } else { 4 })?;
        tuple.serialize_element(&self.id)?;
        tuple.serialize_element(&self.previous_event_id)?;
        tuple.serialize_element(&self.timestamp.timestamp_millis())?;
        tuple.serialize_element(&self.kind)?;
        if with_details {
            tuple.serialize_element(&self.details)?;
        }
        tuple.end()
    }
}

impl From<Record> for Event {
    fn from(Record(id, previous_event_id, millis, kind, details): Record) -> Self {
        Self {
            id,
            previous_event_id,
            timestamp: DateTime::from_timestamp_millis(millis).unwrap_or_default(),
            kind,
            details: details.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// The state (for `EvaluationFailed`, the state that failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Payload>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Payload>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// The variables a state assigned, each as its JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<Vec<(String, Payload)>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_seconds: Option<u64>,
    /// Where an expression failed (`EvaluationFailed`): `Output`,
    /// `Assign/name`, `Arguments`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

fn is_empty(details: &Details) -> bool {
    *details == Details::default()
}

impl Details {
    pub fn named(name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..Self::default()
        }
    }
}

/// The key of an event's details in `GetExecutionHistory`.
fn details_key(kind: &str) -> String {
    if kind.ends_with("StateEntered") {
        return "stateEnteredEventDetails".to_owned();
    }
    if kind.ends_with("StateExited") {
        return "stateExitedEventDetails".to_owned();
    }
    let mut chars = kind.chars();
    let first = chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .unwrap_or_default();
    format!("{first}{}EventDetails", chars.as_str())
}

impl Event {
    /// The event as the Step Functions API returns it: data as JSON text,
    /// details under `<type>EventDetails` (`stateEnteredEventDetails` for
    /// every `...StateEntered`), with the fields AWS gives each type.
    pub fn to_aws(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("previousEventId".into(), json!(self.previous_event_id));
        out.insert(
            "timestamp".into(),
            json!(self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        out.insert("type".into(), json!(self.kind));
        let d = &self.details;
        let mut details = Map::new();
        let truncated = || json!({"truncated": false});
        if let Some(assigned) = &d.assigned {
            let vars: Map<String, Value> = assigned
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.text())))
                .collect();
            details.insert("assignedVariables".into(), Value::Object(vars));
            details.insert("assignedVariablesDetails".into(), truncated());
        }
        if let Some(name) = &d.name {
            let key = if self.kind == "EvaluationFailed" {
                "state"
            } else {
                "name"
            };
            details.insert(key.into(), json!(name));
        }
        if let Some(index) = d.index {
            details.insert("index".into(), json!(index));
        }
        if let Some(length) = d.length {
            details.insert("length".into(), json!(length));
        }
        if let Some(kind) = &d.resource_type {
            details.insert("resourceType".into(), json!(kind));
        }
        if let Some(resource) = &d.resource {
            details.insert("resource".into(), json!(resource));
        }
        if let Some(region) = &d.region {
            details.insert("region".into(), json!(region));
        }
        if let Some(input) = &d.input {
            if self.kind == "TaskScheduled" {
                details.insert("parameters".into(), json!(input.text()));
            } else {
                details.insert("input".into(), json!(input.text()));
                details.insert("inputDetails".into(), truncated());
            }
        }
        if let Some(output) = &d.output {
            details.insert("output".into(), json!(output.text()));
            details.insert("outputDetails".into(), truncated());
        }
        if let Some(seconds) = d.timeout_seconds {
            details.insert("timeoutInSeconds".into(), json!(seconds));
        }
        if let Some(seconds) = d.heartbeat_seconds {
            details.insert("heartbeatInSeconds".into(), json!(seconds));
        }
        if let Some(error) = &d.error {
            details.insert("error".into(), json!(error));
        }
        if let Some(cause) = &d.cause {
            details.insert("cause".into(), json!(cause));
        }
        if let Some(location) = &d.location {
            details.insert("location".into(), json!(location));
        }
        if let Some(role) = &d.role_arn {
            details.insert("roleArn".into(), json!(role));
        }
        if !details.is_empty() {
            out.insert(details_key(&self.kind), Value::Object(details));
        }
        Value::Object(out)
    }
}
