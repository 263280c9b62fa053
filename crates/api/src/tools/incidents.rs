//! The read-only tools over incidents, executions, the archive and logs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use responder_core::json::set;
use responder_core::{IncidentStatus, Severity};
use serde_json::{Value, json};

use super::args::{self, MAX_DAYS, MAX_LIST, MAX_LOG_LINES, MAX_LOG_MINUTES};
use crate::backend::{Backend, IncidentFilter, LogSearch};
use crate::error::ApiError;

/// The most incidents a trend counts; beyond it the answer says `truncated`.
pub const MAX_TREND_INCIDENTS: usize = 10_000;

pub async fn list<B: Backend>(backend: &B, a: args::ListIncidents) -> Result<Value, ApiError> {
    let filter = IncidentFilter {
        status: a.status.as_deref().map(parse_status).transpose()?,
        severity: a
            .severity
            .as_deref()
            .map(|s| parse_severity("severity", s))
            .transpose()?,
        service: a.service,
        since: a
            .since
            .as_deref()
            .map(|s| parse_since("since", s))
            .transpose()?,
        limit: bounded("limit", a.limit, args::DEFAULT_LIST, MAX_LIST)? as usize,
        ..IncidentFilter::default()
    };
    let incidents = backend.list_incidents(&filter).await?;
    Ok(json!({ "count": incidents.len(), "incidents": incidents }))
}

pub async fn get<B: Backend>(backend: &B, a: args::IncidentId) -> Result<Value, ApiError> {
    check_id("incident_id", &a.incident_id)?;
    backend
        .incident_view(&a.incident_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no incident '{}'", a.incident_id)))
}

pub async fn pending<B: Backend>(backend: &B, _: args::NoArguments) -> Result<Value, ApiError> {
    let approvals = backend.pending_approvals().await?;
    Ok(json!({ "count": approvals.len(), "approvals": approvals }))
}

pub async fn execution<B: Backend>(backend: &B, a: args::GetExecution) -> Result<Value, ApiError> {
    check_id("execution_id", &a.execution_id)?;
    let max_events = bounded("max_events", a.max_events, 200, 1000)? as usize;
    let mut view = backend
        .execution_view(&a.execution_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no execution '{}'", a.execution_id)))?;
    // The most recent events are the ones people look at.
    if let Some(events) = view.get_mut("events").and_then(Value::as_array_mut)
        && events.len() > max_events
    {
        let cut = events.len() - max_events;
        events.drain(..cut);
        set(&mut view, "events_omitted", json!(cut));
    }
    Ok(view)
}

pub async fn query<B: Backend>(backend: &B, a: args::QueryHistory) -> Result<Value, ApiError> {
    let sql = crate::sql::check(&a.sql)?;
    let rows = backend.query_archive(&sql).await?;
    Ok(json!({
        "sql": sql,
        "columns": rows.columns,
        "row_count": rows.rows.len(),
        "rows": rows.rows,
    }))
}

pub async fn trends<B: Backend>(backend: &B, a: args::IncidentTrends) -> Result<Value, ApiError> {
    let days = bounded("days", a.days, 30, MAX_DAYS)?;
    let by = a.by.as_str();
    if !["service", "severity", "signature", "day"].contains(&by) {
        return Err(ApiError::invalid(format!(
            "arguments.by must be service, severity, signature or day, got '{}'",
            printable(by)
        )));
    }
    let since = Utc::now() - Duration::days(i64::from(days));
    let filter = IncidentFilter {
        since: Some(rfc3339(since)),
        limit: MAX_TREND_INCIDENTS + 1,
        ..IncidentFilter::default()
    };
    let mut rows = backend.list_incidents(&filter).await?;
    let truncated = rows.len() > MAX_TREND_INCIDENTS;
    rows.truncate(MAX_TREND_INCIDENTS);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in &rows {
        let key = match by {
            "service" => row.service.clone().unwrap_or_else(|| "(none)".to_owned()),
            "severity" => row.severity.as_str().to_owned(),
            "signature" => row.signature.clone(),
            _ => row.opened_at.get(..10).unwrap_or_default().to_owned(),
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut buckets: Vec<(String, u64)> = counts.into_iter().collect();
    // Days read best in order; other groupings, largest first.
    if by != "day" {
        buckets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    Ok(json!({
        "by": by,
        "days": days,
        "total": rows.len(),
        "truncated": truncated,
        "buckets": buckets.iter().map(|(k, n)| json!({"key": k, "count": n})).collect::<Vec<_>>(),
    }))
}

pub async fn search_logs<B: Backend>(backend: &B, a: args::SearchLogs) -> Result<Value, ApiError> {
    let minutes = bounded("minutes", a.minutes, 60, MAX_LOG_MINUTES)?;
    let limit = bounded("limit", a.limit, 50, MAX_LOG_LINES)? as usize;
    let end = match a.end.as_deref() {
        Some(text) => parse_time("end", text)?,
        None => Utc::now(),
    };
    let log_groups = a.log_groups.unwrap_or_default();
    if log_groups.len() > 20 {
        return Err(ApiError::invalid(format!(
            "arguments.log_groups has {} entries; the limit is 20",
            log_groups.len()
        )));
    }
    let filter = a.filter.unwrap_or_default();
    if filter.chars().count() > 200 {
        return Err(ApiError::invalid(
            "arguments.filter is longer than 200 characters",
        ));
    }
    let search = LogSearch {
        log_groups,
        filter,
        start: end - Duration::minutes(i64::from(minutes)),
        end,
        limit: limit + 1,
    };
    let mut lines = backend.search_logs(&search).await?;
    let truncated = lines.len() > limit;
    lines.truncate(limit);
    Ok(json!({
        "start": rfc3339(search.start),
        "end": rfc3339(search.end),
        "count": lines.len(),
        "truncated": truncated,
        "lines": lines,
    }))
}

/// A number argument within `1..=max`, `default` when absent.
pub fn bounded(name: &str, value: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ApiError::invalid(format!(
            "arguments.{name} must be at least 1"
        ))),
        Some(n) if n > max => Err(ApiError::invalid(format!(
            "arguments.{name} is {n}; the limit is {max}"
        ))),
        Some(n) => Ok(n),
    }
}

pub fn parse_severity(name: &str, text: &str) -> Result<Severity, ApiError> {
    Severity::parse_loose(text).ok_or_else(|| {
        ApiError::invalid(format!(
            "arguments.{name} must be CRITICAL, HIGH, MEDIUM or LOW, got '{}'",
            printable(text)
        ))
    })
}

fn parse_status(text: &str) -> Result<IncidentStatus, ApiError> {
    IncidentStatus::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
        ApiError::invalid(format!(
            "arguments.status must be OPEN, PENDING_APPROVAL, NOTIFIED, SUPPRESSED or RESOLVED, got '{}'",
            printable(text)
        ))
    })
}

/// RFC 3339, or a duration back from now: `90m`, `24h`, `7d`.
pub fn parse_since(name: &str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    let relative = text
        .strip_suffix('m')
        .map(|n| (n, 60))
        .or_else(|| text.strip_suffix('h').map(|n| (n, 3600)))
        .or_else(|| text.strip_suffix('d').map(|n| (n, 86_400)));
    if let Some((number, unit)) = relative
        && let Ok(n) = number.parse::<i64>()
    {
        let max = i64::from(MAX_DAYS) * 86_400 / unit;
        if !(1..=max).contains(&n) {
            return Err(ApiError::invalid(format!(
                "arguments.{name} is {}; it must be 1 to {max} (up to {MAX_DAYS} days back)",
                printable(text)
            )));
        }
        return Ok(rfc3339(Utc::now() - Duration::seconds(n * unit)));
    }
    parse_time(name, text).map(rfc3339)
}

pub fn parse_time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid(format!(
                "arguments.{name} must be an RFC 3339 time (2026-11-20T00:00:00Z) or a duration (90m, 24h, 7d), got '{}'",
                printable(text)
            ))
        })
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Ids are short and printable; anything else is refused before a lookup.
pub fn check_id(name: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty() && id.len() <= 256 && id.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "arguments.{name} must be 1 to 256 printable ASCII characters, got '{}'",
            printable(id)
        )))
    }
}

/// Untrusted text quoted in an error: short, control characters dropped.
pub fn printable(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}
