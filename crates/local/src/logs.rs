//! Log context from a local folder: one folder per log group, holding JSON
//! lines (`{"timestamp": ..., "message": ...}`) or plain text lines that may
//! start with an RFC 3339 timestamp.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use responder_core::analysis::{LogContext, LogLine};
use responder_core::{Alert, limits::truncate_chars};
use responder_workflow::logs::{MAX_LINE_CHARS, MAX_LINES, is_error_line, log_groups};
use responder_workflow::ports::LogSource;

/// The log folder as the workflow's log source.
#[derive(Debug, Clone)]
pub struct LogFolder {
    pub dir: PathBuf,
    pub log_groups: BTreeMap<String, Vec<String>>,
    pub window_minutes: i64,
}

impl LogSource for LogFolder {
    async fn context(&self, alert: &Alert) -> responder_workflow::Result<LogContext> {
        Ok(read(self, alert))
    }
}

/// Error lines from the alert's log groups, from `window` minutes before
/// the state change to 5 minutes after.
pub fn read(folder: &LogFolder, alert: &Alert) -> LogContext {
    let (logs_dir, window_minutes) = (folder.dir.as_path(), folder.window_minutes);
    let groups = log_groups(alert, &folder.log_groups);
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
        for file in group_files(logs_dir, group) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for raw in text.lines() {
                let (timestamp, message) = parse_line(raw);
                if !is_error_line(&message) {
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

/// Lines of `groups` containing `filter` (case-insensitive), between
/// `start` and `end` (lines without a timestamp are kept), oldest first, at
/// most `limit` (the most recent).
pub fn search(
    dir: &std::path::Path,
    groups: &[String],
    filter: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    limit: usize,
) -> Vec<responder_api::backend::FoundLine> {
    let needle = filter.to_lowercase();
    let mut found = Vec::new();
    for group in groups {
        for file in group_files(dir, group) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for raw in text.lines() {
                let (timestamp, message) = parse_line(raw);
                if timestamp.is_some_and(|t| t < start || t > end) {
                    continue;
                }
                if !needle.is_empty() && !message.to_lowercase().contains(&needle) {
                    continue;
                }
                found.push(responder_api::backend::FoundLine {
                    log_group: group.clone(),
                    timestamp: timestamp.map(|t| t.to_rfc3339()),
                    message: truncate_chars(&message, MAX_LINE_CHARS),
                });
            }
        }
    }
    found.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
    let skip = found.len().saturating_sub(limit);
    found.into_iter().skip(skip).collect()
}

/// The files of a log group's folder, sorted. Only the group's own folder:
/// `..` and absolute parts of the name are dropped.
fn group_files(dir: &std::path::Path, group: &str) -> Vec<std::path::PathBuf> {
    let relative: std::path::PathBuf = group
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".." && *p != ".")
        .collect();
    let Ok(entries) = std::fs::read_dir(dir.join(relative)) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

pub(crate) fn parse_line(raw: &str) -> (Option<DateTime<Utc>>, String) {
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
        let folder = LogFolder {
            dir: PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../events/demo/logs"
            )),
            log_groups: BTreeMap::new(),
            window_minutes: 15,
        };
        let context = read(&folder, &alert);
        assert!(context.lines.is_empty());
    }
}
