//! The tools' arguments: one struct per tool, its JSON Schema derived from
//! it. Unknown fields are refused; every list and text has a limit.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// The most incidents one list returns.
pub const MAX_LIST: u32 = 100;
pub const DEFAULT_LIST: u32 = 20;
/// The most days a trend or an analysis looks back.
pub const MAX_DAYS: u32 = 365;
/// The longest window `search_logs` reads, and the most lines it returns.
pub const MAX_LOG_MINUTES: u32 = 24 * 60;
pub const MAX_LOG_LINES: u32 = 200;
/// The most tokens `analyze_incidents` puts in its prompt.
pub const MAX_TOKEN_BUDGET: u32 = 20_000;
pub const DEFAULT_TOKEN_BUDGET: u32 = 4_000;
/// Comments, reasons, summaries and questions: characters kept.
pub const MAX_TEXT_CHARS: usize = 1_000;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListIncidents {
    /// OPEN, PENDING_APPROVAL, NOTIFIED, SUPPRESSED or RESOLVED.
    pub status: Option<String>,
    /// CRITICAL, HIGH, MEDIUM or LOW.
    pub severity: Option<String>,
    /// The service the alert names (tag, dimension or namespace).
    pub service: Option<String>,
    /// Opened at or after: RFC 3339 (`2026-11-20T00:00:00Z`) or a duration back from now (`90m`, `24h`, `7d`).
    pub since: Option<String>,
    /// At most 100; 20 if absent.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentId {
    /// The incident id (`inc-...`).
    pub incident_id: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetExecution {
    /// The execution id (an ARN, as `get_incident` reports it).
    pub execution_id: String,
    /// The most recent history events returned: at most 1000, 200 if absent.
    #[schemars(range(min = 1, max = 1000))]
    pub max_events: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryHistory {
    /// One SELECT over `incident_history` (incident_id, signature, resource, opened_at, resolved_at, root_cause, resolution, time_to_recover_seconds). At most 100 rows are returned.
    pub sql: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentTrends {
    /// Group by: service, severity, signature or day.
    pub by: String,
    /// Days back from now: at most 365, 30 if absent.
    #[schemars(range(min = 1, max = 365))]
    pub days: Option<u32>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchLogs {
    /// Log groups to read; all known groups if absent.
    pub log_groups: Option<Vec<String>>,
    /// A text every line must contain (case-insensitive).
    pub filter: Option<String>,
    /// The window's length in minutes, back from `end`: at most 1440, 60 if absent.
    #[schemars(range(min = 1, max = 1440))]
    pub minutes: Option<u32>,
    /// The window's end, RFC 3339; now if absent.
    pub end: Option<String>,
    /// The most lines returned: at most 200, 50 if absent.
    #[schemars(range(min = 1, max = 200))]
    pub limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeAlert {
    /// An alert payload of any supported source (EventBridge, SNS, Alertmanager, ...).
    pub payload: Option<Value>,
    /// Or plain text: an error message, a log excerpt, a page's text.
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeIncidents {
    /// What to find out, e.g. "why do the checkout alarms keep coming back?".
    pub question: String,
    /// Opened at or after: RFC 3339 or a duration back from now (`7d`); 30 days if absent.
    pub since: Option<String>,
    /// Opened before: RFC 3339.
    pub until: Option<String>,
    /// CRITICAL, HIGH, MEDIUM or LOW.
    pub severity: Option<String>,
    pub service: Option<String>,
    pub signature: Option<String>,
    /// Tokens of incident analyses to read: at most 20000, 4000 if absent.
    #[schemars(range(min = 1, max = 20000))]
    pub token_budget: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveIncident {
    /// The incident id (`inc-...`).
    pub incident_id: String,
    pub comment: Option<String>,
    /// Change the severity: CRITICAL, HIGH, MEDIUM or LOW.
    pub severity: Option<String>,
    /// Deliver to these channels instead of the routed ones: slack, jira, email.
    pub channels: Option<Vec<String>>,
    /// Replace the analysis summary in the notifications.
    pub summary: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectIncident {
    /// The incident id (`inc-...`).
    pub incident_id: String,
    /// Why: kept with the incident.
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveIncident {
    /// The incident id (`inc-...`).
    pub incident_id: String,
    /// What fixed it: kept in the archive for the next analysis.
    pub resolution: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInvestigation {
    /// An alert payload of any supported source.
    pub payload: Option<Value>,
    /// Or a title and message (a generic webhook alert).
    pub title: Option<String>,
    pub message: Option<String>,
    /// CRITICAL, HIGH, MEDIUM or LOW.
    pub severity: Option<String>,
    pub service: Option<String>,
}
