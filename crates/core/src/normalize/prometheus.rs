//! Prometheus Alertmanager (webhook version 4) and Grafana alerting webhooks:
//! one alert per entry of `alerts`, firing or resolved.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::draft::{Draft, labels_from, timestamp_at};
use super::error::{NormalizeError, quote};
use super::json::{borrowed, parse_at};
use super::raw_copy;
use super::webhook::status_state;
use crate::alert::{AlertState, SourceKind};
use crate::limits::MAX_ALERTS_PER_PAYLOAD;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group<'a> {
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    version: Option<Cow<'a, str>>,
    #[serde(default)]
    org_id: Option<i64>,
    #[serde(borrow)]
    alerts: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow, deserialize_with = "borrowed::map")]
    labels: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::map")]
    annotations: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
    #[serde(borrow)]
    starts_at: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    ends_at: Option<Cow<'a, str>>,
    #[serde(
        rename = "generatorURL",
        borrow,
        default,
        deserialize_with = "borrowed::opt"
    )]
    generator_url: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    fingerprint: Option<Cow<'a, str>>,
    /// Grafana only: `[ var='B' labels={...} value=22 ]`.
    #[serde(borrow, default, deserialize_with = "borrowed::opt")]
    value_string: Option<Cow<'a, str>>,
}

/// The labels, in order of preference, that name the affected resource.
const RESOURCE_LABELS: [&str; 6] = [
    "instance",
    "pod",
    "service",
    "job",
    "namespace",
    "alertname",
];

pub(crate) fn from_webhook(payload: &str) -> Result<Vec<Draft>, NormalizeError> {
    let group: Group<'_> = parse_at(payload, "")?;
    let source = match (group.org_id, group.version.as_deref()) {
        (Some(_), _) | (None, Some("1")) => SourceKind::Grafana,
        (None, Some("4")) => SourceKind::Alertmanager,
        (None, Some(other)) => {
            return Err(NormalizeError::unsupported(format!(
                "Alertmanager webhook version {} is not supported; expected \"4\"",
                quote(other)
            )));
        }
        (None, None) => {
            return Err(NormalizeError::unsupported(
                "a payload with alerts but no version is neither an Alertmanager (version \"4\") \
                 nor a Grafana (orgId) webhook",
            ));
        }
    };
    if group.alerts.len() > MAX_ALERTS_PER_PAYLOAD {
        return Err(NormalizeError::invalid(format!(
            "alerts has {} entries; the limit is {MAX_ALERTS_PER_PAYLOAD}",
            group.alerts.len()
        )));
    }
    group
        .alerts
        .iter()
        .enumerate()
        .map(|(i, raw)| entry_draft(source, raw, &format!("alerts[{i}]")))
        .collect()
}

fn entry_draft(source: SourceKind, raw: &RawValue, path: &str) -> Result<Draft, NormalizeError> {
    let entry: Entry<'_> = parse_at(raw.get(), path)?;
    let state = status_state(&entry.status)
        .filter(|s| *s != AlertState::InsufficientData)
        .ok_or_else(|| {
            NormalizeError::invalid(format!(
                "{path}.status must be firing or resolved, got {}",
                quote(&entry.status)
            ))
        })?;
    let starts_at = timestamp_at(&entry.starts_at, format!("{path}.startsAt"))?;
    let ends_at = entry
        .ends_at
        .as_deref()
        .map(|t| timestamp_at(t, format!("{path}.endsAt")))
        .transpose()?
        .filter(|t| !t.is_zero_time());
    let occurred_at = match (state, ends_at) {
        (AlertState::Ok, Some(end)) => end,
        _ => starts_at,
    };
    let labels = labels_from(entry.labels, format!("{path}.labels"))?;
    let alertname = labels
        .get("alertname")
        .cloned()
        .ok_or_else(|| NormalizeError::missing(&format!("{path}.labels.alertname")))?;
    let annotation = |key: &str| {
        entry
            .annotations
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let summary = annotation("summary");
    let description = annotation("description").or_else(|| annotation("message"));
    let title = summary.clone().unwrap_or_else(|| alertname.clone());
    let message = description
        .clone()
        .or_else(|| summary.clone())
        .or_else(|| entry.value_string.as_deref().map(|v| v.trim().to_owned()))
        .unwrap_or_else(|| alertname.clone());
    let resource = RESOURCE_LABELS
        .iter()
        .find_map(|key| labels.get(*key))
        .cloned()
        .unwrap_or_else(|| alertname.clone());
    let service = ["service", "app", "job"]
        .iter()
        .find_map(|k| labels.get(*k))
        .cloned();
    let identity = match entry.fingerprint.as_deref() {
        Some(fingerprint) if !fingerprint.is_empty() => fingerprint.to_owned(),
        _ => labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    };
    let family = source.family().as_str().to_owned();
    Ok(Draft {
        source,
        account: None,
        region: None,
        resource,
        service,
        title,
        message,
        state,
        previous_state: (state == AlertState::Ok).then_some(AlertState::Alarm),
        stated_severity: None,
        occurred_at,
        metric: None,
        alarm: None,
        logs: None,
        labels,
        labels_field: "labels",
        runbook: annotation("runbook_url").or_else(|| annotation("runbook")),
        source_url: entry
            .generator_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        dedup_parts: vec![
            family,
            identity,
            starts_at.to_string(),
            state.as_str().to_owned(),
        ],
        subject: alertname,
        template_text: summary.or(description).unwrap_or_default(),
        raw: raw_copy(raw.get()),
    })
}
