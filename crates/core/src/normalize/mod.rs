//! Turns any supported alert payload into normalized [`Alert`]s.
//!
//! | payload | recognised by |
//! |---|---|
//! | EventBridge `CloudWatch Alarm State Change` / `... Contributor State Change` | `detail-type` |
//! | SNS-delivered alarm, Lambda event | `Records[].Sns.Message` |
//! | SNS alarm message posted on its own, or an SNS HTTP notification | `AlarmName` / `Type` + `Message` |
//! | an alarm's direct Lambda invocation | `alarmData` |
//! | CloudWatch Logs subscription | `awslogs.data` |
//! | Alertmanager (version 4) and Grafana webhooks | `alerts` |
//! | generic webhook | `title` / `message` |

mod cloudwatch;
mod draft;
mod error;
mod json;
mod logs;
mod prometheus;
mod sns;
mod webhook;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::alert::{Alert, RawPayload};
use crate::limits::MAX_PAYLOAD_BYTES;
use crate::severity::SeverityRule;

pub use error::NormalizeError;

/// Settings that change how alerts are normalized (the `[normalize]` table
/// of `responder.toml`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizeOptions {
    /// Rules tried in order when the payload does not carry a severity.
    #[serde(default)]
    pub severity_rules: Vec<SeverityRule>,
}

/// Normalizes a payload given as bytes: checks the size limit and UTF-8
/// first, then see [`normalize`].
pub fn normalize_bytes(
    payload: &[u8],
    options: &NormalizeOptions,
) -> Result<Vec<Alert>, NormalizeError> {
    check_size(payload.len())?;
    let text = std::str::from_utf8(payload).map_err(|e| {
        NormalizeError::invalid(format!(
            "payload is not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    normalize(text, options)
}

/// Normalizes one payload into its alerts: usually one; one per entry of
/// `alerts` for Alertmanager and Grafana; none for a CloudWatch Logs
/// `CONTROL_MESSAGE` (the subscription's reachability check).
pub fn normalize(payload: &str, options: &NormalizeOptions) -> Result<Vec<Alert>, NormalizeError> {
    check_size(payload.len())?;
    let payload = payload.strip_prefix('\u{feff}').unwrap_or(payload);
    let first = payload.trim_start().chars().next();
    match first {
        None => return Err(NormalizeError::invalid("payload is empty")),
        Some('{') => {}
        Some(c) => {
            let what = match c {
                '[' => "an array",
                '"' => "a string",
                't' | 'f' => "a boolean",
                'n' => "null",
                '-' | '0'..='9' => "a number",
                _ => "not JSON",
            };
            return Err(NormalizeError::invalid(format!(
                "payload must be a JSON object, got {what}"
            )));
        }
    }
    json::check_depth(payload, "payload")?;
    // Fast paths for the two commonest shapes, chosen by the first key (no
    // parsing); each gives way to the general path below on any doubt.
    let fast = match first_key(payload) {
        Some("Records") => sns::try_lambda_event(payload),
        Some(key) if EVENTBRIDGE_KEYS.contains(&key) => cloudwatch::try_alarm_state_change(payload),
        _ => None,
    };
    if let Some(drafts) = fast {
        return drafts?.into_iter().map(|d| d.finish(options)).collect();
    }
    let probe: Probe<'_> = serde_json::from_str(payload).map_err(|e| {
        if e.is_data() {
            NormalizeError::from_serde("", "payload", &e)
        } else {
            let text = e.to_string();
            NormalizeError::invalid(format!("payload is not valid JSON: {text}"))
        }
    })?;
    let drafts = if probe.records.is_some() {
        sns::from_lambda_event(payload)?
    } else if probe.awslogs.is_some() {
        logs::from_subscription(payload)?
    } else if probe.alarm_data.is_some() {
        cloudwatch::from_lambda_action(payload)?
    } else if let Some(detail_type) = probe.detail_type {
        let envelope = cloudwatch::EventBridgeEnvelope {
            source: probe.source,
            account: probe.account,
            region: probe.region,
            resources: probe.resources,
            detail: probe.detail,
        };
        cloudwatch::from_eventbridge(payload, detail_type, envelope)?
    } else if probe.alarm_name.is_some() {
        sns::from_alarm_message(payload, "")?
    } else if probe.sns_type.is_some() && probe.sns_message.is_some() {
        sns::from_http_notification(payload)?
    } else if probe.alerts.is_some() {
        prometheus::from_webhook(payload)?
    } else if probe.title.is_some() || probe.message.is_some() {
        webhook::from_payload(payload)?
    } else {
        return Err(unknown_shape(payload));
    };
    drafts.into_iter().map(|d| d.finish(options)).collect()
}

/// The top-level keys an EventBridge event starts with, in any order.
const EVENTBRIDGE_KEYS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
];

/// The first key of a JSON object, when it has no escapes.
fn first_key(payload: &str) -> Option<&str> {
    let rest = payload.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    rest.get(..end)
        .filter(|_| rest.as_bytes().get(end) == Some(&b'"'))
}

fn check_size(len: usize) -> Result<(), NormalizeError> {
    if len > MAX_PAYLOAD_BYTES {
        return Err(NormalizeError::invalid(format!(
            "payload is {len} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes (256 KiB)"
        )));
    }
    Ok(())
}

/// The top-level keys that tell the sources apart, plus the EventBridge
/// envelope (most traffic), so that it is read in this one pass. Values stay
/// unparsed.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<&'a RawValue>,
    #[serde(borrow)]
    source: Option<&'a RawValue>,
    #[serde(borrow)]
    account: Option<&'a RawValue>,
    #[serde(borrow)]
    region: Option<&'a RawValue>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    #[serde(rename = "Records", borrow)]
    records: Option<&'a RawValue>,
    #[serde(borrow)]
    awslogs: Option<&'a RawValue>,
    #[serde(rename = "alarmData", borrow)]
    alarm_data: Option<&'a RawValue>,
    #[serde(rename = "AlarmName", borrow)]
    alarm_name: Option<&'a RawValue>,
    #[serde(rename = "Type", borrow)]
    sns_type: Option<&'a RawValue>,
    #[serde(rename = "Message", borrow)]
    sns_message: Option<&'a RawValue>,
    #[serde(borrow)]
    alerts: Option<&'a RawValue>,
    #[serde(borrow)]
    title: Option<&'a RawValue>,
    #[serde(borrow)]
    message: Option<&'a RawValue>,
}

fn unknown_shape(payload: &str) -> NormalizeError {
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(payload)
            .map(|m| m.keys().take(8).map(|k| error::quote(k)).collect())
            .unwrap_or_default();
    NormalizeError::unsupported(format!(
        "payload matches no supported source (top-level keys: {}); expected an EventBridge CloudWatch \
         alarm event, an SNS or Lambda alarm notification, a CloudWatch Logs subscription, an \
         Alertmanager or Grafana webhook, or a webhook with title and message",
        if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.join(", ")
        }
    ))
}

/// A copy, kept as evidence, of a JSON text the caller has parsed in full.
fn raw_copy(json: &str) -> RawPayload {
    RawPayload::parsed(json)
}
