//! Log context from a local folder: one folder per log group, holding JSON
//! lines (`{"timestamp": ..., "message": ...}`) or plain text lines that may
//! start with an RFC 3339 timestamp.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use responder_core::analysis::{LogContext, LogLine};
use responder_core::{Alert, limits::truncate_chars};

/// Lines kept per incident, and their length.
pub const MAX_LINES: usize = 50;
pub const MAX_LINE_CHARS: usize = 2048;

/// Words that mark a line worth showing an analyzer.
const ERROR_WORDS: &[&str] = &[
    "error",
    "exception",
    "fail",
    "fatal",
    "panic",
    "timeout",
    "timed out",
    "refused",
    "denied",
    "throttl",
    "killed",
    "out of memory",
    "no space left",
];

/// The log groups of an alert: its `log_group`/`log_groups` tag, those
/// configured for its alarm name or service, its own log group (a Logs
/// subscription), and the convention for its namespace.
pub fn log_groups(alert: &Alert, configured: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut groups: Vec<String> = alert
        .labels
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.to_ascii_lowercase().replace('-', "_").as_str(),
                "log_group" | "log_groups"
            )
        })
        .flat_map(|(_, v)| v.split(',').map(|g| g.trim().to_owned()))
        .filter(|g| !g.is_empty())
        .collect();
    let names = [
        alert.alarm.as_ref().map(|a| a.name.as_str()),
        alert.service.as_deref(),
        Some(alert.title.as_str()),
    ];
    for name in names.into_iter().flatten() {
        groups.extend(configured.get(name).into_iter().flatten().cloned());
    }
    if let Some(logs) = &alert.logs {
        groups.push(logs.log_group.clone());
    }
    if let Some(metric) = &alert.metric {
        let dim = |k: &str| metric.dimensions.get(k);
        match metric.namespace.as_deref() {
            Some("AWS/Lambda") => {
                groups.extend(dim("FunctionName").map(|f| format!("/aws/lambda/{f}")))
            }
            Some("AWS/ECS") => groups.extend(dim("ServiceName").map(|s| format!("/ecs/{s}"))),
            Some("AWS/ApiGateway") => {
                groups.extend(dim("ApiName").map(|a| format!("/aws/apigateway/{a}")))
            }
            _ => {}
        }
    }
    groups.sort();
    groups.dedup();
    groups
}

/// Error lines from the alert's log groups, from `window` minutes before
/// the state change to 5 minutes after.
pub fn read(config: &crate::config::WorkflowConfig, alert: &Alert) -> LogContext {
    let (logs_dir, window_minutes) = (config.logs_dir.as_path(), config.log_window_minutes);
    let groups = log_groups(alert, &config.log_groups);
    let at: Option<DateTime<Utc>> = DateTime::parse_from_rfc3339(&alert.occurred_at.to_string())
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let (from, to) = match at {
        Some(t) => (
            Some(t - Duration::minutes(window_minutes)),
            Some(t + Duration::minutes(5)),
        ),
        None => (None, None),
    };
    let mut lines = Vec::new();
    for group in &groups {
        // Only the group's own folder: `..` and absolute parts are dropped.
        let relative: std::path::PathBuf = group
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".." && *p != ".")
            .collect();
        let Ok(entries) = std::fs::read_dir(logs_dir.join(relative)) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for raw in text.lines() {
                let (timestamp, message) = parse_line(raw);
                let lower = message.to_lowercase();
                if !ERROR_WORDS.iter().any(|w| lower.contains(w)) {
                    continue;
                }
                if let (Some(t), Some(from), Some(to)) = (timestamp, from, to)
                    && (t < from || t > to)
                {
                    continue;
                }
                lines.push(LogLine {
                    timestamp: timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    log_group: group.clone(),
                    message: truncate_chars(&message, MAX_LINE_CHARS),
                });
            }
        }
    }
    lines.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
    let skip = lines.len().saturating_sub(MAX_LINES);
    LogContext {
        log_groups: groups,
        lines: lines.into_iter().skip(skip).collect(),
    }
}

fn parse_line(raw: &str) -> (Option<DateTime<Utc>>, String) {
    if raw.trim_start().starts_with('{')
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(raw)
    {
        let timestamp = value["timestamp"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| {
                value["timestamp"]
                    .as_i64()
                    .and_then(DateTime::from_timestamp_millis)
            });
        let message = value["message"]
            .as_str()
            .map_or_else(|| raw.to_owned(), str::to_owned);
        return (timestamp, message);
    }
    let first = raw.split_whitespace().next().unwrap_or_default();
    let timestamp = DateTime::parse_from_rfc3339(first)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    (timestamp, raw.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use responder_core::{NormalizeOptions, normalize};

    use super::*;

    #[test]
    fn groups_come_from_tags_configuration_and_conventions() {
        let text = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
        let mut alert = normalize(text, &NormalizeOptions::default())
            .unwrap()
            .remove(0);
        alert.labels.insert(
            "log-group".to_owned(),
            "/app/checkout, /app/payments".to_owned(),
        );
        let configured = BTreeMap::from([(
            "checkout-api-errors".to_owned(),
            vec!["/ecs/checkout".to_owned()],
        )]);
        assert_eq!(
            log_groups(&alert, &configured),
            [
                "/app/checkout",
                "/app/payments",
                "/aws/lambda/checkout-api",
                "/ecs/checkout"
            ]
        );
    }

    #[test]
    fn a_group_cannot_climb_out_of_the_logs_folder() {
        let text = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
        let mut alert = normalize(text, &NormalizeOptions::default())
            .unwrap()
            .remove(0);
        alert
            .labels
            .insert("log_group".to_owned(), "../../../../etc".to_owned());
        alert.metric = None;
        let config = crate::config::WorkflowConfig {
            logs_dir: std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../events/demo/logs"
            )),
            ..crate::config::WorkflowConfig::default()
        };
        let context = read(&config, &alert);
        assert!(context.lines.is_empty());
    }
}
