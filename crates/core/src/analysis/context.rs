//! What an analyzer is given: the alert, and the context gathered for it.

use serde::{Deserialize, Serialize};

use crate::alert::Alert;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysisInput {
    pub alert: Alert,
    /// `None` when the history could not be read.
    pub history: Option<HistorySummary>,
    /// `None` when the logs could not be read.
    pub logs: Option<LogContext>,
}

/// The same signature and resource over the last 30 days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistorySummary {
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_time_to_recover_seconds: Option<f64>,
    #[serde(default)]
    pub previous_root_causes: Vec<String>,
    #[serde(default)]
    pub previous_resolutions: Vec<String>,
}

/// Error lines from the alarm's log groups around the state change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogContext {
    pub log_groups: Vec<String>,
    pub lines: Vec<LogLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub timestamp: String,
    pub log_group: String,
    pub message: String,
}
