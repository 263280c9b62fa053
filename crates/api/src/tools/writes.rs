//! The write tools: decisions on pending approvals, resolution by hand, and
//! new investigations. The audit record is written by the caller
//! ([`super::Tools::call`]).

use responder_core::Channel;
use responder_core::json::set;
use serde_json::{Value, json};

use super::Caller;
use super::analyze::{normalize_value, text_alert};
use super::args::{self, MAX_TEXT_CHARS};
use super::incidents::{check_id, parse_severity};
use crate::backend::{Backend, Decision};
use crate::error::ApiError;

pub async fn approve<B: Backend>(
    backend: &B,
    a: args::ApproveIncident,
    caller: &Caller,
) -> Result<Value, ApiError> {
    check_id("incident_id", &a.incident_id)?;
    let severity = a
        .severity
        .as_deref()
        .map(|s| parse_severity("severity", s))
        .transpose()?;
    let channels = a.channels.as_deref().map(parse_channels).transpose()?;
    let decision = Decision::Approve {
        comment: a.comment.as_deref().map(bounded_text),
        severity,
        channels,
        summary: a.summary.as_deref().map(bounded_text),
    };
    let decided = backend.decide(&a.incident_id, &decision, &caller.0).await?;
    Ok(json!(decided))
}

/// The channels an approver chose instead of the routed ones.
fn parse_channels(names: &[String]) -> Result<Vec<Channel>, ApiError> {
    if names.is_empty() {
        return Err(ApiError::invalid(
            "arguments.channels is empty; omit it to keep the routed channels",
        ));
    }
    names
        .iter()
        .map(|name| {
            name.parse().map_err(|_| {
                ApiError::invalid(format!(
                    "arguments.channels: '{}' is not {}",
                    super::incidents::printable(name),
                    Channel::names_listed()
                ))
            })
        })
        .collect()
}

pub async fn reject<B: Backend>(
    backend: &B,
    a: args::RejectIncident,
    caller: &Caller,
) -> Result<Value, ApiError> {
    check_id("incident_id", &a.incident_id)?;
    if a.reason.trim().is_empty() {
        return Err(ApiError::invalid("arguments.reason is empty"));
    }
    let decision = Decision::Reject {
        reason: bounded_text(&a.reason),
    };
    let decided = backend.decide(&a.incident_id, &decision, &caller.0).await?;
    Ok(json!(decided))
}

pub async fn resolve<B: Backend>(backend: &B, a: args::ResolveIncident) -> Result<Value, ApiError> {
    check_id("incident_id", &a.incident_id)?;
    let resolution = bounded_text(a.resolution.as_deref().unwrap_or("resolved by hand"));
    let incident = backend.resolve(&a.incident_id, &resolution).await?;
    Ok(json!({ "incident": incident, "resolution": resolution }))
}

pub async fn start<B: Backend>(
    backend: &B,
    a: args::StartInvestigation,
) -> Result<Value, ApiError> {
    let payload = match (a.payload, a.title, a.message) {
        (Some(payload), None, None) => payload,
        (None, Some(title), message) => {
            let mut payload = text_alert(&title)?;
            let title_cut: String = title.chars().take(200).collect();
            set(&mut payload, "title", json!(title_cut));
            set(&mut payload, "message", json!(message.unwrap_or(title)));
            if let Some(severity) = &a.severity {
                let severity = parse_severity("severity", severity)?;
                set(&mut payload, "severity", json!(severity.as_str()));
            }
            if let Some(service) = &a.service {
                set(&mut payload, "service", json!(service));
            }
            payload
        }
        _ => {
            return Err(ApiError::invalid(
                "arguments: give a payload, or a title (with an optional message, severity and service)",
            ));
        }
    };
    // Refuse what the workflow would refuse, before starting anything.
    let alerts = normalize_value(&payload)?;
    let execution_id = backend.start(&payload).await?;
    Ok(json!({
        "execution_id": execution_id,
        "alerts": alerts.iter().map(|a| json!({
            "id": a.id,
            "title": a.title,
            "severity": a.severity,
            "dedup_key": a.dedup_key,
        })).collect::<Vec<_>>(),
    }))
}

/// A person's text, cut at [`MAX_TEXT_CHARS`].
fn bounded_text(text: &str) -> String {
    text.trim().chars().take(MAX_TEXT_CHARS).collect()
}
