//! Incidents: what an alert becomes, and the decision taken for each alert.

use serde::{Deserialize, Serialize};

use crate::alert::{Alert, AlertState};
use crate::severity::Severity;

/// What `RegisterAlert` decides for one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// A problem with no open incident: a new incident.
    New,
    /// The same delivery again (same dedup key): nothing new.
    Duplicate,
    /// The same signature while its incident is open: one more occurrence.
    Repeat,
    /// The alarm is back to OK while its incident is open: resolve it.
    Recovery,
    /// OK or INSUFFICIENT_DATA with no open incident: nothing to do.
    Ignored,
}

impl Decision {
    /// Decides for an alert, given whether its dedup key was seen before and
    /// the open incident of its signature, if any.
    pub fn for_alert(alert: &Alert, seen_before: bool, open: Option<&Incident>) -> Self {
        if seen_before {
            return Self::Duplicate;
        }
        match (alert.state, open) {
            (AlertState::Alarm, None) => Self::New,
            (AlertState::Alarm, Some(_)) => Self::Repeat,
            (AlertState::Ok, Some(_)) => Self::Recovery,
            (AlertState::Ok | AlertState::InsufficientData, _) => Self::Ignored,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Duplicate => "DUPLICATE",
            Self::Repeat => "REPEAT",
            Self::Recovery => "RECOVERY",
            Self::Ignored => "IGNORED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncidentStatus {
    /// Registered; analysis under way.
    Open,
    PendingApproval,
    /// Delivered to its channels.
    Notified,
    /// Rejected by a person (or timed out under the suppress policy).
    Suppressed,
    /// The alarm went back to OK.
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::PendingApproval => "PENDING_APPROVAL",
            Self::Notified => "NOTIFIED",
            Self::Suppressed => "SUPPRESSED",
            Self::Resolved => "RESOLVED",
        }
    }

    /// Whether new alerts of the same signature join this incident.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::PendingApproval | Self::Notified)
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Open,
            Self::PendingApproval,
            Self::Notified,
            Self::Suppressed,
            Self::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub signature: String,
    pub resource: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    /// RFC 3339, from the first alert.
    pub opened_at: String,
    pub last_seen_at: String,
    pub occurrences: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_recover_seconds: Option<i64>,
    /// Channels that received the incident (told again on recovery).
    #[serde(default)]
    pub notified_channels: Vec<crate::Channel>,
    /// For a composite alarm: the alarms that triggered it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggering_alarms: Vec<String>,
    /// The top root cause of the delivered analysis (for the history archive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    /// The service of the alert that opened it (tags, dimensions or namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// What its alert measured (`AWS/RDS DatabaseConnections billing-db`):
    /// past incidents are found again by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Bumped by every write: stores accept a write only over the version it
    /// was read at (optimistic concurrency), so concurrent steps never lose
    /// each other's changes.
    #[serde(default)]
    pub version: u64,
}
