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
    pub details: Details,
}

/// A JSON value as its compact text, shared by the events that carry it.
/// It serializes as the JSON value itself. Short texts (a number, a short
/// string, `{}`) are kept inline, with no allocation.
#[derive(Clone)]
pub struct Payload(Text);

#[derive(Clone)]
enum Text {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

/// The longest text kept inline.
const INLINE: usize = 22;

impl Payload {
    pub fn new(value: &Value) -> Self {
        if let Some(small) = Self::scalar(value) {
            return small;
        }
        // Written into a buffer this thread reuses: at most one allocation,
        // the shared text's own.
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut buffer) => {
                buffer.clear();
                match serde_json::to_writer(&mut *buffer, value) {
                    Ok(()) => Self::from_text(std::str::from_utf8(&buffer).unwrap_or("null")),
                    Err(_) => Self::from_text("null"),
                }
            }
            Err(_) => Self::from_text(&value.to_string()),
        })
    }

    /// A null, boolean, integer or short plain string, written directly
    /// (exactly as serde_json writes it) with no serializer.
    fn scalar(value: &Value) -> Option<Self> {
        let mut out = Inline::default();
        match value {
            Value::Null => out.push(b"null")?,
            Value::Bool(true) => out.push(b"true")?,
            Value::Bool(false) => out.push(b"false")?,
            Value::Number(n) => {
                let (negative, magnitude) = match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => (false, u),
                    (None, Some(i)) => (true, i.unsigned_abs()),
                    _ => return None,
                };
                let mut digits = [0u8; 20];
                let mut at = digits.len();
                let mut rest = magnitude;
                loop {
                    at -= 1;
                    *digits.get_mut(at)? = b'0' + (rest % 10) as u8;
                    rest /= 10;
                    if rest == 0 {
                        break;
                    }
                }
                if negative {
                    out.push(b"-")?;
                }
                out.push(digits.get(at..)?)?;
            }
            Value::String(text)
                if text.len() + 2 <= INLINE
                    && !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') =>
            {
                out.push(b"\"")?;
                out.push(text.as_bytes())?;
                out.push(b"\"")?;
            }
            _ => return None,
        }
        Some(Self(Text::Inline {
            len: out.len,
            bytes: out.bytes,
        }))
    }

    fn from_text(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                if let Some(slot) = bytes.get_mut(..text.len()) {
                    slot.copy_from_slice(text.as_bytes());
                }
                Self(Text::Inline { len, bytes })
            }
            _ => Self(Text::Shared(Arc::from(text))),
        }
    }

    /// The value (parsed from its text).
    pub fn value(&self) -> Value {
        serde_json::from_str(self.text()).unwrap_or(Value::Null)
    }

    /// The compact JSON text.
    pub fn text(&self) -> &str {
        match &self.0 {
            Text::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or("null"),
            Text::Shared(text) => text,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.text().len()
    }
}

/// Text being written inline.
#[derive(Default)]
struct Inline {
    len: u8,
    bytes: [u8; INLINE],
}

impl Inline {
    /// Appends `text`, if it fits.
    fn push(&mut self, text: &[u8]) -> Option<()> {
        let start = usize::from(self.len);
        let end = start + text.len();
        self.bytes.get_mut(start..end)?.copy_from_slice(text);
        self.len = u8::try_from(end).ok()?;
        Some(())
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Eq for Payload {}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

impl From<&Value> for Payload {
    fn from(value: &Value) -> Self {
        Self::new(value)
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::value::RawValue::from_string(self.text().to_owned()) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        Ok(Self::from_text(raw.get()))
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
    #[serde(default)] Option<Details>,
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
        let mut details: Details = details.unwrap_or_default();
        // Read back, absent rarer fields come as an empty `More`.
        if details.more.as_deref() == Some(&More::default()) {
            details.more = None;
        }
        Self {
            id,
            previous_event_id,
            timestamp: DateTime::from_timestamp_millis(millis).unwrap_or_default(),
            kind,
            details,
        }
    }
}

/// An event's details, held in the event: no allocation per event. What
/// only some events carry (a failure's error and cause, assigned variables,
/// a service's name, ...) is boxed apart, so every event stays small (the
/// history is a `Vec` that grows by copying).
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
    pub index: Option<usize>,
    /// A task's resource (every task event carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The rarer fields, inline in the serialized form.
    #[serde(flatten)]
    pub more: Option<Box<More>>,
}

/// The details only some events carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct More {
    /// A failure's error name and cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// A Map's item count (`MapStateStarted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// A service integration's service (`sqs`, `lambda`): none for a
    /// Lambda function's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
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

impl Details {
    /// The rarer fields, if any.
    pub fn more(&self) -> &More {
        static NONE: More = More {
            error: None,
            cause: None,
            length: None,
            resource_type: None,
            assigned: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
            location: None,
            region: None,
            role_arn: None,
        };
        self.more.as_deref().unwrap_or(&NONE)
    }

    /// Details with these rarer fields.
    pub(crate) fn with(more: More) -> Self {
        Self {
            more: Some(Box::new(more)),
            ..Self::default()
        }
    }

    /// These details with a failure's error and cause (AWS leaves out an
    /// empty cause).
    pub(crate) fn failed(mut self, error: &str, cause: &str) -> Self {
        let more = self.more.get_or_insert_with(Box::default);
        more.error = (!error.is_empty()).then(|| error.to_owned());
        more.cause = (!cause.is_empty()).then(|| cause.to_owned());
        self
    }
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
        let m = d.more();
        let mut details = Map::new();
        let truncated = || json!({"truncated": false});
        if let Some(assigned) = &m.assigned {
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
        if let Some(length) = m.length {
            details.insert("length".into(), json!(length));
        }
        if let Some(kind) = &m.resource_type {
            details.insert("resourceType".into(), json!(kind));
        }
        if let Some(resource) = &d.resource {
            details.insert("resource".into(), json!(resource));
        }
        if let Some(region) = &m.region {
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
        if let Some(seconds) = m.timeout_seconds {
            details.insert("timeoutInSeconds".into(), json!(seconds));
        }
        if let Some(seconds) = m.heartbeat_seconds {
            details.insert("heartbeatInSeconds".into(), json!(seconds));
        }
        if let Some(error) = &m.error {
            details.insert("error".into(), json!(error));
        }
        if let Some(cause) = &m.cause {
            details.insert("cause".into(), json!(cause));
        }
        if let Some(location) = &m.location {
            details.insert("location".into(), json!(location));
        }
        if let Some(role) = &m.role_arn {
            details.insert("roleArn".into(), json!(role));
        }
        if !details.is_empty() {
            out.insert(details_key(&self.kind), Value::Object(details));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value's text is serde_json's, inline or shared.
    #[test]
    fn payload_text_is_serde_jsons() {
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-1),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(""),
            json!("plain"),
            json!("quote \" and \\"),
            json!("tab\t"),
            json!("héllo ✓"),
            json!("twenty characters!!"),
            json!("twenty-one characters"),
            json!([1, "a", {"b": null}]),
            json!({"key": "value", "n": 12345678901234567890u64}),
        ];
        for value in values {
            let payload = Payload::new(&value);
            assert_eq!(payload.text(), value.to_string(), "{value}");
            assert_eq!(payload.value(), value);
        }
    }
}
