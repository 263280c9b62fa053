//! The port the tools call: what the API needs from the incident store, the
//! archive, the logs, the analyzer and the workflow engine. SQLite and the
//! local engine implement it in `responder serve`; the tools never see which.

use std::future::Future;

use responder_core::analysis::{Analysis, AnalysisInput};
use responder_core::{Channel, Incident, IncidentStatus, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod error;

use error::ApiError;

pub type Result<T> = std::result::Result<T, ApiError>;

/// Which incidents to list, most recent first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub severity: Option<Severity>,
    /// The alert's service (from tags, dimensions or namespace).
    pub service: Option<String>,
    pub signature: Option<String>,
    /// RFC 3339: opened at or after.
    pub since: Option<String>,
    /// RFC 3339: opened before.
    pub until: Option<String>,
    pub limit: usize,
}

/// An approval waiting for a decision: the task token stays in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingApproval {
    pub approval_id: String,
    pub incident_id: String,
    pub title: String,
    pub severity: Severity,
    pub requested_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub channels: Vec<Channel>,
}

/// The rows of an archive query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A bounded log search.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSearch {
    /// Empty: every log group the backend knows.
    pub log_groups: Vec<String>,
    /// A substring every line must contain (case-insensitive); empty: all.
    pub filter: String,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
    pub limit: usize,
}

/// One log line found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundLine {
    pub log_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub message: String,
}

/// A decision on an incident's pending approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    Approve {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        severity: Option<Severity>,
        /// Deliver to these channels instead of the routed ones.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channels: Option<Vec<Channel>>,
        /// Replaces the analysis summary in the notifications.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    Reject {
        reason: String,
    },
}

/// A resolution by hand as the API answers it.
pub fn resolution_result(
    incident_id: &str,
    outcome: std::result::Result<crate::steps::Resolution, crate::Error>,
) -> Result<Incident> {
    use crate::steps::Resolution;
    match outcome {
        Ok(Resolution::Resolved(incident)) => Ok(*incident),
        Ok(Resolution::NotFound) => {
            Err(ApiError::not_found(format!("no incident '{incident_id}'")))
        }
        Ok(Resolution::NotOpen(status)) => Err(ApiError::conflict(format!(
            "incident '{incident_id}' is {}, not open",
            status.as_str()
        ))),
        Err(e) => Err(ApiError::unavailable(format!(
            "{}: {}",
            e.name(),
            e.message()
        ))),
    }
}

pub use crate::ports::TaskAnswer;

impl Decision {
    /// `APPROVED`, `APPROVED_WITH_EDITS` or `REJECTED`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Approve {
                severity,
                channels,
                summary,
                ..
            } if severity.is_some() || channels.is_some() || summary.is_some() => {
                "APPROVED_WITH_EDITS"
            }
            Self::Approve { .. } => "APPROVED",
            Self::Reject { .. } => "REJECTED",
        }
    }

    /// The task's answer and the decision's [name](Self::name). `routed` is
    /// the channels the approval request proposed; edits replace them.
    pub fn task_answer(&self, routed: &Value, approver: &str) -> (TaskAnswer, &'static str) {
        let name = self.name();
        match self {
            Self::Approve {
                comment,
                severity,
                channels,
                summary,
            } => {
                let output = serde_json::json!({
                    "decision": name,
                    "reviewed": true,
                    "approver": approver,
                    "comment": comment,
                    "severity": severity.map(|s| s.as_str()),
                    "summary": summary,
                    "channels": channels.as_ref().map_or_else(|| routed.clone(), |c| serde_json::json!(c)),
                });
                (TaskAnswer::Success(output), name)
            }
            Self::Reject { reason } => (
                TaskAnswer::Failure {
                    error: crate::error::names::APPROVAL_REJECTED.into(),
                    cause: reason.clone(),
                },
                name,
            ),
        }
    }
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decided {
    pub incident_id: String,
    pub approval_id: String,
    /// `APPROVED`, `APPROVED_WITH_EDITS` or `REJECTED`.
    pub decision: String,
}

/// One write through the API, kept in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    /// The IAM principal in AWS; the credential's name locally; `slack:U…`
    /// or `email-link` for those routes.
    pub caller: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// The tool's arguments, secrets excluded.
    pub details: Value,
    /// `ok`, or the error's stable name.
    pub outcome: String,
}

/// The state a running execution is in, from its history events as the
/// views give them (`{"type": "TaskStateEntered", "name": ...}`): the last
/// state entered and not yet left.
pub fn current_state(events: &[Value]) -> Option<String> {
    let mut open: Vec<&str> = Vec::new();
    for event in events {
        let (Some(kind), Some(name)) = (
            event.get("type").and_then(Value::as_str),
            event.get("name").and_then(Value::as_str),
        ) else {
            continue;
        };
        if kind.ends_with("StateEntered") {
            open.push(name);
        } else if kind.ends_with("StateExited")
            && let Some(i) = open.iter().rposition(|n| *n == name)
        {
            open.remove(i);
        }
    }
    open.pop().map(str::to_owned)
}

impl AuditEntry {
    /// An entry stamped now, its outcome `ok` or the error's name.
    pub fn of<T>(
        caller: &str,
        action: impl Into<String>,
        incident_id: Option<String>,
        details: Value,
        outcome: &std::result::Result<T, ApiError>,
    ) -> Self {
        Self {
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            caller: caller.to_owned(),
            action: action.into(),
            incident_id,
            details,
            outcome: match outcome {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.name.into(),
            },
        }
    }
}

pub trait Backend: Send + Sync + 'static {
    /// Whether the stores answer (`GET /ready`).
    fn ready(&self) -> impl Future<Output = Result<()>> + Send;

    fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> impl Future<Output = Result<Vec<Incident>>> + Send;

    /// Everything known of one incident: the incident, its alert, the
    /// context gathered, the analysis with its evidence, the approval, the
    /// deliveries and the execution ids. `None` if there is no such incident.
    fn incident_view(&self, id: &str) -> impl Future<Output = Result<Option<Value>>> + Send;

    /// The incident's analysis, if it has one.
    fn incident_analysis(&self, id: &str) -> impl Future<Output = Result<Option<Analysis>>> + Send;

    fn pending_approvals(&self) -> impl Future<Output = Result<Vec<PendingApproval>>> + Send;

    /// An execution as the Step Functions console shows it: status, the
    /// current state, the history events. `None` if unknown.
    fn execution_view(&self, id: &str) -> impl Future<Output = Result<Option<Value>>> + Send;

    /// Runs a query that [`crate::sql::check`] accepted.
    fn query_archive(&self, sql: &str) -> impl Future<Output = Result<QueryRows>> + Send;

    fn search_logs(
        &self,
        search: &LogSearch,
    ) -> impl Future<Output = Result<Vec<FoundLine>>> + Send;

    /// Analyzes through the analysis cache; `true` when the cache answered.
    fn analyze(
        &self,
        input: &AnalysisInput,
    ) -> impl Future<Output = Result<(Analysis, bool)>> + Send;

    /// Asks the configured model a free question, or `None` when the
    /// analyzer is the built-in rules (which answer no free questions).
    fn ask(&self, prompt: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    fn decide(
        &self,
        incident_id: &str,
        decision: &Decision,
        caller: &str,
    ) -> impl Future<Output = Result<Decided>> + Send;

    /// Marks an open incident resolved (by hand: no recovery alert came).
    fn resolve(
        &self,
        incident_id: &str,
        resolution: &str,
    ) -> impl Future<Output = Result<Incident>> + Send;

    /// Starts one workflow execution on an alert payload; returns its id.
    fn start(&self, payload: &Value) -> impl Future<Output = Result<String>> + Send;

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send;
}
