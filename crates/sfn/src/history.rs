//! Execution history, with AWS's event types, ids and `previousEventId`.

use std::borrow::Cow;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
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

impl Event {
    /// The event as the Step Functions API returns it: data as JSON text,
    /// details under `<type>EventDetails` (`stateEnteredEventDetails` for
    /// every `...StateEntered`).
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
        let text = |v: &Value| Value::String(v.to_string());
        let key = if self.kind.ends_with("StateEntered") {
            "stateEnteredEventDetails".to_owned()
        } else if self.kind.ends_with("StateExited") {
            "stateExitedEventDetails".to_owned()
        } else {
            let mut chars = self.kind.chars();
            let first = chars
                .next()
                .map(|c| c.to_ascii_lowercase())
                .unwrap_or_default();
            format!("{first}{}EventDetails", chars.as_str())
        };
        if let Some(name) = &d.name {
            details.insert("name".into(), json!(name));
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
        if let Some(input) = &d.input {
            let field = if self.kind.ends_with("Scheduled") {
                "parameters"
            } else {
                "input"
            };
            details.insert(field.into(), text(input));
        }
        if let Some(output) = &d.output {
            details.insert("output".into(), text(output));
        }
        if let Some(error) = &d.error {
            details.insert("error".into(), json!(error));
        }
        if let Some(cause) = &d.cause {
            details.insert("cause".into(), json!(cause));
        }
        if !details.is_empty() {
            out.insert(key, Value::Object(details));
        }
        Value::Object(out)
    }
}
