//! The generic webhook applications post:
//!
//! ```json
//! {"title": "Checkout failing", "message": "HTTP 500 from payments", "severity": "HIGH",
//!  "source": "checkout-api", "service": "checkout", "tags": {"team": "payments"}}
//! ```
//!
//! Optional fields: `source`, `service`, `resource`, `tags`; `status`
//! (`firing` or `resolved`; `ALARM`, `OK` or `INSUFFICIENT_DATA`); `timestamp`
//! (RFC 3339; the time of receipt if absent); `id` (your own event id, used as
//! the dedup key); `fingerprint` (your own identity of the problem, used as
//! the signature's message part). Without `id`, a payload posted twice is
//! one delivery: give a `timestamp` or an `id` to report a new occurrence.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::draft::{Draft, labels_from, timestamp_at};
use super::error::{NormalizeError, quote};
use super::json::{borrowed, parse_at};
use super::raw_copy;
use crate::alert::{AlertState, SourceKind};
use crate::severity::Severity;
use crate::time::Timestamp;

#[derive(Deserialize)]
struct Webhook<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    title: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    severity: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    source: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    service: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    resource: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt_map")]
    tags: Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    fingerprint: Option<Cow<'a, str>>,
}

pub(crate) fn from_payload(payload: &str) -> Result<Vec<Draft>, NormalizeError> {
    let hook: Webhook<'_> = parse_at(payload, "")?;
    let title = required_text(hook.title, "title")?;
    let message = required_text(hook.message, "message")?;
    let stated_severity = match hook.severity.as_deref() {
        Some(text) => {
            let severity = Severity::parse_loose(text).ok_or_else(|| {
                NormalizeError::invalid(format!(
                    "severity must be CRITICAL, HIGH, MEDIUM or LOW (or critical/warning/info, \
                     P1-P4, sev1-sev4), got {}",
                    quote(text)
                ))
            })?;
            Some((severity, format!("the payload's severity is {text}")))
        }
        None => None,
    };
    let state = match hook.status.as_deref() {
        None => AlertState::Alarm,
        Some(text) => status_state(text).ok_or_else(|| {
            NormalizeError::invalid(format!(
                "status must be firing or resolved (or ALARM, OK, INSUFFICIENT_DATA), got {}",
                quote(text)
            ))
        })?,
    };
    let occurred_at = match hook.timestamp.as_deref() {
        Some(text) => timestamp_at(text, "timestamp")?,
        None => Timestamp::now(),
    };
    let labels = labels_from(hook.tags.unwrap_or_default(), "tags")?;
    let source = hook.source.as_deref().unwrap_or("webhook").to_owned();
    let service = hook.service.as_deref().map(str::to_owned);
    let resource = hook
        .resource
        .as_deref()
        .or(hook.service.as_deref())
        .or(hook.source.as_deref())
        .unwrap_or("webhook")
        .to_owned();
    let dedup_parts = match hook.id.as_deref() {
        Some(id) => vec!["webhook-id".to_owned(), source.clone(), id.to_owned()],
        None => vec![
            "webhook".to_owned(),
            source.clone(),
            resource.clone(),
            title.clone(),
            message.clone(),
            state.as_str().to_owned(),
            hook.timestamp.as_deref().unwrap_or_default().to_owned(),
        ],
    };
    let template_text = match hook.fingerprint.as_deref() {
        Some(fingerprint) => format!("fingerprint:{fingerprint}"),
        None => message.clone(),
    };
    Ok(vec![Draft {
        source: SourceKind::Webhook,
        account: None,
        region: None,
        resource,
        service,
        subject: crate::signature::message_template(&title),
        title,
        message,
        state,
        previous_state: None,
        stated_severity,
        occurred_at,
        metric: None,
        alarm: None,
        logs: None,
        labels,
        labels_field: "tags",
        runbook: None,
        source_url: None,
        dedup_parts,
        template_text,
        raw: raw_copy(payload),
    }])
}

fn required_text(value: Option<Cow<'_, str>>, field: &str) -> Result<String, NormalizeError> {
    match value {
        None => Err(NormalizeError::missing(field)),
        Some(text) if text.trim().is_empty() => {
            Err(NormalizeError::invalid(format!("{field} is empty")))
        }
        Some(text) => Ok(text.trim().to_owned()),
    }
}

/// `firing`/`resolved` (Alertmanager's words) or CloudWatch's three states.
pub(crate) fn status_state(text: &str) -> Option<AlertState> {
    match text.trim().to_ascii_lowercase().as_str() {
        "firing" | "alarm" | "alerting" | "triggered" | "problem" => Some(AlertState::Alarm),
        "resolved" | "ok" | "normal" | "recovered" => Some(AlertState::Ok),
        "insufficient_data" | "nodata" | "no_data" => Some(AlertState::InsufficientData),
        _ => None,
    }
}
