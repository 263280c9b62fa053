//! Which log groups belong to an alert, and which lines are worth showing
//! an analyzer: shared by the log folder (local) and Logs Insights (AWS).

use std::collections::BTreeMap;

use responder_core::Alert;

/// Lines kept per incident, and their length.
pub const MAX_LINES: usize = 50;
pub const MAX_LINE_CHARS: usize = 2048;

/// Words that mark a line worth showing an analyzer.
pub const ERROR_WORDS: &[&str] = &[
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

/// Whether a log line looks like trouble.
pub fn is_error_line(message: &str) -> bool {
    let lower = message.to_lowercase();
    ERROR_WORDS.iter().any(|w| lower.contains(w))
}
