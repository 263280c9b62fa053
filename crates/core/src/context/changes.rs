//! What changed before the incident: CloudTrail management events (as
//! `LookupEvents` returns them) in the incident's windows, writes only, the
//! ones touching the alarmed or related resources first. Most incidents
//! follow a change: a deploy, a configuration or parameter change, an IAM,
//! KMS or secret change, scaling.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::rfc3339_millis;
use super::window::{Span, Windows};

/// The most changes an analyzer is told of.
pub const MAX_CHANGES: usize = 25;
/// The longest request detail kept for one change.
const MAX_DETAIL_CHARS: usize = 400;

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub at: DateTime<Utc>,
    /// `UpdateFunctionCode20150331v2`, `PutKeyPolicy`, `PutParameter`.
    pub name: String,
    /// `lambda.amazonaws.com`.
    pub source: String,
    /// Who made it (`Username`, else the caller's ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The resources it names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Its request parameters, compact JSON, cut at 400 characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The call failed (`AccessDenied`): it changed nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It touches the alarmed resource or a related one.
    pub related: bool,
    /// A service reacting, or bookkeeping: an Auto Scaling group launching
    /// instances, tags, network interfaces, grants. Told, never taken for
    /// the cause.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub routine: bool,
}

/// Calls that record a reaction or bookkeeping, not a decision.
const ROUTINE_CALLS: &[&str] = &[
    "AddTags",
    "RemoveTags",
    "CreateTags",
    "DeleteTags",
    "TagResource",
    "UntagResource",
    "CreateNetworkInterface",
    "DeleteNetworkInterface",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "CreateGrant",
    "RetireGrant",
    "CreateLogStream",
    "UpdateInstanceInformation",
    "PutEvaluations",
    "SendCommand",
    "StartSession",
];
/// Callers that act on their own: what they do follows a decision made
/// elsewhere (a scaling policy, a deployment).
const REACTING_CALLERS: &[&str] = &[
    "AutoScaling",
    "autoscaling.amazonaws.com",
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
];

/// Whether a change is a reaction or bookkeeping (see [`ChangeEvent::routine`]).
pub fn is_routine(e: &ChangeEvent) -> bool {
    ROUTINE_CALLS.contains(&e.name.as_str())
        || e.user
            .as_deref()
            .is_some_and(|u| REACTING_CALLERS.contains(&u))
}

/// The changes an analyzer is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeContext {
    pub span: Span,
    /// Related first, then the most recent first.
    pub events: Vec<ChangeEvent>,
    /// Writes in the span left out past [`MAX_CHANGES`].
    #[serde(default)]
    pub left_out: usize,
}

/// One `LookupEvents` event (or a line of `changes.jsonl`) as a change;
/// `None` for a read-only call or a record without a time or name.
pub fn from_record(record: &Value) -> Option<ChangeEvent> {
    if record["ReadOnly"].as_str() == Some("true") || record["ReadOnly"] == true {
        return None;
    }
    let at = match &record["EventTime"] {
        Value::String(text) => rfc3339_millis(text.as_bytes())?.0,
        Value::Number(n) => (n.as_f64()? * 1000.0) as i64,
        _ => return None,
    };
    let name = record["EventName"].as_str()?.to_owned();
    let trail: Value = record["CloudTrailEvent"]
        .as_str()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    let user = record["Username"].as_str().map(str::to_owned).or_else(|| {
        trail
            .pointer("/userIdentity/arn")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let resources = record["Resources"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|r| r["ResourceName"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let parameters = trail.get("requestParameters").unwrap_or(&Value::Null);
    let detail = if parameters.is_object() {
        cut(&parameters.to_string(), MAX_DETAIL_CHARS)
    } else {
        String::new()
    };
    Some(ChangeEvent {
        at: DateTime::from_timestamp_millis(at)?,
        name,
        source: record["EventSource"]
            .as_str()
            .or_else(|| trail.get("eventSource").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned(),
        user,
        resources,
        detail,
        error: trail
            .get("errorCode")
            .and_then(Value::as_str)
            .map(str::to_owned),
        related: false,
        routine: false,
    })
}

/// One record as a trail delivers it to S3 (`{"Records": [...]}`, each
/// with `eventTime`, `eventName`, `readOnly`, ...) as a change.
pub fn from_trail_record(record: &Value) -> Option<ChangeEvent> {
    if record["readOnly"] == true {
        return None;
    }
    let resources: Vec<Value> = record["resources"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|r| r["ARN"].as_str())
                .map(|arn| serde_json::json!({ "ResourceName": arn }))
                .collect()
        })
        .unwrap_or_default();
    from_record(&serde_json::json!({
        "EventTime": record["eventTime"],
        "EventName": record["eventName"],
        "EventSource": record["eventSource"],
        "Username": record
            .pointer("/userIdentity/userName")
            .or_else(|| record.pointer("/userIdentity/sessionContext/sessionIssuer/userName"))
            .and_then(Value::as_str),
        "Resources": resources,
        "CloudTrailEvent": record.to_string(),
    }))
}

/// The changes in a text of JSON lines, each a `LookupEvents` event, a
/// trail record, or a trail file (`{"Records": [...]}`); lines that are
/// none of these are skipped.
pub fn parse_lines(text: &str) -> Vec<ChangeEvent> {
    let mut found = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('{')) {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(records) = value.get("Records").and_then(Value::as_array) {
            found.extend(records.iter().filter_map(from_trail_record));
        } else if value.get("eventTime").is_some() {
            found.extend(from_trail_record(&value));
        } else {
            found.extend(from_record(&value));
        }
    }
    found
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text.get(..at).unwrap_or(text).to_owned(),
        None => text.to_owned(),
    }
}

/// The changes of `events` in the incident's windows (the baseline's start
/// to the incident's end), each marked related if it names one of `names`
/// (the alarmed and related resources, lower case), best first.
pub fn select(events: Vec<ChangeEvent>, windows: &Windows, names: &[String]) -> ChangeContext {
    let span = windows.read_span();
    let names: Vec<String> = names
        .iter()
        .map(|n| n.to_lowercase())
        .filter(|n| n.len() >= 3)
        .collect();
    let mut kept: Vec<ChangeEvent> = events
        .into_iter()
        .filter(|e| span.contains(e.at))
        .map(|mut e| {
            let text = format!(
                "{} {} {}",
                e.resources.join(" "),
                e.detail,
                e.user.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            e.routine = is_routine(&e);
            e.related = !e.routine && names.iter().any(|n| text.contains(n.as_str()));
            e
        })
        .collect();
    kept.sort_by(|a, b| {
        b.related
            .cmp(&a.related)
            .then(a.routine.cmp(&b.routine))
            .then(b.at.cmp(&a.at))
    });
    let left_out = kept.len().saturating_sub(MAX_CHANGES);
    kept.truncate(MAX_CHANGES);
    // Told in time order: a change's place before the symptoms matters.
    kept.sort_by_key(|e| e.at);
    ChangeContext {
        span,
        events: kept,
        left_out,
    }
}

/// A change as the analyzer reads it: one line, quotable as it is.
pub fn render(e: &ChangeEvent) -> String {
    let mut line = format!(
        "{} {} ({})",
        e.at.format("%Y-%m-%dT%H:%M:%SZ"),
        e.name,
        e.source
    );
    if let Some(user) = &e.user {
        line.push_str(&format!(" by {user}"));
    }
    if !e.resources.is_empty() {
        line.push_str(&format!(" on {}", e.resources.join(", ")));
    }
    if let Some(error) = &e.error {
        line.push_str(&format!(" [failed: {error}]"));
    }
    if !e.detail.is_empty() {
        line.push_str(&format!(": {}", e.detail));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    fn record(name: &str, time: &str, resource: &str) -> Value {
        json!({
            "EventId": "e1", "EventName": name, "ReadOnly": "false", "EventTime": time,
            "EventSource": "lambda.amazonaws.com", "Username": "deploy-bot",
            "Resources": [{"ResourceType": "AWS::Lambda::Function", "ResourceName": resource}],
            "CloudTrailEvent": json!({"eventVersion": "1.09", "requestParameters": {"functionName": resource, "publish": true}}).to_string()
        })
    }

    #[test]
    fn writes_in_the_window_are_kept_related_ones_marked_and_told_in_order() {
        let at: DateTime<Utc> = "2026-11-20T09:00:00Z".parse().unwrap();
        let windows = Windows::around(at, Duration::minutes(60), Duration::minutes(10));
        let events: Vec<ChangeEvent> = [
            record("UpdateFunctionCode20150331v2", "2026-11-20T08:40:00+00:00", "catalog-sync"),
            record("UpdateFunctionConfiguration20150331v2", "2026-11-20T08:50:00Z", "other-fn"),
            record("UpdateFunctionCode20150331v2", "2026-11-19T08:40:00Z", "catalog-sync"),
            json!({"EventName": "GetFunction", "ReadOnly": "true", "EventTime": "2026-11-20T08:55:00Z"}),
        ]
        .iter()
        .filter_map(from_record)
        .collect();
        assert_eq!(events.len(), 3, "read-only calls are not changes");
        let context = select(events, &windows, &["catalog-sync".to_owned()]);
        assert_eq!(context.events.len(), 2);
        assert!(context.events[0].related && !context.events[1].related);
        assert_eq!(
            render(&context.events[0]),
            "2026-11-20T08:40:00Z UpdateFunctionCode20150331v2 (lambda.amazonaws.com) by deploy-bot on catalog-sync: {\"functionName\":\"catalog-sync\",\"publish\":true}"
        );
    }
}
